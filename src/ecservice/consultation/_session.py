"""The consultation session aggregate: its fields, its response views, its typed triggers."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

import attrs
from pendulum import DateTime

from ecservice.calendar import WorkingCalendar
from ecservice.clock import ensure_utc
from ecservice.consultation import _prepare
from ecservice.consultation._checks import check_session
from ecservice.consultation._confirmation import OrderChecker, OrderDetails
from ecservice.consultation._events import ConsultationStatus
from ecservice.consultation._privacy import ConsultationErasureResult, erase_session
from ecservice.consultation._responses import Response, ResponsePolicy, responses
from ecservice.consultation._values import (
    Enquiry,
    EnquiryType,
    Message,
    ObjectionKind,
    Remark,
    Sender,
)
from ecservice.consultation._workflow import CONSULTATION_WORKFLOW, END_STATES
from ecservice.orders import ErasurePolicy
from ecservice.orders._privacy import DEFAULT_BASIS
from ecservice.text import text
from ecservice.workflow import Actor, Aggregate, TransitionRecord, bind_workflow

__all__ = ["ConsultationSession"]

S = ConsultationStatus


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="opened_at")


def _messages(value: Iterable[Message]) -> tuple[Message, ...]:
    return tuple(value)


def _enquiries(value: Iterable[Enquiry]) -> tuple[Enquiry, ...]:
    return tuple(value)


def _skus(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _objections(value: Iterable[ObjectionKind]) -> tuple[ObjectionKind, ...]:
    return tuple(value)


def _remarks(value: Iterable[Remark]) -> tuple[Remark, ...]:
    return tuple(value)


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class ConsultationSession(Aggregate[ConsultationStatus]):
    """A pre-sale consultation (售前咨询): one buyer's chat with customer service, run through
    the reception flow (接待流程); its workflow is :data:`CONSULTATION_WORKFLOW`.

    The agent greets the buyer (:meth:`greet`, 进门问好), takes enquiries (:meth:`take_enquiry`,
    接待咨询: stock, promotion, size, product, freight and dispatch, presale, other, or a shop's
    own :class:`EnquiryType`), recommends items (:meth:`recommend`, 推荐产品), handles
    objections (:meth:`handle_objection`, 处理异议: price, size) and closes the deal
    (:meth:`close_deal`, 促成交易), looping among these as the chat goes. The order is
    confirmed (:meth:`confirm_order`, 确认订单) only when the shop's :class:`OrderChecker`
    passes it (address, carrier reach, item options, presale date); the agent says goodbye
    (:meth:`say_goodbye`, 礼貌告别) and hands the order over for shipping
    (:meth:`hand_over`, 下单发货) with remarks (备注) that must each be followed up
    (:meth:`follow_up_remark`) before the session completes (:meth:`complete`). A session may
    end without an order (:meth:`end`: the buyer left) or be handed to after-sales
    (:meth:`transfer_to_aftersales`) from any open state.

    Chat messages (:meth:`message`) are recorded with their instants, non-decreasing, in any
    open state; :meth:`responses` pairs each agent reply with the buyer messages it answers.

    **Who acts.** Every transition is guarded by who may fire it (:data:`CONSULTATION_WORKFLOW`'s
    guards; anyone else gets :class:`~ecservice.errors.GuardRejected` and nothing changes): the
    reception flow (greeting to hand-over, remark follow-ups) is the agent's, an
    ``Actor.staff(...)``; an agent's message is recorded by staff and a buyer's by the session's
    buyer (``Actor.buyer(buyer_id)``), or either by the shop's chat log (an
    ``Actor.system(...)``); completing, ending and handing to after-sales are done by staff or
    the system.

    **Loading.** The constructor checks what storage hands it: every field's type, and that it
    agrees with the history: one message per ``message`` record (each record's note describes
    its message, whose instant is not after the record's and not before the previous
    message's or the opening), one enquiry per ``take_enquiry`` record with its instant and note,
    one item per ``recommend`` and one objection per ``handle_objection`` record, ``order``
    exactly when an order was confirmed, remarks only after the hand-over and as many followed
    up as ``follow_up_remark`` records (all of them once completed), ``aftersales_case_id``
    only when transferred.

    Args:
        id: the session's identifier (short text).
        version: how many transitions succeeded; 0 for a new session.
        history: every transition, oldest first (``version`` records).
        clock: where the session reads the time; the system clock by default.
        status: the session's state; ``ConsultationStatus.OPENED`` for a new session.
        buyer_id: the buyer (short text).
        opened_at: when the session opened (usually the buyer's first message); an aware
            datetime, converted to UTC, not after the clock's ``now`` for a session without
            history (as a message is not recorded before it is sent).
        messages: the chat messages, oldest first (:class:`Message` values); none by default.
        enquiries: the enquiries taken, oldest first (:class:`Enquiry` values).
        recommended: the SKUs recommended, in order (short texts).
        objections: the objections handled, in order (:class:`ObjectionKind` values).
        order: the order confirmed (:class:`OrderDetails`), once confirmed.
        remarks: the hand-over remarks (:class:`Remark` values), set by :meth:`hand_over`.
        aftersales_case_id: the after-sales case a transferred session names, if any.

    Raises:
        ValidationError: a field of the wrong type, unacceptable text, or fields that disagree
            with the state or the history.
    """

    status: ConsultationStatus = ConsultationStatus.OPENED
    buyer_id: str = attrs.field(validator=text("a consultation's buyer_id"))
    opened_at: DateTime = attrs.field(converter=_utc)
    messages: tuple[Message, ...] = attrs.field(default=(), converter=_messages)
    enquiries: tuple[Enquiry, ...] = attrs.field(default=(), converter=_enquiries)
    recommended: tuple[str, ...] = attrs.field(default=(), converter=_skus)
    objections: tuple[ObjectionKind, ...] = attrs.field(default=(), converter=_objections)
    order: OrderDetails | None = None
    remarks: tuple[Remark, ...] = attrs.field(default=(), converter=_remarks)
    aftersales_case_id: str | None = None

    def __attrs_post_init__(self) -> None:
        check_session(self)

    # --- views ---------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the session has not reached one of its ends."""
        return self.status not in END_STATES

    @property
    def enquiry_types(self) -> tuple[EnquiryType, ...]:
        """The types enquired about, each once, in the order first asked."""
        seen: dict[EnquiryType, None] = {}
        for enquiry in self.enquiries:
            seen.setdefault(enquiry.type, None)
        return tuple(seen)

    @property
    def open_remarks(self) -> tuple[tuple[int, Remark], ...]:
        """``(index, remark)`` of every hand-over remark not followed up yet."""
        return tuple((i, r) for i, r in enumerate(self.remarks) if not r.followed_up)

    @property
    def ordered(self) -> bool:
        """Whether an order was confirmed in the session."""
        return self.order is not None

    def responses(
        self, policy: ResponsePolicy | None = None, calendar: WorkingCalendar | None = None
    ) -> tuple[Response, ...]:
        """The agent's responses (:func:`~ecservice.consultation.responses` of
        ``messages``): each reply answers the buyer messages since the previous reply, the
        wait counted from the first of them; under ``policy`` (the default
        :class:`ResponsePolicy` when ``None``), on ``calendar`` for business time.

        Raises:
            ValidationError: business time without a calendar.
            CalendarNotConfirmed: the calendar cannot count a day of the session.
        """
        return responses(self.messages, ResponsePolicy() if policy is None else policy, calendar)

    def first_response(
        self, policy: ResponsePolicy | None = None, calendar: WorkingCalendar | None = None
    ) -> Response | None:
        """The session's first response, or ``None`` while the buyer has had no answer.

        Raises:
            ValidationError: business time without a calendar.
            CalendarNotConfirmed: the calendar cannot count a day of the session.
        """
        found = self.responses(policy, calendar)
        return found[0] if found else None

    # --- triggers: a pure _prepare_<trigger> (checks, payload; can() calls it too) and a thin
    # typed method that fires it.

    _prepare_message = _prepare.prepare_message

    def message(
        self,
        *,
        sender: Sender,
        length: int,
        actor: Actor,
        at: _dt.datetime | None = None,
    ) -> TransitionRecord:
        """Record a chat message: who sent it, its length in characters, and when (the clock's
        instant by default; an instant from the chat log may be given, not before the opening
        or the previous message, not after the clock). An internal transition, allowed in every
        open state; it emits no event.

        Raises:
            InvalidTransition: the session has ended.
            NaiveDatetime: ``at`` has no time zone.
            ValidationError: a bad sender or length, or an instant out of order.
        """
        payload = self._prepare_message(sender=sender, length=length, actor=actor, at=at)
        return self._fire_prepared("message", actor, payload)

    _prepare_greet = _prepare.prepare_greet

    def greet(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Greet the buyer (进门问好).

        Raises:
            InvalidTransition: the session is past its greeting.
        """
        payload = self._prepare_greet(actor=actor, note=note)
        return self._fire_prepared("greet", actor, payload)

    _prepare_take_enquiry = _prepare.prepare_take_enquiry

    def take_enquiry(self, *, type: EnquiryType, actor: Actor, note: str = "") -> TransitionRecord:
        """Take an enquiry (接待咨询) of ``type``; the note (what was asked) is kept with it.
        Allowed after the greeting and in every selling step.

        Raises:
            InvalidTransition: the session is not greeted, or past its selling steps.
            ValidationError: ``type`` not an :class:`EnquiryType`, or a bad note.
        """
        payload = self._prepare_take_enquiry(type=type, actor=actor, note=note)
        return self._fire_prepared("take_enquiry", actor, payload)

    _prepare_recommend = _prepare.prepare_recommend

    def recommend(self, *, sku: str, actor: Actor, note: str = "") -> TransitionRecord:
        """Recommend an item (推荐产品), after an enquiry.

        Raises:
            InvalidTransition: no enquiry taken yet, or the session is past recommending.
            ValidationError: a bad SKU or note.
        """
        payload = self._prepare_recommend(sku=sku, actor=actor, note=note)
        return self._fire_prepared("recommend", actor, payload)

    _prepare_handle_objection = _prepare.prepare_handle_objection

    def handle_objection(
        self, *, kind: ObjectionKind, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Handle the buyer's objection (处理异议: the price, the size...), after a
        recommendation or while closing.

        Raises:
            InvalidTransition: nothing recommended yet, or past closing.
            ValidationError: ``kind`` not an :class:`ObjectionKind`, or a bad note.
        """
        payload = self._prepare_handle_objection(kind=kind, actor=actor, note=note)
        return self._fire_prepared("handle_objection", actor, payload)

    _prepare_close_deal = _prepare.prepare_close_deal

    def close_deal(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Move to close the deal (促成交易): urge the order (stock running out, the promotion
        ending...).

        Raises:
            InvalidTransition: no enquiry taken yet, or already closing or past it.
        """
        payload = self._prepare_close_deal(actor=actor, note=note)
        return self._fire_prepared("close_deal", actor, payload)

    _prepare_confirm_order = _prepare.prepare_confirm_order

    def confirm_order(
        self, *, details: OrderDetails, checker: OrderChecker, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Confirm the order with the buyer (确认订单): ``checker`` checks the address, that
        the carrier reaches it, that each item's style, colour and size exists, and for presale
        goods that the carrier can meet the date (:func:`check_order`). Allowed in the selling
        steps, and again once confirmed to correct the same order.

        Raises:
            InvalidTransition: no enquiry taken yet, or past the confirmation.
            OrderNotConfirmed: a check failed; the message names each failed check and why.
            PolicyViolation: a correction naming another order.
            ValidationError: ``details`` not an :class:`OrderDetails`, or a checker that does
                not implement :class:`OrderChecker` or answers something else than ``None`` or
                text.
        """
        payload = self._prepare_confirm_order(
            details=details, checker=checker, actor=actor, note=note
        )
        return self._fire_prepared("confirm_order", actor, payload)

    _prepare_say_goodbye = _prepare.prepare_say_goodbye

    def say_goodbye(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Say goodbye (礼貌告别), with or without an order.

        Raises:
            InvalidTransition: the session is not greeted, or already past its goodbye.
        """
        payload = self._prepare_say_goodbye(actor=actor, note=note)
        return self._fire_prepared("say_goodbye", actor, payload)

    _prepare_hand_over = _prepare.prepare_hand_over

    def hand_over(
        self, *, actor: Actor, remarks: Iterable[str] = (), note: str = ""
    ) -> TransitionRecord:
        """Hand the confirmed order over for shipping (下单发货) with ``remarks`` (备注: at
        most 20 texts) that shipping must act on; each must be followed up before the session
        completes.

        Raises:
            InvalidTransition: the agent has not said goodbye.
            PolicyViolation: no order was confirmed.
            ValidationError: a bad remark or too many.
        """
        payload = self._prepare_hand_over(remarks=remarks, actor=actor, note=note)
        return self._fire_prepared("hand_over", actor, payload)

    _prepare_follow_up_remark = _prepare.prepare_follow_up_remark

    def follow_up_remark(self, *, index: int, note: str, actor: Actor) -> TransitionRecord:
        """Record that remark ``index`` (from 0) was acted on, and how (``note``, long text).

        Raises:
            InvalidTransition: the order is not handed over, or the session has ended.
            ValidationError: no remark at ``index``, or a bad note.
            PolicyViolation: the remark is already followed up.
        """
        payload = self._prepare_follow_up_remark(index=index, note=note, actor=actor)
        return self._fire_prepared("follow_up_remark", actor, payload)

    _prepare_complete = _prepare.prepare_complete

    def complete(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Complete the session once every remark is followed up.

        Raises:
            InvalidTransition: the order is not handed over.
            RemarksOpen: a remark is not followed up (the error lists them).
        """
        payload = self._prepare_complete(actor=actor, note=note)
        return self._fire_prepared("complete", actor, payload)

    _prepare_end = _prepare.prepare_end

    def end(self, *, reason: str, actor: Actor) -> TransitionRecord:
        """End the session without an order (the buyer left, or did not buy); ``reason``
        (long text) is the history note.

        Raises:
            InvalidTransition: the order is confirmed (hand it over), or the session has ended.
            PolicyViolation: an order was confirmed.
            ValidationError: a blank or unacceptable reason.
        """
        payload = self._prepare_end(reason=reason, actor=actor)
        return self._fire_prepared("end", actor, payload)

    _prepare_transfer_to_aftersales = _prepare.prepare_transfer_to_aftersales

    def transfer_to_aftersales(
        self, *, reason: str, actor: Actor, case_id: str | None = None
    ) -> TransitionRecord:
        """Hand the session to after-sales (转售后: the buyer's question is about an order
        already received); ``case_id`` names the after-sales case opened for it, if any.
        Allowed in every open state; open remarks stay open (reports list them).

        Raises:
            InvalidTransition: the session has ended.
            ValidationError: a blank reason or a bad case id.
        """
        payload = self._prepare_transfer_to_aftersales(reason=reason, actor=actor, case_id=case_id)
        return self._fire_prepared("transfer_to_aftersales", actor, payload)

    # --- erasure ---------------------------------------------------------------------------------

    def erase_personal_data(
        self,
        *,
        actor: Actor,
        reason: str,
        basis: str = DEFAULT_BASIS,
        policy: ErasurePolicy | None = None,
        at: _dt.datetime | None = None,
    ) -> ConsultationErasureResult:
        """Erase the buyer's personal data (PIPL art. 47, GDPR art. 17), as
        :meth:`Order.erase_personal_data <ecservice.orders.Order.erase_personal_data>` does.

        The confirmed order's address becomes :func:`~ecservice.orders.erased_address` (every
        part :data:`~ecservice.orders.ERASED`, the country kept); the remarks' texts and
        follow-up notes, the enquiries' notes and the history notes become
        :data:`~ecservice.orders.ERASED` (the reasons given to :meth:`end` and
        :meth:`transfer_to_aftersales` are history notes). Chat messages hold no text, so they
        and their records' notes (written by the library from sender, length and instant)
        stay. Ids, the order's items and carrier, enquiry types, SKUs, objections, instants,
        remarks' follow-up flags and the history records (trigger, states, time, actor, version)
        stay, so reports count the session as before.

        Allowed once the session has ended (completed, ended or transferred) and ``policy``'s
        retention period after its last record is over: the same rules as
        :class:`~ecservice.orders.ErasurePolicy` applies to orders. The erasure is not a
        transition (an ended session has none left): ``version`` and the length of ``history``
        do not change, and it is recorded by the result's
        :class:`~ecservice.orders.PersonalDataErased` event, which
        :class:`~ecservice.application.PrivacyService` writes to the outbox.

        Idempotent: erasing an erased session changes nothing and returns a result with
        ``erased=False``. Checks run first; if one fails the session is unchanged.

        Args:
            actor: who erases (usually staff acting on the buyer's request).
            reason: why, e.g. the request's reference (long text; must not repeat erased data).
            basis: the legal basis recorded (short text; ``"PIPL art. 47; GDPR art. 17"``).
            policy: when erasing is allowed (the default :class:`~ecservice.orders.ErasurePolicy`
                when ``None``: once the session has ended).
            at: when, an aware datetime; the session's clock by default.

        Returns:
            A :class:`ConsultationErasureResult`: whether anything was erased, which parts, the
            event, and the erased values (in memory only) to scrub copies with.

        Raises:
            PolicyViolation: the session is open, or must still be kept.
            ValidationError: ``actor`` is not an :class:`~ecservice.workflow.Actor`, a missing
                or unacceptable ``reason`` or ``basis``, a naive ``at``, a ``policy`` of the
                wrong type.
        """
        return erase_session(self, actor=actor, reason=reason, basis=basis, policy=policy, at=at)


bind_workflow(ConsultationSession, CONSULTATION_WORKFLOW)
