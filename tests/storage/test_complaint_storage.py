"""Complaints in storage: documents, round trips through JSON and a store, damaged documents.

Complaints are driven through random valid paths (:func:`tests.complaints.rig.complaints`),
written, read back through JSON and compared field by field and record by record; mutated and
hostile documents either load (and write back as valid documents) or raise a library error.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.aftersales import CaseStatus
from ecservice.clock import FixedClock
from ecservice.complaints import Complaint, ComplaintStatus, ThirdParty
from ecservice.errors import EcServiceError, ValidationError
from ecservice.storage import DocumentError, MemoryStore, SerializerRegistry
from ecservice.storage._complaints import COMPLAINT_SERIALIZER, dump_complaint, load_complaint
from tests.complaints.rig import AGENT, START, closed, complaints, new_complaint, recorded, replied
from tests.storage.aggregates import same_aggregate
from tests.storage.test_fuzz import at, mutated, paths
from tests.strategies import hostile_values

S = ComplaintStatus
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def through_json(document: object) -> Any:
    return json.loads(json.dumps(document))


def same_complaint(loaded: Complaint, original: Complaint) -> None:
    """Every field and history record agree, and so do the views an SLA reads."""
    same_aggregate(loaded, original)
    for field in attrs.fields(Complaint):
        if field.eq:
            assert getattr(loaded, field.name) == getattr(original, field.name), field.name
    assert loaded.waits() == original.waits()
    assert loaded.first_replied_at == original.first_replied_at


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(complaint=complaints())
def test_a_complaint_round_trips_through_a_json_document(complaint: Complaint) -> None:
    """Written, sent through JSON and read back, a complaint equals the original in every field
    and history record, and writes the same document again."""
    document = dump_complaint(complaint)
    assert (document["type"], document["schema_version"]) == ("complaint", 2)
    assert (document["id"], document["version"]) == (complaint.id, complaint.version)
    assert list(document["body"]) == list(COMPLAINT_SERIALIZER.body_keys)
    clock = FixedClock(START)
    loaded = load_complaint(through_json(document), clock=clock)
    same_complaint(loaded, complaint)
    assert loaded.clock is clock
    assert dump_complaint(loaded) == document


def test_the_body_names_every_field_in_plain_json() -> None:
    """Enums by name, the window as ISO 8601 seconds, values as objects, lines sorted."""
    complaint = closed(new_complaint(lines={"Z-1": 1, "A-1": 2}))
    body = dump_complaint(complaint)["body"]
    assert (body["status"], body["channel"], body["priority"]) == ("CLOSED", "PHONE", "NORMAL")
    assert (body["problem"], body["validity"], body["liability"]) == ("QUALITY", "VALID", "SELLER")
    assert body["lines"] == [{"sku": "A-1", "quantity": 2}, {"sku": "Z-1", "quantity": 1}]
    assert body["cause"] == {"text": "A faulty seal batch.", "root_cause": "SUPPLIER"}
    assert body["solution"] == {
        "text": "We exchange the kettle.",
        "case_id": "AS-1",
        "remedy": "EXCHANGE",
    }
    assert body["case_outcome"] == "EXCHANGED"
    assert body["visit"] == {"reached": True, "satisfaction": 5, "comment": "Works well."}
    assert (body["level"], body["paused_from"], body["waiting_for"]) == (0, None, None)
    assert body["reopen_window"] == "PT1296000S"
    assert body["opened_at"] == "2026-03-01T08:00:00.000000+00:00"


def test_a_waiting_complaint_keeps_its_wait() -> None:
    complaint = recorded(new_complaint())
    complaint.await_third_party(party=ThirdParty.APPRAISAL, reason="appraisal", actor=AGENT)
    loaded = load_complaint(through_json(dump_complaint(complaint)))
    assert (loaded.paused_from, loaded.waiting_for) == (S.RECORDED, ThirdParty.APPRAISAL)
    same_complaint(loaded, complaint)


def test_a_store_saves_and_loads_a_complaint() -> None:
    """Through a memory store's unit of work (the repository of the serializer)."""
    registry = SerializerRegistry([COMPLAINT_SERIALIZER])
    store = MemoryStore(registry=registry)
    complaint = closed(new_complaint())
    with store.unit_of_work() as uow:
        uow.repository(COMPLAINT_SERIALIZER).add(complaint)
        uow.commit()
    with store.unit_of_work() as uow:
        loaded = uow.repository(COMPLAINT_SERIALIZER).get("TS-1")
    same_complaint(loaded, complaint)


# --- damaged documents -------------------------------------------------------------------------


documents: st.SearchStrategy[dict[str, Any]] = complaints(max_steps=10).map(
    lambda complaint: through_json(dump_complaint(complaint))
)


def load_or_error(document: object) -> None:
    """Loading succeeds, and what loads writes back a document that loads equal, or it raises
    a library error with a bounded message (anything else propagates and fails the test)."""
    try:
        loaded: Complaint | EcServiceError = load_complaint(document)
    except EcServiceError as exc:
        loaded = exc
    if isinstance(loaded, EcServiceError):
        assert len(str(loaded)) < 6000
    else:
        assert load_complaint(dump_complaint(loaded)) == loaded


@FUZZ
@given(document=mutated(documents))
def test_a_mutated_document_loads_or_raises_a_library_error(document: dict[str, Any]) -> None:
    """A mutated document loads (and writes back) or raises DocumentError / ValidationError."""
    load_or_error(document)


@FUZZ
@given(document=documents, data=st.data())
def test_a_hostile_value_anywhere_raises_a_library_error(
    document: dict[str, Any], data: st.DataObject
) -> None:
    """A hostile value at any place in the document never escapes as another exception."""
    spoiled = copy.deepcopy(document)
    path = data.draw(st.sampled_from(paths(spoiled)[1:]))
    at(spoiled, path[:-1])[path[-1]] = data.draw(hostile_values())
    load_or_error(spoiled)


BAD_BODIES = [
    # (what is wrong, the change)
    ("a summary without a record", {"summary": "invented"}),
    ("a cause that was never analysed", {"cause": {"text": "x", "root_cause": None}}),
    ("a level no escalation reached", {"level": 2}),
    (
        "a visit without a follow-up",
        {"visit": {"reached": False, "satisfaction": None, "comment": ""}},
    ),
    ("a paused_from outside a wait", {"paused_from": "RECORDED"}),
    ("a third party outside a wait", {"waiting_for": "CARRIER"}),
    ("an outcome that is not a case's end", {"case_outcome": "REQUESTED"}),
    ("a satisfaction out of range", {"visit": {"reached": True, "satisfaction": 6, "comment": ""}}),
    ("a zero reopening window", {"reopen_window": "PT0S"}),
    ("lines without an order", {"order_id": None}),
]


@pytest.mark.parametrize(("what", "change"), BAD_BODIES, ids=[w for w, _ in BAD_BODIES])
def test_documents_that_disagree_with_the_history_are_refused(
    what: str, change: dict[str, Any]
) -> None:
    """Each of these, in a complaint replied to but not yet recorded, is refused with a
    ValidationError or DocumentError."""
    complaint = replied(new_complaint())
    load_complaint(dump_complaint(complaint))  # the document itself is valid
    document = dump_complaint(complaint)
    document["body"].update(change)
    with pytest.raises((ValidationError, DocumentError)):
        load_complaint(document)


def test_a_resumption_to_another_step_is_refused() -> None:
    """A history whose wait ends at another step than the one it left cannot be loaded."""
    complaint = recorded(new_complaint())
    complaint.await_customer(reason="photos", actor=AGENT)
    complaint.resume(actor=AGENT)
    document = dump_complaint(complaint)
    history = document["body"]["history"]
    history[-2]["source"] = "REPLIED"
    history[-3]["dest"] = "REPLIED"
    history[-3]["trigger"] = "reply"
    with pytest.raises(ValidationError):
        load_complaint(document)


def test_a_closed_complaint_loaded_keeps_its_reopening_window() -> None:
    complaint = closed(new_complaint(reopen_window=_dt.timedelta(hours=1)))
    loaded = load_complaint(through_json(dump_complaint(complaint)))
    assert loaded.reopen_window == _dt.timedelta(hours=1)
    assert loaded.case_outcome is CaseStatus.EXCHANGED
