"""Complaints in ``ecservice demo``: opened on a share of the orders, taken through the six steps
against the shop's service levels (some breached, recorded at their instants), some resolved by
an after-sales case the complaint follows, continued by the next run, money still conserved."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice import _demo_complaints
from ecservice._demo import DemoSummary, run_demo
from ecservice._demo_aftersales import case_id_of
from ecservice._demo_complaint_steps import (
    CALENDAR,
    POLICY,
    TEXTS,
    ComplaintScript,
    Step,
    next_step,
)
from ecservice._demo_complaints import complaint_id_of
from ecservice._demo_store import stored_ids
from ecservice.aftersales import AfterSalesCase, ProblemKind
from ecservice.complaints import (
    CASE_ENDS,
    Complaint,
    ComplaintChannel,
    ComplaintStatus,
    SlaTargetKind,
)
from ecservice.storage import UnitOfWork, run_in_transaction

#: The demo's shares, five times over: a small shop with many complaints, for the mechanics.
BUSY = 5


def _complaints(url: str) -> list[tuple[Complaint, AfterSalesCase | None]]:
    """The stored complaints, each with its order's after-sales case (or ``None``)."""
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url)
    try:
        ids = stored_ids(store, "complaint") or []

        def work(uow: UnitOfWork) -> list[tuple[Complaint, AfterSalesCase | None]]:
            found = [uow.complaints.get(i) for i in ids]
            return [(c, uow.cases.find(case_id_of(c.order_id or ""))) for c in found]

        return run_in_transaction(store, work)
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def busy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    """A month of 300 orders with five times the demo's complaints, stored in SQLite."""
    path = tmp_path_factory.mktemp("busy") / "shop.db"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("ON_PAID", "ON_SHIPPED", "ON_DELIVERED"):
            share, problems = getattr(_demo_complaints, name)
            patch.setattr(_demo_complaints, name, (share * BUSY, problems))
        return path, run_demo(300, seed=3, db=f"sqlite:///{path}")


def test_the_figures_show_breaches_met_targets_and_cases(
    busy_run: tuple[Path, DemoSummary],
) -> None:
    """The month's complaint figures add up: several categories, targets met and breached,
    complaints resolved through after-sales cases, satisfaction from the visits; the money the
    cases moved is conserved."""
    path, summary = busy_run
    url = f"sqlite:///{path}"
    assert summary.money_conserved, summary.gateway_problems
    figures = summary.complaints
    assert figures is not None
    stored = _complaints(url)
    assert figures.opened == len(stored) > 0
    assert sum(n for _, n in figures.by_category) + figures.unclassified == figures.opened
    assert len(figures.by_category) >= 2
    kinds = {t.kind for t in figures.targets}
    assert {SlaTargetKind.FIRST_REPLY, SlaTargetKind.RESOLUTION} <= kinds
    for target in figures.targets:
        assert target.met + target.breached == target.cycles
    assert sum(t.breached for t in figures.targets) > 0
    assert sum(t.met for t in figures.targets) > 0
    first = next(t for t in figures.targets if t.kind is SlaTargetKind.FIRST_REPLY)
    assert first.cycles == figures.replied <= figures.opened
    assert figures.via_cases > 0
    assert figures.visits > 0
    assert figures.satisfaction_average is not None
    assert 1 <= figures.satisfaction_average <= 5
    assert figures.first_reply_median is not None
    assert figures.first_reply_p90 is not None
    assert dt.timedelta(0) <= figures.first_reply_median <= figures.first_reply_p90
    assert figures.still_open == sum(c.is_open for c, _ in stored)


def test_breaches_are_recorded_at_their_due_dates_and_cases_are_followed(
    busy_run: tuple[Path, DemoSummary],
) -> None:
    """The SLA timer recorded breaches at their own instants (the due dates, not the time it
    ran); a complaint that waited on a case reports the case's outcome; every complaint is about
    a stored order, named after it, with its history in time order."""
    url = f"sqlite:///{busy_run[0]}"
    recorded = 0
    followed = 0
    for complaint, case in _complaints(url):
        assert complaint.order_id is not None
        assert complaint_id_of(complaint.order_id) == complaint.id
        times = [r.at for r in complaint.history]
        assert times == sorted(times)
        for breach in complaint.breaches:
            recorded += 1
            assert breach.breached_at == breach.due_at
            assert breach.started_at < breach.due_at
        last = complaint.history[-1].at if complaint.history else complaint.opened_at
        evaluation = complaint.sla(POLICY, CALENDAR, now=last)
        due = {(c.kind, c.index): c.due_at for c in evaluation.breaches}
        for breach in complaint.breaches:
            assert due[(breach.kind, breach.index)] == breach.due_at
        if any(r.trigger == "case_resolved" for r in complaint.history):
            followed += 1
            assert case is not None
            assert case.status in CASE_ENDS
            if complaint.reopen_count == 0:
                assert complaint.case_outcome is case.status
        if complaint.status is ComplaintStatus.AWAITING_CASE:
            assert case is not None
            assert complaint.solution is not None
            assert complaint.solution.case_id == case.id
    assert recorded > 0
    assert followed > 0


def test_a_continued_run_moves_on_the_complaints_left_open(
    busy_run: tuple[Path, DemoSummary], tmp_path: Path
) -> None:
    """The next run takes on every complaint the first left open (each changed: a step, or a
    progress update while it waits), counts the month's complaints, and the money stays
    conserved."""
    for name in ("shop.db", "shop-gateway.db", "shop-mint.db"):
        shutil.copy(busy_run[0].with_name(name), tmp_path / name)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    before = {c.id: c for c, _ in _complaints(url)}
    still = [c for c in before.values() if c.is_open]
    assert still
    again = run_demo(40, seed=4, db=url)
    assert again.money_conserved, again.gateway_problems
    assert again.complaints is not None
    after = {c.id: c for c, _ in _complaints(url)}
    assert set(before) <= set(after)
    moved = [c.id for c in still if after[c.id].version > c.version]
    assert len(moved) == len(still)
    for complaint in after.values():
        times = [r.at for r in complaint.history]
        assert times == sorted(times)


def test_the_default_share_of_complaints_is_a_few_percent() -> None:
    """With the demo's own shares, 1 to 3 complaints in a hundred orders (a simulation
    choice), and the run stays deterministic for a seed."""
    summary = run_demo(1200, seed=2026)
    figures = summary.complaints
    assert figures is not None
    assert figures.share is not None
    assert 0.01 <= figures.share.value <= 0.03
    assert summary.money_conserved


@settings(max_examples=60, deadline=None)
@given(
    number=st.integers(min_value=0, max_value=999_999),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 60),
    problem=st.sampled_from(sorted(TEXTS, key=lambda p: p.value)),
)
def test_a_new_complaint_is_first_replied_to_within_working_time(
    number: int, minutes: int, problem: ProblemKind
) -> None:
    """The desk's first step on a complaint is a reply, at an instant the complaint's script
    fixes (the same every time it is asked), not before the opening, in working hours."""
    opened = pendulum.datetime(2026, 11, 1, 9, tz="Asia/Shanghai").add(minutes=minutes)
    complaint_id = complaint_id_of(f"O-{number:06d}")
    script = ComplaintScript.of(complaint_id)
    complaint = Complaint(
        id=complaint_id,
        buyer_id="b-1",
        text=TEXTS[problem],
        channel=ComplaintChannel.CHAT,
        opened_at=opened,
        priority=script.priority,
    )
    found = next_step(complaint, script, opened, checked=False)
    assert found is not None
    at, step = found
    assert step is Step.REPLY
    assert at >= opened
    assert found == next_step(complaint, script, opened, checked=False)
    assert CALENDAR.elapsed(opened, at) > dt.timedelta(0)
    assert ComplaintScript.of(complaint_id) == script


def test_the_demo_counts_its_complaints_in_sql_as_in_memory(
    busy_run: tuple[Path, DemoSummary],
) -> None:
    """The demo's figures come from the database (the complaints' facts rows); they equal the
    in-memory report over the stored complaints, figure for figure."""
    from ecservice._demo_shop import START
    from ecservice.complaints import complaint_report
    from ecservice.storage.sql import SqlComplaintReports, SqlStore

    path, summary = busy_run
    url = f"sqlite:///{path}"
    stored = [c for c, _ in _complaints(url)]
    now = START.add(days=30)
    memory = complaint_report(stored, POLICY, CALENDAR, now=now, zone="Asia/Shanghai")
    store = SqlStore(url)
    try:
        in_sql = SqlComplaintReports(store).report(POLICY, CALENDAR, now=now, zone="Asia/Shanghai")
    finally:
        store.dispose()
    assert in_sql == memory
    assert summary.complaints is not None
    assert summary.complaints.opened == memory.complaints_opened > 0
    assert summary.complaints.targets == memory.targets
