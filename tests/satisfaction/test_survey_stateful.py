"""Stateful test of the survey: random calls, valid or not, and clock moves.

The allowed moves are modelled here independently of ``SURVEY_WORKFLOW``'s table (from the
documented rules: sent once, answered once inside the window, reminded at most
``max_reminders`` times inside it, expired only after it, cancelled only before sending). After
every call the test checks:

* ``can(trigger, ...)`` answered, before the call, whether the call succeeded;
* a failing call raised an error of the library's hierarchy and changed nothing;
* a successful call took the survey where the model says, appending one history record;
* ``version == len(history)`` and the survey rebuilt from its fields (the storage path) equals it.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.satisfaction import SurveyStatus
from ecservice.workflow import Actor
from tests.satisfaction.rig import AGENT, BUYER, MICRO, START, new_survey, rebuilt, snapshot

S = SurveyStatus
AWAITING = (S.SENT, S.REMINDED)
actors = st.sampled_from([AGENT, BUYER, Actor.system("job"), "agent"])
answer_values = st.dictionaries(
    st.sampled_from(["csat", "nps", "comment", "other"]),
    st.one_of(st.integers(-1, 12), st.sampled_from(["ok", " ", "多行\n文字", 4.0, True])),
    max_size=3,
)


def valid_answers(answers: dict[str, Any]) -> bool:
    """Whether ``answers`` fit the default questions (as the documented rules say)."""
    if not answers:
        return False
    for key, value in answers.items():
        if key in ("csat", "nps"):
            low, high = (1, 5) if key == "csat" else (0, 10)
            if type(value) is not int or not low <= value <= high:
                return False
        elif key == "comment":
            if not isinstance(value, str) or not value.strip():
                return False
        else:
            return False
    return True


class SurveyMachine(RuleBasedStateMachine):
    @initialize(window_hours=st.integers(1, 200), max_reminders=st.integers(0, 3))
    def start(self, window_hours: int, max_reminders: int) -> None:
        self.clock = FixedClock(START)
        self.window = _dt.timedelta(hours=window_hours)
        self.survey = new_survey(
            clock=self.clock, response_window=self.window, max_reminders=max_reminders
        )
        self.max_reminders = max_reminders
        self.state = S.SCHEDULED
        self.sent_at: Any = None
        self.reminders = 0

    def expected(self, trigger: str, kw: dict[str, Any]) -> SurveyStatus | None:
        s = self.state
        if not isinstance(kw.get("actor"), Actor):
            return None
        now = self.clock.now()
        open_window = s in AWAITING and now < self.sent_at + self.window
        if trigger == "send":
            return S.SENT if s is S.SCHEDULED else None
        if trigger == "cancel":
            return S.CANCELLED if s is S.SCHEDULED else None
        if trigger == "remind":
            ok = open_window and self.reminders < self.max_reminders
            return S.REMINDED if ok else None
        if trigger == "answer":
            return S.ANSWERED if open_window and valid_answers(kw["answers"]) else None
        if trigger == "expire":
            ok = s in AWAITING and now >= self.sent_at + self.window
            return S.EXPIRED if ok else None
        raise AssertionError(trigger)

    def call(self, trigger: str, **kw: Any) -> None:
        survey = self.survey
        dest = self.expected(trigger, kw)
        before = snapshot(survey)
        answer = survey.can(trigger, **kw)
        try:
            getattr(survey, trigger)(**kw)
        except EcServiceError:
            assert dest is None, (trigger, kw, self.state)
            assert not answer
            assert snapshot(survey) == before
            return
        assert dest is not None, (trigger, kw, self.state)
        assert answer, (trigger, kw)
        assert survey.status is dest
        assert survey.version == before["version"] + 1
        if trigger == "send":
            self.sent_at = self.clock.now()
        if trigger == "remind":
            self.reminders += 1
        self.state = dest

    @rule(delta=st.sampled_from([MICRO, _dt.timedelta(hours=5), _dt.timedelta(days=3)]))
    def tick(self, delta: _dt.timedelta) -> None:
        self.clock.set(self.clock.now() + delta)

    @rule(actor=actors)
    def send(self, actor: object) -> None:
        self.call("send", actor=actor)

    @rule(actor=actors)
    def cancel(self, actor: object) -> None:
        self.call("cancel", actor=actor, note="opted out")

    @rule(actor=actors)
    def remind(self, actor: object) -> None:
        self.call("remind", actor=actor)

    @rule(answers=answer_values, actor=st.sampled_from([BUYER, BUYER, "b-1"]))
    def answer(self, answers: dict[str, Any], actor: object) -> None:
        self.call("answer", answers=answers, actor=actor)

    @rule()
    def answer_well(self) -> None:
        self.call("answer", answers={"csat": 4, "nps": 9}, actor=BUYER)

    @rule()
    def expire(self) -> None:
        self.call("expire", actor=Actor.system("survey-timer"))

    @invariant()
    def consistent(self) -> None:
        survey = self.survey
        assert survey.version == len(survey.history)
        assert survey.status is self.state
        assert survey.reminders == self.reminders
        assert rebuilt(survey) == survey
        assert (survey.answers != ()) == (survey.status is S.ANSWERED)


SurveyMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=25, suppress_health_check=[HealthCheck.too_slow]
)
TestSurveyMachine = SurveyMachine.TestCase
