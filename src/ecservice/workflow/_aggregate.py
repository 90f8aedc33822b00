"""The base of every aggregate that runs a workflow, and typed methods for custom triggers."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar, final, overload

import attrs

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import InvalidTransition, InvalidWorkflow, ValidationError
from ecservice.workflow._records import Actor, DomainEvent, TransitionRecord

if TYPE_CHECKING:
    from ecservice.workflow._definition import Workflow
    from ecservice.workflow._engine import CompiledWorkflow

__all__ = ["Aggregate", "BoundTrigger", "bind_workflow", "trigger"]

S = TypeVar("S", bound=enum.Enum)
AggT = TypeVar("AggT", bound="Aggregate[Any]")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Aggregate(Generic[S]):
    """An aggregate whose ``status`` is driven by a :class:`~ecservice.workflow.Workflow`.

    Subclasses are attrs classes bound to a workflow with :func:`bind_workflow`; declare them with
    ``@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)`` so that hooks
    assign fields at the speed of a plain slot (validators run when an aggregate is built; hooks
    assign values that the trigger methods already checked). They expose one typed method per
    trigger; the methods call :meth:`_fire`. The state lives in the ``status`` field; every
    successful transition appends a :class:`TransitionRecord` to ``history`` and bumps
    ``version``.

    Attributes:
        id: the aggregate's identifier.
        status: the current state.
        version: how many transitions succeeded (for optimistic concurrency).
        history: every transition, oldest first.
        clock: where the aggregate reads the time (not part of equality).
    """

    workflow: ClassVar[Workflow[Any]]
    _compiled: ClassVar[CompiledWorkflow[Any]]

    id: str = attrs.field()
    status: S
    version: int = 0
    history: tuple[TransitionRecord, ...] = ()
    clock: Clock = attrs.field(default=SYSTEM_CLOCK, eq=False, repr=False)
    _events: tuple[DomainEvent, ...] = attrs.field(default=(), init=False, eq=False, repr=False)

    @id.validator
    def _check_id(self, _: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValidationError(f"{type(self).__name__} needs a non-empty str id, got {value!r}")

    # --- firing ------------------------------------------------------------------------------

    def _fire(
        self, trigger: str, /, *, actor: Actor, note: str = "", **payload: object
    ) -> TransitionRecord:
        """Fire ``trigger``; subclasses wrap this in one typed method per trigger."""
        return self._compiled.fire(self, trigger, actor, note, payload)

    def _ensure_allowed(self, trigger: str) -> None:
        """Raise :class:`~ecservice.errors.InvalidTransition` if ``trigger`` is not allowed now.

        Typed trigger methods call this before validating their arguments, so that a trigger
        fired in the wrong state reports the state rather than an argument problem.
        """
        if trigger not in self._compiled.allowed.get(self.status, ()):
            raise InvalidTransition(
                trigger,
                self.status.name,
                self._compiled.allowed.get(self.status, ()),
                subject=self._subject(),
            )

    def can(self, trigger: str, /, *, actor: Actor | None = None, **payload: object) -> bool:
        """Whether ``trigger`` is allowed now and its guards would pass with ``payload``.

        Hooks do not run; guards that read the payload need the same keyword arguments the
        trigger method takes.
        """
        return self._compiled.can(self, trigger, actor or Actor.system(), payload)

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
    return cls


@final
class BoundTrigger:
    """A custom trigger bound to an aggregate: call it to fire the trigger."""

    __slots__ = ("_aggregate", "_name")

    def __init__(self, aggregate: Aggregate[Any], name: str) -> None:
        self._aggregate = aggregate
        self._name = name

    def __call__(self, *, actor: Actor, note: str = "", **payload: object) -> TransitionRecord:
        """Fire the trigger; returns the history record of the transition."""
        return self._aggregate._fire(self._name, actor=actor, note=note, **payload)

    def can(self, **payload: object) -> bool:
        """Whether the trigger is allowed now and its guards pass."""
        agg = self._aggregate
        return agg._compiled.can(agg, self._name, Actor.system(), payload)

    def __repr__(self) -> str:
        return f"<trigger {self._name!r} of {self._aggregate._subject()}>"


@final
class trigger:
    """Declare a typed method for a custom trigger on an aggregate subclass.

    >>> # class InspectedOrder(Order):
    >>> #     inspect = trigger("inspect", "Quality inspection passed.")
    >>> # order.inspect(actor=Actor.staff("qa-7"), note="ok")  -> TransitionRecord
    """

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc or f"Fire the {name!r} trigger."

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: Aggregate[Any], owner: type[Any]) -> BoundTrigger: ...

    def __get__(self, obj: Aggregate[Any] | None, owner: type[Any]) -> Self | BoundTrigger:
        if obj is None:
            return self
        return BoundTrigger(obj, self.name)

    def __call__(self, *args: object, **kwargs: object) -> object:  # pragma: no cover
        raise TypeError(f"trigger {self.name!r} must be called on an aggregate instance")
