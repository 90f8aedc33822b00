"""The simulated shop of ``ecservice demo``: its catalogue, buyers and what a day brings an order.

Private to the demo (:mod:`ecservice._demo` runs it).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, Protocol

import attrs
import pendulum

from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable
from ecservice.money import Money
from ecservice.orders import (
    Address,
    Cart,
    Order,
    OrderStatus,
    ShippingRate,
    TrackingEvent,
)
from ecservice.payments import (
    GatewayResponse,
    Instrument,
    InstrumentKind,
    OutcomeLookup,
    PaymentGateway,
)
from ecservice.storage import UnitOfWork
from ecservice.workflow import Actor

__all__ = [
    "PAY",
    "RATE",
    "SETTLE",
    "START",
    "Dice",
    "Gateway",
    "LossyLine",
    "adding",
    "address_of",
    "card_of",
    "day_step",
    "new_cart",
    "order_id_of",
    "remarks_of",
]

CATALOGUE = [
    ("TEA-250", "Longjing tea 250 g", "88.00", "0.30"),
    ("CUP-01", "Celadon cup", "45.50", "0.40"),
    ("SILK-SC", "Silk scarf", "129.00", "0.10"),
    ("RICE-5", "Wuchang rice 5 kg", "69.90", "5.00"),
    ("PEN-BR", "Calligraphy brush set", "58.00", "0.35"),
    ("FAN-SD", "Sandalwood fan", "35.00", "0.15"),
    ("CRAB-6", "Yangcheng Lake hairy crabs, 6", "238.00", "1.50"),
]
CARRIERS = ["SF Express", "ZTO", "YTO", "JD Logistics"]
WAREHOUSES = ["Hangzhou", "Guangzhou", "Chengdu"]
#: Share of gateway answers lost on the way back (the gateway acted; the shop retries next day).
LOST_ANSWERS = 0.02
#: The first day of the first run.
START = pendulum.datetime(2026, 11, 1, 9, 0, tz="Asia/Shanghai")
RATE = ShippingRate.per_kg(
    first_fee=Money("10.00", "CNY"),
    additional_fee=Money("6.00", "CNY"),
    free_over=Money("199.00", "CNY"),
)
STAFF = Actor.staff("kefu-01")
#: What a day's step asks of the payments, after it changed the order.
PAY: Final = "pay"
SETTLE: Final = "settle"


class Gateway(PaymentGateway, OutcomeLookup, Protocol):
    """What the demo's gateway does: pay, and say what it did under a key."""


class LossyLine:
    """The network between the shop and its gateway: a few answers are lost after the gateway
    acted, so the shop must retry with the same idempotency key (and reconcile)."""

    def __init__(self, gateway: Gateway, rng: random.Random) -> None:
        self.gateway = gateway
        self.rng = rng
        self.lost = 0
        self.healthy = False

    def _deliver(self, answer: GatewayResponse) -> GatewayResponse:
        if not self.healthy and self.rng.random() < LOST_ANSWERS:
            self.lost += 1
            raise GatewayUnavailable("the gateway's answer was lost")
        return answer

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        return self._deliver(
            self.gateway.authorize(
                instrument, amount, reference=reference, idempotency_key=idempotency_key
            )
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        return self._deliver(
            self.gateway.capture(authorization, amount, idempotency_key=idempotency_key)
        )

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        return self._deliver(self.gateway.void(authorization, idempotency_key=idempotency_key))

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        return self._deliver(self.gateway.refund(capture, amount, idempotency_key=idempotency_key))

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        return self.gateway.outcome(idempotency_key)


@attrs.frozen
class Dice:
    """The random draws of one order's day, drawn before the step so that a step run again
    (after a transient storage failure) makes the same choices."""

    roll: float
    second: float
    carriers: tuple[str, str]
    tracking: tuple[str, str]
    warehouses: tuple[str, str]

    @classmethod
    def draw(cls, rng: random.Random) -> Dice:
        return cls(
            rng.random(),
            rng.random(),
            (rng.choice(CARRIERS), rng.choice(CARRIERS)),
            (f"T{rng.randrange(10**9)}", f"T{rng.randrange(10**9)}"),
            (rng.choice(WAREHOUSES), rng.choice(WAREHOUSES)),
        )


def order_id_of(i: int) -> str:
    return f"O-{i:06d}"


def card_of(order_id: str) -> Instrument:
    return Instrument(InstrumentKind.CARD, f"tok_{order_id}")


#: Share of orders paid from the buyer's e-wallet (电子钱包) when the crypto extra is there (a
#: simulation choice).
WALLET_SHARE: Final = 0.1


def pays_by_wallet(order_id: str) -> bool:
    """Whether order ``order_id`` is paid from an e-wallet (drawn from its id, so that a
    continued run makes the same choice)."""
    digest = hashlib.sha256(f"{order_id}/wallet".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < WALLET_SHARE


def wallet_id_of(order_id: str) -> str:
    """The buyer's e-wallet that pays order ``order_id``: ``EW-000123``."""
    return "EW-" + order_id.rpartition("-")[2]


#: Share of the other orders paid with e-cash coins (电子现金) when the crypto extra is there (a
#: simulation choice).
ECASH_SHARE: Final = 0.05


def pays_by_ecash(order_id: str) -> bool:
    """Whether order ``order_id`` is paid with e-cash (never one paid from an e-wallet; drawn
    from its id, so that a continued run makes the same choice)."""
    if pays_by_wallet(order_id):
        return False
    digest = hashlib.sha256(f"{order_id}/ecash".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < ECASH_SHARE


def ecash_wallet_of(order_id: str) -> str:
    """The buyer's coin wallet that pays order ``order_id``: ``EC-000123``."""
    return "EC-" + order_id.rpartition("-")[2]


def instrument_of(order_id: str, *, wallets: bool) -> Instrument:
    """What pays order ``order_id``: with ``wallets`` (the crypto extra is there), its buyer's
    e-wallet when :func:`pays_by_wallet`, its buyer's coin wallet when :func:`pays_by_ecash`;
    otherwise its card."""
    if wallets and pays_by_wallet(order_id):
        return Instrument(InstrumentKind.WALLET, wallet_id_of(order_id))
    if wallets and pays_by_ecash(order_id):
        return Instrument(InstrumentKind.ECASH, ecash_wallet_of(order_id))
    return card_of(order_id)


def new_cart(i: int, rng: random.Random, clock: FixedClock) -> tuple[Cart, Actor]:
    buyer = Actor.buyer(f"u-{rng.randrange(10_000):05d}")
    cart = Cart.open(f"CART-{i}", buyer_id=buyer.id, currency="CNY", clock=clock)
    for sku, name, price, weight in rng.sample(CATALOGUE, rng.randint(1, 3)):
        cart.add_line(
            sku,
            name,
            Money(price, "CNY"),
            rng.randint(1, 3),
            weight_kg=Decimal(weight),
            actor=buyer,
        )
    return cart, buyer


def address_of(i: int) -> Address:
    return Address(
        recipient=f"Buyer {i}",
        phone="13800138000",
        province="Zhejiang",
        city="Hangzhou",
        street=f"{i} West Lake Road",
    )


#: What a few buyers write in the order's remarks (买家留言): a request to change the order,
#: which the shop's exception rules hold the order for (异常订单), or a plain note.
_REMARKS: Final = (
    (0.015, "麻烦改地址，改到公司：杭州市西湖区文三路 90 号"),
    (0.01, "颜色想换成白色的，可以修改吗"),
    (0.05, "请尽快发货，谢谢"),
)


def remarks_of(seed: int, order_id: str) -> str:
    """The buyer's remarks on order ``order_id`` (mostly none), drawn from the order's id so
    that a continued run writes the same."""
    roll = random.Random(f"{seed}/remarks/{order_id}").random()
    for share, text in _REMARKS:
        if roll < share:
            return text
        roll -= share
    return ""


def day_step(
    dice: Dice, clock: FixedClock, *, declined: bool, held: bool = False
) -> Callable[[Order[Any]], tuple[str | None, OrderStatus]]:
    """What a day brings one order: the change (run inside the unit of work), and what it asks
    of the payments afterwards (pay, settle, or nothing). A ``held`` order has an after-sales
    case in the way: the shop does not ship it (a refund asked before shipment), or its buyer
    cannot confirm a parcel that was lost."""

    def step(order: Order[Any]) -> tuple[str | None, OrderStatus]:
        status = order.status
        action: str | None = None
        if status is OrderStatus.PENDING_CONFIRMATION:
            if declined or order.amount_due.is_zero():
                order.cancel(reason="payment declined", actor=Actor.system("payments"))
                action = SETTLE
            elif dice.roll < 0.04:
                order.cancel(reason="buyer changed their mind", actor=Actor.buyer(order.buyer_id))
                action = SETTLE
            else:
                action = PAY  # captured: the order enters processing
        elif status is OrderStatus.ON_HOLD:
            # The exception desk (异常订单处理): most holds are cleared with the buyer and the
            # order released; a few buyers would rather cancel.
            if dice.roll < 0.55:
                order.release(actor=STAFF, note="checked with the buyer; order unchanged")
            elif dice.roll < 0.65:
                order.cancel(reason="buyer cancelled the held order", actor=STAFF)
                action = SETTLE
        elif status is OrderStatus.PROCESSING and held:
            pass
        elif status is OrderStatus.PROCESSING:
            open_items = order.open_items()
            if not order.shipments and dice.roll < 0.1:
                order.mark_out_of_stock([next(iter(open_items))], actor=STAFF, note="stock short")
            else:
                if len(open_items) > 1 and dice.second < 0.3:
                    sku = next(iter(open_items))
                    order.ship(
                        items={sku: open_items[sku]},
                        carrier=dice.carriers[1],
                        tracking_no=dice.tracking[1],
                        warehouse=dice.warehouses[1],
                        actor=STAFF,
                    )
                order.ship(
                    carrier=dice.carriers[0],
                    tracking_no=dice.tracking[0],
                    warehouse=dice.warehouses[0],
                    actor=STAFF,
                )
        elif status is OrderStatus.OUT_OF_STOCK:
            if dice.roll < 0.5:
                order.restock(actor=STAFF)
            elif dice.roll < 0.8:
                sku = order.out_of_stock[0]
                order.cancel_lines(
                    {sku: order.open_quantity(sku)}, reason="cannot restock", actor=STAFF
                )
                action = SETTLE
            elif dice.roll < 0.85:
                order.cancel(reason="out of stock for too long", actor=STAFF)
                action = SETTLE
        elif status is OrderStatus.IN_TRANSIT:
            for shipment in order.travelling:
                order.add_tracking_event(
                    shipment.id,
                    TrackingEvent(
                        at=clock.now(), description="parcel scanned", location=dice.warehouses[0]
                    ),
                    actor=Actor.carrier(shipment.carrier),
                )
            if dice.second < 0.12 and not held:
                order.confirm_receipt(order.travelling[0].id, actor=Actor.buyer(order.buyer_id))
        return action, order.status

    return step


def adding(cart: Cart) -> Callable[[UnitOfWork], None]:
    def work(uow: UnitOfWork) -> None:
        # A run killed between storing a cart and placing its order left the cart stored: the
        # order is placed from that one (place_order checks it out if needed).
        if uow.carts.find(cart.id) is None:
            uow.carts.add(cart)

    return work
