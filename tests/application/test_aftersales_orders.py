"""An order's after-sales cases seen from the order: the units its cases claim (computed when a
case is opened, so that no two cases ask for more units than the order has), and the order's
after-sales view (cases, parcels sent, units per line), on every store.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.aftersales import (
    AfterSalesCase,
    CaseStatus,
    Liability,
    NotEligible,
    ProblemKind,
    RemedyKind,
    ShipmentReference,
)
from ecservice.application import (
    AfterSalesService,
    CaseShipment,
    CaseSummary,
    LineAfterSales,
    OrderAfterSales,
    OrderService,
    claimed_units,
    claims_units,
)
from ecservice.clock import FixedClock
from ecservice.errors import AggregateNotFound, InvalidQuantity, NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.storage import MemoryStore, Store, UnitOfWork, run_in_transaction
from tests.aftersales.test_reports import build_case
from tests.application.conftest import START, StoreFactory
from tests.application.test_orders import (
    ADDRESS,
    BUYER,
    FUNDED,
    RATE,
    STAFF,
    add_cart,
    new_provider,
)

R = RemedyKind
P = ProblemKind
#: When the buyer signs for order O-1's parcel.
SIGNED = START.add(days=2)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def delivered_order(store: Store, clock: FixedClock, order_id: str = "O-1") -> None:
    """Order ``order_id`` (2 tea, 3 cups) placed, paid, shipped and signed for at SIGNED; the
    clock is left at SIGNED."""
    provider = new_provider()
    add_cart(store, clock, f"C-{order_id}")
    orders = OrderService(store, provider, clock=clock, sleep=lambda _s: None)
    orders.place_order(f"C-{order_id}", order_id, address=ADDRESS, shipping=RATE, actor=BUYER)
    assert orders.pay(order_id, FUNDED).paid
    orders.change(order_id, lambda o: o.ship(carrier="SF", tracking_no="SF1", actor=STAFF))
    clock.set(SIGNED)
    orders.change(order_id, lambda o: o.confirm_receipt(actor=BUYER))


def service(store: Store, clock: FixedClock) -> AfterSalesService:
    return AfterSalesService(store, new_provider(), clock=clock, sleep=lambda _s: None)


def open_return(cases: AfterSalesService, case_id: str, tea: int) -> AfterSalesCase:
    return cases.open_case(case_id, "O-1", {"TEA": tea}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN)


def change_case(store: Store, case_id: str, change: Any) -> AfterSalesCase:
    def work(uow: UnitOfWork) -> AfterSalesCase:
        case = uow.cases.get(case_id)
        change(case)
        uow.cases.save(case)
        return case

    return run_in_transaction(store, work)


# --- claimed units, computed ---------------------------------------------------------------------


def test_two_cases_never_claim_more_units_than_were_delivered(make_store: StoreFactory) -> None:
    """Two teas were delivered: a return of one and a return of one more are allowed, a third
    is refused naming the claimed units; withdrawing one frees its unit."""
    clock = FixedClock(START)
    store = make_store(clock)
    delivered_order(store, clock)
    cases = service(store, clock)
    open_return(cases, "AS-1", 1)
    open_return(cases, "AS-2", 1)
    with pytest.raises(NotEligible, match="2 of them already claimed by other cases"):
        open_return(cases, "AS-3", 1)
    change_case(store, "AS-1", lambda c: c.withdraw(actor=BUYER))
    with pytest.raises(NotEligible, match="1 of them already claimed"):
        cases.open_case("AS-3", "O-1", {"TEA": 2}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN)
    assert open_return(cases, "AS-3", 1).lines[0].quantity == 1
    with store.unit_of_work() as uow:
        assert [c.id for c in uow.cases.for_order("O-1")] == ["AS-1", "AS-2", "AS-3"]


def test_units_claimed_elsewhere_add_to_the_stored_cases_never_replace_them(
    make_store: StoreFactory,
) -> None:
    """``claimed`` names units claimed outside the store: it adds to what the stored cases
    claim, so a caller cannot open more cases than there are units by passing ``{}``."""
    clock = FixedClock(START)
    store = make_store(clock)
    delivered_order(store, clock)
    cases = service(store, clock)
    with pytest.raises(NotEligible, match="2 of them already claimed"):
        cases.open_case(
            "AS-1", "O-1", {"TEA": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, claimed={"TEA": 2}
        )
    open_return(cases, "AS-1", 2)
    with pytest.raises(NotEligible, match="2 of them already claimed"):
        cases.open_case(
            "AS-2", "O-1", {"TEA": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, claimed={}
        )
    with pytest.raises(ValidationError, match="claimed maps SKUs"):
        cases.open_case(
            "AS-2", "O-1", {"TEA": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, claimed={"TEA": -1}
        )
    with store.unit_of_work() as uow:
        assert [c.id for c in uow.cases.for_order("O-1")] == ["AS-1"]


def test_cases_of_other_orders_and_other_lines_claim_nothing(make_store: StoreFactory) -> None:
    clock = FixedClock(START)
    store = make_store(clock)
    delivered_order(store, clock, "O-1")
    delivered_order(store, clock, "O-2")
    cases = service(store, clock)
    cases.open_case("AS-1", "O-2", {"TEA": 2}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN)
    cases.open_case("AS-2", "O-1", {"CUP": 3}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN)
    assert open_return(cases, "AS-3", 2).quantities == {"TEA": 2}


def claim_of(path: str, at: _dt.datetime) -> bool:
    return claims_units(build_case("AS-1", "O-1", START, path), at=at)


@pytest.mark.parametrize(
    ("path", "claims"),
    [
        ("open", True),  # being handled
        ("refund", True),  # a remedy given used the units up
        ("compensate", True),
        ("auto_refund", True),
        ("dispute_buyer", True),  # the platform ruled for the buyer: approved again
        ("dispute_seller", None),  # closed without a remedy: until the reopening window ends
        ("withdraw", False),  # withdrawn: freed at once
    ],
)
def test_which_cases_claim_their_units(path: str, claims: bool | None) -> None:
    case = build_case("AS-1", "O-1", START, path)
    later = START.add(days=60)
    if claims is None:
        closed = case.closed_at
        assert closed is not None
        window = case.timeouts.reopen_window
        assert claims_units(case, at=closed + window - _dt.timedelta(microseconds=1))
        assert not claims_units(case, at=closed + window)
    else:
        assert claims_units(case, at=later) is claims


def test_a_rejected_case_still_claims_and_a_closed_one_after_a_remedy_too() -> None:
    clock = FixedClock(START)
    case = build_case("AS-1", "O-1", START, "open")
    case.reject(expected_version=0, reason="the seal is broken", actor=STAFF)
    assert case.status is CaseStatus.REJECTED
    assert claims_units(case, at=START.add(days=400))
    refunded = build_case("AS-2", "O-1", START, "refund")
    refunded.close(actor=STAFF)
    assert refunded.status is CaseStatus.CLOSED
    assert claims_units(refunded, at=START.add(days=400))
    assert claimed_units([case, refunded], at=clock.now()) == {"SKU-A": 4}


def test_claims_check_their_arguments() -> None:
    case = build_case("AS-1", "O-1", START, "open")
    with pytest.raises(ValidationError, match="AfterSalesCase"):
        claims_units("AS-1", at=START)  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetime):
        claims_units(case, at=_dt.datetime(2026, 11, 11))
    with pytest.raises(ValidationError, match="iterable"):
        claimed_units("AS-1", at=START)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("open"), st.sampled_from(["TEA", "CUP"]), st.integers(1, 3)),
            st.tuples(st.just("withdraw"), st.integers(0, 20), st.just(0)),
        ),
        max_size=12,
    )
)
def test_open_cases_never_claim_more_than_was_delivered(steps: list[tuple[str, Any, int]]) -> None:
    """Whatever requests and withdrawals come, the cases that claim units never claim more
    units of a line than were delivered (2 teas, 3 cups)."""
    clock = FixedClock(START)
    store = MemoryStore(clock=clock)
    delivered_order(store, clock)
    cases = service(store, clock)
    opened: list[str] = []
    for kind, what, quantity in steps:
        if kind == "open":
            case_id = f"AS-{len(opened) + 1}"
            try:
                cases.open_case(
                    case_id, "O-1", {what: quantity}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN
                )
                opened.append(case_id)
            except NotEligible:
                pass
        elif opened:
            case_id = opened[what % len(opened)]
            with store.unit_of_work() as uow:
                case = uow.cases.get(case_id)
                if case.can("withdraw", actor=BUYER):
                    case.withdraw(actor=BUYER)
                    uow.cases.save(case)
                    uow.commit()
        with store.unit_of_work() as uow:
            claimed = claimed_units(uow.cases.for_order("O-1"), at=clock.now())
        assert claimed.get("TEA", 0) <= 2
        assert claimed.get("CUP", 0) <= 3


# --- the order's view --------------------------------------------------------------------------


def reship_case(clock: FixedClock) -> AfterSalesCase:
    """A reship of one cup of O-1, approved and reshipped."""
    case = AfterSalesCase(
        id="AS-R",
        order_id="O-1",
        buyer_id=BUYER.id,
        remedy=R.RESHIP,
        problem=P.LOST_PARCEL,
        liability=Liability.CARRIER,
        lines={"CUP": 1},
        goods_value=cny("45.50"),
        asked=cny("45.50"),
        opened_at=clock.now(),
        order_shipped=True,
        clock=clock,
    )
    case.approve(expected_version=0, actor=STAFF)
    case.reship(
        shipment=ShipmentReference(shipment_id="O-1-R1", carrier="SF", tracking_no="SF777"),
        actor=STAFF,
    )
    return case


def test_the_orders_view_lists_cases_parcels_and_units(make_store: StoreFactory) -> None:
    """A return of 2 teas refunded, a reship of a cup sent, a withdrawn request: the view lists
    the three cases oldest first, the reship's parcel with its tracking, and per line the
    units claimed, in progress and refunded."""
    clock = FixedClock(START)
    store = make_store(clock)
    delivered_order(store, clock)
    cases = service(store, clock)
    open_return(cases, "AS-1", 2)
    clock.set(SIGNED.add(hours=1))
    cases.open_case("AS-2", "O-1", {"CUP": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN)
    change_case(store, "AS-2", lambda c: c.withdraw(actor=BUYER))
    clock.set(SIGNED.add(hours=2))
    reshipped = reship_case(clock)

    def add(uow: UnitOfWork) -> None:
        uow.cases.add(reshipped)

    run_in_transaction(store, add)
    clock.set(SIGNED.add(hours=3))

    def refund_return(case: AfterSalesCase) -> None:
        case.approve(expected_version=case.version, actor=STAFF)
        case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER)
        case.receive_return(actor=STAFF)
        case.inspect(passed=True, actor=STAFF)
        case.refund(actor=STAFF)

    change_case(store, "AS-1", refund_return)
    view = cases.order_view("O-1")
    assert isinstance(view, OrderAfterSales)
    assert view.order_id == "O-1"
    assert view.at == clock.now()
    assert [c.case_id for c in view.cases] == ["AS-1", "AS-2", "AS-R"]
    first = view.case("AS-1")
    assert isinstance(first, CaseSummary)
    assert (first.status, first.refunded, first.claims_units) == (
        CaseStatus.REFUNDED,
        cny("176.00"),
        True,
    )
    assert first.return_parcel is not None
    assert first.return_parcel.tracking_no == "YT1"
    assert first.resolved_at == clock.now()
    withdrawn = view.case("AS-2")
    assert withdrawn is not None
    assert not withdrawn.claims_units
    assert view.case("AS-404") is None
    (parcel,) = view.shipments
    assert parcel == CaseShipment(
        case_id="AS-R",
        purpose="reship",
        shipment=ShipmentReference(shipment_id="O-1-R1", carrier="SF", tracking_no="SF777"),
        sent_at=SIGNED.add(hours=2),
    )
    assert view.lines == (
        LineAfterSales(sku="TEA", ordered=2, claimed=2, in_progress=0, refunded=2),
        LineAfterSales(sku="CUP", ordered=3, claimed=1, in_progress=0, refunded=0),
    )
    assert view.line("CUP") == view.lines[1]
    assert view.line("NOPE") is None
    assert view.refunded == cny("176.00")
    assert view.currency.code == "CNY"


def test_an_order_without_cases_has_an_empty_view_and_a_missing_order_raises(
    make_store: StoreFactory,
) -> None:
    clock = FixedClock(START)
    store = make_store(clock)
    delivered_order(store, clock)
    cases = service(store, clock)
    view = cases.order_view("O-1")
    assert (view.cases, view.shipments, view.refunded) == ((), (), cny("0.00"))
    assert [line.claimed for line in view.lines] == [0, 0]
    with pytest.raises(AggregateNotFound):
        cases.order_view("O-404")


def test_view_values_check_their_fields() -> None:
    with pytest.raises(InvalidQuantity, match="claimed must be a whole number"):
        LineAfterSales(sku="TEA", ordered=2, claimed=-1, in_progress=0, refunded=0)
    with pytest.raises(ValidationError, match="purpose is one of"):
        CaseShipment(
            case_id="AS-1",
            purpose="gift",
            shipment=ShipmentReference(shipment_id="S", carrier="SF", tracking_no="1"),
            sent_at=START,
        )
    with pytest.raises(ValidationError, match="refunded must be Money"):
        OrderAfterSales(order_id="O-1", at=START, cases=(), shipments=(), lines=(), refunded=0)  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetime):
        OrderAfterSales(
            order_id="O-1",
            at=_dt.datetime(2026, 1, 1),
            cases=(),
            shipments=(),
            lines=(),
            refunded=cny("0.00"),
        )
