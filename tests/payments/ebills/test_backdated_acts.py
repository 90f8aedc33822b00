"""An act is dated when it is made: one signed long before it reaches the draft, or dated
before the draft's last change, is refused and changes nothing."""

from __future__ import annotations

import pytest

from ecservice.payments.ebills import DEFAULT_DRAFT_POLICY, ActChainBroken, ActKind, DraftStatus
from tests.payments.ebills import rig
from tests.payments.ebills.rig import AT_MATURITY, E2, STAFF


def test_a_presentment_backdated_to_maturity_is_refused() -> None:
    """Presented a week after maturity with an act dated at maturity, the acceptor's time to
    answer would already be over: refused."""
    d = rig.endorsed_twice()
    backdated = rig.act(d, ActKind.PRESENT, E2, at=AT_MATURITY)
    rig.clock_of(d).set(AT_MATURITY.add(days=7))
    before = (d.version, d.acts, d.history)
    with pytest.raises(ActChainBroken, match="dated when it is made"):
        d.present(backdated, actor=STAFF)
    assert (d.version, d.acts, d.history) == before
    assert d.status is DraftStatus.HELD


@pytest.mark.parametrize(("delay", "accepted"), [(0, True), (600, True), (601, False)])
def test_the_delay_an_act_may_have_is_exact_to_the_second(delay: int, accepted: bool) -> None:
    assert DEFAULT_DRAFT_POLICY.act_delay_seconds == 600
    d = rig.endorsed_twice()
    act = rig.act(d, ActKind.PRESENT, E2, at=AT_MATURITY)
    rig.clock_of(d).set(AT_MATURITY.add(seconds=delay))
    if accepted:
        assert d.present(act, actor=STAFF).dest is DraftStatus.PRESENTED
    else:
        with pytest.raises(ActChainBroken):
            d.present(act, actor=STAFF)
        assert d.status is DraftStatus.HELD


def test_an_act_dated_before_the_last_change_is_refused() -> None:
    d = rig.endorsed_twice()
    rig.clock_of(d).set(AT_MATURITY)
    d.present(rig.act(d, ActKind.PRESENT, E2), actor=STAFF)
    early = rig.act(
        d, ActKind.PAY, rig.ACCEPTOR, amount=rig.FACE, at=AT_MATURITY.subtract(seconds=1)
    )
    with pytest.raises(ActChainBroken, match="last change"):
        d.pay(early, actor=STAFF)
    assert d.status is DraftStatus.PRESENTED
