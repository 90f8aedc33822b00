"""Stateful test of the after-sales case: random trigger sequences, timers and clock moves.

Every rule calls a typed trigger method with arguments that may be valid or not, or moves the
clock (often to a timer's exact instant, or one microsecond before it). After each step the
test checks what must always hold:

* a failing call raised an error of the library's hierarchy and changed nothing;
* a successful call appended one history record per transition, each an edge of
  ``CASE_WORKFLOW``'s table and the destination the remedy's path (modelled here independently
  of the table) gives;
* ``version == len(history)``; the amount agreed is never above the amount asked, the refunds
  never above the amount agreed, nor the amount asked above the goods' value; the
  ``RefundDecided`` events add up to the refunds;
* lines never change after the first approval;
* a closed case moves only by ``reopen``, within its window;
* a timer is never due before the state it belongs to began, does not depend on the clock, and
  after ``run_timeouts`` nothing is due any more;
* the case rebuilt from its fields (the storage path) equals it.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecservice.aftersales._case import AfterSalesCase
from ecservice.aftersales._case_events import CaseStatus, RefundDecided
from ecservice.aftersales._case_values import Evidence, RefundSort, ShipmentReference
from ecservice.aftersales._case_workflow import CASE_WORKFLOW, RETURN_REMEDIES
from ecservice.aftersales._categories import RemedyKind
from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.workflow import Actor, TransitionRecord
from tests.aftersales.case_rig import BUYER, PLATFORM, SELLER, START, new_case, shipment, snapshot

S = CaseStatus
R = RemedyKind
MICRO = _dt.timedelta(microseconds=1)
EDGES = {
    (t.trigger, src, t.dest if t.dest is not None else src)
    for t in CASE_WORKFLOW.transitions
    for src in t.sources
}
OPEN = {
    S.REQUESTED,
    S.APPROVED,
    S.REJECTED,
    S.AWAITING_RETURN,
    S.RETURN_IN_TRANSIT,
    S.RECEIVED,
    S.INSPECTION_PASSED,
    S.INSPECTION_FAILED,
    S.INTERVENTION,
}
DONE = {S.REFUNDED, S.EXCHANGED, S.REPAIRED, S.RESHIPPED, S.COMPENSATED}
MONEY = {R.RETURN_AND_REFUND, R.REFUND_ONLY, R.COMPENSATION}

# Mostly the default amount, so that cases move on; sometimes any amount, valid or not.
amounts = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    st.integers(min_value=-100, max_value=25_000).map(lambda n: Money.from_minor(n, "CNY")),
    st.just(Money("1.00", "USD")),
)
actors = st.sampled_from([BUYER, SELLER, PLATFORM, Actor.system("job")])


def expected_dest(case: AfterSalesCase, trigger: str, payload: dict[str, Any]) -> CaseStatus | None:
    """Where the documented paths take the case, or ``None`` when the call must fail."""
    s, remedy = case.status, case.remedy
    exhausted = case.repairs_exhausted
    if trigger == "amend":
        return S.REQUESTED if s in (S.REQUESTED, S.REJECTED) and case.agreed is None else None
    if trigger == "add_evidence":
        return s if s in OPEN else None
    if trigger in ("approve", "auto_approve"):
        if s is not S.REQUESTED:
            return None
        return S.AWAITING_RETURN if remedy in RETURN_REMEDIES else S.APPROVED
    if trigger == "reject":
        return S.REJECTED if s is S.REQUESTED else None
    if trigger == "ship_return":
        return S.RETURN_IN_TRANSIT if s is S.AWAITING_RETURN else None
    if trigger == "auto_close":
        return S.CLOSED if s is S.AWAITING_RETURN else None
    if trigger == "receive_return":
        return S.RECEIVED if s is S.RETURN_IN_TRANSIT else None
    if trigger == "auto_receive":
        ok = s is S.RETURN_IN_TRANSIT and remedy is not R.RETURN_AND_REFUND
        return S.RECEIVED if ok else None
    if trigger == "auto_refund":
        ok = s is S.RETURN_IN_TRANSIT and remedy is R.RETURN_AND_REFUND
        return S.REFUNDED if ok else None
    if trigger == "inspect":
        if s is not S.RECEIVED:
            return None
        return S.INSPECTION_PASSED if payload["passed"] else S.INSPECTION_FAILED
    if trigger == "refund":
        ok = (
            (s is S.APPROVED and remedy in (R.REFUND_ONLY, R.RESHIP))
            or (
                s is S.INSPECTION_PASSED
                and (
                    remedy in (R.RETURN_AND_REFUND, R.EXCHANGE)
                    or (remedy is R.REPAIR and exhausted)
                )
            )
            or (s is S.INSPECTION_FAILED and remedy is R.RETURN_AND_REFUND)
        )
        return S.REFUNDED if ok else None
    if trigger == "compensate":
        return S.COMPENSATED if s is S.APPROVED and remedy is R.COMPENSATION else None
    if trigger == "exchange":
        ok = s is S.INSPECTION_PASSED and (
            remedy is R.EXCHANGE or (remedy is R.REPAIR and exhausted)
        )
        return S.EXCHANGED if ok else None
    if trigger == "reship":
        return S.RESHIPPED if s is S.APPROVED and remedy is R.RESHIP else None
    if trigger == "repair":
        if s is not S.INSPECTION_PASSED or remedy is not R.REPAIR:
            return None
        return S.REPAIRED if payload["succeeded"] else s
    if trigger == "escalate":
        return S.INTERVENTION if s in (S.REJECTED, S.INSPECTION_FAILED) else None
    if trigger == "rule":
        if s is not S.INTERVENTION:
            return None
        if not payload["for_buyer"]:
            return S.CLOSED
        if case.inspection is not None:
            return S.INSPECTION_PASSED
        return S.AWAITING_RETURN if remedy in RETURN_REMEDIES else S.APPROVED
    if trigger == "withdraw":
        allowed = (S.REQUESTED, S.REJECTED, S.APPROVED, S.AWAITING_RETURN, S.INTERVENTION)
        return S.WITHDRAWN if s in allowed else None
    if trigger == "close":
        return S.CLOSED if s in {S.REJECTED, S.INSPECTION_FAILED, *DONE} else None
    if trigger == "reopen":
        return S.REQUESTED if s is S.CLOSED else None
    raise AssertionError(trigger)


class CaseMachine(RuleBasedStateMachine):
    """Drives one case through random calls and checks it after each step."""

    case: AfterSalesCase
    clock: FixedClock

    @initialize(
        remedy=st.sampled_from(list(R)),
        shipped=st.booleans(),
        asked=st.integers(min_value=0, max_value=20_000),
    )
    def start(self, remedy: RemedyKind, shipped: bool, asked: int) -> None:
        if remedy in MONEY:
            asked = max(asked, 1)
        self.clock = FixedClock(START)
        self.case = new_case(
            remedy,
            clock=self.clock,
            order_shipped=shipped,
            asked=Money.from_minor(asked, "CNY"),
        )
        self.approved_lines: tuple[Any, ...] | None = None
        # The freight stated on each return parcel, by the version that shipped it.
        self.stated_freight: dict[int, Money] = {}

    # --- the calls ------------------------------------------------------------------------

    def _call(self, trigger: str, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        case = self.case
        before = snapshot(case)
        wanted = expected_dest(case, trigger, payload)
        foretold = case.can(trigger, **kwargs)
        assert snapshot(case) == before, "can() changed the case"
        source, length = case.status, len(case.history)
        try:
            record = getattr(case, trigger)(**kwargs)
        except EcServiceError:
            assert snapshot(case) == before, f"{trigger} failed but changed the case"
            assert not foretold, f"can({trigger!r}) said yes, the call failed"
            return
        assert foretold, f"can({trigger!r}) said no, the call succeeded"
        assert wanted is not None, f"{trigger} succeeded from {source.name}, the paths refuse it"
        assert isinstance(record, TransitionRecord)
        assert len(case.history) == length + 1
        assert (record.trigger, record.source, record.dest) in EDGES
        assert (record.source, record.dest) == (source, wanted), (trigger, record)
        if source is S.CLOSED:
            closed_at = before["history"][-1].at
            assert record.trigger == "reopen"
            assert record.at < closed_at + case.timeouts.reopen_window
        if record.trigger in ("approve", "auto_approve", "rule") and self.approved_lines is None:
            self.approved_lines = case.lines if case.agreed is not None else None

    def _shipment(self, reuse: bool) -> ShipmentReference:
        sent = len(self.case.new_shipments)
        return shipment(sent if reuse and sent else sent + 1)

    @rule(
        lines=st.one_of(
            st.none(), st.dictionaries(st.sampled_from(["SKU-A", "SKU-B"]), st.integers(-1, 3))
        ),
        asked=amounts,
        actor=actors,
    )
    def amend(self, lines: dict[str, int] | None, asked: Money | None, actor: Actor) -> None:
        self._call("amend", {}, {"actor": actor, "lines": lines, "asked": asked})

    @rule(actor=actors)
    def add_evidence(self, actor: Actor) -> None:
        evidence = Evidence(note="photo to follow")
        self._call("add_evidence", {}, {"evidence": evidence, "actor": actor})

    @rule(stale=st.integers(0, 3).map(lambda n: n == 0), amount=amounts)
    def approve(self, stale: bool, amount: Money | None) -> None:
        version = self.case.version - 1 if stale else self.case.version
        kwargs = {"expected_version": version, "actor": SELLER, "amount": amount}
        self._call("approve", {}, kwargs)

    @rule(stale=st.booleans(), reason=st.sampled_from(["not covered", " ", "used"]))
    def reject(self, stale: bool, reason: str) -> None:
        version = self.case.version + 1 if stale else self.case.version
        kwargs = {"expected_version": version, "reason": reason, "actor": SELLER}
        self._call("reject", {}, kwargs)

    @rule(freight=st.one_of(st.none(), st.integers(-100, 3_000)))
    def ship_return(self, freight: int | None = None) -> None:
        stated = None if freight is None else Money.from_minor(freight, "CNY")
        kwargs = {"carrier": "SF", "tracking_no": "SF1", "actor": BUYER, "freight": stated}
        length = len(self.case.history)
        self._call("ship_return", {}, kwargs)
        parcel = self.case.return_parcel
        shipped = len(self.case.history) > length
        if shipped and parcel is not None and parcel.freight is not None:
            self.stated_freight[len(self.case.history)] = parcel.freight

    @rule(freight=st.one_of(st.none(), st.integers(-100, 3_000)))
    def receive_return(self, freight: int | None = None) -> None:
        reimbursed = None if freight is None else Money.from_minor(freight, "CNY")
        self._call("receive_return", {}, {"actor": SELLER, "freight": reimbursed})

    @rule(passed=st.booleans(), note=st.sampled_from(["", "scratched"]))
    def inspect(self, passed: bool, note: str) -> None:
        kwargs = {"passed": passed, "actor": SELLER, "note": note}
        self._call("inspect", {"passed": passed}, kwargs)

    @rule(amount=amounts)
    def refund(self, amount: Money | None) -> None:
        self._call("refund", {}, {"actor": SELLER, "amount": amount})

    @rule(amount=amounts)
    def compensate(self, amount: Money | None) -> None:
        self._call("compensate", {}, {"actor": SELLER, "amount": amount})

    @rule(reuse=st.booleans())
    def exchange(self, reuse: bool) -> None:
        self._call("exchange", {}, {"shipment": self._shipment(reuse), "actor": SELLER})

    @rule(reuse=st.booleans())
    def reship(self, reuse: bool) -> None:
        self._call("reship", {}, {"shipment": self._shipment(reuse), "actor": SELLER})

    @rule(
        unit=st.integers(0, 3),
        succeeded=st.booleans(),
        sku=st.sampled_from(["SKU-A", "SKU-B"]),
        with_parcel=st.booleans(),
    )
    def repair(self, unit: int, succeeded: bool, sku: str, with_parcel: bool) -> None:
        kwargs = {
            "sku": sku,
            "unit": unit,
            "succeeded": succeeded,
            "shipment": self._shipment(reuse=False) if with_parcel else None,
            "actor": SELLER,
        }
        self._call("repair", {"succeeded": succeeded}, kwargs)

    @rule()
    def escalate(self) -> None:
        self._call("escalate", {}, {"reason": "please", "actor": BUYER})

    @rule(for_buyer=st.booleans(), amount=amounts)
    def rule_(self, for_buyer: bool, amount: Money | None) -> None:
        kwargs = {
            "for_buyer": for_buyer,
            "grounds": "as shown",
            "actor": PLATFORM,
            "amount": amount,
        }
        self._call("rule", {"for_buyer": for_buyer}, kwargs)

    @rule(now=st.integers(0, 9))
    def withdraw(self, now: int) -> None:
        if now:  # withdrawing ends the case: only now and then
            return
        self._call("withdraw", {}, {"actor": BUYER})

    @rule()
    def close(self) -> None:
        self._call("close", {}, {"actor": SELLER})

    @rule()
    def reopen(self) -> None:
        self._call("reopen", {}, {"actor": BUYER})

    @rule(which=st.sampled_from(["auto_approve", "auto_close", "auto_refund", "auto_receive"]))
    def timer_method(self, which: str) -> None:
        self._call(which, {}, {})

    @rule(flag=st.booleans())
    def next_step(self, flag: bool) -> None:
        """The natural next step of the case's path, so that runs reach its far states."""
        case, s = self.case, self.case.status
        if s is S.REQUESTED:
            self.approve(stale=False, amount=None)
        elif s is S.REJECTED:
            self.escalate()
        elif s is S.AWAITING_RETURN:
            self.ship_return()
        elif s is S.RETURN_IN_TRANSIT:
            self.receive_return()
        elif s is S.RECEIVED:
            self.inspect(passed=flag, note="scratched")
        elif s is S.INSPECTION_FAILED:
            self.escalate() if flag else self.refund(amount=None)
        elif s is S.INTERVENTION:
            self.rule_(for_buyer=flag, amount=None)
        elif s is S.CLOSED:
            self.reopen()
        elif s in DONE:
            self.close()
        elif case.remedy is R.REPAIR:
            ok = flag and not case.repairs
            self.repair(unit=1, succeeded=ok, sku="SKU-A", with_parcel=ok)
        elif case.remedy is R.EXCHANGE:
            self.exchange(reuse=False)
        elif case.remedy is R.COMPENSATION:
            self.compensate(amount=None)
        elif case.remedy is R.RESHIP and flag:
            self.reship(reuse=False)
        else:
            self.refund(amount=None)

    # The natural step is declared three times so that it is drawn about as often as the others
    # together draw a random call.
    next_step_again = next_step
    next_step_once_more = next_step

    # --- time -----------------------------------------------------------------------------

    @rule(seconds=st.integers(min_value=0, max_value=20 * 86_400))
    def wait(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)

    @rule(just_before=st.booleans())
    def to_the_due_instant(self, just_before: bool) -> None:
        due = self.case.next_due_at()
        if due is None:
            return
        target = due - MICRO if just_before else due
        if target >= self.clock.now():
            self.clock.set(target)

    @rule()
    def run_timeouts(self) -> None:
        case = self.case
        due, name = case.next_due_at(), case.due_trigger()
        source = case.status
        records = case.run_timeouts()
        now = self.clock.now()
        if due is None or now < due:
            assert records == ()
        else:
            assert records
            assert records[0].trigger == name
            assert records[0].source is source
        for record in records:
            assert (record.trigger, record.source, record.dest) in EDGES
            assert record.at == now
        after = case.next_due_at()
        assert after is None or after > now

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def versions_count_the_history(self) -> None:
        case = self.case
        assert case.version == len(case.history)
        assert [r.version for r in case.history] == list(range(1, case.version + 1))

    @invariant()
    def freight_reimbursed_is_what_a_receipt_allowed(self) -> None:
        """Each reimbursed freight follows a receipt (or an automatic refund) of a parcel whose
        freight was stated, and is at most that freight."""
        case = self.case
        triggers = {r.version: r.trigger for r in case.history}
        for refund in case.refunds:
            if refund.sort is not RefundSort.FREIGHT:
                continue
            assert triggers[refund.version] in ("receive_return", "auto_receive", "auto_refund")
            shipped = max(v for v in self.stated_freight if v < refund.version)
            assert triggers[shipped] == "ship_return"
            assert Money.zero("CNY") < refund.amount <= self.stated_freight[shipped]

    @invariant()
    def money_stays_within_its_bounds(self) -> None:
        case = self.case
        assert case.asked <= case.goods_value
        if case.agreed is None:
            assert not case.refunds
        else:
            assert case.agreed <= case.asked
            assert case.refund_total <= case.agreed
        decided = [e.amount for e in case.pending_events if isinstance(e, RefundDecided)]
        paid_back = case.refund_total + case.freight_total
        assert sum((m.amount for m in decided), start=0) == paid_back.amount
        keys = [key for key, _ in case.refund_requests()]
        assert len(set(keys)) == len(keys)

    @invariant()
    def lines_never_change_after_approval(self) -> None:
        if self.approved_lines is not None:
            assert self.case.lines == self.approved_lines

    @invariant()
    def timers_start_with_their_state(self) -> None:
        case = self.case
        due = case.next_due_at()
        if due is None:
            assert case.due_trigger() is None
            return
        started = case.entered_at(case.status)
        assert started is not None
        assert due > started
        self.clock.advance(seconds=0)
        assert case.next_due_at() == due

    @invariant()
    def the_storage_path_rebuilds_the_case(self) -> None:
        case = self.case
        fields = {f.name: getattr(case, f.name) for f in attrs.fields(type(case)) if f.init}
        fields["history"] = tuple(case.history)
        assert AfterSalesCase(**fields) == case


CaseMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCase = CaseMachine.TestCase
