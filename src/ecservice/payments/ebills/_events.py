"""The states of an electronic draft and the events its transitions queue."""

from __future__ import annotations

from typing import final

import attrs

from ecservice.money import Money
from ecservice.payments.ebills._acts import DishonourReason
from ecservice.payments.ebills._parties import DraftParty, DraftTerms
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
    "DraftAccepted",
    "DraftCancelled",
    "DraftClosed",
    "DraftDelivered",
    "DraftDishonoured",
    "DraftEndorsed",
    "DraftExpired",
    "DraftGuaranteed",
    "DraftIssued",
    "DraftPaid",
    "DraftPresented",
    "DraftStatus",
    "RecourseClaimed",
    "RecourseSettled",
]


class DraftStatus(LabelledState):
    """The states of an :class:`~ecservice.payments.ebills.ElectronicDraft`."""

    ISSUED = ("issued", "Issued, awaiting acceptance", "已出票待承兑")
    ACCEPTED = ("accepted", "Accepted, awaiting delivery", "已承兑待交付")
    HELD = ("held", "Held", "持有中")
    PRESENTED = ("presented", "Presented for payment", "提示付款待应答")
    PAID = ("paid", "Paid", "已付款")
    DISHONOURED = ("dishonoured", "Dishonoured", "已拒付")
    IN_RECOURSE = ("in_recourse", "In recourse", "追索中")
    SETTLED = ("settled", "Settled", "追索已结清")
    EXPIRED = ("expired", "Presentment period over", "提示付款期已过")
    CANCELLED = ("cancelled", "Cancelled", "已作废")
    CLOSED = ("closed", "Rights lapsed", "票据权利消灭")


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftIssued(DomainEvent):
    """The drawer issued the draft (出票); queued by :meth:`ElectronicDraft.issue`.

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        terms: the draft's terms, as signed.
    """

    terms: DraftTerms


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftAccepted(DomainEvent):
    """The acceptor accepted the draft (承兑).

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        acceptor: who accepted.
    """

    acceptor: DraftParty


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftDelivered(DomainEvent):
    """The drawer delivered the accepted draft to the payee (交付), who now holds it.

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        payee: the new holder.
    """

    payee: DraftParty


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftEndorsed(DomainEvent):
    """The holder endorsed the draft to an endorsee (背书).

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        endorser: who transferred it.
        endorsee: the new holder.
        not_transferable: whether the endorser marked it 不得转让.
    """

    endorser: DraftParty
    endorsee: DraftParty
    not_transferable: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftGuaranteed(DomainEvent):
    """A guarantor guaranteed a party's obligation on the draft (保证).

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        guarantor: who guarantees.
        guaranteed: whose obligation.
    """

    guarantor: DraftParty
    guaranteed: DraftParty


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftPresented(DomainEvent):
    """The holder presented the draft for payment (提示付款).

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        holder: who presented.
        overdue: ``True`` for a presentment after the presentment period (逾期提示付款).
    """

    holder: DraftParty
    overdue: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftPaid(DomainEvent):
    """The acceptor paid the face amount to the holder (付款); final.

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        payer: the acceptor.
        payee: the holder paid.
        amount: the face amount.
    """

    payer: DraftParty
    payee: DraftParty
    amount: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftDishonoured(DomainEvent):
    """Payment was refused (拒付), or the acceptor did not answer in time.

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        holder: the holder refused, who may now claim recourse.
        reason: why (``NO_ANSWER`` when the acceptor did not answer).
    """

    holder: DraftParty
    reason: DishonourReason


@final
@attrs.frozen(slots=True, kw_only=True)
class RecourseClaimed(DomainEvent):
    """The holder claimed recourse from an earlier party (追索).

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        claimant: the holder.
        against: the earlier party claimed from.
        amount: the whole claim: principal, interest and expenses.
    """

    claimant: DraftParty
    against: DraftParty
    amount: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class RecourseSettled(DomainEvent):
    """The party claimed from paid the claim (追索清偿) and now holds the draft.

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
        payer: who paid (the party claimed from).
        payee: the claimant paid.
        amount: what was paid.
        final: ``True`` when the payer has no earlier party left, so the draft is settled (结清).
    """

    payer: DraftParty
    payee: DraftParty
    amount: Money
    final: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftExpired(DomainEvent):
    """The presentment period ended without presentment; the holder may still present late, with
    recourse only against the drawer and the acceptor.

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftCancelled(DomainEvent):
    """The draft was cancelled: not accepted in time, or not delivered before the end of the
    presentment period.

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftClosed(DomainEvent):
    """The rights on the draft lapsed (票据法 art. 17): the recourse period or the holder's rights
    against the drawer and the acceptor ended.

    Args:
        aggregate_id: the draft's number.
        occurred_at: when, in UTC (the time of the transition).
        actor: who submitted the act or fired the timer.
    """
