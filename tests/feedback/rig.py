"""Builders shared by the feedback tests, and records driven through random valid paths."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st

from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.feedback import (
    FeedbackChannel,
    FeedbackKind,
    FeedbackPolicy,
    FeedbackRecord,
    Sentiment,
)
from ecservice.workflow import Actor

ZONE = "Asia/Shanghai"
AGENT = Actor.staff("kefu-1")
CALENDAR = ShopCalendar()
POLICY = FeedbackPolicy.shop_default()
MICRO = _dt.timedelta(microseconds=1)


def sh(*args: int) -> pendulum.DateTime:
    """An instant given in the shop's zone."""
    return pendulum.datetime(*args, tz=ZONE)


#: Monday 2 March 2026, 10:00 in Shanghai (a working day, opening hours 09:00-18:00): the
#: answer is due at the close of Tuesday 3 March.
START = sh(2026, 3, 2, 10)
DUE = sh(2026, 3, 3, 18)


def new_record(*, clock: FixedClock | None = None, **overrides: Any) -> FeedbackRecord:
    """Feedback by chat about order O-1, received at :data:`START`, due at :data:`DUE`."""
    fields: dict[str, Any] = {
        "id": "FB-1",
        "customer_id": "c-1",
        "text": "The kettle works, but it is loud.",
        "channel": FeedbackChannel.CHAT,
        "received_at": START,
        "answer_due_at": DUE,
        "order_id": "O-1",
        "clock": clock if clock is not None else FixedClock(START),
    }
    fields.update(overrides)
    return FeedbackRecord(**fields)


def snapshot(record: FeedbackRecord) -> dict[str, Any]:
    """Every field of the record (the clock aside) and its queued events."""
    fields = attrs.asdict(record, recurse=False)
    fields.pop("clock")
    return {**fields, "history": tuple(record.history), "events": record.pending_events}


def rebuilt(record: FeedbackRecord) -> FeedbackRecord:
    """The record built again from its fields, as storage would load it."""
    fields = {f.name: getattr(record, f.name) for f in attrs.fields(FeedbackRecord) if f.init}
    return FeedbackRecord(**fields)


def recorded(record: FeedbackRecord) -> FeedbackRecord:
    record.read(actor=AGENT)
    record.record(
        kind=FeedbackKind.SUGGESTION, sentiment=Sentiment.NEUTRAL, summary="Loud.", actor=AGENT
    )
    return record


def answered(record: FeedbackRecord) -> FeedbackRecord:
    recorded(record)
    record.answer(message="Thank you; we passed it on.", actor=AGENT)
    return record


def candidates(record: FeedbackRecord) -> list[tuple[str, dict[str, Any]]]:
    """Calls a record may accept (valid arguments; ``can`` decides which apply now)."""
    now = record.clock.now()
    return [
        ("read", {}),
        ("record", {"kind": FeedbackKind.PROBLEM, "sentiment": Sentiment.NEGATIVE, "summary": "x"}),
        ("record", {"kind": FeedbackKind.PRAISE, "sentiment": Sentiment.POSITIVE, "summary": "y"}),
        ("answer", {"message": "Thanks."}),
        ("mark_overdue", {}),
        (
            "schedule_revisits",
            {"policy": POLICY, "calendar": CALENDAR, "delivered_at": now},
        ),
        ("revisit", {"reached": True, "satisfied": True}),
        ("revisit", {"reached": True, "satisfied": None, "note": "busy"}),
        ("revisit", {"reached": False}),
        ("close", {"note": "no further contact wanted"}),
        ("close", {}),
    ]


@st.composite
def records(draw: st.DrawFn, *, max_steps: int = 12) -> FeedbackRecord:
    """A record after a random valid path, its events pulled (as a store's save would)."""
    clock = FixedClock(START)
    record = new_record(
        clock=clock,
        id=draw(st.sampled_from(["FB-1", "FB-2026-000042", "反馈-7"])),
        channel=draw(st.sampled_from(list(FeedbackChannel))),
        order_id=draw(st.sampled_from([None, "O-1"])),
        case_id=draw(st.sampled_from([None, "AS-1"])),
    )
    for _ in range(draw(st.integers(0, max_steps))):
        clock.set(
            clock.now() + draw(st.timedeltas(min_value=MICRO, max_value=_dt.timedelta(days=4)))
        )
        options = [
            (trigger, kwargs)
            for trigger, kwargs in candidates(record)
            if record.can(trigger, actor=AGENT, **kwargs)
        ]
        if not options:
            break
        trigger, kwargs = draw(st.sampled_from(options))
        getattr(record, trigger)(actor=AGENT, **kwargs)
    record.pull_events()
    return record
