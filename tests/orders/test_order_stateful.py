"""Stateful test of the order workflow: random trigger sequences against the workflow table.

Every rule fires a typed trigger method with arguments that may be valid or not. After each
step the test checks what must always hold, whatever happened:

* a failing call raised an error of the library's hierarchy and changed nothing;
* a successful call appended exactly one history record, whose (trigger, source, dest) is an
  edge of ``ORDER_WORKFLOW``'s table, and the state equals that record's destination;
* per line, shipped + cancelled units never exceed the ordered quantity;
* the state agrees with the data (in transit exactly while a parcel travels, done only when every
  unit is settled, ...);
* money is conserved: ``amount_due + cancelled_value == total``, and the ``RefundDue`` events
  add up to exactly ``cancelled_value`` (no refund announced twice or missed);
* holds (异常挂起) agree with the state: the order is held exactly while its last hold is open,
  a release returns it where it was held from, and no timer is due while it is held.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pendulum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.orders import (
    ORDER_WORKFLOW,
    Address,
    AutoConfirmPolicy,
    HoldReason,
    Order,
    OrderLine,
    OrderStatus,
    RefundDue,
    TrackingEvent,
)
from ecservice.workflow import Actor

S = OrderStatus
STAFF = Actor.staff("s-1")
BUYER = Actor.buyer("b-1")
RULES = Actor.system("exception-rules")
ACTORS = (STAFF, BUYER, RULES)
POLICY = AutoConfirmPolicy(days=7, zone="Europe/Berlin")
SKUS = ("A", "B", "C")

EDGES = {
    (t.trigger, src, t.dest if t.dest is not None else src)
    for t in ORDER_WORKFLOW.transitions
    for src in t.sources
}


def _snapshot(order: Order) -> dict[str, Any]:
    return {**attrs.asdict(order, recurse=False), "events": order.pending_events}


class OrderMachine(RuleBasedStateMachine):
    """Drives one order with random triggers and checks it against its table after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(pendulum.datetime(2026, 3, 20, 12, 0, tz="Europe/Berlin"))
        self.order: Order
        self.errors = 0
        self.refunded = Money.zero("EUR")

    @initialize(quantities=st.lists(st.integers(1, 4), min_size=1, max_size=3))
    def place(self, quantities: list[int]) -> None:
        lines = [
            OrderLine(
                sku=SKUS[i],
                name=f"item {i}",
                unit_price=Money(f"{10 + i}.50", "EUR"),
                quantity=q,
                weight_kg=Decimal("0.5"),
            )
            for i, q in enumerate(quantities)
        ]
        self.order = Order(
            id="O-1",
            buyer_id="b-1",
            lines=lines,
            address=Address(
                recipient="A. Buyer",
                phone="+49 30 1234567",
                province="Berlin",
                city="Berlin",
                street="Unter den Linden 1",
            ),
            shipping_fee=Money("4.90", "EUR"),
            created_at=self.clock.now(),
            clock=self.clock,
        )

    def _do(self, call: Any) -> None:
        before = _snapshot(self.order)
        history = self.order.history
        try:
            record = call()
        except EcServiceError:
            self.errors += 1
            assert _snapshot(self.order) == before, "a failed trigger changed the order"
            return
        assert self.order.history == (*history, record)
        assert (record.trigger, record.source, record.dest) in EDGES
        assert self.order.status is record.dest
        assert record.version == self.order.version
        for event in self.order.pull_events():
            if isinstance(event, RefundDue):
                assert event.amount > Money.zero(event.amount.currency)
                self.refunded = self.refunded + event.amount

    def _items(self, data: st.DataObject) -> dict[str, int]:
        skus = [line.sku for line in self.order.lines]
        chosen = data.draw(st.lists(st.sampled_from(skus), min_size=1, max_size=3, unique=True))
        return {sku: data.draw(st.integers(1, 5)) for sku in chosen}

    @rule()
    def confirm(self) -> None:
        self._do(lambda: self.order.confirm(actor=STAFF))

    @rule(data=st.data())
    def mark_out_of_stock(self, data: st.DataObject) -> None:
        skus = list(self._items(data))
        self._do(lambda: self.order.mark_out_of_stock(skus, actor=STAFF))

    @rule(data=st.data(), everything=st.booleans())
    def restock(self, data: st.DataObject, everything: bool) -> None:
        skus = None if everything else list(self._items(data))
        self._do(lambda: self.order.restock(skus, actor=STAFF))

    @rule(data=st.data(), everything=st.booleans())
    def ship(self, data: st.DataObject, everything: bool) -> None:
        items = None if everything else self._items(data)
        self._do(lambda: self.order.ship(carrier="DHL", tracking_no="T1", items=items, actor=STAFF))

    @rule(data=st.data(), minutes=st.integers(-120, 600))
    def add_tracking_event(self, data: st.DataObject, minutes: int) -> None:
        if not self.order.shipments:
            return
        shipment = data.draw(st.sampled_from(self.order.shipments))
        event = TrackingEvent(at=self.clock.now().add(minutes=minutes), description="scan")
        self._do(lambda: self.order.add_tracking_event(shipment.id, event, actor=STAFF))

    @rule(data=st.data(), all_parcels=st.booleans())
    def confirm_receipt(self, data: st.DataObject, all_parcels: bool) -> None:
        sid = None
        if not all_parcels and self.order.shipments:
            sid = data.draw(st.sampled_from(self.order.shipments)).id
        self._do(lambda: self.order.confirm_receipt(sid, actor=BUYER))

    @rule(days=st.integers(0, 9))
    def auto_confirm(self, days: int) -> None:
        self.clock.advance(days=days)
        self._do(lambda: self.order.auto_confirm(POLICY))

    @rule(hours=st.integers(1, 72))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    # Cancelling ends most orders at once; it is drawn less often so that runs reach delivery.
    @rule(roll=st.integers(0, 4), actor=st.sampled_from((BUYER, STAFF)))
    def cancel(self, roll: int, actor: Actor) -> None:
        if roll == 0:
            held = self.order.status is S.ON_HOLD
            self._do(lambda: self.order.cancel(reason="buyer asked", actor=actor))
            if held and self.order.status is S.CANCELLED:
                assert actor is STAFF
                assert self.order.holds[-1].outcome is not None
                assert self.order.holds[-1].outcome.name == "CANCELLED"

    @rule(reason=st.sampled_from(list(HoldReason)), actor=st.sampled_from(ACTORS))
    def hold(self, reason: HoldReason, actor: Actor) -> None:
        before = self.order.status
        holds = len(self.order.holds)
        self._do(lambda: self.order.hold(reason=reason, detail="found", actor=actor))
        if self.order.status is S.ON_HOLD and before is not S.ON_HOLD:
            assert actor is not BUYER
            assert self.order.held_from is before
            assert len(self.order.holds) == holds + 1
            assert self.order.holds[-1].reason is reason

    @rule(actor=st.sampled_from(ACTORS))
    def release(self, actor: Actor) -> None:
        back = self.order.held_from
        self._do(lambda: self.order.release(actor=actor, note="checked"))
        if back is not None and self.order.status is not S.ON_HOLD:
            assert actor is STAFF
            assert self.order.status is back

    @rule(data=st.data(), roll=st.integers(0, 2))
    def cancel_lines(self, data: st.DataObject, roll: int) -> None:
        if roll:
            return
        items = self._items(data)
        self._do(lambda: self.order.cancel_lines(items, reason="no stock", actor=STAFF))

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def quantities_never_exceed_what_was_ordered(self) -> None:
        for line in self.order.lines:
            settled = self.order.shipped_quantity(line.sku) + self.order.cancelled_quantity(
                line.sku
            )
            assert 0 <= settled <= line.quantity

    @invariant()
    def history_is_a_consistent_chain(self) -> None:
        order = self.order
        assert order.version == len(order.history)
        state = S.PENDING_CONFIRMATION
        last = None
        for i, record in enumerate(order.history, start=1):
            assert record.version == i
            assert record.source is state
            state = record.dest
            assert last is None or record.at >= last
            last = record.at
        assert order.status is state

    @invariant()
    def state_agrees_with_the_data(self) -> None:
        order = self.order
        travelling = bool(order.travelling)
        open_units = sum(order.open_items().values())
        assert (order.status is S.IN_TRANSIT) == travelling
        if order.status is S.DONE:
            assert open_units == 0
            assert order.shipments
        if order.status is S.CANCELLED:
            assert not order.shipments
            assert open_units == 0
        if order.status is S.OUT_OF_STOCK:
            assert order.out_of_stock
            assert all(order.open_quantity(sku) > 0 for sku in order.out_of_stock)
        if order.status in (S.PROCESSING, S.PENDING_CONFIRMATION, S.ON_HOLD):
            assert open_units > 0

    @invariant()
    def holds_agree_with_the_state(self) -> None:
        order = self.order
        holds = order.holds
        held = order.status is S.ON_HOLD
        assert held == bool(holds and holds[-1].open)
        assert (order.held_from is not None) == held
        assert all(not h.open for h in holds[:-1])
        assert len(holds) == sum(1 for r in order.history if r.trigger == "hold")
        if held:
            assert order.auto_confirm_due_at(POLICY) is None
            assert not order.ship_overdue(self.clock.now().add(years=1))

    @invariant()
    def money_is_conserved(self) -> None:
        order = self.order
        assert order.amount_due + order.cancelled_value == order.total
        assert not order.amount_due.is_negative()
        # Every refund is announced exactly once: the RefundDue events add up to what was
        # cancelled (after the initial OrderPlaced-free construction, nothing is pending).
        assert self.refunded == order.cancelled_value


OrderMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOrderWorkflow = OrderMachine.TestCase
