"""E-wallets survive dump -> JSON -> load with their PIN record, books, cards and holdings, and
go on working: the PIN lock counts on from the stored failures, holds settle, instructions are
signed with the same key. The signing key is written only when asked for.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError, ValidationError
from ecservice.payments.wallet import (
    CardReference,
    EWallet,
    Holding,
    HoldingKind,
    PinPolicy,
    WalletLocked,
    verify_instruction,
)
from ecservice.storage import DocumentError, EWalletSerializer, dump_ewallet, load_ewallet
from tests.payments.test_wallet_safety import FAST, PIN, START, cny
from tests.storage.instruments import through_json

POLICY = PinPolicy(max_failures=3, lockout=dt.timedelta(minutes=30))
OPS = (
    "credit",
    "pay",
    "authorize",
    "capture",
    "release",
    "card",
    "uncard",
    "wrong_pin",
    "right_pin",
    "holding",
    "instruct",
    "later",
    "reload",
)


def view(wallet: EWallet) -> dict[str, Any]:
    """Everything a wallet shows (sessions aside)."""
    return {
        "owner": wallet.owner,
        "id": wallet.wallet_id,
        "version": wallet.version,
        "pin": wallet.pin_record,
        "failed": wallet.failed_attempts,
        "locked_until": wallet.locked_until,
        "policy": wallet.policy,
        "kdf": wallet.kdf,
        "tz": wallet.tz,
        "cards": wallet.cards(),
        "ledger": wallet.ledger,
        "holds": wallet.holds(None),
        "holdings": wallet.holdings(),
        "money": [(c, wallet.available(c), wallet.held(c)) for c in wallet.currencies],
        "public_key": wallet.public_key,
    }


def reloaded(wallet: EWallet, n: int) -> EWallet:
    """``wallet`` written and read back: with its key in the document on odd ``n``."""
    if n % 2:
        document = through_json(dump_ewallet(wallet, secrets="include"))
        loaded = load_ewallet(document, clock=wallet.clock)
    else:
        document = through_json(dump_ewallet(wallet))
        loaded = load_ewallet(document, signing_key=wallet.export_signing_key(), clock=wallet.clock)
    assert view(loaded) == view(wallet)
    return loaded


def step(wallet: EWallet, clock: FixedClock, op: str, n: int) -> EWallet:
    with contextlib.suppress(EcServiceError):
        if op == "credit":
            wallet.credit(cny(("50.00", "7.30")[n % 2]), f"top-up {n}")
        elif op == "pay":
            wallet.pay(cny("3.00"), f"order {n}", auth=PIN)
        elif op == "authorize":
            wallet.authorize(cny("10.00"), f"order {n}", auth=PIN)
        elif op in ("capture", "release") and wallet.holds():
            hold = wallet.holds()[n % len(wallet.holds())]
            if op == "capture":
                wallet.capture(hold.hold_id, cny("4.00") if n % 2 else None)
            else:
                wallet.release(hold.hold_id)
        elif op == "card":
            card = CardReference(f"tok_{n}", "visa", "4242", exp_month=12, exp_year=2030)
            wallet.add_card(card, auth=PIN)
        elif op == "uncard" and wallet.cards():
            wallet.remove_card(wallet.cards()[0].token)
        elif op == "wrong_pin":
            wallet.verify_pin("000000")
        elif op == "right_pin":
            wallet.verify_pin(PIN)
        elif op == "holding":
            wallet.add_holding(Holding(HoldingKind.PURSE, f"purse-{n % 3}", cny("5.00")))
        elif op == "instruct":
            signed = wallet.instruct("teahouse", cny("2.00"), f"order {n}", auth=PIN)
            verify_instruction(signed, wallet.public_key)
        elif op == "later":
            clock.advance(minutes=20)
        elif op == "reload":
            return reloaded(wallet, n)
    return wallet


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 9)), max_size=30))
def test_a_reloaded_wallet_shows_the_same_and_goes_on(steps: list[tuple[str, int]]) -> None:
    """Reloaded at generated points, the wallet shows the same; afterwards it still counts wrong
    PINs from its stored count and signs with the key it had."""
    clock = FixedClock(START)
    wallet = EWallet("alice", PIN, clock=clock, kdf=FAST, policy=POLICY, wallet_id="w-alice")
    for op, n in steps:
        wallet = step(wallet, clock, op, n)
    twin = reloaded(wallet, 0)
    for each in (wallet, twin):
        with contextlib.suppress(EcServiceError):
            each.verify_pin("000000")
    assert view(twin) == view(wallet)
    for _ in range(POLICY.max_failures):
        with contextlib.suppress(EcServiceError):
            twin.verify_pin("111111")
    assert twin.is_locked


def test_a_locked_wallet_stays_locked_after_a_reload() -> None:
    clock = FixedClock(START)
    wallet = EWallet("bob", PIN, clock=clock, kdf=FAST, policy=POLICY, wallet_id="w-bob")
    for _ in range(POLICY.max_failures):
        with contextlib.suppress(EcServiceError):
            wallet.verify_pin("000000")
    loaded = reloaded(wallet, 1)
    with pytest.raises(WalletLocked):
        loaded.verify_pin(PIN)
    clock.advance(minutes=31)
    loaded.verify_pin(PIN)


def test_the_signing_key_is_written_only_when_asked() -> None:
    clock = FixedClock(START)
    wallet = EWallet("carol", PIN, clock=clock, kdf=FAST, wallet_id="w-carol")
    secret = base64.b64encode(wallet.export_signing_key()).decode()
    document = dump_ewallet(wallet)
    assert secret not in json.dumps(document)
    assert PIN not in json.dumps(document)
    assert secret in json.dumps(dump_ewallet(wallet, secrets="include"))
    with pytest.raises(ValidationError, match="without its signing key"):
        load_ewallet(document, clock=clock)
    other = EWallet("dave", PIN, clock=clock, kdf=FAST).export_signing_key()
    with pytest.raises(ValidationError, match="not the key of wallet"):
        load_ewallet(document, signing_key=other, clock=clock)
    keyed = EWalletSerializer(signing_keys={"w-carol": wallet.export_signing_key()})
    assert view(keyed.load(document, clock=clock)) == view(wallet)
    included = dump_ewallet(wallet, secrets="include")
    included["body"]["secrets"] = "omitted"
    with pytest.raises(DocumentError, match="must be null"):
        load_ewallet(included, clock=clock)


def test_a_stored_failure_count_beyond_the_policy_is_refused() -> None:
    clock = FixedClock(START)
    wallet = EWallet("erin", PIN, clock=clock, kdf=FAST, policy=POLICY, wallet_id="w-erin")
    document = dump_ewallet(wallet, secrets="include")
    document["body"]["failures"] = 7
    with pytest.raises(ValidationError):
        load_ewallet(document, clock=clock)
    document["body"]["failures"] = 0
    document["body"]["policy"]["lockout"] = "-5.000000"
    with pytest.raises(EcServiceError):
        load_ewallet(document, clock=clock)
