"""The stores' default timers: when an aggregate next needs attention, per document type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pendulum import DateTime

from ecservice.errors import ValidationError
from ecservice.orders import AutoConfirmPolicy, OrderStatus
from ecservice.storage._aftersales import case_next_due
from ecservice.storage._repository import Timer

if TYPE_CHECKING:
    from ecservice.orders import Order

__all__ = ["default_timers", "order_next_due"]


def order_next_due(policy: AutoConfirmPolicy) -> Timer:
    """The timer of orders: the earliest automatic-confirmation instant of a parcel in transit.

    >>> from ecservice.orders import AutoConfirmPolicy
    >>> timer = order_next_due(AutoConfirmPolicy(days=10))

    Raises:
        ValidationError: ``policy`` is not an :class:`~ecservice.orders.AutoConfirmPolicy`.
    """
    if not isinstance(policy, AutoConfirmPolicy):
        raise ValidationError(
            f"order_next_due needs an AutoConfirmPolicy, not {type(policy).__name__}"
        )

    def next_due(order: Order[Any]) -> DateTime | None:
        if order.status is not OrderStatus.IN_TRANSIT:
            return None
        return order.auto_confirm_due_at(policy)

    return next_due


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
        "electronic_draft": _draft_next_due,
    }


def _draft_next_due(draft: Any) -> DateTime | None:
    """The default policy's timer of a draft (imported when a draft is saved: only then is the
    crypto extra known to be there)."""
    from ecservice.storage._drafts import draft_next_due

    return draft_next_due()(draft)
