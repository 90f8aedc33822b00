"""One order paid with each instrument, then cancelled out of stock and refunded automatically.

Run it with ``python examples/pay_order_with_instruments.py`` (needs the ``crypto`` extra). The same
:class:`~ecservice.payments.OrderPayments` code pays an order with a card (through
:class:`~ecservice.payments.InMemoryGateway`), e-cash, a Mondex-style purse and an e-wallet; the
shop then finds a line out of stock and cancels each order, which refunds the buyer through the
same gateway. The answer to that refund is lost on the way back (the gateway refunded, the shop
did not hear it); reconciling again with :meth:`~ecservice.payments.OrderPayments.settle` asks
the gateway with the same idempotency key and records the refund, without refunding twice. The
trace ends with the balances before and after: nothing created, nothing lost. It exits 1 if any
check fails.

The e-cash mint uses 1024-bit test keys so the example runs in a moment; a real mint uses at least
2048-bit keys (the default of ``Mint.add_denomination``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pendulum

from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine
from ecservice.payments import (
    EcashGateway,
    GatewayResponse,
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    OrderPayments,
    PaymentGateway,
    PurseGateway,
    WalletGateway,
)
from ecservice.payments.ecash import CoinWallet, Mint, PurePythonBlindSigner, generate_key
from ecservice.payments.mondex import Purse
from ecservice.payments.wallet import EWallet
from ecservice.workflow import Actor

STAFF = Actor.staff("warehouse-1")


def cny(amount: str) -> Money:
    """An amount in yuan."""
    return Money(amount, "CNY")


class Rail(NamedTuple):
    """One way to pay: a gateway, the buyer's instrument and views of both sides' value."""

    label: str
    gateway: PaymentGateway
    instrument: Instrument
    buyer: Callable[[], Money]
    merchant: Callable[[], Money]


class LosesOneRefundAnswer:
    """A line to a gateway that loses the answer to the first refund, after the refund was made."""

    def __init__(self, gateway: PaymentGateway) -> None:
        self.gateway = gateway
        self.lost = False

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Forwarded."""
        return self.gateway.authorize(
            instrument, amount, reference=reference, idempotency_key=idempotency_key
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        """Forwarded."""
        return self.gateway.capture(authorization, amount, idempotency_key=idempotency_key)

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Forwarded."""
        return self.gateway.void(authorization, idempotency_key=idempotency_key)

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        """Forwarded; the first answer is lost after the gateway refunded."""
        answer = self.gateway.refund(capture, amount, idempotency_key=idempotency_key)
        if not self.lost:
            self.lost = True
            raise GatewayUnavailable("timed out waiting for the refund's answer")
        return answer


def make_order(order_id: str, clock: FixedClock) -> Order:
    """Two teas, a cup and shipping: 115.00 CNY."""
    return Order(
        id=order_id,
        buyer_id="buyer-1",
        lines=[
            OrderLine(sku="TEA", name="Longjing 250 g", unit_price=cny("40.00"), quantity=2),
            OrderLine(sku="CUP", name="celadon cup", unit_price=cny("25.00"), quantity=1),
        ],
        address=Address(
            recipient="Li Lei",
            phone="13800138000",
            province="Zhejiang",
            city="Hangzhou",
            street="1 Longjing Road",
        ),
        shipping_fee=cny("10.00"),
        created_at=clock.now(),
        clock=clock,
    )


def card_rail() -> Rail:
    """A card token at an in-memory provider."""
    gateway = InMemoryGateway("card")
    card = Instrument(InstrumentKind.CARD, "tok_visa_4242")
    gateway.fund(card, cny("200.00"))
    return Rail(
        "card",
        gateway,
        card,
        lambda: gateway.balance(card, "CNY") + gateway.held("CNY"),
        lambda: gateway.merchant_balance("CNY"),
    )


def ecash_rail(clock: FixedClock) -> Rail:
    """Coins of a mint in the buyer's coin wallet; the merchant is paid at the mint."""
    mint = Mint(clock, currency="CNY", name="demo-mint")
    for value in ("50.00", "10.00", "5.00", "1.00", "0.10", "0.01"):
        mint.add_denomination(
            cny(value),
            signer=PurePythonBlindSigner(generate_key(1024, allow_weak_key_for_tests=True)),
            withdraw_until=clock.now().add(days=30),
            deposit_until=clock.now().add(days=365),
        )
    mint.credit_reserve("buyer-1", cny("200.00"))
    coins = CoinWallet(clock, currency="CNY")
    coins.withdraw_amount(mint, "buyer-1", cny("200.00"))
    gateway = EcashGateway(mint, {"coins-1": coins}, "teahouse")
    return Rail(
        "e-cash",
        gateway,
        Instrument(InstrumentKind.ECASH, "coins-1"),
        lambda: gateway.buyer_balance("coins-1", "CNY"),
        lambda: gateway.merchant_balance("CNY"),
    )


def purse_rail(clock: FixedClock) -> Rail:
    """A stored-value purse paying the shop's purse."""
    gateway = PurseGateway(
        {"purse-1": Purse("purse-1", balances=[cny("200.00")], clock=clock)},
        Purse("teahouse", clock=clock),
    )
    return Rail(
        "purse",
        gateway,
        Instrument(InstrumentKind.PURSE, "purse-1"),
        lambda: gateway.buyer_balance("purse-1", "CNY"),
        lambda: gateway.merchant_balance("CNY"),
    )


def wallet_rail(clock: FixedClock) -> Rail:
    """E-wallet stored value; the buyer confirmed with a session opened at checkout."""
    buyer = EWallet("buyer-1", "739154", clock=clock, wallet_id="w-buyer-1")
    buyer.credit(cny("200.00"), "top-up")
    shop = EWallet("teahouse", "482916", clock=clock, wallet_id="w-teahouse")
    checkout = buyer.open_session("739154")  # the buyer types the PIN once, at checkout
    back_office = shop.open_session("482916")
    gateway = WalletGateway(
        {"w-buyer-1": buyer},
        shop,
        lambda wallet_id: checkout,
        merchant_auth=lambda: back_office,
    )
    return Rail(
        "e-wallet",
        gateway,
        Instrument(InstrumentKind.WALLET, "w-buyer-1"),
        lambda: gateway.buyer_balance("w-buyer-1", "CNY"),
        lambda: gateway.merchant_balance("CNY"),
    )


def main() -> int:
    """Pay, cancel and refund one order per instrument; return the exit status."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai"))
    rails = [card_rail(), ecash_rail(clock), purse_rail(clock), wallet_rail(clock)]
    before = {r.label: (r.buyer(), r.merchant()) for r in rails}
    ok = True
    for number, rail in enumerate(rails, start=1):
        print(f"{number}. {rail.label}: buyer {rail.buyer()}, merchant {rail.merchant()}")
        order = make_order(f"O-{number:03d}", clock)
        payments = OrderPayments(LosesOneRefundAnswer(rail.gateway))
        payment = payments.open(order, rail.instrument)
        payments.pay(order, payment)
        print(
            f"   paid {payment.captured} with {payment.instrument}: payment "
            f"{payment.status.value}, order {order.status.value}; "
            f"buyer {rail.buyer()}, merchant {rail.merchant()}"
        )
        order.mark_out_of_stock(["CUP"], actor=STAFF)
        try:
            payments.cancel(order, payment, reason="celadon cups out of stock", actor=STAFF)
        except GatewayUnavailable as lost:
            print(
                f"   cancelled; {lost}: payment refunded {payment.refunded}, buyer {rail.buyer()}"
            )
        payments.settle(order, payment)  # reconcile again: same key, the gateway's own answer
        payments.settle(order, payment)  # and again: nothing more is owed
        for refund in payment.refunds:
            print(f"   refunded {refund.amount} ({refund.reason}) as {refund.reference}")
        print(
            f"   order {order.status.value}, payment {payment.status.value}; "
            f"buyer {rail.buyer()}, merchant {rail.merchant()}"
        )
        ok = ok and payment.refunded == order.cancelled_value == cny("115.00")

    print("Balances before -> after (buyer + merchant):")
    for rail in rails:
        buyer, merchant = before[rail.label]
        after = rail.buyer() + rail.merchant()
        same = (rail.buyer(), rail.merchant()) == (buyer, merchant)
        ok = ok and same
        print(
            f"   {rail.label:<8} {buyer} + {merchant} = {buyer + merchant} -> "
            f"{rail.buyer()} + {rail.merchant()} = {after}: {'ok' if same else 'MISMATCH'}"
        )
    if not ok:
        print("value was created or lost!")
        return 1
    print("nothing created, nothing lost")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
