"""Response times: which reply answers which buyer messages, calendar and business time, and the
policy's validation."""

from __future__ import annotations

import datetime as _dt
import itertools

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecservice.calendar import ShopCalendar
from ecservice.consultation import (
    DEFAULT_FIRST_RESPONSE_TARGET,
    MAX_RESPONSE_TARGET,
    Message,
    ResponseBasis,
    ResponsePolicy,
    Sender,
    responses,
)
from ecservice.errors import ValidationError
from tests.consultation.rig import START

B, A = Sender.BUYER, Sender.AGENT


def _chat(*steps: tuple[Sender, int]) -> list[Message]:
    """Messages at START + the given seconds."""
    return [Message(sender=s, at=START.add(seconds=t), length=5) for s, t in steps]


def test_a_reply_answers_every_buyer_message_since_the_last_reply() -> None:
    """Two buyer messages then a reply: one response, timed from the first of them; a second
    agent message in a row answers nothing; a greeting sent first answers nothing."""
    found = responses(
        _chat((A, 0), (B, 10), (B, 50), (A, 70), (A, 80), (B, 100), (A, 400)),
        ResponsePolicy(),
    )
    assert [(r.asked_at, r.answered_at) for r in found] == [
        (START.add(seconds=10), START.add(seconds=70)),
        (START.add(seconds=100), START.add(seconds=400)),
    ]
    assert [r.waited for r in found] == [_dt.timedelta(seconds=60), _dt.timedelta(minutes=5)]
    assert [r.first for r in found] == [True, False]
    assert [r.within_target for r in found] == [True, False]


def test_targets_are_inclusive_and_first_and_later_targets_differ() -> None:
    """A wait equal to the target is within it; the first response uses the first target."""
    policy = ResponsePolicy(
        first_response_target=_dt.timedelta(seconds=30), response_target=_dt.timedelta(seconds=10)
    )
    found = responses(_chat((B, 0), (A, 30), (B, 40), (A, 51)), policy)
    assert [r.within_target for r in found] == [True, False]


def test_unanswered_buyer_messages_give_no_response() -> None:
    """A buyer still waiting has no response yet."""
    assert responses(_chat((B, 0), (B, 5)), ResponsePolicy()) == ()
    assert responses([], ResponsePolicy()) == ()


def test_business_time_skips_the_night() -> None:
    """Asked at 23:00 on a working day, answered at 09:05 the next: 5 working minutes on the
    default calendar (09:00-18:00), 10 h 5 min of calendar time."""
    asked = pendulum.datetime(2026, 5, 6, 23, tz="Asia/Shanghai")
    chat = [
        Message(sender=B, at=asked, length=3),
        Message(sender=A, at=asked.add(hours=10, minutes=5), length=3),
    ]
    business = ResponsePolicy(basis=ResponseBasis.BUSINESS)
    assert responses(chat, business, ShopCalendar())[0].waited == _dt.timedelta(minutes=5)
    calendar_time = responses(chat, ResponsePolicy())[0].waited
    assert calendar_time == _dt.timedelta(hours=10, minutes=5)
    with pytest.raises(ValidationError, match="WorkingCalendar"):
        responses(chat, business)


def test_messages_out_of_order_and_other_values_are_refused() -> None:
    """A message before the previous one, an item that is not a Message, a policy that is not
    one: ValidationError."""
    with pytest.raises(ValidationError, match="time order"):
        responses(_chat((B, 10), (A, 5)), ResponsePolicy())
    with pytest.raises(ValidationError):
        responses(["hi"], ResponsePolicy())  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        responses([], "3 minutes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"first_response_target": _dt.timedelta(0)},
        {"first_response_target": MAX_RESPONSE_TARGET + _dt.timedelta(microseconds=1)},
        {"response_target": 180},
        {"basis": "business"},
    ],
)
def test_a_policy_validates_its_fields(kwargs: dict[str, object]) -> None:
    """Targets above zero and at most seven days; a ResponseBasis."""
    with pytest.raises(ValidationError):
        ResponsePolicy(**kwargs)  # type: ignore[arg-type]


def test_the_default_policy() -> None:
    """Three minutes, calendar time; the largest target is accepted."""
    policy = ResponsePolicy()
    assert policy.first_response_target == DEFAULT_FIRST_RESPONSE_TARGET == _dt.timedelta(minutes=3)
    assert policy.basis is ResponseBasis.CALENDAR
    assert (
        ResponsePolicy(response_target=MAX_RESPONSE_TARGET).response_target == MAX_RESPONSE_TARGET
    )


chats = st.lists(st.tuples(st.sampled_from([B, A]), st.integers(0, 600)), max_size=30).map(
    lambda steps: _chat(
        *[(s, t) for s, t in zip([x for x, _ in steps], sorted(t for _, t in steps), strict=True)]
    )
)


@given(chats)
def test_response_invariants(chat: list[Message]) -> None:
    """Responses are at most the agent messages, one per run of buyer messages that is
    answered, each non-negative, answered after asked, in time order, only the first marked
    first; every calendar wait is at least its business wait."""
    found = responses(chat, ResponsePolicy())
    agents = [m for m in chat if m.sender is A]
    assert len(found) <= len(agents)
    assert [r.first for r in found] == [i == 0 for i in range(len(found))]
    for r in found:
        assert r.waited >= _dt.timedelta(0)
        assert r.answered_at - r.asked_at == r.waited
    assert all(a.answered_at <= b.asked_at for a, b in itertools.pairwise(found))
    # every buyer message followed by an agent message is covered by exactly one response
    answered = [
        m for i, m in enumerate(chat) if m.sender is B and any(n.sender is A for n in chat[i + 1 :])
    ]
    assert all(any(r.asked_at <= m.at <= r.answered_at for r in found) for m in answered)
    business = responses(chat, ResponsePolicy(basis=ResponseBasis.BUSINESS), ShopCalendar())
    assert all(b.waited <= c.waited for b, c in zip(business, found, strict=True))
