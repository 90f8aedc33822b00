"""Loading refuses purses, mints and coin wallets no run of the library could have left, and
damaged documents raise only library errors.

Each refusal test changes one stored value of a real instrument's document (an invariant the
running object keeps: ledger sums, numbering, replay indexes, keys matching denominations, purse
sequence numbers...) and checks the error names what is wrong. The fuzz tests mutate documents at
random, as :mod:`tests.storage.test_fuzz` does for aggregates.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError, InvalidSignature, ValidationError
from ecservice.payments.ecash import CoinWallet, Mint, PurePythonBlindSigner, generate_key
from ecservice.payments.mondex import Archive, BalanceLimitExceeded, Purse
from ecservice.payments.wallet import CardReference, EWallet, Holding, HoldingKind
from ecservice.storage import (
    PURSE_SERIALIZER,
    CoinWalletSerializer,
    DocumentError,
    EWalletSerializer,
    MintSerializer,
    SerializerRegistry,
    dump_coin_wallet,
    dump_ewallet,
    dump_mint,
    dump_purse,
    load_coin_wallet,
    load_mint,
    load_purse,
)
from tests.payments.test_wallet_safety import FAST, PIN
from tests.storage.instruments import START, EcashWorld, PurseWorld, cny, signers, through_json
from tests.storage.test_fuzz import at, mutated, paths
from tests.strategies import hostile_values

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@functools.cache
def ecash() -> EcashWorld:
    """A mint and a wallet after withdrawals, payments, a replay, refunds, a refresh, a payout."""
    world = EcashWorld()
    for op, n in [
        ("withdraw", 0),
        ("withdraw", 1),
        ("withdraw", 2),
        ("pay", 1),
        ("pay", 2),
        ("replay", 0),
        ("refund", 1),
        ("refund", 2),
        ("refresh", 0),
        ("payout", 0),
        ("pay", 3),
    ]:
        world.step(op, n)
    assert all((world.mint.deposits, world.mint.refunds, world.mint.refreshes, world.mint.payouts))
    return world


def mint_doc() -> dict[str, Any]:
    document: dict[str, Any] = through_json(dump_mint(ecash().mint))
    return document


def wallet_doc(secrets: Literal["omit", "include"] = "include") -> dict[str, Any]:
    document: dict[str, Any] = through_json(dump_coin_wallet(ecash().wallet, secrets=secrets))
    return document


@functools.cache
def _purse_docs() -> tuple[dict[str, Any], ...]:
    clock = FixedClock(START)
    world = PurseWorld.fresh(clock)
    archive = Archive(clock=clock)
    for op, a, b, n in [
        ("convert", 1, 0, 0),  # bob converts 1.00 CNY to USD
        ("start", 0, 0, 1),  # alice pays bob 5.00
        ("deliver", 0, 0, 0),  # alice debits, the Val is in flight
        ("abort", 0, 0, 0),  # alice logs it (epa)
        ("abort", 1, 0, 0),  # bob logs it (epv)
        ("start", 1, 0, 0),  # bob pays carol 1.00: bob in epr, carol in epv
    ]:
        world.step(op, a, b, n, archive)
    return tuple(through_json(dump_purse(p)) for p in world.purses.values())


def purse_doc(which: str) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in _purse_docs() if d["id"] == which))


def load_mint_doc(document: object) -> Any:
    return load_mint(document, signers=signers(), clock=ecash().clock)


# --- purses --------------------------------------------------------------------------------------


def test_the_purse_fixture_covers_the_states() -> None:
    shown = {d["id"]: d["body"] for d in _purse_docs()}
    assert shown["alice"]["exception_log"]
    assert shown["bob"]["conversions"]
    assert {b["status"] for b in shown.values()} >= {"IDLE", "EXPECTING_VAL"}


@pytest.mark.parametrize(
    ("which", "change", "message"),
    [
        ("bob", lambda b: b.update(payment=None), "needs its current payment"),
        ("alice", lambda b: b.update(next_seq=0), "handed out only the numbers below 0"),
        ("alice", lambda b: b["exception_log"].append(b["exception_log"][0]), "twice"),
        ("carol", lambda b: b.update(status="EXPECTING_ACK"), "is the payer"),
        ("carol", lambda b: b["payment"].update(to_seq=7), "last sequence number"),
        ("bob", lambda b: b["conversions"][0].update(exact="9"), "is not its exact value"),
        ("bob", lambda b: b["conversions"][0].update(purse="alice"), "made in purse"),
        ("bob", lambda b: b["conversions"][0].update(rounding="ROUND_UP"), "can round up"),
    ],
)
def test_a_purse_state_the_protocol_cannot_reach_is_refused(
    which: str, change: Any, message: str
) -> None:
    document = purse_doc(which)
    change(document["body"])
    with pytest.raises(ValidationError, match=message):
        load_purse(document)


def test_a_purse_balance_above_its_limit_is_refused() -> None:
    document = purse_doc("carol")
    document["body"]["balances"] = [{"amount": "61.00", "currency": "CNY"}]
    with pytest.raises(DocumentError, match="purse document 'carol'") as raised:
        load_purse(document)
    assert isinstance(raised.value.__cause__, BalanceLimitExceeded)


def test_a_recovery_is_kept_for_the_payer_only() -> None:
    document = purse_doc("carol")
    document["body"]["recovered"] = [document["body"]["payment"]]  # carol is its payee
    with pytest.raises(ValidationError, match="only its payer"):
        load_purse(document)


def test_a_purse_restored_in_code_checks_its_arguments() -> None:
    with pytest.raises(ValidationError, match="PurseStatus"):
        Purse.restore("p", balances=[], next_seq=0, status="IDLE", payment=None, version=0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="version"):
        Purse.restore(
            "p", balances=[], next_seq=0, status=Purse("x").status, payment=None, version=-1
        )


# --- mints ---------------------------------------------------------------------------------------


def _deposit(body: dict[str, Any], index: int = 0) -> dict[str, Any]:
    deposit: dict[str, Any] = body["deposits"][index]
    return deposit


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: _deposit(b)["receipt"].update(deposit_id=5), "numbered 1, 2"),
        (lambda b: _deposit(b).update(paid=not _deposit(b)["paid"]), "payout pays it"),
        (
            lambda b: _deposit(b).update(refunded=b["refunds"][0]["amount"] | {"amount": "0.00"}),
            "refunded",
        ),
        (lambda b: b["withdrawals"].append(b["withdrawals"][0]), "withdrawn twice"),
        (lambda b: b["refreshes"].append(b["refreshes"][0]), "repeats an earlier refresh"),
        (lambda b: b["refunds"][0].update(refund_id=2), "numbered 1, 2"),
        (lambda b: b["payouts"][0].update(amount={"amount": "99.00", "currency": "CNY"}), "paid"),
        (lambda b: b["reserves"].append(b["reserves"][0]), "listed twice"),
        (lambda b: b["reserves"].clear(), "does not hold"),
        (lambda b: b["refreshes"][0].update(issued=b["refreshes"][0]["amount"]), "worth"),
        (lambda b: b["denominations"].append(b["denominations"][0]), "shares its key"),
        (lambda b: b.update(currency="USD"), "currency"),
    ],
)
def test_a_mint_no_run_could_leave_is_refused(change: Any, message: str) -> None:
    document = mint_doc()
    change(document["body"])
    with pytest.raises(ValidationError, match=message):
        load_mint_doc(document)


def test_a_mint_coin_spent_beyond_its_value_is_refused() -> None:
    """Two deposits of one coin adding up to more than its face value: a double spend on disk."""
    document = mint_doc()
    body = document["body"]
    first = _deposit(body)
    copy_ = copy.deepcopy(first)
    copy_["receipt"]["deposit_id"] = len(body["deposits"]) + 1
    copy_["nonce"] = "A" * 22 + "=="
    copy_["receipt"]["amount"] = body["denominations"][0]["value"]
    copy_["paid"] = False
    copy_["refunded"] = {"amount": "0.00", "currency": "CNY"}
    body["deposits"].append(copy_)
    with pytest.raises(ValidationError, match=r"cannot have|spends"):
        load_mint_doc(document)


def test_a_mint_refuses_signers_that_are_not_its_own() -> None:
    stranger = PurePythonBlindSigner(generate_key(1024, allow_weak_key_for_tests=True))
    with pytest.raises(ValidationError, match="match no stored denomination"):
        load_mint(mint_doc(), signers=[*signers(), stranger])
    with pytest.raises(ValidationError, match="no signer holds the key"):
        load_mint(mint_doc(), signers=[stranger])


# --- coin wallets --------------------------------------------------------------------------------


def test_a_coin_left_above_its_face_value_is_refused() -> None:
    document = wallet_doc()
    document["body"]["coins"][0]["remaining"] = {"amount": "99.00", "currency": "CNY"}
    with pytest.raises(ValidationError, match="face value"):
        load_coin_wallet(document)


def test_a_forged_coin_is_refused() -> None:
    document = wallet_doc()
    coin = document["body"]["coins"][0]["coin"]
    signature = bytearray(base64.b64decode(coin["signature"]))
    signature[-1] ^= 1
    coin["signature"] = base64.b64encode(bytes(signature)).decode()
    with pytest.raises(DocumentError, match="coin-wallet document") as raised:
        load_coin_wallet(document)
    assert isinstance(raised.value.__cause__, InvalidSignature)


def test_a_key_that_is_not_the_coins_is_refused() -> None:
    document = wallet_doc()
    coins = document["body"]["coins"]
    coins[0]["secret_key_unencrypted"] = coins[1]["secret_key_unencrypted"]
    with pytest.raises(ValidationError, match="not the key of coin"):
        load_coin_wallet(document)


def test_secrets_must_match_what_the_document_says() -> None:
    document = wallet_doc()
    document["body"]["secrets"] = "omitted"
    with pytest.raises(DocumentError, match="must be null"):
        load_coin_wallet(document)
    document["body"]["secrets"] = "maybe"
    with pytest.raises(DocumentError, match="'omitted' or 'included'"):
        load_coin_wallet(document)
    with pytest.raises(ValidationError, match="'omit' or 'include'"):
        dump_coin_wallet(ecash().wallet, secrets="yes")  # type: ignore[arg-type]


def test_a_refund_for_a_coin_not_held_is_refused() -> None:
    document = wallet_doc()
    document["body"]["applied_refunds"] = [["A" * 43 + "=", 1]]
    with pytest.raises(ValidationError, match="does not hold"):
        load_coin_wallet(document)


# --- fuzzing -------------------------------------------------------------------------------------


def registry() -> SerializerRegistry:
    wallet = ecash().wallet
    keys = {c.public_key: wallet.export_coin_key(c.public_key) for c in wallet.coins}
    return SerializerRegistry(
        [
            PURSE_SERIALIZER,
            MintSerializer(signers()),
            CoinWalletSerializer(coin_keys=keys),
            EWalletSerializer(secrets="include"),
        ]
    )


@functools.cache
def _ewallet_doc() -> dict[str, Any]:
    """A wallet with a PIN failure, cards, holds and a holding, its key in the document."""
    for name, value in step_parts().items():
        assert value, name
    document: dict[str, Any] = through_json(dump_ewallet(step_parts()["wallet"], secrets="include"))
    return document


@functools.cache
def step_parts() -> dict[str, Any]:
    clock = FixedClock(START)
    wallet = EWallet("alice", PIN, clock=clock, kdf=FAST, wallet_id="w-alice")
    wallet.credit(cny("80.00"), "top-up")
    first = wallet.authorize(cny("30.00"), "order 1", auth=PIN)
    wallet.capture(first.hold_id, cny("25.00"))
    wallet.authorize(cny("10.00"), "order 2", auth=PIN)
    wallet.add_card(CardReference("tok_1", "visa", "4242", exp_month=12, exp_year=2030), auth=PIN)
    wallet.add_holding(Holding(HoldingKind.PURSE, "purse-1", cny("5.00")))
    with contextlib.suppress(EcServiceError):
        wallet.verify_pin("000000")
    return {"wallet": wallet, "holds": wallet.holds(None), "cards": wallet.cards()}


def documents() -> list[dict[str, Any]]:
    return [
        *map(copy.deepcopy, _purse_docs()),
        mint_doc(),
        wallet_doc(),
        wallet_doc("omit"),
        copy.deepcopy(_ewallet_doc()),
    ]


def load_or_error(document: object) -> Any:
    try:
        return registry().load(document, clock=ecash().clock)
    except EcServiceError as exc:
        return exc


@FUZZ
@given(document=mutated(st.sampled_from(documents())))
def test_a_mutated_instrument_document_loads_or_raises_a_library_error(
    document: dict[str, Any],
) -> None:
    """Whatever the damage, loading raises only EcServiceError with a bounded message; what loads
    is written back as a document that loads again."""
    loaded = load_or_error(document)
    if isinstance(loaded, EcServiceError):
        assert len(str(loaded)) < 6000
    else:
        again = registry().dump(loaded)
        assert registry().dump(registry().load(again, clock=ecash().clock)) == again


@FUZZ
@given(data=st.data(), value=hostile_values())
def test_a_hostile_value_anywhere_in_an_instrument_raises_a_library_error(
    data: st.DataObject, value: object
) -> None:
    """A hostile value at any place of any instrument document loads or raises a library
    error."""
    document = copy.deepcopy(data.draw(st.sampled_from(documents())))
    path = data.draw(st.sampled_from(paths(document)[1:]))
    at(document, path[:-1])[path[-1]] = value
    outcome = load_or_error(document)
    if isinstance(outcome, EcServiceError):
        assert len(str(outcome)) < 6000


# --- restore called in code ----------------------------------------------------------------------


def test_restore_refuses_parts_of_the_wrong_type() -> None:
    """Called in code with the wrong things, each restore raises a library error."""
    world = ecash()
    good: dict[str, Any] = {
        "currency": "CNY",
        "name": "m",
        "version": 0,
        "denominations": world.mint.denominations,
        "signers": signers(),
    }
    bad_parts: list[dict[str, Any]] = [
        {"signers": [object()]},
        {"denominations": ["5.00"]},
        {"deposits": [("receipt",)]},
        {"reserves": ["alice"]},
        {"withdrawals": "alice"},
        {"version": True},
    ]
    for bad in bad_parts:
        with pytest.raises(ValidationError):
            Mint.restore(world.clock, **(good | bad))
    coin = world.wallet.wallet_coin(world.wallet.coins[0].public_key)
    for coins in ([coin], [(coin, "1.00")], [(coin, cny("0.10")), (coin, cny("0.10"))]):
        with pytest.raises(ValidationError):
            CoinWallet.restore(world.clock, currency="CNY", wallet_id="w", version=0, coins=coins)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="applied refund"):
        CoinWallet.restore(
            world.clock,
            currency="CNY",
            wallet_id="w",
            version=0,
            coins=[],
            applied_refunds=[1],  # type: ignore[list-item]
        )
