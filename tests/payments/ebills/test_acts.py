"""Signed acts: canonical bytes, signatures, digests and the shape each kind needs."""

from __future__ import annotations

import contextlib
import json

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecservice.errors import EcServiceError, InvalidSignature, ValidationError
from ecservice.money import Money
from ecservice.payments.ebills import (
    ACT_TYPE,
    GENESIS,
    ActKind,
    DishonourReason,
    DraftAct,
    DraftParty,
    DraftPolicy,
    ForgedAct,
    MalformedAct,
    WrongSigner,
    sign_act,
    verify_act,
)
from tests.payments.ebills.rig import (
    ACCEPTOR,
    DRAWER,
    E1,
    ISSUED_AT,
    KEYS,
    NUMBER,
    PAYEE,
    issue_act,
    key,
    terms,
)
from tests.strategies import hostile_values


def endorsement(**changes: object) -> DraftAct:
    fields: dict[str, object] = {
        "draft_no": NUMBER,
        "kind": ActKind.ENDORSE,
        "at": ISSUED_AT,
        "by": PAYEE,
        "previous": bytes(range(32)),
        "party": E1,
        **changes,
    }
    return sign_act(KEYS[fields["by"]], **fields)  # type: ignore[arg-type, index]


def test_canonical_bytes_are_sorted_ascii_json_with_every_field() -> None:
    act = endorsement(not_transferable=True)
    data = json.loads(act.canonical_bytes())
    assert list(data) == sorted(data)
    assert data["type"] == ACT_TYPE
    assert data["kind"] == "endorse"
    assert data["previous"] == bytes(range(32)).hex()
    assert data["by"]["public_key"] == PAYEE.public_key.hex()
    assert data["party"]["name"] == E1.name
    assert data["at"] == "2026-03-02T01:00:00.000000Z"
    assert data["not_transferable"] is True
    assert data["terms"] is None
    assert act.canonical_bytes().isascii()


def test_issue_bytes_include_the_terms() -> None:
    data = json.loads(issue_act().canonical_bytes())
    assert data["terms"]["amount"] == "120000.00"
    assert data["terms"]["matures_on"] == "2026-08-31"
    assert data["previous"] == GENESIS.hex()


def test_a_signed_act_verifies_and_its_digest_covers_the_signature() -> None:
    act = endorsement()
    verify_act(act)
    assert len(act.digest) == 32
    other = attrs.evolve(act, signature=key(3).sign(b"something else"))
    assert other.digest != act.digest


@pytest.mark.parametrize(
    "change",
    [
        {"party": DRAWER},
        {"at": ISSUED_AT.add(microseconds=1)},
        {"previous": bytes(32)},
        {"not_transferable": True},
        {"draft_no": NUMBER + "9"},
    ],
)
def test_any_signed_field_changed_after_signing_is_a_forgery(change: dict[str, object]) -> None:
    forged = attrs.evolve(endorsement(), **change)
    with pytest.raises(ForgedAct):
        verify_act(forged)


def test_a_signature_by_another_key_is_a_forgery() -> None:
    act = endorsement()
    resigned = attrs.evolve(act, signature=key(8).sign(act.canonical_bytes()))
    with pytest.raises(ForgedAct):
        verify_act(resigned)


def test_an_unsigned_act_does_not_verify() -> None:
    act = attrs.evolve(endorsement(), signature=b"")
    with pytest.raises(InvalidSignature):
        verify_act(act)


def test_signing_for_another_party_is_refused() -> None:
    with pytest.raises(WrongSigner):
        sign_act(
            key(8),
            draft_no=NUMBER,
            kind=ActKind.ACCEPT,
            at=ISSUED_AT,
            by=ACCEPTOR,
            previous=GENESIS,
        )


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (ActKind.ISSUE, {}),
        (ActKind.ACCEPT, {"party": E1}),
        (ActKind.ENDORSE, {}),
        (ActKind.PAY, {}),
        (ActKind.DISHONOUR, {}),
        (ActKind.PRESENT, {"reason": DishonourReason.OTHER}),
        (ActKind.CLAIM_RECOURSE, {"party": E1, "amount": Money("1", "CNY")}),
        (ActKind.ACCEPT, {"not_transferable": True}),
        (ActKind.PAY, {"amount": Money("0", "CNY")}),
        (ActKind.PAY, {"amount": Money("-5", "CNY")}),
        (ActKind.ISSUE, {"terms": terms(number="another")}),
    ],
)
def test_each_kind_has_exactly_its_fields(kind: ActKind, fields: dict[str, object]) -> None:
    with pytest.raises(MalformedAct):
        DraftAct(
            draft_no=NUMBER,
            kind=kind,
            at=ISSUED_AT,
            by=PAYEE,
            previous=GENESIS,
            **fields,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "endorse"},
        {"by": "payee"},
        {"previous": b"short"},
        {"previous": "00" * 32},
        {"signature": b"x" * 63},
        {"party": {"name": "E1"}},
        {"not_transferable": 1},
        {"at": "2026-03-02T01:00:00Z"},
        {"at": pendulum.naive(2026, 3, 2)},
        {"draft_no": ""},
    ],
)
def test_bad_field_types_raise_validation_errors(change: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "draft_no": NUMBER,
        "kind": ActKind.ENDORSE,
        "at": ISSUED_AT,
        "by": PAYEE,
        "previous": GENESIS,
        "party": E1,
        **change,
    }
    with pytest.raises(ValidationError):
        DraftAct(**fields)  # type: ignore[arg-type]


def test_parties_need_a_valid_32_byte_key() -> None:
    with pytest.raises(ValidationError):
        DraftParty(name="X", account="1", bank="B", public_key=b"\x00" * 31)
    with pytest.raises(ValidationError):
        DraftParty.of("X", "1", "B", "not a key")  # type: ignore[arg-type]


@given(st.binary(min_size=64, max_size=64))
def test_random_signatures_never_verify(signature: bytes) -> None:
    with pytest.raises(ForgedAct):
        verify_act(attrs.evolve(endorsement(), signature=signature))


_VALID = {
    DraftParty: lambda: {"name": "N", "account": "A", "bank": "B", "public_key": PAYEE.public_key},
    DraftAct: lambda: {
        "draft_no": NUMBER,
        "kind": ActKind.ENDORSE,
        "at": ISSUED_AT,
        "by": PAYEE,
        "previous": GENESIS,
        "party": E1,
    },
}


@given(
    st.sampled_from([(cls, name) for cls, make in _VALID.items() for name in make()]),
    hostile_values(),
)
def test_value_constructors_raise_only_ecservice_errors(
    target: tuple[type, str], value: object
) -> None:
    cls, name = target
    fields = {**_VALID[cls](), name: value}
    with contextlib.suppress(EcServiceError):
        cls(**fields)


@given(
    st.sampled_from(
        [
            "number",
            "drawer",
            "acceptor",
            "payee",
            "amount",
            "issued_on",
            "matures_on",
            "not_transferable",
        ]
    ),
    hostile_values(),
)
def test_terms_raise_only_ecservice_errors(name: str, value: object) -> None:
    with contextlib.suppress(EcServiceError):
        terms(**{name: value})


@given(
    st.sampled_from([a.name for a in attrs.fields(DraftPolicy)]),
    hostile_values(),
)
def test_policy_raises_only_ecservice_errors(name: str, value: object) -> None:
    with contextlib.suppress(EcServiceError):
        DraftPolicy(**{name: value})
