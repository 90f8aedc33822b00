"""The e-wallet gateway and the shop's ``auth_for`` / ``merchant_auth``: a fault of the shop's
callback (an answer that is neither a PIN nor a session, or an error that is not the library's)
declines with a message naming the callback, moves nothing and counts no PIN attempt; an
:class:`~ecservice.errors.EcServiceError` it raises declines with its own message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import PolicyViolation
from ecservice.money import Money
from ecservice.payments import Instrument, InstrumentKind, WalletGateway
from ecservice.payments.wallet import EWallet, KdfParams

PIN, SHOP_PIN = "2468", "9753"
FAST = KdfParams(n=2**4)
BUYER = Instrument(InstrumentKind.WALLET, "w-li")
NO_PINS: dict[str, str] = {}


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


class Rig:
    """A buyer with 100.00 CNY, an empty merchant, a gateway whose callbacks a test swaps."""

    def __init__(self) -> None:
        clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, tz="Asia/Shanghai"))
        self.buyer = EWallet("li", PIN, clock=clock, kdf=FAST, wallet_id="w-li")
        self.buyer.credit(cny("100.00"), "top-up")
        self.shop = EWallet("teahouse", SHOP_PIN, clock=clock, kdf=FAST, wallet_id="w-shop")
        # Any: the tests hand the gateway callbacks that break their declared type.
        self.buyer_auth: Callable[[str], Any] = lambda _: PIN
        self.shop_auth: Callable[[], Any] = lambda: SHOP_PIN
        self.gateway = WalletGateway(
            {"w-li": self.buyer},
            self.shop,
            lambda wallet_id: self.buyer_auth(wallet_id),
            merchant_auth=lambda: self.shop_auth(),
        )

    def state(self) -> object:
        return [
            (w.version, w.pin_record, w.ledger, w.holds(None), w.available("CNY"))
            for w in (self.buyer, self.shop)
        ]


def missing(_: str) -> str:
    return {"w-other": PIN}["w-li"]


def declined_by_shop(_: str) -> str:
    raise PolicyViolation("the buyer cancelled the confirmation")


FAULTS: list[tuple[Callable[[str], object], str]] = [
    (lambda _: None, "the shop's auth_for returned NoneType, not a PIN (str) or a WalletSession"),
    (lambda _: 2468, "the shop's auth_for returned int"),
    (lambda _: b"2468", "the shop's auth_for returned bytes"),
    (missing, "the shop's auth_for failed (KeyError)"),
    (declined_by_shop, "the buyer cancelled the confirmation"),
]


@pytest.mark.parametrize(("auth_for", "message"), FAULTS)
def test_a_fault_of_auth_for_declines_moves_nothing_and_counts_nothing(
    auth_for: Callable[[str], object], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Five such authorisations in a row: each declined with a message naming the callback,
    neither wallet changed (no attempt counted, no lock, no version), the key left free."""
    rig = Rig()
    rig.buyer_auth = auth_for
    before = rig.state()
    with caplog.at_level(logging.ERROR, logger="ecservice.payments.gateways"):
        for _ in range(5):
            answer = rig.gateway.authorize(
                BUYER, cny("30.00"), reference="P-1", idempotency_key="A-1"
            )
            assert not answer.approved
            assert message in answer.message
    assert rig.state() == before
    assert rig.buyer.failed_attempts == 0
    if "auth_for" in message:  # the shop's own fault is logged for it to fix
        assert any("auth_for" in r.getMessage() for r in caplog.records)
    rig.buyer_auth = lambda _: PIN
    assert rig.gateway.authorize(
        BUYER, cny("30.00"), reference="P-1", idempotency_key="A-1"
    ).approved


@pytest.mark.parametrize(
    ("merchant_auth", "message"),
    [
        (lambda: None, "the shop's merchant_auth returned NoneType"),
        (lambda: [SHOP_PIN], "the shop's merchant_auth returned list"),
        (lambda: NO_PINS["pin"], "the shop's merchant_auth failed (KeyError)"),
    ],
)
def test_a_fault_of_merchant_auth_declines_the_refund_and_moves_nothing(
    merchant_auth: Callable[[], object], message: str
) -> None:
    """The refund path asks ``merchant_auth``: a fault declines it and changes no wallet."""
    rig = Rig()
    auth = rig.gateway.authorize(BUYER, cny("30.00"), reference="P-1", idempotency_key="A")
    cap = rig.gateway.capture(auth.reference, cny("30.00"), idempotency_key="C")
    assert cap.approved
    rig.shop_auth = merchant_auth
    before = rig.state()
    answer = rig.gateway.refund(cap.reference, cny("10.00"), idempotency_key="R")
    assert not answer.approved
    assert message in answer.message
    assert rig.state() == before
    assert rig.shop.failed_attempts == 0
    rig.shop_auth = lambda: SHOP_PIN
    assert rig.gateway.refund(cap.reference, cny("10.00"), idempotency_key="R").approved
    assert rig.buyer.available("CNY") == cny("80.00")
