"""What the SQL store indexes about a survey and a consultation session besides their documents
(internal; the tables are in :mod:`ecservice.storage.sql._service_schema`).

A survey's row holds what :func:`~ecservice.satisfaction.satisfaction_report` reads of it
(when it was sent and answered, whether it expired, its CSAT and NPS scores); a session's rows
hold what :func:`~ecservice.consultation.consultation_report` reads (its opening, state,
enquiries, order, open remarks and every response with its wait). A wait in working time
needs the shop's calendar, which SQL cannot evaluate: it is measured when the session is
saved, on the calendar of the store's ``"consultation"`` timer when that is a
:class:`ConsultationTimer`, and the session's row records which calendar (a digest), so that a
report on another calendar is refused instead of giving other figures.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.calendar import CalendarNotConfirmed, WorkingCalendar
from ecservice.consultation import ConsultationSession, ResponseBasis, ResponsePolicy
from ecservice.errors import ValidationError
from ecservice.satisfaction import Survey
from ecservice.storage._aftersales import microseconds
from ecservice.storage._complaint_facts import _canonical
from ecservice.storage._facts import FactRows
from ecservice.storage._repository import Timer

__all__ = [
    "CONSULTATION_FACTS",
    "SURVEY_FACTS",
    "UNCONFIRMED_CALENDAR",
    "ConsultationTimer",
    "calendar_fingerprint",
    "consultation_fact_rows",
    "survey_fact_values",
]

#: The ``calendar`` of a session's facts written while its working time needed a year the
#: calendar had not confirmed: wall-clock waits only; a business-time report refuses them until
#: a refresh.
UNCONFIRMED_CALENDAR: Final = "!calendar-not-confirmed"

_WALL: Final = ResponsePolicy()
_BUSINESS: Final = ResponsePolicy(basis=ResponseBasis.BUSINESS)


@final
@attrs.frozen(slots=True)
class ConsultationTimer:
    """The timer of consultation sessions in a store that measures response times in working
    time: ``timers={..., "consultation": ConsultationTimer(calendar)}``.

    A session is never due (called with one, it answers ``None``: sessions need no timer
    job); the timer names the shop's working calendar, on which a SQL store measures each
    response's wait in working time when it adds or saves a session (beside the wait in real
    time, which it always records). :class:`~ecservice.storage.sql.SqlConsultationReports`
    gives business-time figures (a :class:`~ecservice.consultation.ResponsePolicy` of basis
    ``BUSINESS``) only from waits measured on the calendar it is given; without this timer a
    store records real-time waits only.

    Args:
        calendar: the shop's working calendar (customer-service hours).

    Raises:
        ValidationError: ``calendar`` is not a :class:`~ecservice.calendar.WorkingCalendar`.
    """

    calendar: WorkingCalendar

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.calendar, WorkingCalendar):
            raise ValidationError(
                f"ConsultationTimer needs a WorkingCalendar, not {shown(self.calendar)}"
            )

    def __call__(self, session: Any) -> DateTime | None:
        """``None``: a session needs no timer job."""
        return None


def calendar_fingerprint(calendar: WorkingCalendar) -> str:
    """What business waits are measured on: the calendar's class name and a digest of its
    zone, hours, holidays and overrides (of a calendar that is not an attrs class, its class
    only), the same in every process (internal)."""
    text = json.dumps(_canonical(calendar), sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{type(calendar).__qualname__[:150]}#{digest}"


def survey_fact_values(survey: Survey) -> dict[str, Any]:
    """The survey's row of ``ecs_survey_facts``, column name to value (internal)."""
    sent, answered = survey.sent_at, survey.answered_at
    elapsed = None
    if sent is not None and answered is not None:
        # datetime's own subtraction: a plain timedelta (pendulum's gives an Interval).
        elapsed = microseconds(_dt.datetime.__sub__(answered, sent))
    return {
        "survey_id": survey.id,
        "customer_id": survey.customer_id,
        "subject_kind": survey.subject.kind.name,
        "subject_id": survey.subject.id,
        "status": survey.status.name,
        "sent_at": sent,
        "answered_at": answered,
        "answer_us": elapsed,
        "expired": any(r.trigger == "expire" for r in survey.history),
        "csat": survey.csat_score,
        "nps": survey.nps_score,
    }


def consultation_fact_rows(
    session: ConsultationSession, calendar: WorkingCalendar | None
) -> tuple[FactRows, ...]:
    """The session's rows of the consultation facts tables (internal): waits in real time,
    and in working time on ``calendar`` when one is given and can count the session's days
    (else the row says :data:`UNCONFIRMED_CALENDAR`)."""
    wall = session.responses(_WALL)
    business: tuple[int | None, ...] = (None,) * len(wall)
    named: str | None = None
    if calendar is not None:
        try:
            business = tuple(microseconds(r.waited) for r in session.responses(_BUSINESS, calendar))
            named = calendar_fingerprint(calendar)
        except CalendarNotConfirmed:
            named = UNCONFIRMED_CALENDAR
    sid = session.id
    facts = {
        "session_id": sid,
        "buyer_id": session.buyer_id,
        "opened_at": session.opened_at,
        "status": session.status.name,
        "enquired": bool(session.enquiries),
        "ordered": session.ordered,
        "calendar": named,
    }
    responses = tuple(
        {
            "session_id": sid,
            "n": n,
            "asked_at": r.asked_at,
            "answered_at": r.answered_at,
            "wall_us": microseconds(r.waited),
            "business_us": b,
        }
        for n, (r, b) in enumerate(zip(wall, business, strict=True))
    )
    enquiries = tuple(
        {
            "session_id": sid,
            "position": n,
            "code": t.code,
            "label_en": t.label_en,
            "label_zh": t.label_zh,
        }
        for n, t in enumerate(session.enquiry_types)
    )
    remarks = tuple(
        {"session_id": sid, "position": n, "text": r.text} for n, r in session.open_remarks
    )
    return (
        FactRows("ecs_consultation_facts", "session_id", sid, (facts,)),
        FactRows("ecs_consultation_responses", "session_id", sid, responses),
        FactRows("ecs_consultation_enquiries", "session_id", sid, enquiries),
        FactRows("ecs_consultation_remarks", "session_id", sid, remarks),
    )


@final
class _SurveyFacts:
    """The facts hook of surveys (see :mod:`ecservice.storage._facts`): the facts change with
    the survey's state (sent, answered, expired, cancelled); a reminder writes none."""

    __slots__ = ()

    def key(self, aggregate: Any) -> Hashable:
        survey: Survey = aggregate
        return (survey.status.name, survey.customer_id)

    def rows(self, aggregate: Any, timers: Mapping[str, Timer]) -> Sequence[FactRows]:
        values = survey_fact_values(aggregate)
        return (FactRows("ecs_survey_facts", "survey_id", values["survey_id"], (values,)),)


@final
class _ConsultationFacts:
    """The facts hook of consultation sessions: the facts change with a message, an enquiry,
    the order, a remark (or its text, erased) and the state."""

    __slots__ = ()

    def key(self, aggregate: Any) -> Hashable:
        session: ConsultationSession = aggregate
        return (
            session.status.name,
            session.buyer_id,
            len(session.messages),
            len(session.enquiries),
            session.ordered,
            tuple((r.text, r.followed_up) for r in session.remarks),
        )

    def rows(self, aggregate: Any, timers: Mapping[str, Timer]) -> Sequence[FactRows]:
        timer = timers.get("consultation")
        calendar = timer.calendar if isinstance(timer, ConsultationTimer) else None
        return consultation_fact_rows(aggregate, calendar)


SURVEY_FACTS: Final = _SurveyFacts()
CONSULTATION_FACTS: Final = _ConsultationFacts()
