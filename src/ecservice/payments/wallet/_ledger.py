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
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Money
from ecservice.payments._card_numbers import looks_like_card_number
from ecservice.payments.wallet._errors import FullCardNumberRefused
from ecservice.text import check_optional_text, text

if TYPE_CHECKING:
    import datetime as _dt  # attrs copies ensure_utc's annotation into __init__

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


def _reference(what: str) -> Callable[[object, attrs.Attribute[str], str], None]:
    """An attrs validator: acceptable text (:func:`ecservice.text.text`) and no card number."""
    check = text(what)

    def validate(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        check(instance, attribute, value)
        if looks_like_card_number(value):
            raise FullCardNumberRefused(what)

    return validate


def _positive(what: str) -> Callable[[object, attrs.Attribute[Money], Money], None]:
    def validate(instance: object, attribute: attrs.Attribute[Money], value: Money) -> None:
        if not isinstance(value, Money) or value.amount <= 0:
            raise InvalidAmount(f"{what} must be a positive Money, not {shown(value)}")

    return validate


def _instance(what: str, kind: type) -> Callable[[Any, Any, Any], None]:
    def validate(instance: object, attribute: object, value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"{what} must be a {kind.__name__}, not {shown(value)}")

    return validate


def _seq(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"a ledger entry's seq must be an int from 1, not {shown(value)}")


def _entry_hold_id(
    instance: LedgerEntry, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if instance.kind in (EntryKind.CREDIT, EntryKind.DEBIT):
        if value is not None:
            raise ValidationError(f"a {instance.kind.value} ledger entry has no hold_id")
    elif not isinstance(value, str) or _HOLD_ID.fullmatch(value) is None:
        raise ValidationError(
            f"a {instance.kind.value} ledger entry needs a hold_id like 'H000001', "
            f"not {shown(value)}"
        )


#: The form of a hold id: ``H`` and six or more digits.
_HOLD_ID: Final = re.compile(r"H[0-9]{6,}")


def _utc_or_none(value: _dt.datetime | None) -> DateTime | None:
    """``ensure_utc`` for an optional time (typed, so that ``Hold``'s signature shows it)."""
    return None if value is None else ensure_utc(value)


@final
@attrs.frozen(slots=True)
class LedgerEntry:
    """One change to the wallet's stored value.

    Args:
        seq: position in the ledger, from 1.
        kind: what the entry did (see the module's table).
        amount: the positive amount moved, in the wallet's currency.
        reference: the caller's reference (order number, top-up id, ...; short text without
            surrounding white space, never a card number).
        at: when it happened; an aware datetime, converted to UTC.
        hold_id: the hold it belongs to, for HOLD, CAPTURE and RELEASE entries (``None`` for
            the others).

    Raises:
        ValidationError: a field has the wrong type, ``seq`` is below 1, ``hold_id`` is missing
            for a hold entry (or present for a credit or debit), or the reference is not
            acceptable text (:func:`ecservice.text.check_text`, without surrounding spaces).
        FullCardNumberRefused: the reference contains something shaped like a card number.
        InvalidAmount: ``amount`` is not a positive Money.
    """

    seq: int = attrs.field(validator=_seq)
    kind: EntryKind = attrs.field(validator=_instance("a ledger entry's kind", EntryKind))
    amount: Money = attrs.field(validator=_positive("a ledger entry's amount"))
    reference: str = attrs.field(validator=_reference("a ledger entry's reference"))
    at: DateTime = attrs.field(converter=ensure_utc)
    hold_id: str | None = attrs.field(default=None, validator=_entry_hold_id)

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

    Args:
        hold_id: the wallet's id for the hold: ``H`` and at least six digits (``H000001``, ...).
        amount: the value set aside, positive, in the wallet's currency.
        reference: the caller's reference (short text, never a card number).
        created_at: when the hold was placed; an aware datetime, converted to UTC.
        status: open (the default), captured or released.
        captured: the value captured, above zero and at most ``amount`` (``None`` unless
            captured).
        settled_at: when it was captured or released (UTC, not before ``created_at``);
            ``None`` while open.

    Raises:
        ValidationError: the id is not ``H`` and six digits, the status is not a
            :class:`HoldStatus`, an open hold has a capture or settlement time, a settled one has
            none (or one before ``created_at``), a released one has a captured amount, or the
            reference is not acceptable text.
        FullCardNumberRefused: the reference contains something shaped like a card number.
        InvalidAmount: ``amount`` is not positive, or a captured amount is not above zero and at
            most the hold, in its currency.
    """

    hold_id: str = attrs.field()
    amount: Money = attrs.field(validator=_positive("a hold's amount"))
    reference: str = attrs.field(validator=_reference("a hold's reference"))
    created_at: DateTime = attrs.field(converter=ensure_utc)
    status: HoldStatus = attrs.field(
        default=HoldStatus.OPEN, validator=_instance("a hold's status", HoldStatus)
    )
    captured: Money | None = None
    settled_at: DateTime | None = attrs.field(default=None, converter=_utc_or_none)

    @hold_id.validator
    def _check_hold_id(self, attribute: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str) or _HOLD_ID.fullmatch(value) is None:
            raise ValidationError(f"a hold id looks like 'H000001', not {shown(value)}")

    def __attrs_post_init__(self) -> None:
        if self.status is HoldStatus.OPEN:
            if self.captured is not None or self.settled_at is not None:
                raise ValidationError(f"open hold {self.hold_id} has no capture and no settlement")
            return
        if self.settled_at is None or self.settled_at < self.created_at:
            raise ValidationError(
                f"{self.status.value} hold {self.hold_id} needs a settled_at from its created_at"
            )
        if self.status is HoldStatus.RELEASED:
            if self.captured is not None:
                raise ValidationError(f"released hold {self.hold_id} has no captured amount")
            return
        captured = self.captured
        if (
            not isinstance(captured, Money)
            or captured.currency != self.amount.currency
            or captured.amount <= 0
            or captured > self.amount
        ):
            raise InvalidAmount(
                f"captured hold {self.hold_id} of {self.amount} needs a captured amount above "
                f"zero and at most the hold, in {self.amount.currency.code}, not {shown(captured)}"
            )

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

    Args:
        kind: e-cash or purse.
        reference: opaque id of the coin wallet, coin batch or purse (short text, never a card
            number).
        value: the value last reported for it (never negative).
        label: an optional name for display (at most 80 characters, no line breaks).
    """

    kind: HoldingKind
    reference: str
    value: Money
    label: str = ""

    def __attrs_post_init__(self) -> None:
        for name in ("reference", "label"):
            value = getattr(self, name)
            if isinstance(value, str) and looks_like_card_number(value):
                raise FullCardNumberRefused(f"holding {name}")
        if (
            check_optional_text(self.label, "holding label", limit=80, multiline=False)
            != self.label
        ):
            raise ValidationError("holding label must not start or end with white space")
        text("holding reference")(self, None, self.reference)
        if not isinstance(self.kind, HoldingKind):
            raise ValidationError(f"holding kind must be a HoldingKind, not {shown(self.kind)}")
        if not isinstance(self.value, Money) or self.value.is_negative():
            raise InvalidAmount(
                f"holding value must be a Money of zero or more, not {shown(self.value)}"
            )
