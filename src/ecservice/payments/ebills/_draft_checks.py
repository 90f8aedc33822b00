"""The periods an act on a draft must fall in, and the draft's timers (private)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pendulum import DateTime

from ecservice.payments.ebills._acts import DraftAct
from ecservice.payments.ebills._errors import DeadlinePassed, RecourseAmountExceeded
from ecservice.payments.ebills._events import DraftStatus
from ecservice.payments.ebills._ledger import TIMED_TRIGGERS, Ledger
from ecservice.payments.ebills._policy import DraftPolicy

if TYPE_CHECKING:
    from ecservice.payments.ebills._draft_core import DraftCore

__all__ = ["check_periods", "due_trigger", "next_due_at"]

S = DraftStatus


def _late(draft: DraftCore, what: str, deadline: DateTime, now: DateTime) -> DeadlinePassed:
    return DeadlinePassed(f"{draft._subject()}: {what} ended at {deadline} (UTC); it is now {now}")


def check_periods(
    draft: DraftCore,
    trigger: str,
    act: DraftAct,
    before: Ledger,
    pol: DraftPolicy,
    now: DateTime,
) -> None:
    terms = draft.terms
    if trigger == "accept":
        due = pol.acceptance_due(draft.acts[0].at)
        if now >= due:
            raise _late(draft, "the acceptor's time to accept (票据法 art. 41)", due, now)
    elif trigger in ("deliver", "endorse"):
        ends = pol.presentment_ends(terms.matures_on)
        if now >= ends:
            raise _late(
                draft, f"the time to {trigger} (the presentment period; 票据法 art. 36)", ends, now
            )
    elif trigger == "present":
        _check_presentment(draft, before, pol, now)
    elif trigger in ("pay", "dishonour"):
        assert before.presented_at is not None
        due = pol.payment_answer_due(before.presented_at)
        if now >= due:
            raise _late(draft, "the acceptor's time to answer the presentment", due, now)
    elif trigger == "claim_recourse":
        _check_claim(draft, act, before, pol, now)


def _check_presentment(draft: DraftCore, before: Ledger, pol: DraftPolicy, now: DateTime) -> None:
    matures_on = draft.terms.matures_on
    if before.status is S.EXPIRED:
        ends = pol.holder_rights_end(matures_on)
        if now >= ends:
            raise _late(draft, "the holder's rights (票据法 art. 17 (1))", ends, now)
        return
    opens = pol.presentment_opens(matures_on)
    if now < opens:
        raise DeadlinePassed(
            f"{draft._subject()} can be presented for payment from its maturity date "
            f"({opens} UTC), not at {now}"
        )
    ends = pol.presentment_ends(matures_on)
    if now >= ends:
        raise _late(draft, "the presentment period (run the draft's timers first)", ends, now)


def _check_claim(
    draft: DraftCore, act: DraftAct, before: Ledger, pol: DraftPolicy, now: DateTime
) -> None:
    assert before.since is not None
    assert act.amount is not None
    assert act.interest is not None
    assert act.expenses is not None
    ends = pol.recourse_ends(before.since, re_recourse=before.re_recourse)
    if now >= ends:
        raise _late(draft, "the recourse period (票据法 art. 17)", ends, now)
    if before.re_recourse:
        since = pol.local_date(before.since)
    else:
        assert before.presented_at is not None
        since = max(draft.terms.matures_on, pol.local_date(before.presented_at))
    cap = pol.recourse_interest(act.amount, since, now)
    if act.interest > cap:
        raise RecourseAmountExceeded(
            f"a recourse claim on {draft._subject()} may add at most {cap} of interest "
            f"(at {pol.recourse_interest_rate} a year from {since}; 票据法 art. 70 (2)), "
            f"not {act.interest}"
        )
    limit = pol.max_recourse_expenses
    if limit is not None and act.expenses > limit:
        raise RecourseAmountExceeded(
            f"a recourse claim may add at most {limit} of expenses (票据法 art. 70 (3)), "
            f"not {act.expenses}"
        )


def due_trigger(draft: DraftCore) -> str | None:
    """The trigger the draft's next timer fires, or ``None`` in a final state."""
    status = draft.status
    for name, sources in TIMED_TRIGGERS.items():
        if status in sources:
            return name
    return None


def next_due_at(draft: DraftCore, pol: DraftPolicy) -> DateTime | None:
    """When the draft's next timer is due (see :meth:`ElectronicDraft.next_due_at`)."""
    status = draft.status
    terms = draft.terms
    if status is S.ISSUED:
        return pol.acceptance_due(draft.acts[0].at)
    if status in (S.ACCEPTED, S.HELD):
        return pol.presentment_ends(terms.matures_on)
    ledger = draft._ledger()
    if status is S.PRESENTED:
        assert ledger.presented_at is not None
        return pol.payment_answer_due(ledger.presented_at)
    if status in (S.DISHONOURED, S.IN_RECOURSE):
        assert ledger.since is not None
        return pol.recourse_ends(ledger.since, re_recourse=ledger.re_recourse)
    if status is S.EXPIRED:
        return pol.holder_rights_end(terms.matures_on)
    return None
