"""An order paid from a stored e-wallet: the shop's store, the provider's store, a lost answer.

Two SQLite files in a temporary folder: the shop's (carts, orders, payments) and the wallet
provider's (the buyers' and the shop's e-wallets, and the e-wallet gateway's books). The shop's
:class:`~ecservice.application.OrderService` pays an order through a
:class:`~ecservice.application.WalletPaymentService`, which runs every authorisation, capture and
refund in one unit of work of the provider's store.

The answer to the capture is lost on its way back (the money moved, the shop did not hear it).
Paying again asks the gateway with the same idempotency keys: the provider's stored answer comes
back and nothing moves twice. A service built anew, as another process would, finds the same
stored answers. The shop then cancels the order: one refund, however often it settles. The trace
ends with the wallets' balances: what the buyer topped up is all still there, split between the
buyer and the shop. It exits 1 if any check fails.

Run: ``python examples/stored_wallet_payments.py`` (needs the ``sql`` and ``crypto`` extras:
``pip install 'ecservice[sql,crypto]'``)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pendulum

from ecservice.application import OrderService, WalletPaymentService
from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable
from ecservice.money import Money
from ecservice.orders import Address, Cart, ShippingRate
from ecservice.payments import GatewayResponse, Instrument, InstrumentKind
from ecservice.payments.wallet import EWallet, KdfParams
from ecservice.storage import EWalletSerializer
from ecservice.storage.sql import SqlStore
from ecservice.storage.sql.migrations import upgrade
from ecservice.workflow import Actor

BUYER = Actor.buyer("u-1001")
STAFF = Actor.staff("kefu-07")
#: The wallets as the provider stores them: with their signing keys (the provider's store is
#: guarded as closely as the keys themselves).
WALLETS = EWalletSerializer(secrets="include")
#: A cheap scrypt cost so that the example runs in a moment; real wallets keep the default.
FAST = KdfParams(n=2**4)


def cny(amount: str) -> Money:
    """An amount in yuan."""
    return Money(amount, "CNY")


class LosesOneCapture:
    """The provider's service as the shop reaches it over a network that loses the answer to
    the first capture: the capture is made, then the shop hears a timeout."""

    def __init__(self, service: WalletPaymentService) -> None:
        self.service = service
        self.lost = False

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        return self.service.authorize(
            instrument, amount, reference=reference, idempotency_key=idempotency_key
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        answer = self.service.capture(authorization, amount, idempotency_key=idempotency_key)
        if not self.lost:
            self.lost = True
            print(f"  capture made ({answer.reference}), but its answer is lost")
            raise GatewayUnavailable("the answer to the capture timed out")
        return answer

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        return self.service.void(authorization, idempotency_key=idempotency_key)

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        return self.service.refund(capture, amount, idempotency_key=idempotency_key)

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        return self.service.outcome(idempotency_key)


def provider_service(store: SqlStore) -> WalletPaymentService:
    """What each of the provider's processes builds over its store."""
    return WalletPaymentService(
        store,
        merchant_wallet="w-teahouse",
        auth_for=lambda wallet_id: "582031",  # the buyer confirms with the PIN
        merchant_auth=lambda: "482916",
        serializer=WALLETS,
    )


def balances(store: SqlStore) -> tuple[Money, Money]:
    """The buyer's and the shop's stored wallet balances."""
    with store.unit_of_work() as uow:
        wallets = uow.repository(WALLETS)
        return wallets.get("w-li").balance("CNY"), wallets.get("w-teahouse").balance("CNY")


def main() -> int:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai"))
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(f"  {'ok' if ok else 'FAILED'}: {what}")
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as folder:
        shop_url = f"sqlite:///{Path(folder) / 'shop.db'}"
        provider_url = f"sqlite:///{Path(folder) / 'provider.db'}"
        upgrade(shop_url)
        upgrade(provider_url)
        shop_store = SqlStore(shop_url, clock=clock)
        provider = SqlStore(provider_url, clock=clock)
        try:
            print("1. The provider stores the buyer's wallet (100.00 topped up) and the shop's.")
            li = EWallet("li-lei", "582031", clock=clock, kdf=FAST, wallet_id="w-li")
            li.credit(cny("100.00"), "top-up by bank transfer")
            till = EWallet("teahouse", "482916", clock=clock, kdf=FAST, wallet_id="w-teahouse")
            with provider.unit_of_work() as uow:
                uow.repository(WALLETS).add(li)
                uow.repository(WALLETS).add(till)
                uow.commit()

            print("2. The buyer orders tea for 86.00 and pays from the wallet.")
            cart = Cart.open("CART-1", buyer_id="u-1001", currency="CNY", clock=clock)
            cart.add_line("TEA-250", "Longjing tea 250 g", cny("38.00"), 2, actor=BUYER)
            with shop_store.unit_of_work() as uow:
                uow.carts.add(cart)
                uow.commit()
            gateway = LosesOneCapture(provider_service(provider))
            shop = OrderService(shop_store, gateway, clock=clock)
            order = shop.place_order(
                "CART-1",
                "O-1",
                address=Address(
                    recipient="王小明",
                    phone="138 0013 8000",
                    province="浙江省",
                    city="杭州市",
                    street="龙井路 1 号",
                ),
                shipping=ShippingRate.per_kg(first_fee=cny("10.00"), additional_fee=cny("6.00")),
                actor=BUYER,
            )
            print(f"  O-1 placed: {order.amount_due}")
            wallet = Instrument(InstrumentKind.WALLET, "w-li")
            try:
                shop.pay("O-1", wallet)
            except GatewayUnavailable as exc:
                print(f"  the shop hears: {exc}")
            outcome = shop.pay("O-1", wallet)  # the same attempt: the same keys
            print(f"  paying again: {outcome.payment_status.name}, O-1 {outcome.order_status.name}")
            buyer, teahouse = balances(provider)
            print(f"  wallets: buyer {buyer}, shop {teahouse}")
            check(buyer == cny("14.00"), "the buyer paid 86.00 once")

            print("3. Another process of the provider finds the stored answers.")
            # OrderPayments keys each step of a payment by the payment's id and the step.
            keys = [f"{outcome.payment_id}:{step}" for step in ("authorize", "capture")]
            answers = [provider_service(provider).outcome(key) for key in keys]
            for key, answer in zip(keys, answers, strict=True):
                print(f"  {key}: {answer.amount if answer else None}")
            check(all(a is not None and a.approved for a in answers), "every key has its answer")

            print("4. The shop cancels O-1 (out of stock): one refund, however often it settles.")
            shop.cancel("O-1", reason="out of stock", actor=STAFF)
            again = shop.settle("O-1")
            print(f"  settling again appends {len(again)} record(s)")
            buyer, teahouse = balances(provider)
            print(f"  wallets: buyer {buyer}, shop {teahouse}")
            check(buyer == cny("100.00"), "the buyer has the 100.00 back")
            check(buyer + teahouse == cny("100.00"), "no value made or lost")
        finally:
            shop_store.dispose()
            provider.dispose()
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
