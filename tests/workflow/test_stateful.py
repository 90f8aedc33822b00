"""A rule-based state machine that drives one aggregate and checks it against its own table.

The workflow is declared once as a plain table (:data:`TABLE`); the kernel is built from it, and
the test interprets the same table itself (candidates in order, first whose guards pass wins,
hooks in transitions' order) to predict, for every step, the outcome, the new state and the hooks
that run. Rules fire random triggers (allowed or not, or unknown) with random guard outcomes and,
sometimes, a hook that raises; the clock moves forward between steps. Invariants check the
history: ``version == len(history)``, a chain of records (each source is the previous dest),
versions ``1..n``, non-decreasing timestamps. A misbehaving hook either raises, or fires a
trigger of its own aggregate (re-entry, refused) and lets the error propagate or swallows it: in
every case the step fails and leaves the aggregate unchanged.
"""

from __future__ import annotations

import enum
import itertools
from typing import Any

import attrs
import pendulum
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ecservice.clock import FixedClock
from ecservice.errors import GuardRejected, InvalidTransition, ReentrantTrigger
from ecservice.workflow import (
    Actor,
    Aggregate,
    Context,
    DomainEvent,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)


class Stage(enum.Enum):
    CART = "cart"
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DONE = "done"
    CANCELLED = "cancelled"


@attrs.frozen
class Row:
    """One transition of the table, with guards and hooks by name."""

    trigger: str
    sources: tuple[Stage, ...]
    dest: Stage | None
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    prepare: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


S = Stage
TABLE: tuple[Row, ...] = (
    Row("place", (S.CART,), S.PLACED, conditions=("in_stock",), prepare=("price",)),
    Row("remark", (S.CART, S.PLACED, S.PAID), None, after=("remember",)),
    Row(
        "pay",
        (S.PLACED,),
        S.PAID,
        conditions=("funds",),
        unless=("fraud",),
        before=("charge",),
        prepare=("quote",),
    ),
    Row("pay", (S.PLACED,), S.CANCELLED, conditions=("fraud",), after=("flag",)),
    Row("ship", (S.PAID,), S.SHIPPED, after=("notify",)),
    Row("retry", (S.SHIPPED,), S.SHIPPED, conditions=("lost",), before=("reorder",)),
    Row("deliver", (S.SHIPPED,), S.DONE),
    Row("cancel", (S.CART, S.PLACED, S.PAID), S.CANCELLED, unless=("locked",)),
)
FINAL = (S.DONE, S.CANCELLED)
ON_ENTER: dict[Stage, tuple[str, ...]] = {S.SHIPPED: ("label",), S.CANCELLED: ("refund",)}
ON_EXIT: dict[Stage, tuple[str, ...]] = {S.PAID: ("release",), S.SHIPPED: ("scan",)}

HOOKS = tuple(
    sorted(
        {h for r in TABLE for h in (*r.prepare, *r.before, *r.after)}
        | {h for hs in (*ON_ENTER.values(), *ON_EXIT.values()) for h in hs}
    )
)
TRIGGERS = tuple(dict.fromkeys(r.trigger for r in TABLE))

_MOSTLY_TRUE = st.sampled_from((True, True, True, False))
_MOSTLY_FALSE = st.sampled_from((False, False, False, True))
#: Guard outcomes, biased so that runs get deep into the workflow (cancel is usually locked).
OUTCOMES = st.fixed_dictionaries(
    {
        "in_stock": _MOSTLY_TRUE,
        "funds": _MOSTLY_TRUE,
        "fraud": _MOSTLY_FALSE,
        "lost": st.booleans(),
        "locked": _MOSTLY_TRUE,
    }
)


class Boom(Exception):
    """A hook failed on purpose."""


@attrs.frozen(slots=True, kw_only=True)
class Noted(DomainEvent):
    """Emitted by every hook that runs."""

    hook: str


def _guard(name: str) -> Any:
    def guard(agg: Any, ctx: Context) -> bool:
        outcomes = ctx.payload["outcomes"]
        assert isinstance(outcomes, dict)
        return bool(outcomes[name])

    guard.__name__ = name
    return guard


def _hook(name: str) -> Any:
    def hook(agg: Shipment, ctx: Context) -> None:
        log = ctx.payload["log"]
        assert isinstance(log, list)
        log.append(name)
        agg.hooks_run += 1
        ctx.emit(Noted(aggregate_id=agg.id, occurred_at=ctx.at, actor=ctx.actor, hook=name))
        if ctx.payload.get("fail") == name:
            how = ctx.payload.get("how", "boom")
            if how == "boom":
                raise Boom(name)
            try:
                agg.remark(actor=ctx.actor)  # re-entry: refused whatever the state
            except ReentrantTrigger:
                if how == "reenter":
                    raise

    hook.__name__ = name
    return hook


WORKFLOW: Workflow[Any] = Workflow(
    "shipment",
    states=Stage,
    initial=S.CART,
    final=FINAL,
    transitions=[
        transition(
            r.trigger,
            r.sources,
            r.dest,
            conditions=[_guard(g) for g in r.conditions],
            unless=[_guard(g) for g in r.unless],
            prepare=[_hook(h) for h in r.prepare],
            before=[_hook(h) for h in r.before],
            after=[_hook(h) for h in r.after],
        )
        for r in TABLE
    ],
    on_enter={s: [_hook(h) for h in hs] for s, hs in ON_ENTER.items()},
    on_exit={s: [_hook(h) for h in hs] for s, hs in ON_EXIT.items()},
)


@attrs.define(slots=True, kw_only=True)
class Shipment(Aggregate[Stage]):
    status: Stage = Stage.CART
    hooks_run: int = 0

    place = trigger("place")
    remark = trigger("remark")
    pay = trigger("pay")
    ship = trigger("ship")
    retry = trigger("retry")
    deliver = trigger("deliver")
    cancel = trigger("cancel")


bind_workflow(Shipment, WORKFLOW)


def predict(
    state: Stage, name: str, outcomes: dict[str, bool], fail: str | None
) -> tuple[str, Stage, list[str]]:
    """What the table says happens: (outcome, state after, hooks run in order).

    The outcome is ``"ok"``, ``"invalid"``, ``"rejected"`` or ``"boom"``.
    """
    rows = [r for r in TABLE if r.trigger == name and state in r.sources]
    if not rows:
        return "invalid", state, []
    ran: list[str] = []

    def run(hooks: tuple[str, ...]) -> bool:
        for h in hooks:
            ran.append(h)
            if h == fail:
                return False
        return True

    for r in rows:
        if not run(r.prepare):
            return "boom", state, ran
        if all(outcomes[g] for g in r.conditions) and not any(outcomes[g] for g in r.unless):
            break
    else:
        return "rejected", state, ran
    internal = r.dest is None
    dest = state if r.dest is None else r.dest
    steps = [r.before] + ([] if internal else [ON_EXIT.get(state, ()), ON_ENTER.get(dest, ())])
    for hooks in (*steps, r.after):
        if not run(hooks):
            return "boom", state, ran
    return "ok", dest, ran


class ShipmentMachine(RuleBasedStateMachine):
    """Random triggers against the aggregate; the table predicts every step."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(pendulum.datetime(2026, 6, 18, tz="Asia/Shanghai"))
        self.agg = Shipment(id="s-1", clock=self.clock)
        self.expected = Stage.CART
        self.expected_events = 0
        self.successes = 0

    @precondition(lambda self: self.expected in FINAL)
    @rule()
    def start_over(self) -> None:
        """In a final state, continue with a fresh aggregate (same clock)."""
        self.agg = Shipment(id=f"s-{self.successes + 2}", clock=self.clock)
        self.expected = Stage.CART
        self.expected_events = 0
        self.successes = 0

    @rule(
        data=st.data(),
        outcomes=OUTCOMES,
        fail=st.one_of(st.none(), st.none(), st.none(), st.sampled_from(HOOKS)),
        how=st.sampled_from(["boom", "boom", "reenter", "swallow"]),
        seconds=st.integers(0, 7200),
        who=st.sampled_from([Actor.buyer("c-1"), Actor.staff("s-9"), Actor.system()]),
    )
    def fire(
        self,
        data: st.DataObject,
        outcomes: dict[str, bool],
        fail: str | None,
        how: str,
        seconds: int,
        who: Actor,
    ) -> None:
        """Fire a trigger (usually an allowed one, sometimes not, or an unknown name); the
        result, state, hooks, record and events are as predicted."""
        allowed = sorted({r.trigger for r in TABLE if self.expected in r.sources})
        anything = st.sampled_from((*TRIGGERS, "teleport"))
        name = data.draw(
            st.one_of(st.sampled_from(allowed), anything) if allowed else anything, label="trigger"
        )
        self.clock.advance(seconds=seconds)
        if how == "swallow":
            # The hook swallows the refusal and the others run on; the trigger fails at the end.
            outcome, dest, hooks = predict(self.expected, name, outcomes, None)
            if outcome == "ok" and fail in hooks:
                outcome, dest = "reentrant", self.expected
        else:
            outcome, dest, hooks = predict(self.expected, name, outcomes, fail)
            if outcome == "boom" and how == "reenter":
                outcome = "reentrant"
        before = attrs.asdict(self.agg, recurse=False)
        log: list[str] = []
        error: Exception | None = None
        try:
            record = self.agg._fire(
                name,
                actor=who,
                note=f"step {self.successes}",
                outcomes=outcomes,
                log=log,
                fail=fail,
                how=how,
            )
        except (InvalidTransition, GuardRejected, Boom, ReentrantTrigger) as exc:
            error = exc
        if isinstance(error, ReentrantTrigger):
            got = "reentrant"
            assert (error.trigger, error.running) == ("remark", name)
        elif isinstance(error, InvalidTransition):
            got = "invalid"
            assert (error.trigger, error.state) == (name, self.expected.name)
        elif isinstance(error, GuardRejected):
            got = "rejected"
            assert (error.trigger, error.state) == (name, self.expected.name)
        elif isinstance(error, Boom):
            got = "boom"
            assert str(error) == fail
        else:
            got = "ok"
            self.successes += 1
            self.expected_events += len(hooks)
            assert record == self.agg.history[-1]
            assert (record.trigger, record.source, record.dest) == (name, self.expected, dest)
            assert (record.actor, record.at, record.version) == (
                who,
                self.clock.now(),
                self.successes,
            )
            assert self.agg.hooks_run == before["hooks_run"] + len(hooks)
        event(f"{name}: {got}")
        assert got == outcome
        assert log == hooks
        if got != "ok":
            assert attrs.asdict(self.agg, recurse=False) == before, "a failed step changed it"
        self.expected = dest

    @precondition(lambda self: self.expected_events > 0)
    @rule()
    def pull(self) -> None:
        """pull_events returns every event of the successful steps, then nothing."""
        events = self.agg.pull_events()
        assert len(events) == self.expected_events
        assert all(isinstance(e, Noted) for e in events)
        assert self.agg.pull_events() == ()
        self.expected_events = 0

    @rule(name=st.sampled_from((*TRIGGERS, "teleport")), outcomes=OUTCOMES)
    def ask(self, name: str, outcomes: dict[str, bool]) -> None:
        """can() agrees with the table (ignoring hooks), and asking changes nothing."""
        before = attrs.asdict(self.agg, recurse=False)
        predicted, _, _ = predict(self.expected, name, outcomes, fail=None)
        assert self.agg.can(name, outcomes=outcomes, log=[]) == (predicted == "ok")
        allowed = {r.trigger for r in TABLE if self.expected in r.sources}
        assert set(self.agg.allowed_triggers()) == allowed
        assert attrs.asdict(self.agg, recurse=False) == before

    @invariant()
    def state_is_as_predicted(self) -> None:
        assert self.agg.status is self.expected
        assert self.agg.is_final == (self.expected in FINAL)

    @invariant()
    def history_is_a_consistent_chain(self) -> None:
        history = self.agg.history
        assert self.agg.version == len(history) == self.successes
        assert [r.version for r in history] == list(range(1, len(history) + 1))
        state: enum.Enum = Stage.CART
        for r in history:
            assert r.source is state
            state = r.dest
        assert state is self.agg.status
        assert all(a.at <= b.at for a, b in itertools.pairwise(history))
        assert len(self.agg.pending_events) == self.expected_events


ShipmentMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
TestShipmentMachine = ShipmentMachine.TestCase
TestShipmentMachine.__doc__ = "The shipment aggregate follows its table under random steps."
