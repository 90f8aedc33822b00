"""The base of every aggregate that runs a workflow, and how a workflow is bound to its class."""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, final

import attrs

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import (
    EcServiceError,
    InvalidTransition,
    InvalidWorkflow,
    ReadOnlyField,
    ValidationError,
)
from ecservice.text import SHORT_TEXT_MAX, check_optional_text
from ecservice.workflow._checks import _bad_actor, _check_aggregate, _plain_text
from ecservice.workflow._records import Actor, DomainEvent, TransitionRecord

if TYPE_CHECKING:
    from ecservice.workflow._definition import Workflow
    from ecservice.workflow._engine import CompiledWorkflow

__all__ = ["Aggregate", "bind_workflow"]

#: The state type of an aggregate. Covariant: an ``Order[OrderStatus]`` is an
#: ``Order[OrderStatus | QC]`` too, since every state it can be in is one of those.
S_co = TypeVar("S_co", bound=enum.Enum, covariant=True)
AggT = TypeVar("AggT", bound="Aggregate[Any]")

_SYSTEM = Actor.system()


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
      :class:`TransitionRecord` numbered 1..``version`` that the workflow can have produced: an
      empty one (version 0) means ``status`` is the initial state; otherwise each record is a
      transition the workflow declares for its trigger, starts where the previous one ended (the
      first in the initial state), has an :class:`Actor` and an aware time no earlier than the
      previous one, and the last ends in ``status``; ``clock`` has a ``now()`` method. Firing
      keeps that order: a clock behind the last record's instant (set back, or another
      machine's clock running behind) records the last record's instant. These run
      whether or not a subclass's own ``__attrs_post_init__`` calls ``super()``. Failures raise
      :class:`~ecservice.errors.ValidationError`.
    * **Kernel-managed fields**: assigning ``status``, ``version`` or ``history`` on a built
      aggregate raises :class:`ReadOnlyField`; fire a trigger instead. Other fields may be
      assigned (hooks do).
    * **Immutable field values**: fields hold immutable values (``str``, numbers, tuples, frozen
      attrs classes), so that a failed trigger can restore them. A field annotated with a mutable
      container (``list``, ``dict``, ``set``...) is copied on write instead, which is slower:
      before hooks run the aggregate gets a deep copy and the original is kept for the rollback,
      so hooks never change a container that a copy (``attrs.evolve``) shares.

    Args:
        id: the aggregate's identifier: non-empty printable text of at most
            :data:`~ecservice.text.SHORT_TEXT_MAX` characters, without surrounding white space.
        status: the current state, a member of the bound workflow's states (a new aggregate
            starts in the workflow's initial state).
        version: how many transitions succeeded (for optimistic concurrency); 0 for a new one.
        history: every transition, oldest first (an immutable sequence of ``version`` records).
        clock: where the aggregate reads the time (not part of equality); the system clock by
            default.
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

    def _fire_prepared(
        self, trigger: str, actor: Actor, payload: Mapping[str, object]
    ) -> TransitionRecord:
        """:meth:`_fire` with the keyword arguments as one dict, as ``_prepare_<trigger>`` returns
        them: ``self._fire_prepared("ship", actor, self._prepare_ship(...))`` is
        ``self._fire("ship", actor=actor, **self._prepare_ship(...))`` without unpacking and
        repacking the payload. The dict is taken over (its ``note`` is removed); the actor and
        the note are checked as :meth:`_fire` checks them, and it raises what :meth:`_fire`
        raises.
        """
        if type(payload) is not dict:  # a subclass's _prepare_<trigger> may return a Mapping
            payload = dict(payload)
        note = payload.pop("note", "")
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

    def can(self, trigger: str, /, *, actor: Actor = _SYSTEM, **kwargs: object) -> bool:
        """Whether calling the trigger's method with these arguments now would succeed.

        The answer is ``False`` when the call would raise for any of these reasons:

        * a trigger of this aggregate is running (``can`` is called from a guard or hook, where
          the call would raise :class:`~ecservice.errors.ReentrantTrigger`);
        * ``actor`` is given but is not an :class:`Actor` (``actor=None`` included, unless the
          trigger method's own ``actor`` defaults to ``None``, as ``Order.auto_confirm``'s does);
        * the keywords do not fit the trigger method's signature: one it does not take (a
          misspelt one), or a required keyword-only one left out (such as ``idempotency_key``).
          A parameter the method also takes by position (a payment's ``gateway``, an order's
          ``skus``) may be left out; the class's ``_prepare_<trigger>`` decides whether that is
          an answer (orders: ``False``; payments: ``can`` is asked without the gateway);
        * the class has a method ``_prepare_<trigger>(self, *, actor, **kwargs)`` (the typed
          method's argument checks, returning the payload for :meth:`_fire`) and it raises an
          :class:`~ecservice.errors.EcServiceError`, or ``note`` is not acceptable text;
        * the workflow does not allow the trigger in the current state, or every candidate
          transition is rejected by a guard evaluated with that payload. The guards run with
          the aggregate marked busy, as during the call: a guard that fires a trigger of this
          aggregate gets :class:`~ecservice.errors.ReentrantTrigger` (nothing changes) and the
          answer is ``False``. A guard raising an :class:`~ecservice.errors.EcServiceError`
          answers ``False``.

        No hook runs and nothing changes. So when ``can(trigger, actor=a, **kwargs)`` answers
        ``True``, ``aggregate.<trigger>(actor=a, **kwargs)`` (``actor=Actor.system()`` when
        ``actor`` is left out) does not raise, except for errors raised by the transition's hooks
        (``prepare`` hooks do not run in ``can``), by the code of the trigger method after its
        ``_prepare_<trigger>`` (a payment gateway that declines or cannot be reached), or by a
        guard whose answer changed in between (the clock moved).

        Args:
            trigger: the trigger's name.
            actor: who would fire it; left out: :meth:`Actor.system`. Anything that is not an
                :class:`Actor` answers ``False``, as the call would fail; ``None`` too, unless
                the trigger method accepts ``actor=None``.
            kwargs: the keyword arguments the trigger method would be called with.
        """
        if type(trigger) is not str or self._firing is not None:
            return False
        compiled = self._compiled
        by_state = compiled.table.get(trigger)
        if by_state is None or self.status not in by_state:
            return False
        shape = _call_shape(type(self), trigger)
        if type(actor) is not Actor:  # typed callers cannot get here; untyped ones can
            if actor is not None or not shape.actor_optional:  # type: ignore[unreachable]
                return False
            actor = _SYSTEM  # the method picks its own actor for None: any actor will do here
        if not shape.fits(kwargs):
            return False
        prepare = shape.prepare
        payload: dict[str, object]
        try:
            if prepare is not None:
                payload = dict(prepare(self, actor=actor, **kwargs))
            else:
                payload = {**shape.defaults, **kwargs}
            note = payload.pop("note", "")
            if type(note) is not str or note:
                check_optional_text(note, "note")
        except EcServiceError:
            return False
        # Marked busy as during the call, so that a guard firing a trigger of this aggregate gets
        # ReentrantTrigger (and changes nothing) and the answer agrees with the call.
        self._firing = trigger
        try:
            allowed = compiled.can(self, trigger, actor, payload)
        finally:
            reentered = self._firing is not trigger
            self._firing = None
        return allowed and not reentered

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


class _KernelField(property):
    """A kernel-managed field: read at the speed of its slot, assigned only by the kernel.

    Reading calls the slot's own ``__get__`` (no Python frame); :attr:`fget` shows
    introspection (``inspect``, the API pages) an equivalent function annotated with the field's
    type.
    """

    def __init__(
        self,
        get: Callable[[Any], Any],
        put: Callable[[Any, Any], None],
        typed: Callable[[Any], Any],
        doc: str,
    ) -> None:
        super().__init__(get, put, doc=doc)
        self.__doc__ = doc  # else the class's docstring shadows it
        self._typed = typed

    @property
    def fget(self) -> Callable[[Any], Any]:  # type: ignore[override]
        """The getter, as a function annotated with the field's type."""
        return self._typed


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

    get = raw.__get__

    def read(obj: Aggregate[Any]) -> Any:
        return get(obj)

    # The field's own type, so that the API pages show ``status: S_co``, ``version: int``...
    # Only the return type: a documented parameter would show on the property's page.
    read.__annotations__ = {"return": Aggregate.__annotations__[name]}
    return _KernelField(get, assign, read, f"The aggregate's {name} (set by the kernel).")


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


@final
class _CallShape:
    """What :meth:`Aggregate.can` knows of one trigger method's signature (cached per class).

    Attributes:
        names: the keywords the method takes besides ``actor`` (``None``: any keyword).
        required: its required keyword-only parameters besides ``actor``.
        defaults: the declared defaults a ``@trigger`` signature adds to the payload when the
            class has no ``_prepare_<trigger>`` (as calling it does).
        prepare: the class's ``_prepare_<trigger>``, or ``None``.
        actor_optional: the method's ``actor`` defaults to ``None`` (it then picks its own actor,
            as ``Order.auto_confirm`` does), so ``actor=None`` is a valid call.
    """

    __slots__ = ("actor_optional", "defaults", "names", "prepare", "required")

    def __init__(
        self,
        names: frozenset[str] | None,
        required: tuple[str, ...],
        defaults: Mapping[str, object],
        prepare: Callable[..., Mapping[str, object]] | None,
        actor_optional: bool = False,
    ) -> None:
        self.names = names
        self.required = required
        self.defaults = defaults
        self.prepare = prepare
        self.actor_optional = actor_optional

    def fits(self, kwargs: Mapping[str, object]) -> bool:
        """Whether ``kwargs`` (and an actor) bind to the method's signature."""
        names = self.names
        if names is not None and not names.issuperset(kwargs):
            return False
        return all(name in kwargs for name in self.required)


_SHAPES: dict[tuple[type, str], _CallShape] = {}


def _call_shape(cls: type, trigger: str) -> _CallShape:
    key = (cls, trigger)
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _SHAPES[key] = _read_shape(cls, trigger)
    return shape


def _read_shape(cls: type, trigger: str) -> _CallShape:
    from ecservice.workflow._triggers import TypedTrigger
    from ecservice.workflow._triggers import trigger as untyped

    prepare = _preparer(cls, trigger)
    method = inspect.getattr_static(cls, trigger, None)
    if isinstance(method, TypedTrigger):
        return _CallShape(
            method.params - {"actor"},
            tuple(p for p in method.required if p != "actor"),
            {} if prepare is not None else dict(method.defaults),
            prepare,
        )
    if isinstance(method, untyped):  # trigger("name"): any keyword
        return _CallShape(None, (), {}, prepare)
    try:
        params = list(inspect.signature(getattr(cls, trigger)).parameters.values())
    except (TypeError, ValueError):  # no signature to read: leave it to the preparer
        return _CallShape(None, (), {}, prepare)
    if params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        params = params[1:]  # self
    if any(p.kind is p.VAR_KEYWORD for p in params):
        names: frozenset[str] | None = None
    else:
        names = frozenset(
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "actor"
        )
    required = tuple(
        p.name
        for p in params
        if p.kind is p.KEYWORD_ONLY and p.default is p.empty and p.name != "actor"
    )
    actor_optional = any(p.name == "actor" and p.default is None for p in params)
    return _CallShape(names, required, {}, prepare, actor_optional)


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
    _SHAPES.clear()
    return cls
