"""No transition of a complaint is recorded before the complaint was opened."""

from __future__ import annotations

import datetime as _dt

import pytest

from ecservice.clock import FixedClock
from ecservice.errors import ValidationError
from ecservice.storage import dump_complaint, load_complaint
from ecservice.workflow import Actor
from tests.complaints.rig import START, new_complaint, snapshot

AGENT = Actor.staff("kefu-1")


def test_a_reply_before_the_opening_is_refused_and_changes_nothing() -> None:
    clock = FixedClock(START)
    complaint = new_complaint(clock=clock, opened_at=START + _dt.timedelta(hours=1))
    before = snapshot(complaint)
    with pytest.raises(ValidationError, match="before the complaint was opened"):
        complaint.reply(message="Sorry to hear that.", actor=AGENT)
    assert snapshot(complaint) == before
    clock.set(START + _dt.timedelta(hours=1))
    complaint.reply(message="Sorry to hear that.", actor=AGENT)
    assert load_complaint(dump_complaint(complaint)).version == 1
