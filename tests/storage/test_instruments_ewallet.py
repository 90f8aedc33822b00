"""E-wallets survive dump -> JSON -> load with their PIN record, books, cards and holdings, and
go on working: the PIN lock counts on from the stored failures, holds settle, instructions are
signed with the same key. The signing key is written only when asked for.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
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
    WrongPin,
    verify_instruction,
)
from ecservice.storage import DocumentError, EWalletSerializer, dump_ewallet, load_ewallet
from tests.payments.test_wallet_safety import FAST, PIN, START, cny
from tests.storage.instruments import through_json

POLICY = PinPolicy(max_failures=3, lockout=dt.timedelta(minutes=30))
ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "Pacific/Kiritimati")
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
        "zone": wallet.zone,
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
    assert document["schema_version"] == 2
    assert document["body"]["zone"] == wallet.zone
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
@given(
    steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 9)), max_size=30),
    zone=st.sampled_from(ZONES),
)
def test_a_reloaded_wallet_shows_the_same_and_goes_on(
    steps: list[tuple[str, int]], zone: str
) -> None:
    """Reloaded at generated points, the wallet shows the same (its zone included); afterwards
    it still counts wrong PINs from its stored count and signs with the key it had."""
    clock = FixedClock(START)
    wallet = EWallet(
        "alice", PIN, clock=clock, kdf=FAST, policy=POLICY, wallet_id="w-alice", zone=zone
    )
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


# --- schema versions --------------------------------------------------------------------------

SIGNING_KEY = bytes(range(32))

#: An "ewallet" document as schema version 1 wrote it (the zone under "tz"), exactly as stored.
#: Its wallet is the one :func:`wallet_of_the_v1_document` makes, PIN hash aside (a random salt).
V1_DOCUMENT: dict[str, Any] = {
    "type": "ewallet",
    "schema_version": 1,
    "id": "w-alice",
    "version": 5,
    "body": {
        "owner": "alice",
        "pin_hash": (
            "$scrypt$ln=4,r=8,p=1$h4FsZamP+qmwIyXTEVdKFQ"
            "$lVDqfmuLLVzAUjOnOIehLvJJdlj6M9K3mGT6nljnzcY"
        ),
        "kdf": {"n": 16, "r": 8, "p": 1, "dklen": 32, "salt_size": 16},
        "policy": {"max_failures": 3, "lockout": "1800.000000", "session_ttl": "300.000000"},
        "failures": 1,
        "locked_until": None,
        "tz": "Europe/Berlin",
        "cards": [
            {
                "token": "tok_1",
                "brand": "visa",
                "last4": "4242",
                "exp_month": 12,
                "exp_year": 2030,
                "label": "",
            }
        ],
        "ledger": [
            {
                "seq": 1,
                "kind": "CREDIT",
                "amount": {"amount": "50.00", "currency": "CNY"},
                "reference": "top-up",
                "at": "2026-11-11T01:00:00.000000+00:00",
                "hold_id": None,
            },
            {
                "seq": 2,
                "kind": "HOLD",
                "amount": {"amount": "10.00", "currency": "CNY"},
                "reference": "order 1",
                "at": "2026-11-11T01:01:00.000000+00:00",
                "hold_id": "H000001",
            },
        ],
        "holds": [
            {
                "hold_id": "H000001",
                "amount": {"amount": "10.00", "currency": "CNY"},
                "reference": "order 1",
                "created_at": "2026-11-11T01:01:00.000000+00:00",
                "status": "OPEN",
                "captured": None,
                "settled_at": None,
            }
        ],
        "holdings": [
            {
                "kind": "PURSE",
                "reference": "purse-1",
                "value": {"amount": "5.00", "currency": "CNY"},
                "label": "",
            }
        ],
        "public_key": "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
        "secrets": "included",
        "signing_key_unencrypted": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    },
}


def wallet_of_the_v1_document(clock: FixedClock) -> EWallet:
    """The wallet :data:`V1_DOCUMENT` was written from, made again by the same calls."""
    wallet = EWallet(
        "alice",
        PIN,
        clock=clock,
        kdf=FAST,
        policy=POLICY,
        wallet_id="w-alice",
        zone="Europe/Berlin",
        signing_key=Ed25519PrivateKey.from_private_bytes(SIGNING_KEY),
    )
    wallet.credit(cny("50.00"), "top-up")
    clock.advance(minutes=1)
    wallet.authorize(cny("10.00"), "order 1", auth=PIN)
    wallet.add_card(CardReference("tok_1", "visa", "4242", exp_month=12, exp_year=2030), auth=PIN)
    wallet.add_holding(Holding(HoldingKind.PURSE, "purse-1", cny("5.00")))
    with pytest.raises(WrongPin):
        wallet.verify_pin("000000")
    return wallet


def v2(document: dict[str, Any]) -> dict[str, Any]:
    """A version 1 document as version 2 writes it: ``tz`` renamed ``zone``, in its place."""
    body = {("zone" if k == "tz" else k): v for k, v in document["body"].items()}
    return {**document, "schema_version": 2, "body": body}


def test_a_version_1_document_loads_into_the_wallet_it_was_written_from() -> None:
    """The zone stored under ``tz`` comes back as ``zone``; everything else as it was; the
    wallet writes itself back at version 2 with only that key renamed."""
    stored = copy.deepcopy(V1_DOCUMENT)
    loaded = load_ewallet(stored, clock=FixedClock(START.add(minutes=1)))
    assert stored == V1_DOCUMENT  # the upcaster worked on a copy
    twin = wallet_of_the_v1_document(FixedClock(START))
    assert loaded.zone == "Europe/Berlin"
    assert {**view(loaded), "pin": None} == {**view(twin), "pin": None}
    assert loaded.pin_record[0].encode() == V1_DOCUMENT["body"]["pin_hash"]
    assert dump_ewallet(loaded, secrets="include") == v2(V1_DOCUMENT)
    loaded.verify_pin(PIN)  # the stored hash is the PIN's


def test_a_version_2_document_round_trips_and_keeps_its_zone() -> None:
    """Written at version 2 with ``zone``; read back equal, and written again identically."""
    clock = FixedClock(START)
    wallet = wallet_of_the_v1_document(clock)
    document = through_json(dump_ewallet(wallet, secrets="include"))
    assert document["schema_version"] == 2
    assert "tz" not in document["body"]
    assert list(document["body"]) == list(v2(V1_DOCUMENT)["body"])
    loaded = load_ewallet(document, clock=clock)
    assert view(loaded) == view(wallet)
    assert dump_ewallet(loaded, secrets="include") == document


def test_a_version_2_document_with_tz_is_refused_naming_the_field() -> None:
    """Version 2 reads only ``zone``: a body that still says ``tz`` is malformed."""
    document = {**copy.deepcopy(V1_DOCUMENT), "schema_version": 2}
    with pytest.raises(DocumentError) as caught:
        load_ewallet(document, clock=FixedClock(START))
    assert "body.zone: missing" in str(caught.value)
    assert "unexpected key(s) 'tz'" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda body: body.pop("tz"), "body.tz: missing"),
        (lambda body: body.update(zone="Asia/Shanghai"), "body.zone: unexpected in version 1"),
    ],
    ids=["no tz", "tz and zone"],
)
def test_a_version_1_document_without_one_tz_is_refused(
    change: Callable[[dict[str, Any]], object], problem: str
) -> None:
    """The upcaster renames exactly one key: a version 1 body without ``tz``, or with a
    ``zone`` already, is refused saying so, not silently read."""
    document = copy.deepcopy(V1_DOCUMENT)
    change(document["body"])
    with pytest.raises(DocumentError, match=re.escape(problem)):
        load_ewallet(document, clock=FixedClock(START))


def test_a_version_1_zone_that_is_unknown_is_refused_as_zone() -> None:
    """The renamed value is checked like any zone: an unknown name is refused."""
    document = copy.deepcopy(V1_DOCUMENT)
    document["body"]["tz"] = "Mars/Base"
    with pytest.raises(DocumentError, match="zone must be an IANA time zone name"):
        load_ewallet(document, clock=FixedClock(START))


def test_the_serializer_writes_version_2_and_reads_later_versions_through_upcasters() -> None:
    """Version 2 by default; a later version chains its own steps after the built-in one, and
    a version below 2 (whose body would not match what is written) is refused."""
    assert EWalletSerializer().schema_version == 2
    later = EWalletSerializer(schema_version=3, upcasters={2: lambda body: body})
    wallet = later.load(copy.deepcopy(V1_DOCUMENT), clock=FixedClock(START.add(minutes=1)))
    assert wallet.zone == "Europe/Berlin"
    assert later.dump(wallet)["schema_version"] == 3
    with pytest.raises(ValidationError, match="must be an integer from 2, not 1"):
        EWalletSerializer(schema_version=1)
    with pytest.raises(ValidationError, match="no upcaster from schema version 2 to 3"):
        EWalletSerializer(schema_version=3)
