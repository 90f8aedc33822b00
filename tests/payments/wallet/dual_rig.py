"""A buyer, a merchant and an e-wallet gateway for the dual-signature tests."""

from __future__ import annotations

import attrs
import pendulum
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments import WalletGateway
from ecservice.payments.wallet import CardReference, DualSignedOrder, EWallet, KdfParams

PIN = "739154"
SHOP_PIN = "482916"
FAST = KdfParams(n=2**4)
START = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")
#: A card token that must never appear in clear on the merchant's side.
TOKEN = "tok_SECRET_7f3a9c"


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


@attrs.define
class Rig:
    """One buyer wallet with stored value and a card, the shop's wallet, and its gateway."""

    clock: FixedClock
    buyer: EWallet
    shop: EWallet
    gateway: WalletGateway
    gateway_key: X25519PrivateKey

    def purchase(
        self, amount: str = "36.00", reference: str = "order O-10", *, card: str | None = None
    ) -> DualSignedOrder:
        """The buyer dual-signs a purchase from the teahouse, sealed for the gateway."""
        return self.buyer.instruct_dual(
            "teahouse",
            cny(amount),
            reference,
            auth=PIN,
            gateway_key=self.gateway.sealing_public_key,
            card=card,
        )

    def snapshot(self) -> object:
        """Everything a refused operation must leave unchanged."""
        return (
            self.buyer.ledger,
            self.buyer.holds(None),
            self.shop.ledger,
            self.gateway.held("CNY"),
            self.buyer.failed_attempts,
        )


def make_rig() -> Rig:
    clock = FixedClock(START)
    buyer = EWallet("buyer-1", PIN, clock=clock, kdf=FAST, wallet_id="w-buyer-1")
    buyer.credit(cny("200.00"), "top-up")
    buyer.add_card(
        CardReference(token=TOKEN, brand="visa", last4="4242", exp_month=12, exp_year=2027),
        auth=PIN,
    )
    shop = EWallet("teahouse", SHOP_PIN, clock=clock, kdf=FAST, wallet_id="w-teahouse")
    key = X25519PrivateKey.generate()
    gateway = WalletGateway(
        {"w-buyer-1": buyer},
        shop,
        lambda _wallet_id: PIN,
        merchant_auth=lambda: SHOP_PIN,
        sealing_key=key,
    )
    return Rig(clock, buyer, shop, gateway, key)
