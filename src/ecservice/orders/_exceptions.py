"""Exception rules (异常订单): which orders a shop stops for a look before they move on.

The source practice asks customer service to catch, on placement or later, the orders that
would go wrong if handled as usual: an address that fails the shop's checks, a buyer's remark
asking for a change (改地址), presale goods the carrier cannot deliver by the promised date, a
price far below the catalogue (a listing mispriced, coupons stacked), and many orders to one
address in a short time (scalping, fake orders). It asks for a *mechanism*; the thresholds
below are each shop's choice, and each default says where it comes from.

:func:`evaluate_exceptions` is a pure function of the order, the shop's
:class:`ExceptionPolicy` and an :class:`ExceptionContext` (catalogue prices, the shop's other
recent orders, its address and carrier checks): it returns one :class:`ExceptionFinding` per
rule that flags the order, and an empty tuple for a clean one.
"""

from __future__ import annotations

import abc
import datetime as _dt
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol, final, runtime_checkable

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import DEFAULT_ZONE, check_zone, ensure_utc
from ecservice.clock import zone as _zone
from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money
from ecservice.orders._hold_values import HOLD_DETAIL_MAX, HoldReason, check_detail
from ecservice.orders._values import Address
from ecservice.text import LONG_TEXT_MAX, check_text

if TYPE_CHECKING:
    from ecservice.orders._order import Order

__all__ = [
    "DEFAULT_CHANGE_KEYWORDS",
    "AddressRule",
    "AddressVolumeRule",
    "ChangeRequestRule",
    "ExceptionContext",
    "ExceptionFinding",
    "ExceptionPolicy",
    "ExceptionRule",
    "LowPriceRule",
    "PresaleDateRule",
    "ShippingChecker",
    "evaluate_exceptions",
]

#: Words in a buyer's remarks that ask the shop to change the order (改地址 change the address,
#: 改收货 change the receiving details, 换地址 another address, 修改 amend). The source practice's
#: own examples; a shop adds the phrasings its buyers use.
DEFAULT_CHANGE_KEYWORDS: Final = ("改地址", "改收货", "换地址", "修改")

#: The most keywords a :class:`ChangeRequestRule` holds, and the longest one (characters).
MAX_KEYWORDS: Final = 100
_KEYWORD_MAX: Final = 50
#: The longest address-volume period, in days, and the largest count of orders.
MAX_VOLUME_DAYS: Final = 366
MAX_VOLUME_ORDERS: Final = 10_000


@runtime_checkable
class ShippingChecker(Protocol):
    """The shop's address and carrier checks. Each method returns ``None`` when the point
    holds, or a short text saying what is wrong.

    These are the methods of the same names of
    :class:`ecservice.consultation.OrderChecker`, so the checker a shop wrote for order
    confirmation (确认订单) serves the exception rules unchanged. An exception a method raises
    is the shop's own and propagates unchanged.
    """

    def address_problem(self, address: Address) -> str | None:
        """What is wrong with ``address``, or ``None``."""

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        """Why ``carrier`` does not deliver to ``address`` (快递不到), or ``None``."""

    def presale_problem(self, ship_by: DateTime, address: Address, carrier: str) -> str | None:
        """Why presale goods cannot ship by ``ship_by`` (UTC) to ``address`` with ``carrier``,
        or ``None``."""


def _finding_detail(_: Any, __: Any, value: Any) -> None:
    if check_detail(value, "a finding's detail") != value:
        raise ValidationError("a finding's detail must not start or end with white space")


def _finding_reason(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, HoldReason):
        raise ValidationError(f"a finding's reason must be a HoldReason, not {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class ExceptionFinding:
    """One rule's reason to hold an order.

    Args:
        reason: the rule's reason.
        detail: what it found, for the staff member who looks at the order (1 to
            :data:`~ecservice.orders.HOLD_DETAIL_MAX` characters of long text).

    Raises:
        ValidationError: a reason that is not a :class:`~ecservice.orders.HoldReason`, or
            unacceptable text.
    """

    reason: HoldReason = attrs.field(validator=_finding_reason)
    detail: str = attrs.field(validator=_finding_detail)

    def __str__(self) -> str:
        return f"{self.reason.label_en}: {self.detail}"


def _shortened(text: str) -> str:
    return text if len(text) <= HOLD_DETAIL_MAX else text[: HOLD_DETAIL_MAX - 1] + "…"


def _answer(answer: object, method: str) -> str | None:
    """A checker's answer: ``None``, or its text checked and cut to fit a detail."""
    if answer is None:
        return None
    if not isinstance(answer, str):
        raise ValidationError(
            f"ShippingChecker.{method} must return a str or None, not {shown(answer)}"
        )
    found = check_text(
        answer, f"what ShippingChecker.{method} returned", limit=LONG_TEXT_MAX, multiline=True
    )
    return _shortened(found)


# --- the context ---------------------------------------------------------------------------------


def _catalogue(value: Mapping[str, Money]) -> Mapping[str, Money]:
    raw: object = value
    if not isinstance(raw, Mapping):
        raise ValidationError(f"catalogue must be a mapping of SKU to Money, not {shown(raw)}")
    prices: dict[str, Money] = {}
    for sku, price in raw.items():
        name = check_text(sku, "a catalogue SKU")
        if not isinstance(price, Money) or price.is_negative() or price.is_zero():
            raise ValidationError(
                f"the catalogue price of {name!r} must be positive Money, not {shown(price)}"
            )
        prices[name] = price
    return prices


def _orders(value: Iterable[Order[Any]]) -> tuple[Order[Any], ...]:
    from ecservice.orders._order import Order

    raw: object = value
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Iterable):
        raise ValidationError(f"other_orders must be an iterable of Order, not {shown(raw)}")
    found = tuple(raw)
    for order in found:
        if not isinstance(order, Order):
            raise ValidationError(f"other_orders must hold Order values, not {shown(order)}")
    return found


def _checker(_: Any, __: Any, value: Any) -> None:
    if value is not None and not isinstance(value, ShippingChecker):
        raise ValidationError(
            "checker must implement ShippingChecker (address_problem, reach_problem, "
            f"presale_problem) or be None, not {shown(value)}"
        )


def _carrier(value: str | None) -> str | None:
    return None if value is None else check_text(value, "carrier")


@final
@attrs.frozen(slots=True, kw_only=True)
class ExceptionContext:
    """What the rules need to know besides the order; a rule whose data is missing passes.

    Args:
        catalogue: the catalogue price of each SKU (``{sku: Money}``, positive amounts in the
            order's currency); a SKU not in it is not compared.
        other_orders: the shop's other recent orders, at least those to the order's address in
            the :class:`AddressVolumeRule`'s period (the shop selects them from its store; the
            rule keeps those to the same address, in the period, not cancelled, and not the
            order itself).
        checker: the shop's address and carrier checks, or ``None`` (the address and presale
            rules then have nothing to ask).
        carrier: the carrier the shop will use for the order (short text), or ``None`` when
            not chosen yet (the carrier's reach and presale date are not checked then).

    Raises:
        ValidationError: a field of the wrong type, a price that is not positive
            :class:`~ecservice.money.Money`, unacceptable text.
    """

    catalogue: Mapping[str, Money] = attrs.field(factory=dict, converter=_catalogue)
    other_orders: tuple[Order[Any], ...] = attrs.field(default=(), converter=_orders)
    checker: ShippingChecker | None = attrs.field(default=None, validator=_checker)
    carrier: str | None = attrs.field(default=None, converter=_carrier)


# --- the rules ---------------------------------------------------------------------------------


class ExceptionRule(abc.ABC):
    """The base of the exception rules: each is a frozen value whose fields are its thresholds,
    and whose :meth:`evaluate` says whether it flags an order.

    A shop may write a rule of its own as a subclass (frozen attrs class) that sets
    :attr:`reason` and implements :meth:`evaluate`.
    """

    __slots__ = ()

    #: The reason the rule holds an order for.
    reason: ClassVar[HoldReason]

    @abc.abstractmethod
    def evaluate(
        self, order: Order[Any], context: ExceptionContext, policy: ExceptionPolicy
    ) -> ExceptionFinding | None:
        """A finding when the rule flags ``order``, else ``None``; never raises for a clean
        order."""

    def _found(self, detail: str) -> ExceptionFinding:
        return ExceptionFinding(reason=self.reason, detail=_shortened(detail.strip()))


@final
@attrs.frozen(slots=True)
class AddressRule(ExceptionRule):
    """Hold an order whose address fails the shop's checks, or that its carrier does not reach
    (地址异常, 快递不到).

    The checks are the shop's (:class:`ShippingChecker`, the same methods as the order
    confirmation's :class:`~ecservice.consultation.OrderChecker`): what counts as a bad
    address is the shop's and its carriers' business, not a platform rule. Without a checker
    the rule passes; the carrier's reach is asked only when the context names a carrier.
    """

    reason: ClassVar[HoldReason] = HoldReason.ADDRESS

    def evaluate(
        self, order: Order[Any], context: ExceptionContext, policy: ExceptionPolicy
    ) -> ExceptionFinding | None:
        """A finding naming every failed check, or ``None``."""
        checker = context.checker
        if checker is None:
            return None
        problems = [_answer(checker.address_problem(order.address), "address_problem")]
        if context.carrier is not None:
            reach = checker.reach_problem(order.address, context.carrier)
            problems.append(_answer(reach, "reach_problem"))
        found = [p for p in problems if p is not None]
        return self._found("; ".join(found)) if found else None


def _keywords(value: Iterable[str]) -> tuple[str, ...]:
    raw: object = value
    if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        raise ValidationError(f"keywords must be an iterable of words, not {shown(raw)}")
    words = tuple(raw)
    if not 1 <= len(words) <= MAX_KEYWORDS:
        raise ValidationError(f"a change-request rule needs 1 to {MAX_KEYWORDS} keywords")
    return tuple(
        dict.fromkeys(check_text(w, "a change-request keyword", limit=_KEYWORD_MAX) for w in words)
    )


def _folded(text: str) -> str:
    """``text`` compared loosely: NFKC (full-width forms as ASCII), case-folded, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


@final
@attrs.frozen(slots=True)
class ChangeRequestRule(ExceptionRule):
    """Hold an order whose remarks (买家留言) ask for a change: the shop must read them before
    packing, or the parcel goes to the old address.

    Args:
        keywords: the words that ask for a change, 1 to 100 of up to 50 characters; matched
            in the remarks ignoring case, spaces and full-width forms. By default
            :data:`DEFAULT_CHANGE_KEYWORDS` (the source practice's examples; a shop's choice,
            not a platform rule).

    Raises:
        ValidationError: no keyword, too many, or unacceptable text.
    """

    reason: ClassVar[HoldReason] = HoldReason.CHANGE_REQUEST
    keywords: tuple[str, ...] = attrs.field(default=DEFAULT_CHANGE_KEYWORDS, converter=_keywords)

    def evaluate(
        self, order: Order[Any], context: ExceptionContext, policy: ExceptionPolicy
    ) -> ExceptionFinding | None:
        """A finding naming the keywords found in the remarks, or ``None``."""
        if not order.remarks:
            return None
        remarks = _folded(order.remarks)
        found = [w for w in self.keywords if _folded(w) in remarks]
        if not found:
            return None
        return self._found("the remarks say " + ", ".join(repr(w) for w in found))


@final
@attrs.frozen(slots=True)
class PresaleDateRule(ExceptionRule):
    """Hold a presale order (预售) whose promised ship-by time cannot be met: it has passed
    when the order is placed, or the shop's checker says the carrier cannot make it.

    The promise is the shop's own: Taobao's rules count a presale order not shipped by its
    promised time as a late shipment (延迟发货) against the shop, so it is better caught before
    the buyer pays than after. The carrier's date is asked only when the context names a
    carrier and a checker.
    """

    reason: ClassVar[HoldReason] = HoldReason.PRESALE_DATE

    def evaluate(
        self, order: Order[Any], context: ExceptionContext, policy: ExceptionPolicy
    ) -> ExceptionFinding | None:
        """A finding saying why the date cannot be met, or ``None``."""
        presale = order.presale
        if presale is None:
            return None
        ship_by = presale.ship_by
        if ship_by <= order.created_at:
            return self._found(
                f"the promised ship-by time {ship_by.isoformat()} is not after the order was "
                f"placed ({order.created_at.isoformat()})"
            )
        checker, carrier = context.checker, context.carrier
        if checker is None or carrier is None:
            return None
        problem = _answer(
            checker.presale_problem(ship_by, order.address, carrier), "presale_problem"
        )
        return None if problem is None else self._found(problem)


def _ratio(value: Decimal | int | str) -> Decimal:
    raw: object = value
    if isinstance(raw, bool) or not isinstance(raw, Decimal | int | str):
        raise ValidationError(f"min_ratio must be a Decimal, int or str, not {shown(raw)}")
    try:
        ratio = Decimal(raw)
    except ArithmeticError:
        raise ValidationError(f"min_ratio must be a decimal number, not {shown(raw)}") from None
    if not ratio.is_finite() or not Decimal(0) < ratio <= Decimal(1):
        raise ValidationError(f"min_ratio must be more than 0 and at most 1, not {shown(raw)}")
    return ratio


@final
@attrs.frozen(slots=True)
class LowPriceRule(ExceptionRule):
    """Hold an order with a line priced far below the catalogue: below ``min_ratio`` times the
    SKU's catalogue price (a mispriced listing, stacked coupons).

    Args:
        min_ratio: the lowest unit price accepted, as a fraction of the catalogue price
            (``Decimal``, ``int`` or decimal ``str``; more than 0, at most 1). The default,
            ``0.5`` (half price), is a shop's choice, not a platform rule: deeper discounts
            than that are rare outside a planned promotion, whose prices belong in the
            catalogue the rule compares with.

    Raises:
        ValidationError: a ratio that is not a number in (0, 1].
    """

    reason: ClassVar[HoldReason] = HoldReason.LOW_PRICE
    min_ratio: Decimal = attrs.field(default=Decimal("0.5"), converter=_ratio)

    def evaluate(
        self, order: Order[Any], context: ExceptionContext, policy: ExceptionPolicy
    ) -> ExceptionFinding | None:
        """A finding naming every line below the threshold, or ``None``.

        Raises:
            CurrencyMismatch: a catalogue price in another currency than the order's.
        """
        catalogue = context.catalogue
        if not catalogue:
            return None
        low: list[str] = []
        for line in order.lines:
            listed = catalogue.get(line.sku)
            if listed is None:
                continue
            if listed.currency != order.currency:
                raise CurrencyMismatch(order.currency.code, listed.currency.code, "compare")
            # Exact: whole minor units against a Decimal product, no rounding.
            if line.unit_price.minor_units < listed.minor_units * self.min_ratio:
                low.append(
                    f"{line.sku} at {line.unit_price} is below {self.min_ratio} x the "
                    f"catalogue's {listed}"
                )
        return self._found("; ".join(low)) if low else None


def _count(value: object, limit: int, what: str) -> int:
    if type(value) is not int or not 1 <= value <= limit:
        raise ValidationError(f"{what} must be an int from 1 to {limit}, not {shown(value)}")
    return value


def _max_orders(value: int) -> int:
    return _count(value, MAX_VOLUME_ORDERS, "max_orders")


def _days(value: int) -> int:
    return _count(value, MAX_VOLUME_DAYS, "days")


def address_key(address: Address) -> tuple[str, ...]:
    """The parts that make two addresses one place: country, province, city, district and
    street, compared loosely (case, spaces and full-width forms ignored)."""
    return tuple(
        _folded(part)
        for part in (
            address.country,
            address.province,
            address.city,
            address.district,
            address.street,
        )
    )


@final
@attrs.frozen(slots=True)
class AddressVolumeRule(ExceptionRule):
    """Hold an order when, with it, more than ``max_orders`` orders go to one address within
    ``days`` local days of the shop's zone (the order's day and the ones before it).

    Many orders to one place in a short time are the mark of scalping limited goods and of
    fake orders (刷单), which the platforms forbid (Taobao's rules against false transactions,
    虚假交易) without giving a number: the count and the period are the shop's choice.
    Cancelled orders do not count; the recipient's name and phone do not matter, only the
    place (country, province, city, district and street, compared ignoring case, spaces and
    full-width forms).

    Args:
        max_orders: the most orders to one address in the period, from 1 to 10,000; 3 by
            default.
        days: the period, in local days of the policy's zone counted back from the order's
            day (1: the same day), from 1 to 366; 1 by default.

    Raises:
        ValidationError: a count or period out of range.
    """

    reason: ClassVar[HoldReason] = HoldReason.ADDRESS_VOLUME
    max_orders: int = attrs.field(default=3, converter=_max_orders)
    days: int = attrs.field(default=1, converter=_days)

    def window_start(self, placed_at: _dt.datetime, zone: str) -> DateTime:
        """The first instant of the period for an order placed at ``placed_at``, in UTC."""
        local = ensure_utc(placed_at, what="placed_at").in_tz(_zone(zone))
        first = local.start_of("day").subtract(days=self.days - 1)
        return ensure_utc(first)

    def evaluate(
        self, order: Order[Any], context: ExceptionContext, policy: ExceptionPolicy
    ) -> ExceptionFinding | None:
        """A finding with the count, or ``None``."""
        if not context.other_orders:
            return None
        place = address_key(order.address)
        start = self.window_start(order.created_at, policy.zone)
        end = order.created_at
        ids = {order.id}
        for other in context.other_orders:
            if (
                other.id not in ids
                and start <= other.created_at <= end
                and getattr(other.status, "name", "") != "CANCELLED"
                and address_key(other.address) == place
            ):
                ids.add(other.id)
        count = len(ids)
        if count <= self.max_orders:
            return None
        period = "the same day" if self.days == 1 else f"{self.days} days"
        return self._found(
            f"{count} orders to this address within {period} (at most {self.max_orders})"
        )


# --- the policy --------------------------------------------------------------------------------


def _rules(value: Iterable[ExceptionRule]) -> tuple[ExceptionRule, ...]:
    raw: object = value
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Iterable):
        raise ValidationError(f"rules must be an iterable of ExceptionRule, not {shown(raw)}")
    rules = tuple(raw)
    seen: set[type] = set()
    for rule in rules:
        if not isinstance(rule, ExceptionRule):
            raise ValidationError(f"rules must hold ExceptionRule values, not {shown(rule)}")
        if type(rule) in seen:
            raise ValidationError(f"rules name {type(rule).__name__} twice; keep one")
        seen.add(type(rule))
    return rules


def _default_rules() -> tuple[ExceptionRule, ...]:
    return (
        AddressRule(),
        ChangeRequestRule(),
        PresaleDateRule(),
        LowPriceRule(),
        AddressVolumeRule(),
    )


def _check_zone(value: str) -> str:
    return check_zone(value)


@final
@attrs.frozen(slots=True, kw_only=True)
class ExceptionPolicy:
    """A shop's exception rules: which are on (the ones listed) and their thresholds.

    >>> policy = ExceptionPolicy()
    >>> [rule.reason.value for rule in policy.rules]
    ['address', 'change_request', 'presale_date', 'low_price', 'address_volume']
    >>> ExceptionPolicy(rules=[LowPriceRule(min_ratio="0.3")]).rules
    (LowPriceRule(min_ratio=Decimal('0.3')),)

    Args:
        rules: the rules that are on, in the order they are evaluated (an order held for
            several reasons is held for the first one's; the detail lists them all), each
            rule class at most once. By default all five: :class:`AddressRule`,
            :class:`ChangeRequestRule`, :class:`PresaleDateRule`, :class:`LowPriceRule` and
            :class:`AddressVolumeRule` with their default thresholds. An empty tuple turns the
            rules off.
        zone: the shop's IANA time zone, in which :class:`AddressVolumeRule` counts days;
            ``"Asia/Shanghai"`` by default.

    Raises:
        ValidationError: a rule that is not an :class:`ExceptionRule`, a rule class listed
            twice, a zone :func:`~ecservice.clock.check_zone` refuses.
    """

    rules: tuple[ExceptionRule, ...] = attrs.field(factory=_default_rules, converter=_rules)
    zone: str = attrs.field(default=DEFAULT_ZONE, converter=_check_zone)


_NO_CONTEXT: Final = ExceptionContext()


def evaluate_exceptions(
    order: Order[Any], policy: ExceptionPolicy, context: ExceptionContext | None = None
) -> tuple[ExceptionFinding, ...]:
    """The findings of every rule of ``policy`` that flags ``order``, in the policy's order;
    empty for a clean order. Pure: nothing is changed (hold the order with the findings, as
    :meth:`OrderService.place_order <ecservice.application.OrderService.place_order>` does).

    >>> import pendulum
    >>> from ecservice.money import Money
    >>> from ecservice.orders import Address, Order, OrderLine
    >>> order = Order(id="O-9", buyer_id="u-1", created_at=pendulum.datetime(2026, 11, 11),
    ...     lines=[OrderLine(sku="TEA", name="Tea", unit_price=Money("8.00", "CNY"), quantity=1)],
    ...     address=Address(recipient="王小明", phone="13800138000", province="浙江省",
    ...                     city="杭州市", street="龙井路 1 号"),
    ...     shipping_fee=Money("0.00", "CNY"), remarks="请帮我改地址")
    >>> context = ExceptionContext(catalogue={"TEA": Money("88.00", "CNY")})
    >>> for finding in evaluate_exceptions(order, ExceptionPolicy(), context):
    ...     print(finding)
    Remark asks for a change: the remarks say '改地址'
    Price far below the catalogue: TEA at 8.00 CNY is below 0.5 x the catalogue's 88.00 CNY

    Args:
        order: the order to screen.
        policy: the shop's rules.
        context: what the rules need besides the order (nothing by default: the rules that
            need data pass).

    Raises:
        ValidationError: ``order``, ``policy`` or ``context`` of the wrong type, or a checker
            method returning something else than ``None`` or text.
        CurrencyMismatch: a catalogue price in another currency than the order's.
    """
    from ecservice.orders._order import Order

    if not isinstance(order, Order):
        raise ValidationError(f"order must be an Order, not {shown(order)}")
    if not isinstance(policy, ExceptionPolicy):
        raise ValidationError(f"policy must be an ExceptionPolicy, not {shown(policy)}")
    if context is None:
        context = _NO_CONTEXT
    elif not isinstance(context, ExceptionContext):
        raise ValidationError(f"context must be an ExceptionContext or None, not {shown(context)}")
    found = (rule.evaluate(order, context, policy) for rule in policy.rules)
    return tuple(f for f in found if f is not None)
