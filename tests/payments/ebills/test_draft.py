"""The ElectronicDraft aggregate: each rule, its boundary, and that refused acts change nothing."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable

import attrs
import pendulum
import pytest

from ecservice.errors import EcServiceError, InvalidAmount, InvalidTransition, ValidationError
from ecservice.money import Money
from ecservice.payments.ebills import (
    DRAFT_WORKFLOW,
    TIMER_ACTOR,
    ActChainBroken,
    ActKind,
    DeadlinePassed,
    DishonourReason,
    DraftAccepted,
    DraftDishonoured,
    DraftIssued,
    DraftPolicy,
    DraftStatus,
    ElectronicDraft,
    ForgedAct,
    MalformedAct,
    NonStandardAmount,
    NotTransferable,
    RecourseAmountExceeded,
    RecourseNotAllowed,
    TenorTooLong,
    WrongSigner,
)
from tests.payments.ebills.rig import (
    ACCEPTOR,
    AT_MATURITY,
    DRAWER,
    E1,
    E2,
    E3,
    FACE,
    GUARANTOR,
    ISSUED_AT,
    OUTSIDER,
    PAYEE,
    STAFF,
    act,
    clock_of,
    dishonoured,
    endorsed_twice,
    held,
    issue_act,
    issued,
    terms,
    zero,
)

S = DraftStatus
SH = "Asia/Shanghai"


def unchanged(draft: ElectronicDraft, call: Callable[[], object], error: type[Exception]) -> None:
    """``call`` raises ``error`` and leaves the draft exactly as it was."""
    before = copy.deepcopy(draft)
    events = draft.pending_events
    with pytest.raises(error):
        call()
    assert draft == before
    assert draft.acts == before.acts
    assert draft.pending_events == events


def claim(d: ElectronicDraft, by: object, against: object, **changes: object) -> object:
    fields: dict[str, object] = {
        "party": against,
        "amount": d.amount_owed,
        "interest": zero(),
        "expenses": zero(),
        **changes,
    }
    return act(d, ActKind.CLAIM_RECOURSE, by, **fields)  # type: ignore[arg-type]


# --- issue ------------------------------------------


def test_issue_queues_the_event_and_waits_for_acceptance() -> None:
    d = issued()
    assert d.status is S.ISSUED
    assert d.id == d.terms.number
    assert d.holder == DRAWER
    assert d.version == 0
    (event,) = d.pull_events()
    assert isinstance(event, DraftIssued)
    assert event.terms == terms()
    assert d.sub_tickets() == 12_000_000


def test_issue_refuses_a_non_standard_amount_and_a_long_tenor() -> None:
    with pytest.raises(NonStandardAmount):
        issued(t=terms(amount=Money("100.00", "USD")))
    coarse = DraftPolicy(standard_sub_amount=Money("1000", "CNY"))
    act = issue_act(terms(amount=Money("1500", "CNY")))
    with pytest.raises(NonStandardAmount):
        ElectronicDraft.issue(act, actor=STAFF, policy=coarse)
    with pytest.raises(TenorTooLong):
        issued(t=terms(matures_on=pendulum.date(2026, 9, 3)))


def test_issue_refuses_an_act_signed_by_another_than_the_drawer() -> None:
    t = terms()
    forged = attrs.evolve(issue_act(t), by=PAYEE)
    with pytest.raises(EcServiceError):
        ElectronicDraft.issue(forged, actor=STAFF)


def test_issue_date_is_the_day_of_signing() -> None:
    with pytest.raises(MalformedAct):
        issued(t=terms(issued_on=pendulum.date(2026, 3, 1)))


# --- acceptance and delivery ------------------------------------------


def test_acceptance_must_be_signed_by_the_acceptor() -> None:
    d = issued()
    unchanged(d, lambda: d.accept(act(d, ActKind.ACCEPT, DRAWER), actor=STAFF), WrongSigner)
    d.accept(act(d, ActKind.ACCEPT, ACCEPTOR), actor=STAFF)
    assert d.status is S.ACCEPTED
    assert isinstance(d.pull_events()[-1], DraftAccepted)


def test_acceptance_deadline_is_exact() -> None:
    d = issued()
    due = pendulum.datetime(2026, 3, 6, tz=SH)
    assert d.next_due_at() == due
    clock_of(d).set(due.subtract(microseconds=1))
    assert d.can("accept", actor=STAFF, act=act(d, ActKind.ACCEPT, ACCEPTOR))
    assert d.run_timeouts() == ()
    clock_of(d).set(due)
    late = act(d, ActKind.ACCEPT, ACCEPTOR)
    unchanged(d, lambda: d.accept(late, actor=STAFF), DeadlinePassed)
    (record,) = d.run_timeouts()
    assert (record.trigger, d.status, record.actor) == ("cancel", S.CANCELLED, TIMER_ACTOR)
    assert d.next_due_at() is None


def test_delivery_goes_to_the_payee_only() -> None:
    d = issued()
    d.accept(act(d, ActKind.ACCEPT, ACCEPTOR), actor=STAFF)
    wrong = act(d, ActKind.DELIVER, DRAWER, party=E1)
    unchanged(d, lambda: d.deliver(wrong, actor=STAFF), WrongSigner)
    d.deliver(act(d, ActKind.DELIVER, DRAWER, party=PAYEE), actor=STAFF)
    assert (d.status, d.holder) == (S.HELD, PAYEE)


def test_an_undelivered_draft_is_cancelled_at_the_end_of_the_presentment_period() -> None:
    d = issued()
    d.accept(act(d, ActKind.ACCEPT, ACCEPTOR), actor=STAFF)
    end = pendulum.datetime(2026, 9, 10, tz=SH)
    assert d.next_due_at() == end
    clock_of(d).set(end)
    d.run_timeouts()
    assert d.status is S.CANCELLED


# --- endorsement ------------------------------------------


def test_endorsement_chain_and_views() -> None:
    d = endorsed_twice()
    assert d.holder == E2
    assert d.holders == (DRAWER, PAYEE, E1, E2)
    assert [e.party for e in d.endorsements] == [E1, E2]
    assert d.earlier_parties() == (DRAWER, PAYEE, E1, ACCEPTOR)
    assert d.earlier_parties(E1) == (DRAWER, PAYEE, ACCEPTOR)
    assert d.earlier_parties(DRAWER) == (ACCEPTOR,)
    assert d.earlier_parties(ACCEPTOR) == ()
    assert d.amount_owed == FACE


def test_only_the_holder_endorses() -> None:
    d = endorsed_twice()
    stolen = act(d, ActKind.ENDORSE, E1, party=E3)
    unchanged(d, lambda: d.endorse(stolen, actor=STAFF), WrongSigner)


def test_a_draft_marked_not_transferable_by_the_drawer_cannot_be_endorsed() -> None:
    d = issued(t=terms(not_transferable=True))
    d.accept(act(d, ActKind.ACCEPT, ACCEPTOR), actor=STAFF)
    d.deliver(act(d, ActKind.DELIVER, DRAWER, party=PAYEE), actor=STAFF)
    e = act(d, ActKind.ENDORSE, PAYEE, party=E1)
    unchanged(d, lambda: d.endorse(e, actor=STAFF), NotTransferable)
    assert not d.can("endorse", actor=STAFF, act=e)


def test_an_endorsee_who_received_with_the_mark_cannot_endorse() -> None:
    d = held()
    d.endorse(act(d, ActKind.ENDORSE, PAYEE, party=E1, not_transferable=True), actor=STAFF)
    e = act(d, ActKind.ENDORSE, E1, party=E2)
    unchanged(d, lambda: d.endorse(e, actor=STAFF), NotTransferable)


def test_endorsing_to_oneself_is_refused() -> None:
    d = held()
    e = act(d, ActKind.ENDORSE, PAYEE, party=PAYEE)
    unchanged(d, lambda: d.endorse(e, actor=STAFF), RecourseNotAllowed)


def test_no_endorsement_after_the_presentment_period() -> None:
    d = held()
    clock_of(d).set(pendulum.datetime(2026, 9, 10, tz=SH))
    e = act(d, ActKind.ENDORSE, PAYEE, party=E1)
    unchanged(d, lambda: d.endorse(e, actor=STAFF), DeadlinePassed)


# --- the chain ------------------------------------------


def test_a_replayed_act_is_refused() -> None:
    d = held()
    e = act(d, ActKind.ENDORSE, PAYEE, party=E1)
    d.endorse(e, actor=STAFF)
    # the same act again: made for the state before, its previous digest is stale
    unchanged(d, lambda: d.endorse(e, actor=STAFF), ActChainBroken)


def test_an_act_for_another_draft_is_refused() -> None:
    d = held()
    other = issued(t=terms(number="500000000001202603010000000026"))
    e = act(other, ActKind.ENDORSE, PAYEE, party=E1)
    unchanged(d, lambda: d.endorse(e, actor=STAFF), ActChainBroken)


def test_a_forged_act_is_refused() -> None:
    d = held()
    e = attrs.evolve(act(d, ActKind.ENDORSE, PAYEE, party=E1), party=E2)
    unchanged(d, lambda: d.endorse(e, actor=STAFF), ForgedAct)


def test_an_act_dated_in_the_future_is_refused() -> None:
    d = held()
    e = act(d, ActKind.ENDORSE, PAYEE, party=E1, at=ISSUED_AT.add(seconds=1))
    unchanged(d, lambda: d.endorse(e, actor=STAFF), ActChainBroken)


def test_a_trigger_takes_only_its_kind_of_act() -> None:
    d = held()
    p = act(d, ActKind.ACCEPT, ACCEPTOR)
    unchanged(d, lambda: d.endorse(p, actor=STAFF), MalformedAct)
    unchanged(d, lambda: d.endorse("act", actor=STAFF), MalformedAct)  # type: ignore[arg-type]
    unchanged(d, lambda: d.accept(p, actor=STAFF), InvalidTransition)


# --- guarantee ------------------------------------------


def test_a_guarantor_must_be_an_outsider_guaranteeing_a_debtor() -> None:
    d = endorsed_twice()
    own = act(d, ActKind.GUARANTEE, E1, party=DRAWER)
    unchanged(d, lambda: d.guarantee(own, actor=STAFF), WrongSigner)
    of_holder = act(d, ActKind.GUARANTEE, GUARANTOR, party=E2)
    unchanged(d, lambda: d.guarantee(of_holder, actor=STAFF), WrongSigner)
    d.guarantee(act(d, ActKind.GUARANTEE, GUARANTOR, party=PAYEE), actor=STAFF)
    assert d.status is S.HELD
    assert d.earlier_parties() == (DRAWER, PAYEE, GUARANTOR, E1, ACCEPTOR)
    assert d.earlier_parties(GUARANTOR) == (PAYEE, DRAWER, ACCEPTOR)


# --- presentment, payment, dishonour ------------------------------------------


def test_presentment_opens_at_maturity_exactly() -> None:
    d = endorsed_twice()
    opens = pendulum.datetime(2026, 8, 31, tz=SH)
    assert d.presentment_opens_at() == opens
    clock_of(d).set(opens.subtract(microseconds=1))
    early = act(d, ActKind.PRESENT, E2)
    unchanged(d, lambda: d.present(early, actor=STAFF), DeadlinePassed)
    clock_of(d).set(opens)
    d.present(act(d, ActKind.PRESENT, E2), actor=STAFF)
    assert d.status is S.PRESENTED
    assert not d.overdue_presentment


def test_presentment_period_ends_exactly_and_the_draft_expires() -> None:
    d = endorsed_twice()
    ends = pendulum.datetime(2026, 9, 10, tz=SH)
    assert d.next_due_at() == ends
    clock_of(d).set(ends.subtract(microseconds=1))
    assert d.can("present", actor=STAFF, act=act(d, ActKind.PRESENT, E2))
    assert d.run_timeouts() == ()
    clock_of(d).set(ends)
    late = act(d, ActKind.PRESENT, E2)
    unchanged(d, lambda: d.present(late, actor=STAFF), DeadlinePassed)
    d.run_timeouts()
    assert d.status is S.EXPIRED
    assert d.next_due_at() == pendulum.datetime(2028, 9, 1, tz=SH)


def test_overdue_presentment_leaves_recourse_against_drawer_and_acceptor_only() -> None:
    d = endorsed_twice()
    clock_of(d).set(pendulum.datetime(2026, 9, 20, tz=SH))
    d.run_timeouts()
    d.present(act(d, ActKind.PRESENT, E2), actor=STAFF)
    assert d.overdue_presentment
    d.dishonour(
        act(d, ActKind.DISHONOUR, ACCEPTOR, reason=DishonourReason.PRESENTMENT_OVERDUE),
        actor=STAFF,
    )
    assert d.earlier_parties() == (DRAWER, ACCEPTOR)
    bad = claim(d, E2, E1)
    unchanged(d, lambda: d.claim_recourse(bad, actor=STAFF), RecourseNotAllowed)  # type: ignore[arg-type]


def test_only_the_acceptor_pays_exactly_the_face_amount_once() -> None:
    d = endorsed_twice()
    clock_of(d).set(AT_MATURITY)
    d.present(act(d, ActKind.PRESENT, E2), actor=STAFF)
    by_drawer = act(d, ActKind.PAY, DRAWER, amount=FACE)
    unchanged(d, lambda: d.pay(by_drawer, actor=STAFF), WrongSigner)
    short = act(d, ActKind.PAY, ACCEPTOR, amount=Money("1.00", "CNY"))
    unchanged(d, lambda: d.pay(short, actor=STAFF), InvalidAmount)
    pay = act(d, ActKind.PAY, ACCEPTOR, amount=FACE)
    d.pay(pay, actor=STAFF)
    assert d.status is S.PAID
    assert d.is_final
    ((payment),) = d.payments
    assert (payment.payer, payment.payee, payment.amount) == (ACCEPTOR, E2, FACE)
    assert d.amount_owed == zero()
    assert d.next_due_at() is None
    again = act(d, ActKind.PAY, ACCEPTOR, amount=FACE)
    unchanged(d, lambda: d.pay(again, actor=STAFF), InvalidTransition)


def test_an_unanswered_presentment_is_dishonoured_at_the_answer_time() -> None:
    d = endorsed_twice()
    clock_of(d).set(AT_MATURITY)
    d.present(act(d, ActKind.PRESENT, E2), actor=STAFF)
    due = pendulum.datetime(2026, 9, 5, tz=SH)
    assert d.next_due_at() == due
    clock_of(d).set(due.subtract(microseconds=1))
    unchanged(d, lambda: d.deem_dishonoured(), DeadlinePassed)
    clock_of(d).set(due)
    pay = act(d, ActKind.PAY, ACCEPTOR, amount=FACE)
    unchanged(d, lambda: d.pay(pay, actor=STAFF), DeadlinePassed)
    d.deem_dishonoured()
    assert (d.status, d.dishonour_reason) == (S.DISHONOURED, DishonourReason.NO_ANSWER)
    assert isinstance(d.pull_events()[-1], DraftDishonoured)


def test_an_acceptor_cannot_sign_no_answer() -> None:
    d = endorsed_twice()
    clock_of(d).set(AT_MATURITY)
    d.present(act(d, ActKind.PRESENT, E2), actor=STAFF)
    bad = act(d, ActKind.DISHONOUR, ACCEPTOR, reason=DishonourReason.NO_ANSWER)
    unchanged(d, lambda: d.dishonour(bad, actor=STAFF), MalformedAct)


# --- recourse ------------------------------------------


@pytest.mark.parametrize("against", [E2, E3, OUTSIDER])
def test_no_recourse_against_the_holder_itself_or_a_later_or_unknown_party(
    against: object,
) -> None:
    d = dishonoured()
    bad = claim(d, E2, against)
    unchanged(d, lambda: d.claim_recourse(bad, actor=STAFF), RecourseNotAllowed)  # type: ignore[arg-type]


def test_recourse_only_by_the_holder() -> None:
    d = dishonoured()
    bad = claim(d, E1, PAYEE)
    unchanged(d, lambda: d.claim_recourse(bad, actor=STAFF), WrongSigner)  # type: ignore[arg-type]


def test_recourse_amount_limits() -> None:
    d = dishonoured()
    clock_of(d).set(pendulum.datetime(2026, 9, 30, 12, tz=SH))
    # 30 days on 120000.00 at 4.35 %: 429.04
    cap = Money("429.04", "CNY")
    over = claim(d, E2, E1, interest=cap + Money("0.01", "CNY"))
    unchanged(d, lambda: d.claim_recourse(over, actor=STAFF), RecourseAmountExceeded)  # type: ignore[arg-type]
    wrong_principal = claim(d, E2, E1, amount=FACE + Money("1", "CNY"))
    unchanged(d, lambda: d.claim_recourse(wrong_principal, actor=STAFF), RecourseAmountExceeded)  # type: ignore[arg-type]
    capped = DraftPolicy(max_recourse_expenses=Money("100", "CNY"))
    costly = claim(d, E2, E1, expenses=Money("100.01", "CNY"))
    unchanged(
        d,
        lambda: d.claim_recourse(costly, actor=STAFF, policy=capped),  # type: ignore[arg-type]
        RecourseAmountExceeded,
    )
    ok = claim(d, E2, E1, interest=cap, expenses=Money("100", "CNY"))
    d.claim_recourse(ok, actor=STAFF, policy=capped)  # type: ignore[arg-type]
    assert d.amount_owed == FACE + cap + Money("100", "CNY")


def test_recourse_against_several_parties_and_the_first_settlement_ends_the_claims() -> None:
    d = dishonoured()
    d.claim_recourse(claim(d, E2, E1), actor=STAFF)  # type: ignore[arg-type]
    d.claim_recourse(claim(d, E2, DRAWER, amount=FACE), actor=STAFF)  # type: ignore[arg-type]
    assert [c.party for c in d.open_claims] == [E1, DRAWER]
    again = claim(d, E2, E1, amount=FACE)
    unchanged(d, lambda: d.claim_recourse(again, actor=STAFF), RecourseNotAllowed)  # type: ignore[arg-type]
    stranger = act(d, ActKind.SETTLE_RECOURSE, PAYEE, amount=FACE)
    unchanged(d, lambda: d.settle_recourse(stranger, actor=STAFF), WrongSigner)
    short = act(d, ActKind.SETTLE_RECOURSE, DRAWER, amount=FACE - Money("1", "CNY"))
    unchanged(d, lambda: d.settle_recourse(short, actor=STAFF), RecourseAmountExceeded)
    d.settle_recourse(act(d, ActKind.SETTLE_RECOURSE, DRAWER, amount=FACE), actor=STAFF)
    assert (d.status, d.holder, d.open_claims) == (S.DISHONOURED, DRAWER, ())
    assert d.earlier_parties() == (ACCEPTOR,)


def test_re_recourse_walks_back_to_the_acceptor_and_settles() -> None:
    d = dishonoured()
    first = claim(d, E2, E1, expenses=Money("20", "CNY"))
    d.claim_recourse(first, actor=STAFF)  # type: ignore[arg-type]
    d.settle_recourse(
        act(d, ActKind.SETTLE_RECOURSE, E1, amount=FACE + Money("20", "CNY")), actor=STAFF
    )
    assert d.amount_owed == FACE + Money("20", "CNY")
    assert d.recourse_principal == FACE + Money("20", "CNY")
    assert d.next_due_at() == pendulum.datetime(2026, 12, 1, tz=SH)
    # E1 cannot claim from E2, a later party
    later = claim(d, E1, E2)
    unchanged(d, lambda: d.claim_recourse(later, actor=STAFF), RecourseNotAllowed)  # type: ignore[arg-type]
    d.claim_recourse(claim(d, E1, ACCEPTOR), actor=STAFF)  # type: ignore[arg-type]
    total = FACE + Money("20", "CNY")
    d.settle_recourse(act(d, ActKind.SETTLE_RECOURSE, ACCEPTOR, amount=total), actor=STAFF)
    assert d.status is S.SETTLED
    assert d.is_final
    assert [(p.payer, p.payee, p.amount) for p in d.payments] == [
        (E1, E2, total),
        (ACCEPTOR, E1, total),
    ]


def test_recourse_period_ends_and_the_draft_closes() -> None:
    d = dishonoured()
    ends = pendulum.datetime(2027, 3, 1, tz=SH)
    assert d.next_due_at() == ends
    clock_of(d).set(ends)
    late = claim(d, E2, E1)
    unchanged(d, lambda: d.claim_recourse(late, actor=STAFF), DeadlinePassed)  # type: ignore[arg-type]
    d.run_timeouts()
    assert d.status is S.CLOSED
    assert d.amount_owed == zero()


# --- the workflow and the API ------------------------------------------


def test_every_trigger_has_a_typed_method_taking_an_actor() -> None:
    for name in DRAFT_WORKFLOW.triggers:
        method = getattr(ElectronicDraft, name)
        assert inspect.isfunction(method)
        hints = inspect.get_annotations(method)
        assert "return" in hints
        assert "actor" in inspect.signature(method).parameters


def test_can_answers_like_the_call() -> None:
    d = held()
    good = act(d, ActKind.ENDORSE, PAYEE, party=E1)
    assert d.can("endorse", actor=STAFF, act=good)
    assert not d.can("endorse", actor=STAFF, act=act(d, ActKind.ENDORSE, E1, party=E2))
    assert not d.can("pay", actor=STAFF, act=good)
    assert not d.can("expire")
    assert d.version == 2


def test_bad_arguments_raise_validation_errors() -> None:
    d = held()
    e = act(d, ActKind.ENDORSE, PAYEE, party=E1)
    unchanged(d, lambda: d.endorse(e, actor="staff"), ValidationError)  # type: ignore[arg-type]
    unchanged(d, lambda: d.endorse(e, actor=STAFF, policy="strict"), ValidationError)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        d.next_due_at("strict")  # type: ignore[arg-type]
