"""Values shared by every workflow: actors, transition records, labelled states, domain events."""

from __future__ import annotations

import enum
from typing import Any, final

import attrs
from pendulum import DateTime

from ecservice.errors import ValidationError
from ecservice.text import check_text

__all__ = ["Actor", "ActorKind", "DomainEvent", "LabelledState", "TransitionRecord"]


class LabelledState(enum.Enum):
    """Base for state enums whose members carry an English and a Simplified Chinese label.

    Members are declared as ``NAME = ("value", "English label", "中文标签")``; the member's
    ``value`` is the first item.

    >>> class Light(LabelledState):
    ...     ON = ("on", "On", "开")
    ...     OFF = ("off", "Off", "关")
    >>> Light.ON.value, Light.ON.label_en, Light.ON.label_zh
    ('on', 'On', '开')
    """

    label_en: str
    label_zh: str

    # Members are singletons compared by identity, so the identity hash is consistent with
    # equality; it is several times cheaper than Enum's (which hashes the name in Python), and
    # the kernel looks states up in dicts on every trigger.
    __hash__ = object.__hash__

    def __new__(cls, value: str, label_en: str, label_zh: str) -> LabelledState:
        member = object.__new__(cls)
        member._value_ = value
        member.label_en = label_en
        member.label_zh = label_zh
        return member

    def label(self, locale: str = "en") -> str:
        """The label in ``locale``: ``"zh"``/``"zh_CN"`` gives Chinese, anything else English."""
        return self.label_zh if locale.lower().startswith("zh") else self.label_en

    def __str__(self) -> str:
        return str(self.value)


def state_label(state: enum.Enum, locale: str = "en") -> str:
    """A human label for any state member (labelled or not)."""
    if isinstance(state, LabelledState):
        return state.label(locale)
    return str(state.name).replace("_", " ").lower()


class ActorKind(enum.Enum):
    """Who performed a transition."""

    BUYER = "buyer"
    STAFF = "staff"
    SYSTEM = "system"
    CARRIER = "carrier"


@final
@attrs.frozen(slots=True)
class Actor:
    """Who did something: a buyer, a staff member, the system (a scheduled job) or a carrier.

    Args:
        kind: which kind of actor (buyer, staff, system, carrier).
        id: the shop's identifier for them: text of at most
            :data:`~ecservice.text.SHORT_TEXT_MAX` characters, without surrounding white space.

    >>> Actor.staff("li.na")
    Actor(kind=<ActorKind.STAFF: 'staff'>, id='li.na')
    """

    kind: ActorKind
    id: str = attrs.field()

    @id.validator
    def _check_id(self, _: attrs.Attribute[str], value: str) -> None:
        # check_text's rules for identifiers (no stripping: the id is stored as given).
        checked = check_text(value, "an actor's id")
        if checked != value:
            raise ValidationError(
                "an actor's id must not start or end with white space, got " + repr(value[:80])
            )

    @classmethod
    def buyer(cls, id: str) -> Actor:
        """A buyer (customer) with the shop's id for them."""
        return cls(ActorKind.BUYER, id)

    @classmethod
    def staff(cls, id: str) -> Actor:
        """A staff member (customer service, warehouse, ...)."""
        return cls(ActorKind.STAFF, id)

    @classmethod
    def system(cls, id: str = "system") -> Actor:
        """The system itself: a scheduled job or an automatic rule."""
        return cls(ActorKind.SYSTEM, id)

    @classmethod
    def carrier(cls, id: str) -> Actor:
        """A logistics carrier reporting through an integration."""
        return cls(ActorKind.CARRIER, id)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"


@final
class TransitionRecord:
    """One entry of an aggregate's history: what happened, from which state to which, when, by whom.

    ``source == dest`` for an internal transition (one that changes data but not the state).
    ``version`` is the aggregate's version after the transition. Records are immutable values:
    assigning an attribute raises :class:`AttributeError`; two records are equal when all seven
    attributes are. The kernel builds one per transition, so the class is a plain slotted one
    whose attributes are read-only properties (building it costs what a bare slotted object
    does), not an attrs class.

    Args:
        trigger: the trigger's name.
        source: the state before the transition.
        dest: the state after it (``source`` for an internal transition).
        at: when it happened, in UTC (read from the aggregate's clock).
        actor: who fired the trigger.
        note: why (free text, possibly empty).
        version: the aggregate's version after the transition (1 for the first one).
    """

    __slots__ = ("_actor", "_at", "_dest", "_note", "_source", "_trigger", "_version")
    __match_args__ = ("trigger", "source", "dest", "at", "actor", "note", "version")

    def __init__(
        self,
        trigger: str,
        source: enum.Enum,
        dest: enum.Enum,
        at: DateTime,
        actor: Actor,
        note: str,
        version: int,
    ) -> None:
        self._trigger = trigger
        self._source = source
        self._dest = dest
        self._at = at
        self._actor = actor
        self._note = note
        self._version = version

    @property
    def trigger(self) -> str:
        """The trigger's name."""
        return self._trigger

    @property
    def source(self) -> enum.Enum:
        """The state before the transition."""
        return self._source

    @property
    def dest(self) -> enum.Enum:
        """The state after the transition (``source`` for an internal one)."""
        return self._dest

    @property
    def at(self) -> DateTime:
        """When the transition happened, in UTC."""
        return self._at

    @property
    def actor(self) -> Actor:
        """Who fired the trigger."""
        return self._actor

    @property
    def note(self) -> str:
        """Why (free text, possibly empty)."""
        return self._note

    @property
    def version(self) -> int:
        """The aggregate's version after the transition."""
        return self._version

    @property
    def internal(self) -> bool:
        """``True`` when the transition kept the state."""
        return self.source is self.dest

    def _values(self) -> tuple[Any, ...]:
        return (
            self._trigger,
            self._source,
            self._dest,
            self._at,
            self._actor,
            self._note,
            self._version,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not TransitionRecord:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return (
            f"TransitionRecord(trigger={self._trigger!r}, source={self._source!r}, "
            f"dest={self._dest!r}, at={self._at!r}, actor={self._actor!r}, "
            f"note={self._note!r}, version={self._version!r})"
        )

    def __reduce__(self) -> tuple[type[TransitionRecord], tuple[Any, ...]]:
        return (TransitionRecord, self._values())


@attrs.frozen(slots=True, kw_only=True)
class DomainEvent:
    """Base class of domain events: frozen, named in the past tense, ``occurred_at`` in UTC.

    Aggregates queue events as their transitions succeed; the caller collects them with
    ``pull_events()`` (for example to write them to an outbox in the same database transaction).

    Args:
        aggregate_id: the id of the aggregate the event happened to.
        occurred_at: when it happened, in UTC (the time of the transition that queued it).
        actor: who fired the trigger.
    """

    aggregate_id: str
    occurred_at: DateTime
    actor: Actor

    def describe(self) -> dict[str, Any]:
        """The event as a plain dict (for logs and outboxes)."""
        return {"type": type(self).__name__, **attrs.asdict(self, recurse=False)}
