"""A service and its store's timer run under one policy: a service given none takes the
policy the store's timer was made with, a service given another one is refused when it is
built (naming both and how to build the store), and a timer that is a shop's own function is
accepted as it is. Orders, complaints and electronic drafts; the timer jobs' ``limit``."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.application import (
    AfterSalesService,
    ComplaintService,
    EbillService,
    FeedbackService,
    OrderService,
    RatingService,
    SurveyService,
)
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import SlaPolicy
from ecservice.errors import ValidationError
from ecservice.feedback import FeedbackPolicy
from ecservice.orders import AutoConfirmPolicy, Order, OrderStatus
from ecservice.payments import InMemoryGateway
from ecservice.payments.ebills import DEFAULT_DRAFT_POLICY
from ecservice.storage import (
    MemoryStore,
    Store,
    complaint_next_due,
    default_timers,
    draft_next_due,
    order_next_due,
)
from ecservice.storage._timers import DraftTimer
from tests.application.conftest import START
from tests.payments.ebills.shop_rig import BUYER, SHOP, SHOP_KEYS
from tests.storage.aggregates import STAFF, an_order

SEVEN = AutoConfirmPolicy(days=7)
SLA = SlaPolicy.shop_default()
CALENDAR = ShopCalendar()


def order_store(clock: FixedClock, timer: Any) -> MemoryStore:
    return MemoryStore(clock=clock, timers={**default_timers(), "order": timer})


def ship(store: Store, clock: FixedClock, id: str = "O-1") -> Order[Any]:
    """Store an order ``id`` confirmed and shipped at ``clock.now()``."""
    order = attrs.evolve(an_order(clock), id=id)
    order.confirm(actor=STAFF)
    order.ship(carrier="SF", tracking_no=f"SF-{id}", actor=STAFF)
    with store.unit_of_work() as uow:
        uow.orders.add(order)
        uow.commit()
    return order


def is_in(store: Store, wanted: OrderStatus, id: str = "O-1") -> bool:
    with store.unit_of_work() as uow:
        return uow.orders.get(id).status is wanted


# --- orders ------------------------------------------------------------------------------------


def test_a_policy_other_than_the_store_timers_is_refused_naming_both() -> None:
    """The case that confirmed nothing on days 4 to 9: a 3-day service over the default
    (10-day) timer is refused, and the message says how to build the store."""
    store = MemoryStore()
    with pytest.raises(ValidationError) as caught:
        OrderService(store, InMemoryGateway(), auto_confirm=AutoConfirmPolicy(days=3))
    message = str(caught.value)
    assert "auto_confirm=AutoConfirmPolicy(days=3" in message
    assert "AutoConfirmPolicy(days=10" in message
    assert 'timers={**default_timers(), "order": order_next_due(auto_confirm)}' in message


def test_the_same_policy_as_the_store_timers_is_accepted() -> None:
    store = order_store(FixedClock(START), order_next_due(SEVEN))
    service = OrderService(store, InMemoryGateway(), auto_confirm=AutoConfirmPolicy(days=7))
    assert service.auto_confirm == SEVEN


def test_without_a_policy_the_store_timers_is_used_to_the_second() -> None:
    """A 7-day timer and no policy: the order is confirmed on day 7 at the shipping time, not
    at 23:59:59 of day 6 (one second before), and once."""
    clock = FixedClock(START)
    store = order_store(clock, order_next_due(SEVEN))
    service = OrderService(store, InMemoryGateway(), clock=clock)
    assert service.auto_confirm == SEVEN
    ship(store, clock)
    due = START.add(days=7)
    clock.set(due.subtract(seconds=1))
    assert service.run_due_timers() == 0
    assert is_in(store, OrderStatus.IN_TRANSIT)
    clock.set(due)
    assert service.run_due_timers() == 1
    assert is_in(store, OrderStatus.DONE)
    assert service.run_due_timers() == 0


def test_without_a_policy_or_a_timer_to_read_the_default_policy_is_used() -> None:
    own = order_store(FixedClock(START), lambda order: None)
    assert OrderService(own, InMemoryGateway()).auto_confirm == AutoConfirmPolicy()
    assert OrderService(MemoryStore(), InMemoryGateway()).auto_confirm == AutoConfirmPolicy()


def test_a_shops_own_timer_function_is_accepted_with_any_policy() -> None:
    """A timer that carries no policy cannot be compared: the service runs under the policy
    it was given (the shop keeps the two in agreement)."""
    seven = order_next_due(SEVEN)
    store = order_store(FixedClock(START), lambda order: seven(order))
    service = OrderService(store, InMemoryGateway(), auto_confirm=AutoConfirmPolicy(days=3))
    assert service.auto_confirm == AutoConfirmPolicy(days=3)


def test_a_store_without_timers_keeps_todays_behaviour() -> None:
    """A store that does not expose ``timers`` (a wrapper of another store) is not read."""

    class Wrapper:
        def __init__(self, inner: Store) -> None:
            self.inner = inner

        def unit_of_work(self) -> Any:
            return self.inner.unit_of_work()

    service = OrderService(
        Wrapper(MemoryStore()), InMemoryGateway(), auto_confirm=AutoConfirmPolicy(days=3)
    )
    assert service.auto_confirm.days == 3


ZONES = st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"])


@settings(max_examples=25, deadline=None)
@given(
    days=st.integers(1, 60),
    zone=ZONES,
    shipped=st.datetimes(
        min_value=_dt.datetime(2026, 1, 1), max_value=_dt.datetime(2027, 12, 31)
    ).map(lambda d: pendulum.instance(d, tz="UTC")),
)
def test_the_service_confirms_exactly_when_the_stores_timer_says(
    days: int, zone: str, shipped: pendulum.DateTime
) -> None:
    """For any policy the timer is made with, the service built without one confirms at the
    timer's instant and not a microsecond before (across DST changes too)."""
    policy = AutoConfirmPolicy(days=days, zone=zone)
    clock = FixedClock(shipped)
    store = order_store(clock, order_next_due(policy))
    service = OrderService(store, InMemoryGateway(), clock=clock)
    ship(store, clock)
    due = policy.due_at(shipped)
    assert store.next_due_at("order", "O-1") == due
    clock.set(due - _dt.timedelta(microseconds=1))
    assert service.run_due_timers() == 0
    clock.set(due)
    assert service.run_due_timers() == 1


# --- complaints --------------------------------------------------------------------------------


def complaint_store(timer: Any) -> MemoryStore:
    return MemoryStore(timers={**default_timers(), "complaint": timer})


def test_a_complaint_service_without_policy_or_calendar_takes_the_timers() -> None:
    service = ComplaintService(complaint_store(complaint_next_due(SLA, CALENDAR)))
    assert service.policy == SLA
    assert service.calendar == CALENDAR


def test_a_complaint_service_with_the_timers_terms_is_accepted() -> None:
    service = ComplaintService(complaint_store(complaint_next_due(SLA, CALENDAR)), SLA, CALENDAR)
    assert (service.policy, service.calendar) == (SLA, CALENDAR)


def test_a_complaint_policy_other_than_the_timers_is_refused() -> None:
    store = complaint_store(complaint_next_due(SLA, CALENDAR))
    other = attrs.evolve(SLA, name="strict")
    with pytest.raises(ValidationError, match=r"policy=SlaPolicy\(name='strict'") as caught:
        ComplaintService(store, other, CALENDAR)
    assert "complaint_next_due(policy, calendar)" in str(caught.value)
    assert "name='shop-default'" in str(caught.value)


def test_a_complaint_calendar_other_than_the_timers_is_refused() -> None:
    store = complaint_store(complaint_next_due(SLA, CALENDAR))
    with pytest.raises(ValidationError, match="calendar=ShopCalendar"):
        ComplaintService(store, SLA, ShopCalendar(zone="Europe/Berlin"))


def test_a_complaint_service_with_nothing_to_take_its_terms_from_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs an SlaPolicy and a WorkingCalendar"):
        ComplaintService(MemoryStore())
    with pytest.raises(ValidationError, match="needs an SlaPolicy and a WorkingCalendar"):
        ComplaintService(complaint_store(lambda complaint: None), SLA)


def test_a_shops_own_complaint_timer_is_accepted() -> None:
    other = attrs.evolve(SLA, name="strict")
    service = ComplaintService(complaint_store(lambda complaint: None), other, CALENDAR)
    assert service.policy == other


# --- electronic drafts -------------------------------------------------------------------------


def draft_store(timer: Any) -> MemoryStore:
    return MemoryStore(timers={**default_timers(), "electronic_draft": timer})


def test_an_ebill_service_takes_the_draft_timers_policy() -> None:
    longer = attrs.evolve(DEFAULT_DRAFT_POLICY, presentment_days=12)
    store = draft_store(DraftTimer(longer, holder=SHOP))
    assert EbillService(store, SHOP, SHOP_KEYS[SHOP]).policy == longer
    assert EbillService(MemoryStore(), SHOP, SHOP_KEYS[SHOP]).policy == DEFAULT_DRAFT_POLICY
    made = draft_store(draft_next_due(longer, holder=SHOP))  # the public way to build it
    assert EbillService(made, SHOP, SHOP_KEYS[SHOP]).policy == longer
    with pytest.raises(ValidationError, match="differs in presentment_days"):
        EbillService(made, SHOP, SHOP_KEYS[SHOP], policy=DEFAULT_DRAFT_POLICY)


def test_an_ebill_policy_other_than_the_draft_timers_is_refused() -> None:
    longer = attrs.evolve(DEFAULT_DRAFT_POLICY, presentment_days=12)
    with pytest.raises(ValidationError, match="differs in presentment_days: 12, not 10") as caught:
        EbillService(MemoryStore(), SHOP, SHOP_KEYS[SHOP], policy=longer)
    assert "draft_next_due(policy, holder=shop)" in str(caught.value)


def test_a_draft_timer_for_another_holder_is_refused() -> None:
    store = draft_store(DraftTimer(DEFAULT_DRAFT_POLICY, holder=BUYER))
    with pytest.raises(ValidationError, match="presents the drafts of"):
        EbillService(store, SHOP, SHOP_KEYS[SHOP])


def test_a_shops_own_draft_timer_is_accepted() -> None:
    longer = attrs.evolve(DEFAULT_DRAFT_POLICY, presentment_days=12)
    store = draft_store(lambda draft: None)
    assert EbillService(store, SHOP, SHOP_KEYS[SHOP], policy=longer).policy == longer


def test_an_ebill_policy_of_another_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="policy must be a DraftPolicy"):
        EbillService(MemoryStore(), SHOP, SHOP_KEYS[SHOP], policy="strict")  # type: ignore[arg-type]


# --- the timer jobs' limit -----------------------------------------------------------------------


def timer_jobs(store: MemoryStore) -> dict[str, Any]:
    """Every service's timer job over ``store``."""
    return {
        "orders": OrderService(store, InMemoryGateway()).run_due_timers,
        "aftersales": AfterSalesService(store, InMemoryGateway()).run_due_timers,
        "complaints": ComplaintService(store, SLA, CALENDAR).run_due_timers,
        "ratings": RatingService(store, seller_id="S-1").run_due_timers,
        "feedback": FeedbackService(store, FeedbackPolicy.shop_default(), CALENDAR).run_due_timers,
        "surveys": SurveyService(store).run_due_timers,
        "ebills": EbillService(store, SHOP, SHOP_KEYS[SHOP]).run_due,
    }


JOBS = ("aftersales", "complaints", "ebills", "feedback", "orders", "ratings", "surveys")
LIMITS = [0, 10_001, -1, True, 1.0, "5", pytest.param(10**5000, id="5000-digits")]


def test_every_service_with_a_timer_job_is_checked() -> None:
    assert sorted(timer_jobs(MemoryStore())) == list(JOBS)


@pytest.mark.parametrize("job", JOBS)
@pytest.mark.parametrize("limit", LIMITS)
def test_every_timer_job_checks_its_limit_as_the_repositories_do(job: str, limit: Any) -> None:
    """Each service's timer job refuses a bad ``limit`` with the repositories' own message
    (a 5,000-digit int is shown by its size, not turned into a ValueError)."""
    store = MemoryStore()
    with pytest.raises(ValidationError) as by_service:
        timer_jobs(store)[job](limit=limit)
    with pytest.raises(ValidationError) as by_repository, store.unit_of_work() as uow:
        uow.orders.due(START, limit)
    assert str(by_service.value) == str(by_repository.value)
    assert str(by_service.value).startswith("limit must be a whole number from 1 to 10000, not ")


def test_a_5000_digit_limit_is_shown_by_its_size() -> None:
    with pytest.raises(ValidationError, match="not an int of about 5001 digits"):
        OrderService(MemoryStore(), InMemoryGateway()).run_due_timers(limit=10**5000)


@pytest.mark.parametrize("limit", [1, 10_000])
def test_the_limits_bounds_are_accepted(limit: int) -> None:
    assert OrderService(MemoryStore(), InMemoryGateway()).run_due_timers(limit=limit) == 0


def test_a_timer_job_over_a_store_without_its_timer_is_refused() -> None:
    """The default timers have no complaint timer: the job would find nothing, run after run."""
    service = ComplaintService(MemoryStore(), SLA, CALENDAR)
    with pytest.raises(ValidationError, match=r"no timer for 'complaint'.*complaint_next_due"):
        service.run_due_timers()
    orders = OrderService(MemoryStore(timers={}), InMemoryGateway())
    with pytest.raises(ValidationError, match=r"no timer for 'order'.*order_next_due"):
        orders.run_due_timers()
    with_timer = {**default_timers(), "complaint": complaint_next_due(SLA, CALENDAR)}
    assert ComplaintService(MemoryStore(timers=with_timer)).run_due_timers() == 0
