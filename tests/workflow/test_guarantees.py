"""What the kernel guarantees beyond firing: no re-entry, rollback of every field, kernel-managed
fields that only triggers change, checked construction, ``can()`` agreeing with the trigger,
typed custom triggers, O(1) history appends and ``derive(add_sources=...)``.

The toy aggregate is a parcel locker slot: it is filled, opened and emptied; its ``before`` and
``after`` hooks do whatever the payload's ``do`` callable says, so each test can make a hook
misbehave in its own way.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import (
    EcServiceError,
    GuardRejected,
    InvalidTransition,
    InvalidWorkflow,
    ReentrantTrigger,
    ValidationError,
)
from ecservice.workflow import (
    Actor,
    Aggregate,
    BoundTypedTrigger,
    Context,
    DomainEvent,
    History,
    LabelledState,
    ReadOnlyField,
    TransitionRecord,
    TypedTrigger,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)

STAFF = Actor.staff("li.na")
START = pendulum.datetime(2026, 11, 11, 8, 0, tz="Asia/Shanghai")


class Slot(LabelledState):
    EMPTY = ("empty", "Empty", "空")
    FULL = ("full", "Full", "有件")
    OPEN = ("open", "Open", "已开")
    RETIRED = ("retired", "Retired", "停用")


@attrs.frozen(slots=True, kw_only=True)
class Filled(DomainEvent):
    parcel: str


def run_do(agg: Locker, ctx: Context) -> None:
    """Run the payload's ``do`` callable (how each test makes a hook misbehave)."""
    do = ctx.payload.get("do")
    if callable(do):
        do(agg, ctx)


def store_parcel(agg: Locker, ctx: Context) -> None:
    agg.parcel = ctx.arg("parcel", str)
    agg.log = (*agg.log, f"fill {agg.parcel}")
    ctx.emit(Filled(aggregate_id=agg.id, occurred_at=ctx.at, actor=ctx.actor, parcel=agg.parcel))


def fits(agg: Locker, ctx: Context) -> bool:
    """The parcel fits the slot."""
    do = ctx.payload.get("guard")
    if callable(do):
        do(agg, ctx)
    return len(ctx.arg("parcel", str)) <= agg.size


LOCKER: Workflow[Locker] = Workflow(
    "locker",
    states=Slot,
    initial=Slot.EMPTY,
    final=[Slot.RETIRED],
    transitions=[
        transition("fill", Slot.EMPTY, Slot.FULL, conditions=[fits], before=[store_parcel]),
        transition("open", Slot.FULL, Slot.OPEN, before=[run_do], after=[run_do]),
        transition("empty", Slot.OPEN, Slot.EMPTY),  # fast path: no guard, no hook
        transition("retire", [Slot.EMPTY, Slot.FULL], Slot.RETIRED, after=[run_do]),
        transition("note", [Slot.EMPTY, Slot.FULL, Slot.OPEN], None, before=[run_do]),
    ],
)


@attrs.define(slots=True, kw_only=True)
class Locker(Aggregate[Slot]):
    status: Slot = Slot.EMPTY
    size: int = 10
    parcel: str = ""
    log: tuple[str, ...] = ()
    stock: int = 3

    def _prepare_fill(self, *, actor: Actor, parcel: str, note: str = "") -> dict[str, Any]:
        if not isinstance(parcel, str) or not parcel:
            raise ValidationError("parcel must be a non-empty str")
        if self.stock <= 0:
            raise ValidationError("no stock of labels left")
        return {"parcel": parcel, "note": note}

    def fill(self, *, actor: Actor, parcel: str, note: str = "") -> TransitionRecord:
        return self._fire("fill", actor=actor, **self._prepare_fill(actor=actor, parcel=parcel))

    def open(self, *, actor: Actor, **payload: Any) -> TransitionRecord:
        return self._fire("open", actor=actor, **payload)

    def empty(self, *, actor: Actor) -> TransitionRecord:
        return self._fire("empty", actor=actor)

    def retire(self, *, actor: Actor, **payload: Any) -> TransitionRecord:
        return self._fire("retire", actor=actor, **payload)

    @trigger
    def note(self, *, actor: Actor, text: str = "", do: object = None) -> TransitionRecord:
        """Add a note to the slot (state unchanged)."""
        raise NotImplementedError


bind_workflow(Locker, LOCKER)


@pytest.fixture
def locker() -> Locker:
    return Locker(id="L-1", clock=FixedClock(START))


def state_of(agg: Aggregate[Any]) -> tuple[object, ...]:
    """Every field and the public views of the kernel's bookkeeping."""
    return (
        attrs.asdict(agg, recurse=False),
        agg.status,
        agg.version,
        tuple(agg.history),
        agg.pending_events,
    )


# --- re-entry ------------------------------------------------------------------------------------


def test_a_hook_firing_a_trigger_of_its_own_aggregate_is_refused_and_nothing_changes(
    locker: Locker,
) -> None:
    """The inner trigger raises ReentrantTrigger; the outer one fails with it and leaves every
    field, the history, the version and the events as before the outer trigger."""
    locker.fill(actor=STAFF, parcel="SF1")
    before = state_of(locker)

    def reenter(agg: Locker, ctx: Context) -> None:
        agg.parcel = "changed"
        agg.retire(actor=STAFF)

    with pytest.raises(ReentrantTrigger) as err:
        locker.open(actor=STAFF, do=reenter)
    assert (err.value.trigger, err.value.running) == ("retire", "open")
    assert "while its trigger 'open' is running" in str(err.value)
    assert state_of(locker) == before
    locker.open(actor=STAFF)  # the aggregate still works
    assert locker.status is Slot.OPEN


def test_re_entry_fails_the_outer_trigger_even_when_the_hook_swallows_the_error(
    locker: Locker,
) -> None:
    """Catching ReentrantTrigger in the hook does not let the outer trigger succeed."""
    locker.fill(actor=STAFF, parcel="SF1")
    before = state_of(locker)

    def swallow(agg: Locker, ctx: Context) -> None:
        agg.parcel = "changed"
        with contextlib.suppress(ReentrantTrigger):
            agg.empty(actor=STAFF)  # the hook-free fast path is refused too

    with pytest.raises(ReentrantTrigger) as err:
        locker.open(actor=STAFF, do=swallow)
    assert (err.value.trigger, err.value.running) == ("empty", "open")
    assert state_of(locker) == before


def test_a_guard_firing_a_trigger_is_refused(locker: Locker) -> None:
    """Guards run while the trigger runs: re-entry from a guard is refused as well."""
    before = state_of(locker)

    def fire_from_guard(agg: Locker, ctx: Context) -> None:
        with contextlib.suppress(ReentrantTrigger):
            agg.note(actor=STAFF, text="from a guard")

    with pytest.raises(ReentrantTrigger):
        locker._fire("fill", actor=STAFF, parcel="SF1", guard=fire_from_guard)
    assert state_of(locker) == before


def test_a_final_state_is_never_left_by_a_trigger_fired_from_its_hooks(locker: Locker) -> None:
    """An after hook of the transition into a final state cannot move the aggregate on."""
    before = state_of(locker)

    def leave_final(agg: Locker, ctx: Context) -> None:
        assert agg.status is Slot.RETIRED
        agg.note(actor=STAFF, text="still alive?")

    with pytest.raises(ReentrantTrigger):
        locker.retire(actor=STAFF, do=leave_final)
    assert state_of(locker) == before
    locker.retire(actor=STAFF)
    assert locker.is_final
    assert locker.allowed_triggers() == ()


def test_can_called_from_a_hook_answers_false_as_the_call_would_raise(locker: Locker) -> None:
    """While a trigger runs, firing another raises ReentrantTrigger, so can() answers False
    (it used to answer True for a trigger the state allowed); it changes nothing either way."""
    answers: list[bool] = []

    def ask(agg: Locker, ctx: Context) -> None:
        answers.append(agg.can("retire"))
        answers.append(agg.can("note", text="x"))
        answers.append(agg.note.can(actor=STAFF, text="x"))

    locker.fill(actor=STAFF, parcel="SF1")
    assert locker.can("retire")
    locker.open(actor=STAFF, do=ask)
    assert answers == [False] * 6  # before hook in FULL, after hook in OPEN
    assert locker.status is Slot.OPEN
    assert locker.can("note", text="x")  # idle again: the answer is the state's


def test_chaining_triggers_after_the_first_returned_works(locker: Locker) -> None:
    """The documented way to chain: fire the second trigger after the first returned."""
    locker.fill(actor=STAFF, parcel="SF1")
    locker.open(actor=STAFF)
    locker.empty(actor=STAFF)
    assert [r.trigger for r in locker.history] == ["fill", "open", "empty"]


# --- rollback of every field ---------------------------------------------------------------------


@attrs.define(slots=True, kw_only=True)
class MutableLocker(Locker):
    """A locker whose fields hold mutable containers (against the rule, to test the fallback)."""

    labels: list[str] = attrs.field(factory=list)
    seen: dict[str, int] = attrs.field(factory=dict)


bind_workflow(MutableLocker, LOCKER)


def test_in_place_mutation_of_a_mutable_field_is_rolled_back(locker: Locker) -> None:
    """Fields annotated with a list or dict are copied on write before hooks run, so a hook that
    mutates them in place and then raises leaves them as they were."""
    m = MutableLocker(id="M-1", clock=FixedClock(START), labels=["a"], seen={"x": 1})
    m.fill(actor=STAFF, parcel="SF1")

    def mutate_and_fail(agg: MutableLocker, ctx: Context) -> None:
        agg.labels.append("b")
        agg.seen["y"] = 2
        raise RuntimeError("hook failed")

    with pytest.raises(RuntimeError):
        m.open(actor=STAFF, do=mutate_and_fail)
    assert (m.labels, m.seen, m.status, m.version) == (["a"], {"x": 1}, Slot.FULL, 1)


def test_rollback_restores_the_event_queue(locker: Locker) -> None:
    """A hook that pulls the queued events and then fails puts them back."""
    locker.fill(actor=STAFF, parcel="SF1")
    queued = locker.pending_events
    assert len(queued) == 1

    def pull_then_fail(agg: Locker, ctx: Context) -> None:
        agg.pull_events()
        raise RuntimeError("hook failed")

    with pytest.raises(RuntimeError):
        locker.open(actor=STAFF, do=pull_then_fail)
    assert locker.pending_events == queued


def test_the_library_aggregates_hold_no_mutable_containers() -> None:
    """Order, Cart and Payment keep their data in immutable values (tuples, frozen attrs), so
    rollback by reassignment is complete without deep copies."""
    from ecservice.orders import Cart, Order
    from ecservice.payments import Payment
    from ecservice.workflow._engine import _plan

    for cls in (Order, Cart, Payment):
        assert _plan(cls).deep == (), cls
    assert _plan(MutableLocker).deep != ()


# --- kernel-managed fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"), [("status", Slot.FULL), ("version", 5), ("history", ())]
)
def test_assigning_a_kernel_managed_field_is_refused(
    locker: Locker, name: str, value: object
) -> None:
    """status, version and history change only when a trigger fires."""
    before = state_of(locker)
    with pytest.raises(ReadOnlyField, match=f"cannot assign '{name}' of Locker 'L-1' directly"):
        setattr(locker, name, value)
    with pytest.raises(ReadOnlyField):
        object.__setattr__(locker, name, value)
    assert state_of(locker) == before


def test_ordinary_fields_stay_assignable_and_evolve_copy_and_pickle_work(locker: Locker) -> None:
    """Other fields are plain; attrs.evolve, copy, deepcopy and pickle rebuild sealed copies."""
    locker.size = 20
    locker.fill(actor=STAFF, parcel="SF1")
    for clone in (
        attrs.evolve(locker),
        copy.copy(locker),
        copy.deepcopy(locker),
        pickle.loads(pickle.dumps(locker)),
    ):
        assert clone == locker
        assert clone.pending_events == locker.pending_events or clone.pending_events == ()
        with pytest.raises(ReadOnlyField):
            clone.status = Slot.OPEN
        clone.open(actor=STAFF)
        assert (clone.status, locker.status) == (Slot.OPEN, Slot.FULL)
    with pytest.raises(ValidationError, match="last transition of its history led to FULL"):
        attrs.evolve(locker, status=Slot.EMPTY)


# --- construction checks -------------------------------------------------------------------------


def _record(version: int, source: Slot = Slot.EMPTY, dest: Slot = Slot.FULL) -> TransitionRecord:
    return TransitionRecord("fill", source, dest, START, STAFF, "", version)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"status": "full"},
            r"status must be one of the Slot states of workflow 'locker' \(EMPTY, FULL",
        ),
        ({"status": None}, "status must be one of the Slot states"),
        ({"status": []}, "not list"),
        ({"version": -1}, "version must be an int >= 0, not int -1"),
        ({"version": True}, "version must be an int >= 0, not bool"),
        ({"version": 10**5000}, r"version is above 2\*\*64"),
        ({"version": 1}, "history has 0 records but version is 1"),
        ({"history": [_record(1)], "version": 1, "status": Slot.FULL}, "not list"),
        (
            {"history": (_record(2),), "version": 1, "status": Slot.FULL},
            "history item 1 has version 2",
        ),
        ({"history": ("x",), "version": 1, "status": Slot.FULL}, "must be a TransitionRecord"),
        ({"history": (_record(1),), "version": 1}, "status is EMPTY but the last transition"),
        ({"clock": "now"}, "clock must be a Clock"),
        ({"id": ""}, "needs an id"),
        ({"id": "a\u202eb"}, "needs an id"),
        ({"id": 7}, "got int"),
    ],
)
def test_construction_refuses_inconsistent_kernel_fields(
    changes: dict[str, Any], message: str
) -> None:
    """What storage rehydrates goes through these checks (ValidationError naming the rule)."""
    fields: dict[str, Any] = {"id": "L-9", "clock": FixedClock(START), **changes}
    with pytest.raises(ValidationError, match=message):
        Locker(**fields)


def test_a_consistent_history_is_accepted_and_kept() -> None:
    history = (_record(1), TransitionRecord("open", Slot.FULL, Slot.OPEN, START, STAFF, "", 2))
    restored = Locker(id="L-2", status=Slot.OPEN, version=2, history=history)
    assert restored.history == history
    restored.empty(actor=STAFF)
    assert restored.version == 3


class _SettableClock:
    """A clock that can be set back (a FixedClock refuses to)."""

    def __init__(self, at: pendulum.DateTime) -> None:
        self.at = at

    def now(self) -> pendulum.DateTime:
        return self.at


def test_a_clock_behind_the_last_record_records_its_instant_and_the_history_reloads() -> None:
    """A clock set back, or another machine's clock running behind, does not write a history
    out of time order (which the constructor would refuse when the aggregate is loaded): the
    record takes the last record's instant, on the kernel's fast path and on the hooked one."""
    clock = _SettableClock(START)
    locker = Locker(id="L-3", clock=clock)
    locker.fill(actor=STAFF, parcel="P-1")
    clock.at = START.subtract(minutes=5)
    hooked = locker.open(actor=STAFF)
    fast = locker.empty(actor=STAFF)
    assert (hooked.at, fast.at) == (START, START)
    clock.at = START.add(minutes=1)
    assert locker.fill(actor=STAFF, parcel="P-2").at == START.add(minutes=1)
    fields = attrs.asdict(locker, recurse=False)
    for name in ("_firing", "_events"):
        fields.pop(name, None)
    reloaded = Locker(**{k: v for k, v in fields.items() if not k.startswith("_")})
    assert tuple(reloaded.history) == tuple(locker.history)


@attrs.define(slots=True, kw_only=True)
class CheckedLocker(Locker):
    """A subclass whose own post-init check does not call super()."""

    def __attrs_post_init__(self) -> None:
        if self.size <= 0:
            raise ValidationError("size must be positive")


bind_workflow(CheckedLocker, LOCKER)


def test_base_checks_run_even_if_a_subclass_post_init_does_not_call_super() -> None:
    with pytest.raises(ValidationError, match="status must be"):
        CheckedLocker(id="C-1", status="empty")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="size must be positive"):
        CheckedLocker(id="C-1", size=0)
    ok = CheckedLocker(id="C-1")
    with pytest.raises(ReadOnlyField):
        ok.version = 3


@pytest.mark.parametrize("actor", [None, "x", Actor, 3])
def test_fire_refuses_an_actor_that_is_not_an_actor(locker: Locker, actor: object) -> None:
    before = state_of(locker)
    with pytest.raises(ValidationError, match="actor must be an Actor"):
        locker.empty(actor=actor)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="actor must be an Actor"):
        locker._fire("note", actor=actor)  # type: ignore[arg-type]
    assert state_of(locker) == before


@pytest.mark.parametrize(
    ("note", "message"),
    [(123, "must be a non-empty string, not int"), ("a\u202eb", "U\\+202E"), (None, "NoneType")],
)
def test_fire_refuses_a_note_that_is_not_acceptable_text(
    locker: Locker, note: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        locker._fire("note", actor=STAFF, note=note)  # type: ignore[arg-type]
    assert locker.version == 0


def test_fire_strips_a_padded_note_and_keeps_line_breaks(locker: Locker) -> None:
    record = locker._fire("note", actor=STAFF, note="  two\nlines ")
    assert record.note == "two\nlines"


# --- can() agrees with the trigger ---------------------------------------------------------------


def test_can_runs_the_prepare_method_and_agrees_with_the_trigger(locker: Locker) -> None:
    """_prepare_fill refuses an empty parcel or no stock: can() answers False, and the method
    raises; when can() answers True the call succeeds."""
    assert not locker.can("fill", parcel="")
    with pytest.raises(ValidationError):
        locker.fill(actor=STAFF, parcel="")
    assert not locker.can("fill", parcel="much too long a parcel")  # the guard
    with pytest.raises(GuardRejected):
        locker.fill(actor=STAFF, parcel="much too long a parcel")
    locker.stock = 0
    assert not locker.can("fill", parcel="SF1")
    locker.stock = 1
    assert locker.can("fill", parcel="SF1", actor=STAFF, note="ok")
    locker.fill(actor=STAFF, parcel="SF1", note="ok")


@pytest.mark.parametrize(
    ("trigger_name", "kwargs"),
    [
        ([], {}),
        ("fill", {"actor": "staff", "parcel": "SF1"}),
        ("fill", {"parcel": "SF1", "note": 5}),
        ("open", {}),  # not allowed in EMPTY
        ("nope", {}),
    ],
)
def test_can_answers_false_for_what_the_trigger_would_refuse(
    locker: Locker, trigger_name: Any, kwargs: dict[str, Any]
) -> None:
    assert locker.can(trigger_name, **kwargs) is False


def test_can_answers_false_when_a_guard_raises_a_library_error(locker: Locker) -> None:
    """Locker's fits guard reads ctx.arg("parcel", str): a missing parcel is a ValidationError
    there, and a False answer from can() (the prepare-free path through BoundTypedTrigger)."""
    assert not Locker.workflow._compiled.can(locker, "fill", STAFF, {})


# --- typed custom triggers -----------------------------------------------------------------------


def test_a_typed_trigger_fires_with_its_declared_keywords(locker: Locker) -> None:
    assert isinstance(Locker.note, TypedTrigger)
    assert isinstance(Locker.note, trigger)
    assert Locker.note.__doc__ == "Add a note to the slot (state unchanged)."
    bound = locker.note
    assert isinstance(bound, BoundTypedTrigger)
    assert repr(bound) == "<trigger 'note' of Locker 'L-1'>"
    seen: list[object] = []
    assert bound.can(actor=STAFF, text="hello")
    record = bound(actor=STAFF, text="hello", do=lambda agg, ctx: seen.append(ctx.payload["text"]))
    assert (record.trigger, record.internal, locker.version) == ("note", True, 1)
    assert seen == ["hello"]
    assert locker.note(actor=STAFF).trigger == "note"  # defaults apply


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1,), {"actor": STAFF}, "keyword arguments only"),
        ((), {"actor": STAFF, "txt": "typo"}, r"unexpected keyword arguments \['txt'\]"),
        ((), {}, r"missing keyword arguments \['actor'\]"),
    ],
)
def test_a_typed_trigger_refuses_undeclared_or_missing_keywords(
    locker: Locker, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    """The call raises TypeError; ``can`` with the same arguments answers False (it used to
    raise), and so does ``can`` by name with the same keywords."""
    with pytest.raises(TypeError, match=message):
        locker.note(*args, **kwargs)
    assert locker.note.can(*args, **kwargs) is False
    if not args and "actor" in kwargs:
        assert locker.can("note", **kwargs) is False
    assert locker.note.can(actor=STAFF, text="fine") is True
    assert locker.version == 0


def test_a_typed_trigger_declaration_is_checked_when_the_class_is_defined() -> None:
    with pytest.raises(InvalidWorkflow, match="parameter 'passed' must be keyword-only"):

        @trigger
        def inspect(self: Any, passed: bool, *, actor: Actor) -> None: ...

    with pytest.raises(InvalidWorkflow, match="must declare the keyword-only parameter `actor"):

        @trigger
        def check(self: Any, *, passed: bool) -> None: ...

    with pytest.raises((InvalidWorkflow, RuntimeError)):

        class Misnamed(Locker):
            @trigger
            def other(self, *, actor: Actor) -> None: ...

            inspect = other


def test_a_typed_trigger_uses_the_prepare_method_when_there_is_one() -> None:
    @attrs.define(slots=True, kw_only=True)
    class Sealed(Locker):
        def _prepare_note(
            self, *, actor: Actor, text: str = "", do: object = None
        ) -> dict[str, object]:
            if "secret" in text:
                raise ValidationError("no secrets in notes")
            return {"text": text.upper(), "do": do}

    bind_workflow(Sealed, LOCKER)
    sealed = Sealed(id="S-1")
    assert not sealed.note.can(actor=STAFF, text="a secret")
    with pytest.raises(ValidationError):
        sealed.note(actor=STAFF, text="a secret")
    seen: list[object] = []
    sealed.note(actor=STAFF, text="hi", do=lambda agg, ctx: seen.append(ctx.payload["text"]))
    assert seen == ["HI"]


# --- history -------------------------------------------------------------------------------------


def test_history_appends_share_one_buffer_and_older_views_never_change() -> None:
    records = [_record(i) for i in range(1, 6)]
    h3 = History(records[:3])
    h4 = h3.appended(records[3])
    h5 = h4.appended(records[4])
    assert h5._buf is h4._buf is h3._buf  # no copy: O(1) append
    assert (len(h3), len(h4), len(h5)) == (3, 4, 5)
    assert h3 == tuple(records[:3])
    assert tuple(records[:3]) == h3
    other = h3.appended(records[0])  # appending to an older view copies it first
    assert other._buf is not h3._buf
    assert tuple(h5) == tuple(records)
    assert tuple(other)[-1] is records[0]
    assert h4 != h5
    assert h4 != other
    assert h5[-1] is records[4]
    assert h5[1:3] == tuple(records[1:3])
    assert list(reversed(h4)) == records[3::-1]
    with pytest.raises(IndexError):
        h4[4]
    assert hash(h4) == hash(tuple(records[:4]))
    assert pickle.loads(pickle.dumps(h4)) == h4
    assert (*h4, records[4]) == tuple(records)
    assert repr(History(records[:1])).startswith("History((TransitionRecord(")


def test_an_append_that_loses_the_race_for_the_shared_buffer_copies_instead() -> None:
    """Two views of one buffer appended at once (two threads, two copies of an aggregate): the
    view whose record did not land right after its own records copies them, so each sees exactly
    its own records. The other thread's append is simulated between the length check and ours."""
    from ecservice.workflow._history import append_record

    theirs, mine = _record(2), TransitionRecord("note", Slot.FULL, Slot.FULL, START, STAFF, "", 2)

    class Contended(list[TransitionRecord]):
        def append(self, record: TransitionRecord) -> None:
            if record is mine:
                super().append(theirs)  # the other thread got there first
            super().append(record)

    start = History()
    start._buf = Contended([_record(1)])
    start._n = 1
    for append in (append_record, History.appended):
        start._buf[1:] = []
        got = append(start, mine)
        assert tuple(got) == (_record(1), mine)
        assert got._buf is not start._buf
        assert len(start) == 1


def test_a_long_history_is_a_history_and_copies_diverge_safely(locker: Locker) -> None:
    """After many transitions the history is a History; a copy made with attrs.evolve and the
    original then append different records without seeing each other's."""
    for _ in range(50):
        locker.note(actor=STAFF)
    assert isinstance(locker.history, History)
    copy_ = attrs.evolve(locker)
    locker.note(actor=STAFF, text="original")
    copy_.fill(actor=STAFF, parcel="SF1")
    assert (locker.history[-1].trigger, copy_.history[-1].trigger) == ("note", "fill")
    assert locker.history[:50] == copy_.history[:50]
    assert [r.version for r in locker.history] == list(range(1, 52))
    assert (
        Locker(
            id="L-3", status=locker.status, version=locker.version, history=locker.history
        ).history
        == locker.history
    )


def test_transition_records_are_immutable_values() -> None:
    r = _record(1)
    with pytest.raises(AttributeError):
        r.trigger = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        r.extra = 1  # type: ignore[attr-defined]
    assert r == _record(1)
    assert r != _record(2)
    assert r != ("fill",)
    assert hash(r) == hash(_record(1))
    assert pickle.loads(pickle.dumps(r)) == r
    assert copy.deepcopy(r) == r
    assert repr(r).startswith("TransitionRecord(trigger='fill', source=<Slot.EMPTY: 'empty'>")
    match r:
        case TransitionRecord(trigger, source, dest):
            assert (trigger, source, dest) == ("fill", Slot.EMPTY, Slot.FULL)


# --- derive(add_sources=...) ---------------------------------------------------------------------


class Extra(LabelledState):
    HELD = ("held", "Held", "暂扣")


def test_add_sources_copies_every_transition_of_a_trigger_for_the_new_source() -> None:
    derived: Workflow[Locker] = LOCKER.derive(
        "locker-held",
        add_states=[Extra.HELD],
        add_transitions=[transition("hold", Slot.FULL, Extra.HELD)],
        add_sources={"open": [Extra.HELD], "note": {Extra.HELD: Slot.FULL}},
    )
    opens = derived.transitions_for("open")
    assert [t.sources for t in opens] == [(Slot.FULL, Extra.HELD)]
    assert opens[0].before == LOCKER.transitions_for("open")[0].before  # hooks kept
    assert Extra.HELD in derived.transitions_for("note")[0].sources


def test_add_sources_refuses_unknown_triggers_and_states_the_trigger_does_not_leave() -> None:
    with pytest.raises(InvalidWorkflow) as err:
        LOCKER.derive(
            "bad",
            add_states=[Extra.HELD],
            add_sources={"opne": [Extra.HELD], "empty": {Extra.HELD: Slot.FULL}},
        )
    assert err.value.problems == (
        "cannot change unknown trigger 'opne'",
        "cannot add source <Extra.HELD: 'held'> to 'empty' like <Slot.FULL: 'full'>: "
        "'empty' does not leave it",
    )


def test_the_issue_scenario_a_confirm_hook_that_cancels_leaves_the_order_unchanged() -> None:
    """A before hook of confirm that calls order.cancel(...): the order stays as it was, no
    event is queued and the history is unchanged."""
    from decimal import Decimal

    from ecservice.money import Money
    from ecservice.orders import ORDER_WORKFLOW, Address, Order, OrderLine, OrderStatus

    def cancel_instead(order: Order, ctx: Context) -> None:
        order.cancel(reason="changed my mind", actor=Actor.buyer("u-1"))

    wf = ORDER_WORKFLOW.derive("order-reentrant", add_before={"confirm": [cancel_instead]})

    @attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
    class HastyOrder(Order):
        pass

    bind_workflow(HastyOrder, wf)
    clock = FixedClock(START)
    order = HastyOrder(
        id="O-1",
        buyer_id="u-1",
        clock=clock,
        created_at=clock.now(),
        lines=[
            OrderLine(
                sku="TEA",
                name="Tea",
                unit_price=Money("88.00", "CNY"),
                quantity=2,
                weight_kg=Decimal("0.5"),
            )
        ],
        address=Address(
            recipient="王小明",
            phone="13800138000",
            province="浙江省",
            city="杭州市",
            street="龙井路 1 号",
        ),
        shipping_fee=Money("10.00", "CNY"),
    )
    before = state_of(order)
    with pytest.raises(ReentrantTrigger, match="cannot 'cancel' HastyOrder 'O-1' while its"):
        order.confirm(actor=STAFF)
    assert state_of(order) == before
    assert order.status is OrderStatus.PENDING_CONFIRMATION
    assert (order.pending_events, tuple(order.history), order.cancellations) == ((), (), ())
    assert isinstance(ReentrantTrigger("a", "b", subject="x"), EcServiceError)
    with pytest.raises(InvalidTransition):
        order.ship(carrier="SF", tracking_no="1", actor=STAFF)
