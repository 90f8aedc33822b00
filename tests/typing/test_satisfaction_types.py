"""The satisfaction API's static types, checked by ``mypy --strict tests/typing`` (and run by
pytest): typed trigger methods and views, exact scores, the report, RFM results, and a shop's own
survey workflow bound to a subclass."""

from __future__ import annotations

import datetime as _dt
import decimal
from typing import assert_type

import attrs
import pendulum
from pendulum import DateTime

from ecservice.aftersales import Rate
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.satisfaction import (
    SURVEY_WORKFLOW,
    CsatScore,
    CustomerRfm,
    NpsScore,
    Purchase,
    RfmPolicy,
    RfmScores,
    RfmSegment,
    SatisfactionFigures,
    SatisfactionReport,
    SubjectKind,
    Survey,
    SurveyChannel,
    SurveyStatus,
    SurveySubject,
    rfm_analysis,
    satisfaction_report,
)
from ecservice.workflow import Actor, TransitionRecord, Workflow, bind_workflow

START = pendulum.datetime(2026, 3, 1, 8, tz="UTC")
BUYER, AGENT = Actor.buyer("b-1"), Actor.staff("s-1")


def new_survey(cls: type[Survey] = Survey) -> Survey:
    return cls(
        id="SV-1",
        customer_id="b-1",
        subject=SurveySubject(kind=SubjectKind.AFTERSALES_CASE, id="AS-1"),
        channel=SurveyChannel.CHAT,
        scheduled_at=START,
        clock=FixedClock(START),
    )


def test_survey_types() -> None:
    survey = new_survey()
    assert_type(survey.status, SurveyStatus)
    assert_type(survey.send(actor=AGENT), TransitionRecord)
    assert_type(survey.expires_at, DateTime | None)
    assert_type(survey.response_window, _dt.timedelta)
    assert_type(survey.answer(answers={"csat": 5, "nps": 10}, actor=BUYER), TransitionRecord)
    assert_type(survey.csat_score, int | None)
    assert_type(survey.nps_score, int | None)
    assert survey.status is SurveyStatus.ANSWERED


def test_score_and_report_types() -> None:
    nps = NpsScore.from_scores([10, 0])
    assert_type(nps, NpsScore | None)
    assert nps is not None
    assert_type(nps.value, decimal.Decimal)
    assert_type(nps.promoter_share, Rate)
    csat = CsatScore.from_scores([5])
    assert csat is not None
    assert_type(csat.rate, Rate)
    report = satisfaction_report([], now=START, zone="Asia/Shanghai")
    assert_type(report, SatisfactionReport)
    assert_type(report.for_kind(SubjectKind.ORDER), SatisfactionFigures)
    assert_type(report.overall.response_rate, Rate | None)


def test_rfm_types() -> None:
    rows = rfm_analysis(
        [Purchase(customer_id="c", order_id="O", placed_at=START, amount=Money("1", "CNY"))],
        now=START,
        zone="Asia/Shanghai",
        policy=RfmPolicy.quantiles(),
    )
    assert_type(rows, tuple[CustomerRfm, ...])
    assert_type(rows[0].scores, RfmScores)
    assert_type(rows[0].segment, RfmSegment)
    assert_type(rows[0].monetary, Money)


# A shop's own survey workflow: no reminders, bound to a subclass.
NO_REMINDERS: Workflow[Survey] = SURVEY_WORKFLOW.derive(
    "survey-no-reminders",
    remove_states=[SurveyStatus.REMINDED],
    remove_transitions=["remind"],
)


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class QuietSurvey(Survey):
    """A survey of the shop's workflow."""


bind_workflow(QuietSurvey, NO_REMINDERS)


def test_a_custom_survey_workflow_keeps_the_typed_methods() -> None:
    survey = new_survey(QuietSurvey)
    assert isinstance(survey, QuietSurvey)
    survey.send(actor=AGENT)
    assert not survey.can("remind", actor=AGENT)
    assert_type(survey.answer(answers={"nps": 7}, actor=BUYER), TransitionRecord)
