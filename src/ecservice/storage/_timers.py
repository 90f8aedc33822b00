"""The stores' default timers: when an aggregate next needs attention, per document type.

The timers made from a policy carry it (:class:`OrderTimer`, :class:`DraftTimer`, and
:class:`~ecservice.storage.ComplaintSlaTimer`), so that a service built over a store reads the
policy its store times the documents by, and refuses to run under another one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.orders import AutoConfirmPolicy, OrderStatus
from ecservice.storage._aftersales import case_next_due
from ecservice.storage._repository import Timer

if TYPE_CHECKING:
    from ecservice.orders import Order
    from ecservice.payments.ebills import DraftParty, DraftPolicy, ElectronicDraft

__all__ = ["DraftTimer", "OrderTimer", "default_timers", "order_next_due"]


@final
@attrs.frozen(slots=True)
class OrderTimer:
    """The timer of orders under one automatic-confirmation policy (built by
    :func:`order_next_due`): called with an order, the earliest automatic-confirmation instant
    of a parcel in transit, in UTC, or ``None``. ``policy`` is the policy it was built with.

    Raises:
        ValidationError: ``policy`` is not an :class:`~ecservice.orders.AutoConfirmPolicy`.
    """

    policy: AutoConfirmPolicy

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.policy, AutoConfirmPolicy):
            raise ValidationError(
                f"order_next_due needs an AutoConfirmPolicy, not {type(self.policy).__name__}"
            )

    def __call__(self, order: Order[Any]) -> DateTime | None:
        if order.status is not OrderStatus.IN_TRANSIT:
            return None
        return order.auto_confirm_due_at(self.policy)


def order_next_due(policy: AutoConfirmPolicy) -> Timer:
    """The timer of orders: the earliest automatic-confirmation instant of a parcel in transit
    under ``policy`` (:meth:`Order.auto_confirm_due_at
    <ecservice.orders.Order.auto_confirm_due_at>`), ``None`` for an order not in transit.

    The timer carries its policy (it is an ``OrderTimer``, typed as a :data:`Timer` so that it
    joins the other timers of a mapping), and an
    :class:`~ecservice.application.OrderService` built over a store with it confirms under
    that policy:

    >>> from ecservice.orders import AutoConfirmPolicy
    >>> timer = order_next_due(AutoConfirmPolicy(days=7))
    >>> timer.policy.days
    7

    Raises:
        ValidationError: ``policy`` is not an :class:`~ecservice.orders.AutoConfirmPolicy`.
    """
    return OrderTimer(policy)


@final
@attrs.frozen(slots=True)
class DraftTimer:
    """The timer of electronic drafts under one draft policy, for one holder or none: called
    with a draft, :meth:`ElectronicDraft.next_due_at
    <ecservice.payments.ebills.ElectronicDraft.next_due_at>` under ``policy``; a draft that
    ``holder`` holds is due earlier, when presentment opens on its maturity date. ``policy``
    and ``holder`` are what it was built with (see
    :func:`~ecservice.storage.draft_next_due`).

    Raises:
        ValidationError: ``policy`` is not a :class:`~ecservice.payments.ebills.DraftPolicy`,
            or ``holder`` is not a :class:`~ecservice.payments.ebills.DraftParty` or ``None``.
    """

    policy: DraftPolicy
    holder: DraftParty | None = None

    def __attrs_post_init__(self) -> None:
        from ecservice.payments.ebills import DraftParty, DraftPolicy

        if not isinstance(self.policy, DraftPolicy):
            raise ValidationError(
                f"draft_next_due needs a DraftPolicy, not {type(self.policy).__name__}"
            )
        if self.holder is not None and type(self.holder) is not DraftParty:
            raise ValidationError(f"holder must be a DraftParty or None, not {shown(self.holder)}")

    def __call__(self, draft: ElectronicDraft) -> DateTime | None:
        return _draft_due(draft, self.policy, self.holder)


@final
class _DefaultDraftTimer:
    """The default timer of drafts: the default :class:`~ecservice.payments.ebills.DraftPolicy`,
    no holder. The drafts' module (and the ``crypto`` extra it needs) is imported when the
    policy is first read or a draft timed: only then is the extra known to be there."""

    __slots__ = ()

    holder: None = None

    @property
    def policy(self) -> DraftPolicy:
        """The default draft policy (:data:`~ecservice.payments.ebills.DEFAULT_DRAFT_POLICY`)."""
        from ecservice.payments.ebills import DEFAULT_DRAFT_POLICY

        return DEFAULT_DRAFT_POLICY

    def __call__(self, draft: ElectronicDraft) -> DateTime | None:
        return _draft_due(draft, self.policy, None)

    def __repr__(self) -> str:
        return "DraftTimer(policy=DEFAULT_DRAFT_POLICY, holder=None)"


def _draft_due(
    draft: ElectronicDraft, policy: DraftPolicy, holder: DraftParty | None
) -> DateTime | None:
    """When ``draft`` is next due under ``policy``, earlier for a draft ``holder`` holds."""
    from ecservice.payments.ebills import DraftStatus

    due = draft.next_due_at(policy)
    if holder is None or draft.status is not DraftStatus.HELD or draft.holder != holder:
        return due
    opens = draft.presentment_opens_at(policy)
    return opens if due is None or opens < due else due


#: The default timer of drafts (one object: it holds nothing).
DEFAULT_DRAFT_TIMER: Timer = _DefaultDraftTimer()


def draft_timer_terms(timer: object) -> tuple[DraftPolicy, DraftParty | None] | None:
    """The policy and holder a draft timer was made with (:func:`draft_next_due
    <ecservice.storage.draft_next_due>`, or the default timers'), or ``None`` for any other
    callable (a shop's own)."""
    if isinstance(timer, (DraftTimer, _DefaultDraftTimer)):
        return (timer.policy, timer.holder)
    return None


def default_timers() -> dict[str, Timer]:
    """The timers a store uses unless given others: orders are due when a parcel in transit is
    to be confirmed automatically under the default
    :class:`~ecservice.orders.AutoConfirmPolicy` (10 days, Asia/Shanghai); after-sales cases
    when their own :meth:`~ecservice.aftersales.AfterSalesCase.next_due_at` says
    (:func:`~ecservice.storage.case_next_due`); ratings at the end of their windows
    (:func:`~ecservice.storage.rating_next_due`), feedback records when an answer or a revisit
    is due (:func:`~ecservice.storage.feedback_next_due`), surveys when their response window
    ends (:func:`~ecservice.storage.survey_next_due`), electronic drafts when
    :meth:`~ecservice.payments.ebills.ElectronicDraft.next_due_at` says under the default
    :class:`~ecservice.payments.ebills.DraftPolicy` (:func:`~ecservice.storage.draft_next_due`;
    the ``crypto`` extra, without which no draft exists to be timed). Complaints need the
    shop's SLA policy and calendar (:func:`~ecservice.storage.complaint_next_due`). A shop
    with another policy passes ``{**default_timers(), "order": order_next_due(its_policy)}``.
    """
    from ecservice.storage._feedback import feedback_next_due
    from ecservice.storage._ratings import rating_next_due
    from ecservice.storage._surveys import survey_next_due

    return {
        "order": order_next_due(AutoConfirmPolicy()),
        "aftersales_case": case_next_due,
        "rating": rating_next_due,
        "feedback": feedback_next_due,
        "survey": survey_next_due,
        "electronic_draft": DEFAULT_DRAFT_TIMER,
    }
