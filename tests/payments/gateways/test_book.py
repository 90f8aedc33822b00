"""The gateways' books: the in-memory default behaves as before, references stay unique."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import IdempotencyConflict, ValidationError
from ecservice.money import Money
from ecservice.payments import GatewayResponse, Instrument, InstrumentKind
from ecservice.payments._card_numbers import looks_like_card_number
from ecservice.payments.gateways import (
    WALLET_HOLDS,
    GatewayBook,
    HoldCodec,
    MemoryBook,
    WalletGateway,
)
from ecservice.payments.gateways._book import unique_reference
from ecservice.payments.wallet import EWallet, KdfParams

FAST_KDF = KdfParams(n=2**4)
T0 = pendulum.datetime(2026, 11, 11, 9, tz="Asia/Shanghai")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def gateway(book: GatewayBook[object] | None = None) -> tuple[WalletGateway, EWallet]:
    clock = FixedClock(T0)
    buyer = EWallet("li", "2468", clock=clock, kdf=FAST_KDF, wallet_id="w-li")
    buyer.credit(cny("100.00"), "top-up")
    shop = EWallet("teahouse", "9753", clock=clock, kdf=FAST_KDF, wallet_id="w-shop")
    gw = WalletGateway(
        {"w-li": buyer},
        shop,
        lambda _: "2468",
        merchant_auth=lambda: "9753",
        book=book,  # type: ignore[arg-type]
    )
    return gw, buyer


def test_a_memory_book_counts_references_over_all_kinds_as_before() -> None:
    gw, _ = gateway(MemoryBook("wallet"))
    rich = Instrument(InstrumentKind.WALLET, "w-li")
    auth = gw.authorize(rich, cny("30.00"), reference="P-1", idempotency_key="A-1")
    cap = gw.capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    ref = gw.refund(cap.reference, cny("5.00"), idempotency_key="R-1")
    assert (auth.reference, cap.reference, ref.reference) == (
        "wallet-auth-1",
        "wallet-cap-2",
        "wallet-ref-3",
    )
    assert isinstance(gw.book, MemoryBook)
    assert gw.book.answer("C-1") == ("capture 30.00 CNY of wallet-auth-1", cap)
    assert set(gw.book.authorizations) == {"wallet-auth-1"}
    assert set(gw.book.captures) == {"wallet-cap-2"}


def test_the_default_book_is_a_memory_book_of_the_gateway() -> None:
    gw, _ = gateway()
    assert isinstance(gw.book, MemoryBook)
    assert gw.book.name == "wallet"


def test_a_book_must_be_a_book() -> None:
    with pytest.raises(ValidationError, match="book must be a GatewayBook"):
        gateway(object())  # type: ignore[arg-type]


def test_a_memory_book_refuses_unknown_reference_kinds_and_conflicting_keys() -> None:
    book: MemoryBook[str] = MemoryBook("gw")
    with pytest.raises(ValidationError, match="a reference is one of"):
        book.reference("payout")
    answer = GatewayResponse(approved=True, reference="gw-auth-1")
    book.keep("K-1", "authorize", answer)
    book.keep("K-1", "authorize", answer)  # the same request again: harmless
    with pytest.raises(IdempotencyConflict, match="'K-1' was used at gw"):
        book.keep("K-1", "void", answer)
    assert book.answer("K-1") == ("authorize", answer)
    assert "answers=1" in repr(book)


def test_the_gateway_refuses_another_request_under_a_key_of_the_book() -> None:
    gw, buyer = gateway()
    rich = Instrument(InstrumentKind.WALLET, "w-li")
    gw.authorize(rich, cny("30.00"), reference="P-1", idempotency_key="A-1")
    with pytest.raises(IdempotencyConflict, match="a retry must repeat its request"):
        gw.authorize(rich, cny("31.00"), reference="P-1", idempotency_key="A-1")
    assert buyer.held("CNY") == cny("30.00")


@given(name=st.sampled_from(["wallet", "w", "shop-2"]), of=st.text(min_size=1, max_size=40))
@example(name="w", of="DomainEvent")  # its first derivation holds a card-shaped run of digits
def test_derived_references_are_the_same_everywhere_and_never_card_shaped(
    name: str, of: str
) -> None:
    first = unique_reference(name, "auth", of)
    assert first == unique_reference(name, "auth", of)
    assert first != unique_reference(name, "ref", of)
    assert first.startswith(f"{name}-auth-")
    assert not looks_like_card_number(first)


def test_random_references_differ_and_are_never_card_shaped() -> None:
    made = {unique_reference("wallet", "auth") for _ in range(500)}
    assert len(made) == 500
    assert not any(looks_like_card_number(r) for r in made)


def test_the_wallet_hold_codec_round_trips_and_checks_its_texts() -> None:
    assert isinstance(WALLET_HOLDS, HoldCodec)
    assert WALLET_HOLDS.fields == ("wallet_id", "hold_id")
    data = {"wallet_id": "w-li", "hold_id": "H-1"}
    assert WALLET_HOLDS.dump(WALLET_HOLDS.load(data)) == data
    with pytest.raises(ValidationError, match="wallet_id must not start or end with white"):
        WALLET_HOLDS.load({"wallet_id": " w-li", "hold_id": "H-1"})
    with pytest.raises(ValidationError, match="hold_id"):
        WALLET_HOLDS.load({"wallet_id": "w-li", "hold_id": ""})
    with pytest.raises(ValidationError, match="expected an e-wallet hold"):
        WALLET_HOLDS.dump("H-1")  # type: ignore[arg-type]
    assert repr(WALLET_HOLDS) == "WALLET_HOLDS"


def test_a_hold_of_a_wallet_the_gateway_no_longer_knows_declines_the_capture() -> None:
    gw, _ = gateway()
    rich = Instrument(InstrumentKind.WALLET, "w-li")
    auth = gw.authorize(rich, cny("30.00"), reference="P-1", idempotency_key="A-1")
    gw.wallets = {}
    answer = gw.capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    assert not answer.approved
    assert "knows no e-wallet 'w-li'" in answer.message
    assert gw.hold_of(auth.reference).startswith("H")
