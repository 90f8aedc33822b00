"""The stored-value purse and its side of the purse-to-purse value transfer protocol.

The protocol is declared once, as data, with the workflow kernel in :data:`PURSE_WORKFLOW`
(validated when this module is imported; :data:`TRANSITIONS` is the same table as a mapping).
A purse is *idle* between payments. For one payment:

* the paying purse gets :class:`StartFrom` and waits for a request (``epr``);
* the receiving purse gets :class:`StartTo`, sends :class:`Req` and waits for the value (``epv``);
* the payer, on ``Req``, **debits** its balance, sends :class:`Val` and waits for the ack (``epa``);
* the payee, on ``Val``, **credits** its balance, sends :class:`Ack` and is idle again;
* the payer, on ``Ack``, is idle again.

``abort`` is allowed in every state and returns the purse to idle; a purse that aborts while
``epv`` (payee, not yet credited) or ``epa`` (payer, already debited) writes the payment details
to its exception log, because value may be in limbo.

**Stale messages are ignored, and reported.** ``Req``, ``Val`` and ``Ack`` travel over a channel
that may lose, replay or reorder them; a purse ignores one that is addressed elsewhere, arrives in
the wrong state, or is about another payment than its current one. It changes nothing, emits
nothing, and returns an :class:`Outcome` whose ``ignored`` says why. Start messages come from the
local terminal, so a bad one is an error: it raises and changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, Protocol, assert_never

import attrs

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import (
    DoubleSpend,
    InsufficientFunds,
    InvalidAmount,
    InvalidTransition,
    InvalidWorkflow,
    ValidationError,
)
from ecservice.money import Currency, Money, currency
from ecservice.payments.mondex._errors import SelfTransfer
from ecservice.payments.mondex._messages import (
    Ack,
    IgnoreReason,
    Message,
    Outcome,
    PaymentDetails,
    Req,
    StartFrom,
    StartTo,
    Val,
    check_purse_id,
    check_seq,
    check_value,
)
from ecservice.payments.mondex._rates import Conversion, RateSource, exact_product
from ecservice.workflow import Workflow, transition

__all__ = [
    "LOGGED_ON_ABORT",
    "PURSE_WORKFLOW",
    "TRANSITIONS",
    "TRIGGERS",
    "LogArchive",
    "Purse",
    "PurseStatus",
]


class PurseStatus(enum.Enum):
    """Where a purse is in the protocol."""

    #: between payments; accepts ``start_from`` and ``start_to``.
    IDLE = "idle"
    #: payer after ``start_from``, expecting the payee's request.
    EXPECTING_REQ = "epr"
    #: payee after ``start_to``, expecting the value.
    EXPECTING_VAL = "epv"
    #: payer after debiting, expecting the payee's acknowledgement.
    EXPECTING_ACK = "epa"


#: Every trigger a purse has, each a method of :class:`Purse`.
TRIGGERS: Final[tuple[str, ...]] = ("start_from", "start_to", "req", "val", "ack", "abort")

_S = PurseStatus

#: The protocol, declared with the workflow kernel: validated when this module is imported
#: (reachability, a way out of every state) and drawn with ``PURSE_WORKFLOW.mermaid()``.
PURSE_WORKFLOW: Final[Workflow[Purse]] = Workflow(
    "mondex-purse",
    states=PurseStatus,
    initial=_S.IDLE,
    transitions=[
        transition("start_from", _S.IDLE, _S.EXPECTING_REQ),
        transition("start_to", _S.IDLE, _S.EXPECTING_VAL),
        transition("req", _S.EXPECTING_REQ, _S.EXPECTING_ACK),
        transition("val", _S.EXPECTING_VAL, _S.IDLE),
        transition("ack", _S.EXPECTING_ACK, _S.IDLE),
        transition("abort", list(PurseStatus), _S.IDLE),
    ],
)

#: The protocol as a table, ``(status, trigger) -> next status``, from :data:`PURSE_WORKFLOW`.
TRANSITIONS: Final[Mapping[tuple[PurseStatus, str], PurseStatus]] = MappingProxyType(
    {
        (source, t.trigger): t.dest
        for t in PURSE_WORKFLOW.transitions
        for source in t.sources
        if isinstance(source, PurseStatus) and isinstance(t.dest, PurseStatus)
    }
)
if tuple(PURSE_WORKFLOW.triggers) != TRIGGERS:  # pragma: no cover - a definition error
    raise InvalidWorkflow("mondex-purse", ["TRIGGERS must list the workflow's triggers in order"])

#: States in which ``abort`` writes the current payment to the exception log.
LOGGED_ON_ABORT: Final[frozenset[PurseStatus]] = frozenset({_S.EXPECTING_VAL, _S.EXPECTING_ACK})


class LogArchive(Protocol):
    """Where a purse's exception log goes: anything that says whether it holds an entry."""

    def holds(self, purse_id: str, details: PaymentDetails) -> bool:
        """``True`` when the entry ``details`` logged by ``purse_id`` is safely archived."""


def _to_balances(value: Iterable[Money]) -> dict[Currency, Money]:
    given: object = value  # callers without a type checker may pass a single Money
    if isinstance(given, (Money, str, bytes, Mapping)):
        raise ValidationError(
            "balances must be an iterable of Money, one per currency, such as "
            "[Money('100.00', 'CNY'), Money('20.00', 'USD')]"
        )
    balances: dict[Currency, Money] = {}
    for money in value:
        if not isinstance(money, Money):
            raise ValidationError(f"each balance must be a Money, not {type(money).__name__}")
        if money.is_negative():
            raise InvalidAmount(f"a balance cannot be negative: {money}; the minimum is 0")
        if money.currency in balances:
            raise ValidationError(
                f"two balances in {money.currency.code}: give one balance per currency"
            )
        balances[money.currency] = money
    return balances


@attrs.define(slots=True, eq=False, repr=False)
class Purse:
    """An anonymous stored-value purse holding balances in several currencies.

    State is read through properties; it changes only through the protocol triggers
    (:meth:`start_from`, :meth:`start_to`, :meth:`req`, :meth:`val`, :meth:`ack`, :meth:`abort`),
    :meth:`convert`, :meth:`clear_exception_log` and an archive's recovery.

    Args:
        id: the purse's unique name.
        balances: the starting balances, one :class:`~ecservice.money.Money` per currency,
            none negative.
        next_seq: the first sequence number the purse will hand out.
        clock: tells the time of conversions; defaults to the system clock.

    Raises:
        ValidationError: a blank id, a negative sequence number, or two balances in a currency.
        InvalidAmount: a negative balance.
    """

    id: str = attrs.field(validator=lambda _i, _a, v: check_purse_id(v))
    _balances: dict[Currency, Money] = attrs.field(
        default=(), converter=_to_balances, alias="balances"
    )
    _next_seq: int = attrs.field(
        default=0, validator=lambda _i, _a, v: check_seq(v), alias="next_seq"
    )
    clock: Clock = attrs.field(default=SYSTEM_CLOCK, kw_only=True)
    _status: PurseStatus = attrs.field(default=PurseStatus.IDLE, init=False)
    _payment: PaymentDetails | None = attrs.field(default=None, init=False)
    _exception_log: list[PaymentDetails] = attrs.field(factory=list, init=False)
    _conversions: list[Conversion] = attrs.field(factory=list, init=False)
    _recovered: set[PaymentDetails] = attrs.field(factory=set, init=False)

    # --- views -------------------------------------------------------------------------------

    @property
    def status(self) -> PurseStatus:
        """Where the purse is in the protocol."""
        return self._status

    @property
    def next_seq(self) -> int:
        """The sequence number the purse will use for its next payment."""
        return self._next_seq

    @property
    def payment(self) -> PaymentDetails | None:
        """The current payment details (``pdAuth``); ``None`` when idle."""
        return self._payment

    @property
    def balances(self) -> Mapping[Currency, Money]:
        """A read-only copy of the balances, by currency."""
        return MappingProxyType(dict(self._balances))

    def balance(self, currency_: str | Currency) -> Money:
        """The balance in one currency; zero when the purse has never held it."""
        cur = currency(currency_)
        return self._balances.get(cur, Money.zero(cur))

    @property
    def exception_log(self) -> tuple[PaymentDetails, ...]:
        """Payments this purse abandoned while value may have been in limbo, oldest first."""
        return tuple(self._exception_log)

    @property
    def conversions(self) -> tuple[Conversion, ...]:
        """Every currency conversion made in this purse, oldest first."""
        return tuple(self._conversions)

    @property
    def recovered(self) -> frozenset[PaymentDetails]:
        """Lost payments whose value an archive has refunded to this purse."""
        return frozenset(self._recovered)

    def allowed_triggers(self) -> frozenset[str]:
        """The triggers the protocol accepts in the current state."""
        return frozenset(t for (s, t) in TRANSITIONS if s is self._status)

    def can(self, trigger: str) -> bool:
        """``True`` when ``trigger`` is allowed in the current state."""
        return (self._status, trigger) in TRANSITIONS

    def __repr__(self) -> str:
        held = ", ".join(str(m) for _, m in sorted(self._balances.items(), key=lambda i: i[0].code))
        return (
            f"Purse({self.id!r}, status={self._status.value}, next_seq={self._next_seq}, "
            f"balances=[{held}], exception_log={len(self._exception_log)})"
        )

    # --- the terminal's commands -------------------------------------------------------------

    def _check_idle(self, trigger: str) -> None:
        if self._status is not PurseStatus.IDLE:
            raise InvalidTransition(
                trigger,
                self._status.value,
                self.allowed_triggers(),
                subject=f"purse {self.id!r}",
            )

    def _check_start_from(self, message: StartFrom) -> PaymentDetails:
        """Validate ``message`` and return the payment it would start; change nothing."""
        if not isinstance(message, StartFrom):
            raise ValidationError(f"start_from needs a StartFrom, not {type(message).__name__}")
        self._check_idle("start_from")
        if message.to_purse == self.id:
            raise SelfTransfer(
                f"purse {self.id!r} cannot pay itself: the payee must be another purse"
            )
        held = self.balance(message.value.currency)
        if held < message.value:
            holding = ", ".join(sorted(str(m) for m in self._balances.values())) or "nothing"
            raise InsufficientFunds(
                f"purse {self.id!r} cannot pay {message.value}: it holds {held} "
                f"(all balances: {holding}); transfer at most {held}"
            )
        return PaymentDetails(
            self.id, message.to_purse, message.value, self._next_seq, message.to_seq
        )

    def _check_start_to(self, message: StartTo) -> PaymentDetails:
        """Validate ``message`` and return the payment it would start; change nothing."""
        if not isinstance(message, StartTo):
            raise ValidationError(f"start_to needs a StartTo, not {type(message).__name__}")
        self._check_idle("start_to")
        if message.from_purse == self.id:
            raise SelfTransfer(
                f"purse {self.id!r} cannot be paid by itself: the payer must be another purse"
            )
        return PaymentDetails(
            message.from_purse, self.id, message.value, message.from_seq, self._next_seq
        )

    def start_from(self, message: StartFrom) -> Outcome:
        """Become the payer of ``message.value`` to ``message.to_purse``; wait for its request.

        Raises:
            InvalidTransition: the purse is not idle (abort the current payment first).
            SelfTransfer: the payee is this purse.
            InsufficientFunds: the balance in that currency is below the value.
        """
        details = self._check_start_from(message)
        self._begin(details)
        return Outcome(
            self.id,
            "start_from",
            message,
            None,
            f"{self.id} will pay {details.value} to {details.to_purse} "
            f"(payment {details}); waiting for the request",
        )

    def start_to(self, message: StartTo) -> Outcome:
        """Become the payee of ``message.value`` from ``message.from_purse``; send the request.

        Raises:
            InvalidTransition: the purse is not idle (abort the current payment first).
            SelfTransfer: the payer is this purse.
        """
        details = self._check_start_to(message)
        self._begin(details)
        return Outcome(
            self.id,
            "start_to",
            message,
            None,
            f"{self.id} expects {details.value} from {details.from_purse}; sends Req",
            emitted=(Req(details),),
        )

    def _begin(self, details: PaymentDetails) -> None:
        trigger = "start_from" if details.from_purse == self.id else "start_to"
        self._payment = details
        self._next_seq += 1
        self._status = TRANSITIONS[(self._status, trigger)]

    # --- messages from the other purse -------------------------------------------------------

    def _screen(self, trigger: str, message: Req | Val | Ack, addressee: str) -> Outcome | None:
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

    def req(self, message: Req) -> Outcome:
        """As payer in ``epr``: debit the value, send :class:`Val`, wait for the ack.

        A ``Req`` for another purse, in another state, or about another payment is ignored.
        """
        ignored = self._screen("req", message, message.details.from_purse)
        if ignored is not None:
            return ignored
        value = message.details.value
        held = self.balance(value.currency)
        if held < value:  # unreachable: checked at start_from, and nothing debits meanwhile
            raise InsufficientFunds(f"purse {self.id!r} cannot pay {value}: it holds only {held}")
        self._balances[value.currency] = held - value
        self._status = TRANSITIONS[(self._status, "req")]
        return Outcome(
            self.id,
            "req",
            message,
            None,
            f"{self.id} debited {value} and sends Val",
            emitted=(Val(message.details),),
            debited=value,
        )

    def val(self, message: Val) -> Outcome:
        """As payee in ``epv``: credit the value, send :class:`Ack`, be idle.

        A ``Val`` for another purse, in another state, or about another payment is ignored, so a
        replayed ``Val`` is never credited twice.
        """
        ignored = self._screen("val", message, message.details.to_purse)
        if ignored is not None:
            return ignored
        value = message.details.value
        self._balances[value.currency] = self.balance(value.currency) + value
        self._status = TRANSITIONS[(self._status, "val")]
        self._payment = None
        return Outcome(
            self.id,
            "val",
            message,
            None,
            f"{self.id} credited {value} and sends Ack",
            emitted=(Ack(message.details),),
            credited=value,
        )

    def ack(self, message: Ack) -> Outcome:
        """As payer in ``epa``: the payment is complete; be idle."""
        ignored = self._screen("ack", message, message.details.from_purse)
        if ignored is not None:
            return ignored
        self._status = TRANSITIONS[(self._status, "ack")]
        self._payment = None
        return Outcome(
            self.id, "ack", message, None, f"{self.id} got the ack; payment {message.details} done"
        )

    def abort(self) -> Outcome:
        """Abandon the current payment (allowed in every state) and be idle.

        In ``epv`` or ``epa`` the payment details go to the exception log: the value may be in
        limbo. In ``epr`` nothing has been debited, and in ``idle`` there is nothing to abandon.
        """
        before, details = self._status, self._payment
        logged = details if before in LOGGED_ON_ABORT else None
        if logged is not None:
            self._exception_log.append(logged)
        self._status = TRANSITIONS[(before, "abort")]
        self._payment = None
        if logged is not None:
            text = f"{self.id} aborted in {before.value} and logged {logged}"
        elif details is not None:
            text = f"{self.id} aborted in {before.value}; nothing was debited, nothing logged"
        else:
            text = f"{self.id} was idle; nothing to abort"
        return Outcome(self.id, "abort", None, None, text, logged=logged)

    def receive(self, message: Message) -> Outcome:
        """Dispatch ``message`` to the trigger of its kind."""
        match message:
            case StartFrom():
                return self.start_from(message)
            case StartTo():
                return self.start_to(message)
            case Req():
                return self.req(message)
            case Val():
                return self.val(message)
            case Ack():
                return self.ack(message)
            case _:
                assert_never(message)

    # --- conversion, exception log, recovery -------------------------------------------------

    def convert(self, amount: Money, target: str | Currency, rates: RateSource) -> Conversion:
        """Exchange ``amount`` of one balance into ``target`` at ``rates``; record it.

        The credited amount is ``amount * rate`` rounded to the target's minor unit with
        ``rates.rounding``; the exact product and the remainder are kept in the returned
        :class:`Conversion` (also in :attr:`conversions`). Only an idle purse converts, so a
        payment in progress always finds the value it was started with.

        Raises:
            InvalidTransition: the purse is in the middle of a payment.
            InvalidAmount: ``amount`` is not positive, or it converts to less than one minor unit.
            ValidationError: the target currency is the currency of ``amount``.
            InsufficientFunds: the purse holds less than ``amount``.
            RateUnavailable: ``rates`` quotes no rate for the pair.
        """
        self._check_idle("convert")
        check_value(amount, "amount to convert")
        cur = currency(target)
        if cur == amount.currency:
            raise ValidationError(
                f"cannot convert {amount} into {cur.code}: the target must be another currency"
            )
        held = self.balance(amount.currency)
        if held < amount:
            raise InsufficientFunds(
                f"purse {self.id!r} cannot convert {amount}: it holds {held}; convert at most "
                f"{held}"
            )
        rate = rates.rate(amount.currency, cur)
        exact = exact_product(amount.amount, rate)
        credited = Money.of(exact, cur, rounding=rates.rounding)
        if credited.amount <= 0:
            raise InvalidAmount(
                f"{amount} at {rate} is {exact} {cur.code}, which rounds to {credited}: "
                f"convert at least one minor unit's worth"
            )
        record = Conversion(
            self.id,
            amount,
            credited,
            rate,
            exact,
            exact - credited.amount,
            rates.rounding,
            self.clock.now(),
        )
        self._balances[amount.currency] = held - amount
        self._balances[cur] = self.balance(cur) + credited
        self._conversions.append(record)
        return record

    def clear_exception_log(self, archive: LogArchive) -> tuple[PaymentDetails, ...]:
        """Remove the log entries that ``archive`` holds; keep every other entry.

        Returns:
            the entries removed, oldest first.
        """
        kept: list[PaymentDetails] = []
        cleared: list[PaymentDetails] = []
        for entry in self._exception_log:
            (cleared if archive.holds(self.id, entry) else kept).append(entry)
        self._exception_log = kept
        return tuple(cleared)

    def _credit_recovery(self, details: PaymentDetails) -> Money:
        """Refund a definitely lost payment (called by the archive, which checks it is lost).

        Raises:
            ValidationError: this purse was not the payer.
            DoubleSpend: this payment was already refunded to this purse.
        """
        if details.from_purse != self.id:
            raise ValidationError(
                f"payment {details} can only be refunded to its payer "
                f"{details.from_purse!r}, not to {self.id!r}"
            )
        if details in self._recovered:
            raise DoubleSpend(f"payment {details} was already refunded to purse {self.id!r}")
        value = details.value
        self._balances[value.currency] = self.balance(value.currency) + value
        self._recovered.add(details)
        return value
