"""E-cash payments over a store and a mint that commits on its own: money moves once.

Each test makes new :class:`~ecservice.application.EcashPaymentService` objects over one store
and one mint (as new processes, or a process restarted after a crash, would), on memory, SQLite
(the mint's book in a file of its own) and PostgreSQL. The crash tests stop a call after the
mint's transactions and before the store's commit, run it again, and demand one deposit set,
one refund, and the buyers' coins plus the merchant's income equal to what was withdrawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecservice.application import EcashPaymentService
from ecservice.clock import FixedClock
from ecservice.errors import IdempotencyConflict, ValidationError
from ecservice.money import sum_money
from ecservice.payments import OutcomeLookup, PaymentGateway
from ecservice.payments.ecash import Mint
from ecservice.storage import Store
from tests.application.conftest import START, StoreFactory
from tests.application.ecash_rig import (
    SHOP,
    CrashingStore,
    Stopped,
    balances,
    cny,
    conserved,
    merchant_total,
    mint_book,
    new_mint,
    seed,
    service,
    stored_wallets,
    wallet_of,
)

LI = wallet_of("cw-li")


@pytest.fixture
def shop(make_store: StoreFactory, clock: FixedClock, tmp_path: Path) -> tuple[CrashingStore, Mint]:
    """A store (able to crash at commit) with the buyers' wallets, and the mint."""
    from ecservice.storage.sql import SqlStore

    store = make_store(clock)
    sqlite = isinstance(store, SqlStore) and store.engine.dialect.name == "sqlite"
    mint_url = f"sqlite:///{tmp_path / 'mint.db'}" if sqlite else None
    mint = new_mint(clock, mint_book(store, mint_url))
    seed(store, mint, clock)
    return CrashingStore(store), mint


def test_the_service_is_a_gateway_that_tells_outcomes(shop: tuple[Store, Mint]) -> None:
    store, mint = shop
    payments = service(store, mint)
    assert isinstance(payments, PaymentGateway)
    assert isinstance(payments, OutcomeLookup)
    assert "merchant='e-shop'" in repr(payments)


def test_pay_capture_refund_void_end_to_end(shop: tuple[Store, Mint]) -> None:
    """Authorise (nothing moves), capture (the mint takes the spends, the wallet records
    them), refund (back to the coins), void another authorisation (nothing moves)."""
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("12.34"), reference="P-1", idempotency_key="A-1")
    assert auth.approved, auth
    assert payments.reserved("cw-li") == {auth.reference: cny("12.34")}
    assert balances(store)["cw-li"] == cny("30.00")
    assert merchant_total(mint) == cny("0.00")
    cap = service(store, mint).capture(auth.reference, cny("12.34"), idempotency_key="C-1")
    assert cap.approved, cap
    assert payments.reserved("cw-li") == {}
    assert balances(store)["cw-li"] == cny("17.66")
    assert mint.pending_total(SHOP) == cny("12.34")
    receipts = payments.deposits(cap.reference)
    assert sum_money((r.amount for r in receipts), "CNY") == cny("12.34")
    ref = service(store, mint).refund(cap.reference, cny("2.34"), idempotency_key="R-1")
    assert ref.approved, ref
    assert balances(store)["cw-li"] == cny("20.00")
    assert mint.pending_total(SHOP) == cny("10.00")
    other = payments.authorize(LI, cny("5.00"), reference="P-2", idempotency_key="A-2")
    assert payments.void(other.reference, idempotency_key="V-2").approved
    assert payments.reserved("cw-li") == {}
    assert conserved(store, mint)


def test_replays_answer_again_and_move_nothing(shop: tuple[Store, Mint]) -> None:
    """The same key and request, from a new service (another process), answer what happened;
    another request under the key conflicts."""
    store, mint = shop
    auth = service(store, mint).authorize(LI, cny("8.00"), reference="P", idempotency_key="A")
    again = service(store, mint).authorize(LI, cny("8.00"), reference="P", idempotency_key="A")
    assert again == auth
    cap = service(store, mint).capture(auth.reference, cny("8.00"), idempotency_key="C")
    deposits = len(mint.deposits)
    assert service(store, mint).capture(auth.reference, cny("8.00"), idempotency_key="C") == cap
    under_other_key = service(store, mint).capture(
        auth.reference, cny("8.00"), idempotency_key="C-2"
    )
    assert (under_other_key.approved, under_other_key.message) == (True, "already captured")
    ref = service(store, mint).refund(cap.reference, cny("3.00"), idempotency_key="R")
    refunds = len(mint.refunds)  # one per coin that paid
    assert service(store, mint).refund(cap.reference, cny("3.00"), idempotency_key="R") == ref
    assert len(mint.deposits) == deposits
    assert len(mint.refunds) == refunds
    assert service(store, mint).outcome("R") == ref
    assert service(store, mint).outcome("nothing") is None
    with pytest.raises(IdempotencyConflict):
        service(store, mint).refund(cap.reference, cny("4.00"), idempotency_key="R")
    assert balances(store)["cw-li"] == cny("25.00")
    assert conserved(store, mint)


def test_a_partial_capture_deposits_only_what_it_takes(shop: tuple[Store, Mint]) -> None:
    """Less than authorised: the spends are cut down; the rest never leaves the wallet, and
    another amount afterwards is declined."""
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("20.00"), reference="P", idempotency_key="A")
    cap = payments.capture(auth.reference, cny("13.57"), idempotency_key="C")
    assert cap.approved, cap
    assert balances(store)["cw-li"] == cny("16.43")
    assert mint.pending_total(SHOP) == cny("13.57")
    more = payments.capture(auth.reference, cny("20.00"), idempotency_key="C-more")
    assert not more.approved
    assert conserved(store, mint)


def test_declines_leave_everything_as_it_was(shop: tuple[Store, Mint]) -> None:
    """Too much, an unknown wallet, a refund beyond the capture: declined, not stored, and the
    wallets, the mint and the books are as they were."""
    store, mint = shop
    payments = service(store, mint)
    before = [(w.version, w.balance) for w in stored_wallets(store).values()]
    too_much = payments.authorize(LI, cny("30.01"), reference="P", idempotency_key="A")
    assert not too_much.approved
    assert "insufficient e-cash" in too_much.message
    assert not payments.authorize(
        wallet_of("cw-nobody"), cny("1.00"), reference="P", idempotency_key="A-x"
    ).approved
    assert payments.outcome("A") is None
    assert payments.reserved("cw-li") == {}
    auth = payments.authorize(LI, cny("25.00"), reference="P", idempotency_key="A")
    assert auth.approved
    held = payments.authorize(LI, cny("6.00"), reference="Q", idempotency_key="B")
    assert not held.approved
    assert "held by open authorisations" in held.message
    cap = payments.capture(auth.reference, cny("25.00"), idempotency_key="C")
    after_capture = [(w.version, w.balance) for w in stored_wallets(store).values()]
    deposits, refunds = len(mint.deposits), len(mint.refunds)
    assert not payments.refund(cap.reference, cny("25.01"), idempotency_key="R").approved
    assert [(w.version, w.balance) for w in stored_wallets(store).values()] == after_capture
    assert (len(mint.deposits), len(mint.refunds)) == (deposits, refunds)
    assert before[1] == after_capture[1]  # the other buyer's wallet never changed
    with pytest.raises(ValidationError):
        payments.capture("ecash-auth-0", cny("1.00"), idempotency_key="C-x")
    assert conserved(store, mint)


def test_a_capture_that_stops_after_the_mint_converges(shop: tuple[CrashingStore, Mint]) -> None:
    """The mint took the spends, the store did not commit: run again, the mint replays the
    same spends, the wallet records them once."""
    store, mint = shop
    auth = service(store, mint).authorize(LI, cny("12.34"), reference="P", idempotency_key="A")
    store.crashes = 1
    with pytest.raises(Stopped):
        service(store, mint).capture(auth.reference, cny("12.34"), idempotency_key="C")
    assert mint.pending_total(SHOP) == cny("12.34")  # the mint committed on its own
    assert balances(store)["cw-li"] == cny("30.00")  # the store did not
    deposits = len(mint.deposits)
    cap = service(store, mint).capture(auth.reference, cny("12.34"), idempotency_key="C")
    assert cap.approved, cap
    assert len(mint.deposits) == deposits
    assert mint.pending_total(SHOP) == cny("12.34")
    assert balances(store)["cw-li"] == cny("17.66")
    assert conserved(store, mint)


def test_a_partial_capture_that_stops_converges(shop: tuple[CrashingStore, Mint]) -> None:
    """A partial capture's spends are derived (nonces from the contract, coin and amounts),
    so the run again deposits the same ones; another amount meanwhile is declined."""
    store, mint = shop
    auth = service(store, mint).authorize(LI, cny("20.00"), reference="P", idempotency_key="A")
    store.crashes = 1
    with pytest.raises(Stopped):
        service(store, mint).capture(auth.reference, cny("11.11"), idempotency_key="C")
    other = service(store, mint).capture(auth.reference, cny("9.00"), idempotency_key="C-9")
    assert not other.approved
    assert "earlier attempt" in other.message
    assert mint.pending_total(SHOP) == cny("11.11")
    cap = service(store, mint).capture(auth.reference, cny("11.11"), idempotency_key="C")
    assert cap.approved, cap
    assert mint.pending_total(SHOP) == cny("11.11")
    assert balances(store)["cw-li"] == cny("18.89")
    assert conserved(store, mint)


def test_two_amounts_racing_reach_the_mint_once(
    shop: tuple[CrashingStore, Mint], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A capture of another amount that read the mint just before an earlier attempt's
    deposit (so its check saw nothing there): the mint refuses its different deposit of the
    coin for the contract, so only one amount ever reaches the mint."""
    store, mint = shop
    auth = service(store, mint).authorize(LI, cny("0.40"), reference="P", idempotency_key="A")
    store.crashes = 1
    with pytest.raises(Stopped):
        service(store, mint).capture(auth.reference, cny("0.40"), idempotency_key="C")
    real = mint.contract_deposits
    first = [True]

    def before_the_deposit(*args: Any) -> Any:
        if first.pop() if first else False:
            return ()  # the attempt's deposit came just after this read
        return real(*args)

    monkeypatch.setattr(mint, "contract_deposits", before_the_deposit)
    late = service(store, mint).capture(auth.reference, cny("0.38"), idempotency_key="C-2")
    monkeypatch.undo()
    assert not late.approved, late
    assert mint.pending_total(SHOP) == cny("0.40")
    assert service(store, mint).capture(auth.reference, cny("0.40"), idempotency_key="C").approved
    assert mint.pending_total(SHOP) == cny("0.40")
    assert conserved(store, mint)


def test_a_refund_that_stops_after_the_mint_converges(shop: tuple[CrashingStore, Mint]) -> None:
    """The mint refunded, the store did not commit: run again, the mint replays the refund by
    its key, the wallet is credited once."""
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("12.34"), reference="P", idempotency_key="A")
    cap = payments.capture(auth.reference, cny("12.34"), idempotency_key="C")
    store.crashes = 1
    with pytest.raises(Stopped):
        service(store, mint).refund(cap.reference, cny("2.50"), idempotency_key="R")
    assert mint.pending_total(SHOP) == cny("9.84")
    refunds = len(mint.refunds)
    ref = service(store, mint).refund(cap.reference, cny("2.50"), idempotency_key="R")
    assert ref.approved, ref
    assert len(mint.refunds) == refunds
    assert mint.pending_total(SHOP) == cny("9.84")
    assert balances(store)["cw-li"] == cny("20.16")
    second = service(store, mint).refund(cap.reference, cny("2.50"), idempotency_key="R-2")
    assert second.approved
    assert mint.pending_total(SHOP) == cny("7.34")
    assert conserved(store, mint)


def test_a_stopped_refund_that_conflicts_waits_for_its_repeat(
    shop: tuple[CrashingStore, Mint],
) -> None:
    """The stopped refund holds its place (the capture's next refund number) at the mint:
    another request whose amount on a coin differs is declined until the first is repeated;
    then both go through."""
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("12.00"), reference="P", idempotency_key="A")
    cap = payments.capture(auth.reference, cny("12.00"), idempotency_key="C")
    store.crashes = 1
    with pytest.raises(Stopped):
        service(store, mint).refund(cap.reference, cny("2.50"), idempotency_key="R")
    waiting = service(store, mint).refund(cap.reference, cny("3.00"), idempotency_key="R-3")
    assert not waiting.approved
    assert "not recorded yet" in waiting.message
    assert service(store, mint).refund(cap.reference, cny("2.50"), idempotency_key="R").approved
    assert service(store, mint).refund(cap.reference, cny("3.00"), idempotency_key="R-3").approved
    assert mint.pending_total(SHOP) == cny("6.50")
    assert conserved(store, mint)


def test_a_stopped_refund_is_taken_over_by_the_next_that_fits(
    shop: tuple[CrashingStore, Mint],
) -> None:
    """The next refund of the capture whose plan covers what the stopped one refunded takes
    those mint refunds over as its own (they replay); the stopped request, repeated, is then
    a refund of its own: each request refunds once, and the mint agrees with the wallet."""
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("12.00"), reference="P", idempotency_key="A")
    cap = payments.capture(auth.reference, cny("12.00"), idempotency_key="C")
    store.crashes = 1
    with pytest.raises(Stopped):
        service(store, mint).refund(cap.reference, cny("2.00"), idempotency_key="R")
    bigger = service(store, mint).refund(cap.reference, cny("3.00"), idempotency_key="R-3")
    assert bigger.approved, bigger
    assert mint.pending_total(SHOP) == cny("9.00")
    assert conserved(store, mint)
    assert service(store, mint).refund(cap.reference, cny("2.00"), idempotency_key="R").approved
    assert mint.pending_total(SHOP) == cny("7.00")
    assert conserved(store, mint)


def test_a_stopped_refund_still_converges_after_a_payout(
    shop: tuple[CrashingStore, Mint],
) -> None:
    """The mint refunded, the store did not commit, then the merchant was paid out (the rest):
    run again, the refund replays what the mint gave back and is recorded; one more is
    declined, for everything else is paid out."""
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("12.00"), reference="P", idempotency_key="A")
    cap = payments.capture(auth.reference, cny("12.00"), idempotency_key="C")
    store.crashes = 1
    with pytest.raises(Stopped):
        service(store, mint).refund(cap.reference, cny("2.00"), idempotency_key="R")
    assert payments.payout() == cny("10.00")
    again = service(store, mint).refund(cap.reference, cny("2.00"), idempotency_key="R")
    assert again.approved, again
    assert balances(store)["cw-li"] == cny("20.00")
    more = service(store, mint).refund(cap.reference, cny("1.00"), idempotency_key="R-2")
    assert not more.approved
    assert "paid merchant" in more.message
    assert conserved(store, mint)


def test_a_refund_stopped_between_coins_then_paid_out_credits_what_the_mint_gave(
    shop: tuple[CrashingStore, Mint], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process stopped after the mint refunded one coin of two; then the merchant was
    paid out: run again, the refund is declined (the rest is paid out), and the wallet takes
    the one coin's receipt, so the wallet and the mint agree."""
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("12.00"), reference="P", idempotency_key="A")
    cap = payments.capture(auth.reference, cny("12.00"), idempotency_key="C")
    real = mint.refund
    calls = []

    def stops_at_the_second(**kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 2:
            raise Stopped("the process stopped between two refunds")
        return real(**kwargs)

    monkeypatch.setattr(mint, "refund", stops_at_the_second)
    with pytest.raises(Stopped):
        service(store, mint).refund(cap.reference, cny("2.00"), idempotency_key="R")
    monkeypatch.undo()
    assert payments.payout() == cny("11.00")
    again = service(store, mint).refund(cap.reference, cny("2.00"), idempotency_key="R")
    assert not again.approved
    assert "only 1.00 CNY of it can still be refunded" in again.message
    assert balances(store)["cw-li"] == cny("19.00")
    assert conserved(store, mint)


def test_a_void_after_a_stopped_capture_gives_the_deposits_back(
    shop: tuple[CrashingStore, Mint],
) -> None:
    """A capture reached the mint and stopped; the authorisation is voided instead: once the
    void commits, the mint refunds what the capture deposited, and the capture stays
    declined."""
    store, mint = shop
    auth = service(store, mint).authorize(LI, cny("6.00"), reference="P", idempotency_key="A")
    store.crashes = 1
    with pytest.raises(Stopped):
        service(store, mint).capture(auth.reference, cny("6.00"), idempotency_key="C")
    assert not conserved(store, mint)  # the mint holds a capture the store does not
    assert service(store, mint).void(auth.reference, idempotency_key="V").approved
    assert mint.pending_total(SHOP) == cny("0.00")
    again = service(store, mint).capture(auth.reference, cny("6.00"), idempotency_key="C")
    assert not again.approved
    assert mint.pending_total(SHOP) == cny("0.00")
    assert balances(store)["cw-li"] == cny("30.00")
    assert conserved(store, mint)


def test_a_void_that_stops_before_its_release_is_released_by_a_repeat(
    shop: tuple[CrashingStore, Mint],
) -> None:
    """The void committed but the process stopped before giving the deposits back: the void
    repeated (a replay) gives them back."""
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("6.00"), reference="P", idempotency_key="A")
    store.crashes = 1
    with pytest.raises(Stopped):
        payments.capture(auth.reference, cny("6.00"), idempotency_key="C")
    # The void commits; its release is skipped, as if the process stopped right after.
    voided = payments._perform(lambda gw: gw.void(auth.reference, idempotency_key="V"))
    assert voided.approved
    assert mint.pending_total(SHOP) == cny("6.00")
    assert payments.void(auth.reference, idempotency_key="V") == voided
    assert mint.pending_total(SHOP) == cny("0.00")
    assert payments.release(auth.reference) == cny("0.00")
    assert conserved(store, mint)


def test_no_refund_after_the_payout(shop: tuple[Store, Mint]) -> None:
    store, mint = shop
    payments = service(store, mint)
    auth = payments.authorize(LI, cny("9.00"), reference="P", idempotency_key="A")
    cap = payments.capture(auth.reference, cny("9.00"), idempotency_key="C")
    assert payments.payout() == cny("9.00")
    late = payments.refund(cap.reference, cny("1.00"), idempotency_key="R")
    assert not late.approved
    assert "paid merchant" in late.message
    assert payments.merchant_balance("CNY") == cny("9.00")
    assert conserved(store, mint)


def test_the_mint_must_not_share_the_stores_sqlite_file(tmp_path: Path) -> None:
    """Each unit of work holds the SQLite file's write lock: the mint's own transactions on
    the same file would wait for it, so such a mint is refused."""
    from ecservice.storage.sql import SqlMintBook, SqlStore

    store = SqlStore(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        store.create_schema()
        mint = new_mint(FixedClock(START), SqlMintBook(store, mint="mint-a", currency="CNY"))
        with pytest.raises(ValidationError, match="its own database file"):
            EcashPaymentService(store, mint=mint, merchant=SHOP)
    finally:
        store.dispose()
