"""The purse's checks: each says whether a step may happen, and changes nothing.

Each function is bound on :class:`~ecservice.payments.mondex.Purse` as the private method of the
same name with a leading underscore (hence the ``self`` parameter): the credit limit, idleness,
the two start messages from the terminal, and whether a message from the other purse is for this
purse now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecservice.errors import InsufficientFunds, InvalidAmount, InvalidTransition, ValidationError
from ecservice.money import Money
from ecservice.payments.mondex._errors import BalanceLimitExceeded, SelfTransfer
from ecservice.payments.mondex._messages import (
    Ack,
    IgnoreReason,
    Outcome,
    PaymentDetails,
    Req,
    StartFrom,
    StartTo,
    Val,
)
from ecservice.payments.mondex._purse_workflow import TRANSITIONS, PurseStatus

if TYPE_CHECKING:
    from ecservice.payments.mondex._purse import Purse

__all__ = ["check_idle", "check_start_from", "check_start_to", "credited", "screen"]


def credited(self: Purse, value: Money) -> Money:
    """The balance after crediting ``value``; changes nothing.

    Raises:
        BalanceLimitExceeded: the result is above the purse's limit in that currency, or more
            than ``Money`` holds exactly.
    """
    held = self.balance(value.currency)
    try:
        after = held + value
    except InvalidAmount:
        raise BalanceLimitExceeded(
            f"purse {self.id!r} cannot take {value} on top of {held}: the balance would "
            "need more significant digits than an amount holds exactly"
        ) from None
    limit = self._limits.get(value.currency)
    if limit is not None and after > limit:
        room = limit - held if limit > held else Money.zero(value.currency)
        raise BalanceLimitExceeded(
            f"purse {self.id!r} cannot take {value}: it holds {held} and its limit is "
            f"{limit}; it can take at most {room}"
        )
    return after


def check_idle(self: Purse, trigger: str) -> None:
    """Refuse ``trigger`` unless the purse is idle.

    Raises:
        InvalidTransition: the purse is in the middle of a payment.
    """
    if self._status is not PurseStatus.IDLE:
        raise InvalidTransition(
            trigger,
            self._status.value,
            self.allowed_triggers(),
            subject=f"purse {self.id!r}",
        )


def check_start_from(self: Purse, message: StartFrom) -> PaymentDetails:
    """Validate ``message`` and return the payment it would start; change nothing."""
    if not isinstance(message, StartFrom):
        raise ValidationError(f"start_from needs a StartFrom, not {type(message).__name__}")
    self._check_idle("start_from")
    if message.to_purse == self.id:
        raise SelfTransfer(f"purse {self.id!r} cannot pay itself: the payee must be another purse")
    held = self.balance(message.value.currency)
    if held < message.value:
        holding = ", ".join(sorted(str(m) for m in self._balances.values())) or "nothing"
        raise InsufficientFunds(
            f"purse {self.id!r} cannot pay {message.value}: it holds {held} "
            f"(all balances: {holding}); transfer at most {held}"
        )
    return PaymentDetails(self.id, message.to_purse, message.value, self._next_seq, message.to_seq)


def check_start_to(self: Purse, message: StartTo) -> PaymentDetails:
    """Validate ``message`` and return the payment it would start; change nothing."""
    if not isinstance(message, StartTo):
        raise ValidationError(f"start_to needs a StartTo, not {type(message).__name__}")
    self._check_idle("start_to")
    if message.from_purse == self.id:
        raise SelfTransfer(
            f"purse {self.id!r} cannot be paid by itself: the payer must be another purse"
        )
    self._credited(message.value)
    return PaymentDetails(
        message.from_purse, self.id, message.value, message.from_seq, self._next_seq
    )


def screen(self: Purse, trigger: str, message: Req | Val | Ack, addressee: str) -> Outcome | None:
    """Return an 'ignored' outcome when ``message`` is not for this purse now, else None."""
    reason: IgnoreReason | None = None
    if addressee != self.id:
        reason = IgnoreReason.NOT_ADDRESSED
        why = f"it is addressed to {addressee}"
    elif not self.can(trigger):
        reason = IgnoreReason.WRONG_STATUS
        why = f"it is {self._status.value}; {type(message).__name__} is accepted only in " + (
            ", ".join(sorted(s.value for (s, t) in TRANSITIONS if t == trigger))
        )
    elif message.details != self._payment:
        reason = IgnoreReason.DETAILS_MISMATCH
        why = f"its current payment is {self._payment}"
    if reason is None:
        return None
    return Outcome(
        self.id,
        trigger,
        message,
        reason,
        f"{self.id} ignored {type(message).__name__}({message.details}): {why}",
    )
