"""Property-based tests: the Mondex guarantees hold under any interleaving.

A hypothesis ``RuleBasedStateMachine`` drives four purses, an unreliable :class:`Network` and an
:class:`Archive` with random starts (whole or one-sided, with fresh or stale sequence numbers),
deliveries in any order, drops, duplicates, replays of old messages, reorderings, aborts, log
uploads and clears, conversions and recoveries. Next to the system it keeps a *ghost* ledger
built only from what the purses report (every debit and credit in an :class:`Outcome`), and checks
after every step:

* no balance is ever negative;
* per currency, the total balance never exceeds the starting total (adjusted by conversions);
* the accounting equation, computed twice, independently:

  - from the ghost ledger:
    ``balances + value(debited, not credited, not recovered) == starting total``;
  - from the state alone by :func:`audit`:
    ``balances + in_flight + lost (+ converted out - converted in) == starting total``,
    and the payments :func:`audit` calls in flight or lost are exactly the ghost's
    debited-not-credited-not-recovered payments;

* every payment is debited at most once, credited at most once, and credited only if debited;
* no balance ever exceeds its purse's limit: a transfer the payee cannot take is refused before
  either purse changes, and a ``Val`` that no longer fits is logged by the payee instead of
  credited (the value stays accounted, and recoverable to the payer);
* the archive calls a payment definitely lost only if it was debited and never credited, and a
  recovery refunds exactly its value, once.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pendulum
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ecservice.clock import FixedClock
from ecservice.errors import DoubleSpend, InsufficientFunds, InvalidAmount, InvalidTransition
from ecservice.money import Currency, Money, currency
from ecservice.payments.mondex import (
    LOGGED_ON_ABORT,
    Archive,
    BalanceLimitExceeded,
    Network,
    Outcome,
    PaymentDetails,
    PaymentNotLost,
    Purse,
    PurseStatus,
    RateTable,
    Req,
    SelfTransfer,
    StartFrom,
    StartTo,
    Val,
    audit,
)

PURSES = ("a", "b", "c", "d")
CODES = ("CNY", "USD")
CURRENCIES: tuple[Currency, ...] = tuple(currency(c) for c in CODES)
STARTING = {
    "a": [Money("100.00", "CNY"), Money("50.00", "USD")],
    "b": [Money("30.00", "CNY")],
    "c": [Money("10.00", "USD")],
    "d": [Money("5.00", "CNY")],
}
#: Purse limits: small enough that payees are often full and refuse transfers.
LIMITS = {
    "b": [Money("45.00", "CNY")],
    "d": [Money("20.00", "CNY"), Money("15.00", "USD")],
}
RATES = RateTable({("CNY", "USD"): Decimal("0.1403"), ("USD", "CNY"): Decimal("7.1234")})

purse_ids = st.sampled_from(PURSES)
codes = st.sampled_from(CODES)
minor_units = st.integers(min_value=1, max_value=2_000)
picks = st.integers(min_value=0, max_value=10_000)


class MondexProtocol(RuleBasedStateMachine):
    """Purses, a lossy network and an archive, against a ghost ledger of debits and credits."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(pendulum.datetime(2026, 11, 11, tz="UTC"))
        self.purses = {pid: self.new_purse(pid) for pid in PURSES}
        self.net = Network(self.purses.values())
        self.archive = Archive(clock=self.clock)
        self.start_total = {c: self.total_balance(c) for c in CURRENCIES}
        self.converted_in = {c: Money.zero(c) for c in CURRENCIES}
        self.converted_out = {c: Money.zero(c) for c in CURRENCIES}
        self.debits: Counter[PaymentDetails] = Counter()
        self.credits: Counter[PaymentDetails] = Counter()
        self.recoveries: Counter[PaymentDetails] = Counter()
        self.seen_seq = dict.fromkeys(PURSES, 0)

    # --- helpers -----------------------------------------------------------------------------

    def new_purse(self, pid: str, next_seq: int = 0) -> Purse:
        return Purse(
            pid,
            balances=STARTING[pid],
            next_seq=next_seq,
            clock=self.clock,
            limits=LIMITS.get(pid, ()),
        )

    @staticmethod
    def room(purse: Purse, cur: Currency) -> Money | None:
        """What ``purse`` can still take in ``cur``; ``None`` when it has no limit there."""
        limit = purse.limits.get(cur)
        return None if limit is None else limit - purse.balance(cur)

    def total_balance(self, cur: Currency) -> Money:
        total = Money.zero(cur)
        for purse in self.purses.values():
            total = total + purse.balance(cur)
        return total

    def state(self) -> object:
        """Everything observable, to prove a refused operation changed nothing."""
        return (
            [
                (
                    p.status,
                    p.payment,
                    p.next_seq,
                    dict(p.balances),
                    p.exception_log,
                    p.conversions,
                    p.recovered,
                )
                for p in self.purses.values()
            ],
            self.net.in_flight,
            dict(self.archive.entries),
            self.archive.recoveries,
        )

    def record(self, outcome: Outcome) -> None:
        message = outcome.message
        if outcome.debited is not None:
            assert isinstance(message, Req)
            assert outcome.debited == message.details.value
            self.debits[message.details] += 1
        if outcome.credited is not None:
            assert isinstance(message, Val)
            assert outcome.credited == message.details.value
            self.credits[message.details] += 1
        if outcome.trigger == "val" and outcome.logged is not None:
            assert isinstance(message, Val)
            assert outcome.logged == message.details
            assert outcome.credited is None
            assert outcome.emitted == ()
            event("val refused: the payee is full; logged")
        if not outcome.accepted:
            assert outcome.emitted == ()
            assert outcome.debited is None
            assert outcome.credited is None
            assert outcome.logged is None

    def unresolved(self) -> set[PaymentDetails]:
        """The ghost's payments debited, never credited, not recovered."""
        return {
            p
            for p, n in self.debits.items()
            if n and not self.credits[p] and not self.recoveries[p]
        }

    def expected_error(self, payer: Purse, payee: Purse, value: Money) -> type[Exception] | None:
        if payer.id == payee.id:
            return SelfTransfer
        if payee.status is not PurseStatus.IDLE:  # the payee is checked first
            return InvalidTransition
        room = self.room(payee, value.currency)
        if room is not None and value > room:
            return BalanceLimitExceeded
        if payer.status is not PurseStatus.IDLE:
            return InvalidTransition
        if payer.balance(value.currency) < value:
            return InsufficientFunds
        return None

    # --- rules -------------------------------------------------------------------------------

    @initialize(pid=purse_ids, first_seq=st.integers(min_value=0, max_value=3), data=st.data())
    def open_two_transfers(self, pid: str, first_seq: int, data: st.DataObject) -> None:
        """Every run starts with payments in progress, so interleavings begin at once.

        One purse starts counting at ``first_seq`` (purses need not start at zero). Then two
        transfers start; each payee's ``Req`` may be delivered at once, so the run often begins
        with value debited and in flight.
        """
        self.purses[pid] = self.new_purse(pid, first_seq)
        self.net = Network(self.purses.values())
        self.seen_seq[pid] = first_seq
        for _ in range(2):
            self.start_valid_transfer(data)
            deliver_now = data.draw(st.booleans(), label="deliver the Req")
            if deliver_now and self.net.in_flight:
                self.record(self.net.deliver(len(self.net.in_flight) - 1))

    @rule(kind=st.sampled_from(["valid", "any", "one side"]), data=st.data())
    def start(self, kind: str, data: st.DataObject) -> None:
        """Start a payment: a valid one, any one (maybe refused), or one side only."""
        if kind == "valid":
            self.start_valid_transfer(data)
        elif kind == "any":
            self.start_any_transfer(
                data.draw(purse_ids, label="payer"),
                data.draw(purse_ids, label="payee"),
                Money.from_minor(data.draw(minor_units, label="units"), data.draw(codes)),
            )
        else:
            self.start_one_side(
                data.draw(purse_ids, label="purse"),
                data.draw(purse_ids, label="counterparty"),
                data.draw(st.booleans(), label="as payer"),
                Money.from_minor(data.draw(minor_units, label="units"), data.draw(codes)),
                data.draw(st.integers(min_value=-2, max_value=2), label="sequence skew"),
            )

    def start_valid_transfer(self, data: st.DataObject) -> None:
        """Start a transfer between two idle purses, within the payer's balance: it succeeds."""
        idle = [p for p in PURSES if self.purses[p].status is PurseStatus.IDLE]
        payers = [p for p in idle if any(self.purses[p].balances.values())]
        if len(idle) < 2 or not payers:
            event("start skipped: no idle pair")
            return
        payer = data.draw(st.sampled_from(payers), label="payer")
        payee = data.draw(st.sampled_from([p for p in idle if p != payer]), label="payee")
        held = [m for m in self.purses[payer].balances.values() if m]
        balance = data.draw(st.sampled_from(held), label="currency")
        room = self.room(self.purses[payee], balance.currency)
        most = balance.minor_units if room is None else min(balance.minor_units, room.minor_units)
        if most < 1:
            event("start skipped: the payee is full")
            return
        units = data.draw(st.integers(1, most), label="minor units")
        value = Money.from_minor(units, balance.currency)
        details = self.net.start_transfer(payer, payee, value)
        event("start ok")
        assert self.purses[payer].payment == details
        assert self.purses[payee].payment == details
        assert details not in self.debits
        assert details not in self.credits

    def start_any_transfer(self, payer: str, payee: str, value: Money) -> None:
        """Start any transfer; a refused one raises the right error and changes nothing."""
        expected = self.expected_error(self.purses[payer], self.purses[payee], value)
        if expected is None:
            self.net.start_transfer(payer, payee, value)
            return
        event(f"start refused: {expected.__name__}")
        before = self.state()
        with pytest.raises(expected):
            self.net.start_transfer(payer, payee, value)
        assert self.state() == before

    def start_one_side(self, pid: str, other: str, as_payer: bool, value: Money, skew: int) -> None:
        """A terminal that reaches one purse only, perhaps with a stale or future number."""
        seq = max(0, self.purses[other].next_seq + skew)
        message = StartFrom(other, value, seq) if as_payer else StartTo(other, value, seq)
        purse = self.purses[pid]
        expected: type[Exception] | None = None
        if purse.status is not PurseStatus.IDLE:
            expected = InvalidTransition
        elif pid == other:
            expected = SelfTransfer
        elif as_payer and purse.balance(value.currency) < value:
            expected = InsufficientFunds
        elif (
            not as_payer and (room := self.room(purse, value.currency)) is not None and value > room
        ):
            expected = BalanceLimitExceeded
        if expected is None:
            assert self.net.start(pid, message).accepted
            return
        before = self.state()
        with pytest.raises(expected):
            self.net.start(pid, message)
        assert self.state() == before

    @precondition(lambda self: self.net.in_flight)
    @rule(picks=st.lists(picks, min_size=1, max_size=4))
    def deliver(self, picks: list[int]) -> None:
        """Deliver one to four in-flight messages, each chosen anywhere in the channel."""
        for pick in picks:
            if not self.net.in_flight:
                return
            outcome = self.net.deliver(pick % len(self.net.in_flight))
            self.record(outcome)
            event(f"{outcome.trigger}: " + (outcome.ignored.name if outcome.ignored else "ok"))

    @precondition(lambda self: self.net.history)
    @rule(fault=st.sampled_from(["drop", "duplicate", "replay", "reorder"]), data=st.data())
    def channel_fault(self, fault: str, data: st.DataObject) -> None:
        """Lose, repeat, replay an old message, or reorder the channel."""
        flying = len(self.net.in_flight)
        if fault == "replay":
            history = self.net.history
            self.net.replay(history[data.draw(st.integers(0, len(history) - 1))])
        elif not flying:
            return
        elif fault == "drop":
            self.net.drop(data.draw(st.integers(0, flying - 1)))
        elif fault == "duplicate":
            self.net.duplicate(data.draw(st.integers(0, flying - 1)))
        else:
            self.net.reorder(data.draw(st.permutations(range(flying))))

    @rule(any_purse=st.booleans(), data=st.data())
    def abort(self, any_purse: bool, data: st.DataObject) -> None:
        """Abort a purse in the middle of a payment, or any purse (idle ones too)."""
        busy = [p for p in PURSES if self.purses[p].status is not PurseStatus.IDLE]
        pid = data.draw(st.sampled_from(PURSES if any_purse or not busy else busy), label="purse")
        purse = self.purses[pid]
        status, payment = purse.status, purse.payment
        outcome = self.net.abort(pid)
        assert purse.status is PurseStatus.IDLE
        assert outcome.logged == (payment if status in LOGGED_ON_ABORT else None)

    @rule(pid=purse_ids, step=st.sampled_from(["upload", "clear", "upload and clear"]))
    def archive_log(self, pid: str, step: str) -> None:
        """Upload a purse's exception log, clear it, or both; clearing keeps what is unarchived."""
        purse = self.purses[pid]
        log = purse.exception_log
        if step == "upload":
            self.archive.upload(purse)
            assert purse.exception_log == log  # uploading never clears
            assert all(self.archive.holds(pid, entry) for entry in log)
        elif step == "clear":
            cleared = purse.clear_exception_log(self.archive)
            assert all(self.archive.holds(pid, entry) for entry in cleared)
            assert [e for e in log if e not in cleared] == list(purse.exception_log)
        else:
            self.archive.collect(purse)
            assert purse.exception_log == ()

    @rule(pid=purse_ids, code=codes, units=minor_units)
    def convert(self, pid: str, code: str, units: int) -> None:
        purse = self.purses[pid]
        amount = Money.from_minor(units, code)
        target = "USD" if code == "CNY" else "CNY"
        before = self.state()
        try:
            record = purse.convert(amount, target, RATES)
        except (InvalidTransition, InsufficientFunds, InvalidAmount, BalanceLimitExceeded):
            assert self.state() == before
            return
        assert record.target.amount + record.remainder == record.exact
        self.converted_out[record.source.currency] += record.source
        self.converted_in[record.target.currency] += record.target

    @precondition(lambda self: self.archive.entries)
    @rule(pick=picks)
    def recover(self, pick: int) -> None:
        """Ask the archive to recover an archived payment: lost ones once, others never."""
        entries = sorted(self.archive.entries, key=lambda d: d.sort_key)
        details = entries[pick % len(entries)]
        payer = self.purses[details.from_purse]
        if not self.archive.is_definitely_lost(details) or self.archive.is_recovered(details):
            before = self.state()
            try:
                self.archive.recover(details, payer)
            except (PaymentNotLost, DoubleSpend):
                pass
            else:
                raise AssertionError(f"recovered {details}, which is not lost or was recovered")
            assert self.state() == before
            return
        balance = payer.balance(details.value.currency)
        room = self.room(payer, details.value.currency)
        if room is not None and details.value > room:
            before = self.state()
            with pytest.raises(BalanceLimitExceeded):
                self.archive.recover(details, payer)
            assert self.state() == before
            event("recovery refused: the payer is full")
            return
        recovery = self.archive.recover(details, payer)
        event("recovered a lost payment")
        self.recoveries[details] += 1
        assert recovery.refunded == details.value
        assert payer.balance(details.value.currency) == balance + details.value

    def teardown(self) -> None:
        """At the end of every run, settle: abort every purse, archive every log, recover
        everything. Then nothing is in flight or lost and every unit of value is back in a
        balance, and a late delivery of any message left in the channel changes nothing."""
        for pid in PURSES:
            self.net.abort(pid)
        for purse in self.purses.values():
            self.archive.collect(purse)
            assert purse.exception_log == ()
        for details in self.archive.lost_payments():
            try:
                recovery = self.archive.recover(details, self.purses[details.from_purse])
            except BalanceLimitExceeded:  # the payer is full: the value stays lost, accounted
                event("recovery refused at settlement: the payer is full")
                continue
            event("recovered at settlement")
            self.recoveries[recovery.details] += 1
        books = audit(self.purses.values(), self.archive)
        assert books.in_flight == ()
        for p in books.lost:
            payer = self.purses[p.from_purse]
            assert payer.balance(p.value.currency) + p.value > payer.limits[p.value.currency]
        for cur in CURRENCIES:
            assert self.total_balance(cur) + books.lost_value(cur) == self.expected_total(cur)
        while self.net.in_flight:
            outcome = self.net.deliver()
            self.record(outcome)
            assert not outcome.accepted  # every purse is idle: nothing can be debited or credited
        self.debited_and_credited_at_most_once()
        self.archive_lost_is_sound_and_recovered_once()
        self.audit_accounting_equation()

    # --- invariants --------------------------------------------------------------------------

    def expected_total(self, cur: Currency) -> Money:
        """The starting total, moved by conversions (equal to it when nothing was converted)."""
        return self.start_total[cur] - self.converted_out[cur] + self.converted_in[cur]

    @invariant()
    def balances_are_never_negative(self) -> None:
        for purse in self.purses.values():
            for money in purse.balances.values():
                assert not money.is_negative(), (purse, money)

    @invariant()
    def balances_never_exceed_limits(self) -> None:
        for purse in self.purses.values():
            for cur, limit in purse.limits.items():
                assert purse.balance(cur) <= limit, (purse, limit)

    @invariant()
    def total_never_exceeds_the_starting_total(self) -> None:
        for cur in CURRENCIES:
            assert self.total_balance(cur) <= self.expected_total(cur)

    @invariant()
    def ghost_accounting_equation(self) -> None:
        """balances + value debited, not credited, not recovered == starting total."""
        pending = self.unresolved()
        for cur in CURRENCIES:
            limbo = Money.zero(cur)
            for p in pending:
                if p.value.currency == cur:
                    limbo = limbo + p.value
            assert self.total_balance(cur) + limbo == self.expected_total(cur)

    @invariant()
    def audit_accounting_equation(self) -> None:
        """balances + in flight + lost (+ out - in) == starting total, from the state alone."""
        books = audit(self.purses.values(), self.archive)
        if books.in_flight:
            event("some value in flight")
        if books.lost:
            event("some value lost")
        assert set(books.in_flight) | set(books.lost) == self.unresolved()
        assert not set(books.in_flight) & set(books.lost)
        for cur in CURRENCIES:
            assert books.accounted_total(cur) == self.start_total[cur]
            assert books.balance(cur) == self.total_balance(cur)

    @invariant()
    def debited_and_credited_at_most_once(self) -> None:
        assert all(n <= 1 for n in self.debits.values()), self.debits
        assert all(n <= 1 for n in self.credits.values()), self.credits
        assert all(self.debits[p] for p in self.credits), "credited without a debit"

    @invariant()
    def archive_lost_is_sound_and_recovered_once(self) -> None:
        for p in self.archive.lost_payments(include_recovered=True):
            assert self.debits[p] == 1, p
            assert self.credits[p] == 0, p
        assert all(n == 1 for n in self.recoveries.values())
        assert {r.details for r in self.archive.recoveries} == set(self.recoveries)
        for recovery in self.archive.recoveries:
            assert recovery.refunded == recovery.details.value

    @invariant()
    def sequence_numbers_never_go_back(self) -> None:
        for pid, purse in self.purses.items():
            assert purse.next_seq >= self.seen_seq[pid]
            self.seen_seq[pid] = purse.next_seq
            if purse.payment is not None:
                own = (
                    purse.payment.from_seq
                    if purse.payment.from_purse == pid
                    else purse.payment.to_seq
                )
                assert own == purse.next_seq - 1


MondexProtocol.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
TestMondexProtocol = MondexProtocol.TestCase
