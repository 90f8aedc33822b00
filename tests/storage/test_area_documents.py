"""The aggregates of the service areas (ratings, feedback records, consultation sessions,
surveys) round-trip through their documents after every step of their workflows' stateful
tests, and are stored and found due in SQLite like the core's aggregates.

Each area's state machine runs again here with one more invariant: the aggregate written as a
JSON document and read back (through its validating constructor) equals the aggregate, history
included, and its timer answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant

from ecservice.clock import FixedClock
from ecservice.storage import (
    CONSULTATION_SERIALIZER,
    FEEDBACK_SERIALIZER,
    RATING_SERIALIZER,
    SURVEY_SERIALIZER,
    AggregateSerializer,
    default_timers,
    feedback_next_due,
    rating_next_due,
    survey_next_due,
)
from ecservice.storage.sql import SqlStore
from tests.consultation.test_session_stateful import SessionMachine
from tests.feedback.test_record_stateful import FeedbackMachine
from tests.ratings.rig import new_rating
from tests.ratings.test_rating_stateful import RatingMachine
from tests.satisfaction.test_survey_stateful import SurveyMachine

SETTINGS = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def round_trips(serializer: AggregateSerializer[Any], aggregate: Any) -> None:
    document = json.loads(json.dumps(serializer.dump(aggregate)))
    assert serializer.load(document, clock=aggregate.clock) == aggregate


class StoredRatings(RatingMachine):
    @invariant()
    def stored(self) -> None:
        if hasattr(self, "rating"):
            round_trips(RATING_SERIALIZER, self.rating)
            rating_next_due(self.rating)


class StoredFeedback(FeedbackMachine):
    @invariant()
    def stored(self) -> None:
        if hasattr(self, "record"):
            round_trips(FEEDBACK_SERIALIZER, self.record)
            feedback_next_due(self.record)


class StoredSessions(SessionMachine):
    @invariant()
    def stored(self) -> None:
        if hasattr(self, "session"):
            round_trips(CONSULTATION_SERIALIZER, self.session)


class StoredSurveys(SurveyMachine):
    @invariant()
    def stored(self) -> None:
        if hasattr(self, "survey"):
            round_trips(SURVEY_SERIALIZER, self.survey)
            survey_next_due(self.survey)


TestStoredRatings = StoredRatings.TestCase
TestStoredRatings.settings = SETTINGS
TestStoredFeedback = StoredFeedback.TestCase
TestStoredFeedback.settings = SETTINGS
TestStoredSessions = StoredSessions.TestCase
TestStoredSessions.settings = SETTINGS
TestStoredSurveys = StoredSurveys.TestCase
TestStoredSurveys.settings = SETTINGS


def test_a_pending_rating_is_stored_and_due_at_the_end_of_its_window(tmp_path: Path) -> None:
    rating = new_rating()
    store = SqlStore(f"sqlite:///{tmp_path}/shop.db", clock=FixedClock(rating.clock.now()))
    store.create_schema()
    try:
        with store.unit_of_work() as uow:
            uow.ratings.add(rating)
            uow.commit()
        deadline = rating.due_at
        assert deadline is not None
        with store.unit_of_work() as uow:
            assert uow.ratings.due(deadline.subtract(microseconds=1)) == []
            (due,) = uow.ratings.due(deadline)
            assert due == rating
            assert due is not rating
    finally:
        store.dispose()


def test_the_default_timers_time_the_service_areas() -> None:
    timers = default_timers()
    assert timers["rating"] is rating_next_due
    assert timers["feedback"] is feedback_next_due
    assert timers["survey"] is survey_next_due
    assert "consultation" not in timers


def test_a_document_stored_under_another_id_is_refused(tmp_path: Path) -> None:
    """A row whose document names another aggregate (copied or edited by hand) is not handed
    out under the row's id."""
    import sqlalchemy as sa

    from ecservice.storage import DocumentError
    from ecservice.storage.sql import AGGREGATES

    rating = new_rating()
    store = SqlStore(f"sqlite:///{tmp_path}/shop.db", clock=FixedClock(rating.clock.now()))
    store.create_schema()
    try:
        with store.unit_of_work() as uow:
            uow.ratings.add(rating)
            uow.commit()
        with store.engine.begin() as connection:
            connection.execute(
                sa.update(AGGREGATES).where(AGGREGATES.c.id == rating.id).values(id="R-999")
            )
        with (
            store.unit_of_work() as uow,
            pytest.raises(DocumentError, match="holds the document of 'R-1'"),
        ):
            uow.ratings.get("R-999")
    finally:
        store.dispose()
