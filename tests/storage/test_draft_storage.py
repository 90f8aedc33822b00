"""Electronic drafts stored like the other aggregates: lossless documents, every act verified
again on load, timers in the indexed column, on the memory store, SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import ConcurrencyConflict, EcServiceError
from ecservice.payments.ebills import (
    DEFAULT_DRAFT_POLICY,
    ActChainBroken,
    ActKind,
    DishonourReason,
    DraftStatus,
    ElectronicDraft,
    ForgedAct,
)
from ecservice.storage import (
    DRAFT_SERIALIZER,
    DocumentError,
    MemoryStore,
    Store,
    default_timers,
    dump_draft,
    load_draft,
)
from tests.payments.ebills import rig
from tests.payments.ebills.rig import ACCEPTOR, AT_MATURITY, DRAWER, E1, E2, E3, PAYEE, STAFF

PARTIES = (PAYEE, E1, E2, E3)


def presented() -> ElectronicDraft:
    d = rig.endorsed_twice()
    rig.clock_of(d).set(AT_MATURITY)
    d.present(rig.act(d, ActKind.PRESENT, E2), actor=STAFF)
    return d


def paid() -> ElectronicDraft:
    d = presented()
    d.pay(rig.act(d, ActKind.PAY, ACCEPTOR, amount=rig.FACE), actor=STAFF)
    return d


def in_recourse() -> ElectronicDraft:
    d = rig.dishonoured()
    zero = rig.zero()
    claim = rig.act(
        d, ActKind.CLAIM_RECOURSE, E2, party=DRAWER, amount=rig.FACE, interest=zero, expenses=zero
    )
    d.claim_recourse(claim, actor=STAFF)
    return d


def settled_by_drawer() -> ElectronicDraft:
    d = in_recourse()
    d.settle_recourse(rig.act(d, ActKind.SETTLE_RECOURSE, DRAWER, amount=rig.FACE), actor=STAFF)
    return d


def expired() -> ElectronicDraft:
    d = rig.endorsed_twice()
    due = d.next_due_at()
    assert due is not None
    rig.clock_of(d).set(due)
    d.run_timeouts()
    return d


STAGES = {
    "issued": rig.issued,
    "held": rig.held,
    "endorsed twice": rig.endorsed_twice,
    "presented": presented,
    "paid": paid,
    "dishonoured": rig.dishonoured,
    "in recourse": in_recourse,
    "settled by the drawer": settled_by_drawer,
    "expired": expired,
}


def same(a: ElectronicDraft, b: ElectronicDraft) -> None:
    assert b.id == a.id
    assert b.version == a.version
    assert b.status is a.status
    assert b.acts == a.acts
    assert b.history == a.history
    assert b.holder == a.holder
    assert b.payments == a.payments


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_stage_reads_back_equal(stage: str) -> None:
    draft = STAGES[stage]()
    text = json.dumps(dump_draft(draft))
    back = load_draft(json.loads(text), clock=draft.clock)
    same(draft, back)
    assert back == draft
    assert json.dumps(dump_draft(back)) == text


@st.composite
def chains(draw: st.DrawFn) -> ElectronicDraft:
    """A held draft endorsed along a random chain of parties (never to the holder itself),
    maybe presented and answered."""
    d = rig.held()
    holder = PAYEE
    for _ in range(draw(st.integers(0, 5))):
        nxt = draw(st.sampled_from([p for p in (*PARTIES, DRAWER) if p != holder]))
        d.endorse(rig.act(d, ActKind.ENDORSE, holder, party=nxt), actor=STAFF)
        holder = nxt
    end = draw(st.sampled_from(["held", "presented", "paid", "dishonoured"]))
    if end != "held":
        rig.clock_of(d).set(AT_MATURITY)
        d.present(rig.act(d, ActKind.PRESENT, holder), actor=STAFF)
    if end == "paid":
        d.pay(rig.act(d, ActKind.PAY, ACCEPTOR, amount=rig.FACE), actor=STAFF)
    if end == "dishonoured":
        reason = draw(st.sampled_from(list(DishonourReason)[:-1]))
        d.dishonour(rig.act(d, ActKind.DISHONOUR, ACCEPTOR, reason=reason), actor=STAFF)
    return d


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_random_chains_read_back_equal(draft: ElectronicDraft) -> None:
    back = load_draft(json.loads(json.dumps(dump_draft(draft))), clock=draft.clock)
    same(draft, back)


def _acts(document: Any) -> list[dict[str, Any]]:
    acts: list[dict[str, Any]] = document["body"]["acts"]
    return acts


def test_an_altered_amount_is_a_forgery() -> None:
    document = dump_draft(paid())
    _acts(document)[-1]["amount"]["amount"] = "12.00"
    with pytest.raises(DocumentError) as raised:
        load_draft(document)
    assert isinstance(raised.value.__cause__, ForgedAct)


def test_an_altered_endorsee_is_a_forgery() -> None:
    document = dump_draft(rig.endorsed_twice())
    _acts(document)[-1]["party"]["name"] = "Someone Else"
    with pytest.raises(DocumentError) as raised:
        load_draft(document)
    assert isinstance(raised.value.__cause__, ForgedAct)


def test_acts_out_of_order_break_the_chain() -> None:
    document = dump_draft(rig.endorsed_twice())
    acts = _acts(document)
    acts[-1], acts[-2] = acts[-2], acts[-1]
    with pytest.raises(EcServiceError):
        load_draft(document)


def test_a_dropped_act_breaks_the_chain() -> None:
    document = dump_draft(rig.endorsed_twice())
    del _acts(document)[-1]
    with pytest.raises(DocumentError) as raised:
        load_draft(document)
    assert isinstance(raised.value.__cause__, ActChainBroken)


def test_a_draft_moved_to_another_number_is_refused() -> None:
    document = dump_draft(rig.held())
    document["id"] = "500000000001202603010000000099"
    with pytest.raises(DocumentError, match="'500000000001202603010000000099'") as raised:
        load_draft(document)
    assert isinstance(raised.value.__cause__, ActChainBroken)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_documents_raise_library_errors_only(data: st.DataObject) -> None:
    document: Any = dump_draft(DOC_SOURCE)
    mutated = copy.deepcopy(document)
    node: Any = mutated["body"]
    path = []
    while isinstance(node, dict | list) and node:
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        k = data.draw(st.sampled_from(keys))
        path.append(k)
        if data.draw(st.booleans()) or not isinstance(node[k], dict | list):
            node[k] = data.draw(
                st.one_of(
                    st.none(),
                    st.integers(),
                    st.text(max_size=8),
                    st.just("00" * 32),
                    st.just({}),
                    st.just([]),
                )
            )
            break
        node = node[k]
    try:
        back = load_draft(mutated)
    except (DocumentError, EcServiceError):
        return
    # Accepted: a note or an instant of the history may change, but never a signed act.
    assert back.acts == DOC_SOURCE.acts, path


DOC_SOURCE = in_recourse()


# --- stored ------------------------------------------------------------------------------------


@pytest.fixture
def draft_store(store_url: str | None) -> Iterator[Store]:
    clock = FixedClock(rig.ISSUED_AT)
    if store_url is None:
        yield MemoryStore(clock=clock, timers=default_timers())
        return
    from ecservice.storage.sql import SqlStore

    sql = SqlStore(store_url, clock=clock, timers=default_timers())
    yield sql
    sql.dispose()


def test_a_draft_is_stored_and_endorsed_in_units_of_work(draft_store: Store) -> None:
    draft = rig.held()
    with draft_store.unit_of_work() as uow:
        uow.drafts.add(draft)
        uow.commit()
    with draft_store.unit_of_work() as uow:
        loaded = uow.drafts.get(draft.id)
        same(draft, loaded)
        loaded.endorse(rig.act(loaded, ActKind.ENDORSE, PAYEE, party=E1), actor=STAFF)
        uow.drafts.save(loaded)
        uow.commit()
    with draft_store.unit_of_work() as uow:
        again = uow.drafts.get(draft.id)
        assert again.holder == E1
        assert again.version == 3


def test_a_stale_endorsement_changes_nothing(draft_store: Store) -> None:
    draft = rig.held()
    with draft_store.unit_of_work() as uow:
        uow.drafts.add(draft)
        uow.commit()
    with draft_store.unit_of_work() as first:
        mine = first.drafts.get(draft.id)
        first.commit()  # ends its transaction (on SQLite a transaction holds the write lock)
        with draft_store.unit_of_work() as second:
            theirs = second.drafts.get(draft.id)
            theirs.endorse(rig.act(theirs, ActKind.ENDORSE, PAYEE, party=E1), actor=STAFF)
            second.drafts.save(theirs)
            second.commit()
        mine.endorse(rig.act(mine, ActKind.ENDORSE, PAYEE, party=E2), actor=STAFF)
        with pytest.raises(ConcurrencyConflict):
            first.drafts.save(mine)
        first.commit()
    with draft_store.unit_of_work() as uow:
        assert uow.drafts.get(draft.id).holder == E1


def test_the_end_of_the_presentment_period_is_a_timer(draft_store: Store) -> None:
    draft = rig.endorsed_twice()
    due = draft.next_due_at(DEFAULT_DRAFT_POLICY)
    assert due is not None
    with draft_store.unit_of_work() as uow:
        uow.drafts.add(draft)
        uow.commit()
    with draft_store.unit_of_work() as uow:
        assert uow.drafts.due(due.subtract(microseconds=1)) == []
        (found,) = uow.drafts.due(due)
        assert found.id == draft.id
        rig.clock_of(draft).set(due)
    with draft_store.unit_of_work() as uow:
        expiring = uow.drafts.get(draft.id)
        expiring.clock = FixedClock(due)
        expiring.run_timeouts()
        assert expiring.status is DraftStatus.EXPIRED
        uow.drafts.save(expiring)
        uow.commit()
    with draft_store.unit_of_work() as uow:
        assert uow.drafts.get(draft.id).status is DraftStatus.EXPIRED
        assert uow.drafts.due(due) == []


def test_the_serializer_writes_electronic_draft_documents() -> None:
    assert DRAFT_SERIALIZER.type_name == "electronic_draft"
    assert dump_draft(rig.held())["type"] == "electronic_draft"
