"""Stateful test of the rating: random calls, valid or not, and clock moves.

The allowed moves are modelled here from the documented rules (not from ``RATING_WORKFLOW``'s
table). After every call the test checks that ``can()`` answered, before the call, whether it
succeeded; that a failing call raised an error of the library's hierarchy and changed nothing;
that a successful one took the rating where the model says, with one more history record; and
that the rating rebuilt from its fields (the storage path) equals it.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.ratings import DetailedScores, Grade, RatingStatus, ReviewPolicy
from ecservice.workflow import Actor
from tests.ratings.rig import BUYER, DELIVERED, SCORES, SELLER, new_rating, rebuilt, snapshot

S = RatingStatus
DAY = _dt.timedelta(days=1)
texts = st.sampled_from(["ok", "ok", "多行\n评价", "  ", "bad\x00"])
actors = st.sampled_from([BUYER, BUYER, SELLER, Actor.buyer("b-9")])


def ok_text(value: str) -> bool:
    return value.strip() != "" and "\x00" not in value


class RatingMachine(RuleBasedStateMachine):
    @initialize(default_good=st.booleans(), revisable=st.booleans())
    def start(self, default_good: bool, revisable: bool) -> None:
        self.clock = FixedClock(DELIVERED)
        self.policy = ReviewPolicy(default_good=default_good, revisable=revisable)
        self.rating = new_rating(clock=self.clock, policy=self.policy)
        self.state = S.PENDING
        self.grade: Grade | None = None
        self.rated_at: Any = None
        self.by_default = False
        self.revised = False
        self.explained = False
        self.followed_at: Any = None
        self.follow_up_explained = False

    # --- the model ---------------------------------------------------------------------------

    def deadlines(self) -> list[Any]:
        p = self.policy
        out = []
        if self.rated_at is None:
            return out
        if (
            p.revisable
            and not self.by_default
            and not self.revised
            and self.grade is not Grade.GOOD
        ):
            out.append(self.rated_at + p.revision_window)
        if not self.by_default and not self.explained:
            out.append(self.rated_at + p.explanation_window)
        if self.followed_at is None:
            out.append(DELIVERED + p.follow_up_window)
        elif not self.follow_up_explained:
            out.append(self.followed_at + p.explanation_window)
        return out

    def expected(self, trigger: str, kw: dict[str, Any]) -> S | None:
        now = self.clock.now()
        p = self.policy
        open_ = self.state in (S.RATED, S.FOLLOWED_UP)
        text_ok = ok_text(kw.get("text", "ok"))
        buyer = kw.get("actor") == BUYER
        if trigger == "rate":
            ok = self.state is S.PENDING and now < DELIVERED + p.rating_window
            return S.RATED if ok and text_ok and buyer else None
        if trigger == "rate_by_default":
            ok = self.state is S.PENDING and now >= DELIVERED + p.rating_window
            return S.RATED if ok and p.default_good else None
        if trigger == "lapse":
            ok = self.state is S.PENDING and now >= DELIVERED + p.rating_window
            return S.UNRATED if ok and not p.default_good else None
        if trigger == "revise":
            ok = (
                open_
                and p.revisable
                and not self.by_default
                and not self.revised
                and self.grade is not Grade.GOOD
                and now < self.rated_at + p.revision_window
            )
            return self.state if ok and buyer else None
        if trigger == "explain":
            ok = (
                open_
                and not self.by_default
                and not self.explained
                and now < self.rated_at + p.explanation_window
            )
            return self.state if ok and text_ok else None
        if trigger == "append":
            ok = self.state is S.RATED and now < DELIVERED + p.follow_up_window
            return S.FOLLOWED_UP if ok and text_ok and buyer else None
        if trigger == "explain_follow_up":
            ok = (
                self.state is S.FOLLOWED_UP
                and not self.follow_up_explained
                and now < self.followed_at + p.explanation_window
            )
            return self.state if ok and text_ok else None
        assert trigger == "close"
        ok = open_ and now >= max([self.rated_at, *self.deadlines()])
        return S.CLOSED if ok else None

    def fire(self, trigger: str, **kw: Any) -> None:
        rating = self.rating
        want = self.expected(trigger, kw)
        assert rating.can(trigger, **kw) is (want is not None), (trigger, kw, rating.status)
        before = snapshot(rating)
        try:
            getattr(rating, trigger)(**kw)
        except EcServiceError:
            assert want is None, (trigger, kw)
            assert snapshot(rating) == before
            return
        assert want is not None, (trigger, kw)
        assert rating.status is want
        assert len(rating.history) == len(before["history"]) + 1
        self.state = want
        now = self.clock.now()
        if trigger in ("rate", "rate_by_default"):
            self.rated_at = now
            self.by_default = trigger == "rate_by_default"
            self.grade = kw.get("grade", Grade.GOOD)
        elif trigger == "revise":
            self.revised = True
            self.grade = Grade.GOOD
        elif trigger == "explain":
            self.explained = True
        elif trigger == "append":
            self.followed_at = now
        elif trigger == "explain_follow_up":
            self.follow_up_explained = True

    # --- rules -------------------------------------------------------------------------------

    @rule(grade=st.sampled_from(Grade), text=texts, actor=actors)
    def rate(self, grade: Grade, text: str, actor: Actor) -> None:
        self.fire("rate", grade=grade, text=text, scores=SCORES, actor=actor)

    @rule()
    def rate_by_default(self) -> None:
        self.fire("rate_by_default")

    @rule()
    def lapse(self) -> None:
        self.fire("lapse")

    @rule(actor=actors)
    def revise(self, actor: Actor) -> None:
        self.fire("revise", actor=actor)

    @rule(text=texts)
    def explain(self, text: str) -> None:
        self.fire("explain", text=text, actor=SELLER)

    @rule(text=texts, actor=actors)
    def append(self, text: str, actor: Actor) -> None:
        self.fire("append", text=text, actor=actor)

    @rule(text=texts)
    def explain_follow_up(self, text: str) -> None:
        self.fire("explain_follow_up", text=text, actor=SELLER)

    @rule()
    def close(self) -> None:
        self.fire("close")

    @rule(days=st.sampled_from([0, 1, 5, 14, 15, 29, 30, 60, 179]), micro=st.booleans())
    def wait(self, days: int, micro: bool) -> None:
        self.clock.advance(days=days, microseconds=1 if micro else 0)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def agrees_with_history(self) -> None:
        rating = self.rating
        assert rating.version == len(rating.history)
        assert rebuilt(rating) == rating
        assert (rating.grade is None) is (self.rated_at is None)
        if rating.scores is not None:
            assert isinstance(rating.scores, DetailedScores)


TestRatingMachine = RatingMachine.TestCase
TestRatingMachine.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
