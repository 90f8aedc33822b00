"""After-sales cases in storage: documents, round trips through every store, timers, conflicts,
damaged documents.

Cases are driven through random valid paths: at each step one of the calls the case accepts
(``case.can``) is made, or the clock moves to the next timer and the timers run. What they
become is written, read back (through JSON, and through each store) and compared field by field
and record by record.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.aftersales import (
    AfterSalesCase,
    CaseStatus,
    CaseTimeouts,
    Evidence,
    PhotoReference,
    RemedyKind,
)
from ecservice.clock import FixedClock
from ecservice.errors import ConcurrencyConflict, EcServiceError, ValidationError
from ecservice.money import Money
from ecservice.storage import (
    CASE_SERIALIZER,
    DocumentError,
    MemoryStore,
    case_next_due,
    default_registry,
    dump_case,
    duration_text,
    load_case,
    parse_duration,
)
from tests.aftersales.case_rig import BUYER, PLATFORM, SELLER, START, new_case, shipment
from tests.storage.aggregates import same_aggregate
from tests.storage.conftest import InspectableStore
from tests.storage.test_fuzz import at, mutated, paths
from tests.strategies import hostile_values

R = RemedyKind
S = CaseStatus
SECOND = _dt.timedelta(seconds=1)
MICRO = _dt.timedelta(microseconds=1)
STORE_EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def cny(minor: int) -> Money:
    return Money.from_minor(minor, "CNY")


# --- cases driven through random valid paths ---------------------------------------------------


def photo(n: int) -> PhotoReference:
    return PhotoReference(sha256=f"{n:064x}", uri=f"oss://aftersales/AS/{n}.jpg")


def candidates(case: AfterSalesCase) -> list[tuple[str, dict[str, Any]]]:
    """Calls a case may accept (each checked with ``case.can`` before it is offered)."""
    n = case.version + 1
    next_shipment = shipment(len(case.new_shipments) + 1)
    half = cny(max(1, case.asked.minor_units // 2)) if case.asked.minor_units else None
    return [
        ("add_evidence", {"evidence": Evidence(photos=(photo(n), photo(n + 100)), note="裂纹")}),
        ("add_evidence", {"evidence": Evidence(note="the box was crushed")}),
        ("amend", {"asked": half, "note": "only half"}),
        ("approve", {"expected_version": case.version}),
        ("approve", {"expected_version": case.version, "amount": half}),
        ("reject", {"expected_version": case.version, "reason": "no proof of damage"}),
        ("ship_return", {"carrier": "YTO", "tracking_no": f"YT{n:06d}"}),
        ("receive_return", {"note": "parcel arrived"}),
        ("inspect", {"passed": True}),
        ("inspect", {"passed": False, "note": "scratched, not as sent"}),
        ("refund", {}),
        ("refund", {"amount": cny(1)}),
        ("compensate", {}),
        ("exchange", {"shipment": next_shipment}),
        ("reship", {"shipment": next_shipment}),
        ("repair", {"sku": "SKU-A", "unit": 1, "succeeded": True, "shipment": next_shipment}),
        ("repair", {"sku": "SKU-A", "unit": 1, "succeeded": False, "note": "still broken"}),
        ("escalate", {"reason": "the seller refuses"}),
        ("rule", {"for_buyer": True, "grounds": "the photos show the fault"}),
        ("rule", {"for_buyer": True, "grounds": "partly at fault", "amount": half}),
        ("rule", {"for_buyer": False, "grounds": "no fault found"}),
        ("withdraw", {}),
        ("close", {}),
        ("reopen", {"note": "the fault came back"}),
    ]


ACTORS = {
    "add_evidence": BUYER,
    "amend": BUYER,
    "ship_return": BUYER,
    "escalate": BUYER,
    "withdraw": BUYER,
    "reopen": BUYER,
    "rule": PLATFORM,
}

#: Calls that do not move a case towards a remedy.
SIDE_STEPS = frozenset(
    {"add_evidence", "amend", "reject", "escalate", "withdraw", "close", "reopen"}
)

timeouts = st.builds(
    CaseTimeouts,
    **{
        f.name: st.timedeltas(min_value=MICRO, max_value=_dt.timedelta(days=30))
        for f in attrs.fields(CaseTimeouts)
    },
)


@st.composite
def cases(draw: st.DrawFn, *, max_steps: int = 14) -> AfterSalesCase:
    """A case after a random valid path, its events pulled (as a store's save would)."""
    remedy = draw(st.sampled_from(list(R)))
    clock = FixedClock(START)
    skus = draw(st.sets(st.sampled_from(["SKU-B", "SKU-C", "茶-1"]), max_size=2))
    lines = {"SKU-A": draw(st.integers(1, 3)), **dict.fromkeys(skus, 1)}
    asked = draw(st.integers(1, 20_000))
    case = new_case(
        remedy,
        clock=clock,
        id=draw(st.sampled_from(["AS-1", "AS-2026-000042", "售后-7"])),
        lines=lines,
        asked=cny(asked),
        order_shipped=draw(st.booleans()),
        timeouts=draw(st.one_of(st.just(CaseTimeouts()), timeouts)),
        evidence=draw(st.sampled_from([(), (Evidence(photos=(photo(1),)),)])),
    )
    for _ in range(draw(st.integers(0, max_steps))):
        clock.set(
            clock.now() + draw(st.timedeltas(min_value=MICRO, max_value=_dt.timedelta(hours=30)))
        )
        options = [
            (trigger, {**kwargs, "actor": ACTORS.get(trigger, SELLER)})
            for trigger, kwargs in candidates(case)
            if case.can(trigger, **{**kwargs, "actor": ACTORS.get(trigger, SELLER)})
        ]
        due = case.next_due_at()
        if due is not None:
            options.append(("run_timeouts", {}))
        if not options:
            break
        # mostly a step forward, so that paths reach the returns, repairs, refunds and rulings
        forward = [o for o in options if o[0] not in SIDE_STEPS]
        side = [o for o in options if o[0] in SIDE_STEPS]
        pool = side if side and (not forward or draw(st.integers(0, 3)) == 0) else forward
        trigger, kwargs = draw(st.sampled_from(pool))
        if trigger == "run_timeouts":
            assert due is not None
            clock.set(max(clock.now(), due))
            assert case.run_timeouts()
        else:
            getattr(case, trigger)(**kwargs)
    case.pull_events()
    return case


def through_json(document: object) -> Any:
    return json.loads(json.dumps(document))


def same_case(loaded: AfterSalesCase, original: AfterSalesCase) -> None:
    """Every field, the history and the timer agree."""
    same_aggregate(loaded, original)
    for field in attrs.fields(AfterSalesCase):
        if field.eq:
            assert getattr(loaded, field.name) == getattr(original, field.name), field.name
    assert loaded.next_due_at() == original.next_due_at()
    assert loaded.due_trigger() == original.due_trigger()
    assert loaded.refund_requests() == original.refund_requests()


# --- documents ---------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_a_case_round_trips_through_a_json_document(case: AfterSalesCase) -> None:
    """Written, sent through JSON and read back, a case equals the original in every field and
    history record, and writes the same document again."""
    document = dump_case(case)
    assert (document["type"], document["schema_version"]) == ("aftersales_case", 1)
    assert (document["id"], document["version"]) == (case.id, case.version)
    assert list(document["body"]) == list(CASE_SERIALIZER.body_keys)
    clock = FixedClock(START)
    loaded = load_case(through_json(document), clock=clock)
    same_case(loaded, case)
    assert loaded.clock is clock
    assert dump_case(loaded) == document
    assert default_registry().load(through_json(document)) == case


def repaired_twice_then_exchanged() -> AfterSalesCase:
    case = new_case(R.REPAIR)
    case.add_evidence(Evidence(photos=(photo(1), photo(2)), note="no power"), actor=BUYER)
    case.approve(expected_version=case.version, actor=SELLER)
    case.ship_return(carrier="SF", tracking_no="SF1", actor=BUYER)
    case.receive_return(actor=SELLER)
    case.inspect(passed=True, actor=SELLER)
    case.repair(sku="SKU-A", unit=1, succeeded=False, actor=SELLER, note="board replaced")
    case.repair(sku="SKU-A", unit=1, succeeded=False, actor=SELLER)
    case.exchange(shipment=shipment(1), actor=SELLER)
    return case


def ruled_for_the_buyer_then_refunded() -> AfterSalesCase:
    case = new_case(R.REFUND_ONLY)
    case.reject(expected_version=0, reason="used goods", actor=SELLER)
    case.escalate(reason="they were new", actor=BUYER)
    case.rule(for_buyer=True, grounds="unused", amount=Money("150.00", "CNY"), actor=PLATFORM)
    case.refund(actor=SELLER, amount=Money("100.00", "CNY"))
    return case


def ruled_for_the_seller_then_reopened() -> AfterSalesCase:
    case = new_case(R.RETURN_AND_REFUND)
    case.approve(expected_version=0, actor=SELLER, amount=Money("180.00", "CNY"))
    case.ship_return(carrier="YTO", tracking_no="YT9", actor=BUYER)
    case.receive_return(actor=SELLER)
    case.inspect(passed=False, note="water damage", actor=SELLER)
    case.escalate(reason="it came like that", actor=BUYER)
    case.rule(for_buyer=False, grounds="damage after delivery", actor=PLATFORM)
    case.reopen(actor=BUYER, note="new evidence")
    return case


def compensated() -> AfterSalesCase:
    case = new_case(R.COMPENSATION, asked=Money("20.00", "CNY"))
    case.approve(expected_version=0, actor=SELLER)
    case.compensate(actor=SELLER)
    case.close(actor=SELLER)
    return case


SCENARIOS = [
    repaired_twice_then_exchanged,
    ruled_for_the_buyer_then_refunded,
    ruled_for_the_seller_then_reopened,
    compensated,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_every_field_survives_a_json_document(scenario: Any) -> None:
    case = scenario()
    case.pull_events()
    same_case(load_case(through_json(dump_case(case))), case)


def test_a_return_parcel_stored_before_freight_was_recorded_loads_without_it() -> None:
    """Documents written before ``ReturnParcel.freight`` existed have no such key: they load
    with no freight stated."""
    case = new_case(R.RETURN_AND_REFUND)
    case.approve(expected_version=case.version, actor=SELLER)
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER)
    document = dump_case(case)
    del document["body"]["return_parcel"]["freight"]
    loaded = load_case(document)
    assert loaded.return_parcel is not None
    assert loaded.return_parcel.freight is None
    assert dump_case(loaded)["body"]["return_parcel"]["freight"] is None


def test_the_body_names_every_field_in_plain_json() -> None:
    """Money as strings, enums by name, durations as ISO 8601 seconds, photos as references."""
    case = new_case(R.RETURN_AND_REFUND)
    case.add_evidence(Evidence(photos=(photo(7),), note="cracked"), actor=BUYER)
    case.approve(expected_version=case.version, actor=SELLER)
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=Money("8.00", "CNY"))
    body = dump_case(case)["body"]
    assert body["status"] == "RETURN_IN_TRANSIT"
    assert (body["remedy"], body["problem"], body["liability"]) == (
        "RETURN_AND_REFUND",
        "QUALITY",
        "SELLER",
    )
    assert body["lines"] == [{"sku": "SKU-A", "quantity": 2}]
    assert body["goods_value"] == {"amount": "200.00", "currency": "CNY"}
    assert body["agreed"] == {"amount": "200.00", "currency": "CNY"}
    assert body["opened_at"] == "2026-03-01T08:00:00.000000+00:00"
    assert body["timeouts"] == {
        "seller_answer_unshipped": "PT172800S",
        "seller_answer_shipped": "PT432000S",
        "buyer_ships_return": "PT604800S",
        "seller_confirms_return": "PT864000S",
        "reopen_window": "PT1296000S",
    }
    assert body["evidence"] == [
        {"photos": [{"sha256": f"{7:064x}", "uri": "oss://aftersales/AS/7.jpg"}], "note": "cracked"}
    ]
    assert body["return_parcel"] == {
        "carrier": "YTO",
        "tracking_no": "YT1",
        "freight": {"amount": "8.00", "currency": "CNY"},
    }
    assert body["inspection"] is None
    assert body["refunds"] == []
    assert [r["trigger"] for r in body["history"]] == ["add_evidence", "approve", "ship_return"]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (_dt.timedelta(hours=48), "PT172800S"),
        (_dt.timedelta(seconds=1, microseconds=500_000), "PT1.5S"),
        (_dt.timedelta(microseconds=1), "PT0.000001S"),
        (_dt.timedelta(days=365), "PT31536000S"),
        (_dt.timedelta(0), "PT0S"),
    ],
)
def test_durations_are_iso_8601_seconds(delta: _dt.timedelta, text: str) -> None:
    assert duration_text(delta) == text
    assert parse_duration(text) == delta


@given(st.timedeltas(min_value=_dt.timedelta(0)))
def test_every_duration_reads_back_exactly(delta: _dt.timedelta) -> None:
    assert parse_duration(duration_text(delta)) == delta


@pytest.mark.parametrize(
    "text",
    ["P2D", "PT48H", "PT1M", "-PT1S", "PT1.1234567S", "PT.5S", "PT1S ", "pt1s", "PT", 172800, None],
)
def test_only_the_written_duration_form_is_read(text: object) -> None:
    with pytest.raises(ValidationError, match="ISO 8601 duration in seconds"):
        parse_duration(text)


def test_out_of_range_durations_are_refused() -> None:
    with pytest.raises(ValidationError, match="longer than a duration may be"):
        parse_duration("PT999999999999999S")
    with pytest.raises(ValidationError, match="not negative"):
        duration_text(-SECOND)
    with pytest.raises(ValidationError, match="timedelta"):
        duration_text(5)  # type: ignore[arg-type]


def test_bad_durations_and_photos_are_listed_with_their_places() -> None:
    document = through_json(dump_case(new_case()))
    document["body"]["timeouts"]["buyer_ships_return"] = "P7D"
    document["body"]["evidence"] = [{"photos": [{"sha256": "no", "uri": "x"}], "note": ""}]
    with pytest.raises(DocumentError) as info:
        load_case(document)
    assert [p.split(":")[0] for p in info.value.problems] == [
        "body.timeouts.buyer_ships_return",
        "body.evidence[0].photos[0]",
    ]
    assert "must be an ISO 8601 duration in seconds" in info.value.problems[0]
    assert "sha256 must be 64 lower-case hexadecimal digits" in info.value.problems[1]


def test_a_duration_the_timeouts_refuse_is_named() -> None:
    document = through_json(dump_case(new_case()))
    document["body"]["timeouts"]["reopen_window"] = "PT0S"
    with pytest.raises(DocumentError, match=r"body\.timeouts: a timeout must be more than 0"):
        load_case(document)


def test_a_case_that_disagrees_with_its_history_is_refused() -> None:
    """The constructor's checks run on loading: an approved case without an amount agreed."""
    case = new_case(R.REFUND_ONLY)
    case.approve(expected_version=0, actor=SELLER)
    document = through_json(dump_case(case))
    document["body"]["agreed"] = None
    with pytest.raises(ValidationError, match="needs agreed"):
        load_case(document)


# --- damaged documents -------------------------------------------------------------------------


def load_or_error(document: object) -> AfterSalesCase | EcServiceError:
    """The loaded case, or the library error loading raised (anything else propagates)."""
    try:
        return load_case(document)
    except EcServiceError as exc:
        return exc


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
case_documents = cases(max_steps=10).map(lambda case: through_json(dump_case(case)))


@FUZZ
@given(document=mutated(case_documents))
def test_a_mutated_case_document_loads_or_raises_a_library_error(document: dict[str, Any]) -> None:
    """Whatever the damage, loading raises only EcServiceError with a bounded message; what
    loads is a whole case, written back as a valid document."""
    loaded = load_or_error(document)
    if isinstance(loaded, EcServiceError):
        assert len(str(loaded)) < 6000
        return
    assert isinstance(loaded, AfterSalesCase)
    assert load_case(dump_case(loaded)) == loaded


@FUZZ
@given(document=case_documents, value=hostile_values())
def test_a_hostile_value_anywhere_in_a_case_raises_a_library_error(
    document: dict[str, Any], value: object
) -> None:
    for path in paths(document)[1:]:
        damaged = copy.deepcopy(document)
        at(damaged, path[:-1])[path[-1]] = value
        outcome = load_or_error(damaged)
        if isinstance(outcome, EcServiceError):
            assert len(str(outcome)) < 6000


# --- stores ------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    """The clock of the store and of the cases it loads, from the cases' opening."""
    return FixedClock(START)


@pytest.fixture
def case_store(store_url: str | None, clock: FixedClock) -> Iterator[InspectableStore]:
    """A store with empty tables and the default timers (cases timed by ``case_next_due``)."""
    if store_url is None:
        yield MemoryStore(clock=clock)
        return
    from ecservice.storage.sql import SqlStore

    sql = SqlStore(store_url, clock=clock)
    yield sql
    sql.dispose()


def wipe(store: InspectableStore) -> None:
    engine = getattr(store, "engine", None)
    if engine is None:
        assert isinstance(store, MemoryStore)
        store.clear()
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM ecs_outbox")
        connection.exec_driver_sql("DELETE FROM ecs_aggregates")


def add(store: InspectableStore, *cases_: AfterSalesCase) -> None:
    with store.unit_of_work() as uow:
        for case in cases_:
            uow.cases.add(case)
        uow.commit()


@STORE_EXAMPLES
@given(data=st.data())
def test_generated_cases_survive_the_store(
    case_store: InspectableStore, clock: FixedClock, data: st.DataObject
) -> None:
    """A case added, loaded, moved on by its timers and saved, loads back equal each time, with
    its stored version and timer."""
    wipe(case_store)
    case = data.draw(cases())
    add(case_store, case)
    assert case_store.stored_version("aftersales_case", case.id) == case.version
    assert case_store.next_due_at("aftersales_case", case.id) == case.next_due_at()
    with case_store.unit_of_work() as uow:
        loaded = uow.cases.get(case.id)
        same_case(loaded, case)
        assert loaded.clock is clock
        due = loaded.next_due_at()
        if due is not None:
            clock.set(max(clock.now(), due))
            loaded.run_timeouts()
            uow.cases.save(loaded)
            uow.commit()
    with case_store.unit_of_work() as uow:
        again = uow.repository(CASE_SERIALIZER).get(case.id)
        same_case(again, loaded)
    assert case_store.stored_version("aftersales_case", case.id) == loaded.version
    assert case_store.next_due_at("aftersales_case", case.id) == loaded.next_due_at()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_every_field_survives_the_store(case_store: InspectableStore, scenario: Any) -> None:
    case = scenario()
    add(case_store, case)
    assert case.pending_events == ()
    with case_store.unit_of_work() as uow:
        same_case(uow.cases.get(case.id), case)


def test_saving_a_case_writes_its_events_to_the_outbox(case_store: InspectableStore) -> None:
    case = new_case(R.REFUND_ONLY)
    add(case_store, case)
    with case_store.unit_of_work() as uow:
        loaded = uow.cases.get("AS-1")
        loaded.approve(expected_version=0, actor=SELLER)
        loaded.refund(actor=SELLER)
        uow.cases.save(loaded)
        uow.commit()
    rows = [r for r in case_store.outbox() if r.aggregate_type == "aftersales_case"]
    assert rows
    assert all(r.aggregate_id == "AS-1" for r in rows)
    assert "RefundDecided" in {r.event_type for r in rows}
    assert case_store.next_due_at("aftersales_case", "AS-1") is None


def test_due_finds_exactly_the_cases_whose_timer_is_due(
    case_store: InspectableStore, clock: FixedClock
) -> None:
    """``due(now)`` returns the cases whose ``next_due_at()`` is at or before ``now``, the
    longest overdue first: at a timer's exact second it is due, one second before it is not."""
    waiting = new_case(R.RETURN_AND_REFUND, id="AS-answer", order_shipped=True)
    unshipped = new_case(R.REFUND_ONLY, id="AS-unshipped", order_shipped=False)
    to_ship = new_case(R.EXCHANGE, id="AS-ship")
    to_ship.approve(expected_version=0, actor=SELLER)
    travelling = new_case(R.REPAIR, id="AS-travel")
    travelling.approve(expected_version=0, actor=SELLER)
    travelling.ship_return(carrier="SF", tracking_no="SF1", actor=BUYER)
    ended = new_case(R.REFUND_ONLY, id="AS-ended")
    ended.approve(expected_version=0, actor=SELLER)
    ended.refund(actor=SELLER)
    all_cases = [waiting, unshipped, to_ship, travelling, ended]
    add(case_store, *all_cases)
    timers = {c.id: c.next_due_at() for c in all_cases}
    assert timers["AS-ended"] is None
    assert timers["AS-unshipped"] == START + _dt.timedelta(hours=48)
    assert timers["AS-answer"] == START + _dt.timedelta(days=5)
    for case in all_cases:
        assert case_store.next_due_at("aftersales_case", case.id) == timers[case.id]
        assert case_next_due(case) == timers[case.id]
    instants = sorted({t for t in timers.values() if t is not None})
    with case_store.unit_of_work() as uow:
        for instant in instants:
            for now in (instant - SECOND, instant, instant + SECOND):
                expected = sorted((t, i) for i, t in timers.items() if t is not None and t <= now)
                found = uow.cases.due(now, limit=100)
                assert [c.id for c in found] == [i for _, i in expected], now
        assert [c.id for c in uow.cases.due(instants[-1], limit=2)] == [
            i for _, i in sorted((t, i) for i, t in timers.items() if t is not None)[:2]
        ]
    clock.set(instants[-1])
    with case_store.unit_of_work() as uow:
        for case in uow.cases.due(clock.now()):
            assert case.run_timeouts()
            uow.cases.save(case)
        uow.commit()
    with case_store.unit_of_work() as uow:
        assert uow.cases.due(clock.now()) == []
    # approved by its timer: the buyer's time to ship the return runs from now
    assert case_store.next_due_at("aftersales_case", "AS-answer") == clock.now() + _dt.timedelta(
        days=7
    )


def test_a_stale_save_of_a_case_is_a_conflict(case_store: InspectableStore) -> None:
    """Two units of work load version 0; the second to save raises ConcurrencyConflict and
    the first one's change stays."""
    add(case_store, new_case(R.RETURN_AND_REFUND))
    with case_store.unit_of_work() as first:
        mine = first.cases.get("AS-1")
        first.commit()
        with case_store.unit_of_work() as second:
            theirs = second.cases.get("AS-1")
            theirs.reject(expected_version=0, reason="no proof", actor=SELLER)
            second.cases.save(theirs)
            second.commit()
        mine.approve(expected_version=0, actor=SELLER)
        with pytest.raises(ConcurrencyConflict) as info:
            first.cases.save(mine)
        first.rollback()
    error = info.value
    assert (error.aggregate_type, error.aggregate_id, error.expected, error.found) == (
        "aftersales_case",
        "AS-1",
        0,
        1,
    )
    with case_store.unit_of_work() as uow:
        assert uow.cases.get("AS-1").status is S.REJECTED
    assert case_store.stored_version("aftersales_case", "AS-1") == 1
