"""The pre-sale consultation use cases: open a session, record its chat messages, take it
through the reception flow, confirm the order through the shop's
:class:`~ecservice.consultation.OrderChecker`, say goodbye, hand the order over with remarks,
follow the remarks up and complete it, or end it without an order.

Sessions have no timer. Each step is idempotent: run again after a crash, a step already taken
returns the stored session instead of taking it twice.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Iterable
from typing import TypeVar, final

from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.application._stored import change_stored, check_callable
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.consultation import (
    ConsultationSession,
    ConsultationStatus,
    Message,
    OrderChecker,
    OrderDetails,
    Sender,
)
from ecservice.consultation._workflow import check_actor
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.storage import Store, UnitOfWork, default_backoff
from ecservice.workflow import Actor

__all__ = ["ConsultationService"]

R = TypeVar("R")

_CHECKS = ("address_problem", "reach_problem", "option_problem", "presale_problem")


def _taken(session: ConsultationSession, trigger: str) -> bool:
    return any(record.trigger == trigger for record in session.history)


@final
class ConsultationService:
    """The pre-sale consultation use cases (售前咨询) over one store, with the shop's order
    checks.

    Each method is one unit of work run through :func:`~ecservice.storage.run_in_transaction`
    (retried on transient storage errors and on :class:`~ecservice.errors.ConcurrencyConflict`,
    from the stored state). Who acts is checked first, on a replay too, by the guards of
    :data:`~ecservice.consultation.CONSULTATION_WORKFLOW` (the agent for the reception flow, the
    sender or the chat log for messages, staff or the system for the ends): anyone else gets
    :class:`~ecservice.errors.GuardRejected`.

    Args:
        store: where sessions are stored.
        checker: the shop's order-confirmation checks
            (:class:`~ecservice.consultation.OrderChecker`: address, carrier reach, item
            options, presale date).
        clock: the time sessions open at by default.
        attempts: how many times a use case runs before a transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait (``time.sleep``).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
        ValidationError: a checker without the four methods of
            :class:`~ecservice.consultation.OrderChecker`.
    """

    def __init__(
        self,
        store: Store,
        checker: OrderChecker,
        *,
        clock: Clock = SYSTEM_CLOCK,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "ConsultationService")
        check_clock(clock, "ConsultationService")
        missing = [m for m in _CHECKS if not callable(getattr(checker, m, None))]
        if missing:
            raise ValidationError(
                f"checker must implement OrderChecker; {type(checker).__name__} lacks "
                + ", ".join(missing)
            )
        self.store = store
        self.checker = checker
        self.clock = clock
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    def open_session(
        self, session_id: str, *, buyer_id: str, opened_at: _dt.datetime | None = None
    ) -> ConsultationSession:
        """Open session ``session_id`` of ``buyer_id`` at ``opened_at`` (``clock.now()`` by
        default; usually the buyer's first message) and store it. Run again with the same
        buyer (and ``opened_at``, when given), it returns the stored session.

        Raises:
            PolicyViolation: ``session_id`` is taken by a session of another buyer, or was
                opened at another instant than the ``opened_at`` given.
            NaiveDatetime: ``opened_at`` has no time zone.
            ValidationError: malformed input, or ``opened_at`` after ``clock.now()``.
        """
        at = ensure_utc(self.clock.now() if opened_at is None else opened_at, what="opened_at")

        def work(uow: UnitOfWork) -> ConsultationSession:
            stored = uow.consultations.find(session_id)
            if stored is not None:
                if stored.buyer_id != buyer_id:
                    raise PolicyViolation(
                        f"consultation id {session_id!r} is already used by a session of buyer "
                        f"{stored.buyer_id!r}"
                    )
                if opened_at is not None and stored.opened_at != at:
                    raise PolicyViolation(
                        f"consultation {session_id!r} was opened at "
                        f"{stored.opened_at.isoformat()}, not {at.isoformat()}: a session opens "
                        "once"
                    )
                return stored
            session = ConsultationSession(
                id=session_id, buyer_id=buyer_id, opened_at=at, clock=self.clock
            )
            uow.consultations.add(session)
            return session

        return self._run(work)

    def change(self, session_id: str, change: Callable[[ConsultationSession], R]) -> R:
        """Load the session, apply ``change`` (one or more triggers: greet, take an enquiry,
        recommend, handle an objection, close the deal...), save it if it changed, commit; what
        ``change`` returned (it may run more than once, on the freshly loaded session).

        Raises:
            ValidationError: ``change`` is not callable.
            AggregateNotFound: no such session.
            EcServiceError: whatever ``change`` raised (nothing is stored).
        """
        check_callable(change, "session")
        return self._run(lambda uow: change_stored(uow.consultations, session_id, change))

    def message(
        self,
        session_id: str,
        *,
        sender: Sender,
        length: int,
        actor: Actor,
        at: _dt.datetime | None = None,
    ) -> ConsultationSession:
        """Record a chat message (:meth:`ConsultationSession.message
        <ecservice.consultation.ConsultationSession.message>`). Run again with the same
        ``at``, a message already recorded as the session's last (same sender, instant and
        length) is not recorded twice.

        Raises:
            AggregateNotFound: no such session.
            InvalidTransition: the session has ended.
            ValidationError: a bad sender or length, or an instant out of order.
        """

        def apply(session: ConsultationSession) -> ConsultationSession:
            check_actor(session, "message", actor, sender=sender)  # first, on a replay too
            if at is not None and session.messages:
                wanted = Message(sender=sender, at=at, length=length)
                if session.messages[-1] == wanted:
                    return session
            session.message(sender=sender, length=length, actor=actor, at=at)
            return session

        return self.change(session_id, apply)

    def confirm_order(
        self, session_id: str, details: OrderDetails, *, actor: Actor, note: str = ""
    ) -> ConsultationSession:
        """Confirm the order with the buyer through the service's checker
        (:meth:`ConsultationSession.confirm_order
        <ecservice.consultation.ConsultationSession.confirm_order>`). Run again with the same
        details, it returns the stored session.

        Raises:
            AggregateNotFound: no such session.
            OrderNotConfirmed: a check failed (each failure named).
            InvalidTransition: no enquiry taken yet, or past the confirmation.
            PolicyViolation: a correction naming another order.
        """

        def apply(session: ConsultationSession) -> ConsultationSession:
            check_actor(session, "confirm_order", actor)
            if session.order != details:
                session.confirm_order(details=details, checker=self.checker, actor=actor, note=note)
            return session

        return self.change(session_id, apply)

    def say_goodbye(self, session_id: str, *, actor: Actor, note: str = "") -> ConsultationSession:
        """Say goodbye (礼貌告别); run again, it returns the stored session.

        Raises:
            AggregateNotFound: no such session.
            InvalidTransition: the session is not greeted, or has ended.
        """

        def apply(session: ConsultationSession) -> ConsultationSession:
            check_actor(session, "say_goodbye", actor)
            if not _taken(session, "say_goodbye"):
                session.say_goodbye(actor=actor, note=note)
            return session

        return self.change(session_id, apply)

    def hand_over(
        self, session_id: str, *, actor: Actor, remarks: Iterable[str] = (), note: str = ""
    ) -> ConsultationSession:
        """Hand the confirmed order over for shipping (下单发货) with ``remarks``; run again
        with the same remarks, it returns the stored session.

        Raises:
            AggregateNotFound: no such session.
            InvalidTransition: the agent has not said goodbye.
            PolicyViolation: no order was confirmed, or it was handed over with other remarks.
        """
        texts = tuple(remarks)

        def apply(session: ConsultationSession) -> ConsultationSession:
            check_actor(session, "hand_over", actor)
            if not _taken(session, "hand_over"):
                session.hand_over(actor=actor, remarks=texts, note=note)
            elif tuple(r.text for r in session.remarks) != texts:
                raise PolicyViolation(
                    f"consultation {session_id!r} was handed over with other remarks "
                    f"({len(session.remarks)} stored, {len(texts)} given, or other texts): a "
                    "session is handed over once; follow its remarks up instead"
                )
            return session

        return self.change(session_id, apply)

    def follow_up_remark(
        self, session_id: str, *, index: int, note: str, actor: Actor
    ) -> ConsultationSession:
        """Record that remark ``index`` was acted on; run again, it returns the stored session.

        Raises:
            AggregateNotFound: no such session.
            InvalidTransition: the order is not handed over, or the session has ended.
            ValidationError: no remark at ``index``, or a bad note.
        """

        def apply(session: ConsultationSession) -> ConsultationSession:
            check_actor(session, "follow_up_remark", actor)
            remarks = session.remarks
            if type(index) is int and 0 <= index < len(remarks) and remarks[index].followed_up:
                return session
            session.follow_up_remark(index=index, note=note, actor=actor)
            return session

        return self.change(session_id, apply)

    def complete(self, session_id: str, *, actor: Actor, note: str = "") -> ConsultationSession:
        """Complete the session once every remark is followed up; run again, it returns the
        stored session.

        Raises:
            AggregateNotFound: no such session.
            InvalidTransition: the order is not handed over.
            RemarksOpen: a remark is not followed up.
        """

        def apply(session: ConsultationSession) -> ConsultationSession:
            check_actor(session, "complete", actor)
            if session.status is not ConsultationStatus.COMPLETED:
                session.complete(actor=actor, note=note)
            return session

        return self.change(session_id, apply)

    def end(self, session_id: str, *, reason: str, actor: Actor) -> ConsultationSession:
        """End the session without an order (the buyer left); run again, it returns the
        stored session.

        Raises:
            AggregateNotFound: no such session.
            InvalidTransition: the session has ended otherwise.
            PolicyViolation: an order was confirmed.
        """

        def apply(session: ConsultationSession) -> ConsultationSession:
            check_actor(session, "end", actor)
            if session.status is not ConsultationStatus.ENDED:
                session.end(reason=reason, actor=actor)
            return session

        return self.change(session_id, apply)
