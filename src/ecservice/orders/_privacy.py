"""Erasing a buyer's personal data from an order (PIPL art. 47, GDPR art. 17).

An order holds the buyer's personal data in its shipping address (recipient, phone, province,
city, district, street, postal code), in the buyer's remarks, and in free text written about the
order: the notes of its history records, the reasons of its cancellations, and carriers' tracking
reports (which often name who signed for a parcel). Erasing replaces them with the marker
:data:`ERASED` and keeps everything the shop must keep to account for the money and the goods:
ids, lines, amounts, statuses, shipments (carriers, tracking numbers, times), cancellations
(quantities, times, actors) and the history records themselves (same triggers, states, times,
actors, versions; only their notes change).

Sources of the rules:

* PIPL (个人信息保护法) art. 47: personal data is deleted once the purpose of the processing is
  achieved or can no longer be achieved, when the person withdraws consent, or on request;
  where a law's retention period has not expired, the processor stops all processing except
  storage and necessary protection instead. Art. 13(1)(2): processing needed to perform a
  contract the person is a party to needs no consent (so, while an order is open, withdrawing
  consent does not end the shop's need for the address).
* GDPR art. 17(1)(a): erasure once the data are no longer necessary for their purpose;
  art. 17(3)(b): not while a legal obligation requires the processing; art. 6(1)(b): processing
  necessary for the performance of a contract.
* E-Commerce Law (电子商务法) art. 31: a platform operator keeps goods, service and transaction
  information for at least three years from the completion of the transaction.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, final

import attrs
from pendulum import DateTime

from ecservice.clock import ensure_utc
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders._hold_values import hold_note, parse_hold_note
from ecservice.orders._values import Address, Cancellation, Shipment, TrackingEvent
from ecservice.text import LONG_TEXT_MAX, SHORT_TEXT_MAX, check_text
from ecservice.workflow import Actor, DomainEvent, History, TransitionRecord
from ecservice.workflow._aggregate import RAW_FIELDS

if TYPE_CHECKING:
    from ecservice.orders._order import Order

__all__ = [
    "ERASED",
    "ERASED_PHONE",
    "ErasurePolicy",
    "ErasureResult",
    "PersonalDataErased",
    "PersonalValues",
    "erase_order",
    "erased_address",
    "is_erased_address",
]

#: What replaces an erased text (a part of an address, remarks, a note, a reason).
ERASED: Final = "[erased]"
#: What replaces an erased phone number (the address's phone must still look like one).
ERASED_PHONE: Final = "00000"
#: The legal basis recorded when none is given.
DEFAULT_BASIS: Final = "PIPL art. 47; GDPR art. 17"
#: The shortest recipient, phone or street looked for inside other texts (shorter ones, a
#: one-letter name, only match a text equal to them): Chinese names have two characters or more.
MIN_CONTAINED: Final = 2
#: Most years of retention an :class:`ErasurePolicy` accepts.
MAX_RETENTION_YEARS: Final = 30

# The history is assigned the way the kernel assigns it: erasing rewrites the notes of records
# already written, which no trigger can do.
_set_history = RAW_FIELDS["history"].__set__
# Histories at least this long are kept as a History (as the kernel does).
_SHORT: Final = 32


def erased_address(country: str = "CN") -> Address:
    """The address an erased order keeps: every part :data:`ERASED` (the phone
    :data:`ERASED_PHONE`, the optional district and postal code empty), only the country kept
    (it names no one and tells which country's tax and customs rules applied).

    Raises:
        InvalidAddress: ``country`` is not acceptable short text.
    """
    return Address(
        recipient=ERASED,
        phone=ERASED_PHONE,
        province=ERASED,
        city=ERASED,
        street=ERASED,
        country=country,
    )


def is_erased_address(address: Address) -> bool:
    """Whether ``address`` is an :func:`erased_address` (of any country)."""
    return address == erased_address(address.country)


@final
@attrs.frozen(slots=True)
class PersonalValues:
    """The texts that were erased from an order, to find copies of them elsewhere (outbox
    payloads, payments' reasons): kept in memory only, never stored.

    A text *matches* when it equals one of ``exact`` or contains one of ``contained``. The
    recipient, phone and street of an erased address are in both (in ``contained`` only when
    they have at least two characters).

    Args:
        exact: texts erased whole (address parts, remarks, notes, reasons, tracking reports).
        contained: the identifying parts (recipient, phone, street): a text containing one is
            personal too.
    """

    exact: frozenset[str] = frozenset()
    contained: frozenset[str] = frozenset()

    def matches(self, text: str) -> bool:
        """Whether ``text`` is, or contains, erased personal data."""
        if text in self.exact:
            return True
        return any(part in text for part in self.contained)

    def scrub(self, text: str) -> str:
        """``text``, or :data:`ERASED` if it :meth:`matches`."""
        return ERASED if text != ERASED and self.matches(text) else text

    def __bool__(self) -> bool:
        return bool(self.exact or self.contained)

    def __repr__(self) -> str:  # never show the values themselves
        return f"PersonalValues({len(self.exact)} exact, {len(self.contained)} contained)"


@final
@attrs.frozen(slots=True, kw_only=True)
class PersonalDataErased(DomainEvent):
    """A buyer's personal data was erased from an aggregate.

    It names no erased value: consumers that copied the aggregate's data (a CRM, a search index,
    a data warehouse) erase their copies when they see it (GDPR art. 19).

    Args:
        aggregate_id: the erased aggregate's id (an order, or a consultation session).
        occurred_at: when, in UTC.
        actor: who erased it (usually staff acting on the buyer's request).
        basis: the legal basis (short text, e.g. ``"PIPL art. 47; GDPR art. 17"``).
        reason: why: the request's reference (long text; it must not repeat erased data).
        erased: which parts were erased, e.g. ``("address", "remarks", "history notes")``.
    """

    basis: str
    reason: str
    erased: tuple[str, ...]


@final
@attrs.frozen(slots=True, kw_only=True)
class ErasureResult:
    """What :meth:`Order.erase_personal_data <ecservice.orders.Order.erase_personal_data>` did.

    Args:
        order_id: the order's id.
        erased: ``True`` when something was erased, ``False`` when the order held no personal
            data any more (it had been erased before): erasing is idempotent and says so.
        parts: which parts were changed (empty when ``erased`` is ``False``).
        event: the :class:`PersonalDataErased` to record (``None`` when nothing was erased).
        values: the erased texts, to scrub copies of them (see :class:`PersonalValues`).
    """

    order_id: str
    erased: bool
    parts: tuple[str, ...] = ()
    event: PersonalDataErased | None = None
    values: PersonalValues = attrs.field(factory=PersonalValues, repr=False)


def _ended_at(order: Order[Any]) -> DateTime | None:
    """When the order reached its final state (its last record), or ``None`` while it is open."""
    if not order.is_final or not order.history:
        return None
    return order.history[-1].at


@final
@attrs.frozen(slots=True, kw_only=True)
class ErasurePolicy:
    """When an order's personal data may be erased.

    * **Not while the order is open.** Until it is done or cancelled the shop needs the address
      to perform the contract (PIPL art. 13(1)(2); GDPR art. 6(1)(b), so art. 17(1)(a) does not
      apply yet). A buyer who wants the data gone before delivery cancels the order first
      (an order in transit is erased once its parcels are received or returned). There is no way
      to force it: an open order keeps changing, and an erasure must never be undone by a
      concurrent change made from a copy loaded before it.
    * **Not before the retention period ends**, when a law makes the shop keep transaction
      records: ``retention_years`` after the order ended (its last history record). A platform
      operator keeps transaction information at least three years (E-Commerce Law art. 31;
      :meth:`platform`); until then PIPL art. 47 para. 2 allows only storing and protecting the
      data, which the shop does by restricting access, not by erasing.

    What is never erased, because the order's accounts depend on it (E-Commerce Law art. 31,
    and the tax and accounting rules on keeping books): ids, lines, amounts, statuses,
    shipments' carriers, tracking numbers and times, cancellations' quantities, the history's
    structure, and ``buyer_id`` (the shop's pseudonymous account key: erasing the account is the
    account system's task).

    Args:
        retention_years: whole years after the order ended during which erasure is refused,
            from 0 (the default: a shop that is not a platform) to 30.

    Raises:
        ValidationError: ``retention_years`` is not a whole number in that range.
    """

    retention_years: int = attrs.field(default=0)

    @retention_years.validator
    def _check_years(self, _: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or not 0 <= value <= MAX_RETENTION_YEARS:
            raise ValidationError(
                f"retention_years must be a whole number from 0 to {MAX_RETENTION_YEARS}, "
                f"not {value!r}"
            )

    @classmethod
    def platform(cls) -> ErasurePolicy:
        """The policy of a platform operator: three years of retention (E-Commerce Law art. 31)."""
        return cls(retention_years=3)

    def earliest(self, order: Order[Any]) -> DateTime | None:
        """When the order's personal data may be erased, in UTC; ``None`` while it is open."""
        ended = _ended_at(order)
        if ended is None:
            return None
        return ended.add(years=self.retention_years) if self.retention_years else ended

    def check(self, order: Order[Any], at: _dt.datetime) -> None:
        """Refuse erasing ``order`` at ``at`` if this policy does not allow it.

        Raises:
            PolicyViolation: the order is open, or its retention period has not ended (the
                message says when it does).
        """
        earliest = self.earliest(order)
        if earliest is None:
            raise PolicyViolation(
                f"order {order.id!r} is {order.status.name}: its address is still needed to "
                "deliver it (PIPL art. 13(1)(2); GDPR art. 6(1)(b)); cancel it first, or erase "
                "it once it is done"
            )
        if ensure_utc(at) < earliest:
            raise PolicyViolation(
                f"order {order.id!r} must be kept until {earliest.isoformat()} "
                f"({self.retention_years} year(s) after it ended; E-Commerce Law art. 31): "
                "restrict access to it until then (PIPL art. 47 para. 2)"
            )


def _redacted_records(
    history: Sequence[TransitionRecord],
) -> tuple[list[TransitionRecord], list[str]]:
    """The records with every non-empty note replaced by :data:`ERASED`, and the notes erased."""
    records: list[TransitionRecord] = []
    notes: list[str] = []
    for r in history:
        if r.note and r.note != ERASED:
            notes.append(r.note)
            r = TransitionRecord(r.trigger, r.source, r.dest, r.at, r.actor, ERASED, r.version)
        records.append(r)
    return records, notes


def _redacted_order_records(
    history: Sequence[TransitionRecord],
) -> tuple[list[TransitionRecord], list[str]]:
    """:func:`_redacted_records` for an order: a ``hold`` record keeps its reason code (which
    says nothing of the buyer, and which the held-order figures count) and loses its detail."""
    records: list[TransitionRecord] = []
    notes: list[str] = []
    for r in history:
        note = r.note
        if r.trigger == "hold" and note:
            reason, detail = parse_hold_note(note)
            kept = hold_note(reason, ERASED)
            if note != kept and note != ERASED:
                notes.extend((note, detail) if detail.strip() else (note,))
                r = TransitionRecord(r.trigger, r.source, r.dest, r.at, r.actor, kept, r.version)
        elif note and note != ERASED:
            notes.append(note)
            r = TransitionRecord(r.trigger, r.source, r.dest, r.at, r.actor, ERASED, r.version)
        records.append(r)
    return records, notes


def redact_history(aggregate: Any, values: PersonalValues | None = None) -> list[str]:
    """Replace the notes of ``aggregate``'s history records: every non-empty note when
    ``values`` is ``None``, else only the notes ``values`` matches. The records keep their
    trigger, states, time, actor and version. Returns the notes replaced (internal)."""
    history: Sequence[TransitionRecord] = aggregate.history
    if values is None:
        records, notes = _redacted_records(history)
    else:
        records, notes = [], []
        for r in history:
            if r.note and r.note != ERASED and values.matches(r.note):
                notes.append(r.note)
                r = TransitionRecord(r.trigger, r.source, r.dest, r.at, r.actor, ERASED, r.version)
            records.append(r)
    if notes:
        _set_history(aggregate, History(records) if len(records) >= _SHORT else tuple(records))
    return notes


def _tracking(event: TrackingEvent) -> TrackingEvent:
    """The event with the carrier's report erased (a report may name whoever signed for the
    parcel, a neighbour's phone, a locker's address: it is erased whole, whatever it says)."""
    description = ERASED
    location = ERASED if event.location else ""
    if description == event.description and location == event.location:
        return event
    return attrs.evolve(event, description=description, location=location)


def _tracking_texts(shipments: tuple[Shipment, ...]) -> set[str]:
    """The carriers' reports not erased yet (their copies in outbox rows are erased too)."""
    texts: set[str] = set()
    for s in shipments:
        for e in s.events:
            texts.update(t for t in (e.description, e.location) if t and t != ERASED)
    return texts


def _shipments(shipments: tuple[Shipment, ...]) -> tuple[Shipment, ...]:
    out: list[Shipment] = []
    for s in shipments:
        events = tuple(_tracking(e) for e in s.events)
        changed = any(a is not b for a, b in zip(events, s.events, strict=True))
        out.append(attrs.evolve(s, events=events) if changed else s)
    return tuple(out)


def _cancellations(cancellations: Iterable[Cancellation]) -> tuple[Cancellation, ...]:
    return tuple(attrs.evolve(c, reason=ERASED) if c.reason != ERASED else c for c in cancellations)


def _basis(basis: object) -> str:
    return check_text(basis, "basis", limit=SHORT_TEXT_MAX)


def erase_order(
    order: Order[Any],
    *,
    actor: Actor,
    reason: str,
    basis: str = DEFAULT_BASIS,
    policy: ErasurePolicy | None = None,
    at: _dt.datetime | None = None,
) -> ErasureResult:
    """Erase the buyer's personal data from ``order``; see
    :meth:`Order.erase_personal_data <ecservice.orders.Order.erase_personal_data>`."""
    if type(actor) is not Actor:
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
    legal = _basis(basis)
    if policy is None:
        policy = ErasurePolicy()
    elif not isinstance(policy, ErasurePolicy):
        raise ValidationError(f"policy must be an ErasurePolicy, not {type(policy).__name__}")
    when = ensure_utc(order.clock.now() if at is None else at, what="at")
    policy.check(order, when)

    address = order.address
    exact: set[str] = set()
    contained: set[str] = set()
    parts: list[str] = []
    if not is_erased_address(address):
        parts.append("address")
        for text in (address.province, address.city, address.district, address.postal_code):
            if text and text != ERASED:
                exact.add(text)
        for text in (address.recipient, address.phone, address.street):
            if text not in (ERASED, ERASED_PHONE):
                exact.add(text)
                if len(text) >= MIN_CONTAINED:
                    contained.add(text)
    remarks = order.remarks
    if remarks and remarks != ERASED:
        parts.append("remarks")
        exact.add(remarks)
    reasons = {c.reason for c in order.cancellations if c.reason != ERASED}
    if reasons:
        parts.append("cancellation reasons")
        exact |= reasons
    records, notes = _redacted_order_records(order.history)
    if notes:
        parts.append("history notes")
        exact.update(notes)
    reports = _tracking_texts(order.shipments)
    if reports:
        parts.append("tracking reports")
        exact |= reports
    values = PersonalValues(frozenset(exact), frozenset(contained))
    shipments = _shipments(order.shipments)
    if not parts:
        return ErasureResult(order_id=order.id, erased=False)

    # Everything is computed and checked: from here on nothing can fail.
    order.address = erased_address(address.country)
    order.remarks = ERASED if remarks else ""
    order.cancellations = _cancellations(order.cancellations)
    order.shipments = shipments
    if notes:
        _set_history(order, History(records) if len(records) >= _SHORT else tuple(records))
    event = PersonalDataErased(
        aggregate_id=order.id,
        occurred_at=when,
        actor=actor,
        basis=legal,
        reason=why,
        erased=tuple(parts),
    )
    return ErasureResult(
        order_id=order.id, erased=True, parts=tuple(parts), event=event, values=values
    )
