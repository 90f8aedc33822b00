"""Custom triggers declared on an aggregate class: ``trigger("name")`` or ``@trigger`` on a
signature, and the callables they give on an aggregate."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    Self,
    final,
    overload,
)

from ecservice.errors import InvalidWorkflow
from ecservice.workflow._aggregate import _preparer
from ecservice.workflow._records import Actor, TransitionRecord

_SYSTEM = Actor.system()

if TYPE_CHECKING:
    from ecservice.workflow._aggregate import Aggregate

__all__ = ["BoundTrigger", "BoundTypedTrigger", "TypedTrigger", "trigger"]

P = ParamSpec("P")
P.__module__ = "ecservice.workflow"  # documented there, with the trigger classes


@final
class BoundTrigger:
    """A custom trigger declared with ``trigger("name")``, bound to an aggregate.

    Made by reading the trigger on an aggregate instance (``ticket.close``), not built directly.

    Args:
        aggregate: the aggregate the trigger fires on.
        name: the trigger's name, as the workflow declares it.
    """

    __slots__ = ("_aggregate", "_name")

    def __init__(self, aggregate: Aggregate[Any], name: str) -> None:
        self._aggregate = aggregate
        self._name = name

    def __call__(self, *, actor: Actor, note: str = "", **payload: object) -> TransitionRecord:
        """Fire the trigger; returns the history record of the transition.

        Raises:
            the errors of :meth:`Aggregate._fire`.
        """
        agg = self._aggregate
        prepare = _preparer(type(agg), self._name)
        if prepare is not None:
            if note:
                payload["note"] = note
            prepared = dict(prepare(agg, actor=actor, **payload))
            note = prepared.pop("note", "")  # type: ignore[assignment]
            return agg._fire(self._name, actor=actor, note=note, **prepared)
        return agg._fire(self._name, actor=actor, note=note, **payload)

    def can(self, *, actor: Actor = _SYSTEM, **payload: object) -> bool:
        """Whether calling the trigger with these arguments now would succeed
        (see :meth:`Aggregate.can`; ``actor`` left out: :meth:`Actor.system`)."""
        return self._aggregate.can(self._name, actor=actor, **payload)

    def __repr__(self) -> str:
        return f"<trigger {self._name!r} of {self._aggregate._subject()}>"


@final
class BoundTypedTrigger(Generic[P]):
    """A custom trigger declared with ``@trigger`` on a signature, bound to an aggregate.

    Calling it takes exactly the declared keyword arguments (type checkers check them too) and
    fires the trigger with them as the payload (``actor`` and ``note`` go to
    :meth:`Aggregate._fire`). If the class has ``_prepare_<trigger>``, it is called with the
    arguments and its result is the payload, as for a hand-written trigger method.

    Made by reading the trigger on an aggregate instance (``ticket.inspect``), not built directly.

    Args:
        aggregate: the aggregate the trigger fires on.
        declared: the class's :class:`TypedTrigger`, which holds the name and the signature.
    """

    __slots__ = ("_aggregate", "_trigger")

    def __init__(self, aggregate: Aggregate[Any], declared: TypedTrigger[P]) -> None:
        self._aggregate = aggregate
        self._trigger = declared

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> TransitionRecord:
        """Fire the trigger; returns the history record of the transition.

        Raises:
            TypeError: a positional argument, an unknown keyword or a missing one.
            the errors of :meth:`Aggregate._fire`.
        """
        declared = self._trigger
        declared.check_arguments(args, kwargs)
        agg = self._aggregate
        name = declared.name
        prepare = _preparer(type(agg), name)
        actor: Any = kwargs.pop("actor")
        payload: dict[str, Any]
        if prepare is not None:
            payload = dict(prepare(agg, actor=actor, **kwargs))
        else:
            payload = {**declared.defaults, **kwargs}
        note = payload.pop("note", "")
        return agg._fire(name, actor=actor, note=note, **payload)

    def can(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Whether calling the trigger with these arguments now would succeed
        (see :meth:`Aggregate.can`).

        Arguments the call would refuse with :class:`TypeError` (a positional one, an unknown
        keyword, a missing one, ``actor`` included) answer ``False``.
        """
        if args or "actor" not in kwargs:
            return False
        arguments: dict[str, Any] = dict(kwargs)
        return self._aggregate.can(self._trigger.name, **arguments)

    def __repr__(self) -> str:
        return f"<trigger {self._trigger.name!r} of {self._aggregate._subject()}>"


class trigger:  # lower case: used like a function, `close = trigger("close")` or `@trigger`
    """Declare a custom trigger on an aggregate subclass.

    Used as a decorator on a signature, it declares the trigger's keyword arguments: the body is
    never run; calling the method on an aggregate fires the trigger named after the function, with
    the arguments as the payload, and type checkers reject a misspelt or mistyped keyword::

        @trigger
        def inspect(self, *, actor: Actor, passed: bool, note: str = "") -> TransitionRecord:
            \"\"\"Record the quality inspection (质检).\"\"\"
            raise NotImplementedError  # never run: calling it fires the trigger

    Every parameter after ``self`` must be keyword-only, and ``actor`` must be one of them. The
    result is a :class:`TypedTrigger`; on an instance, a :class:`BoundTypedTrigger`.

    The older form ``close = trigger("close", "doc")`` declares a trigger that takes ``actor``,
    ``note`` and any other keyword, unchecked; on an instance it is a :class:`BoundTrigger`.

    Args:
        name: the trigger's name as the workflow declares it (``trigger("close")``), or, used as
            a decorator, the function whose signature declares the keyword arguments (its name
            is the trigger's name and its docstring the method's).
        doc: the docstring of the ``trigger("name")`` form (default: "Fire the 'name'
            trigger."); unused with a signature.

    Raises:
        InvalidWorkflow: the signature has a positional parameter or no ``actor``.
    """

    name: str

    @overload
    def __new__(cls, name: str, doc: str = "") -> trigger: ...

    @overload
    def __new__(
        cls, name: Callable[Concatenate[Any, P], object], doc: str = ""
    ) -> TypedTrigger[P]: ...

    def __new__(cls, name: str | Callable[..., object], doc: str = "") -> Any:
        if isinstance(name, str):
            self = object.__new__(cls)
            self.name = name
            self.__doc__ = doc or f"Fire the {name!r} trigger."
            return self
        typed = object.__new__(TypedTrigger)
        typed._declare(name)
        return typed

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: Aggregate[Any], owner: type[Any]) -> BoundTrigger: ...

    def __get__(self, obj: Aggregate[Any] | None, owner: type[Any]) -> Self | BoundTrigger:
        if obj is None:
            return self
        return BoundTrigger(obj, self.name)

    def __call__(self, *args: object, **kwargs: object) -> object:
        raise TypeError(f"trigger {self.name!r} must be called on an aggregate instance")


@final
class TypedTrigger(trigger, Generic[P]):
    """A custom trigger whose keyword arguments are declared by a signature.

    Made by :class:`trigger` used as a decorator; on an instance it is a
    :class:`BoundTypedTrigger` with the declared signature (minus ``self``).

    Args:
        name: the function whose signature declares the trigger (as for :class:`trigger`).
        doc: unused (the function's docstring is the method's).
    """

    params: frozenset[str]
    required: tuple[str, ...]
    defaults: dict[str, object]

    def _declare(self, signature: Callable[..., object]) -> None:
        name = str(getattr(signature, "__name__", ""))
        params = list(inspect.signature(signature).parameters.values())[1:]
        problems = [
            f"parameter {p.name!r} must be keyword-only (declare it after `*`)"
            for p in params
            if p.kind is not inspect.Parameter.KEYWORD_ONLY
        ]
        if "actor" not in {p.name for p in params}:
            problems.append("it must declare the keyword-only parameter `actor: Actor`")
        if problems:
            raise InvalidWorkflow(name, [f"trigger {name!r}: {p}" for p in problems])
        self.name = name
        self.params = frozenset(p.name for p in params)
        self.required = tuple(p.name for p in params if p.default is inspect.Parameter.empty)
        self.defaults = {
            p.name: p.default for p in params if p.default is not inspect.Parameter.empty
        }
        self.__doc__ = signature.__doc__ or f"Fire the {name!r} trigger."
        self.__wrapped__ = signature

    def check_arguments(self, args: tuple[object, ...], kwargs: Mapping[str, object]) -> None:
        """Raise :class:`TypeError` unless ``kwargs`` match the declared keywords (internal)."""
        if args:
            raise TypeError(f"{self.name}() takes keyword arguments only")
        unknown = kwargs.keys() - self.params
        missing = [p for p in self.required if p not in kwargs]
        if unknown or missing:
            raise TypeError(
                f"{self.name}() "
                + (f"got unexpected keyword arguments {sorted(unknown)}; " if unknown else "")
                + (f"is missing keyword arguments {missing}; " if missing else "")
                + f"it takes {', '.join(sorted(self.params))}"
            )

    @overload  # type: ignore[override]
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: Aggregate[Any], owner: type[Any]) -> BoundTypedTrigger[P]: ...

    def __get__(self, obj: Aggregate[Any] | None, owner: type[Any]) -> Self | BoundTypedTrigger[P]:
        if obj is None:
            return self
        return BoundTypedTrigger(obj, self)

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if name != self.name:
            raise InvalidWorkflow(
                self.name,
                [f"trigger {self.name!r} is assigned to the attribute {name!r}; use the same name"],
            )
