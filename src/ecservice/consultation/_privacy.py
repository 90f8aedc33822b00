"""Erasing a buyer's personal data from a consultation session (PIPL art. 47, GDPR art. 17).

A session holds the buyer's personal data in the confirmed order's shipping address, in the
hand-over remarks and their follow-up notes, and in free text the agent wrote: the notes of its
history records and of its enquiries (the reasons given when it ended or went to after-sales are
history notes). Chat messages hold no text (only sender, instant and length; their history notes
are written by the library from those), so they stay. Erasing replaces the texts with
:data:`~ecservice.orders.ERASED` and the address with :func:`~ecservice.orders.erased_address`,
the way :meth:`Order.erase_personal_data <ecservice.orders.Order.erase_personal_data>` does, and
keeps ids, items, carrier, enquiry types, SKUs, objections, instants and the history's
structure, which the shop's service figures need.

The same :class:`~ecservice.orders.ErasurePolicy` decides when: not while the session is open
(its order is being confirmed and handed over: PIPL art. 13(1)(2), GDPR art. 6(1)(b)), and not
before ``retention_years`` after the session ended (its last history record; E-Commerce Law
art. 31 for a platform operator).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, final

import attrs
from pendulum import DateTime

from ecservice.clock import ensure_utc
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import (
    ERASED,
    ERASED_PHONE,
    ErasurePolicy,
    PersonalDataErased,
    PersonalValues,
    erased_address,
    is_erased_address,
)
from ecservice.orders._privacy import DEFAULT_BASIS, MIN_CONTAINED
from ecservice.text import LONG_TEXT_MAX, SHORT_TEXT_MAX, check_text
from ecservice.workflow import Actor, History, TransitionRecord
from ecservice.workflow._aggregate import RAW_FIELDS

if TYPE_CHECKING:
    from ecservice.consultation._session import ConsultationSession

__all__ = ["ConsultationErasure", "ConsultationErasureResult", "erase_session"]

# The history is assigned the way the kernel assigns it (see ecservice.orders._privacy).
_set_history = RAW_FIELDS["history"].__set__
_SHORT: Final = 32
# Records whose notes the library writes from non-personal values (a message's sender, length
# and instant); storage checks them against the messages, so they stay.
_LIBRARY_NOTES: Final = frozenset({"message"})


@final
@attrs.frozen(slots=True, kw_only=True)
class ConsultationErasureResult:
    """What :meth:`ConsultationSession.erase_personal_data
    <ecservice.consultation.ConsultationSession.erase_personal_data>` did.

    Args:
        session_id: the session's id.
        erased: ``True`` when something was erased, ``False`` when the session held no personal
            data any more (erased before, or none written): erasing is idempotent.
        parts: which parts were changed (empty when ``erased`` is ``False``).
        event: the :class:`~ecservice.orders.PersonalDataErased` to record (``None`` when
            nothing was erased).
        values: the erased texts, to scrub copies of them (outbox rows); in memory only.
    """

    session_id: str
    erased: bool
    parts: tuple[str, ...] = ()
    event: PersonalDataErased | None = None
    values: PersonalValues = attrs.field(factory=PersonalValues, repr=False)


@final
@attrs.frozen(slots=True, kw_only=True)
class ConsultationErasure:
    """What :class:`~ecservice.application.PrivacyService` did to one consultation session
    (:meth:`~ecservice.application.PrivacyService.erase_consultation`).

    Args:
        session_id: the session's id.
        erased: ``False`` when the session held no personal data any more (nothing was
            written).
        parts: which parts of the session were erased (see
            :class:`ConsultationErasureResult`).
        outbox_rows: how many of the session's outbox rows were rewritten.
    """

    session_id: str
    erased: bool
    parts: tuple[str, ...] = ()
    outbox_rows: int = 0


def _earliest(session: ConsultationSession, policy: ErasurePolicy) -> DateTime | None:
    if session.is_open or not session.history:
        return None
    ended = session.history[-1].at
    return ended.add(years=policy.retention_years) if policy.retention_years else ended


def check_erasable(session: ConsultationSession, policy: ErasurePolicy, at: _dt.datetime) -> None:
    """Refuse erasing ``session`` at ``at`` if ``policy`` does not allow it.

    Raises:
        PolicyViolation: the session is open, or its retention period has not ended.
    """
    earliest = _earliest(session, policy)
    if earliest is None:
        raise PolicyViolation(
            f"consultation {session.id!r} is {session.status.name}: its order is still being "
            "confirmed and handed over (PIPL art. 13(1)(2); GDPR art. 6(1)(b)); end it first, "
            "or erase it once it has ended"
        )
    if ensure_utc(at) < earliest:
        raise PolicyViolation(
            f"consultation {session.id!r} must be kept until {earliest.isoformat()} "
            f"({policy.retention_years} year(s) after it ended; E-Commerce Law art. 31): "
            "restrict access to it until then (PIPL art. 47 para. 2)"
        )


def _records(history: Sequence[TransitionRecord]) -> tuple[list[TransitionRecord], list[str]]:
    records: list[TransitionRecord] = []
    notes: list[str] = []
    for r in history:
        if r.note and r.note != ERASED and r.trigger not in _LIBRARY_NOTES:
            notes.append(r.note)
            r = TransitionRecord(r.trigger, r.source, r.dest, r.at, r.actor, ERASED, r.version)
        records.append(r)
    return records, notes


def erase_session(
    session: ConsultationSession,
    *,
    actor: Actor,
    reason: str,
    basis: str = DEFAULT_BASIS,
    policy: ErasurePolicy | None = None,
    at: _dt.datetime | None = None,
) -> ConsultationErasureResult:
    """Erase the buyer's personal data from ``session``; see
    :meth:`ConsultationSession.erase_personal_data
    <ecservice.consultation.ConsultationSession.erase_personal_data>`."""
    if type(actor) is not Actor:
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
    legal = check_text(basis, "basis", limit=SHORT_TEXT_MAX)
    if policy is None:
        policy = ErasurePolicy()
    elif not isinstance(policy, ErasurePolicy):
        raise ValidationError(f"policy must be an ErasurePolicy, not {type(policy).__name__}")
    when = ensure_utc(session.clock.now() if at is None else at, what="at")
    check_erasable(session, policy, when)

    exact: set[str] = set()
    contained: set[str] = set()
    parts: list[str] = []
    order = session.order
    if order is not None and not is_erased_address(order.address):
        parts.append("address")
        address = order.address
        for text in (address.province, address.city, address.district, address.postal_code):
            if text and text != ERASED:
                exact.add(text)
        for text in (address.recipient, address.phone, address.street):
            if text not in (ERASED, ERASED_PHONE):
                exact.add(text)
                if len(text) >= MIN_CONTAINED:
                    contained.add(text)
    remark_texts = {r.text for r in session.remarks if r.text != ERASED}
    remark_texts |= {r.note for r in session.remarks if r.note and r.note != ERASED}
    if remark_texts:
        parts.append("remarks")
        exact |= remark_texts
    enquiry_notes = {e.note for e in session.enquiries if e.note and e.note != ERASED}
    if enquiry_notes:
        parts.append("enquiry notes")
        exact |= enquiry_notes
    records, notes = _records(session.history)
    if notes:
        parts.append("history notes")
        exact.update(notes)
    if not parts:
        return ConsultationErasureResult(session_id=session.id, erased=False)

    # Everything is computed and checked: from here on nothing can fail.
    if order is not None:
        session.order = attrs.evolve(order, address=erased_address(order.address.country))
    session.remarks = tuple(
        attrs.evolve(r, text=ERASED, note=ERASED if r.note else "") for r in session.remarks
    )
    session.enquiries = tuple(
        attrs.evolve(e, note=ERASED) if e.note else e for e in session.enquiries
    )
    if notes:
        _set_history(session, History(records) if len(records) >= _SHORT else tuple(records))
    event = PersonalDataErased(
        aggregate_id=session.id,
        occurred_at=when,
        actor=actor,
        basis=legal,
        reason=why,
        erased=tuple(parts),
    )
    return ConsultationErasureResult(
        session_id=session.id,
        erased=True,
        parts=tuple(parts),
        event=event,
        values=PersonalValues(frozenset(exact), frozenset(contained)),
    )
