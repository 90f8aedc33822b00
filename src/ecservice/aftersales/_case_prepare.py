"""The pure half of each after-sales case trigger: check the arguments, return the payload.

Each ``prepare_<trigger>`` function is bound on :class:`~ecservice.aftersales.AfterSalesCase`
as its ``_prepare_<trigger>`` method: the typed trigger method fires the payload it returns, and
:meth:`~ecservice.workflow.Aggregate.can` calls it, so ``can`` answers ``True`` exactly when the
typed call succeeds. Every check runs before anything changes: a refused call leaves the case
as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecservice._shown import shown
from ecservice.aftersales._case_checks import MONEY_REMEDIES, check_amount_asked
from ecservice.aftersales._case_events import StaleCaseVersion
from ecservice.aftersales._case_values import (
    Evidence,
    Inspection,
    RepairAttempt,
    ReturnParcel,
    Ruling,
    ShipmentReference,
    lines_of,
)
from ecservice.aftersales._categories import Liability
from ecservice.errors import (
    CurrencyMismatch,
    InvalidAmount,
    InvalidQuantity,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money
from ecservice.text import LONG_TEXT_MAX, check_text
from ecservice.workflow import Actor
from ecservice.workflow._arguments import REQUIRED, begin, require

if TYPE_CHECKING:
    from ecservice.aftersales._case import AfterSalesCase

__all__ = [
    "REQUIRED",
    "prepare_add_evidence",
    "prepare_amend",
    "prepare_approve",
    "prepare_close",
    "prepare_compensate",
    "prepare_escalate",
    "prepare_exchange",
    "prepare_inspect",
    "prepare_receive_return",
    "prepare_refund",
    "prepare_reject",
    "prepare_reopen",
    "prepare_repair",
    "prepare_reship",
    "prepare_rule",
    "prepare_ship_return",
    "prepare_withdraw",
    "start",
]


def start(case: AfterSalesCase, trigger: str, actor: object, note: object) -> dict[str, Any]:
    return begin(case, trigger, actor, note, what="case")


def _reason(value: object, what: str) -> str:
    return check_text(value, what, limit=LONG_TEXT_MAX, multiline=True)


def _money(case: AfterSalesCase, amount: object, what: str) -> Money:
    if not isinstance(amount, Money):
        raise InvalidAmount(f"{what} must be Money, not {type(amount).__name__}")
    cur = case.goods_value.currency
    if amount.currency != cur:
        raise CurrencyMismatch(cur.code, amount.currency.code, f"give {what} in")
    return amount


def _agreement(case: AfterSalesCase, amount: object, what: str) -> Money:
    """An amount to agree: at most what was asked, at least what was already decided, and for a
    money remedy more than that."""
    agreed = case.asked if amount is None else _money(case, amount, what)
    done = case.refund_total
    if agreed > case.asked:
        raise InvalidAmount(
            f"cannot agree {agreed} on case {case.id!r}: the buyer asked {case.asked}, and the "
            "amount agreed is never above the amount asked"
        )
    if agreed < done or (case.remedy in MONEY_REMEDIES and agreed <= done):
        least = "more than" if case.remedy in MONEY_REMEDIES else "at least"
        raise InvalidAmount(
            f"cannot agree {agreed} on case {case.id!r}: {done} was already refunded in it, so "
            f"an agreement is for {least} that"
        )
    return agreed


def _payout(case: AfterSalesCase, amount: object, what: str) -> Money:
    left = case.refundable
    take = left if amount is None else _money(case, amount, what)
    if not take.amount > 0 or take > left:
        raise InvalidAmount(
            f"cannot pay {take} as {what} in case {case.id!r}: it agreed "
            f"{case.agreed}, of which {case.refund_total} was already decided; more than zero "
            f"and at most {left} can be paid"
        )
    return take


def _check_version(case: AfterSalesCase, expected_version: object) -> None:
    if type(expected_version) is not int:
        raise ValidationError(
            f"expected_version must be the case's version as an int, not {shown(expected_version)}"
        )
    if expected_version != case.version:
        raise StaleCaseVersion(case.id, expected=expected_version, found=case.version)


def prepare_amend(
    self: AfterSalesCase,
    *,
    actor: Actor,
    lines: object = None,
    asked: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = start(self, "amend", actor, note)
    if self.agreed is not None:
        raise PolicyViolation(
            f"case {self.id!r} was approved once: its lines and amount are fixed; open another "
            "case for other goods"
        )
    new_lines = self.lines if lines is None else lines_of(lines)
    payload["lines"] = new_lines
    payload["asked"] = (
        self.asked if asked is None else check_amount_asked(asked, self.goods_value, self.remedy)
    )
    return payload


def prepare_add_evidence(
    self: AfterSalesCase, evidence: object = REQUIRED, *, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = start(self, "add_evidence", actor, note)
    require("add_evidence", evidence=evidence)
    if not isinstance(evidence, Evidence):
        raise ValidationError(f"evidence must be an Evidence, not {type(evidence).__name__}")
    payload["evidence"] = evidence
    return payload


def prepare_approve(
    self: AfterSalesCase,
    *,
    expected_version: object = REQUIRED,
    actor: Actor,
    amount: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = start(self, "approve", actor, note)
    require("approve", expected_version=expected_version)
    _check_version(self, expected_version)
    payload["agreed"] = _agreement(self, amount, "the amount agreed")
    return payload


def prepare_reject(
    self: AfterSalesCase,
    *,
    expected_version: object = REQUIRED,
    reason: object = REQUIRED,
    actor: Actor,
) -> dict[str, Any]:
    payload = start(self, "reject", actor, "")
    require("reject", expected_version=expected_version, reason=reason)
    _check_version(self, expected_version)
    why = _reason(reason, "a rejection's reason")
    payload["reason"] = why
    payload["note"] = why
    return payload


def prepare_ship_return(
    self: AfterSalesCase,
    *,
    carrier: object = REQUIRED,
    tracking_no: object = REQUIRED,
    actor: Actor,
    note: object = "",
    freight: object = None,
) -> dict[str, Any]:
    payload = start(self, "ship_return", actor, note)
    require("ship_return", carrier=carrier, tracking_no=tracking_no)
    stated = None if freight is None else _money(self, freight, "the return freight")
    payload["parcel"] = ReturnParcel(
        carrier=check_text(carrier, "carrier"),
        tracking_no=check_text(tracking_no, "tracking_no"),
        freight=stated,
    )
    return payload


def freight_reimbursed(case: AfterSalesCase, freight: object = None) -> Money | None:
    """The return freight a receipt of the return reimburses (see
    :meth:`AfterSalesCase.receive_return`), or ``None`` for nothing."""
    parcel = case.return_parcel
    stated = None if parcel is None else parcel.freight
    if freight is None:
        if stated is None or case.liability is Liability.BUYER:
            return None
        return stated
    amount = _money(case, freight, "the freight reimbursed")
    most = stated if stated is not None else Money.zero(amount.currency)
    if amount.is_negative() or amount > most:
        raise InvalidAmount(
            f"cannot reimburse {amount} of return freight in case {case.id!r}: from zero to "
            f"the {most} the buyer stated on the return parcel"
        )
    return amount if amount.amount > 0 else None


def prepare_receive_return(
    self: AfterSalesCase, *, actor: Actor, note: object = "", freight: object = None
) -> dict[str, Any]:
    payload = start(self, "receive_return", actor, note)
    payload["freight"] = freight_reimbursed(self, freight)
    return payload


def prepare_inspect(
    self: AfterSalesCase, *, passed: object = REQUIRED, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = start(self, "inspect", actor, note)
    require("inspect", passed=passed)
    if type(passed) is not bool:
        raise ValidationError(f"passed must be True or False, not {shown(passed)}")
    payload["inspection"] = Inspection(passed=passed, note=payload["note"])
    return payload


def prepare_refund(
    self: AfterSalesCase, *, actor: Actor, amount: object = None, note: object = ""
) -> dict[str, Any]:
    payload = start(self, "refund", actor, note)
    payload["amount"] = _payout(self, amount, "a refund")
    return payload


def prepare_compensate(
    self: AfterSalesCase, *, actor: Actor, amount: object = None, note: object = ""
) -> dict[str, Any]:
    payload = start(self, "compensate", actor, note)
    payload["amount"] = _payout(self, amount, "a compensation")
    return payload


def _shipment(self: AfterSalesCase, trigger: str, shipment: object) -> ShipmentReference:
    require(trigger, shipment=shipment)
    if not isinstance(shipment, ShipmentReference):
        raise ValidationError(
            f"shipment must be a ShipmentReference, not {type(shipment).__name__}"
        )
    if any(s.shipment_id == shipment.shipment_id for s in self.new_shipments):
        raise ValidationError(
            f"case {self.id!r} already sent shipment {shipment.shipment_id!r}; give the new "
            "parcel an id of its own"
        )
    return shipment


def prepare_exchange(
    self: AfterSalesCase, *, shipment: object = REQUIRED, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = start(self, "exchange", actor, note)
    payload["shipment"] = _shipment(self, "exchange", shipment)
    return payload


def prepare_reship(
    self: AfterSalesCase, *, shipment: object = REQUIRED, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = start(self, "reship", actor, note)
    payload["shipment"] = _shipment(self, "reship", shipment)
    return payload


def prepare_repair(
    self: AfterSalesCase,
    *,
    sku: object = REQUIRED,
    unit: object = REQUIRED,
    succeeded: object = REQUIRED,
    actor: Actor,
    shipment: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = start(self, "repair", actor, note)
    require("repair", sku=sku, unit=unit, succeeded=succeeded)
    attempt = RepairAttempt(sku=sku, unit=unit, succeeded=succeeded, note=payload["note"])  # type: ignore[arg-type]
    quantity = self.quantities.get(attempt.sku)
    if quantity is None:
        known = ", ".join(repr(line.sku) for line in self.lines)
        raise ValidationError(
            f"case {self.id!r} has no line {attempt.sku!r}; its lines are {known}"
        )
    if attempt.unit > quantity:
        raise InvalidQuantity(
            f"case {self.id!r} covers {quantity} unit(s) of {attempt.sku!r}; units are numbered "
            f"1 to {quantity}, not {attempt.unit}"
        )
    if attempt.succeeded:
        payload["shipment"] = _shipment(self, "repair", REQUIRED if shipment is None else shipment)
    elif shipment is not None:
        raise ValidationError(
            "a failed repair keeps the unit for another attempt; give no shipment"
        )
    payload["attempt"] = attempt
    return payload


def prepare_escalate(
    self: AfterSalesCase, *, reason: object = REQUIRED, actor: Actor
) -> dict[str, Any]:
    payload = start(self, "escalate", actor, "")
    require("escalate", reason=reason)
    payload["reason"] = payload["note"] = _reason(reason, "an escalation's reason")
    return payload


def prepare_rule(
    self: AfterSalesCase,
    *,
    for_buyer: object = REQUIRED,
    grounds: object = REQUIRED,
    actor: Actor,
    amount: object = None,
) -> dict[str, Any]:
    payload = start(self, "rule", actor, "")
    require("rule", for_buyer=for_buyer, grounds=grounds)
    ruling = Ruling(
        for_buyer=for_buyer,  # type: ignore[arg-type]
        note=_reason(grounds, "a ruling's grounds"),
        amount=None if amount is None else _money(self, amount, "the amount ruled"),
    )
    if ruling.for_buyer:
        payload["agreed"] = _agreement(self, ruling.amount, "the amount ruled")
    payload["ruling"] = ruling
    payload["note"] = ruling.note
    return payload


def prepare_withdraw(self: AfterSalesCase, *, actor: Actor, note: object = "") -> dict[str, Any]:
    return start(self, "withdraw", actor, note)


def prepare_close(self: AfterSalesCase, *, actor: Actor, note: object = "") -> dict[str, Any]:
    return start(self, "close", actor, note)


def prepare_reopen(self: AfterSalesCase, *, actor: Actor, note: object = "") -> dict[str, Any]:
    payload = start(self, "reopen", actor, note)
    if self.remedy in MONEY_REMEDIES and self.refund_total >= self.asked:
        raise PolicyViolation(
            f"case {self.id!r} already refunded all {self.asked} asked; there is nothing left "
            "to reopen it for"
        )
    closed = self.closed_at
    assert closed is not None  # CLOSED is entered by a transition
    ends = closed + self.timeouts.reopen_window
    now = self.clock.now()
    if now >= ends:
        raise PolicyViolation(
            f"case {self.id!r} closed at {closed.isoformat()}; its reopening window ended at "
            f"{ends.isoformat()} (it is {now.isoformat()}); open another case"
        )
    return payload
