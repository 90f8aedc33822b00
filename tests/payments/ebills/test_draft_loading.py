"""Loading a draft through its constructor: acts re-verified as a chain against the history."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.errors import EcServiceError, ValidationError
from ecservice.money import Money
from ecservice.payments.ebills import (
    ActChainBroken,
    ActKind,
    DraftStatus,
    ElectronicDraft,
    ForgedAct,
    MalformedAct,
    WrongSigner,
)
from ecservice.workflow import TransitionRecord
from tests.payments.ebills.rig import E1, E2, FACE, KEYS, act, dishonoured, zero
from tests.strategies import hostile_values


def fields_of(d: ElectronicDraft, **changes: object) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": d.id,
        "status": d.status,
        "version": d.version,
        "history": tuple(d.history),
        "acts": list(d.acts),
        "clock": d.clock,
    }
    base.update(changes)
    return base


def settled_once() -> ElectronicDraft:
    d = dishonoured()
    c = act(d, ActKind.CLAIM_RECOURSE, E2, party=E1, amount=FACE, interest=zero(), expenses=zero())
    d.claim_recourse(c, actor=d.history[0].actor)
    d.settle_recourse(act(d, ActKind.SETTLE_RECOURSE, E1, amount=FACE), actor=d.history[0].actor)
    return d


def test_a_draft_loads_back_equal() -> None:
    d = settled_once()
    loaded = ElectronicDraft(**fields_of(d))
    assert loaded == d
    assert loaded.holder == E1
    assert loaded.payments == d.payments


def test_a_tampered_act_fails_to_load() -> None:
    d = settled_once()
    acts = list(d.acts)
    i = next(i for i, a in enumerate(acts) if a.kind is ActKind.SETTLE_RECOURSE)
    acts[i] = attrs.evolve(acts[i], amount=Money("1.00", "CNY"))
    with pytest.raises(ForgedAct):
        ElectronicDraft(**fields_of(d, acts=acts))


def test_an_act_re_signed_by_another_party_fails_to_load() -> None:
    d = settled_once()
    acts = list(d.acts)
    i = next(i for i, a in enumerate(acts) if a.kind is ActKind.ENDORSE)
    impostor = E2  # signs the first endorsement as if it held the draft
    forged = attrs.evolve(acts[i], by=impostor, signature=b"")
    acts[i] = attrs.evolve(forged, signature=KEYS[impostor].sign(forged.canonical_bytes()))
    with pytest.raises((WrongSigner, ActChainBroken)):
        ElectronicDraft(**fields_of(d, acts=acts))


def test_acts_out_of_order_fail_to_load() -> None:
    d = settled_once()
    acts = list(d.acts)
    acts[3], acts[4] = acts[4], acts[3]  # the two endorsements
    with pytest.raises(ActChainBroken):
        ElectronicDraft(**fields_of(d, acts=acts))


def test_acts_and_history_must_agree() -> None:
    d = settled_once()
    with pytest.raises(ActChainBroken):
        ElectronicDraft(**fields_of(d, acts=list(d.acts)[:-1]))
    with pytest.raises(MalformedAct):
        ElectronicDraft(**fields_of(d, acts=[]))
    with pytest.raises(ValidationError):
        ElectronicDraft(**fields_of(d, status=DraftStatus.SETTLED))
    with pytest.raises(ActChainBroken):
        ElectronicDraft(**fields_of(d, id="another-number"))


def test_a_history_record_leading_elsewhere_than_the_acts_fails() -> None:
    d = settled_once()
    history = list(d.history)
    last = history[-1]
    history[-1] = TransitionRecord(
        last.trigger, last.source, DraftStatus.SETTLED, last.at, last.actor, last.note, last.version
    )
    with pytest.raises(ValidationError):
        ElectronicDraft(**fields_of(d, history=tuple(history), status=DraftStatus.SETTLED))


_FIELDS = ("id", "status", "version", "history", "acts")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_FIELDS), hostile_values())
def test_any_bad_field_raises_an_ecservice_error(name: str, value: object) -> None:
    d = settled_once()
    try:
        loaded = ElectronicDraft(**fields_of(d, **{name: value}))
    except EcServiceError:
        return
    assert loaded == d  # only an equivalent value may be accepted


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_single_act_field_change_is_refused(data: st.DataObject) -> None:
    d = settled_once()
    acts = list(d.acts)
    i = data.draw(st.integers(min_value=0, max_value=len(acts) - 1))
    field = data.draw(st.sampled_from(["at", "previous", "signature", "by", "party", "amount"]))
    current = getattr(acts[i], field)
    replacement: object = {
        "at": acts[i].at.add(microseconds=data.draw(st.integers(1, 10**9))),
        "previous": data.draw(st.binary(min_size=32, max_size=32)),
        "signature": data.draw(st.binary(min_size=64, max_size=64)),
        "by": data.draw(st.sampled_from(list(KEYS))),
        "party": data.draw(st.sampled_from(list(KEYS))),
        "amount": Money.from_minor(data.draw(st.integers(1, 10**9)), "CNY"),
    }[field]
    if replacement == current:
        return
    try:
        acts[i] = attrs.evolve(acts[i], **{field: replacement})
    except EcServiceError:
        return  # the act itself refuses the field for its kind
    with pytest.raises(EcServiceError):
        ElectronicDraft(**fields_of(d, acts=acts))
