"""Example-based tests of the Mondex purse, its protocol, the archive, conversions and the network.

The property-based interleaving tests are in ``test_mondex_stateful.py``.
"""

from __future__ import annotations

import decimal
import doctest
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecservice.payments.mondex as mondex
from ecservice.clock import FixedClock
from ecservice.errors import (
    DoubleSpend,
    EcServiceError,
    InsufficientFunds,
    InvalidAmount,
    InvalidTransition,
    InvalidWorkflow,
    UnknownCurrency,
    ValidationError,
)
from ecservice.money import Money, currency
from ecservice.payments.mondex import (
    LOGGED_ON_ABORT,
    TRANSITIONS,
    TRIGGERS,
    Ack,
    Archive,
    BalanceLimitExceeded,
    IgnoreReason,
    Network,
    PaymentDetails,
    PaymentNotLost,
    Purse,
    PurseStatus,
    RateTable,
    RateUnavailable,
    Req,
    SelfTransfer,
    Side,
    StartFrom,
    StartTo,
    UnsafeRates,
    Val,
    audit,
    transfer,
)

ROOT = Path(__file__).resolve().parents[2]
CLOCK_START = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def snapshot(*purses: Purse) -> list[tuple[Any, ...]]:
    """Everything observable about purses, to prove an operation changed nothing."""
    return [
        (
            p.id,
            dict(p.balances),
            p.next_seq,
            p.status,
            p.payment,
            p.exception_log,
            p.conversions,
            p.recovered,
        )
        for p in purses
    ]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(CLOCK_START)


@pytest.fixture
def alice(clock: FixedClock) -> Purse:
    return Purse("alice", balances=[cny("100.00"), usd("20.00")], clock=clock)


@pytest.fixture
def bob(clock: FixedClock) -> Purse:
    return Purse("bob", balances=[cny("10.00")], clock=clock)


# --- public API -------------------------------------------------------------------------------


def _isort_key(name: str) -> tuple[int, str]:
    """The order of ruff's RUF022: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_every_name_importable() -> None:
    assert mondex.__all__ == sorted(mondex.__all__, key=_isort_key)
    assert len(set(mondex.__all__)) == len(mondex.__all__)
    for name in mondex.__all__:
        assert getattr(mondex, name) is not None


def test_package_docstring_examples_run() -> None:
    failures, attempted = doctest.testmod(mondex, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failures == 0


def test_rates_docstring_examples_run() -> None:
    from ecservice.payments.mondex import _rates

    failures, attempted = doctest.testmod(_rates)
    assert attempted > 0
    assert failures == 0


def test_every_trigger_of_the_protocol_is_a_typed_method() -> None:
    assert {t for _, t in TRANSITIONS} == set(TRIGGERS)
    for trigger in TRIGGERS:
        assert callable(getattr(Purse, trigger))


def test_transition_table_is_validated_when_defined() -> None:
    """The protocol is a kernel workflow: a variant that cannot reach a state is refused."""
    from ecservice.payments.mondex import PURSE_WORKFLOW

    with pytest.raises(InvalidWorkflow, match="EXPECTING_VAL cannot be reached from IDLE"):
        PURSE_WORKFLOW.derive("broken", remove_transitions=["start_to"])


def test_dead_end_state_is_refused() -> None:
    """A variant where the payer could never leave 'expecting ack' is refused."""
    from ecservice.payments.mondex import PURSE_WORKFLOW

    with pytest.raises(InvalidWorkflow, match="EXPECTING_ACK is not final but no transition"):
        PURSE_WORKFLOW.derive(
            "broken", remove_transitions=["ack", ("abort", PurseStatus.EXPECTING_ACK)]
        )


def test_abort_is_allowed_everywhere_and_logs_only_in_epv_and_epa() -> None:
    for status in PurseStatus:
        assert TRANSITIONS[(status, "abort")] is PurseStatus.IDLE
    assert {PurseStatus.EXPECTING_VAL, PurseStatus.EXPECTING_ACK} == LOGGED_ON_ABORT


# --- value objects ----------------------------------------------------------------------------


def test_payment_details_refuse_bad_values() -> None:
    with pytest.raises(SelfTransfer, match="cannot pay itself"):
        PaymentDetails("a", "a", cny("1.00"), 0, 0)
    with pytest.raises(InvalidAmount, match="greater than zero"):
        PaymentDetails("a", "b", cny("0.00"), 0, 0)
    with pytest.raises(InvalidAmount, match="must be a Money"):
        PaymentDetails("a", "b", Decimal("1"), 0, 0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="whole number >= 0"):
        PaymentDetails("a", "b", cny("1.00"), -1, 0)
    with pytest.raises(ValidationError, match="non-empty string"):
        PaymentDetails(" ", "b", cny("1.00"), 0, 0)


def test_start_messages_refuse_zero_negative_and_too_precise_values() -> None:
    with pytest.raises(InvalidAmount, match=r"greater than zero, not 0\.00 CNY"):
        StartFrom("bob", cny("0"), 0)
    with pytest.raises(InvalidAmount, match=r"greater than zero, not -1\.00 CNY"):
        StartTo("alice", cny("-1"), 0)
    with pytest.raises(InvalidAmount, match="3 decimal places but CNY allows at most 2"):
        StartFrom("bob", cny("1.005"), 0)
    with pytest.raises(ValidationError, match="sequence number"):
        StartFrom("bob", cny("1"), True)


def test_messages_name_their_recipient() -> None:
    details = PaymentDetails("a", "b", cny("1.00"), 3, 4)
    assert Req(details).recipient == "a"
    assert Val(details).recipient == "b"
    assert Ack(details).recipient == "a"
    assert str(details) == "a#3 -> b#4: 1.00 CNY"


def test_purse_construction_validates_balances() -> None:
    with pytest.raises(InvalidAmount, match="cannot be negative"):
        Purse("p", balances=[cny("-1.00")])
    with pytest.raises(ValidationError, match="one balance per currency"):
        Purse("p", balances=[cny("1.00"), cny("2.00")])
    with pytest.raises(ValidationError, match="iterable of Money"):
        Purse("p", balances=cny("1.00"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="non-empty string"):
        Purse("")
    purse = Purse("p")
    assert purse.balance("JPY") == Money("0", "JPY")
    assert purse.status is PurseStatus.IDLE
    assert purse.payment is None
    assert "Purse('p', status=idle" in repr(purse)


# --- the happy path ---------------------------------------------------------------------------


def test_transfer_moves_value_and_runs_every_step(alice: Purse, bob: Purse) -> None:
    result = transfer(alice, bob, cny("30.00"))
    assert result.completed
    assert [o.trigger for o in result.outcomes] == ["start_from", "start_to", "req", "val", "ack"]
    assert all(o.accepted for o in result.outcomes)
    assert alice.balance("CNY") == cny("70.00")
    assert bob.balance("CNY") == cny("40.00")
    assert result.details == PaymentDetails("alice", "bob", cny("30.00"), 0, 0)
    assert (alice.status, bob.status) == (PurseStatus.IDLE, PurseStatus.IDLE)
    assert (alice.next_seq, bob.next_seq) == (1, 1)
    assert alice.exception_log == bob.exception_log == ()


def test_receiving_a_new_currency_starts_from_zero(alice: Purse, bob: Purse) -> None:
    transfer(alice, bob, usd("5.50"))
    assert bob.balance("USD") == usd("5.50")
    assert alice.balance("USD") == usd("14.50")


def test_transfer_of_the_whole_balance_leaves_zero(alice: Purse, bob: Purse) -> None:
    transfer(alice, bob, cny("100.00"))
    assert alice.balance("CNY") == cny("0.00")


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (cny("0.00"), InvalidAmount, "greater than zero"),
        (cny("-5.00"), InvalidAmount, "greater than zero"),
        (cny("100.01"), InsufficientFunds, "holds 100.00 CNY.*transfer at most 100.00 CNY"),
        (Money("1", "JPY"), InsufficientFunds, "holds 0 JPY"),
    ],
)
def test_bad_transfers_raise_and_change_nothing(
    alice: Purse, bob: Purse, value: Money, error: type[Exception], message: str
) -> None:
    before = snapshot(alice, bob)
    with pytest.raises(error, match=message):
        transfer(alice, bob, value)
    assert snapshot(alice, bob) == before


def test_transfer_to_self_is_refused(alice: Purse) -> None:
    before = snapshot(alice)
    with pytest.raises(SelfTransfer, match="cannot pay itself"):
        transfer(alice, alice, cny("1.00"))
    with pytest.raises(SelfTransfer):
        alice.start_from(StartFrom("alice", cny("1.00"), 0))
    with pytest.raises(SelfTransfer):
        alice.start_to(StartTo("alice", cny("1.00"), 0))
    assert snapshot(alice) == before


def test_busy_purse_refuses_to_start_and_neither_purse_changes(
    alice: Purse, bob: Purse, clock: FixedClock
) -> None:
    carol = Purse("carol", clock=clock)
    net = Network([alice, bob, carol])
    net.start_transfer("alice", "carol", cny("1.00"))
    before = snapshot(alice, bob, carol)
    with pytest.raises(InvalidTransition, match=r"in state 'epv'; triggers allowed in 'epv'"):
        transfer(bob, carol, cny("1.00"))  # payer bob is idle, payee carol is busy
    with pytest.raises(InvalidTransition, match="'start_from' purse 'alice' in state 'epr'"):
        transfer(alice, bob, cny("1.00"))
    assert snapshot(alice, bob, carol) == before


# --- stale and replayed messages --------------------------------------------------------------


def test_replayed_val_is_never_credited_twice(alice: Purse, bob: Purse) -> None:
    net = Network([alice, bob])
    details = net.start_transfer("alice", "bob", cny("10.00"))
    net.deliver()  # Req -> alice debits
    net.duplicate(0)  # two copies of Val in flight
    first, second = net.deliver(), net.deliver()
    assert first.credited == cny("10.00")
    assert second.ignored is IgnoreReason.WRONG_STATUS
    assert second.emitted == ()
    assert "ignored Val" in str(second)
    net.run()
    net.replay(Val(details))
    assert net.deliver().ignored is IgnoreReason.WRONG_STATUS
    assert bob.balance("CNY") == cny("20.00")


def test_old_req_does_not_debit_a_later_payment(alice: Purse, bob: Purse) -> None:
    net = Network([alice, bob])
    old = net.start_transfer("alice", "bob", cny("1.00"))
    net.run()
    new = net.start_transfer("alice", "bob", cny("2.00"))
    assert new.from_seq == old.from_seq + 1
    assert new.to_seq == old.to_seq + 1
    net.replay(Req(old))
    net.reorder([1, 0])
    outcome = net.deliver(0)
    assert outcome.ignored is IgnoreReason.DETAILS_MISMATCH
    assert outcome.debited is None
    assert alice.balance("CNY") == cny("99.00")
    net.run()
    assert alice.balance("CNY") == cny("97.00")
    assert bob.balance("CNY") == cny("13.00")


def test_message_for_another_purse_is_ignored(alice: Purse, bob: Purse) -> None:
    details = PaymentDetails("alice", "bob", cny("1.00"), 0, 0)
    outcome = bob.req(Req(details))
    assert outcome.ignored is IgnoreReason.NOT_ADDRESSED
    assert not outcome.accepted


def test_req_before_start_from_is_ignored_and_then_stalls_safely(alice: Purse, bob: Purse) -> None:
    start_to = StartTo("alice", cny("5.00"), alice.next_seq)
    req = bob.start_to(start_to).emitted[0]
    assert isinstance(req, Req)
    assert alice.receive(req).ignored is IgnoreReason.WRONG_STATUS
    alice.start_from(StartFrom("bob", cny("5.00"), bob.next_seq))  # stale: bob moved on
    assert alice.receive(req).ignored is IgnoreReason.DETAILS_MISMATCH
    assert alice.balance("CNY") == cny("100.00")
    assert bob.abort().logged == req.details  # bob logs, but nothing was debited
    assert alice.abort().logged is None
    books = audit([alice, bob])
    assert books.in_flight == books.lost == ()


def test_abort_when_idle_or_expecting_request_logs_nothing(alice: Purse, bob: Purse) -> None:
    assert alice.abort().logged is None
    alice.start_from(StartFrom("bob", cny("1.00"), 0))
    outcome = alice.abort()
    assert outcome.logged is None
    assert "nothing was debited" in str(outcome)
    assert alice.exception_log == ()
    assert alice.next_seq == 1  # the used sequence number is never reused


def test_allowed_triggers_follow_the_table(alice: Purse) -> None:
    assert alice.allowed_triggers() == {"start_from", "start_to", "abort"}
    alice.start_from(StartFrom("bob", cny("1.00"), 0))
    assert alice.allowed_triggers() == {"req", "abort"}
    assert alice.can("req")
    assert not alice.can("val")


# --- value in limbo, archive and recovery -----------------------------------------------------


def limbo(alice: Purse, bob: Purse, value: Money) -> tuple[Network, PaymentDetails]:
    """Debit alice, lose the Val, abort both: the payment is definitely lost."""
    net = Network([alice, bob])
    details = net.start_transfer("alice", "bob", value)
    net.deliver()
    net.drop()
    assert bob.abort().logged == details
    assert alice.abort().logged == details
    return net, details


def test_lost_value_is_accounted_and_recovered_once(
    alice: Purse, bob: Purse, clock: FixedClock
) -> None:
    _, details = limbo(alice, bob, cny("12.50"))
    books = audit([alice, bob])
    assert books.lost == (details,)
    assert books.accounted_total("CNY") == cny("110.00")
    archive = Archive(clock=clock)
    assert archive.collect(alice) == (details,)
    assert archive.lost_payments() == ()  # only the payer's side so far
    with pytest.raises(PaymentNotLost, match="holds it from from; recovery needs"):
        archive.recover(details, alice)
    archive.collect(bob)
    assert archive.sides(details) == {Side.FROM, Side.TO}
    assert archive.lost_payments() == (details,)
    assert archive.lost_value("CNY") == cny("12.50")
    recovery = archive.recover(details, alice)
    assert recovery.refunded == cny("12.50")
    assert recovery.recovered_at == clock.now()
    assert alice.balance("CNY") == cny("100.00")
    assert archive.lost_value("CNY") == cny("0.00")
    assert archive.lost_payments(include_recovered=True) == (details,)
    before = snapshot(alice, bob)
    with pytest.raises(DoubleSpend, match="already recovered"):
        archive.recover(details, alice)
    assert Archive().recover_all([alice]) == ()  # a fresh archive knows nothing lost
    with pytest.raises(DoubleSpend, match="already refunded"):
        alice._credit_recovery(details)  # the purse itself refuses a second refund
    assert snapshot(alice, bob) == before
    books = audit([alice, bob], archive)
    assert books.recovered == (details,)
    assert books.lost == ()
    assert books.accounted_total("CNY") == cny("110.00")


def test_recovery_goes_only_to_the_payer(alice: Purse, bob: Purse) -> None:
    _, details = limbo(alice, bob, cny("1.00"))
    archive = Archive()
    archive.collect(alice)
    archive.collect(bob)
    before = snapshot(alice, bob)
    with pytest.raises(ValidationError, match="only be refunded to its payer 'alice'"):
        archive.recover(details, bob)
    assert snapshot(alice, bob) == before
    assert not archive.is_recovered(details)
    assert archive.recover_all([alice, bob])[0].details == details


def test_payer_logged_but_payee_credited_is_not_lost(alice: Purse, bob: Purse) -> None:
    net = Network([alice, bob])
    details = net.start_transfer("alice", "bob", cny("3.00"))
    net.deliver()  # alice debits
    net.deliver()  # bob credits, Ack in flight
    net.drop()  # the Ack is lost
    assert alice.abort().logged == details
    archive = Archive()
    archive.collect(alice)
    archive.collect(bob)
    assert archive.lost_payments() == ()
    books = audit([alice, bob], archive)
    assert books.in_flight == books.lost == ()
    assert books.balance("CNY") == cny("110.00")


def test_payer_aborted_but_val_still_arrives(alice: Purse, bob: Purse) -> None:
    net = Network([alice, bob])
    details = net.start_transfer("alice", "bob", cny("3.00"))
    net.deliver()
    alice.abort()
    assert audit([alice, bob]).in_flight == (details,)  # may still complete
    assert net.deliver().credited == cny("3.00")
    books = audit([alice, bob])
    assert books.in_flight == books.lost == ()
    assert net.deliver().ignored is IgnoreReason.WRONG_STATUS  # the Ack comes too late


def test_clear_keeps_entries_the_archive_does_not_hold(alice: Purse, bob: Purse) -> None:
    _, first = limbo(alice, bob, cny("1.00"))
    archive = Archive()
    assert archive.upload(alice) == (first,)
    assert archive.upload(alice) == ()  # idempotent
    _, second = limbo(alice, bob, cny("2.00"))
    assert list(alice.exception_log) == [first, second]
    assert alice.clear_exception_log(archive) == (first,)
    assert list(alice.exception_log) == [second]
    assert Archive().collect(bob) == (first, second)


def test_upload_refuses_a_foreign_entry() -> None:
    stranger = Purse("stranger")
    stranger._exception_log.append(PaymentDetails("a", "b", cny("1.00"), 0, 0))
    archive = Archive()
    with pytest.raises(ValidationError, match="neither its payer"):
        archive.upload(stranger)
    assert archive.entries == {}


def test_audit_refuses_two_purses_with_one_id() -> None:
    with pytest.raises(ValidationError, match="ids must be unique"):
        audit([Purse("x"), Purse("x")])


# --- conversions ------------------------------------------------------------------------------


RATES = RateTable({("USD", "CNY"): Decimal("7.12345"), ("CNY", "USD"): "0.1403"})


def test_conversion_records_exact_rounded_and_remainder(alice: Purse, clock: FixedClock) -> None:
    record = alice.convert(usd("3.33"), "CNY", RATES)
    assert record.exact == Decimal("23.7210885")
    assert record.target == cny("23.72")
    assert record.remainder == Decimal("0.0010885")
    assert record.rounding == decimal.ROUND_DOWN
    assert record.occurred_at == clock.now()
    assert alice.balance("USD") == usd("16.67")
    assert alice.balance("CNY") == cny("123.72")
    assert alice.conversions == (record,)
    books = audit([alice])
    assert books.accounted_total("CNY") == cny("100.00")
    assert books.accounted_total("USD") == usd("20.00")


def test_conversion_rounding_mode_is_explicit(alice: Purse) -> None:
    floor = RateTable({("USD", "CNY"): Decimal("7.12345")}, rounding=decimal.ROUND_FLOOR)
    record = alice.convert(usd("1.00"), "CNY", floor)
    assert record.target == cny("7.12")
    assert record.rounding == decimal.ROUND_FLOOR
    record = alice.convert(usd("0.01"), "CNY", floor)
    assert record.exact == Decimal("0.0712345")
    assert record.target == cny("0.07")
    assert record.remainder == Decimal("0.0012345")


@pytest.mark.parametrize(
    "rounding",
    sorted(
        {
            decimal.ROUND_CEILING,
            decimal.ROUND_HALF_DOWN,
            decimal.ROUND_HALF_EVEN,
            decimal.ROUND_HALF_UP,
            decimal.ROUND_UP,
            decimal.ROUND_05UP,
        }
    ),
)
def test_rate_table_refuses_modes_that_round_up(rounding: str) -> None:
    """Rounding a conversion up credits value nobody paid: such modes are refused."""
    with pytest.raises(UnsafeRates, match=f"{rounding} can round a converted amount up"):
        RateTable({("CNY", "JPY"): "20", ("JPY", "CNY"): "0.05"}, rounding=rounding)


@pytest.mark.parametrize("rounding", sorted(mondex.ROUNDING_MODES))
def test_round_trips_of_small_amounts_cannot_create_value(rounding: str) -> None:
    """200 round trips of 0.03 CNY through JPY never turn 1.00 CNY into more (it was 5.00)."""
    rates = RateTable({("CNY", "JPY"): "20", ("JPY", "CNY"): "0.05"}, rounding=rounding)
    purse = Purse("p", balances=[cny("1.00")])
    for _ in range(200):
        try:
            jpy = purse.convert(cny("0.03"), "JPY", rates).target
        except InvalidAmount:  # 0.60 JPY rounds down to nothing: refused, nothing moved
            continue
        purse.convert(jpy, "CNY", rates)
    assert purse.balance("CNY") == cny("1.00")
    assert purse.balance("JPY").is_zero()
    for _ in range(20):  # amounts that convert: every trip gives back at most what went out
        jpy = purse.convert(cny("0.07"), "JPY", rates).target
        purse.convert(jpy, "CNY", rates)
    assert purse.balance("CNY") <= cny("1.00")


class _UpRounding:
    """A rate source (a live feed, say) that asks for rounding up: the purse refuses it."""

    rounding = decimal.ROUND_UP

    def rate(self, source: Any, target: Any) -> Decimal:
        return Decimal("20")


class _GainfulFeed:
    """A rate source quoting both directions so that a round trip gains: refused."""

    rounding = decimal.ROUND_DOWN

    def rate(self, source: Any, target: Any) -> Decimal:
        return Decimal("20") if source.code == "CNY" else Decimal("0.06")


@pytest.mark.parametrize(
    ("source", "message"),
    [(_UpRounding(), "can round a converted amount up"), (_GainfulFeed(), "multiply to more")],
)
def test_purse_refuses_unsafe_rate_sources(source: Any, message: str) -> None:
    purse = Purse("p", balances=[cny("1.00")])
    before = snapshot(purse)
    with pytest.raises(UnsafeRates, match=message):
        purse.convert(cny("0.03"), "JPY", source)
    assert snapshot(purse) == before


@pytest.mark.parametrize(
    ("rates", "cycle"),
    [
        ({("CNY", "JPY"): "20", ("JPY", "CNY"): "0.06"}, "JPY -> CNY -> JPY multiply to 1.2,"),
        (
            {("CNY", "USD"): "0.14", ("USD", "EUR"): "0.93", ("EUR", "CNY"): "7.8"},
            "multiply to 1.01556",
        ),
    ],
)
def test_rate_table_refuses_cycles_that_create_value(rates: Any, cycle: str) -> None:
    with pytest.raises(UnsafeRates, match=cycle):
        RateTable(rates)


def test_rate_table_accepts_cycles_that_give_back_at_most_the_amount() -> None:
    table = RateTable({("CNY", "JPY"): "20", ("JPY", "CNY"): "0.05", ("USD", "CNY"): "7"})
    assert table.rate(currency("JPY"), currency("CNY")) == Decimal("0.05")


@settings(max_examples=150, deadline=None)
@given(
    rounding=st.sampled_from(sorted(mondex.ROUNDING_MODES)),
    codes=st.sampled_from([("CNY", "JPY"), ("USD", "KWD"), ("JPY", "KWD"), ("EUR", "CNY")]),
    there=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=4),
    back=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000"), places=4),
    units=st.integers(min_value=1, max_value=10**7),
    trips=st.integers(min_value=1, max_value=30),
)
def test_no_round_trip_creates_value(
    rounding: str, codes: tuple[str, str], there: Decimal, back: Decimal, units: int, trips: int
) -> None:
    """Whatever accepted mode and rates: round trips end with at most the starting amount."""
    home, away = codes
    try:
        table = RateTable({(home, away): there, (away, home): back}, rounding=rounding)
    except UnsafeRates:
        assert there * back > 1
        return
    start = Money.from_minor(units, home)
    purse = Purse("p", balances=[start])
    for _ in range(trips):
        try:
            out = purse.convert(purse.balance(home), away, table)
            purse.convert(out.target, home, table)
        except InvalidAmount:  # too little to convert: nothing moved
            break
    assert purse.balance(home) <= start
    for record in purse.conversions:
        assert record.remainder >= 0


def test_conversion_to_a_currency_with_no_minor_unit() -> None:
    purse = Purse("p", balances=[cny("10.00")])
    record = purse.convert(cny("10.00"), "JPY", RateTable({("CNY", "JPY"): "21.05"}))
    assert record.target == Money("210", "JPY")
    assert record.remainder == Decimal("0.5000")


@pytest.mark.parametrize(
    ("amount", "target", "error", "message"),
    [
        (usd("0.00"), "CNY", InvalidAmount, "greater than zero"),
        (usd("20.01"), "CNY", InsufficientFunds, "holds 20.00 USD; convert at most 20.00 USD"),
        (usd("1.00"), "USD", ValidationError, "must be another currency"),
        (usd("1.00"), "EUR", RateUnavailable, "no rate from USD to EUR.*quotes: CNY->USD"),
        (usd("1.00"), "XYZ", UnknownCurrency, "unknown currency code"),
        (cny("0.01"), "USD", InvalidAmount, "rounds to 0.00 USD"),
    ],
)
def test_bad_conversions_raise_and_change_nothing(
    alice: Purse, amount: Money, target: str, error: type[Exception], message: str
) -> None:
    before = snapshot(alice)
    with pytest.raises(error, match=message):
        alice.convert(amount, target, RATES)
    assert snapshot(alice) == before


def test_busy_purse_does_not_convert(alice: Purse) -> None:
    alice.start_from(StartFrom("bob", usd("20.00"), 0))
    with pytest.raises(InvalidTransition, match="cannot 'convert'"):
        alice.convert(usd("20.00"), "CNY", RATES)


@pytest.mark.parametrize(
    ("rates", "rounding", "message"),
    [
        ({("USD", "CNY"): 7.1}, decimal.ROUND_DOWN, "not float"),
        ({("USD", "CNY"): "0"}, decimal.ROUND_DOWN, "greater than zero"),
        ({("USD", "CNY"): "NaN"}, decimal.ROUND_DOWN, "finite"),
        ({("USD", "CNY"): "seven"}, decimal.ROUND_DOWN, "not a decimal number"),
        ({("USD", "USD"): "1"}, decimal.ROUND_DOWN, "to itself"),
        ({"USD": "1"}, decimal.ROUND_DOWN, "currency pairs"),
        ({("USD", "CNY"): "7"}, "ROUND_SIDEWAYS", "unknown rounding mode"),
    ],
)
def test_rate_table_refuses_bad_rates(rates: Any, rounding: str, message: str) -> None:
    with pytest.raises(EcServiceError, match=message):
        RateTable(rates, rounding=rounding)


@settings(max_examples=100, deadline=None)
@given(
    units=st.integers(min_value=1, max_value=10**6),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=6),
    rounding=st.sampled_from(sorted(mondex._rates.ROUNDING_MODES)),
)
def test_conversion_never_loses_value_unaccounted(units: int, rate: Decimal, rounding: str) -> None:
    """Debited, credited and remainder always add up exactly, in every rounding mode."""
    purse = Purse("p", balances=[Money.from_minor(units, "USD")])
    amount = Money.from_minor(units, "USD")
    table = RateTable({("USD", "JPY"): rate}, rounding=rounding)
    try:
        record = purse.convert(amount, "JPY", table)
    except InvalidAmount:
        assert purse.balance("USD") == amount  # refused: too small, nothing moved
        return
    assert record.exact == amount.amount * rate
    assert record.target.amount + record.remainder == record.exact
    assert abs(record.remainder) < 1
    assert purse.balance("JPY") == record.target
    assert purse.balance("USD").is_zero()


# --- the network helper -----------------------------------------------------------------------


def test_network_refuses_bad_indexes_permutations_and_forged_replays(
    alice: Purse, bob: Purse
) -> None:
    net = Network([alice, bob])
    with pytest.raises(ValidationError, match="no message at index 0: 0 in flight"):
        net.deliver()
    with pytest.raises(ValidationError, match="no purse 'carol'"):
        net.start_transfer("alice", "carol", cny("1.00"))
    details = net.start_transfer("alice", "bob", cny("1.00"))
    with pytest.raises(ValidationError, match="permutation"):
        net.reorder([0, 0])
    with pytest.raises(ValidationError, match="only messages a purse emitted"):
        net.replay(Val(details))
    assert net.history == (Req(details),)
    with pytest.raises(ValidationError, match="ids must be unique"):
        Network([alice, Purse("alice")])


def test_network_run_completes_a_started_transfer(alice: Purse, bob: Purse) -> None:
    net = Network([alice, bob])
    net.start_transfer("alice", "bob", cny("4.00"))
    outcomes = net.run()
    assert [o.trigger for o in outcomes] == ["req", "val", "ack"]
    assert net.in_flight == ()
    assert set(net.purses) == {"alice", "bob"}
    assert bob.balance("CNY") == cny("14.00")


def test_outcome_and_purse_state_are_frozen_or_read_only(alice: Purse) -> None:
    outcome = alice.abort()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        outcome.purse = "mallory"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        alice.status = PurseStatus.EXPECTING_ACK  # type: ignore[misc]
    with pytest.raises(TypeError):
        alice.balances[currency("CNY")] = cny("1000000.00")  # type: ignore[index]


# --- the example ------------------------------------------------------------------------------


def test_example_script_runs_and_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "mondex_transfer.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "second recovery refused" in done.stdout
    assert "definitely lost: alice#1 -> bob#1: 12.50 CNY" in done.stdout
    assert "refused: purse 'carol' cannot take 10.00 CNY" in done.stdout
    assert "rate table refused: rounding mode ROUND_UP" in done.stdout


def test_the_protocol_is_a_kernel_workflow_with_a_diagram() -> None:
    """The purse protocol is declared with the workflow kernel; TRANSITIONS is read off it and
    the Mermaid diagram shows every trigger."""
    from ecservice.payments.mondex import PURSE_WORKFLOW, TRANSITIONS, TRIGGERS, PurseStatus

    assert PURSE_WORKFLOW.triggers == TRIGGERS
    assert TRANSITIONS[(PurseStatus.EXPECTING_REQ, "req")] is PurseStatus.EXPECTING_ACK
    assert len(TRANSITIONS) == 5 + len(PurseStatus)
    text = PURSE_WORKFLOW.mermaid()
    for trigger in TRIGGERS:
        assert trigger in text


# --- all or nothing: limits and overflow ------------------------------------------------------


def test_transfer_the_payee_cannot_take_is_refused_before_either_purse_changes(
    alice: Purse, clock: FixedClock
) -> None:
    """A credit above the payee's limit used to fail after the payer was debited."""
    carol = Purse("carol", balances=[cny("90.00")], limits=[cny("100.00")], clock=clock)
    before = snapshot(alice, carol)
    with pytest.raises(BalanceLimitExceeded, match=r"holds 90.00 CNY .* take at most 10.00 CNY"):
        transfer(alice, carol, cny("10.01"))
    assert snapshot(alice, carol) == before
    assert transfer(alice, carol, cny("10.00")).completed
    assert carol.balance("CNY") == carol.limits["CNY"]


def test_transfer_that_would_overflow_the_payee_is_refused_before_either_purse_changes() -> None:
    """Without a limit, a balance beyond what Money holds exactly is refused the same way."""
    huge = Money("9" * 58, "CNY")
    rich = Purse("rich", balances=[huge])
    full = Purse("full", balances=[huge])
    before = snapshot(rich, full)
    with pytest.raises(BalanceLimitExceeded, match="more significant digits"):
        transfer(rich, full, huge)
    assert snapshot(rich, full) == before


def test_a_val_that_no_longer_fits_is_logged_not_credited_and_recoverable(
    clock: FixedClock,
) -> None:
    """A recovery may fill the payee while it waits for the value: the Val is then logged."""
    alice = Purse("alice", balances=[cny("50.00")], clock=clock)
    bob = Purse("bob", balances=[cny("30.00")], limits=[cny("40.00")], clock=clock)
    net = Network([alice, bob])
    archive = Archive(clock=clock)
    lost = net.start_transfer("bob", "alice", cny("10.00"))  # bob pays alice; the Val is lost
    net.deliver()
    net.drop()
    net.abort("bob"), net.abort("alice")
    archive.collect(alice), archive.collect(bob)
    assert bob.balance("CNY") == cny("20.00")
    payment = net.start_transfer("alice", "bob", cny("20.00"))  # fits: 20.00 + 20.00 <= 40.00
    net.deliver()  # alice debits and sends Val
    archive.recover(lost, bob)  # bob gets his 10.00 back: now 30.00, no room for 20.00
    outcome = net.deliver()
    assert outcome.accepted
    assert outcome.credited is None
    assert outcome.emitted == ()
    assert outcome.logged == payment
    assert "refused the credit" in outcome.explanation
    assert bob.status is PurseStatus.IDLE
    assert bob.exception_log == (payment,)
    assert bob.balance("CNY") == cny("30.00")
    books = audit([alice, bob], archive)
    assert books.in_flight == (payment,)
    assert books.accounted_total("CNY") == cny("80.00")
    net.abort("alice")
    archive.collect(alice), archive.collect(bob)
    assert archive.lost_payments() == (payment,)
    assert audit([alice, bob], archive).accounted_total("CNY") == cny("80.00")
    archive.recover(payment, alice)
    assert (alice.balance("CNY"), bob.balance("CNY")) == (cny("50.00"), cny("30.00"))


def test_recovery_that_does_not_fit_is_refused_and_changes_nothing(clock: FixedClock) -> None:
    alice = Purse("alice", balances=[cny("50.00")], limits=[cny("50.00")], clock=clock)
    bob = Purse("bob", clock=clock)
    net = Network([alice, bob])
    archive = Archive(clock=clock)
    lost = net.start_transfer("alice", "bob", cny("10.00"))
    net.deliver()
    net.drop()
    net.abort("alice"), net.abort("bob")
    archive.collect(alice), archive.collect(bob)
    transfer(Purse("gift", balances=[cny("10.00")]), alice, cny("10.00"))  # alice full again
    before = snapshot(alice)
    with pytest.raises(BalanceLimitExceeded, match=r"limit\ is\ 50\.00\ CNY"):
        archive.recover(lost, alice)
    assert snapshot(alice) == before
    assert not archive.is_recovered(lost)


def test_conversion_that_does_not_fit_is_refused_and_changes_nothing(clock: FixedClock) -> None:
    purse = Purse("p", balances=[usd("10.00"), cny("95.00")], limits=[cny("100.00")], clock=clock)
    before = snapshot(purse)
    with pytest.raises(BalanceLimitExceeded, match=r"can\ take\ at\ most\ 5\.00\ CNY"):
        purse.convert(usd("1.00"), "CNY", RATES)
    assert snapshot(purse) == before


def test_purse_limits_and_clock_are_validated() -> None:
    with pytest.raises(BalanceLimitExceeded, match=r"cannot\ start\ with\ 20\.00\ CNY"):
        Purse("p", balances=[cny("20.00")], limits=[cny("10.00")])
    with pytest.raises(ValidationError, match="one limit per currency"):
        Purse("p", limits=[cny("1.00"), cny("2.00")])
    with pytest.raises(InvalidAmount, match="limits cannot be negative"):
        Purse("p", limits=[cny("-1.00")])
    with pytest.raises(ValidationError, match="clock must be a Clock"):
        Purse("p", clock="now")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="iterable of Money"):
        Purse("p", balances=None)  # type: ignore[arg-type]


def test_balances_look_up_by_currency_code(alice: Purse) -> None:
    assert alice.balances["CNY"] == cny("100.00")
    assert alice.balances[currency("USD")] == usd("20.00")
    assert "CNY" in alice.balances
    assert currency("CNY") in alice.balances
    assert "JPY" not in alice.balances
    with pytest.raises(KeyError):
        alice.balances["JPY"]
    assert dict(alice.balances) == {currency("CNY"): cny("100.00"), currency("USD"): usd("20.00")}
