"""The shopping cart and checkout: browse, add to cart, check out, place the order."""

from __future__ import annotations

from decimal import Decimal
from typing import Final, final

import attrs

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import CurrencyMismatch, EmptyCart, UnknownLine, ValidationError
from ecservice.money import Currency, Money, currency, sum_money
from ecservice.orders._events import OrderPlaced, OrderStatus
from ecservice.orders._order import Order
from ecservice.orders._shipping import ShippingRate
from ecservice.orders._values import (
    Address,
    OrderLine,
    Presale,
    check_quantity,
    check_weight,
    text,
)
from ecservice.workflow import (
    Actor,
    Aggregate,
    Context,
    LabelledState,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
)

__all__ = ["CART_WORKFLOW", "Cart", "CartLine", "CartStatus"]


class CartStatus(LabelledState):
    """The states of a cart."""

    SHOPPING = ("shopping", "Shopping", "购物中")
    CHECKING_OUT = ("checking_out", "Checking out", "结算中")
    ORDERED = ("ordered", "Ordered", "已下单")


@final
@attrs.frozen(slots=True, kw_only=True)
class CartLine:
    """One SKU in the cart with its unit price, quantity and unit weight (kg)."""

    sku: str = attrs.field(validator=text("sku"))
    name: str = attrs.field(validator=text("name"))
    unit_price: Money
    quantity: int = attrs.field(converter=check_quantity)
    weight_kg: Decimal = attrs.field(default=Decimal(0), converter=check_weight)

    @property
    def subtotal(self) -> Money:
        """``unit_price * quantity``."""
        return self.unit_price * self.quantity


def _assign_lines(cart: Cart, ctx: Context) -> None:
    lines = ctx.payload.get("lines")
    if isinstance(lines, tuple):
        cart.lines = lines


def _assign_order(cart: Cart, ctx: Context) -> None:
    cart.order_id = ctx.arg("order_id", str)


def has_lines(cart: Cart, ctx: Context) -> bool:
    """The cart is not empty."""
    return bool(cart.lines)


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Cart(Aggregate[CartStatus]):
    """A buyer's cart. Lines change only while shopping; checkout turns it into an :class:`Order`.

    >>> import pendulum
    >>> from ecservice.clock import FixedClock
    >>> cart = Cart.open("C-1", buyer_id="u-42", currency="CNY",
    ...                  clock=FixedClock(pendulum.datetime(2026, 11, 11)))
    >>> _ = cart.add_line("TEA-1", "Longjing tea 250 g", Money("88.00", "CNY"), 2,
    ...                   actor=Actor.buyer("u-42"))
    >>> str(cart.subtotal)
    '176.00 CNY'
    """

    status: CartStatus = CartStatus.SHOPPING
    buyer_id: str = attrs.field(validator=text("buyer_id"))
    currency: Currency = attrs.field(converter=currency)
    lines: tuple[CartLine, ...] = ()
    order_id: str | None = None

    @classmethod
    def open(
        cls, id: str, *, buyer_id: str, currency: str | Currency, clock: Clock = SYSTEM_CLOCK
    ) -> Cart:
        """A new, empty cart (browsing starts here)."""
        return cls(id=id, buyer_id=buyer_id, currency=currency, clock=clock)

    # --- views ---------------------------------------------------------------------------------

    @property
    def subtotal(self) -> Money:
        """Total price of the lines."""
        return sum_money((line.subtotal for line in self.lines), self.currency)

    @property
    def weight_kg(self) -> Decimal:
        """Total weight of the lines in kg."""
        return sum((line.weight_kg * line.quantity for line in self.lines), Decimal(0))

    def line(self, sku: str) -> CartLine:
        """The line of ``sku``.

        Raises:
            UnknownLine: no such line in the cart.
        """
        for line in self.lines:
            if line.sku == sku:
                return line
        raise UnknownLine(
            f"cart {self.id!r} has no line {sku!r}; it holds "
            + (", ".join(repr(x.sku) for x in self.lines) or "nothing")
        )

    # --- line triggers (internal transitions while shopping) -----------------------------------

    def add_line(
        self,
        sku: str,
        name: str,
        unit_price: Money,
        quantity: int = 1,
        *,
        weight_kg: Decimal | int = Decimal(0),
        actor: Actor,
    ) -> TransitionRecord:
        """Put ``quantity`` units of a SKU in the cart (加入购物车); adds to an existing line."""
        self._ensure_allowed("add_line")
        if not isinstance(unit_price, Money):
            raise ValidationError(f"unit_price must be Money, not {type(unit_price).__name__}")
        if unit_price.currency != self.currency:
            raise CurrencyMismatch(self.currency.code, unit_price.currency.code, "add")
        if unit_price.is_negative():
            raise ValidationError(f"unit_price must not be negative: {unit_price}")
        check_quantity(quantity)
        existing = [x for x in self.lines if x.sku == sku]
        if existing:
            old = existing[0]
            if old.unit_price != unit_price:
                raise ValidationError(
                    f"{sku!r} is already in the cart at {old.unit_price}, not {unit_price}; "
                    "remove the line first to change its price"
                )
            new = attrs.evolve(old, quantity=old.quantity + quantity)
            lines = tuple(new if x.sku == sku else x for x in self.lines)
        else:
            new = CartLine(
                sku=sku, name=name, unit_price=unit_price, quantity=quantity, weight_kg=weight_kg
            )
            lines = (*self.lines, new)
        return self._fire("add_line", actor=actor, note=f"{sku} x{quantity}", lines=lines)

    def set_quantity(self, sku: str, quantity: int, *, actor: Actor) -> TransitionRecord:
        """Change the quantity of a line (a positive whole number; use :meth:`remove_line`)."""
        self._ensure_allowed("set_quantity")
        check_quantity(quantity)
        old = self.line(sku)
        lines = tuple(attrs.evolve(x, quantity=quantity) if x is old else x for x in self.lines)
        return self._fire("set_quantity", actor=actor, note=f"{sku} x{quantity}", lines=lines)

    def remove_line(self, sku: str, *, actor: Actor) -> TransitionRecord:
        """Take a line out of the cart."""
        self._ensure_allowed("remove_line")
        old = self.line(sku)
        lines = tuple(x for x in self.lines if x is not old)
        return self._fire("remove_line", actor=actor, note=sku, lines=lines)

    # --- checkout ------------------------------------------------------------------------------

    def checkout(self, *, actor: Actor) -> TransitionRecord:
        """Go to checkout (去结算).

        Raises:
            EmptyCart: the cart has no lines.
        """
        self._ensure_allowed("checkout")
        if not self.lines:
            raise EmptyCart(f"cart {self.id!r} is empty: add at least one line before checkout")
        return self._fire("checkout", actor=actor)

    def continue_shopping(self, *, actor: Actor) -> TransitionRecord:
        """Leave checkout and go back to shopping (继续购物); the lines are kept."""
        return self._fire("continue_shopping", actor=actor)

    def place_order(
        self,
        order_id: str,
        *,
        address: Address,
        shipping: ShippingRate,
        actor: Actor,
        remarks: str = "",
        presale: Presale | None = None,
    ) -> Order:
        """Submit the order (提交订单): returns the new :class:`Order`, awaiting confirmation.

        The shipping fee comes from ``shipping`` for the cart's total weight and subtotal.
        The order's placement is queued as an :class:`OrderPlaced` event on the order.
        """
        self._ensure_allowed("place_order")
        if not isinstance(address, Address):
            raise ValidationError(f"address must be an Address, not {type(address).__name__}")
        if not isinstance(remarks, str):
            raise ValidationError(f"remarks must be a string, not {type(remarks).__name__}")
        if shipping.first_fee.currency != self.currency:
            raise CurrencyMismatch(self.currency.code, shipping.first_fee.currency.code, "mix")
        fee = shipping.fee(self.weight_kg, self.subtotal)
        order = Order(
            id=order_id,
            status=OrderStatus.PENDING_CONFIRMATION,
            buyer_id=self.buyer_id,
            lines=tuple(
                OrderLine(
                    sku=x.sku,
                    name=x.name,
                    unit_price=x.unit_price,
                    quantity=x.quantity,
                    weight_kg=x.weight_kg,
                )
                for x in self.lines
            ),
            address=address,
            shipping_fee=fee,
            created_at=self.clock.now(),
            remarks=remarks.strip(),
            presale=presale,
            clock=self.clock,
        )
        order._events = (
            OrderPlaced(
                aggregate_id=order.id, occurred_at=order.created_at, actor=actor, total=order.total
            ),
        )
        self._fire("place_order", actor=actor, order_id=order.id)
        return order


C = CartStatus

#: The default cart workflow.
CART_WORKFLOW: Final[Workflow[Cart]] = Workflow(
    "cart",
    states=CartStatus,
    initial=C.SHOPPING,
    final=[C.ORDERED],
    transitions=[
        transition("add_line", C.SHOPPING, None, before=[_assign_lines]),
        transition("set_quantity", C.SHOPPING, None, before=[_assign_lines]),
        transition("remove_line", C.SHOPPING, None, before=[_assign_lines]),
        transition("checkout", C.SHOPPING, C.CHECKING_OUT, conditions=[has_lines]),
        transition("continue_shopping", C.CHECKING_OUT, C.SHOPPING),
        transition("place_order", C.CHECKING_OUT, C.ORDERED, before=[_assign_order]),
    ],
)

bind_workflow(Cart, CART_WORKFLOW)
