"""Loading an aggregate checks its whole history against its workflow; ``can()`` agrees with the
call (signature, actor, re-entry, guards that fire triggers); copies of an aggregate whose fields
hold mutable containers stay isolated.

Each test failed before the rule it checks was in the kernel.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import ReentrantTrigger, ValidationError
from ecservice.workflow import (
    Actor,
    Aggregate,
    Context,
    LabelledState,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)
from tests.workflow.test_guarantees import START, Locker, MutableLocker, Slot

STAFF = Actor.staff("li.na")


def record(r: TransitionRecord, **changes: Any) -> TransitionRecord:
    values: dict[str, Any] = {
        "trigger": r.trigger,
        "source": r.source,
        "dest": r.dest,
        "at": r.at,
        "actor": r.actor,
        "note": r.note,
        "version": r.version,
    }
    values.update(changes)
    return TransitionRecord(**values)


def stored(agg: Aggregate[Any], **changes: Any) -> dict[str, Any]:
    """The aggregate's init fields, as a repository would store them, with ``changes``."""
    fields = {a.alias: getattr(agg, a.name) for a in attrs.fields(type(agg)) if a.init}
    fields.update(changes)
    return fields


@pytest.fixture
def filled() -> Locker:
    """A locker filled, opened, emptied and filled again (times an hour apart)."""
    clock = FixedClock(START)
    locker = Locker(id="L-1", clock=clock)
    locker.fill(actor=STAFF, parcel="SF1")
    clock.advance(hours=1)
    locker.open(actor=STAFF)
    clock.advance(hours=1)
    locker.note(actor=STAFF, text="door sticks")
    clock.advance(hours=1)
    locker.empty(actor=STAFF)
    clock.advance(hours=1)
    locker.fill(actor=STAFF, parcel="SF2")
    return locker


# --- an empty history is a new aggregate, in the initial state -----------------------------------


@pytest.mark.parametrize("status", [Slot.FULL, Slot.OPEN, Slot.RETIRED])
def test_version_0_with_an_empty_history_loads_only_in_the_initial_state(status: Slot) -> None:
    with pytest.raises(ValidationError, match=r"version is 0 and the history is empty.*EMPTY"):
        Locker(id="L-1", status=status)
    with pytest.raises(ValidationError, match="initial state"):
        attrs.evolve(Locker(id="L-1"), status=status)
    assert Locker(id="L-1", status=Slot.EMPTY).version == 0


def test_an_order_in_transit_without_history_is_refused_and_placed_orders_load() -> None:
    from ecservice.money import Money
    from ecservice.orders import Address, Cart, Order, OrderStatus, ShippingRate

    clock = FixedClock(START)
    buyer = Actor.buyer("u-1")
    cart = Cart.open("C-1", buyer_id="u-1", currency="CNY", clock=clock)
    cart.add_line("TEA", "tea", Money("10.00", "CNY"), 1, actor=buyer)
    cart.checkout(actor=buyer)
    address = Address(
        recipient="王", phone="13800138000", province="浙江省", city="杭州市", street="1"
    )
    order = cart.place_order(
        "O-1",
        address=address,
        shipping=ShippingRate.per_kg(
            first_fee=Money("10.00", "CNY"), additional_fee=Money("6.00", "CNY")
        ),
        actor=buyer,
    )
    assert (order.version, order.status) == (0, OrderStatus.PENDING_CONFIRMATION)
    assert Order(**stored(order)) == order
    for status in (OrderStatus.IN_TRANSIT, OrderStatus.DONE, OrderStatus.CANCELLED):
        with pytest.raises(ValidationError, match="initial state of workflow 'order'"):
            Order(**stored(order, status=status))


# --- the whole history is checked ----------------------------------------------------------------


def test_a_real_history_loads(filled: Locker) -> None:
    assert Locker(**stored(filled)) == filled


def tampered(filled: Locker, index: int, **changes: Any) -> dict[str, Any]:
    history = list(filled.history)
    history[index] = record(history[index], **changes)
    return stored(filled, history=tuple(history))


@pytest.mark.parametrize(
    ("index", "changes", "match"),
    [
        (1, {"trigger": "teleport"}, "'teleport' is not a trigger of workflow 'locker'"),
        (1, {"trigger": 7}, "int 7 is not a trigger"),
        # fill is declared EMPTY -> FULL only
        (
            3,
            {"trigger": "fill", "dest": Slot.EMPTY},
            "no transition 'fill': Slot.OPEN -> Slot.EMPTY",
        ),
        # an internal transition keeps the state
        (2, {"dest": Slot.EMPTY}, "no transition 'note': Slot.OPEN -> Slot.EMPTY"),
        # the chain: item 3 starts in FULL but item 2 ended in OPEN
        (2, {"source": Slot.FULL, "dest": Slot.FULL}, "starts in Slot.FULL but item 2 ended in"),
        (0, {"source": Slot.FULL}, "starts in Slot.FULL but a new aggregate is in Slot.EMPTY"),
        (2, {"at": START}, "before item 2"),
        (2, {"at": pendulum.naive(2026, 11, 11, 12)}, "aware datetime"),
        (2, {"at": "2026-11-11"}, "aware datetime"),
        (2, {"actor": "li.na"}, "actor must be an Actor"),
        (2, {"version": 4}, "numbered 1..5"),
    ],
)
def test_a_history_that_the_workflow_cannot_have_produced_is_refused(
    filled: Locker, index: int, changes: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        Locker(**tampered(filled, index, **changes))


def test_swapped_records_are_refused(filled: Locker) -> None:
    history = list(filled.history)
    history[1], history[2] = record(history[2], version=2), record(history[1], version=3)
    with pytest.raises(ValidationError, match=r"item 2 starts in Slot\.OPEN but item 1 ended in"):
        Locker(**stored(filled, history=tuple(history)))


def test_a_long_history_is_checked_in_one_pass() -> None:
    """Loading checks every record, and stays linear: 5,000 records load (and one bad record in
    the middle is found)."""
    clock = FixedClock(START)
    locker = Locker(id="L-1", clock=clock)
    for _ in range(5_000):
        locker.note(actor=STAFF, text="x")
    assert Locker(**stored(locker)).version == 5_000
    history = list(locker.history)
    history[2_500] = record(history[2_500], trigger="empty")
    with pytest.raises(ValidationError, match="item 2501: workflow 'locker' has no transition"):
        Locker(**stored(locker, history=tuple(history)))


# --- can() agrees with the call ------------------------------------------------------------------


class Door(LabelledState):
    SHUT = ("shut", "Shut", "关")
    OPEN = ("open", "Open", "开")
    GONE = ("gone", "Gone", "拆")


def fires_close(agg: Gate, ctx: Context) -> bool:
    """Fires another trigger of the gate, letting the error through."""
    agg.remove(actor=STAFF)
    return True


def fires_close_quietly(agg: Gate, ctx: Context) -> bool:
    """Fires another trigger of the gate and swallows the error."""
    with contextlib.suppress(ReentrantTrigger):
        agg.remove(actor=STAFF)
    return True


GATE = Workflow(
    "gate",
    states=Door,
    initial=Door.SHUT,
    final=[Door.GONE],
    transitions=[
        transition("open", Door.SHUT, Door.OPEN),
        transition("force", Door.SHUT, Door.OPEN, conditions=[fires_close]),
        transition("nudge", Door.SHUT, Door.OPEN, conditions=[fires_close_quietly]),
        transition("remove", [Door.SHUT, Door.OPEN], Door.GONE),
        transition("knock", [Door.SHUT, Door.OPEN], None),
        transition("hold", Door.SHUT, None),
    ],
)


@attrs.define(slots=True, kw_only=True)
class Gate(Aggregate[Door]):
    status: Door = Door.SHUT

    def _prepare_open(
        self, *, actor: Actor, idempotency_key: object = None, note: object = ""
    ) -> dict[str, Any]:
        if idempotency_key is not None and not isinstance(idempotency_key, str):
            raise ValidationError("idempotency_key must be a str")
        return {"key": idempotency_key, "note": note}

    def open(self, *, idempotency_key: str, actor: Actor, note: str = "") -> TransitionRecord:
        payload = self._prepare_open(actor=actor, idempotency_key=idempotency_key, note=note)
        return self._fire("open", actor=actor, **payload)

    def force(self, *, actor: Actor) -> TransitionRecord:
        return self._fire("force", actor=actor)

    def nudge(self, *, actor: Actor) -> TransitionRecord:
        return self._fire("nudge", actor=actor)

    def remove(self, *, actor: Actor) -> TransitionRecord:
        return self._fire("remove", actor=actor)

    knock = trigger("knock", "Knock (any keyword).")

    @trigger
    def hold(self, *, actor: Actor, risk_score: int, note: str = "") -> TransitionRecord:
        """Hold the gate shut for a review."""
        raise NotImplementedError


bind_workflow(Gate, GATE)


@pytest.fixture
def gate() -> Gate:
    return Gate(id="G-1", clock=FixedClock(START))


def test_can_answers_false_for_keywords_the_method_would_refuse(gate: Gate) -> None:
    """A required keyword-only argument left out, or a misspelt one: the call raises TypeError,
    so can() answers False (it used to answer True)."""
    assert gate.can("open", idempotency_key="k") is True
    assert gate.can("open") is False
    with pytest.raises(TypeError):
        gate.open(actor=STAFF)  # type: ignore[call-arg]
    assert gate.can("open", idempotency_key="k", nite="x") is False
    with pytest.raises(TypeError):
        gate.open(actor=STAFF, idempotency_key="k", nite="x")  # type: ignore[call-arg]
    assert gate.can("open", idempotency_key="k", note="why") is True
    assert gate.can("knock", anything="goes") is True  # trigger("knock") takes any keyword


def test_a_typed_trigger_answers_false_instead_of_raising(gate: Gate) -> None:
    assert gate.hold.can(actor=STAFF, risk_score=1) is True
    assert gate.hold.can(actor=STAFF, risk_scor=1) is False  # type: ignore[call-arg]
    assert gate.can("hold", risk_scor=1) is False
    assert gate.hold.can(actor=STAFF) is False  # type: ignore[call-arg]
    assert gate.hold.can(risk_score=1) is False  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        gate.hold(risk_score=1)  # type: ignore[call-arg]


def test_an_explicit_actor_that_is_not_an_actor_answers_false(gate: Gate) -> None:
    """``actor`` left out asks about the system actor; ``actor=None`` is the call with
    ``actor=None``, which raises ValidationError, so it answers False (it used to answer True)."""
    assert gate.can("remove") is True
    assert gate.can("remove", actor=Actor.system()) is True
    assert gate.can("remove", actor=None) is False  # type: ignore[arg-type]
    assert gate.knock.can(actor=None) is False  # type: ignore[arg-type]
    assert gate.can("remove", actor="staff") is False  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="actor must be an Actor"):
        gate.remove(actor=None)  # type: ignore[arg-type]
    assert gate.version == 0


def test_an_order_cannot_be_cancelled_by_actor_none() -> None:
    from tests.orders.test_order import new_order

    order = new_order()
    assert order.can("cancel", reason="r") is True
    assert order.can("cancel", reason="r", actor=None) is False  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        order.cancel(reason="r", actor=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("trigger_name", ["force", "nudge"])
def test_a_guard_that_fires_a_trigger_changes_nothing_from_can(
    gate: Gate, trigger_name: str
) -> None:
    """can() evaluates guards with the gate marked busy: the guard's remove() raises
    ReentrantTrigger and changes nothing, and can() answers False, as the call raises (it used
    to remove the gate and answer True)."""
    assert gate.can(trigger_name) is False
    assert (gate.status, gate.version, gate.history) == (Door.SHUT, 0, ())
    with pytest.raises(ReentrantTrigger):
        getattr(gate, trigger_name)(actor=STAFF)
    assert (gate.status, gate.version, gate.history) == (Door.SHUT, 0, ())
    assert gate.can("remove") is True  # idle again


# --- copies do not share mutable containers ------------------------------------------------------


def test_evolved_copies_do_not_share_the_containers_hooks_change() -> None:
    """A hook appending to a list field of one copy used to change every copy."""
    original = MutableLocker(id="M-1", clock=FixedClock(START), labels=["a"], seen={"x": 1})
    original.fill(actor=STAFF, parcel="SF1")
    c1, c2 = attrs.evolve(original), attrs.evolve(original)
    shallow = copy.copy(original)

    def label(agg: MutableLocker, ctx: Context) -> None:
        agg.labels.append("opened")
        agg.seen["opened"] = agg.seen.get("opened", 0) + 1

    c1.open(actor=STAFF, do=label)
    assert (c1.labels, c1.seen) == (["a", "opened", "opened"], {"x": 1, "opened": 2})
    for other in (original, c2, shallow):
        assert (other.labels, other.seen) == (["a"], {"x": 1})
    c2.open(actor=STAFF, do=label)
    assert c2.labels == ["a", "opened", "opened"]
    assert c1.labels == ["a", "opened", "opened"]
    assert original.labels == ["a"]


def test_a_failed_trigger_puts_the_original_container_back() -> None:
    m = MutableLocker(id="M-1", clock=FixedClock(START), labels=["a"])
    m.fill(actor=STAFF, parcel="SF1")
    labels = m.labels

    def fail(agg: MutableLocker, ctx: Context) -> None:
        agg.labels.append("b")
        raise RuntimeError("hook failed")

    with pytest.raises(RuntimeError):
        m.open(actor=STAFF, do=fail)
    assert m.labels is labels
    assert labels == ["a"]
