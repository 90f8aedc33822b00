"""The rating aggregate: rating once within its window, defaults, revisions, answers and
follow-ups, each once and each within its window; refusals change nothing."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import (
    EcServiceError,
    InvalidTransition,
    NaiveDatetime,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money
from ecservice.ratings import (
    RATING_TIMER,
    RATING_WORKFLOW,
    AlreadyRated,
    AnswerRefused,
    DetailedScores,
    Grade,
    InvalidDetailedScore,
    LineRated,
    NotTheBuyer,
    NotTheSeller,
    Rating,
    RatingStatus,
    RatingWindowClosed,
    ReviewPolicy,
    RevisionRefused,
)
from ecservice.workflow import Actor
from tests.ratings.rig import BUYER, DELIVERED, MICRO, SCORES, SELLER, new_rating, rebuilt, snapshot

S = RatingStatus


def rated(grade: Grade = Grade.BAD, **overrides: Any) -> Rating:
    rating = new_rating(**overrides)
    rating.rate(grade=grade, text="The lid cracked.", scores=SCORES, actor=BUYER)
    return rating


def refused(rating: Rating, error: type[EcServiceError], call: Any) -> None:
    """``call`` raises ``error`` and leaves the rating as it was."""
    before = snapshot(rating)
    with pytest.raises(error):
        call()
    assert snapshot(rating) == before


def test_every_trigger_has_a_typed_method() -> None:
    for trigger in RATING_WORKFLOW.triggers:
        assert callable(getattr(Rating, trigger))
        assert getattr(Rating, f"_prepare_{trigger}", None) is not None


def test_rate_records_grade_text_photos_scores_and_event() -> None:
    rating = new_rating()
    record = rating.rate(
        grade=Grade.NEUTRAL, text="  Fine, slow.  ", scores=SCORES, actor=BUYER, photos=["p/1"]
    )
    assert (record.source, record.dest) == (S.PENDING, S.RATED)
    assert (rating.grade, rating.text, rating.photos, rating.scores) == (
        Grade.NEUTRAL,
        "Fine, slow.",
        ("p/1",),
        SCORES,
    )
    assert rating.rated_at == DELIVERED
    assert not rating.by_default
    [event] = rating.pull_events()
    assert isinstance(event, LineRated)
    assert event.grade is Grade.NEUTRAL
    assert event.scores == SCORES
    assert not event.by_default
    assert rebuilt(rating) == rating


def test_a_second_rating_of_the_line_is_refused_and_changes_nothing() -> None:
    rating = rated()
    assert not rating.can("rate", grade=Grade.GOOD, text="x", scores=SCORES, actor=BUYER)
    refused(
        rating,
        AlreadyRated,
        lambda: rating.rate(grade=Grade.GOOD, text="again", scores=SCORES, actor=BUYER),
    )


@pytest.mark.parametrize("bad", [0, 6, -1, True, 4.0, "5", None])
def test_a_score_out_of_range_is_refused(bad: object) -> None:
    with pytest.raises(InvalidDetailedScore, match="from 1 to 5"):
        DetailedScores(described=5, service=bad, logistics=5)  # type: ignore[arg-type]


@pytest.mark.parametrize("score", [1, 5])
def test_scores_at_the_ends_of_the_range_are_accepted(score: int) -> None:
    assert DetailedScores(described=score, service=score, logistics=score).service == score


def test_bad_arguments_to_rate_change_nothing() -> None:
    rating = new_rating()
    refused(
        rating,
        ValidationError,
        lambda: rating.rate(grade="good", text="x", scores=SCORES, actor=BUYER),  # type: ignore[arg-type]
    )
    refused(
        rating,
        ValidationError,
        lambda: rating.rate(grade=Grade.GOOD, text="  ", scores=SCORES, actor=BUYER),
    )
    refused(
        rating,
        ValidationError,
        lambda: rating.rate(grade=Grade.GOOD, text="x", scores=(5, 5, 5), actor=BUYER),  # type: ignore[arg-type]
    )
    refused(
        rating,
        ValidationError,
        lambda: rating.rate(
            grade=Grade.GOOD,
            text="x",
            scores=SCORES,
            actor=BUYER,
            photos=[f"p{i}" for i in range(10)],
        ),
    )
    refused(
        rating,
        ValidationError,
        lambda: rating.rate(
            grade=Grade.GOOD, text="x", scores=SCORES, actor=BUYER, photos=["a", "a"]
        ),
    )
    refused(
        rating,
        NotTheBuyer,
        lambda: rating.rate(grade=Grade.GOOD, text="x", scores=SCORES, actor=Actor.buyer("b-2")),
    )
    refused(
        rating,
        NotTheBuyer,
        lambda: rating.rate(grade=Grade.GOOD, text="x", scores=SCORES, actor=SELLER),
    )


def test_rating_window_boundary() -> None:
    clock = FixedClock(DELIVERED)
    rating = new_rating(clock=clock)
    deadline = DELIVERED + _dt.timedelta(days=15)
    assert rating.rating_deadline == deadline == rating.due_at
    clock.set(deadline - MICRO)
    assert rating.can("rate", grade=Grade.GOOD, text="x", scores=SCORES, actor=BUYER)
    clock.set(deadline)
    assert not rating.can("rate", grade=Grade.GOOD, text="x", scores=SCORES, actor=BUYER)
    refused(
        rating,
        RatingWindowClosed,
        lambda: rating.rate(grade=Grade.GOOD, text="x", scores=SCORES, actor=BUYER),
    )
    rating.rate_by_default()
    assert rating.grade is Grade.GOOD
    assert rating.by_default
    assert (rating.text, rating.photos, rating.scores) == ("", (), None)
    assert rating.history[-1].actor == RATING_TIMER


def test_no_rating_before_the_delivery() -> None:
    rating = new_rating(clock=FixedClock(DELIVERED - MICRO))
    refused(
        rating,
        RatingWindowClosed,
        lambda: rating.rate(grade=Grade.GOOD, text="x", scores=SCORES, actor=BUYER),
    )


def test_default_rating_waits_for_the_end_of_the_window() -> None:
    clock = FixedClock(DELIVERED)
    rating = new_rating(clock=clock)
    clock.set(rating.rating_deadline - MICRO)
    refused(rating, RatingWindowClosed, rating.rate_by_default)
    refused(rating, PolicyViolation, rating.lapse)  # the policy gives a default rating


def test_without_default_rating_the_line_lapses() -> None:
    clock = FixedClock(DELIVERED)
    rating = new_rating(clock=clock, policy=ReviewPolicy(default_good=False))
    clock.set(rating.rating_deadline - MICRO)
    refused(rating, RatingWindowClosed, rating.lapse)
    clock.set(rating.rating_deadline)
    refused(rating, PolicyViolation, rating.rate_by_default)
    rating.lapse()
    assert rating.status is S.UNRATED
    assert rating.is_final
    assert rating.due_at is None
    refused(
        rating,
        RatingWindowClosed,
        lambda: rating.rate(grade=Grade.GOOD, text="x", scores=SCORES, actor=BUYER),
    )


def test_revision_changes_a_bad_rating_to_good_once_as_a_recorded_transition() -> None:
    clock = FixedClock(DELIVERED)
    rating = rated(Grade.BAD, clock=clock)
    clock.advance(days=2)
    record = rating.revise(actor=BUYER, note="The shop replaced it.")
    assert record.internal
    assert record.trigger == "revise"
    assert (rating.grade, rating.revised_from) == (Grade.GOOD, Grade.BAD)
    assert rating.text == "The lid cracked."  # the review itself stays
    assert rating.grade_at(record.at - MICRO) is Grade.BAD
    assert rating.grade_at(record.at) is Grade.GOOD
    refused(rating, RevisionRefused, lambda: rating.revise(actor=BUYER))
    assert rebuilt(rating) == rating


def test_revision_window_boundary() -> None:
    clock = FixedClock(DELIVERED)
    rating = rated(Grade.NEUTRAL, clock=clock)
    deadline = DELIVERED + _dt.timedelta(days=30)
    assert rating.revision_deadline == deadline
    clock.set(deadline)
    refused(rating, RatingWindowClosed, lambda: rating.revise(actor=BUYER))
    other_clock = FixedClock(DELIVERED)
    other = rated(Grade.NEUTRAL, clock=other_clock)
    other_clock.set(deadline - MICRO)
    other.revise(actor=BUYER)
    assert other.grade is Grade.GOOD


def test_good_default_and_unrevisable_ratings_refuse_revision() -> None:
    good = rated(Grade.GOOD)
    refused(good, RevisionRefused, lambda: good.revise(actor=BUYER))
    tmall = rated(Grade.BAD, policy=ReviewPolicy(revisable=False))
    refused(tmall, RevisionRefused, lambda: tmall.revise(actor=BUYER))
    clock = FixedClock(DELIVERED)
    default = new_rating(clock=clock)
    clock.set(default.rating_deadline)
    default.rate_by_default()
    refused(default, RevisionRefused, lambda: default.revise(actor=BUYER))
    refused(default, AnswerRefused, lambda: default.explain(text="thanks", actor=SELLER))
    other = rated(Grade.BAD)
    refused(other, NotTheBuyer, lambda: other.revise(actor=SELLER))


def test_answer_once_within_its_window() -> None:
    clock = FixedClock(DELIVERED)
    rating = rated(clock=clock)
    assert rating.rated_at is not None
    clock.set(rating.rated_at + _dt.timedelta(days=30))
    refused(rating, RatingWindowClosed, lambda: rating.explain(text="Sorry", actor=SELLER))
    rating2 = rated(clock=FixedClock(DELIVERED))
    rating2.explain(text="We sent a new lid.", actor=SELLER)
    refused(rating2, AnswerRefused, lambda: rating2.explain(text="Edited", actor=SELLER))
    assert rating2.explanation == "We sent a new lid."


def test_follow_up_is_added_once_and_never_replaces_the_review() -> None:
    clock = FixedClock(DELIVERED)
    rating = rated(clock=clock)
    clock.advance(days=20)
    rating.append(text="Works after a month.", actor=BUYER, photos=["p/2"])
    assert rating.status is S.FOLLOWED_UP
    assert (rating.text, rating.follow_up, rating.follow_up_photos) == (
        "The lid cracked.",
        "Works after a month.",
        ("p/2",),
    )
    refused(rating, InvalidTransition, lambda: rating.append(text="more", actor=BUYER))
    rating.explain_follow_up(text="Glad to hear.", actor=SELLER)
    refused(rating, AnswerRefused, lambda: rating.explain_follow_up(text="x", actor=SELLER))
    assert rebuilt(rating) == rating


def test_follow_up_window_boundary() -> None:
    clock = FixedClock(DELIVERED)
    rating = rated(clock=clock)
    deadline = DELIVERED + _dt.timedelta(days=180)
    assert rating.follow_up_deadline == deadline
    clock.set(deadline)
    refused(rating, RatingWindowClosed, lambda: rating.append(text="late", actor=BUYER))
    refused(rating, NotTheBuyer, lambda: rating.append(text="x", actor=SELLER))


def test_close_waits_for_every_window_and_then_nothing_changes() -> None:
    clock = FixedClock(DELIVERED)
    rating = rated(clock=clock)
    closes = rating.closes_at
    assert closes == DELIVERED + _dt.timedelta(days=180) == rating.due_at
    assert closes is not None
    clock.set(closes - MICRO)
    refused(rating, RatingWindowClosed, rating.close)
    clock.set(closes)
    rating.close()
    assert rating.status is S.CLOSED
    assert rating.due_at is None
    refused(rating, InvalidTransition, lambda: rating.revise(actor=BUYER))
    refused(rating, InvalidTransition, lambda: rating.explain(text="x", actor=SELLER))
    refused(
        rating,
        AlreadyRated,
        lambda: rating.rate(grade=Grade.GOOD, text="x", scores=SCORES, actor=BUYER),
    )


def test_constructor_refuses_fields_that_disagree_with_the_history() -> None:
    rating = rated()
    fields = {f.name: getattr(rating, f.name) for f in attrs.fields(Rating) if f.init}
    for change in (
        {"grade": None},
        {"scores": None},
        {"text": ""},
        {"revised_from": Grade.BAD},
        {"explanation": "made up"},
        {"follow_up": "made up"},
        {"follow_up_photos": ("p",)},
        {"amount": Money("-1.00", "CNY")},
        {"delivered_at": rating.ordered_at - MICRO},
    ):
        with pytest.raises(ValidationError):
            Rating(**{**fields, **change})
    with pytest.raises(ValidationError):
        new_rating(grade=Grade.GOOD)
    with pytest.raises(NaiveDatetime):
        new_rating(ordered_at=_dt.datetime(2026, 3, 2))


@pytest.mark.parametrize(
    "field", ["rating_window", "revision_window", "explanation_window", "follow_up_window"]
)
@pytest.mark.parametrize("bad", [_dt.timedelta(0), _dt.timedelta(days=731), 15])
def test_review_policy_refuses_bad_windows(field: str, bad: object) -> None:
    with pytest.raises(ValidationError, match=field):
        ReviewPolicy(**{field: bad})  # type: ignore[arg-type]


def test_review_policy_refuses_bad_switches() -> None:
    with pytest.raises(ValidationError):
        ReviewPolicy(default_good=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ReviewPolicy(max_photos=21)


STRANGERS = [
    Actor.buyer("b-2"),
    BUYER,
    Actor.carrier("sf-express"),
    Actor.system("rating-timer"),
    Actor.buyer("s-1"),
]


@pytest.mark.parametrize("stranger", STRANGERS, ids=lambda a: f"{a.kind.value}-{a.id}")
def test_only_the_seller_answers_the_review(stranger: Actor) -> None:
    """Another buyer, the buyer, a carrier or a system job cannot answer the review; the real
    seller can still answer it afterwards. can() agrees."""
    rating = rated()
    assert not rating.can("explain", text="Fake answer", actor=stranger)
    refused(rating, NotTheSeller, lambda: rating.explain(text="Fake answer", actor=stranger))
    with pytest.raises(NotTheSeller, match=r"only the seller 's-1' may answer the review"):
        rating.explain(text="Fake answer", actor=stranger)
    assert rating.explanation is None
    assert rating.can("explain", text="Sorry.", actor=SELLER)
    rating.explain(text="Sorry.", actor=SELLER)
    assert rating.explanation == "Sorry."


@pytest.mark.parametrize("stranger", STRANGERS, ids=lambda a: f"{a.kind.value}-{a.id}")
def test_only_the_seller_answers_the_follow_up(stranger: Actor) -> None:
    clock = FixedClock(DELIVERED)
    rating = rated(clock=clock)
    clock.advance(days=20)
    rating.append(text="Still cracked.", actor=BUYER)
    assert not rating.can("explain_follow_up", text="Fake", actor=stranger)
    refused(rating, NotTheSeller, lambda: rating.explain_follow_up(text="Fake", actor=stranger))
    rating.explain_follow_up(text="A new one is on its way.", actor=SELLER)
    assert rating.follow_up_explanation == "A new one is on its way."


@pytest.mark.parametrize("seller", [Actor.staff("any-agent"), Actor.system("s-1")])
def test_the_sellers_staff_or_account_answers(seller: Actor) -> None:
    clock = FixedClock(DELIVERED)
    rating = rated(clock=clock)
    assert rating.can("explain", text="Thanks.", actor=seller)
    rating.explain(text="Thanks.", actor=seller)
    clock.advance(days=1)
    rating.append(text="More.", actor=BUYER)
    assert rating.can("explain_follow_up", text="Thanks again.", actor=seller)
    rating.explain_follow_up(text="Thanks again.", actor=seller)
    assert [r.actor for r in rating.history[-3:]] == [seller, BUYER, seller]
