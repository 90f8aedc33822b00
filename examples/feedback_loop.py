"""Feedback (反馈) at a small appliance shop: read, record, answer in time, revisit.

1. A suggestion by chat on Monday, answered the same afternoon (in time); the shop revisits the
   customer 3 and 30 days after the kettle was delivered.
2. A problem by phone on Friday evening, answered on Tuesday: the answer was due at the close
   of Monday, so the record is late from that instant (the timer marked it first).
3. Praise from a questionnaire, answered and closed without revisits.

Then the report of those ten days: records by channel and kind, answers in time, working time to
answer, revisits done and on time.

Run: ``python examples/feedback_loop.py``
"""

from __future__ import annotations

import pendulum

from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.feedback import (
    FeedbackChannel,
    FeedbackKind,
    FeedbackPolicy,
    FeedbackRecord,
    Sentiment,
    feedback_report,
)
from ecservice.workflow import Actor

ZONE = "Asia/Shanghai"
AGENT = Actor.staff("kefu-12")
CALENDAR = ShopCalendar()  # 09:00-18:00 on working days, Chinese statutory holidays
POLICY = FeedbackPolicy.shop_default()


def local(at: pendulum.DateTime | None) -> str:
    return "-" if at is None else at.in_tz(ZONE).format("ddd D MMM HH:mm")


def path(record: FeedbackRecord) -> str:
    """The states the record went through (transitions that kept the state left out)."""
    moves = [r.dest.name for r in record.history if r.dest is not r.source]
    return " -> ".join([record.history[0].source.name, *moves])


def suggestion() -> FeedbackRecord:
    clock = FixedClock(pendulum.datetime(2026, 3, 9, 10, tz=ZONE))
    record = FeedbackRecord.receive(
        id="FB-1",
        customer_id="c-31",
        text="The kettle works well, but the lid could open wider.",
        channel=FeedbackChannel.CHAT,
        policy=POLICY,
        calendar=CALENDAR,
        clock=clock,
        order_id="O-5521",
    )
    print(f"{record.id}: received {local(record.received_at)}, due {local(record.answer_due_at)}")
    record.read(actor=AGENT)
    record.record(
        kind=FeedbackKind.SUGGESTION,
        sentiment=Sentiment.POSITIVE,
        summary="Wider lid opening for filling.",
        actor=AGENT,
    )
    clock.set(pendulum.datetime(2026, 3, 9, 15, tz=ZONE))
    record.answer(message="Thank you! We passed it to the product team.", actor=AGENT)
    record.schedule_revisits(
        policy=POLICY,
        calendar=CALENDAR,
        actor=AGENT,
        delivered_at=pendulum.datetime(2026, 3, 8, 14, tz=ZONE),
    )
    for revisit in record.schedule:
        print(
            f"  revisit {revisit.after.days} days after {revisit.anchor.value}: "
            f"due {local(revisit.due_at)}, on time until {local(revisit.deadline)}"
        )
    print(f"  next due: {local(record.next_due())}")
    clock.set(pendulum.datetime(2026, 3, 11, 16, tz=ZONE))
    record.revisit(reached=True, satisfied=True, note="Happy with the kettle.", actor=AGENT)
    return record


def late_problem() -> FeedbackRecord:
    clock = FixedClock(pendulum.datetime(2026, 3, 6, 19, tz=ZONE))
    record = FeedbackRecord.receive(
        id="FB-2",
        customer_id="c-7",
        text="The base makes a clicking noise.",
        channel=FeedbackChannel.PHONE,
        policy=POLICY,
        calendar=CALENDAR,
        clock=clock,
    )
    print(f"{record.id}: received {local(record.received_at)}, due {local(record.answer_due_at)}")
    clock.set(pendulum.datetime(2026, 3, 10, 8, tz=ZONE))
    print(f"  timer due {local(record.next_due())}: {record.can('mark_overdue')}")
    record.mark_overdue()
    record.read(actor=AGENT)
    record.record(
        kind=FeedbackKind.PROBLEM,
        sentiment=Sentiment.NEGATIVE,
        summary="Clicking base; thermostat suspected.",
        actor=AGENT,
        complaint_id="TS-14",
    )
    clock.set(pendulum.datetime(2026, 3, 10, 11, tz=ZONE))
    record.answer(message="Sorry for the wait; a technician will call you.", actor=AGENT)
    print(f"  answered {local(record.answered_at)}, late from {local(record.overdue_at)}")
    return record


def praise() -> FeedbackRecord:
    clock = FixedClock(pendulum.datetime(2026, 3, 10, 9, 30, tz=ZONE))
    record = FeedbackRecord.receive(
        id="FB-3",
        customer_id="c-40",
        text="Fast delivery, friendly service.",
        channel=FeedbackChannel.QUESTIONNAIRE,
        policy=POLICY,
        calendar=CALENDAR,
        clock=clock,
        kind=FeedbackKind.PRAISE,
    )
    record.read(actor=AGENT)
    record.record(
        kind=FeedbackKind.PRAISE, sentiment=Sentiment.POSITIVE, summary="Praise.", actor=AGENT
    )
    record.answer(message="Thank you for your kind words!", actor=AGENT)
    record.close(actor=AGENT)
    return record


def main() -> None:
    records = [late_problem(), suggestion(), praise()]
    for record in records:
        print(f"{record.id}: {path(record)}")
    report = feedback_report(
        records, CALENDAR, now=pendulum.datetime(2026, 3, 16, 9, tz=ZONE), zone=ZONE, days=10
    )
    channels = ", ".join(f"{c.value} {n}" for c, n in report.by_channel)
    kinds = ", ".join(f"{k.value} {n}" for k, n in report.by_kind)
    start = local(report.window_start)
    print(f"{report.days} days from {start}: {report.received} records ({channels})")
    print(f"  kinds: {kinds}")
    print(f"  answered in time: {report.in_time_rate}")
    print(f"  working time to answer: median {report.answer_median}, p90 {report.answer_p90}")
    print(
        f"  revisits: {report.revisits_done} done of {report.revisits_scheduled} scheduled, "
        f"on time {report.on_time_rate}"
    )


if __name__ == "__main__":
    main()
