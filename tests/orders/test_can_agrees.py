"""``order.can(trigger, **kwargs)`` answers True exactly when ``order.<trigger>(**kwargs)``
succeeds, and asking changes nothing."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.orders import Cart, Order, TrackingEvent
from ecservice.workflow import Actor
from tests.orders.test_order import ADDRESS, POLICY, STAFF, START, new_order

SKUS = st.sampled_from(["A", "B", "Z"])
QUANTITIES = st.integers(-1, 3)
ITEMS = st.one_of(st.none(), st.dictionaries(SKUS, QUANTITIES, max_size=3), st.just("A"))
SHIPMENT_IDS = st.sampled_from(["O-1-S1", "O-1-S2", "O-1-S3", "nope"])


def calls(clock: FixedClock) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    tracking = st.builds(
        lambda hours: TrackingEvent(at=clock.now().add(hours=hours), description="scan"),
        st.integers(-3, 3),
    )
    return st.one_of(
        st.tuples(
            st.just("confirm"),
            st.fixed_dictionaries(
                {}, optional={"address": st.sampled_from([ADDRESS, "x"]), "note": st.just(1)}
            ),
        ),
        st.tuples(
            st.just("mark_out_of_stock"),
            st.fixed_dictionaries({"skus": st.one_of(SKUS, st.lists(SKUS, max_size=2))}),
        ),
        st.tuples(
            st.just("restock"),
            st.fixed_dictionaries({"skus": st.one_of(st.none(), st.lists(SKUS, max_size=2))}),
        ),
        st.tuples(
            st.just("ship"),
            st.fixed_dictionaries(
                {"carrier": st.sampled_from(["SF", ""]), "tracking_no": st.just("1")},
                optional={"items": ITEMS, "shipment_id": st.sampled_from(["O-1-S2", "P"])},
            ),
        ),
        st.tuples(
            st.just("add_tracking_event"),
            st.fixed_dictionaries({"shipment_id": SHIPMENT_IDS, "event": tracking}),
        ),
        st.tuples(
            st.just("confirm_receipt"),
            st.fixed_dictionaries({}, optional={"shipment_id": SHIPMENT_IDS}),
        ),
        st.tuples(st.just("auto_confirm"), st.just({"policy": POLICY})),
        st.tuples(st.just("cancel"), st.fixed_dictionaries({"reason": st.sampled_from(["x", ""])})),
        st.tuples(
            st.just("cancel_lines"),
            st.fixed_dictionaries({"items": ITEMS, "reason": st.sampled_from(["x", " "])}),
        ),
    )


def state(order: Order) -> tuple[Any, ...]:
    return (attrs.asdict(order, recurse=False), order.pending_events)


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_can_answers_whether_the_trigger_method_succeeds(data: st.DataObject) -> None:
    clock = FixedClock(START)
    order = new_order(clock)
    for _ in range(data.draw(st.integers(1, 10), label="steps")):
        clock.advance(days=data.draw(st.sampled_from([0, 0, 0, 11]), label="days"))
        trigger, kwargs = data.draw(calls(clock), label="call")
        before = state(order)
        answer = order.can(trigger, actor=STAFF, **kwargs)
        assert state(order) == before, "can() changed the order"
        raised: EcServiceError | None = None
        try:
            getattr(order, trigger)(actor=STAFF, **kwargs)
        except EcServiceError as error:
            raised = error
        assert answer is (raised is None), f"can({trigger!r}, {kwargs}) said {answer}: {raised!r}"
        if raised is not None:
            assert state(order) == before


def test_can_ship_more_than_is_open_is_false() -> None:
    order = new_order()
    order.confirm(actor=STAFF)
    # The issue's own example: no carrier either, so the call could not succeed.
    assert not order.can("ship", items={"TEA": 99})
    assert not order.can("ship", items={"TEA": 99}, carrier="SF", tracking_no="1")
    assert not order.can("ship", items={"A": 99}, carrier="SF", tracking_no="1")
    assert order.can("ship", items={"A": 2}, carrier="SF", tracking_no="1")
    assert not order.can("ship", items="A", carrier="SF", tracking_no="1")


def test_cart_can_agrees_with_its_methods() -> None:
    buyer = Actor.buyer("u-1")
    cart = Cart.open("C-1", buyer_id="u-1", currency="CNY")
    tea = Money("10", "CNY")
    assert cart.can("add_line", sku="TEA", name="tea", unit_price=tea, actor=buyer)
    assert not cart.can("add_line", sku="TEA", name="tea", unit_price=tea, quantity=0)
    assert not cart.can("checkout", actor=buyer)
    cart.add_line("TEA", "tea", tea, 1, actor=buyer)
    assert not cart.can("add_line", sku="TEA", name="oolong", unit_price=tea, actor=buyer)
    assert not cart.can("set_quantity", sku="CUP", quantity=1, actor=buyer)
    assert cart.can("checkout", actor=buyer)
    cart.checkout(actor=buyer)
    assert not cart.can("place_order", order_id="O-1", address=ADDRESS, shipping=None)


def test_can_without_a_required_argument_is_false_not_an_error() -> None:
    """A trigger method called without a required argument fails, so ``can`` says False."""
    order = new_order()
    assert not order.can("cancel")
    assert order.can("cancel", reason="bought twice")
    assert not order.can("cancel_lines", reason="x")
    assert not order.can("cancel_lines", items={"A": 1})
    order.confirm(actor=STAFF)
    assert not order.can("ship")
    assert not order.can("mark_out_of_stock")
    cart = Cart.open("C-1", buyer_id="u-1", currency="CNY")
    assert not cart.can("add_line", sku="TEA")
    assert not cart.can("remove_line")
