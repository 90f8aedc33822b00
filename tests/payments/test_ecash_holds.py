"""The e-cash gateway's holds written as text (ECASH_HOLDS): a round trip, and fuzzing.

``load`` accepts exactly what ``dump`` writes (so ``dump(load(x)) == x``), checks every spend's
signature, and refuses anything else with ValidationError naming the field; the e-cash gateway
behaves as before with its books in memory (tests/payments/test_instrument_gateways.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import ValidationError
from ecservice.payments import Instrument, InstrumentKind
from ecservice.payments.ecash import CoinWallet
from ecservice.payments.gateways import ECASH_HOLDS, EcashGateway, HoldCodec, MemoryBook
from tests.storage.mint_rig import T0, cny, make_mint


def _held() -> dict[str, str]:
    """A hold of three spends (two coins of 1.00 and part of a 0.50), as written."""
    clock = FixedClock(T0)
    mint, denominations = make_mint(clock)
    wallet = CoinWallet(clock, currency="CNY", wallet_id="cw-x")
    for value in ("1.00", "1.00", "0.50"):
        wallet.withdraw(mint, "alice", denominations[value])
    book: MemoryBook[Any] = MemoryBook("ecash")
    gateway = EcashGateway(mint, {"cw-x": wallet}, "teahouse", book=book)
    answer = gateway.authorize(
        Instrument(InstrumentKind.ECASH, "cw-x"), cny("2.30"), reference="P", idempotency_key="A"
    )
    assert answer.approved, answer
    auth = book.authorization(answer.reference)
    assert auth is not None
    return ECASH_HOLDS.dump(auth.hold)


HELD = _held()


def test_the_codec_is_a_hold_codec_that_round_trips() -> None:
    assert isinstance(ECASH_HOLDS, HoldCodec)
    assert repr(ECASH_HOLDS) == "ECASH_HOLDS"
    assert tuple(HELD) == ECASH_HOLDS.fields
    hold = ECASH_HOLDS.load(HELD)
    assert hold.wallet_id == "cw-x"
    assert len(hold.spends) == 3
    assert {s.contract_hash for s in hold.spends} == {hold.contract}
    assert ECASH_HOLDS.dump(hold) == HELD
    with pytest.raises(ValidationError, match="e-cash hold"):
        ECASH_HOLDS.dump("not a hold")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "text", "named"),
    [
        ("wallet_id", " cw-x", "wallet_id"),
        ("contract", "not base64!", "contract"),
        ("contract", "", "contract"),
        ("spends", "[]", "spends"),
        ("spends", "{}", "spends"),
        ("spends", "[[1]]", "spends"),
        ("spends", "[" * 100_000, "spends"),
        ("spends", " " + HELD["spends"], "spends"),
    ],
)
def test_malformed_fields_are_refused_by_name(field: str, text: str, named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        ECASH_HOLDS.load({**HELD, field: text})


def test_an_altered_spend_fails_its_signature() -> None:
    items = json.loads(HELD["spends"])
    items[0][4] += 1  # one fen more than the coin signed
    altered = json.dumps(items, separators=(",", ":"))
    with pytest.raises(ValidationError, match="spends"):
        ECASH_HOLDS.load({**HELD, "spends": altered})
    with pytest.raises(ValidationError, match="spends"):
        ECASH_HOLDS.load({**HELD, "contract": "AAAA"})  # the spends signed another contract


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(ECASH_HOLDS.fields),
    position=st.integers(min_value=0, max_value=10_000),
    replacement=st.text(max_size=3),
    cut=st.booleans(),
)
def test_any_altered_text_is_refused_or_round_trips(
    field: str, position: int, replacement: str, cut: bool
) -> None:
    """An edit anywhere: either ValidationError, or a hold that writes back as the text."""
    text = HELD[field]
    at = position % (len(text) + 1)
    edited = text[:at] + replacement + ("" if cut else text[at + len(replacement) :])
    data = {**HELD, field: edited}
    try:
        hold = ECASH_HOLDS.load(data)
    except ValidationError:
        return
    assert ECASH_HOLDS.dump(hold) == data


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(ECASH_HOLDS.fields), st.text(max_size=40), min_size=3))
def test_random_text_is_refused_or_round_trips(data: dict[str, str]) -> None:
    try:
        hold = ECASH_HOLDS.load(data)
    except ValidationError:
        return
    assert ECASH_HOLDS.dump(hold) == data
