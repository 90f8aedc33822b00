"""Values shared by every workflow: actors, transition records, labelled states, domain events."""

from __future__ import annotations

import enum
from typing import Any, final

import attrs
from pendulum import DateTime

from ecservice.errors import ValidationError

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

    >>> Actor.staff("li.na")
    Actor(kind=<ActorKind.STAFF: 'staff'>, id='li.na')
    """

    kind: ActorKind
    id: str = attrs.field()

    @id.validator
    def _check_id(self, _: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"an actor needs a non-empty id, got {value!r}")

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
@attrs.frozen(slots=True)
class TransitionRecord:
    """One entry of an aggregate's history: what happened, from which state to which, when, by whom.

    ``source == dest`` for an internal transition (one that changes data but not the state).
    ``version`` is the aggregate's version after the transition.
    """

    trigger: str
    source: enum.Enum
    dest: enum.Enum
    at: DateTime
    actor: Actor
    note: str
    version: int

    @property
    def internal(self) -> bool:
        """``True`` when the transition kept the state."""
        return self.source is self.dest


@attrs.frozen(slots=True, kw_only=True)
class DomainEvent:
    """Base class of domain events: frozen, named in the past tense, ``occurred_at`` in UTC.

    Aggregates queue events as their transitions succeed; the caller collects them with
    ``pull_events()`` (for example to write them to an outbox in the same database transaction).
    """

    aggregate_id: str
    occurred_at: DateTime
    actor: Actor

    def describe(self) -> dict[str, Any]:
        """The event as a plain dict (for logs and outboxes)."""
        return {"type": type(self).__name__, **attrs.asdict(self, recurse=False)}
