"""The after-sales case aggregate: its fields, derived views, timers and typed trigger methods."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

import attrs
from pendulum import DateTime

from ecservice.aftersales import _case_prepare as _prepare
from ecservice.aftersales import _case_timers as _timers
from ecservice.aftersales._case_checks import (
    as_evidence,
    as_refunds,
    as_repairs,
    as_shipments,
    check_case,
)
from ecservice.aftersales._case_events import CaseStatus
from ecservice.aftersales._case_timers import TIMER_ACTOR
from ecservice.aftersales._case_values import (
    CaseLine,
    CaseRefund,
    Evidence,
    Inspection,
    RefundSort,
    RepairAttempt,
    ReturnParcel,
    Ruling,
    ShipmentReference,
    as_lines,
)
from ecservice.aftersales._case_workflow import (
    CASE_WORKFLOW,
    FAILED_REPAIRS_BEFORE_REPLACEMENT,
    refund_key,
)
from ecservice.aftersales._categories import Liability, ProblemKind, RemedyKind
from ecservice.aftersales._timeouts import CaseTimeouts
from ecservice.clock import ensure_utc
from ecservice.money import Money
from ecservice.text import text
from ecservice.workflow import Actor, Aggregate, TransitionRecord, bind_workflow

__all__ = ["TIMER_ACTOR", "AfterSalesCase"]

S = CaseStatus


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="opened_at")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class AfterSalesCase(Aggregate[CaseStatus]):
    """An after-sales case (售后单): one request about some units of one order, for one remedy.

    A case names the order lines and quantities, the problem (:class:`ProblemKind`, whose
    :attr:`~ProblemKind.category` is the group), the evidence, who is liable (and so pays the
    freight, :attr:`freight_payer`), the amount asked and, once approved, the amount agreed. Its
    workflow (:data:`CASE_WORKFLOW`) depends on the remedy: a return and refund, an exchange or
    a repair wait for the goods to come back and be inspected; a refund only, a reship or a
    compensation do not. Every change goes through a typed trigger method; each returns the
    :class:`~ecservice.workflow.TransitionRecord` it appended, and a refused call raises a
    specific error and leaves the case unchanged.

    **Timers.** :meth:`next_due_at` says when the case next needs attention and
    :meth:`due_trigger` what happens then; :meth:`run_timeouts` fires what is due, as
    :data:`TIMER_ACTOR`. The timeouts are the ones of the case's :class:`CaseTimeouts`
    (Taobao's refund rules, 淘宝退款规则, by default): the seller answers within 48 hours
    (order not shipped) or 5 days (shipped), or the request is approved for the amount asked;
    the buyer ships the return within 7 days of the approval, or the case closes; the seller
    confirms receiving it within 10 days of its dispatch, or the refund is made (a return and
    refund) or the goods count as received (an exchange, a repair). A timer is due at its
    instant exactly: one microsecond before, it is not.

    **Versions.** :meth:`approve` and :meth:`reject` take the version the seller saw
    (``expected_version``, as Taobao's refund API takes ``refund_version``): an answer to a case
    that changed since raises :class:`StaleCaseVersion` and changes nothing.

    **Money.** The case decides money; the payment moves it. Each refund or compensation the
    case decides is a :class:`CaseRefund` in ``refunds`` and a :class:`RefundDecided` event;
    :meth:`refund_requests` lists ``(idempotency key, amount)`` for each, and
    :attr:`refund_total` is what the order's payment must have refunded for the case. The
    amount agreed is never above the amount asked, the refunds never above the amount agreed,
    and the amount asked never above ``goods_value``.

    **Loading.** The constructor checks what storage hands it: every field's type, the amounts
    (above), the fields each state needs or excludes (``agreed`` after an approval, the return
    parcel from its dispatch to the inspection, the inspection once inspected, ``rejection``
    when rejected), and that the data agrees with the history (repairs, new shipments, ruling,
    one refund per transition deciding one).

    Args:
        id: the case's identifier (short text).
        version: how many transitions succeeded; 0 for a new case.
        history: every transition, oldest first (``version`` records).
        clock: where the case reads the time; the system clock by default.
        status: the case's state; ``CaseStatus.REQUESTED`` for a new case.
        order_id: the order the case is about (short text).
        buyer_id: the buyer who asked (short text).
        remedy: what the buyer asks for.
        problem: what went wrong.
        liability: who is liable, and so pays the freight.
        lines: the units concerned: a mapping ``{sku: quantity}`` (quantities whole numbers
            above 0) or :class:`CaseLine` values; stored sorted by SKU.
        goods_value: what the buyer paid for those units, above zero; its currency is the
            case's. No case refunds more.
        asked: the amount the buyer asks (退款金额), from 0 to ``goods_value``; above 0 for a
            refund or a compensation. For an exchange, a repair or a reship it is the value at
            stake should the remedy turn into a refund (usually ``goods_value``).
        opened_at: when the buyer asked; an aware datetime, converted to UTC.
        order_shipped: whether the order had shipped when the buyer asked (it picks the
            seller's answer time).
        timeouts: the case's timeouts; the common practice by default.
        evidence: the evidence given so far (a list becomes a tuple).
        agreed: the amount agreed, set by an approval or a ruling for the buyer.
        rejection: the seller's reason while the request stands rejected.
        return_parcel: the parcel the buyer sent back, in the current round.
        inspection: the inspection of the returned goods, in the current round.
        repairs: every repair made in the case, oldest first.
        new_shipments: every parcel the seller sent in the case (exchange, reship, repaired
            goods), oldest first.
        ruling: the platform's last ruling.
        refunds: the money the case decided to pay back, oldest first.

    Raises:
        ValidationError: a field of the wrong type, unacceptable text, or a broken rule above
            (the subclasses :class:`~ecservice.errors.InvalidAmount`,
            :class:`~ecservice.errors.InvalidQuantity` and
            :class:`~ecservice.errors.CurrencyMismatch` name the problem).
    """

    status: CaseStatus = CaseStatus.REQUESTED
    order_id: str = attrs.field(validator=text("a case's order_id"))
    buyer_id: str = attrs.field(validator=text("a case's buyer_id"))
    remedy: RemedyKind
    problem: ProblemKind
    liability: Liability
    lines: tuple[CaseLine, ...] = attrs.field(converter=as_lines)
    goods_value: Money
    asked: Money
    opened_at: DateTime = attrs.field(converter=_utc)
    order_shipped: bool
    timeouts: CaseTimeouts = attrs.field(factory=CaseTimeouts)
    evidence: tuple[Evidence, ...] = attrs.field(default=(), converter=as_evidence)
    agreed: Money | None = None
    rejection: str | None = None
    return_parcel: ReturnParcel | None = None
    inspection: Inspection | None = None
    repairs: tuple[RepairAttempt, ...] = attrs.field(default=(), converter=as_repairs)
    new_shipments: tuple[ShipmentReference, ...] = attrs.field(default=(), converter=as_shipments)
    ruling: Ruling | None = None
    refunds: tuple[CaseRefund, ...] = attrs.field(default=(), converter=as_refunds)

    def __attrs_post_init__(self) -> None:
        check_case(self)

    # --- views ---------------------------------------------------------------------------------

    @property
    def quantities(self) -> dict[str, int]:
        """``{sku: quantity}`` of the case's lines (a new dict on every call)."""
        return {line.sku: line.quantity for line in self.lines}

    @property
    def freight_payer(self) -> Liability:
        """Who pays the freight of the return and of any new parcel, the liable party (the
        seller for quality problems, CPL art. 24; the buyer for a 7-day no-reason return unless
        agreed otherwise, CPL art. 25)."""
        return self.liability

    @property
    def refund_total(self) -> Money:
        """The money the case decided to pay back for the goods (refunds and compensations),
        in its currency; the return freight reimbursed is :attr:`freight_total`."""
        total = Money.zero(self.goods_value.currency)
        for refund in self.refunds:
            if refund.sort is not RefundSort.FREIGHT:
                total = total + refund.amount
        return total

    @property
    def freight_total(self) -> Money:
        """The return freight the seller reimbursed in the case (its own amount, recorded by
        :meth:`receive_return`), in the case's currency."""
        total = Money.zero(self.goods_value.currency)
        for refund in self.refunds:
            if refund.sort is RefundSort.FREIGHT:
                total = total + refund.amount
        return total

    @property
    def refundable(self) -> Money:
        """What may still be decided, the amount agreed minus :attr:`refund_total` (zero before
        an approval)."""
        if self.agreed is None:
            return Money.zero(self.goods_value.currency)
        return self.agreed - self.refund_total

    def refund_requests(self) -> tuple[tuple[str, Money], ...]:
        """``(idempotency key, amount)`` for every refund the case decided (goods,
        compensation and freight), oldest first: what the order's payment must refund, each
        under its key so that a retry moves money once.
        The keys are :func:`refund_key`'s: ``"aftersales:<case id>:v<version>"``, with
        ``":freight"`` after a reimbursed freight."""
        return tuple((refund_key(self.id, r.version, r.sort), r.amount) for r in self.refunds)

    def repair_count(self, sku: str, unit: int) -> int:
        """How many times unit ``unit`` of line ``sku`` was repaired in the case."""
        return sum(1 for r in self.repairs if r.sku == sku and r.unit == unit)

    def failed_repairs(self, sku: str, unit: int) -> int:
        """How many repairs of unit ``unit`` of line ``sku`` failed."""
        return sum(1 for r in self.repairs if r.sku == sku and r.unit == unit and not r.succeeded)

    @property
    def repairs_exhausted(self) -> bool:
        """Whether a unit failed :data:`FAILED_REPAIRS_BEFORE_REPLACEMENT` (two) repairs, so that
        it may be exchanged or refunded (the 三包 rules)."""
        failed: dict[tuple[str, int], int] = {}
        for r in self.repairs:
            if not r.succeeded:
                key = (r.sku, r.unit)
                failed[key] = failed.get(key, 0) + 1
        return any(n >= FAILED_REPAIRS_BEFORE_REPLACEMENT for n in failed.values())

    def entered_at(self, status: CaseStatus) -> DateTime | None:
        """When the case last entered ``status`` (an amendment re-enters ``REQUESTED``), or
        ``None`` if it never did; a case is in ``REQUESTED`` from ``opened_at``."""
        for record in reversed(self.history):
            if record.dest is status and (record.source is not status or record.trigger == "amend"):
                return record.at
        return self.opened_at if status is S.REQUESTED else None

    @property
    def closed_at(self) -> DateTime | None:
        """When the case closed, while it is closed."""
        return self.entered_at(S.CLOSED) if self.status is S.CLOSED else None

    @property
    def resolved_at(self) -> DateTime | None:
        """When the case last reached an end (a remedy given, closed, withdrawn), while it is
        there; ``None`` while it is being handled."""
        if self.status in _ENDS:
            return self.history[-1].at if self.history else None
        return None

    # --- timers --------------------------------------------------------------------------------

    def due_trigger(self) -> str | None:
        """The trigger the case's next timer fires (``"auto_approve"``, ``"auto_close"``,
        ``"auto_refund"``, ``"auto_receive"``), or ``None`` if no timer runs."""
        return _timers.due_trigger(self)

    def next_due_at(self) -> DateTime | None:
        """When the case next needs attention, in UTC, or ``None`` if no timer runs.

        It depends only on the case (not on the clock): the seller's answer time from the
        (last) request, the buyer's shipping time from the approval, the seller's confirmation
        time from the dispatch of the return.
        """
        return _timers.next_due_at(self)

    def run_timeouts(self, *, actor: Actor | None = None) -> tuple[TransitionRecord, ...]:
        """Fire every timer due at the case's clock, as ``actor`` (:data:`TIMER_ACTOR` by
        default); returns the records appended (none if nothing is due).

        Raises:
            ValidationError: ``actor`` is not an :class:`~ecservice.workflow.Actor`.
        """
        return _timers.run_timeouts(self, actor)

    _prepare_auto_approve = _timers.prepare_auto_approve

    def auto_approve(self, *, actor: Actor | None = None) -> TransitionRecord:
        """Approve the request for the amount asked because the seller did not answer in time
        (48 hours before shipment, 5 days after, by default).

        Raises:
            InvalidTransition: the case is not awaiting an answer.
            PolicyViolation: the seller's answer time has not run out.
        """
        payload = self._prepare_auto_approve(actor=actor)
        return self._fire_prepared("auto_approve", _timers.timer_actor(actor), payload)

    _prepare_auto_close = _timers.prepare_auto_close

    def auto_close(self, *, actor: Actor | None = None) -> TransitionRecord:
        """Close the case because the buyer did not ship the return in time (7 days).

        Raises:
            InvalidTransition: the case is not awaiting the return.
            PolicyViolation: the buyer's time has not run out.
        """
        payload = self._prepare_auto_close(actor=actor)
        return self._fire_prepared("auto_close", _timers.timer_actor(actor), payload)

    _prepare_auto_refund = _timers.prepare_auto_refund

    def auto_refund(self, *, actor: Actor | None = None) -> TransitionRecord:
        """Refund what is agreed because the seller did not confirm receiving the return in time
        (10 days); a return and refund only.

        Raises:
            InvalidTransition: no return is travelling.
            PolicyViolation: the seller's time has not run out, or the remedy is not a return
                and refund (:meth:`auto_receive` is its timer).
        """
        payload = self._prepare_auto_refund(actor=actor)
        return self._fire_prepared("auto_refund", _timers.timer_actor(actor), payload)

    _prepare_auto_receive = _timers.prepare_auto_receive

    def auto_receive(self, *, actor: Actor | None = None) -> TransitionRecord:
        """Count the returned goods as received because the seller did not confirm them in time
        (10 days); an exchange or a repair.

        Raises:
            InvalidTransition: no return is travelling.
            PolicyViolation: the seller's time has not run out, or the remedy is a return and
                refund (:meth:`auto_refund` is its timer).
        """
        payload = self._prepare_auto_receive(actor=actor)
        return self._fire_prepared("auto_receive", _timers.timer_actor(actor), payload)

    # --- triggers: a pure _prepare_<trigger> (checks, payload; can() calls it too) and a thin
    # typed method that fires it.

    _prepare_amend = _prepare.prepare_amend

    def amend(
        self,
        *,
        actor: Actor,
        lines: Any = None,
        asked: Money | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Change the request before it was ever approved (修改申请): it stands requested again
        and the seller's answer time starts again.

        Args:
            lines: new lines (``{sku: quantity}`` or :class:`CaseLine` values); ``None`` keeps
                them.
            asked: a new amount asked; ``None`` keeps it.

        Raises:
            InvalidTransition: the case is not requested or rejected.
            PolicyViolation: the case was approved once (lines and amount are then fixed).
            InvalidQuantity: no line, or a quantity that is not a whole number above 0.
            InvalidAmount: an amount below 0, 0 for a refund or compensation, or above the
                goods' value.
        """
        payload = self._prepare_amend(actor=actor, lines=lines, asked=asked, note=note)
        return self._fire_prepared("amend", actor, payload)

    _prepare_add_evidence = _prepare.prepare_add_evidence

    def add_evidence(self, evidence: Evidence, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Add evidence (photos, a note) while the case is being handled.

        Raises:
            InvalidTransition: the case has ended (withdrawn, closed, a remedy given).
            ValidationError: ``evidence`` is not an :class:`Evidence`.
        """
        payload = self._prepare_add_evidence(evidence, actor=actor, note=note)
        return self._fire_prepared("add_evidence", actor, payload)

    _prepare_approve = _prepare.prepare_approve

    def approve(
        self, *, expected_version: int, actor: Actor, amount: Money | None = None, note: str = ""
    ) -> TransitionRecord:
        """The seller agrees (同意): the case awaits the return (return and refund, exchange,
        repair) or the remedy (refund only, reship, compensation).

        Args:
            expected_version: the case's version the seller answered (its ``version``).
            amount: the amount agreed; the amount asked by default, never more.

        Raises:
            InvalidTransition: the case is not awaiting an answer.
            StaleCaseVersion: the case changed since ``expected_version``.
            InvalidAmount: above the amount asked, below what the case already refunded (or
                not above it, for a refund or compensation).
            CurrencyMismatch: another currency.
        """
        payload = self._prepare_approve(
            expected_version=expected_version, actor=actor, amount=amount, note=note
        )
        return self._fire_prepared("approve", actor, payload)

    _prepare_reject = _prepare.prepare_reject

    def reject(self, *, expected_version: int, reason: str, actor: Actor) -> TransitionRecord:
        """The seller refuses (拒绝) with a reason (long text; also the history note).

        Raises:
            InvalidTransition: the case is not awaiting an answer.
            StaleCaseVersion: the case changed since ``expected_version``.
            ValidationError: a missing or unacceptable reason.
        """
        payload = self._prepare_reject(
            expected_version=expected_version, reason=reason, actor=actor
        )
        return self._fire_prepared("reject", actor, payload)

    _prepare_ship_return = _prepare.prepare_ship_return

    def ship_return(
        self,
        *,
        carrier: str,
        tracking_no: str,
        actor: Actor,
        note: str = "",
        freight: Money | None = None,
    ) -> TransitionRecord:
        """The buyer sent the goods back (退货) with this parcel (short texts); ``freight`` is
        what the buyer paid for it, when the buyer asks to have it reimbursed.

        Raises:
            InvalidTransition: the case is not awaiting the return.
            ValidationError: unacceptable text.
            InvalidAmount: ``freight`` not :class:`~ecservice.money.Money` above zero.
            CurrencyMismatch: ``freight`` in another currency than the case's.
        """
        payload = self._prepare_ship_return(
            carrier=carrier, tracking_no=tracking_no, actor=actor, note=note, freight=freight
        )
        return self._fire_prepared("ship_return", actor, payload)

    _prepare_receive_return = _prepare.prepare_receive_return

    def receive_return(
        self, *, actor: Actor, note: str = "", freight: Money | None = None
    ) -> TransitionRecord:
        """The seller received the returned goods (确认收货) and reimburses the return freight.

        The freight reimbursed is its own :class:`CaseRefund` (sort ``FREIGHT``, outside the
        amount agreed for the goods) and ``freight`` says how much: by default (``None``) the
        freight the buyer stated on the parcel when the seller pays it (the seller, the
        carrier or the platform liable: CPL art. 24 para. 2, E-Commerce Law art. 20), nothing
        when the buyer does (CPL art. 25 para. 3); an amount from zero (nothing) to the freight
        stated, also when the buyer is liable and the shop agreed to pay (CPL art. 25 para. 3,
        "另有约定"). A return received automatically (the timer) reimburses what the default
        would.

        Raises:
            InvalidTransition: no return is travelling.
            InvalidAmount: ``freight`` negative, or above the freight the buyer stated (or
                above zero when the buyer stated none).
            CurrencyMismatch: ``freight`` in another currency than the case's.
        """
        payload = self._prepare_receive_return(actor=actor, note=note, freight=freight)
        return self._fire_prepared("receive_return", actor, payload)

    _prepare_inspect = _prepare.prepare_inspect

    def inspect(self, *, passed: bool, actor: Actor, note: str = "") -> TransitionRecord:
        """Record the inspection of the returned goods (验货); a failed one needs a note.

        Raises:
            InvalidTransition: the goods were not received.
            ValidationError: ``passed`` not a bool, or a failed inspection without a note.
        """
        payload = self._prepare_inspect(passed=passed, actor=actor, note=note)
        return self._fire_prepared("inspect", actor, payload)

    _prepare_refund = _prepare.prepare_refund

    def refund(
        self, *, actor: Actor, amount: Money | None = None, note: str = ""
    ) -> TransitionRecord:
        """Decide the refund (退款): ``amount`` (all that is agreed and not yet decided, by
        default). Allowed for a refund only or a reship once approved; for a return and refund,
        an exchange, or a repair after two failed repairs of a unit once the goods passed
        inspection; for a return and refund whose goods failed it (a partial refund).

        Raises:
            InvalidTransition: not in a state where money is decided.
            GuardRejected: the remedy does not allow a refund here (the guard is named).
            InvalidAmount: not above zero, or above what is agreed and not yet decided.
        """
        payload = self._prepare_refund(actor=actor, amount=amount, note=note)
        return self._fire_prepared("refund", actor, payload)

    _prepare_compensate = _prepare.prepare_compensate

    def compensate(
        self, *, actor: Actor, amount: Money | None = None, note: str = ""
    ) -> TransitionRecord:
        """Decide the compensation (补偿) of an approved compensation case; the buyer keeps
        the goods. ``amount``: all that is agreed, by default.

        Raises:
            GuardRejected: the remedy is not a compensation.
            InvalidAmount: not above zero, or above what is agreed.
        """
        payload = self._prepare_compensate(actor=actor, amount=amount, note=note)
        return self._fire_prepared("compensate", actor, payload)

    _prepare_exchange = _prepare.prepare_exchange

    def exchange(
        self, *, shipment: ShipmentReference, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Send replacement goods (换货) after the returned ones passed inspection; also a
        repair's answer after two failed repairs of a unit.

        Raises:
            GuardRejected: the remedy is not an exchange (nor an exhausted repair).
            ValidationError: not a :class:`ShipmentReference`, or its id already used.
        """
        payload = self._prepare_exchange(shipment=shipment, actor=actor, note=note)
        return self._fire_prepared("exchange", actor, payload)

    _prepare_reship = _prepare.prepare_reship

    def reship(
        self, *, shipment: ShipmentReference, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Send the goods again (补发), for example after a lost parcel.

        Raises:
            GuardRejected: the remedy is not a reship.
            ValidationError: not a :class:`ShipmentReference`, or its id already used.
        """
        payload = self._prepare_reship(shipment=shipment, actor=actor, note=note)
        return self._fire_prepared("reship", actor, payload)

    _prepare_repair = _prepare.prepare_repair

    def repair(
        self,
        *,
        sku: str,
        unit: int,
        succeeded: bool,
        actor: Actor,
        shipment: ShipmentReference | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Record a repair of one unit (维修). A successful one sends the unit back with
        ``shipment`` and the case is repaired; a failed one is counted and the case waits for
        another repair, or, after two failures of a unit, an exchange or a refund.

        Args:
            sku: the line's SKU.
            unit: which unit, from 1 to the line's quantity in the case.
            succeeded: whether the unit works now.
            shipment: the parcel bringing a repaired unit back (required when it succeeded,
                refused when it failed).

        Raises:
            GuardRejected: the remedy is not a repair.
            InvalidQuantity: no such unit.
            ValidationError: no such line, or a shipment missing, refused or already used.
        """
        payload = self._prepare_repair(
            sku=sku, unit=unit, succeeded=succeeded, actor=actor, shipment=shipment, note=note
        )
        return self._fire_prepared("repair", actor, payload)

    _prepare_escalate = _prepare.prepare_escalate

    def escalate(self, *, reason: str, actor: Actor) -> TransitionRecord:
        """Ask the platform to step in (申请客服介入) after a refusal or a failed inspection.

        Raises:
            InvalidTransition: the case was not rejected and its goods did not fail inspection.
            ValidationError: a missing or unacceptable reason.
        """
        payload = self._prepare_escalate(reason=reason, actor=actor)
        return self._fire_prepared("escalate", actor, payload)

    _prepare_rule = _prepare.prepare_rule

    def rule(
        self, *, for_buyer: bool, grounds: str, actor: Actor, amount: Money | None = None
    ) -> TransitionRecord:
        """The platform's ruling. For the buyer: the amount agreed becomes ``amount`` (the
        amount asked by default) and the case goes on as approved (returned goods count as
        passed). For the seller: the case closes.

        Raises:
            InvalidTransition: the platform was not asked to step in.
            InvalidAmount: an amount for the seller, above the amount asked, or not above what
                the case already refunded.
            ValidationError: missing or unacceptable grounds.
        """
        payload = self._prepare_rule(
            for_buyer=for_buyer, grounds=grounds, actor=actor, amount=amount
        )
        return self._fire_prepared("rule", actor, payload)

    _prepare_withdraw = _prepare.prepare_withdraw

    def withdraw(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """The buyer withdraws the request (撤销申请), until the goods travel back.

        Raises:
            InvalidTransition: the return is travelling, the goods are back, or the case ended.
        """
        payload = self._prepare_withdraw(actor=actor, note=note)
        return self._fire_prepared("withdraw", actor, payload)

    _prepare_close = _prepare.prepare_close

    def close(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Close the case (关闭): after its remedy, a refusal the buyer accepts, or a failed
        inspection.

        Raises:
            InvalidTransition: the case is still being handled otherwise.
        """
        payload = self._prepare_close(actor=actor, note=note)
        return self._fire_prepared("close", actor, payload)

    _prepare_reopen = _prepare.prepare_reopen

    def reopen(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Reopen a closed case within the reopening window of its timeouts (15 days by
        default, from closing; the window's last instant is excluded). The new round starts
        from the request: the return, inspection and refusal of the last round are cleared;
        lines, amounts, evidence, repairs, shipments and refunds stay.

        Raises:
            InvalidTransition: the case is not closed.
            PolicyViolation: the window ended, or a refund or compensation case already refunded
                everything asked.
        """
        payload = self._prepare_reopen(actor=actor, note=note)
        return self._fire_prepared("reopen", actor, payload)


_ENDS: Final = frozenset(
    {S.REFUNDED, S.EXCHANGED, S.REPAIRED, S.RESHIPPED, S.COMPENSATED, S.WITHDRAWN, S.CLOSED}
)
bind_workflow(AfterSalesCase, CASE_WORKFLOW)
