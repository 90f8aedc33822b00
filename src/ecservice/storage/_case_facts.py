"""What the stores index about an after-sales case besides its document: its order, and the
facts the after-sales report counts (internal).

A SQL store writes them as a row of ``ecs_case_facts`` in the transaction that adds or saves the
case, so that an order's cases are found through an index and the report's counts are SQL
aggregates; :class:`CaseFacts` is computed from the case exactly as
:func:`~ecservice.aftersales.aftersales_report` reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

import attrs
from pendulum import DateTime

from ecservice.aftersales import RefundSort

if TYPE_CHECKING:
    from ecservice.aftersales import AfterSalesCase

__all__ = ["CaseFacts", "case_facts"]


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseFacts:
    """One case's row of facts (internal).

    Args:
        case_id: the case's id.
        order_id: its order's id.
        opened_at: when it was opened (UTC).
        remedy: its remedy's name (``"REFUND_ONLY"``), as the document writes it.
        status: its status's name (``"APPROVED"``).
        resolved_at: when it last reached an end, while it is there (UTC), else ``None``.
        refunded: whether it decided money back to the buyer (a refund or a compensation; a
            reimbursed return freight alone does not count).
        disputed: whether the platform's last ruling was for the buyer.
        auto_approved: whether a timer approved it (an ``auto_approve`` transition).
    """

    case_id: str
    order_id: str
    opened_at: DateTime
    remedy: str
    status: str
    resolved_at: DateTime | None
    refunded: bool
    disputed: bool
    auto_approved: bool

    def values(self) -> dict[str, object]:
        """The row's column values."""
        return {
            "case_id": self.case_id,
            "order_id": self.order_id,
            "opened_at": self.opened_at,
            "remedy": self.remedy,
            "status": self.status,
            "resolved_at": self.resolved_at,
            "refunded": self.refunded,
            "disputed": self.disputed,
            "auto_approved": self.auto_approved,
        }


def case_facts(case: AfterSalesCase) -> CaseFacts:
    """The facts of ``case`` as it stands (internal)."""
    ruling = case.ruling
    return CaseFacts(
        case_id=case.id,
        order_id=case.order_id,
        opened_at=case.opened_at,
        remedy=case.remedy.name,
        status=case.status.name,
        resolved_at=case.resolved_at,
        refunded=any(r.sort is not RefundSort.FREIGHT for r in case.refunds),
        disputed=ruling is not None and ruling.for_buyer,
        auto_approved=any(r.trigger == "auto_approve" for r in case.history),
    )
