"""The stores show their timers (read-only), and the timers made from a policy carry it: an
order timer its :class:`~ecservice.orders.AutoConfirmPolicy`, a draft timer its
:class:`~ecservice.payments.ebills.DraftPolicy` and holder, and they time documents as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import ValidationError
from ecservice.orders import AutoConfirmPolicy
from ecservice.payments.ebills import DEFAULT_DRAFT_POLICY
from ecservice.storage import MemoryStore, default_timers, draft_next_due, order_next_due
from ecservice.storage._timers import DraftTimer, OrderTimer, draft_timer_terms
from ecservice.storage.sql import SqlStore
from tests.payments.ebills import rig
from tests.storage.aggregates import STAFF, an_order
from tests.storage.conftest import START

SEVEN = AutoConfirmPolicy(days=7)


@pytest.fixture(params=["memory", "sqlite"])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def make(store_kind: str, tmp_path: Path) -> Iterator[Any]:
    made: list[SqlStore] = []

    def build(**options: Any) -> MemoryStore | SqlStore:
        if store_kind == "memory":
            return MemoryStore(**options)
        sql = SqlStore(f"sqlite:///{tmp_path / f'shop-{len(made)}.db'}", **options)
        made.append(sql)
        return sql

    yield build
    for sql in made:
        sql.dispose()


def test_a_store_shows_the_timers_it_was_given(make: Any) -> None:
    timer = order_next_due(SEVEN)
    store = make(timers={"order": timer})
    assert dict(store.timers) == {"order": timer}
    assert store.timers["order"].policy == SEVEN


def test_a_store_shows_the_default_timers_by_default(make: Any) -> None:
    timers = make().timers
    assert timers.keys() == default_timers().keys()
    assert timers["order"].policy == AutoConfirmPolicy()
    assert draft_timer_terms(timers["electronic_draft"]) == (DEFAULT_DRAFT_POLICY, None)


def test_a_stores_timers_cannot_be_changed_through_the_property(make: Any) -> None:
    store = make(timers={"order": order_next_due(SEVEN)})
    with pytest.raises(TypeError):
        store.timers["order"] = order_next_due(AutoConfirmPolicy())
    with pytest.raises(AttributeError):
        store.timers = {}
    assert store.timers["order"].policy == SEVEN


def test_changing_the_mapping_given_does_not_change_the_store(make: Any) -> None:
    given = {"order": order_next_due(SEVEN)}
    store = make(timers=given)
    given["order"] = order_next_due(AutoConfirmPolicy())
    assert store.timers["order"].policy == SEVEN


# --- order timers --------------------------------------------------------------------------------


def test_an_order_timer_carries_its_policy_and_times_as_before() -> None:
    clock = FixedClock(START)
    timer = order_next_due(SEVEN)
    assert isinstance(timer, OrderTimer)
    assert timer.policy == SEVEN
    order = an_order(clock)
    assert timer(order) is None  # not in transit
    order.confirm(actor=STAFF)
    order.ship(carrier="SF", tracking_no="SF1", actor=STAFF)
    assert timer(order) == SEVEN.due_at(START) == START.add(days=7)


def test_order_timers_of_equal_policies_are_equal() -> None:
    assert order_next_due(AutoConfirmPolicy(days=7)) == order_next_due(SEVEN)
    assert order_next_due(AutoConfirmPolicy(days=8)) != order_next_due(SEVEN)


def test_an_order_timer_refuses_what_is_not_a_policy() -> None:
    with pytest.raises(ValidationError, match="order_next_due needs an AutoConfirmPolicy, not int"):
        OrderTimer(7)  # type: ignore[arg-type]


# --- draft timers --------------------------------------------------------------------------------


def test_a_draft_timer_carries_its_policy_and_holder() -> None:
    longer = attrs.evolve(DEFAULT_DRAFT_POLICY, presentment_days=12)
    timer = DraftTimer(longer, holder=rig.PAYEE)
    assert draft_timer_terms(timer) == (longer, rig.PAYEE)
    assert draft_timer_terms(lambda draft: None) is None
    assert draft_timer_terms(order_next_due(SEVEN)) is None


@pytest.mark.parametrize("holder", [None, "payee"])
def test_draft_timers_time_drafts_as_draft_next_due(holder: str | None) -> None:
    """The default timer and a :class:`DraftTimer` find the same instants as
    :func:`~ecservice.storage.draft_next_due` of the same policy and holder."""
    party = None if holder is None else rig.PAYEE
    drafts = [rig.issued(), rig.held(), rig.endorsed_twice(), rig.dishonoured()]
    reference = draft_next_due(DEFAULT_DRAFT_POLICY, holder=party)
    timer = DraftTimer(DEFAULT_DRAFT_POLICY, holder=party)
    assert [timer(d) for d in drafts] == [reference(d) for d in drafts]
    if party is None:
        default = default_timers()["electronic_draft"]
        assert [default(d) for d in drafts] == [reference(d) for d in drafts]


def test_a_draft_timer_for_the_holder_is_due_when_presentment_opens() -> None:
    """A draft its holder holds is due earlier, when presentment opens (the proof that the
    holder is read, not ignored)."""
    draft = rig.held()
    mine = DraftTimer(DEFAULT_DRAFT_POLICY, holder=draft.holder)
    anyone = DraftTimer(DEFAULT_DRAFT_POLICY)
    opens = draft.presentment_opens_at(DEFAULT_DRAFT_POLICY)
    assert mine(draft) == opens
    assert anyone(draft) != opens


def test_a_draft_timer_refuses_a_bad_policy_or_holder() -> None:
    with pytest.raises(ValidationError, match="draft_next_due needs a DraftPolicy, not str"):
        DraftTimer("policy")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="holder must be a DraftParty or None, not 'me'"):
        DraftTimer(DEFAULT_DRAFT_POLICY, holder="me")  # type: ignore[arg-type]
