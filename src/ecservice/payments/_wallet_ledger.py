"""The wallet's books: ledger entries, holds (authorisations) and external holdings.

Stored value has two columns per currency, *available* and *held*. Every change is one
:class:`LedgerEntry` whose kind fixes how it moves the columns (amounts are always positive):

========  ===============  ============
kind      available        held
========  ===============  ============
CREDIT    ``+ amount``
DEBIT     ``- amount``
HOLD      ``- amount``     ``+ amount``
CAPTURE                    ``- amount``
RELEASE   ``+ amount``     ``- amount``
========  ===============  ============

So, per currency, ``available`` is the sum of the entries' :attr:`~LedgerEntry.available_delta`,
``held`` the sum of their :attr:`~LedgerEntry.held_delta`, and ``available + held`` the sum of
their :attr:`~LedgerEntry.net`: credits minus debits minus captures.

>>> EntryKind.HOLD.deltas
(-1, 1)
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, final

import attrs
from pendulum import DateTime

from ecservice.clock import ensure_utc
from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Money
from ecservice.payments._wallet_cards import looks_like_card_number
from ecservice.payments._wallet_errors import FullCardNumberRefused

if TYPE_CHECKING:
    import datetime as _dt  # noqa: F401  (attrs copies ensure_utc's annotation into __init__)

__all__ = [
    "EntryKind",
    "Hold",
    "HoldStatus",
    "Holding",
    "HoldingKind",
    "LedgerEntry",
]


class EntryKind(enum.Enum):
    """What a ledger entry did to the available and held columns."""

    CREDIT = "credit"
    DEBIT = "debit"
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"

    @property
    def deltas(self) -> tuple[int, int]:
        """The signs applied to (available, held), such as ``(-1, 1)`` for ``HOLD``."""
        return _DELTAS[self]


_DELTAS: dict[EntryKind, tuple[int, int]] = {
    EntryKind.CREDIT: (1, 0),
    EntryKind.DEBIT: (-1, 0),
    EntryKind.HOLD: (-1, 1),
    EntryKind.CAPTURE: (0, -1),
    EntryKind.RELEASE: (1, -1),
}


@final
@attrs.frozen(slots=True)
class LedgerEntry:
    """One change to the wallet's stored value.

    Attributes:
        seq: position in the ledger, from 1.
        kind: what the entry did (see the module's table).
        amount: the positive amount moved.
        reference: the caller's reference (order number, top-up id, ...).
        at: when it happened (UTC).
        hold_id: the hold it belongs to, for HOLD, CAPTURE and RELEASE entries.
    """

    seq: int
    kind: EntryKind
    amount: Money
    reference: str
    at: DateTime = attrs.field(converter=ensure_utc)
    hold_id: str | None = None

    @property
    def available_delta(self) -> Money:
        """How this entry changed the available column."""
        return self.amount * self.kind.deltas[0]

    @property
    def held_delta(self) -> Money:
        """How this entry changed the held column."""
        return self.amount * self.kind.deltas[1]

    @property
    def net(self) -> Money:
        """How this entry changed ``available + held``."""
        return self.amount * sum(self.kind.deltas)


class HoldStatus(enum.Enum):
    """Where a hold is: still open, or settled by a capture or a release."""

    OPEN = "open"
    CAPTURED = "captured"
    RELEASED = "released"


@final
@attrs.frozen(slots=True)
class Hold:
    """An authorisation: value set aside for a payee until it is captured or released.

    Attributes:
        hold_id: the wallet's id for the hold (``H000001``, ...).
        amount: the value set aside.
        reference: the caller's reference.
        created_at: when the hold was placed (UTC).
        status: open, captured or released.
        captured: the value captured (``None`` unless captured).
        settled_at: when it was captured or released.
    """

    hold_id: str
    amount: Money
    reference: str
    created_at: DateTime = attrs.field(converter=ensure_utc)
    status: HoldStatus = HoldStatus.OPEN
    captured: Money | None = None
    settled_at: DateTime | None = None

    @property
    def is_open(self) -> bool:
        """``True`` while the value is still held."""
        return self.status is HoldStatus.OPEN

    @property
    def released(self) -> Money:
        """The value given back to available (all of it on release, the rest on capture)."""
        if self.status is HoldStatus.OPEN:
            return Money.zero(self.amount.currency)
        return self.amount - (self.captured or Money.zero(self.amount.currency))


class HoldingKind(enum.Enum):
    """The kind of value an external holding refers to."""

    ECASH = "ecash"
    PURSE = "purse"


@final
@attrs.frozen(slots=True)
class Holding:
    """A reference to value the wallet carries but does not keep the books of.

    E-cash coins (kept by an e-cash coin wallet) and stored-value purses (Mondex) live in their
    own objects; the wallet records only an opaque reference and the last value reported, so that
    it can show the owner what they hold without depending on those objects' internals.

    Attributes:
        kind: e-cash or purse.
        reference: opaque id of the coin wallet, coin batch or purse.
        value: the value last reported for it (never negative).
        label: an optional name for display.
    """

    kind: HoldingKind
    reference: str
    value: Money
    label: str = ""

    def __attrs_post_init__(self) -> None:
        for name in ("reference", "label"):
            text = getattr(self, name)
            if not isinstance(text, str):
                raise ValidationError(f"holding {name} must be a str, not {type(text).__name__}")
            if looks_like_card_number(text):
                raise FullCardNumberRefused(f"holding {name}")
        if not self.reference.strip() or len(self.reference) > 200:
            raise ValidationError("holding reference must have 1 to 200 characters")
        if not isinstance(self.kind, HoldingKind):
            raise ValidationError(f"holding kind must be a HoldingKind, not {self.kind!r}")
        if not isinstance(self.value, Money) or self.value.is_negative():
            raise InvalidAmount(
                f"holding value must be a Money of zero or more, not {self.value!r}"
            )
