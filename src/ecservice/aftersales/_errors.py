"""Errors of after-sales: a request that the shop's policy refuses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ecservice.errors import PolicyViolation

if TYPE_CHECKING:
    from ecservice.aftersales._eligibility import Refusal, Rule

__all__ = ["NotEligible"]


class NotEligible(PolicyViolation):
    """An after-sales request breaks the shop's after-sales policy.

    Nothing was opened or changed. The message lists every rule that refused, each with the
    instant or amount that decided it.

    Args:
        problem: the problem's value (``"no_reason_return"``).
        remedy: the remedy's value (``"return_and_refund"``).
        refusals: every :class:`~ecservice.aftersales.Refusal`, at least one.
    """

    def __init__(self, problem: str, remedy: str, refusals: Iterable[Refusal]) -> None:
        self.problem = problem
        self.remedy = remedy
        self.refusals: tuple[Refusal, ...] = tuple(refusals)
        lines = "\n".join(f"  - {r}" for r in self.refusals)
        super().__init__(f"{remedy} for {problem} is not allowed:\n{lines}")

    @property
    def rules(self) -> frozenset[Rule]:
        """The rules that refused."""
        return frozenset(r.rule for r in self.refusals)
