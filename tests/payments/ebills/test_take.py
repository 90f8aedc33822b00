"""``ElectronicDraft.take`` applies an act through the trigger of its kind."""

from __future__ import annotations

import pytest

from ecservice.payments.ebills import ActKind, DraftStatus, MalformedAct, WrongSigner
from tests.payments.ebills import rig
from tests.payments.ebills.rig import E1, E2, PAYEE, STAFF


def test_an_endorsement_is_taken_as_an_endorsement() -> None:
    d = rig.held()
    record = d.take(rig.act(d, ActKind.ENDORSE, PAYEE, party=E1), actor=STAFF)
    assert record.trigger == "endorse"
    assert d.holder == E1


def test_a_refused_act_changes_nothing() -> None:
    d = rig.held()
    before = (d.version, d.acts)
    with pytest.raises(WrongSigner):
        d.take(rig.act(d, ActKind.ENDORSE, E2, party=E1), actor=STAFF)
    assert (d.version, d.acts) == before


@pytest.mark.parametrize("act", ["endorse", None, 1])
def test_only_acts_other_than_an_issue_are_taken(act: object) -> None:
    d = rig.held()
    with pytest.raises(MalformedAct):
        d.take(act, actor=STAFF)  # type: ignore[arg-type]
    with pytest.raises(MalformedAct, match="other than an issue"):
        d.take(d.acts[0], actor=STAFF)
    assert d.status is DraftStatus.HELD
