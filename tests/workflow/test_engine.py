"""Firing semantics of the compiled workflow table, on a small ticket aggregate.

The workflow below exercises every kind of entry the engine compiles: a fully hooked guarded
transition (``start``), an internal one (``comment``), a reflexive one (``refresh``), two
candidates for one trigger (``route``), hook-free ones taken on the fast path (``resolve``) and a
trigger declared with the :func:`trigger` descriptor (``close``).

Hooks record ``name@STATE`` both in the aggregate's ``trail`` field (rolled back on failure) and
in an external ``log`` list passed in the payload (not rolled back), and raise :class:`Boom` when
the payload says ``fail=<their name>``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import GuardRejected, InvalidTransition, InvalidWorkflow, ValidationError
from ecservice.workflow import (
    Actor,
    Aggregate,
    BoundTrigger,
    Context,
    DomainEvent,
    LabelledState,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)


class Phase(LabelledState):
    NEW = ("new", "New", "新建")
    OPEN = ("open", "Open", "处理中")
    ESCALATED = ("escalated", "Escalated", "已升级")
    RESOLVED = ("resolved", "Resolved", "已解决")
    CLOSED = ("closed", "Closed", "已关闭")


class Boom(Exception):
    """Raised by a hook on purpose."""


@attrs.frozen(slots=True, kw_only=True)
class TicketStarted(DomainEvent):
    assignee: str


@attrs.frozen(slots=True, kw_only=True)
class TicketCommented(DomainEvent):
    count: int


def _record(agg: Ticket, ctx: Context, entry: str) -> None:
    log = ctx.payload.get("log")
    if isinstance(log, list):
        log.append(entry)


def hook(name: str, effect: Callable[[Ticket, Context], None] | None = None) -> Any:
    """A hook that records ``name@STATE``, applies ``effect``, and raises if told to."""

    def run(agg: Ticket, ctx: Context) -> None:
        entry = f"{name}@{agg.status.name}"
        _record(agg, ctx, entry)
        agg.trail = (*agg.trail, entry)
        if effect is not None:
            effect(agg, ctx)
        if ctx.payload.get("fail") == name:
            raise Boom(name)

    run.__name__ = name
    return run


def _take_assignee(agg: Ticket, ctx: Context) -> None:
    if "assignee" in ctx.payload:
        agg.assignee = ctx.arg("assignee", str)


def _emit_started(agg: Ticket, ctx: Context) -> None:
    ctx.emit(
        TicketStarted(
            aggregate_id=agg.id, occurred_at=ctx.at, actor=ctx.actor, assignee=agg.assignee
        )
    )


def _count_comment(agg: Ticket, ctx: Context) -> None:
    agg.comments += 1
    ctx.emit(
        TicketCommented(
            aggregate_id=agg.id, occurred_at=ctx.at, actor=ctx.actor, count=agg.comments
        )
    )


def is_assigned(agg: Ticket, ctx: Context) -> bool:
    """The ticket has an assignee."""
    _record(agg, ctx, f"is_assigned?@{agg.status.name}")
    if ctx.payload.get("fail") == "is_assigned":
        raise Boom("is_assigned")
    return bool(agg.assignee)


def is_urgent(agg: Ticket, ctx: Context) -> bool:
    """The ticket is urgent."""
    _record(agg, ctx, f"is_urgent?@{agg.status.name}")
    return ctx.payload.get("urgent") is True


def is_blocked(agg: Ticket, ctx: Context) -> bool:
    """The ticket is blocked."""
    _record(agg, ctx, f"is_blocked?@{agg.status.name}")
    return ctx.payload.get("blocked") is True


TICKET: Workflow[Ticket] = Workflow(
    "ticket",
    states=Phase,
    initial=Phase.NEW,
    final=[Phase.CLOSED],
    transitions=[
        transition(
            "start",
            Phase.NEW,
            Phase.OPEN,
            prepare=[hook("prepare_start", _take_assignee)],
            conditions=[is_assigned],
            before=[hook("before_start", _emit_started)],
            after=[hook("after_start")],
        ),
        transition("comment", Phase.OPEN, None, after=[hook("count_comment", _count_comment)]),
        transition("refresh", Phase.OPEN, Phase.OPEN, after=[hook("after_refresh")]),
        transition(
            "route",
            Phase.OPEN,
            Phase.ESCALATED,
            conditions=[is_urgent],
            prepare=[hook("prepare_escalate")],
        ),
        transition(
            "route",
            Phase.OPEN,
            Phase.RESOLVED,
            unless=[is_blocked],
            prepare=[hook("prepare_resolve")],
        ),
        transition("resolve", Phase.ESCALATED, Phase.RESOLVED),
        transition("close", Phase.RESOLVED, Phase.CLOSED),
    ],
    on_exit={Phase.NEW: [hook("exit_new")], Phase.OPEN: [hook("exit_open")]},
    on_enter={Phase.OPEN: [hook("enter_open")], Phase.ESCALATED: [hook("enter_escalated")]},
)


@attrs.define(slots=True, kw_only=True)
class Ticket(Aggregate[Phase]):
    """A support ticket: the test aggregate."""

    status: Phase = Phase.NEW
    assignee: str = ""
    comments: int = 0
    trail: tuple[str, ...] = ()

    def start(self, *, actor: Actor, note: str = "", **payload: Any) -> TransitionRecord:
        return self._fire("start", actor=actor, note=note, **payload)

    def comment(self, *, actor: Actor, note: str = "", **payload: Any) -> TransitionRecord:
        return self._fire("comment", actor=actor, note=note, **payload)

    def refresh(self, *, actor: Actor, **payload: Any) -> TransitionRecord:
        return self._fire("refresh", actor=actor, **payload)

    def route(
        self, *, actor: Actor, urgent: bool = False, blocked: bool = False, **payload: Any
    ) -> TransitionRecord:
        return self._fire("route", actor=actor, urgent=urgent, blocked=blocked, **payload)

    def resolve(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        return self._fire("resolve", actor=actor, note=note)

    close = trigger("close", "Close a resolved ticket.")


bind_workflow(Ticket, TICKET)

STAFF = Actor.staff("li.na")
BUYER = Actor.buyer("c-42")
START = pendulum.datetime(2026, 11, 11, 8, 0, tz="Asia/Shanghai")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def ticket(clock: FixedClock) -> Ticket:
    return Ticket(id="t-1", clock=clock)


def _opened(ticket: Ticket) -> Ticket:
    ticket.start(actor=STAFF, assignee="li.na")
    ticket.pull_events()
    ticket.trail = ()
    return ticket


def status_of(agg: Aggregate[Any]) -> enum.Enum:
    """The state, read through a function so that mypy does not narrow it across triggers."""
    state: enum.Enum = agg.status
    return state


def snapshot(agg: Aggregate[Any]) -> tuple[object, ...]:
    """Every field, plus the public views of the workflow's bookkeeping."""
    return (
        attrs.asdict(agg, recurse=False),
        agg.status,
        agg.version,
        agg.history,
        agg.pending_events,
    )


# --- history and versions ------------------------------------------------------------------------


def test_each_success_appends_a_record_with_trigger_states_time_actor_note_and_version(
    ticket: Ticket, clock: FixedClock
) -> None:
    """The history records what happened, from where to where, when, by whom, why, and after
    which version; the method returns that record."""
    r1 = ticket.start(actor=STAFF, note="picked up", assignee="li.na")
    clock.advance(hours=2)
    r2 = ticket.route(actor=BUYER, urgent=True)
    clock.advance(minutes=5)
    r3 = ticket.resolve(actor=STAFF, note="fixed")

    assert ticket.history == (r1, r2, r3)
    assert r1 == TransitionRecord(
        "start", Phase.NEW, Phase.OPEN, START.in_tz("UTC"), STAFF, "picked up", 1
    )
    assert (r2.trigger, r2.source, r2.dest, r2.actor, r2.note, r2.version) == (
        "route",
        Phase.OPEN,
        Phase.ESCALATED,
        BUYER,
        "",
        2,
    )
    assert r2.at == START.add(hours=2)
    assert r3 == TransitionRecord(
        "resolve",
        Phase.ESCALATED,
        Phase.RESOLVED,
        START.add(hours=2, minutes=5),
        STAFF,
        "fixed",
        3,
    )
    assert r3.at.timezone_name == "UTC"
    assert ticket.version == 3
    assert status_of(ticket) is Phase.RESOLVED


def test_version_counts_successes_only(ticket: Ticket) -> None:
    """Failed triggers (invalid or rejected) do not bump the version nor touch the history."""
    with pytest.raises(InvalidTransition):
        ticket.resolve(actor=STAFF)
    with pytest.raises(GuardRejected):
        ticket.start(actor=STAFF)
    assert (ticket.version, ticket.history) == (0, ())
    ticket.start(actor=STAFF, assignee="li.na")
    ticket.comment(actor=STAFF)
    assert ticket.version == len(ticket.history) == 2
    assert [r.version for r in ticket.history] == [1, 2]


def test_fast_path_transition_records_like_any_other(ticket: Ticket) -> None:
    """A hook-free, guard-free transition (compiled to a direct jump) still records and bumps."""
    _opened(ticket).route(actor=STAFF, urgent=True)
    record = ticket.resolve(actor=STAFF, note="n")
    assert status_of(ticket) is Phase.RESOLVED
    assert ticket.history[-1] is record
    assert (record.source, record.dest, record.version, record.note) == (
        Phase.ESCALATED,
        Phase.RESOLVED,
        3,
        "n",
    )
    record = ticket.close(actor=BUYER)
    assert ticket.is_final
    assert record.version == ticket.version == 4


# --- internal and reflexive transitions ----------------------------------------------------------


def test_internal_transition_keeps_the_state_and_skips_exit_and_enter(ticket: Ticket) -> None:
    """dest=None: the state is unchanged, on_exit/on_enter do not run, the after hook does, and
    the record has source == dest."""
    _opened(ticket)
    record = ticket.comment(actor=BUYER, note="any news?")
    assert status_of(ticket) is Phase.OPEN
    assert ticket.trail == ("count_comment@OPEN",)
    assert ticket.comments == 1
    assert record.source is record.dest is Phase.OPEN
    assert record.internal
    assert (record.trigger, record.version) == ("comment", 2)


def test_reflexive_transition_exits_and_re_enters(ticket: Ticket) -> None:
    """dest == source: unlike an internal transition, on_exit and on_enter run."""
    _opened(ticket)
    record = ticket.refresh(actor=STAFF)
    assert ticket.trail == ("exit_open@OPEN", "enter_open@OPEN", "after_refresh@OPEN")
    assert record.source is record.dest is Phase.OPEN


# --- hook order and context --------------------------------------------------------------------


def test_hooks_run_in_transitions_order_and_see_the_right_state(ticket: Ticket) -> None:
    """prepare, guards, before, on_exit (old state), state set, on_enter, after (new state)."""
    log: list[str] = []
    ticket.start(actor=STAFF, assignee="li.na", log=log)
    assert log == [
        "prepare_start@NEW",
        "is_assigned?@NEW",
        "before_start@NEW",
        "exit_new@NEW",
        "enter_open@OPEN",
        "after_start@OPEN",
    ]
    assert ticket.trail == tuple(e for e in log if "?" not in e)
    assert ticket.assignee == "li.na"  # the prepare hook's effect, seen by the guard


def test_context_tells_hooks_trigger_states_time_actor_note_and_payload(
    clock: FixedClock,
) -> None:
    """Every hook receives the same Context describing the firing."""
    seen: list[tuple[object, ...]] = []

    def spy(agg: Any, ctx: Context) -> None:
        seen.append(
            (ctx.trigger, ctx.source, ctx.dest, ctx.at, ctx.actor, ctx.note, dict(ctx.payload))
        )

    wf: Workflow[Any] = TICKET.derive("spied", add_before={"route": [spy]})
    spied = _subclass_bound_to(wf)(id="t-9", clock=clock)
    _opened(spied)
    clock.advance(seconds=30)
    spied.route(actor=BUYER, note="please", urgent=False, blocked=False)
    assert seen == [
        (
            "route",
            Phase.OPEN,
            Phase.RESOLVED,
            START.add(seconds=30),
            BUYER,
            "please",
            {"urgent": False, "blocked": False},
        ),
    ]


def _subclass_bound_to(wf: Workflow[Any]) -> type[Ticket]:
    @attrs.define(slots=True, kw_only=True)
    class Derived(Ticket):
        pass

    return bind_workflow(Derived, wf)


# --- candidates and guards ---------------------------------------------------------------------


def test_first_candidate_whose_guards_pass_wins(ticket: Ticket) -> None:
    """route has two candidates: urgent -> ESCALATED (first), else not blocked -> RESOLVED."""
    log: list[str] = []
    _opened(ticket).route(actor=STAFF, urgent=True, blocked=False, log=log)
    assert status_of(ticket) is Phase.ESCALATED
    # The second candidate was never looked at.
    assert log == [
        "prepare_escalate@OPEN",
        "is_urgent?@OPEN",
        "exit_open@OPEN",
        "enter_escalated@ESCALATED",
    ]


def test_a_rejected_candidate_runs_its_prepare_then_the_next_is_tried(ticket: Ticket) -> None:
    """Not urgent: the first candidate's prepare and guard run, then the second wins."""
    log: list[str] = []
    _opened(ticket).route(actor=STAFF, urgent=False, blocked=False, log=log)
    assert status_of(ticket) is Phase.RESOLVED
    assert log == [
        "prepare_escalate@OPEN",
        "is_urgent?@OPEN",
        "prepare_resolve@OPEN",
        "is_blocked?@OPEN",
        "exit_open@OPEN",
    ]
    assert ticket.trail == ("prepare_escalate@OPEN", "prepare_resolve@OPEN", "exit_open@OPEN")


def test_unless_guard_must_be_false(ticket: Ticket) -> None:
    """An `unless` guard that returns True rejects its candidate."""
    _opened(ticket)
    with pytest.raises(GuardRejected):
        ticket.route(actor=STAFF, urgent=False, blocked=True)
    assert status_of(ticket) is Phase.OPEN
    ticket.route(actor=STAFF, urgent=False, blocked=False)
    assert status_of(ticket) is Phase.RESOLVED


def test_guard_rejected_names_every_failing_guard_and_the_state(ticket: Ticket) -> None:
    """The error lists each candidate's failing guard (with its docstring and destination)."""
    _opened(ticket)
    with pytest.raises(GuardRejected) as info:
        ticket.route(actor=STAFF, urgent=False, blocked=True)
    err = info.value
    assert (err.trigger, err.state, err.subject) == ("route", "OPEN", "Ticket 't-1'")
    assert err.failed == (
        "is_urgent (The ticket is urgent) (to ESCALATED)",
        "unless is_blocked (The ticket is blocked) (to RESOLVED)",
    )
    text = str(err)
    assert "'route'" in text
    assert "'OPEN'" in text
    assert "is_urgent" in text
    assert "unless is_blocked" in text


def test_guard_rejected_of_a_single_candidate_has_no_destination_suffix(ticket: Ticket) -> None:
    """With one candidate the failing guard is named without '(to DEST)'."""
    with pytest.raises(GuardRejected) as info:
        ticket.start(actor=STAFF)
    assert info.value.failed == ("is_assigned (The ticket has an assignee)",)
    assert info.value.state == "NEW"


def test_invalid_transition_names_trigger_state_and_allowed_triggers(ticket: Ticket) -> None:
    """A trigger not declared from the current state raises InvalidTransition with the facts."""
    _opened(ticket)
    with pytest.raises(InvalidTransition) as info:
        ticket.close(actor=STAFF)
    err = info.value
    assert (err.trigger, err.state) == ("close", "OPEN")
    assert err.allowed == ("comment", "refresh", "route")
    assert err.subject == "Ticket 't-1'"
    assert str(err) == (
        "cannot 'close' Ticket 't-1' in state 'OPEN'; "
        "triggers allowed in 'OPEN': comment, refresh, route"
    )


def test_unknown_trigger_name_is_an_invalid_transition(ticket: Ticket) -> None:
    """_fire with a name the workflow does not declare raises InvalidTransition, not KeyError."""
    with pytest.raises(InvalidTransition) as info:
        ticket._fire("teleport", actor=STAFF)
    assert info.value.allowed == ("start",)


def test_ensure_allowed_checks_the_state_only(ticket: Ticket) -> None:
    """_ensure_allowed (for typed methods that validate arguments) raises InvalidTransition for
    a trigger not allowed now, ignores guards, and changes nothing."""
    ticket._ensure_allowed("start")  # allowed, though its guard would reject now
    before = snapshot(ticket)
    with pytest.raises(InvalidTransition) as info:
        ticket._ensure_allowed("close")
    assert (info.value.trigger, info.value.state, info.value.allowed) == (
        "close",
        "NEW",
        ("start",),
    )
    assert snapshot(ticket) == before


def test_final_state_allows_nothing(ticket: Ticket) -> None:
    """In a final state every trigger is invalid and the allowed list is empty."""
    _opened(ticket).route(actor=STAFF)
    ticket.close(actor=STAFF)
    assert ticket.is_final
    assert ticket.allowed_triggers() == ()
    with pytest.raises(InvalidTransition, match="none"):
        ticket.comment(actor=STAFF)


# --- atomicity -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fail",
    ["prepare_start", "is_assigned", "before_start", "exit_new", "enter_open", "after_start"],
)
def test_a_raising_hook_or_guard_leaves_every_field_unchanged(ticket: Ticket, fail: str) -> None:
    """Whichever hook raises, the exception propagates and the aggregate is exactly as before,
    though the hooks up to the failing one did run (and assigned fields)."""
    ticket.comments = 7
    before = snapshot(ticket)
    log: list[str] = []
    with pytest.raises(Boom, match=fail):
        ticket.start(actor=STAFF, assignee="li.na", log=log, fail=fail)
    assert snapshot(ticket) == before
    assert status_of(ticket) is Phase.NEW
    assert ticket.assignee == ""
    assert ticket.trail == ()
    assert ticket.pull_events() == ()
    assert log[-1].startswith(fail)  # it really ran up to the failing hook


def test_rejection_by_guards_leaves_every_field_unchanged(ticket: Ticket) -> None:
    """All candidates rejected: the prepare hooks' assignments are undone too."""
    _opened(ticket)
    before = snapshot(ticket)
    log: list[str] = []
    with pytest.raises(GuardRejected):
        ticket.route(actor=STAFF, urgent=False, blocked=True, log=log)
    assert log == [
        "prepare_escalate@OPEN",
        "is_urgent?@OPEN",
        "prepare_resolve@OPEN",
        "is_blocked?@OPEN",
    ]
    assert snapshot(ticket) == before


def test_failure_after_the_state_changed_restores_the_state(ticket: Ticket) -> None:
    """An after hook raising once the state field was set: status goes back, no record."""
    with pytest.raises(Boom):
        ticket.start(actor=STAFF, assignee="li.na", fail="after_start")
    assert status_of(ticket) is Phase.NEW
    assert ticket.history == ()
    ticket.start(actor=STAFF, assignee="li.na")  # and it still works afterwards
    assert status_of(ticket) is Phase.OPEN


def test_context_arg_type_error_in_a_hook_is_atomic(ticket: Ticket) -> None:
    """A ValidationError from Context.arg in a prepare hook propagates; nothing changes."""
    before = snapshot(ticket)
    with pytest.raises(ValidationError, match="'assignee' must be str, not int"):
        ticket.start(actor=STAFF, assignee=5)
    assert snapshot(ticket) == before


# --- domain events -----------------------------------------------------------------------------


def test_events_reach_pull_events_only_when_the_transition_succeeds(ticket: Ticket) -> None:
    """An event emitted by a before hook is dropped when a later hook fails, kept otherwise."""
    with pytest.raises(Boom):
        ticket.start(actor=STAFF, assignee="li.na", fail="after_start")
    assert ticket.pending_events == ()
    ticket.start(actor=STAFF, assignee="li.na")
    assert tuple(ticket.pending_events) == (
        TicketStarted(aggregate_id="t-1", occurred_at=START, actor=STAFF, assignee="li.na"),
    )


def test_pull_events_returns_oldest_first_and_clears(ticket: Ticket) -> None:
    """Events accumulate over transitions; pull_events drains the queue."""
    ticket.start(actor=STAFF, assignee="li.na")
    ticket.comment(actor=BUYER)
    ticket.comment(actor=BUYER)
    with pytest.raises(GuardRejected):
        ticket.route(actor=STAFF, blocked=True)
    events = ticket.pull_events()
    assert [type(e).__name__ for e in events] == [
        "TicketStarted",
        "TicketCommented",
        "TicketCommented",
    ]
    assert [e.count for e in events if isinstance(e, TicketCommented)] == [1, 2]
    assert ticket.pull_events() == ()
    assert ticket.pending_events == ()


# --- queries -----------------------------------------------------------------------------------


def test_allowed_triggers_lists_declared_triggers_sorted(ticket: Ticket) -> None:
    """allowed_triggers ignores guards and is sorted."""
    assert ticket.allowed_triggers() == ("start",)
    _opened(ticket)
    assert ticket.allowed_triggers() == ("comment", "refresh", "route")


def test_can_checks_the_state_and_the_guards_without_running_hooks(ticket: Ticket) -> None:
    """can() is False for a trigger not allowed now, evaluates guards, and runs no hook
    (unlike transitions' may_<trigger>, which runs the prepare callbacks)."""
    log: list[str] = []
    assert not ticket.can("close")
    assert not ticket.can("teleport")
    assert not ticket.can("start", log=log)  # no assignee yet
    assert log == ["is_assigned?@NEW"]
    ticket.assignee = "li.na"
    assert ticket.can("start")
    assert ticket.trail == ()
    assert ticket.version == 0
    _opened(ticket)
    assert ticket.can("route", urgent=True)
    assert ticket.can("route", blocked=False)
    assert not ticket.can("route", blocked=True)


def test_attrs_evolve_keeps_state_and_history(ticket: Ticket) -> None:
    """The state lives in real fields, so attrs.evolve copies it (no hidden machine)."""
    _opened(ticket)
    copy = attrs.evolve(ticket, id="t-2")
    assert (copy.status, copy.version, copy.history) == (
        Phase.OPEN,
        ticket.version,
        ticket.history,
    )
    copy.comment(actor=STAFF)
    assert ticket.version == 1
    assert copy.version == 2


# --- Context.arg -------------------------------------------------------------------------------


def _ctx(payload: dict[str, object]) -> Context:
    return Context("pay", Phase.NEW, START, STAFF, "", payload)


def test_context_arg_returns_a_value_of_the_requested_type() -> None:
    """arg(name, kind) returns the payload value when it is an instance of kind."""
    ctx = _ctx({"amount": 3, "who": "li"})
    assert ctx.arg("amount", int) == 3
    assert ctx.arg("who", str) == "li"
    assert ctx.arg("amount", object) == 3


def test_context_arg_rejects_a_missing_or_mistyped_value() -> None:
    """A missing name or a wrong type raises ValidationError naming the trigger and argument."""
    ctx = _ctx({"amount": "3"})
    with pytest.raises(ValidationError, match=r"trigger 'pay' needs the keyword argument 'x'"):
        ctx.arg("x", int)
    with pytest.raises(ValidationError, match=r"'amount' must be int, not str"):
        ctx.arg("amount", int)


def test_context_emit_queues_on_the_context() -> None:
    """emit() only queues on the context; the engine moves events to the aggregate."""
    ctx = _ctx({})
    event = TicketStarted(aggregate_id="t", occurred_at=START, actor=STAFF, assignee="x")
    ctx.emit(event)
    assert ctx.events == [event]
    assert ctx.dest is Phase.NEW  # before a candidate is chosen, dest is the source


# --- binding -----------------------------------------------------------------------------------


def test_bind_workflow_refuses_a_class_missing_a_trigger_method() -> None:
    """Every trigger needs a method (or descriptor); the error names the missing ones."""

    @attrs.define(slots=True, kw_only=True)
    class Incomplete(Aggregate[Phase]):
        status: Phase = Phase.NEW

        def start(self, *, actor: Actor) -> TransitionRecord:
            return self._fire("start", actor=actor)

    with pytest.raises(InvalidWorkflow) as info:
        bind_workflow(Incomplete, TICKET)
    problems = " ".join(info.value.problems)
    for name in ("comment", "refresh", "route", "resolve", "close"):
        assert f"'{name}'" in problems
    assert "'start'" not in problems
    assert not hasattr(Incomplete, "workflow")


def test_bind_workflow_refuses_a_trigger_shadowed_by_the_aggregate_api() -> None:
    """A workflow with a trigger called ``can`` must not bind to a class without a real ``can``
    trigger method: Aggregate.can is a query, calling it does not fire anything."""

    class Lamp(LabelledState):
        OFF = ("off", "Off", "关")
        ON = ("on", "On", "开")

    wf: Workflow[Any] = Workflow(
        "lamp",
        states=Lamp,
        initial=Lamp.OFF,
        transitions=[transition("can", Lamp.OFF, Lamp.ON), transition("off", Lamp.ON, Lamp.OFF)],
    )

    @attrs.define(slots=True, kw_only=True)
    class LampAgg(Aggregate[Lamp]):
        status: Lamp = Lamp.OFF
        off = trigger("off")

    with pytest.raises(InvalidWorkflow):
        bind_workflow(LampAgg, wf)


# --- derived workflows and custom triggers ------------------------------------------------------


class Review(LabelledState):
    INSPECTING = ("inspecting", "Inspecting", "检验中")


def inspector_named(agg: Any, ctx: Context) -> bool:
    """An inspector is named."""
    return bool(ctx.payload.get("inspector"))


INSPECTED: Workflow[Any] = TICKET.derive(
    "inspected_ticket",
    add_states=[Review.INSPECTING],
    add_transitions=[
        transition("inspect", Phase.RESOLVED, Review.INSPECTING, conditions=[inspector_named]),
        transition("close", Review.INSPECTING, Phase.CLOSED),
    ],
    remove_transitions=[("close", Phase.RESOLVED)],
    add_after={"resolve": [hook("after_resolve")]},
    add_on_enter={Review.INSPECTING: [hook("enter_inspecting")]},
)


@attrs.define(slots=True, kw_only=True)
class InspectedTicket(Ticket):
    """A shop's ticket with a quality inspection before closing."""

    inspect = trigger("inspect", "Start the quality inspection.")


bind_workflow(InspectedTicket, INSPECTED)


def test_derived_workflow_on_a_subclass_with_a_custom_trigger_works_end_to_end(
    clock: FixedClock,
) -> None:
    """The subclass fires the derived workflow: new state, new guard, custom trigger method,
    extra hooks on an inherited trigger; the base class keeps the default workflow."""
    t = InspectedTicket(id="t-7", clock=clock)
    _opened(t).route(actor=STAFF, urgent=True)
    t.resolve(actor=STAFF)
    assert t.trail[-1] == "after_resolve@RESOLVED"
    assert t.allowed_triggers() == ("inspect",)
    with pytest.raises(InvalidTransition):
        t.close(actor=STAFF)

    assert isinstance(t.inspect, BoundTrigger)
    assert not t.inspect.can()
    assert t.inspect.can(inspector="qa-7")
    with pytest.raises(GuardRejected, match="inspector_named"):
        t.inspect(actor=STAFF)
    record = t.inspect(actor=STAFF, note="batch 3", inspector="qa-7")
    assert (record.trigger, record.source, record.dest, record.note) == (
        "inspect",
        Phase.RESOLVED,
        Review.INSPECTING,
        "batch 3",
    )
    assert status_of(t) is Review.INSPECTING
    assert t.trail[-1] == "enter_inspecting@INSPECTING"
    t.close(actor=STAFF)
    assert t.is_final
    assert [r.trigger for r in t.history] == ["start", "route", "resolve", "inspect", "close"]
    assert t.version == 5

    # The base class is still bound to the default workflow.
    assert Ticket.workflow is TICKET
    assert InspectedTicket.workflow is INSPECTED
    base = Ticket(id="t-8", clock=clock)
    _opened(base).route(actor=STAFF)
    assert base.allowed_triggers() == ("close",)
    with pytest.raises(InvalidTransition):
        base._fire("inspect", actor=STAFF)
    base.close(actor=STAFF)
    assert "after_resolve" not in " ".join(base.trail)


def test_trigger_descriptor_on_the_class_and_bound_repr() -> None:
    """On the class the descriptor is itself (with its docstring); on an instance it binds."""
    assert isinstance(InspectedTicket.inspect, trigger)
    assert InspectedTicket.inspect.__doc__ == "Start the quality inspection."
    assert trigger("x").__doc__ == "Fire the 'x' trigger."
    t = InspectedTicket(id="t-3")
    assert repr(t.inspect) == "<trigger 'inspect' of InspectedTicket 't-3'>"
