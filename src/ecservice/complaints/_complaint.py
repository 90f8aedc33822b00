"""The complaint aggregate: its fields, the views an SLA needs, and its typed trigger methods."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping

import attrs
from pendulum import DateTime

from ecservice.aftersales import CaseLine, CaseStatus, Liability, ProblemCategory, ProblemKind
from ecservice.aftersales import RemedyKind as _RemedyKind
from ecservice.calendar import WorkingCalendar
from ecservice.clock import ensure_utc
from ecservice.complaints import _prepare
from ecservice.complaints._breaches import SLA_TIMER, SlaBreach, breach_tuple
from ecservice.complaints._checks import check_complaint, check_reopen_window
from ecservice.complaints._events import ComplaintStatus
from ecservice.complaints._sla_clock import SlaCycle, SlaEvaluation, evaluate_sla
from ecservice.complaints._sla_policy import SlaPolicy
from ecservice.complaints._values import (
    DEFAULT_REOPEN_WINDOW,
    INSPECTIONS,
    ComplaintCause,
    ComplaintChannel,
    ComplaintPriority,
    ComplaintSolution,
    ComplaintValidity,
    FollowUpVisit,
    RootCause,
    ThirdParty,
    complaint_lines,
)
from ecservice.complaints._workflow import COMPLAINT_WORKFLOW, WAITING_STATES
from ecservice.text import LONG_TEXT_MAX, text
from ecservice.workflow import Actor, Aggregate, TransitionRecord, bind_workflow

__all__ = ["Complaint"]

S = ComplaintStatus


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="opened_at")


def _lines(value: Mapping[str, int] | Iterable[CaseLine] | None) -> tuple[CaseLine, ...]:
    return complaint_lines(value)


def _window(value: _dt.timedelta) -> _dt.timedelta:
    return check_reopen_window(value)


def _breaches(value: Iterable[SlaBreach]) -> tuple[SlaBreach, ...]:
    return breach_tuple(value)


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Complaint(Aggregate[ComplaintStatus]):
    """A customer's complaint (投诉) and its handling, in six steps: reply (回复投诉), record
    (记录投诉), judge (判断投诉), analyse (分析投诉), feedback (反馈投诉) and the follow-up
    visit (投诉回访); its workflow is :data:`COMPLAINT_WORKFLOW`.

    A valid complaint is analysed; an invalid one goes straight to feedback, which explains the
    judgement. A solution carried out by an after-sales case names it (``case_id``) and the
    complaint waits (``AWAITING_CASE``) until the application reports the case's end with
    :meth:`case_resolved`. The follow-up visit captures the customer's satisfaction (1-5) or
    records that they could not be reached, and closes the complaint; a closed complaint may be
    reopened within ``reopen_window``.

    In every open state, customer service may :meth:`reply` again (answers, progress updates)
    and :meth:`escalate` (one level up: supervisor, manager, head of customer service); both are
    internal transitions, recorded in the history without a change of state. From a working step
    (replied, recorded, judged, analysed) the complaint may wait for the customer
    (:meth:`await_customer`) or a third party (:meth:`await_third_party`: a carrier, an
    inspection, testing or appraisal body...) and :meth:`resume` returns it to that step.

    **Service levels.** Everything an SLA clock needs is in the history: when each step was
    reached (:meth:`entered_at`), every reply (:attr:`replies`, the first one
    :attr:`first_replied_at`), and every wait with its start and end (:meth:`waits`). The
    breaches an SLA timer found are recorded in ``breaches`` (:meth:`record_breach`, once
    each, at their exact instant).

    **Loading.** The constructor checks what storage hands it: every field's type, and that the
    data of each step is there exactly when the history (since the last reopening) took that
    step: ``summary`` once recorded, ``validity`` once judged (``liability`` exactly when valid),
    ``cause`` once analysed (valid complaints only), ``solution`` once fed back, ``case_outcome``
    once the case ended, ``visit`` once visited; ``level`` is the number of escalations;
    ``paused_from`` is the step the current wait left and each resumption went back to the step
    its wait left; ``waiting_for`` is set exactly while a third party is awaited;
    ``breaches`` holds one breach per ``record_breach`` record of the history, in its order
    (each record's note describes its breach), no cycle twice, each recorded at or after its
    instant.

    Args:
        id: the complaint's identifier (short text).
        version: how many transitions succeeded; 0 for a new complaint.
        history: every transition, oldest first (``version`` records).
        clock: where the complaint reads the time; the system clock by default.
        status: the complaint's state; ``ComplaintStatus.RECEIVED`` for a new complaint.
        buyer_id: the customer who complained (short text).
        text: the complaint in the customer's words (long text).
        channel: where it came from.
        opened_at: when it was lodged; an aware datetime, converted to UTC.
        priority: how urgent it is; normal by default.
        order_id: the order it is about (short text), if any.
        lines: the order lines concerned, ``{sku: quantity}`` or
            :class:`~ecservice.aftersales.CaseLine` values (needs ``order_id``); none by default.
        problem: the problem (its category is :attr:`category`), if known; :meth:`record` sets
            it.
        summary: the facts as recorded (long text), set by :meth:`record`.
        validity: the judgement, set by :meth:`judge`.
        liability: who is responsible, for a valid complaint.
        cause: the cause found by :meth:`analyse`.
        solution: the solution told by :meth:`feedback`.
        case_outcome: the state the after-sales case reached (:meth:`case_resolved`).
        visit: the follow-up visit.
        level: the escalation level, 0 (first line) to
            :data:`MAX_ESCALATION_LEVEL`.
        paused_from: the working step a waiting complaint returns to.
        waiting_for: the third party awaited, in ``AWAITING_THIRD_PARTY``.
        reopen_window: how long after closing it may be reopened (a shop setting;
            :data:`DEFAULT_REOPEN_WINDOW`, 15 days, by default).
        breaches: the SLA breaches recorded (:class:`SlaBreach` values, oldest recorded
            first), set by :meth:`record_breach`; none by default.

    Raises:
        ValidationError: a field of the wrong type, unacceptable text, or fields that disagree
            with the state or the history (the subclass
            :class:`~ecservice.errors.InvalidQuantity` names bad order lines).
    """

    status: ComplaintStatus = ComplaintStatus.RECEIVED
    buyer_id: str = attrs.field(validator=text("a complaint's buyer_id"))
    text: str = attrs.field(
        validator=text("a complaint's text", limit=LONG_TEXT_MAX, multiline=True)
    )
    channel: ComplaintChannel
    opened_at: DateTime = attrs.field(converter=_utc)
    priority: ComplaintPriority = ComplaintPriority.NORMAL
    order_id: str | None = None
    lines: tuple[CaseLine, ...] = attrs.field(default=(), converter=_lines)
    problem: ProblemKind | None = None
    summary: str | None = None
    validity: ComplaintValidity | None = None
    liability: Liability | None = None
    cause: ComplaintCause | None = None
    solution: ComplaintSolution | None = None
    case_outcome: CaseStatus | None = None
    visit: FollowUpVisit | None = None
    level: int = 0
    paused_from: ComplaintStatus | None = None
    waiting_for: ThirdParty | None = None
    reopen_window: _dt.timedelta = attrs.field(default=DEFAULT_REOPEN_WINDOW, converter=_window)
    breaches: tuple[SlaBreach, ...] = attrs.field(default=(), converter=_breaches)

    def __attrs_post_init__(self) -> None:
        check_complaint(self)

    # --- views ---------------------------------------------------------------------------------

    @property
    def category(self) -> ProblemCategory | None:
        """The problem's category (product, service, logistics, buyer), once the problem is
        known."""
        return None if self.problem is None else self.problem.category

    @property
    def quantities(self) -> dict[str, int]:
        """``{sku: quantity}`` of the order lines concerned (a new dict on every call)."""
        return {line.sku: line.quantity for line in self.lines}

    @property
    def is_open(self) -> bool:
        """Whether the complaint is still being handled (not closed)."""
        return self.status is not S.CLOSED and not self.is_final

    @property
    def is_waiting(self) -> bool:
        """Whether the complaint waits for the customer or a third party (SLA clocks pause)."""
        return self.status in WAITING_STATES

    @property
    def replies(self) -> tuple[TransitionRecord, ...]:
        """The ``reply`` records of the history, oldest first (every reply to the customer, the
        first one included); a record's ``note`` is the message and its ``at`` the instant."""
        return tuple(r for r in self.history if r.trigger == "reply")

    @property
    def first_replied_at(self) -> DateTime | None:
        """When the customer first got a reply (the first-reply SLA stops there), or ``None``
        before it."""
        for record in self.history:
            if record.trigger == "reply":
                return record.at
        return None

    def entered_at(self, status: ComplaintStatus) -> DateTime | None:
        """When the complaint last entered ``status`` (``opened_at`` for ``RECEIVED``, which it
        never re-enters), or ``None`` if it never did. Transitions that keep the state (replies,
        escalations, recording again) do not count."""
        for record in reversed(self.history):
            if record.dest is status and not record.internal:
                return record.at
        return self.opened_at if status is S.RECEIVED else None

    def waits(self) -> tuple[tuple[ComplaintStatus, DateTime, DateTime | None], ...]:
        """Every wait, oldest first: ``(waiting state, start, end)``, the end ``None`` for the
        current one. An SLA clock subtracts these spans from the time elapsed."""
        spans: list[tuple[ComplaintStatus, DateTime, DateTime | None]] = []
        for record in self.history:
            if record.source in WAITING_STATES and record.dest is not record.source:
                state, start, _ = spans[-1]
                spans[-1] = (state, start, record.at)
            if record.dest in WAITING_STATES and record.source is not record.dest:
                dest = record.dest
                assert isinstance(dest, ComplaintStatus)
                spans.append((dest, record.at, None))
        return tuple(spans)

    @property
    def waiting_since(self) -> DateTime | None:
        """When the current wait started, while the complaint waits."""
        if not self.is_waiting:
            return None
        return self.waits()[-1][1]

    @property
    def closed_at(self) -> DateTime | None:
        """When the complaint closed, while it is closed."""
        return self.entered_at(S.CLOSED) if self.status is S.CLOSED else None

    def sla(
        self,
        policy: SlaPolicy,
        calendar: WorkingCalendar,
        *,
        now: _dt.datetime | None = None,
    ) -> SlaEvaluation:
        """The complaint's SLA clocks under ``policy`` on ``calendar``
        (:func:`evaluate_sla` of its opening, history, priority and problem) at ``now``: its
        clock's ``now`` by default; an earlier instant than its last transition counts as that
        transition's instant.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a policy that is not an :class:`SlaPolicy` or a calendar that is
                not a :class:`~ecservice.calendar.WorkingCalendar`.
            CalendarNotConfirmed: a due date needs a day whose holidays are not confirmed.
        """
        at = ensure_utc(self.clock.now() if now is None else now, what="now")
        last = self.history[-1].at if self.history else self.opened_at
        return evaluate_sla(
            self.opened_at,
            self.history,
            policy,
            calendar,
            priority=self.priority,
            problem=self.problem,
            now=max(at, last),
        )

    @property
    def reopen_count(self) -> int:
        """How many times the complaint was reopened."""
        return sum(1 for r in self.history if r.trigger == "reopen")

    # --- triggers: a pure _prepare_<trigger> (checks, payload; can() calls it too) and a thin
    # typed method that fires it.

    _prepare_reply = _prepare.prepare_reply

    def reply(self, *, message: str, actor: Actor) -> TransitionRecord:
        """Reply to the customer (回复投诉). The first reply moves a received complaint on;
        later ones (answers, progress updates) are internal transitions in any open state. The
        message (long text) is the history note.

        Raises:
            InvalidTransition: the complaint is closed.
            ValidationError: a blank or unacceptable message.
        """
        payload = self._prepare_reply(message=message, actor=actor)
        return self._fire_prepared("reply", actor, payload)

    _prepare_record = _prepare.prepare_record

    def record(
        self,
        *,
        problem: ProblemKind,
        summary: str,
        actor: Actor,
        priority: ComplaintPriority | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Record the complaint (记录投诉): the problem (its category follows), the facts
        (``summary``, long text) and, optionally, a new priority. Recording again corrects the
        record.

        Raises:
            InvalidTransition: the complaint was not replied to, or is past recording.
            ValidationError: a problem or priority of the wrong type, or a bad summary.
        """
        payload = self._prepare_record(
            problem=problem, summary=summary, actor=actor, priority=priority, note=note
        )
        return self._fire_prepared("record", actor, payload)

    _prepare_judge = _prepare.prepare_judge

    def judge(
        self, *, valid: bool, actor: Actor, liability: Liability | None = None, note: str = ""
    ) -> TransitionRecord:
        """Judge the complaint (判断投诉): valid, naming who is liable, or invalid, with a note
        saying why.

        Raises:
            InvalidTransition: the complaint is not recorded.
            ValidationError: ``valid`` not a bool, a valid complaint without liability, an
                invalid one with a liability or without a note.
        """
        payload = self._prepare_judge(valid=valid, actor=actor, liability=liability, note=note)
        return self._fire_prepared("judge", actor, payload)

    _prepare_analyse = _prepare.prepare_analyse

    def analyse(
        self, *, cause: str, actor: Actor, root_cause: RootCause | None = None, note: str = ""
    ) -> TransitionRecord:
        """Record the cause (分析投诉) of a valid complaint: text, and where it lies.

        Raises:
            InvalidTransition: the complaint is not judged.
            GuardRejected: the complaint was judged invalid (``judged_valid``).
            ValidationError: a bad cause or root cause.
        """
        payload = self._prepare_analyse(cause=cause, actor=actor, root_cause=root_cause, note=note)
        return self._fire_prepared("analyse", actor, payload)

    _prepare_feedback = _prepare.prepare_feedback

    def feedback(
        self,
        *,
        solution: str,
        actor: Actor,
        case_id: str | None = None,
        remedy: _RemedyKind | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Tell the customer the solution (反馈投诉). A solution carried out by an after-sales
        case names it and its remedy, and the complaint waits for it; otherwise the complaint
        moves to the follow-up visit. An invalid complaint gets feedback (the explanation) right
        after the judgement, without a case.

        Raises:
            InvalidTransition: the complaint is neither analysed nor judged.
            GuardRejected: a judged complaint that is valid (analyse it first), or an invalid
                one with a case.
            ValidationError: a bad solution, or ``case_id`` and ``remedy`` not given together.
        """
        payload = self._prepare_feedback(
            solution=solution, actor=actor, case_id=case_id, remedy=remedy, note=note
        )
        return self._fire_prepared("feedback", actor, payload)

    _prepare_case_resolved = _prepare.prepare_case_resolved

    def case_resolved(
        self, *, case_id: str, outcome: CaseStatus, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Report that the after-sales case the complaint waits on reached an end (a remedy
        given, closed or withdrawn); the complaint moves to the follow-up visit. The
        application calls it when it saves the case in such a state.

        Raises:
            InvalidTransition: the complaint does not wait on a case.
            ValidationError: another case's id, or an ``outcome`` that is not an end
                (:data:`CASE_ENDS`).
        """
        payload = self._prepare_case_resolved(
            case_id=case_id, outcome=outcome, actor=actor, note=note
        )
        return self._fire_prepared("case_resolved", actor, payload)

    _prepare_follow_up = _prepare.prepare_follow_up

    def follow_up(self, *, satisfaction: int, actor: Actor, comment: str = "") -> TransitionRecord:
        """Record the follow-up visit (投诉回访): the customer's satisfaction, 1 (very
        dissatisfied) to 5 (very satisfied), and what they said; the complaint closes.

        Raises:
            InvalidTransition: the complaint is not awaiting its follow-up visit.
            ValidationError: a score that is not a whole number from 1 to 5, or a bad comment.
        """
        payload = self._prepare_follow_up(satisfaction=satisfaction, actor=actor, comment=comment)
        return self._fire_prepared("follow_up", actor, payload)

    _prepare_customer_unreachable = _prepare.prepare_customer_unreachable

    def customer_unreachable(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Record that the follow-up visit could not reach the customer (``note``: how they
        were tried); the complaint closes without a satisfaction score.

        Raises:
            InvalidTransition: the complaint is not awaiting its follow-up visit.
        """
        payload = self._prepare_customer_unreachable(actor=actor, note=note)
        return self._fire_prepared("customer_unreachable", actor, payload)

    _prepare_escalate = _prepare.prepare_escalate

    def escalate(self, *, reason: str, actor: Actor) -> TransitionRecord:
        """Escalate (升级) one level (:data:`ESCALATION_LEVELS`), with a reason (long text);
        an internal transition, allowed in every open state.

        Raises:
            InvalidTransition: the complaint is closed.
            PolicyViolation: the complaint is at the highest level.
            ValidationError: a blank or unacceptable reason.
        """
        payload = self._prepare_escalate(reason=reason, actor=actor)
        return self._fire_prepared("escalate", actor, payload)

    _prepare_record_breach = _prepare.prepare_record_breach

    def record_breach(
        self, *, breach: SlaBreach | SlaCycle, actor: Actor = SLA_TIMER
    ) -> TransitionRecord:
        """Record a breach of a service level (an internal transition, allowed in every open
        state): a breached :class:`SlaCycle` of an evaluation (:func:`evaluate_sla`) or its
        :class:`SlaBreach`. It is added to ``breaches`` and :class:`SlaBreached` is
        emitted; the history record's note describes it. No clock rule names this trigger, so
        recording a breach moves no SLA clock. The actor is the SLA timer
        (``Actor.system("sla-timer")``) by default.

        Raises:
            InvalidTransition: the complaint is closed.
            PolicyViolation: the breach of that cycle (same kind and index) is already
                recorded, or its instant is after the complaint's clock's ``now``.
            ValidationError: ``breach`` is neither an :class:`SlaBreach` nor a breached
                :class:`SlaCycle`, or its cycle started before the complaint was opened.
        """
        payload = self._prepare_record_breach(breach=breach, actor=actor)
        return self._fire_prepared("record_breach", actor, payload)

    _prepare_await_customer = _prepare.prepare_await_customer

    def await_customer(self, *, reason: str, actor: Actor) -> TransitionRecord:
        """Wait for the customer's reply (等待客户回复), saying what is awaited; :meth:`resume`
        returns to the current step.

        Raises:
            InvalidTransition: not in a working step (replied, recorded, judged, analysed).
            ValidationError: a blank or unacceptable reason.
        """
        payload = self._prepare_await_customer(reason=reason, actor=actor)
        return self._fire_prepared("await_customer", actor, payload)

    _prepare_await_third_party = _prepare.prepare_await_third_party

    def await_third_party(
        self, *, party: ThirdParty, reason: str, actor: Actor
    ) -> TransitionRecord:
        """Wait for a third party (等待第三方): a carrier, an inspection, testing or appraisal
        (检验、检测、鉴定), the manufacturer, the marketplace; :meth:`resume` returns to the
        current step. A wait for an inspection, testing or appraisal is
        :meth:`await_inspection`.

        Raises:
            InvalidTransition: not in a working step.
            ValidationError: ``party`` not a :class:`ThirdParty`, or a bad reason.
        """
        if party in INSPECTIONS:
            return self.await_inspection(party=party, reason=reason, actor=actor)
        payload = self._prepare_await_third_party(party=party, reason=reason, actor=actor)
        return self._fire_prepared("await_third_party", actor, payload)

    _prepare_await_inspection = _prepare.prepare_await_inspection

    def await_inspection(
        self, *, reason: str, actor: Actor, party: ThirdParty = ThirdParty.INSPECTION
    ) -> TransitionRecord:
        """Wait for an inspection, testing or appraisal (检验、检测、鉴定), ``party`` one of
        :data:`INSPECTIONS`; :meth:`resume` returns to the current step. Its own trigger, so that
        the history tells it from other waits: the market regulators' complaint measures do not
        count its time toward mediation (:meth:`await_third_party` with such a party comes here).

        Raises:
            InvalidTransition: not in a working step.
            ValidationError: ``party`` not one of :data:`INSPECTIONS`, or a bad reason.
        """
        payload = self._prepare_await_inspection(party=party, reason=reason, actor=actor)
        return self._fire_prepared("await_inspection", actor, payload)

    _prepare_resume = _prepare.prepare_resume

    def resume(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """End the wait (the customer answered, the third party reported): the complaint goes
        back to the step it waited in.

        Raises:
            InvalidTransition: the complaint is not waiting.
        """
        payload = self._prepare_resume(actor=actor, note=note)
        return self._fire_prepared("resume", actor, payload)

    _prepare_withdraw = _prepare.prepare_withdraw

    def withdraw(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """The customer withdraws the complaint (撤诉); it closes.

        Raises:
            InvalidTransition: the complaint is closed.
        """
        payload = self._prepare_withdraw(actor=actor, note=note)
        return self._fire_prepared("withdraw", actor, payload)

    _prepare_reopen = _prepare.prepare_reopen

    def reopen(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Reopen a closed complaint within ``reopen_window`` of its closing (the window's
        last instant excluded). It stands replied again, to be recorded (confirming or correcting
        the record), judged and so on: the judgement and what followed it (cause, solution,
        case outcome, visit) are cleared; the record, the level and the history stay.

        Raises:
            InvalidTransition: the complaint is not closed.
            PolicyViolation: the window ended.
        """
        payload = self._prepare_reopen(actor=actor, note=note)
        return self._fire_prepared("reopen", actor, payload)


bind_workflow(Complaint, COMPLAINT_WORKFLOW)
