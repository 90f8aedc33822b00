"""The survey aggregate: its workflow, its window, one answer at most, refusals that change
nothing, and loading through the constructor."""

from __future__ import annotations

import datetime as _dt

import attrs
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import (
    InvalidTransition,
    NaiveDatetime,
    PolicyViolation,
    ValidationError,
)
from ecservice.satisfaction import (
    DEFAULT_QUESTIONS,
    MAX_RESPONSE_WINDOW,
    SURVEY_TIMER,
    SURVEY_WORKFLOW,
    Answer,
    InvalidScore,
    NotTheCustomer,
    Question,
    QuestionKind,
    SubjectKind,
    Survey,
    SurveyAnswered,
    SurveyCancelled,
    SurveyChannel,
    SurveyExpired,
    SurveyReminded,
    SurveySent,
    SurveyStatus,
    SurveySubject,
)
from ecservice.workflow import Actor
from tests.satisfaction.rig import AGENT, BUYER, MICRO, START, new_survey, rebuilt, snapshot

S = SurveyStatus
WEEK = _dt.timedelta(days=7)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def sent(clock: FixedClock, **overrides: object) -> Survey:
    survey = new_survey(clock=clock, **overrides)
    survey.send(actor=AGENT)
    return survey


def test_every_trigger_of_the_workflow_has_a_typed_method() -> None:
    """Each trigger is a method of Survey with annotated parameters and an actor."""
    import inspect

    for name in SURVEY_WORKFLOW.triggers:
        method = getattr(Survey, name)
        assert inspect.isfunction(method)
        hints = inspect.get_annotations(method)
        assert "return" in hints
        assert "actor" in inspect.signature(method).parameters


def test_a_survey_is_sent_answered_once_and_emits_events(clock: FixedClock) -> None:
    survey = sent(clock)
    assert survey.status is S.SENT
    assert survey.sent_at == START
    assert survey.expires_at == START + WEEK
    assert survey.due_at == START + WEEK
    clock.set(START + _dt.timedelta(days=2))
    survey.answer(answers={"csat": 5, "nps": 9, "comment": " 很好 "}, actor=BUYER)
    assert survey.status is S.ANSWERED
    assert survey.is_final
    assert survey.answers == (
        Answer(key="csat", score=5),
        Answer(key="nps", score=9),
        Answer(key="comment", text="很好"),
    )
    assert (survey.csat_score, survey.nps_score) == (5, 9)
    assert survey.answered_at == START + _dt.timedelta(days=2)
    assert survey.due_at is None
    events = survey.pull_events()
    assert [type(e) for e in events] == [SurveySent, SurveyAnswered]
    assert isinstance(events[1], SurveyAnswered)
    assert events[1].answers == survey.answers
    with pytest.raises(InvalidTransition):
        survey.answer(answers={"csat": 1}, actor=BUYER)


def test_an_nps_score_of_11_is_refused_by_name_and_changes_nothing(clock: FixedClock) -> None:
    survey = sent(clock)
    before = snapshot(survey)
    with pytest.raises(InvalidScore, match=r"nps: .* from 0 to 10, not 11") as info:
        survey.answer(answers={"nps": 11, "csat": 5}, actor=BUYER)
    assert (info.value.question, info.value.given, info.value.low, info.value.high) == (
        "nps",
        "11",
        0,
        10,
    )
    assert snapshot(survey) == before
    assert not survey.can("answer", answers={"nps": 11}, actor=BUYER)


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        ({"csat": 0}, InvalidScore),
        ({"csat": 6}, InvalidScore),
        ({"csat": True}, InvalidScore),
        ({"nps": 4.0}, InvalidScore),
        ({"nps": -1}, InvalidScore),
        ({"csat": "5"}, InvalidScore),
        ({"comment": 5}, ValidationError),
        ({"comment": "   "}, ValidationError),
        ({"unknown": 5}, ValidationError),
        ({}, ValidationError),
        ("csat=5", ValidationError),
        ([Answer(key="csat", score=4), Answer(key="csat", score=5)], ValidationError),
    ],
)
def test_bad_answers_raise_a_specific_error_and_change_nothing(
    clock: FixedClock, answers: object, error: type[Exception]
) -> None:
    survey = sent(clock)
    before = snapshot(survey)
    with pytest.raises(error):
        survey.answer(answers=answers, actor=BUYER)  # type: ignore[arg-type]
    assert snapshot(survey) == before


def test_scale_edges_are_accepted(clock: FixedClock) -> None:
    survey = sent(clock)
    survey.answer(answers={"csat": 1, "nps": 0}, actor=BUYER)
    other = sent(FixedClock(START), id="SV-2")
    other.answer(answers=[Answer(key="nps", score=10), Answer(key="csat", score=5)], actor=BUYER)
    assert (other.csat_score, other.nps_score) == (5, 10)
    assert [a.key for a in other.answers] == ["csat", "nps"]  # the questions' order


def test_the_window_ends_one_microsecond_after_its_last_instant(clock: FixedClock) -> None:
    survey = sent(clock)
    clock.set(START + WEEK - MICRO)
    assert survey.can("answer", answers={"csat": 4}, actor=BUYER)
    assert not survey.can("expire")
    clock.set(START + WEEK)
    before = snapshot(survey)
    with pytest.raises(PolicyViolation, match="response window ended"):
        survey.answer(answers={"csat": 4}, actor=BUYER)
    with pytest.raises(PolicyViolation):
        survey.remind(actor=AGENT)
    assert snapshot(survey) == before
    survey.expire()
    assert survey.status is S.EXPIRED
    assert survey.history[-1].actor == SURVEY_TIMER
    assert isinstance(survey.pending_events[-1], SurveyExpired)


def test_expiry_before_the_window_ends_is_refused(clock: FixedClock) -> None:
    survey = sent(clock)
    clock.set(START + WEEK - MICRO)
    with pytest.raises(PolicyViolation, match="cannot expire"):
        survey.expire()
    assert survey.status is S.SENT


def test_reminders_are_limited_by_max_reminders(clock: FixedClock) -> None:
    survey = sent(clock, max_reminders=2)
    survey.remind(actor=AGENT)
    survey.remind(actor=AGENT)
    assert survey.status is S.REMINDED
    assert survey.reminders == 2
    assert [e.reminder for e in survey.pull_events() if isinstance(e, SurveyReminded)] == [1, 2]
    with pytest.raises(PolicyViolation, match="allows 2"):
        survey.remind(actor=AGENT)
    survey.answer(answers={"comment": "ok"}, actor=BUYER)
    assert survey.status is S.ANSWERED
    assert sent(FixedClock(START), id="SV-0", max_reminders=0).can("remind", actor=AGENT) is False


def test_only_a_scheduled_survey_is_cancelled(clock: FixedClock) -> None:
    survey = new_survey(clock=clock)
    assert set(survey.allowed_triggers()) == {"send", "cancel"}
    survey.cancel(actor=BUYER, note="no more messages, please")
    assert survey.status is S.CANCELLED
    assert isinstance(survey.pending_events[-1], SurveyCancelled)
    with pytest.raises(InvalidTransition):
        survey.send(actor=AGENT)
    with pytest.raises(InvalidTransition):
        sent(FixedClock(START), id="SV-2").cancel(actor=AGENT)


def test_a_trigger_before_the_schedule_is_refused() -> None:
    clock = FixedClock(START - MICRO)
    survey = new_survey(clock=clock)
    with pytest.raises(ValidationError, match="before the survey was scheduled"):
        survey.send(actor=AGENT)
    assert survey.version == 0


def test_a_non_actor_is_refused(clock: FixedClock) -> None:
    survey = new_survey(clock=clock)
    with pytest.raises(ValidationError, match="actor"):
        survey.send(actor="agent")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_id", ""),
        ("subject", "O-1"),
        ("channel", "sms"),
        ("questions", ()),
        ("questions", (DEFAULT_QUESTIONS[0], DEFAULT_QUESTIONS[0])),
        (
            "questions",
            (
                Question(key="a", kind=QuestionKind.NPS, text="?"),
                Question(key="b", kind=QuestionKind.NPS, text="?"),
            ),
        ),
        ("questions", "csat"),
        ("response_window", _dt.timedelta(0)),
        ("response_window", MAX_RESPONSE_WINDOW + MICRO),
        ("response_window", 7),
        ("max_reminders", -1),
        ("max_reminders", 4),
        ("max_reminders", True),
        ("answers", (Answer(key="csat", score=4),)),
        ("answers", "csat"),
    ],
)
def test_the_constructor_refuses_bad_fields(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        new_survey(**{field: value})


def test_a_naive_schedule_is_refused() -> None:
    with pytest.raises(NaiveDatetime):
        new_survey(scheduled_at=_dt.datetime(2026, 3, 1, 8))


def test_value_objects_validate() -> None:
    with pytest.raises(ValidationError):
        SurveySubject(kind="order", id="O-1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Question(key="q", kind="csat", text="?")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="exactly one"):
        Answer(key="csat")
    with pytest.raises(ValidationError, match="exactly one"):
        Answer(key="csat", score=3, text="x")
    with pytest.raises(ValidationError):
        Answer(key="csat", score=True)
    assert str(SurveySubject(kind=SubjectKind.COMPLAINT, id="TS-1")) == "complaint TS-1"
    assert QuestionKind.TEXT.scale is None
    assert QuestionKind.NPS.scale == (0, 10)


def test_the_survey_round_trips_through_its_constructor(clock: FixedClock) -> None:
    survey = sent(clock)
    survey.remind(actor=AGENT)
    survey.answer(answers={"nps": 3, "comment": "多行\n意见"}, actor=BUYER)
    again = rebuilt(survey)
    assert again == survey
    assert again.nps_score == 3


def test_loading_refuses_fields_that_disagree_with_the_history(clock: FixedClock) -> None:
    survey = sent(clock)
    clock.set(START + _dt.timedelta(days=1))
    survey.answer(answers={"csat": 4}, actor=BUYER)
    fields = attrs.asdict(survey, recurse=False)
    for name in ("_firing", "_events"):
        fields.pop(name)
    with pytest.raises(ValidationError, match="no answers"):
        Survey(**{**fields, "answers": ()})
    with pytest.raises(ValidationError):
        Survey(**{**fields, "answers": (Answer(key="nope", score=4),)})
    with pytest.raises(ValidationError, match="after its response window"):
        Survey(**{**fields, "response_window": _dt.timedelta(days=1)})
    with pytest.raises(ValidationError, match="before it was scheduled"):
        Survey(**{**fields, "scheduled_at": START + MICRO})
    expired = sent(FixedClock(START), id="SV-2")
    expired.clock.set(START + WEEK)  # type: ignore[attr-defined]
    expired.expire()
    fields = attrs.asdict(expired, recurse=False)
    for name in ("_firing", "_events"):
        fields.pop(name)
    with pytest.raises(ValidationError, match="expired before"):
        Survey(**{**fields, "response_window": WEEK + MICRO})


def test_labels_are_english_and_chinese() -> None:
    assert [s.label_zh for s in SurveyStatus] == [
        "待发送",
        "已发送",
        "已提醒",
        "已回复",
        "已过期",
        "已取消",
    ]
    assert Actor.system("survey-timer") == SURVEY_TIMER


@pytest.mark.parametrize(
    "stranger",
    [Actor.buyer("b-2"), Actor.carrier("sf-express"), Actor.system("b-1"), SURVEY_TIMER],
    ids=lambda a: f"{a.kind.value}-{a.id}",
)
def test_only_the_customer_or_staff_answers(clock: FixedClock, stranger: Actor) -> None:
    """Another buyer, a carrier or a system job cannot answer, whatever the answers (checked
    first); the customer still can."""
    survey = sent(clock)
    assert not survey.can("answer", answers={"csat": 1}, actor=stranger)
    before = snapshot(survey)
    with pytest.raises(NotTheCustomer, match=r"only the customer 'b-1' may answer"):
        survey.answer(answers={"csat": 1}, actor=stranger)
    assert snapshot(survey) == before
    # Who answers is checked before the answers: malformed ones tell a stranger nothing either.
    for answers in ({"csat": 11}, {"unknown": 1}, {}):
        with pytest.raises(NotTheCustomer):
            survey.answer(answers=answers, actor=stranger)
    assert snapshot(survey) == before
    assert survey.can("answer", answers={"csat": 5}, actor=BUYER)
    survey.answer(answers={"csat": 5}, actor=BUYER)
    assert (survey.status, survey.csat_score) == (S.ANSWERED, 5)


def test_staff_records_a_phone_survey_for_the_customer(clock: FixedClock) -> None:
    survey = sent(clock, channel=SurveyChannel.PHONE)
    assert survey.can("answer", answers={"nps": 8}, actor=AGENT)
    record = survey.answer(answers={"nps": 8}, actor=AGENT)
    assert (record.actor, survey.nps_score) == (AGENT, 8)
    assert rebuilt(survey) == survey


def test_messages_count_in_words(clock: FixedClock) -> None:
    survey = sent(clock)
    survey.remind(actor=AGENT)
    with pytest.raises(PolicyViolation, match=r"was reminded 1 time; it allows 1 "):
        survey.remind(actor=AGENT)
    with pytest.raises(InvalidScore, match=r"not an int$") as caught:
        survey.answer(answers={"nps": 10**50}, actor=BUYER)
    assert caught.value.given == "an int"
    with pytest.raises(InvalidScore, match=r"not a str$"):
        survey.answer(answers={"csat": "x" * 50}, actor=BUYER)  # type: ignore[dict-item]
