"""The checks of a purse rebuilt from storage: its protocol state, logs and records.

:meth:`Purse.restore <ecservice.payments.mondex.Purse.restore>` (which documents the rules) runs
:func:`restored_state` after the constructor has checked the id, balances, limits and sequence
number; it checks everything else and returns the values to install, so a purse that fails a
check is never built.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments.mondex._messages import PaymentDetails, check_seq
from ecservice.payments.mondex._purse_workflow import PurseStatus
from ecservice.payments.mondex._rates import ROUNDING_MODES, Conversion, exact_product

if TYPE_CHECKING:
    from ecservice.payments.mondex._purse import Purse

__all__ = ["RestoredState", "restored_state"]

_T = TypeVar("_T")


@attrs.frozen
class RestoredState:
    """The checked state of a restored purse, ready to install."""

    status: PurseStatus
    payment: PaymentDetails | None
    exception_log: list[PaymentDetails]
    conversions: list[Conversion]
    recovered: set[PaymentDetails]
    version: int


def _items(values: Iterable[_T], what: str, kind: type) -> list[_T]:
    given: object = values  # storage may hand over anything
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(f"{what} must be a sequence, not {type(given).__name__}")
    found = list(values)
    for item in found:
        if not isinstance(item, kind):
            raise ValidationError(
                f"each of {what} must be a {kind.__name__}, not {type(item).__name__}"
            )
    return found


def _own_seq(purse: Purse, details: PaymentDetails, what: str) -> int:
    """The sequence number ``purse`` used for ``details``; it must have been handed out."""
    if details.from_purse == purse.id:
        seq = details.from_seq
    elif details.to_purse == purse.id:
        seq = details.to_seq
    else:
        raise ValidationError(
            f"purse {purse.id!r}: {what} {details} names neither this purse as payer nor as payee"
        )
    if seq >= purse.next_seq:
        raise ValidationError(
            f"purse {purse.id!r}: {what} {details} uses sequence number {seq}, but the purse "
            f"has handed out only the numbers below {purse.next_seq}"
        )
    return seq


def _check_payment(purse: Purse, status: PurseStatus, payment: object) -> PaymentDetails | None:
    if status is PurseStatus.IDLE:
        if payment is not None:
            raise ValidationError(
                f"purse {purse.id!r} is idle, so it has no current payment, not {shown(payment)}"
            )
        return None
    if not isinstance(payment, PaymentDetails):
        raise ValidationError(
            f"purse {purse.id!r} is {status.value}: it needs its current payment as "
            f"PaymentDetails, not {type(payment).__name__}"
        )
    payer = status in (PurseStatus.EXPECTING_REQ, PurseStatus.EXPECTING_ACK)
    side, seq = ("payer", payment.from_seq) if payer else ("payee", payment.to_seq)
    if (payment.from_purse if payer else payment.to_purse) != purse.id:
        raise ValidationError(
            f"purse {purse.id!r} is {status.value}, so it is the {side} of its current payment, "
            f"but the payment is {payment}"
        )
    if seq != purse.next_seq - 1:
        raise ValidationError(
            f"purse {purse.id!r}: its current payment {payment} must use the last sequence "
            f"number it handed out ({purse.next_seq - 1}), not {seq}"
        )
    if status is PurseStatus.EXPECTING_REQ:
        held = purse.balance(payment.value.currency)
        if held < payment.value:
            raise ValidationError(
                f"purse {purse.id!r} waits to pay {payment.value} but holds only {held}: "
                "a payer keeps the value from start_from until it debits it"
            )
    return payment


def _check_log(purse: Purse, entries: list[PaymentDetails]) -> None:
    seen: set[PaymentDetails] = set()
    used: set[int] = set()
    for entry in entries:
        seq = _own_seq(purse, entry, "exception log entry")
        if entry in seen or seq in used:
            raise ValidationError(
                f"purse {purse.id!r} logs payment {entry} twice, or two payments with its "
                f"sequence number {seq}: a purse logs each payment once"
            )
        seen.add(entry)
        used.add(seq)


def _check_recovered(purse: Purse, recovered: list[PaymentDetails]) -> None:
    seen: set[PaymentDetails] = set()
    for details in recovered:
        if details.from_purse != purse.id:
            raise ValidationError(
                f"purse {purse.id!r} holds a recovery of payment {details}: only its payer "
                f"{details.from_purse!r} is ever refunded"
            )
        _own_seq(purse, details, "recovered payment")
        if details in seen:
            raise ValidationError(f"purse {purse.id!r} lists recovered payment {details} twice")
        seen.add(details)


def _check_conversion(purse: Purse, record: Conversion) -> None:
    problem = None
    numbers: tuple[object, ...] = (record.rate, record.exact, record.remainder)
    amounts: tuple[object, ...] = (record.source, record.target)
    if not all(isinstance(n, Decimal) for n in numbers) or not isinstance(
        record.occurred_at, _dt.datetime
    ):
        problem = "its rate, exact value and remainder must be Decimal and its time a datetime"
    elif record.purse != purse.id:
        problem = f"it was made in purse {record.purse!r}"
    elif not all(isinstance(m, Money) for m in amounts):
        problem = "its source and target must be Money"
    elif record.source.amount <= 0 or record.target.amount <= 0:
        problem = "its amounts must be positive"
    elif record.source.currency == record.target.currency:
        problem = "it converts a currency into itself"
    elif record.rounding not in ROUNDING_MODES:
        problem = f"its rounding mode {shown(record.rounding)} can round up"
    elif not (record.rate.is_finite() and record.rate > 0):
        problem = f"its rate {record.rate} is not positive"
    elif exact_product(record.source.amount, record.rate) != record.exact:
        problem = f"{record.source.amount} * {record.rate} is not its exact value {record.exact}"
    elif record.remainder < 0 or record.target.amount + record.remainder != record.exact:
        problem = (
            f"it credited {record.target} with a remainder of {record.remainder}, which do not "
            f"add up to the exact {record.exact} (or credit more than it)"
        )
    if problem is not None:
        raise ValidationError(
            f"purse {purse.id!r}: conversion {shown(record)} is invalid: {problem}"
        )


def restored_state(
    purse: Purse,
    *,
    status: object,
    payment: object,
    exception_log: Iterable[PaymentDetails],
    conversions: Iterable[Conversion],
    recovered: Iterable[PaymentDetails],
    version: object,
) -> RestoredState:
    """Check the protocol state, logs and records of ``purse``; see ``Purse.restore``.

    Raises:
        ValidationError: a rule of ``Purse.restore`` is broken.
    """
    if not isinstance(status, PurseStatus):
        raise ValidationError(f"a purse status must be a PurseStatus, not {shown(status)}")
    current = _check_payment(purse, status, payment)
    log = _items(exception_log, "the exception log", PaymentDetails)
    _check_log(purse, log)
    records = _items(conversions, "the conversions", Conversion)
    for record in records:
        _check_conversion(purse, record)
    refunded = _items(recovered, "the recovered payments", PaymentDetails)
    _check_recovered(purse, refunded)
    checked_version = check_seq(version, "a purse version")
    return RestoredState(status, current, log, records, set(refunded), checked_version)
