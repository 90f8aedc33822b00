"""Builders and strategies shared by the satisfaction tests."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.satisfaction import (
    Purchase,
    SubjectKind,
    Survey,
    SurveyChannel,
    SurveySubject,
)
from ecservice.workflow import Actor

BUYER = Actor.buyer("b-1")
AGENT = Actor.staff("agent-1")
START = pendulum.datetime(2026, 3, 1, 8, 0, 0, tz="UTC")
MICRO = _dt.timedelta(microseconds=1)
ZONE = "Asia/Shanghai"


def new_survey(*, clock: FixedClock | None = None, **overrides: Any) -> Survey:
    """A new survey by text message about order O-1, with the default questions."""
    fields: dict[str, Any] = {
        "id": "SV-1",
        "customer_id": "b-1",
        "subject": SurveySubject(kind=SubjectKind.ORDER, id="O-1"),
        "channel": SurveyChannel.SMS,
        "scheduled_at": START,
        "clock": clock if clock is not None else FixedClock(START),
    }
    fields.update(overrides)
    return Survey(**fields)


def snapshot(survey: Survey) -> dict[str, Any]:
    """Every field of the survey (the clock aside) and its queued events."""
    fields = attrs.asdict(survey, recurse=False)
    fields.pop("clock")
    return {**fields, "history": tuple(survey.history), "events": survey.pending_events}


def rebuilt(survey: Survey) -> Survey:
    """The survey rebuilt through its constructor from its fields (the storage path)."""
    fields = attrs.asdict(survey, recurse=False)
    fields.pop("_firing", None)
    fields.pop("_events", None)
    fields["history"] = tuple(survey.history)
    return Survey(**fields)


def sent_survey(
    kind: SubjectKind, n: int, at: _dt.datetime, *, csat: int | None, nps: int | None
) -> Survey:
    """Survey ``n`` about a subject of ``kind``, sent at ``at`` and answered with the scores
    given (unanswered when both are ``None``)."""
    clock = FixedClock(at)
    survey = new_survey(
        id=f"SV-{kind.value}-{n}",
        subject=SurveySubject(kind=kind, id=f"X-{n}"),
        scheduled_at=at,
        clock=clock,
    )
    survey.send(actor=AGENT)
    answers = {k: v for k, v in (("csat", csat), ("nps", nps)) if v is not None}
    if answers:
        survey.answer(answers=answers, actor=BUYER)
    return survey


csat_scores = st.integers(1, 5)
nps_scores = st.integers(0, 10)
cny = st.integers(0, 10**7).map(lambda cents: Money.from_minor(cents, "CNY"))


@st.composite
def purchases(draw: st.DrawFn, *, max_size: int = 30) -> list[Purchase]:
    """Orders of up to 8 customers over the 800 days before :data:`START`, in CNY."""
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, 7), st.integers(0, 800 * 24 * 60), cny),
            min_size=0,
            max_size=max_size,
        )
    )
    return [
        Purchase(
            customer_id=f"c-{c}",
            order_id=f"O-{i}",
            placed_at=START - _dt.timedelta(minutes=minutes),
            amount=amount,
        )
        for i, (c, minutes, amount) in enumerate(rows)
    ]
