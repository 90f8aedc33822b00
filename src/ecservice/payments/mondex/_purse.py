"""The stored-value purse and its side of the purse-to-purse value transfer protocol.

The protocol is declared once, as data, with the workflow kernel in :data:`PURSE_WORKFLOW`
(validated when it is imported; :data:`TRANSITIONS` is the same table as a mapping).
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

from collections.abc import Iterable
from typing import Protocol, assert_never

import attrs

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import (
    DoubleSpend,
    InsufficientFunds,
    ValidationError,
)
from ecservice.money import Currency, Money
from ecservice.payments.mondex import _purse_checks as _checks
from ecservice.payments.mondex import _purse_conversion as _conversion
from ecservice.payments.mondex import _purse_restore as _restore
from ecservice.payments.mondex._balances import (
    Balances,
    check_clock,
    to_balances,
    to_limits,
)
from ecservice.payments.mondex._errors import (
    BalanceLimitExceeded,
)
from ecservice.payments.mondex._messages import (
    Ack,
    Message,
    Outcome,
    PaymentDetails,
    Req,
    StartFrom,
    StartTo,
    Val,
    as_currency,
    check_purse_id,
    check_seq,
    require,
)
from ecservice.payments.mondex._purse_workflow import (
    LOGGED_ON_ABORT,
    PURSE_WORKFLOW,
    TRANSITIONS,
    TRIGGERS,
    PurseStatus,
)
from ecservice.payments.mondex._rates import (
    Conversion,
    RateSource,
)

__all__ = [
    "LOGGED_ON_ABORT",
    "PURSE_WORKFLOW",
    "TRANSITIONS",
    "TRIGGERS",
    "LogArchive",
    "Purse",
    "PurseStatus",
]


class LogArchive(Protocol):
    """Where a purse's exception log goes: anything that says whether it holds an entry."""

    def holds(self, purse_id: str, details: PaymentDetails) -> bool:
        """``True`` when the entry ``details`` logged by ``purse_id`` is safely archived."""


@attrs.define(slots=True, eq=False, repr=False)
class Purse:
    """An anonymous stored-value purse holding balances in several currencies.

    State is read through properties; it changes only through the protocol triggers
    (:meth:`start_from`, :meth:`start_to`, :meth:`req`, :meth:`val`, :meth:`ack`, :meth:`abort`),
    :meth:`convert`, :meth:`clear_exception_log` and an archive's recovery.

    A transfer is all or nothing: the payee checks at ``start_to`` (and again at ``val``) that
    the credit fits under its limit, so :func:`~ecservice.payments.mondex.transfer` refuses a
    payment the payee cannot take before either purse changes. Should a ``Val`` still not fit
    when it arrives, the payee does not credit it: it logs the payment in its exception log and
    becomes idle, as an abort in ``epv`` would, so the value is accounted as in flight and then,
    once the payer aborts too, as lost and recoverable to the payer by the
    :class:`~ecservice.payments.mondex.Archive` (balances plus logged lost value always equal
    the starting total).

    One writer per purse: a purse is not locked; callers serialise the operations on one purse.

    Args:
        id: the purse's unique name.
        balances: the starting balances, one :class:`~ecservice.money.Money` per currency,
            none negative.
        next_seq: the first sequence number the purse will hand out.
        clock: tells the time of conversions; defaults to the system clock.
        limits: the most the purse may hold, one :class:`~ecservice.money.Money` per currency
            (a currency without one is limited only by what ``Money`` holds exactly,
            :data:`ecservice.money.PRECISION` significant digits).

    Raises:
        ValidationError: a blank id, a negative sequence number, two balances or limits in a
            currency, a clock that is not a :class:`~ecservice.clock.Clock`.
        InvalidAmount: a negative balance or limit.
        BalanceLimitExceeded: a starting balance above its limit.
    """

    id: str = attrs.field(validator=lambda _i, _a, v: check_purse_id(v))
    _balances: dict[Currency, Money] = attrs.field(
        default=(), converter=to_balances, alias="balances"
    )
    _next_seq: int = attrs.field(
        default=0, validator=lambda _i, _a, v: check_seq(v), alias="next_seq"
    )
    clock: Clock = attrs.field(default=SYSTEM_CLOCK, kw_only=True, validator=check_clock)
    _limits: dict[Currency, Money] = attrs.field(
        default=(), converter=to_limits, alias="limits", kw_only=True
    )
    _status: PurseStatus = attrs.field(default=PurseStatus.IDLE, init=False)
    _payment: PaymentDetails | None = attrs.field(default=None, init=False)
    _exception_log: list[PaymentDetails] = attrs.field(factory=list, init=False)
    _conversions: list[Conversion] = attrs.field(factory=list, init=False)
    _recovered: set[PaymentDetails] = attrs.field(factory=set, init=False)
    _version: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        for money in self._balances.values():
            limit = self._limits.get(money.currency)
            if limit is not None and money > limit:
                raise BalanceLimitExceeded(
                    f"purse {self.id!r} cannot start with {money}: its limit is {limit}"
                )

    @classmethod
    def restore(
        cls,
        id: str,
        *,
        balances: Iterable[Money],
        next_seq: int,
        status: PurseStatus,
        payment: PaymentDetails | None,
        version: int,
        exception_log: Iterable[PaymentDetails] = (),
        conversions: Iterable[Conversion] = (),
        recovered: Iterable[PaymentDetails] = (),
        limits: Iterable[Money] = (),
        clock: Clock = SYSTEM_CLOCK,
    ) -> Purse:
        """Rebuild a purse from what storage keeps, checking every part.

        The id, balances, limits and sequence number are checked as by the constructor; then the
        rest must be a state the protocol can reach:

        * an idle purse has no current ``payment``; a purse in ``epr`` or ``epa`` is the payer of
          its payment and one in ``epv`` its payee, under the last sequence number it handed out
          (``next_seq - 1``); a purse in ``epr`` still holds the value it is about to pay;
        * every ``exception_log`` entry names this purse as payer or payee under a sequence
          number below ``next_seq``, and no payment or sequence number is logged twice;
        * every ``recovered`` payment was paid by this purse (under a number below
          ``next_seq``), each listed once;
        * every conversion was made in this purse, between two currencies, with a rounding mode
          that never rounds up, and its exact value, credit and remainder add up;
        * ``version`` (the number of changes the purse went through, :attr:`version`) is a
          whole number >= 0.

        The restored purse continues where the stored one stopped: its next payment uses
        ``next_seq``, a ``Val`` or ``Ack`` for its current payment is accepted, and an archive
        refuses to refund a recovered payment again.

        Raises:
            ValidationError: a part has the wrong type or breaks one of the rules above (the
                message names the rule and the entry).
            InvalidAmount: a negative balance or limit.
            BalanceLimitExceeded: a balance above its limit.
        """
        purse = cls(id, balances, next_seq, clock=clock, limits=limits)
        state = _restore.restored_state(
            purse,
            status=status,
            payment=payment,
            exception_log=exception_log,
            conversions=conversions,
            recovered=recovered,
            version=version,
        )
        purse._status = state.status
        purse._payment = state.payment
        purse._exception_log = state.exception_log
        purse._conversions = state.conversions
        purse._recovered = state.recovered
        purse._version = state.version
        return purse

    # --- views -------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """How many changes the purse went through (0 when made; storage compares it).

        Every accepted trigger, conversion, cleared log entry and recovery counts one; ignored
        messages and an abort of an idle purse change nothing and count nothing.
        """
        return self._version

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
    def balances(self) -> Balances:
        """A read-only copy of the balances, by currency (a currency code looks up as well)."""
        return Balances(self._balances)

    @property
    def limits(self) -> Balances:
        """The purse's balance limits, by currency (a currency code looks up as well)."""
        return Balances(self._limits)

    def balance(self, currency_: str | Currency) -> Money:
        """The balance in one currency; zero when the purse has never held it."""
        cur = as_currency(currency_)
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
        """``True`` when ``trigger`` is allowed in the current state (``False`` for a non-str)."""
        return isinstance(trigger, str) and (self._status, trigger) in TRANSITIONS

    def __repr__(self) -> str:
        held = ", ".join(str(m) for _, m in sorted(self._balances.items(), key=lambda i: i[0].code))
        return (
            f"Purse({self.id!r}, status={self._status.value}, next_seq={self._next_seq}, "
            f"balances=[{held}], exception_log={len(self._exception_log)})"
        )

    # --- the terminal's commands -------------------------------------------------------------

    # The checks change nothing; they are written in _purse_checks and bound here.
    _credited = _checks.credited
    _check_idle = _checks.check_idle
    _check_start_from = _checks.check_start_from
    _check_start_to = _checks.check_start_to

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
            BalanceLimitExceeded: the value would take the balance above the purse's limit.
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
        self._version += 1

    # --- messages from the other purse -------------------------------------------------------

    _screen = _checks.screen

    def req(self, message: Req) -> Outcome:
        """As payer in ``epr``: debit the value, send :class:`Val`, wait for the ack.

        A ``Req`` for another purse, in another state, or about another payment is ignored.

        Raises:
            ValidationError: ``message`` is not a :class:`Req`.
        """
        require(message, Req, "req's message")
        ignored = self._screen("req", message, message.details.from_purse)
        if ignored is not None:
            return ignored
        value = message.details.value
        held = self.balance(value.currency)
        if held < value:  # unreachable: checked at start_from, and nothing debits meanwhile
            raise InsufficientFunds(f"purse {self.id!r} cannot pay {value}: it holds only {held}")
        self._balances[value.currency] = held - value
        self._status = TRANSITIONS[(self._status, "req")]
        self._version += 1
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
        replayed ``Val`` is never credited twice. A ``Val`` whose credit no longer fits under the
        purse's limit (it was checked at ``start_to``; only a recovery credits a purse meanwhile)
        is not credited: the purse logs the payment, as an abort in ``epv`` does, and is idle,
        without sending ``Ack``; the value becomes recoverable to the payer once it aborts too.

        Raises:
            ValidationError: ``message`` is not a :class:`Val`.
        """
        require(message, Val, "val's message")
        ignored = self._screen("val", message, message.details.to_purse)
        if ignored is not None:
            return ignored
        value = message.details.value
        try:
            after = self._credited(value)
        except BalanceLimitExceeded as exc:
            self._exception_log.append(message.details)
            self._status = TRANSITIONS[(self._status, "abort")]
            self._payment = None
            self._version += 1
            return Outcome(
                self.id,
                "val",
                message,
                None,
                f"{self.id} refused the credit and logged {message.details}: {exc}",
                logged=message.details,
            )
        self._balances[value.currency] = after
        self._status = TRANSITIONS[(self._status, "val")]
        self._payment = None
        self._version += 1
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
        """As payer in ``epa``: the payment is complete; be idle.

        Raises:
            ValidationError: ``message`` is not an :class:`Ack`.
        """
        require(message, Ack, "ack's message")
        ignored = self._screen("ack", message, message.details.from_purse)
        if ignored is not None:
            return ignored
        self._status = TRANSITIONS[(self._status, "ack")]
        self._payment = None
        self._version += 1
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
        if details is not None:
            self._version += 1
        if logged is not None:
            text = f"{self.id} aborted in {before.value} and logged {logged}"
        elif details is not None:
            text = f"{self.id} aborted in {before.value}; nothing was debited, nothing logged"
        else:
            text = f"{self.id} was idle; nothing to abort"
        return Outcome(self.id, "abort", None, None, text, logged=logged)

    def receive(self, message: Message) -> Outcome:
        """Dispatch ``message`` to the trigger of its kind.

        Raises:
            ValidationError: ``message`` is not a protocol message; otherwise the errors of the
                trigger it goes to.
        """
        given: object = message
        if not isinstance(given, (StartFrom, StartTo, Req, Val, Ack)):
            raise ValidationError(
                f"a purse receives StartFrom, StartTo, Req, Val or Ack, not {type(given).__name__}"
            )
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
        ``rates.rounding``, a mode that never rounds up (``ROUND_DOWN`` or ``ROUND_FLOOR``), so
        the purse never gets more than the exact value; the exact product and the remainder are
        kept in the returned :class:`Conversion` (also in :attr:`conversions`). When ``rates``
        also quotes the way back, the two rates must multiply to at most 1. Together these make
        round trips unable to create value, whatever ``RateSource`` is used. Only an idle purse
        converts, so a payment in progress always finds the value it was started with. A
        refused conversion changes nothing.

        Raises:
            InvalidTransition: the purse is in the middle of a payment.
            InvalidAmount: ``amount`` is not positive, or it converts to less than one minor unit.
            ValidationError: the target currency is the currency of ``amount``.
            InsufficientFunds: the purse holds less than ``amount``.
            RateUnavailable: ``rates`` quotes no rate for the pair.
            UnsafeRates: ``rates`` rounds with a mode that can round up, or its rates there and
                back multiply to more than 1.
            BalanceLimitExceeded: the credit would take the target balance above its limit.
        """
        return _conversion.convert(self, amount, target, rates)

    def clear_exception_log(self, archive: LogArchive) -> tuple[PaymentDetails, ...]:
        """Remove the log entries that ``archive`` holds; keep every other entry.

        Returns:
            the entries removed, oldest first.

        Raises:
            ValidationError: ``archive`` has no ``holds`` method.
        """
        if not callable(getattr(archive, "holds", None)):
            raise ValidationError(
                f"archive must offer holds(purse_id, details), not {type(archive).__name__}"
            )
        kept: list[PaymentDetails] = []
        cleared: list[PaymentDetails] = []
        for entry in self._exception_log:
            (cleared if archive.holds(self.id, entry) else kept).append(entry)
        self._exception_log = kept
        if cleared:
            self._version += 1
        return tuple(cleared)

    def _credit_recovery(self, details: PaymentDetails) -> Money:
        """Refund a definitely lost payment (called by the archive, which checks it is lost).

        Raises:
            ValidationError: this purse was not the payer.
            DoubleSpend: this payment was already refunded to this purse.
            BalanceLimitExceeded: the refund would take the balance above the purse's limit
                (nothing changes; recover once the purse has spent enough).
        """
        if details.from_purse != self.id:
            raise ValidationError(
                f"payment {details} can only be refunded to its payer "
                f"{details.from_purse!r}, not to {self.id!r}"
            )
        if details in self._recovered:
            raise DoubleSpend(f"payment {details} was already refunded to purse {self.id!r}")
        value = details.value
        self._balances[value.currency] = self._credited(value)
        self._recovered.add(details)
        self._version += 1
        return value
