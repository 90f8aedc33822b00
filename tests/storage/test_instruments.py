"""Purses, mints and coin wallets survive dump -> JSON -> load, and go on working afterwards.

Real instruments are driven through generated operations (transfers with lost, repeated and
reordered messages, aborts, conversions, archive recoveries; withdrawals, payments, deposits,
replays, refunds, refreshes, payouts) and reloaded at generated points: what they show is the
same after each reload, and a reloaded instrument keeps its promises (a twin purse that was
reloaded answers every later message as the original does; a reloaded mint still answers a
replayed deposit with its first receipt and refuses a double spend of a coin spent before).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import ConcurrencyConflict, DoubleSpend, EcServiceError
from ecservice.payments.ecash import CoinWallet, contract_hash
from ecservice.payments.mondex import Archive, Purse
from ecservice.storage import (
    PURSE_SERIALIZER,
    CoinWalletSerializer,
    DocumentError,
    MemoryStore,
    MintSerializer,
    SerializerRegistry,
    default_registry,
    dump_coin_wallet,
    dump_mint,
    dump_purse,
    load_coin_wallet,
    load_mint,
    load_purse,
)
from tests.storage.conftest import empty_pg
from tests.storage.instruments import (
    CNY,
    OPS,
    PURSE_OPS,
    START,
    EcashWorld,
    PurseWorld,
    a_mint,
    cny,
    mint_view,
    purse_view,
    signers,
    through_json,
    wallet_view,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reloaded_purse(purse: Purse) -> Purse:
    document = through_json(dump_purse(purse))
    loaded = load_purse(document, clock=purse.clock)
    assert purse_view(loaded) == purse_view(purse)
    assert dump_purse(loaded) == document
    return loaded


@SETTINGS
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from((*PURSE_OPS, "reload")),
            st.integers(0, 2),
            st.integers(0, 2),
            st.integers(0, 50),
        ),
        max_size=40,
    )
)
def test_a_reloaded_purse_answers_every_later_message_as_the_original(
    steps: list[tuple[str, int, int, int]],
) -> None:
    """Two twin networks get the same operations; one reloads its purses at generated points.
    Every outcome and everything each purse shows stay identical."""
    clock = FixedClock(START)
    original, twin = PurseWorld.fresh(clock), PurseWorld.fresh(clock)
    archives = Archive(clock=clock), Archive(clock=clock)
    for op, a, b, n in steps:
        if op == "reload":
            twin.purses = {k: reloaded_purse(p) for k, p in twin.purses.items()}
            continue
        assert original.step(op, a, b, n, archives[0]) == twin.step(op, a, b, n, archives[1])
        for key, purse in original.purses.items():
            assert purse_view(twin.purses[key]) == purse_view(purse)
    for purse in twin.purses.values():
        reloaded_purse(purse)


def test_a_purse_reloaded_mid_payment_completes_it() -> None:
    """Stored between Val and Ack: the reloaded payer accepts the Ack; a replayed Val is not
    credited twice by the reloaded payee."""
    alice, bob = Purse("alice", [cny("10.00")]), Purse("bob")
    world = PurseWorld([alice, bob])
    archive = Archive()
    world.step("start", 0, 1, 0, archive)  # alice pays bob 1.00: Req in flight
    world.step("deliver", 0, 0, 0, archive)  # alice debits, sends Val
    val = world.in_flight[0]
    world.step("deliver", 0, 0, 0, archive)  # bob credits, sends Ack
    alice2, bob2 = reloaded_purse(alice), reloaded_purse(bob)
    assert alice2.receive(world.in_flight[0]).accepted
    assert not bob2.receive(val).accepted
    assert (alice2.balance("CNY"), bob2.balance("CNY")) == (cny("9.00"), cny("1.00"))
    assert alice2.version == alice.version + 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from((*OPS, "reload")), st.integers(0, 50)), min_size=1, max_size=30
    )
)
def test_a_mint_and_a_wallet_round_trip_and_keep_working(steps: list[tuple[str, int]]) -> None:
    """Reloaded at generated points (the wallet with its keys once in the document, once passed
    apart), the mint and the wallet show the same; afterwards every deposited spend replays to
    its first receipt and no coin can be spent beyond what the mint knows is left."""
    world = EcashWorld()
    for index, (op, n) in enumerate(steps):
        if op != "reload":
            world.step(op, n)
            continue
        mint_doc = through_json(dump_mint(world.mint))
        mint = load_mint(mint_doc, signers=reversed(signers()), clock=world.clock)
        assert mint_view(mint) == mint_view(world.mint)
        assert dump_mint(mint) == mint_doc
        if index % 2:
            wallet_doc = through_json(dump_coin_wallet(world.wallet, secrets="include"))
            wallet = load_coin_wallet(wallet_doc, clock=world.clock)
        else:
            wallet_doc = through_json(dump_coin_wallet(world.wallet))
            keys = {
                c.public_key: world.wallet.export_coin_key(c.public_key) for c in world.wallet.coins
            }
            wallet = load_coin_wallet(wallet_doc, coin_keys=keys, clock=world.clock)
        assert wallet_view(wallet) == wallet_view(world.wallet)
        world.mint, world.wallet = mint, wallet
    for spend in world.deposited:
        before = world.mint.deposits
        assert world.mint.deposit(spend) in before
        assert world.mint.deposits == before
    for coin in world.wallet.coins:
        left = world.mint.remaining_value(coin)
        assert world.wallet.remaining(coin.public_key) <= left
        face = world.wallet.wallet_coin(coin.public_key).value
        if left < face:
            spend = world.wallet.wallet_coin(coin.public_key).spend(
                face, merchant="thief", contract=b"again"
            )
            with pytest.raises(DoubleSpend):
                world.mint.deposit(spend)


def test_a_default_coin_wallet_document_holds_no_key() -> None:
    world = EcashWorld()
    for op in ("withdraw", "withdraw", "pay"):
        world.step(op, 1)
    text = json.dumps(dump_coin_wallet(world.wallet))
    assert '"secrets": "omitted"' in text
    for coin in world.wallet.coins:
        raw = world.wallet.export_coin_key(coin.public_key)
        assert through_json(dump_coin_wallet(world.wallet, secrets="include"))
        assert base64.b64encode(raw).decode() not in text
    with pytest.raises(EcServiceError, match="no key for coin"):
        load_coin_wallet(json.loads(text), clock=world.clock)


def test_a_mint_document_holds_no_private_key_and_needs_its_signers() -> None:
    world = EcashWorld()
    document = through_json(dump_mint(world.mint))
    text = json.dumps(document)
    for signer in signers():
        assert str(signer.public_key.public_numbers().n) not in text  # and no d, p or q
    with pytest.raises(EcServiceError, match="no signer holds the key"):
        load_mint(document, signers=signers()[:2], clock=world.clock)
    other = MintSerializer(signers())
    assert other.load(document, clock=world.clock).version == world.mint.version


def test_instruments_register_with_their_keys() -> None:
    world = EcashWorld()
    world.step("withdraw", 0)
    keys = {c.public_key: world.wallet.export_coin_key(c.public_key) for c in world.wallet.coins}
    registry = SerializerRegistry(
        [PURSE_SERIALIZER, MintSerializer(signers()), CoinWalletSerializer(coin_keys=keys)]
    )
    assert registry.type_names == ("coin-wallet", "mint", "purse")
    wallet = registry.load(through_json(registry.dump(world.wallet)), clock=world.clock)
    assert wallet_view(wallet) == wallet_view(world.wallet)
    with pytest.raises(DocumentError):
        PURSE_SERIALIZER.dump(world.wallet)  # type: ignore[arg-type]


def test_a_reloaded_payer_is_refunded_a_lost_payment_once() -> None:
    """Val lost, both purses abort and upload their logs: the reloaded payer is refunded once,
    and another archive holding the same logs cannot refund it again after a second reload."""
    alice, bob = Purse("alice", [cny("10.00")]), Purse("bob")
    world = PurseWorld([alice, bob])
    archive = Archive()
    world.step("start", 0, 0, 1, archive)  # alice pays bob 5.00
    world.step("deliver", 0, 0, 0, archive)  # alice debits; Val in flight
    world.step("drop", 0, 0, 0, archive)
    alice.abort(), bob.abort()
    second = Archive()
    for purse in (alice, bob):
        second.upload(purse)
        archive.collect(purse)
    alice = reloaded_purse(alice)
    (lost,) = archive.lost_payments()
    assert archive.recover(lost, alice).refunded == cny("5.00")
    alice = reloaded_purse(alice)
    assert alice.balance("CNY") == cny("10.00")
    assert alice.exception_log == ()
    with pytest.raises(DoubleSpend):
        second.recover(lost, alice)


@pytest.mark.parametrize("kind", ["memory", "postgresql"])
def test_two_workers_cannot_both_deposit_one_coin(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """A stored mint is saved on its version: two workers that load it and each deposit a spend
    of the same coin cannot both commit. The later save conflicts and changes nothing; run again
    from the stored state, it finds the coin spent. (SQLite runs one unit of work at a time, so
    the two cannot interleave there.)"""
    clock = FixedClock(START)
    mint = a_mint(clock)
    mint.credit_reserve("alice", cny("5.00"))
    wallet = CoinWallet(clock, currency=CNY, wallet_id="cw-alice")
    wallet.withdraw(mint, "alice", mint.denominations[2])
    backup = dump_coin_wallet(wallet, secrets="include")  # the buyer's backup, keys included
    (first,) = wallet.pay(cny("0.50"), merchant="tea", contract=contract_hash("A"))
    copy = load_coin_wallet(through_json(backup), clock=clock)
    (second,) = copy.pay(cny("0.50"), merchant="cake", contract=contract_hash("B"))
    assert first.coin == second.coin

    registry = default_registry()
    serializer = MintSerializer(signers=signers())
    registry.register(serializer)
    store: Any
    if kind == "memory":
        store = MemoryStore(registry=registry, clock=clock)
    else:
        from ecservice.storage.sql import SqlStore

        url = request.getfixturevalue("pg_url")
        empty_pg(url)
        store = SqlStore(url, registry=registry, clock=clock)
    with store.unit_of_work() as setup:
        setup.repository(serializer).add(mint)
        setup.commit()

    with store.unit_of_work() as a, store.unit_of_work() as b:
        mint_a = a.repository(serializer).get("test-mint")
        mint_b = b.repository(serializer).get("test-mint")
        mint_a.deposit(first)
        mint_b.deposit(second)  # each sees the coin unspent
        a.repository(serializer).save(mint_a)
        a.commit()
        with pytest.raises(ConcurrencyConflict):
            b.repository(serializer).save(mint_b)

    with store.unit_of_work() as again:
        fresh = again.repository(serializer).get("test-mint")
        with pytest.raises(DoubleSpend):
            fresh.deposit(second)
        assert [r.merchant for r in fresh.deposits] == ["tea"]
    if kind != "memory":
        store.dispose()
