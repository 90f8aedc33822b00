"""The shopping cart and checkout: browse, add to cart, check out, place the order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final, TypeVar, final, overload

import attrs

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import CurrencyMismatch, EmptyCart, UnknownLine, ValidationError
from ecservice.money import Currency, Money, currency
from ecservice.orders._events import OrderPlaced
from ecservice.orders._order import Order
from ecservice.orders._shipping import ShippingRate
from ecservice.orders._values import (
    MAX_QUANTITY,
    Address,
    Presale,
    _money,
    _new_order_line,
    _quantity,
    _tuple_of,
    _weight,
    check_quantity,
    check_short,
    check_weight,
    goods_total,
    line_builder,
    short_text,
)
from ecservice.text import LONG_TEXT_MAX, check_optional_text, check_text
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
from ecservice.workflow._arguments import REQUIRED, require

__all__ = ["CART_WORKFLOW", "Cart", "CartLine", "CartStatus"]

OrderT = TypeVar("OrderT", bound=Order[Any])


class CartStatus(LabelledState):
    """The states of a cart."""

    SHOPPING = ("shopping", "Shopping", "购物中")
    CHECKING_OUT = ("checking_out", "Checking out", "结算中")
    ORDERED = ("ordered", "Ordered", "已下单")


@final
@attrs.frozen(slots=True, kw_only=True)
class CartLine:
    """One SKU in the cart with its unit price, quantity and unit weight (kg).

    Args:
        sku: the stock-keeping unit that identifies the item (short text).
        name: the item's name as the buyer sees it (short text).
        unit_price: the price of one unit, a non-negative :class:`~ecservice.money.Money` in the
            cart's currency.
        quantity: how many units, a whole number from 1 to
            :data:`~ecservice.orders.MAX_QUANTITY`.
        weight_kg: the weight of one unit in kilograms, a ``Decimal`` or ``int`` from 0 to
            :data:`~ecservice.orders.MAX_WEIGHT_KG` (not a float); 0 by default.

    Raises:
        ValidationError: a SKU or name that is not short text (:mod:`ecservice.text`), a price
            that is not a non-negative :class:`~ecservice.money.Money`, a weight outside 0 to
            :data:`~ecservice.orders.MAX_WEIGHT_KG` kg.
        InvalidQuantity: a quantity that is not a whole number from 1 to
            :data:`~ecservice.orders.MAX_QUANTITY`.
    """

    sku: str = attrs.field(validator=short_text("sku"))
    name: str = attrs.field(validator=short_text("name"))
    unit_price: Money = attrs.field(validator=_money("unit_price"))
    quantity: int = attrs.field(converter=_quantity)
    weight_kg: Decimal = attrs.field(default=Decimal(0), converter=_weight)

    @property
    def subtotal(self) -> Money:
        """``unit_price * quantity``."""
        return self.unit_price * self.quantity


_ZERO: Final = Decimal(0)
#: A cart line from values already checked, without re-running its validators.
_new_cart_line: Final = line_builder(CartLine)


def _assign_lines(cart: Cart, ctx: Context) -> None:
    lines = ctx.payload.get("lines")
    if isinstance(lines, tuple):
        cart.lines = lines


def _assign_order(cart: Cart, ctx: Context) -> None:
    cart.order_id = ctx.arg("order_id", str)


def has_lines(cart: Cart, ctx: Context) -> bool:
    """The cart is not empty."""
    return bool(cart.lines)


def _cart_lines(value: tuple[CartLine, ...] | list[CartLine]) -> tuple[CartLine, ...]:
    return _tuple_of(value, CartLine, "lines")


def _check_order_id(_instance: Any, _attribute: Any, value: object) -> None:
    if value is not None:
        check_text(value, "order_id")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Cart(Aggregate[CartStatus]):
    """A buyer's cart. Lines change only while shopping; checkout turns it into an :class:`Order`.

    The constructor (what storage calls to load a cart) checks every field: lines are
    :class:`CartLine` values of the cart's currency with distinct SKUs, and ``order_id`` is set
    exactly when the cart is ordered, and a cart that is checking out or ordered has lines.

    >>> import pendulum
    >>> from ecservice.clock import FixedClock
    >>> cart = Cart.open("C-1", buyer_id="u-42", currency="CNY",
    ...                  clock=FixedClock(pendulum.datetime(2026, 11, 11)))
    >>> _ = cart.add_line("TEA-1", "Longjing tea 250 g", Money("88.00", "CNY"), 2,
    ...                   actor=Actor.buyer("u-42"))
    >>> str(cart.subtotal)
    '176.00 CNY'

    Args:
        id: the cart's identifier (short text).
        version: how many transitions succeeded; 0 for a new one.
        history: every transition, oldest first (``version`` records).
        clock: where the cart reads the time; the system clock by default.
        status: the cart's state; ``CartStatus.SHOPPING`` for a new cart.
        buyer_id: the buyer's identifier (short text).
        currency: the ISO 4217 code (or :class:`~ecservice.money.Currency`) every line is
            priced in.
        lines: the cart's lines, at most one per SKU, all priced in ``currency``.
        order_id: the id of the order checkout made; set exactly when the cart is ``ORDERED``.

    Raises:
        ValidationError: a field of the wrong type or unacceptable text, two lines of one SKU,
            an ``order_id`` that does not match the state.
        EmptyCart: a cart checking out or ordered without lines.
        CurrencyMismatch: a line priced in another currency.
    """

    status: CartStatus = CartStatus.SHOPPING
    buyer_id: str = attrs.field(validator=short_text("buyer_id"))
    currency: Currency = attrs.field(converter=currency)
    lines: tuple[CartLine, ...] = attrs.field(default=(), converter=_cart_lines)
    order_id: str | None = attrs.field(default=None, validator=_check_order_id)

    def __attrs_post_init__(self) -> None:
        # The kernel's base checks (status, version, history, clock) run first on their own.
        seen: set[str] = set()
        for line in self.lines:
            if line.sku in seen:
                raise ValidationError(f"SKU {line.sku!r} appears on two cart lines; merge them")
            seen.add(line.sku)
            if line.unit_price.currency != self.currency:
                raise CurrencyMismatch(self.currency.code, line.unit_price.currency.code, "mix")
        if (self.order_id is None) == (self.status is CartStatus.ORDERED):
            raise ValidationError(
                f"cart {self.id!r}: order_id must be set exactly when the cart is ordered "
                f"(status {self.status.name}, order_id {self.order_id!r})"
            )
        if not self.lines and self.status is not CartStatus.SHOPPING:
            raise EmptyCart(
                f"cart {self.id!r} is {self.status.name} with no lines: only a cart with lines "
                "can be checked out or ordered"
            )

    @classmethod
    def open(
        cls, id: str, *, buyer_id: str, currency: str | Currency, clock: Clock = SYSTEM_CLOCK
    ) -> Cart:
        """A new, empty cart (browsing starts here)."""
        return cls(id=id, buyer_id=buyer_id, currency=currency, clock=clock)

    # --- views ---------------------------------------------------------------------------------

    @property
    def subtotal(self) -> Money:
        """Total price of the lines.

        Raises:
            InvalidAmount: the total has more digits than an amount may hold.
        """
        return goods_total(self.lines, self.currency)

    @property
    def weight_kg(self) -> Decimal:
        """Total weight of the lines in kg."""
        total = _ZERO
        for line in self.lines:
            total += line.weight_kg * line.quantity
        return total

    def line(self, sku: str) -> CartLine:
        """The line of ``sku``.

        Raises:
            UnknownLine: no such line in the cart.
        """
        for line in self.lines:
            if line.sku == sku:
                return line
        raise UnknownLine(
            f"cart {self.id!r} has no line {shown(sku)}; it holds "
            + (", ".join(repr(x.sku) for x in self.lines[:20]) or "nothing")
        )

    # --- line triggers (internal transitions while shopping) -----------------------------------
    #
    # Each trigger has a pure ``_prepare_<trigger>`` (argument checks, the payload for ``_fire``)
    # that ``can()`` calls too, so ``can`` answers True exactly when the typed call succeeds.

    def _prepare_add_line(
        self,
        sku: str = REQUIRED,
        name: str = REQUIRED,
        unit_price: Money = REQUIRED,
        quantity: int = 1,
        *,
        weight_kg: Decimal | int | None = None,
        actor: Actor,
    ) -> dict[str, Any]:
        self._ensure_allowed("add_line")
        if sku is REQUIRED or name is REQUIRED or unit_price is REQUIRED:
            require("add_line", sku=sku, name=name, unit_price=unit_price)
        sku = check_short(sku, "sku")
        name = check_short(name, "name")
        if not isinstance(unit_price, Money):
            raise ValidationError(f"unit_price must be Money, not {type(unit_price).__name__}")
        cur = self.currency
        if unit_price.currency is not cur and unit_price.currency != cur:
            raise CurrencyMismatch(cur.code, unit_price.currency.code, "add")
        if unit_price.amount < 0:
            raise ValidationError(f"unit_price must not be negative: {unit_price}")
        if type(quantity) is not int or not 0 < quantity <= MAX_QUANTITY:
            quantity = check_quantity(quantity)
        weight = None if weight_kg is None else check_weight(weight_kg)
        lines = self.lines
        old = None
        for x in lines:
            if x.sku == sku:
                old = x
                break
        if old is None:
            # Every field was checked above: build the line without re-running its validators.
            new = _new_cart_line(
                sku, name, unit_price, quantity, _ZERO if weight is None else weight
            )
            lines = (*lines, new)
        else:
            weight = old.weight_kg if weight is None else weight
            if old.unit_price != unit_price or old.name != name or old.weight_kg != weight:
                raise ValidationError(
                    f"{sku!r} is already in the cart as {old.name!r} at {old.unit_price}, "
                    f"{old.weight_kg} kg; adding it as {shown(name)} at {unit_price}, {weight} kg "
                    "would mix two products under one SKU: remove the line first to change it"
                )
            total = check_quantity(old.quantity + quantity, what=f"quantity of {sku!r}")
            new = attrs.evolve(old, quantity=total)
            lines = tuple(new if x is old else x for x in self.lines)
        return {"note": f"{sku} x{quantity}", "lines": lines}

    def add_line(
        self,
        sku: str,
        name: str,
        unit_price: Money,
        quantity: int = 1,
        *,
        weight_kg: Decimal | int | None = None,
        actor: Actor,
    ) -> TransitionRecord:
        """Put ``quantity`` units of a SKU in the cart (加入购物车); adds to an existing line.

        Args:
            weight_kg: the unit weight in kg; ``None`` keeps an existing line's weight (0 for a
                new line).

        Raises:
            InvalidQuantity: ``quantity`` (or the line's new total) is not from 1 to
                :data:`~ecservice.orders.MAX_QUANTITY`.
            ValidationError: the SKU is already in the cart under another name, price or
                weight (one SKU is one product: remove the line first), unacceptable text, a
                price that is not non-negative :class:`~ecservice.money.Money`.
            CurrencyMismatch: a price in another currency than the cart's.
        """
        payload = self._prepare_add_line(
            sku, name, unit_price, quantity, weight_kg=weight_kg, actor=actor
        )
        return self._fire_prepared("add_line", actor, payload)

    def _prepare_set_quantity(
        self, sku: str = REQUIRED, quantity: int = REQUIRED, *, actor: Actor
    ) -> dict[str, Any]:
        self._ensure_allowed("set_quantity")
        require("set_quantity", sku=sku, quantity=quantity)
        quantity = check_quantity(quantity)
        old = self.line(sku)
        lines = tuple(attrs.evolve(x, quantity=quantity) if x is old else x for x in self.lines)
        return {"note": f"{old.sku} x{quantity}", "lines": lines}

    def set_quantity(self, sku: str, quantity: int, *, actor: Actor) -> TransitionRecord:
        """Change the quantity of a line (a positive whole number; use :meth:`remove_line`).

        Raises:
            InvalidQuantity: not a whole number from 1 to :data:`~ecservice.orders.MAX_QUANTITY`.
            UnknownLine: no such line.
        """
        payload = self._prepare_set_quantity(sku, quantity, actor=actor)
        return self._fire_prepared("set_quantity", actor, payload)

    def _prepare_remove_line(self, sku: str = REQUIRED, *, actor: Actor) -> dict[str, Any]:
        self._ensure_allowed("remove_line")
        require("remove_line", sku=sku)
        old = self.line(sku)
        return {"note": old.sku, "lines": tuple(x for x in self.lines if x is not old)}

    def remove_line(self, sku: str, *, actor: Actor) -> TransitionRecord:
        """Take a line out of the cart.

        Raises:
            UnknownLine: no such line.
        """
        payload = self._prepare_remove_line(sku, actor=actor)
        return self._fire_prepared("remove_line", actor, payload)

    # --- checkout ------------------------------------------------------------------------------

    def _prepare_checkout(self, *, actor: Actor) -> dict[str, Any]:
        self._ensure_allowed("checkout")
        if not self.lines:
            raise EmptyCart(f"cart {self.id!r} is empty: add at least one line before checkout")
        return {}

    def checkout(self, *, actor: Actor) -> TransitionRecord:
        """Go to checkout (去结算).

        Raises:
            EmptyCart: the cart has no lines.
        """
        return self._fire_prepared("checkout", actor, self._prepare_checkout(actor=actor))

    def continue_shopping(self, *, actor: Actor) -> TransitionRecord:
        """Leave checkout and go back to shopping (继续购物); the lines are kept."""
        return self._fire("continue_shopping", actor=actor)

    def _prepare_place_order(
        self,
        order_id: str = REQUIRED,
        *,
        address: Address = REQUIRED,
        shipping: ShippingRate = REQUIRED,
        actor: Actor,
        remarks: str = "",
        presale: Presale | None = None,
        order_type: type[Order[Any]] = Order,
    ) -> dict[str, Any]:
        self._ensure_allowed("place_order")
        if order_id is REQUIRED or address is REQUIRED or shipping is REQUIRED:
            require("place_order", order_id=order_id, address=address, shipping=shipping)
        if not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        if not isinstance(address, Address):
            raise ValidationError(f"address must be an Address, not {type(address).__name__}")
        if not isinstance(shipping, ShippingRate):
            raise ValidationError(f"shipping must be a ShippingRate, not {type(shipping).__name__}")
        if not (isinstance(order_type, type) and issubclass(order_type, Order)):
            raise ValidationError(
                f"order_type must be Order or a subclass of it, not {shown(order_type)}"
            )
        remarks = check_optional_text(remarks, "remarks", limit=LONG_TEXT_MAX)
        if shipping.first_fee.currency != self.currency:
            raise CurrencyMismatch(self.currency.code, shipping.first_fee.currency.code, "mix")
        subtotal = self.subtotal
        fee = shipping.fee(self.weight_kg, subtotal)
        order = order_type(
            id=order_id,
            status=order_type.workflow.initial,
            buyer_id=self.buyer_id,
            # A cart line holds exactly the checked fields of an order line.
            lines=tuple(
                [
                    _new_order_line(x.sku, x.name, x.unit_price, x.quantity, x.weight_kg)
                    for x in self.lines
                ]
            ),
            address=address,
            shipping_fee=fee,
            created_at=self.clock.now(),
            remarks=remarks,
            presale=presale,
            clock=self.clock,
        )
        # The order's lines are the cart's: its total is the cart's subtotal plus the fee.
        placed = OrderPlaced(
            aggregate_id=order.id, occurred_at=order.created_at, actor=actor, total=subtotal + fee
        )
        object.__setattr__(order, "_events", (placed,))
        return {"order_id": order.id, "order": order}

    @overload
    def place_order(
        self,
        order_id: str,
        *,
        address: Address,
        shipping: ShippingRate,
        actor: Actor,
        remarks: str = "",
        presale: Presale | None = None,
    ) -> Order: ...

    @overload
    def place_order(
        self,
        order_id: str,
        *,
        address: Address,
        shipping: ShippingRate,
        actor: Actor,
        remarks: str = "",
        presale: Presale | None = None,
        order_type: type[OrderT],
    ) -> OrderT: ...

    def place_order(
        self,
        order_id: str,
        *,
        address: Address,
        shipping: ShippingRate,
        actor: Actor,
        remarks: str = "",
        presale: Presale | None = None,
        order_type: type[Order[Any]] = Order,
    ) -> Order[Any]:
        """Submit the order (提交订单): returns the new order, awaiting confirmation.

        The shipping fee comes from ``shipping`` for the cart's total weight and subtotal.
        The order's placement is queued as an :class:`OrderPlaced` event on the order.

        Args:
            order_id: the new order's id (short text).
            address: where to ship.
            shipping: the carrier rate that prices the parcel.
            remarks: the buyer's remarks (long text, optional).
            presale: the presale promise, if any.
            order_type: :class:`Order` or a subclass bound to a derived workflow; the order is
                built as that class, in its workflow's initial state, and typed as such.

        Raises:
            InvalidTransition: the cart is not at checkout.
            ValidationError: an argument of the wrong type or unacceptable text.
            CurrencyMismatch: a shipping rate in another currency.
        """
        payload = self._prepare_place_order(
            order_id,
            address=address,
            shipping=shipping,
            actor=actor,
            remarks=remarks,
            presale=presale,
            order_type=order_type,
        )
        order: Order[Any] = payload["order"]
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
