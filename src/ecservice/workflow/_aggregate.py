"""The base of every aggregate that runs a workflow, and typed methods for custom triggers."""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Concatenate,
    Generic,
    ParamSpec,
    Self,
    TypeVar,
    final,
    overload,
)

import attrs

from ecservice.clock import SYSTEM_CLOCK, Clock, FixedClock, SystemClock
from ecservice.errors import (
    EcServiceError,
    InvalidTransition,
    InvalidWorkflow,
    ValidationError,
    WorkflowError,
)
from ecservice.text import LONG_TEXT_MAX, SHORT_TEXT_MAX, check_optional_text
from ecservice.workflow._history import History
from ecservice.workflow._records import Actor, DomainEvent, TransitionRecord

if TYPE_CHECKING:
    from ecservice.workflow._definition import Workflow
    from ecservice.workflow._engine import CompiledWorkflow

__all__ = [
    "Aggregate",
    "BoundTrigger",
    "BoundTypedTrigger",
    "ReadOnlyField",
    "TypedTrigger",
    "bind_workflow",
    "trigger",
]

#: The state type of an aggregate. Covariant: an ``Order[OrderStatus]`` is an
#: ``Order[OrderStatus | QC]`` too, since every state it can be in is one of those.
S_co = TypeVar("S_co", bound=enum.Enum, covariant=True)
AggT = TypeVar("AggT", bound="Aggregate[Any]")
P = ParamSpec("P")
P.__module__ = "ecservice.workflow"  # documented there, with the trigger classes

_SYSTEM = Actor.system()
_EMPTY: tuple[()] = ()
_CLOCKS = frozenset({SystemClock, FixedClock})


class ReadOnlyField(WorkflowError):
    """A kernel-managed field (``status``, ``version``, ``history``) was assigned directly.

    These fields change only when a trigger fires, so that every state change is checked by the
    workflow, recorded in the history and counted in the version.
    """


ReadOnlyField.__module__ = "ecservice.workflow"  # where it is documented and imported from


@final
class _Phase:
    """Where an aggregate is in its construction; kept in its ``_firing`` slot."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


#: ``_firing`` while ``__init__`` runs: the kernel-managed fields may be assigned.
_NEW = _Phase("being built")
#: ``_firing`` while a subclass's own ``__attrs_post_init__`` runs, after the base checks.
_CHECKED = _Phase("checked")


@final
class _Reentered:
    """``_firing`` after a hook or guard tried to fire ``inner`` while ``running`` ran."""

    __slots__ = ("inner", "running")

    def __init__(self, running: str, inner: str) -> None:
        self.running = running
        self.inner = inner


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Aggregate(Generic[S_co]):
    """An aggregate whose ``status`` is driven by a :class:`~ecservice.workflow.Workflow`.

    Subclasses are attrs classes bound to a workflow with :func:`bind_workflow`; declare them with
    ``@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)`` so that hooks
    assign fields at the speed of a plain slot (validators run when an aggregate is built; hooks
    assign values that the trigger methods already checked). They expose one typed method per
    trigger; the methods call :meth:`_fire`. The state lives in the ``status`` field; every
    successful transition appends a :class:`TransitionRecord` to ``history`` and bumps
    ``version``.

    ``S_co`` is the type of the states: ``Aggregate[TicketStatus]``. A subclass bound to a
    derived workflow that adds states from another enum declares the union,
    ``Order[OrderStatus | QC]``, so that ``order.status is QC.QUALITY_CHECK`` type-checks.

    Rules the base class enforces (the source of each is the kernel's own contract, see
    :doc:`/kernel`):

    * **Construction checks** (also when rehydrating from storage): ``status`` is one of the
      bound workflow's states (a ``str`` such as ``"processing"`` is refused); ``version`` is an
      ``int`` >= 0; ``history`` is a tuple (or :class:`~ecservice.workflow.History`) of
      :class:`TransitionRecord` numbered 1..``version`` whose last destination is ``status``;
      ``clock`` has a ``now()`` method. These run whether or not a subclass's own
      ``__attrs_post_init__`` calls ``super()``. Failures raise
      :class:`~ecservice.errors.ValidationError`.
    * **Kernel-managed fields**: assigning ``status``, ``version`` or ``history`` on a built
      aggregate raises :class:`ReadOnlyField`; fire a trigger instead. Other fields may be
      assigned (hooks do).
    * **Immutable field values**: fields hold immutable values (``str``, numbers, tuples, frozen
      attrs classes), so that a failed trigger can restore them. Fields annotated with a mutable
      container (``list``, ``dict``, ``set``...) are deep-copied before hooks run instead, which
      is slower.

    Attributes:
        id: the aggregate's identifier.
        status: the current state.
        version: how many transitions succeeded (for optimistic concurrency).
        history: every transition, oldest first (an immutable sequence).
        clock: where the aggregate reads the time (not part of equality).
    """

    workflow: ClassVar[Workflow[Any]]
    _compiled: ClassVar[CompiledWorkflow[Any]]

    # Declared first so that attrs' __init__ assigns it before the kernel-managed fields, whose
    # setters read it: None when idle, the running trigger's name while one runs.
    _firing: object = attrs.field(default=_NEW, init=False, eq=False, repr=False)
    id: str = attrs.field()
    status: S_co
    version: int = 0
    history: Sequence[TransitionRecord] = ()
    clock: Clock = attrs.field(default=SYSTEM_CLOCK, eq=False, repr=False)
    _events: tuple[DomainEvent, ...] = attrs.field(default=(), init=False, eq=False, repr=False)

    @id.validator
    def _check_id(self, _: attrs.Attribute[str], value: str) -> None:
        # The rules of ecservice.text.check_text for identifiers (isprintable() refuses control,
        # format (bidi overrides included) and surrogate characters), without stripping.
        if (
            type(value) is not str
            or not value
            or len(value) > SHORT_TEXT_MAX
            or not value.isprintable()
            or value.strip() != value
        ):
            shown = f" {value!r}" if type(value) is str and len(value) <= SHORT_TEXT_MAX else ""
            raise ValidationError(
                f"{type(self).__name__} needs an id that is a non-empty str of at most "
                f"{SHORT_TEXT_MAX} printable characters, without surrounding white space, "
                f"got {type(value).__name__}{shown}"
            )

    def __attrs_post_init__(self) -> None:
        if self._firing is _NEW:
            _check_aggregate(self)
        self._firing = None

    @classmethod
    def __attrs_init_subclass__(cls) -> None:
        # A subclass's own __attrs_post_init__ replaces the base one; wrap it so that the base
        # checks run first and the aggregate is sealed after it, whether it calls super() or not.
        own = cls.__dict__.get("__attrs_post_init__")
        if own is None or getattr(own, "_ecservice_checks", False):
            return

        @functools.wraps(own)
        def __attrs_post_init__(self: Aggregate[Any]) -> None:
            if self._firing is _NEW:
                _check_aggregate(self)
                self._firing = _CHECKED
            own(self)
            self._firing = None

        __attrs_post_init__._ecservice_checks = True  # type: ignore[attr-defined]
        cls.__attrs_post_init__ = __attrs_post_init__  # type: ignore[method-assign]

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        # copy, deepcopy and pickle rebuild the aggregate field by field (the attrs-generated
        # __setstate__ would assign the kernel-managed fields of a sealed object).
        cls = type(self)
        names = _state_names(cls)
        return (_rebuild, (cls, names, tuple(getattr(self, n) for n in names)))

    # --- firing ------------------------------------------------------------------------------

    def _fire(
        self, trigger: str, /, *, actor: Actor, note: str = "", **payload: object
    ) -> TransitionRecord:
        """Fire ``trigger``; subclasses wrap this in one typed method per trigger.

        Args:
            trigger: the trigger's name.
            actor: who fires it; must be an :class:`Actor`.
            note: why, free text (at most :data:`~ecservice.text.LONG_TEXT_MAX` characters, no
                control or bidirectional-override characters; surrounding space is stripped).
            payload: the keyword arguments guards and hooks read from the
                :class:`~ecservice.workflow.Context`.

        Returns:
            The :class:`TransitionRecord` appended to ``history``.

        Raises:
            ValidationError: ``actor`` is not an :class:`Actor`, or ``note`` is not acceptable.
            InvalidTransition: the workflow does not allow ``trigger`` in the current state.
            GuardRejected: every candidate transition was rejected by a guard.
            ReentrantTrigger: a trigger of this aggregate is already running (a hook or guard
                fired one); the aggregate is left as it was before the running trigger.
        """
        if type(actor) is not Actor:
            raise _bad_actor(self, trigger, actor)
        if type(note) is not str or (note and not _plain_text(note)):
            note = check_optional_text(note, f"the note of {trigger!r}")
        return self._compiled.fire(self, trigger, actor, note, payload)

    def _ensure_allowed(self, trigger: str) -> None:
        """Raise :class:`~ecservice.errors.InvalidTransition` if ``trigger`` is not allowed now.

        Typed trigger methods call this before validating their arguments, so that a trigger
        fired in the wrong state reports the state rather than an argument problem.
        """
        allowed = self._compiled.allowed.get(self.status, ())
        if trigger not in allowed:
            raise InvalidTransition(trigger, self.status.name, allowed, subject=self._subject())

    def can(self, trigger: str, /, *, actor: Actor | None = None, **kwargs: object) -> bool:
        """Whether calling the trigger's method with these arguments now would succeed.

        If the class has a method ``_prepare_<trigger>(self, *, actor, **kwargs)`` (the typed
        method's argument checks, returning the payload for :meth:`_fire`), it is called with
        ``kwargs``; an :class:`~ecservice.errors.EcServiceError` from it answers ``False``.
        Then the trigger must be allowed in the current state and some candidate's guards must
        pass with that payload. No hook runs and nothing changes. So when ``can`` answers
        ``True``, the same call of the trigger method does not raise (unless a hook raises).

        Args:
            trigger: the trigger's name.
            actor: who would fire it (default: the system); not an :class:`Actor`: ``False``.
            kwargs: the keyword arguments the trigger method would be called with.
        """
        if type(trigger) is not str:
            return False
        compiled = self._compiled
        by_state = compiled.table.get(trigger)
        if by_state is None or self.status not in by_state:
            return False
        if actor is None:
            actor = _SYSTEM
        elif type(actor) is not Actor:  # typed callers cannot get here; untyped ones can
            return False  # type: ignore[unreachable]
        prepare = _preparer(type(self), trigger)
        payload: dict[str, object]
        try:
            payload = dict(prepare(self, actor=actor, **kwargs)) if prepare else dict(kwargs)
            note = payload.pop("note", "")
            if type(note) is not str or note:
                check_optional_text(note, "note")
        except EcServiceError:
            return False
        return compiled.can(self, trigger, actor, payload)

    def allowed_triggers(self) -> tuple[str, ...]:
        """The triggers the workflow allows from the current state (guards not evaluated)."""
        return self._compiled.allowed.get(self.status, ())

    @property
    def is_final(self) -> bool:
        """``True`` when the aggregate is in a final state of its workflow."""
        return self.status in self.workflow.final

    def pull_events(self) -> tuple[DomainEvent, ...]:
        """Return the queued domain events, oldest first, and clear the queue."""
        events = self._events
        self._events = ()
        return events

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """The queued domain events, without clearing them."""
        return self._events

    def _subject(self) -> str:
        return f"{type(self).__name__} {self.id!r}"


# --- kernel-managed fields: read like slots, assigned only by the kernel ---------------------

#: The slot descriptors of the kernel-managed fields; the kernel assigns through these.
RAW_FIELDS: dict[str, Any] = {}


def _read_only(name: str) -> property:
    raw = Aggregate.__dict__[name]
    RAW_FIELDS[name] = raw
    put = raw.__set__

    def assign(obj: Aggregate[Any], value: object) -> None:
        phase = obj._firing
        if phase is _NEW or phase is _CHECKED:
            put(obj, value)
            return
        raise ReadOnlyField(
            f"cannot assign {name!r} of {obj._subject()} directly: {name} changes only when a "
            "trigger fires; call one of its trigger methods (allowed now: "
            f"{', '.join(obj.allowed_triggers()) or 'none'}), or build another object with "
            "attrs.evolve, which checks it"
        )

    return property(raw.__get__, assign, doc=f"The aggregate's {name} (set by the kernel).")


for _name in ("status", "version", "history"):
    setattr(Aggregate, _name, _read_only(_name))
del _name

_STATE_NAMES: dict[type, tuple[str, ...]] = {}


def _state_names(cls: type) -> tuple[str, ...]:
    names = _STATE_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in attrs.fields(cls) if f.name != "_firing")
        _STATE_NAMES[cls] = names
    return names


def _rebuild(cls: type[AggT], names: tuple[str, ...], values: tuple[Any, ...]) -> AggT:
    obj = cls.__new__(cls)
    setter = object.__setattr__
    setter(obj, "_firing", _NEW)
    for name, value in zip(names, values, strict=True):
        setter(obj, name, value)
    setter(obj, "_firing", None)
    return obj


def _check_aggregate(agg: Aggregate[Any]) -> None:
    """The construction checks of :class:`Aggregate` (see its docstring)."""
    cls = type(agg)
    status = agg.status
    try:
        known = status in cls._compiled.allowed
    except AttributeError:  # not bound to a workflow (yet)
        known = isinstance(status, enum.Enum)
    except Exception:  # an unhashable or hostile value
        known = False
    if not known:
        workflow: Workflow[Any] | None = getattr(cls, "workflow", None)
        if workflow is not None:
            kinds = " | ".join(dict.fromkeys(type(s).__name__ for s in workflow.states))
            allowed = ", ".join(s.name for s in workflow.states)
            wanted = f"one of the {kinds} states of workflow {workflow.name!r} ({allowed})"
        else:
            wanted = "an Enum member"
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: status must be {wanted}, not {_describe(status)}"
        )
    version = agg.version
    if type(version) is not int or version < 0:
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: version must be an int >= 0, not {_describe(version)}"
        )
    history = agg.history
    if version == 0 and history is _EMPTY:
        pass
    elif type(history) is not tuple and type(history) is not History:
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: history must be a tuple of TransitionRecord, "
            f"not {type(history).__name__}"
        )
    elif len(history) != version:
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: history has {len(history)} records but version is "
            f"{version if version.bit_length() < 64 else 'above 2**64'}; there is one record per "
            "version"
        )
    else:
        for i, record in enumerate(history, 1):
            if type(record) is not TransitionRecord:
                raise ValidationError(
                    f"{cls.__name__} {agg.id!r}: history item {i} must be a TransitionRecord, "
                    f"not {type(record).__name__}"
                )
            if record.version != i:
                raise ValidationError(
                    f"{cls.__name__} {agg.id!r}: history item {i} has version "
                    f"{record.version!r}; records are numbered 1..{version} in order"
                )
        if history[-1].dest is not status:
            raise ValidationError(
                f"{cls.__name__} {agg.id!r}: status is {status.name} but the last transition "
                f"of its history led to {history[-1].dest.name}"
            )
    clock = agg.clock
    if type(clock) not in _CLOCKS and not callable(getattr(clock, "now", None)):
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: clock must be a Clock (with a now() method), "
            f"not {type(clock).__name__}"
        )


def _plain_text(note: str) -> bool:
    """Whether ``note`` passes :func:`~ecservice.text.check_optional_text` unchanged (fast path:
    printable, so no control, format or surrogate character, short, not padded)."""
    # CPython's strip() returns the string itself when there is nothing to strip; where it does
    # not, the full check runs, which gives the same answer.
    return note.isprintable() and len(note) <= LONG_TEXT_MAX and note.strip() is note


def _describe(value: object) -> str:
    """A short description of a refused value (never a huge or hostile repr)."""
    if isinstance(value, str):
        return f"str {value[:60]!r}" + ("..." if len(value) > 60 else "")
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if type(value) is int:
        return f"int {value}" if value.bit_length() < 64 else "an int of more than 64 bits"
    return type(value).__name__


def _bad_actor(agg: Aggregate[Any], trigger: str, actor: object) -> ValidationError:
    return ValidationError(
        f"cannot {trigger!r} {agg._subject()}: actor must be an Actor (Actor.buyer(id), "
        f"Actor.staff(id), Actor.system(), Actor.carrier(id)), not {type(actor).__name__}"
    )


_PREPARERS: dict[tuple[type, str], Callable[..., Mapping[str, object]] | None] = {}


def _preparer(cls: type, trigger: str) -> Callable[..., Mapping[str, object]] | None:
    """The class's ``_prepare_<trigger>`` method, or ``None`` (cached per class)."""
    key = (cls, trigger)
    try:
        return _PREPARERS[key]
    except KeyError:
        found = getattr(cls, f"_prepare_{trigger}", None)
        _PREPARERS[key] = found
        return found


def bind_workflow(cls: type[AggT], workflow: Workflow[Any]) -> type[AggT]:
    """Bind ``workflow`` to the aggregate class ``cls`` (and its subclasses).

    Every trigger of the workflow must have a method (or a :func:`trigger` descriptor) of the same
    name on ``cls``, and every state must be of the type ``cls`` uses for ``status``.

    Raises:
        InvalidWorkflow: a trigger has no method on ``cls``.
    """
    # A trigger named like the aggregate's own API (``can``, ``pull_events``...) would find that
    # method instead of one that fires the trigger, unless the subclass overrides it.
    missing = [
        t
        for t in workflow.triggers
        if not callable(getattr(cls, t, None))
        or (hasattr(Aggregate, t) and getattr(cls, t) is getattr(Aggregate, t))
    ]
    if missing:
        raise InvalidWorkflow(
            workflow.name,
            [
                f"trigger {t!r} has no method on {cls.__name__}; add a typed method that calls "
                f"self._fire({t!r}, ...) or declare `{t} = trigger({t!r})`"
                for t in missing
            ],
        )
    from ecservice.workflow._definition import compiled

    cls.workflow = workflow
    cls._compiled = compiled(workflow)
    _PREPARERS.clear()
    return cls


# --- custom triggers ------------------------------------------------------------------------------


@final
class BoundTrigger:
    """A custom trigger declared with ``trigger("name")``, bound to an aggregate."""

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

    def can(self, *, actor: Actor | None = None, **payload: object) -> bool:
        """Whether calling the trigger with these arguments now would succeed
        (see :meth:`Aggregate.can`)."""
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

        Raises:
            TypeError: a positional argument, an unknown keyword or a missing one.
        """
        declared = self._trigger
        declared.check_arguments(args, kwargs)
        arguments: dict[str, Any] = dict(kwargs)
        if _preparer(type(self._aggregate), declared.name) is None:
            arguments = {**declared.defaults, **arguments}
        return self._aggregate.can(declared.name, **arguments)

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
