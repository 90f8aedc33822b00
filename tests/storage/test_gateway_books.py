"""The gateways' books as documents: round trips, damaged documents, conflicts in a store.

Authorisation documents (with their capture, refunds and the e-wallet hold) and answer documents
are written and read back unchanged, through JSON; mutated documents (hypothesis, with the
mutations of :mod:`tests.storage.test_fuzz`) load into a valid record or raise
:class:`~ecservice.storage.DocumentError`; in every store, two units of work that make the same
answer or change the same authorisation conflict.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.errors import ConcurrencyConflict, ValidationError
from ecservice.money import Money
from ecservice.payments import GatewayResponse
from ecservice.payments.gateways import WALLET_HOLDS, AuthorizationState
from ecservice.payments.gateways._base import Authorization, Capture
from ecservice.payments.gateways._wallet import _WalletHold
from ecservice.storage import DocumentError, Store, StoredGatewayBook
from ecservice.storage._gateway_books import (
    ANSWER_SERIALIZER,
    AuthorizationSerializer,
    StoredAnswer,
    StoredAuthorization,
    answer_id,
)
from tests.storage.test_fuzz import mutated

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
AUTHS: AuthorizationSerializer[_WalletHold] = AuthorizationSerializer("wallet", WALLET_HOLDS)
S = AuthorizationState


@st.composite
def records(draw: st.DrawFn) -> StoredAuthorization[_WalletHold]:
    """A stored e-wallet authorisation: open, voided, or captured with refunds."""
    units = draw(st.integers(1, 100_000))
    hold = _WalletHold(draw(st.sampled_from(["w-li", "w-han"])), f"H{draw(st.integers(1, 99)):06d}")
    state = draw(st.sampled_from(list(S)))
    auth = Authorization(
        "wallet-auth-1",
        draw(st.sampled_from(["P-1", "订单-7"])),
        hold.wallet_id,
        Money(f"{units / 100:.2f}", "CNY"),
        hold,
        state,
    )
    if state is S.CAPTURED:
        taken = draw(st.integers(1, units))
        refunds: list[tuple[str, Money]] = []
        left = taken
        for n in range(draw(st.integers(0, 3))):
            if left == 0:
                break
            part = draw(st.integers(1, left))
            left -= part
            refunds.append((f"wallet-ref-{n}", Money(f"{part / 100:.2f}", "CNY")))
        refunded = Money(f"{(taken - left) / 100:.2f}", "CNY")
        auth.capture = Capture(
            "wallet-cap-1", auth, Money(f"{taken / 100:.2f}", "CNY"), refunded, tuple(refunds)
        )
    return StoredAuthorization("wallet", auth, draw(st.integers(1, 50)))


def as_json(document: object) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


def same(a: StoredAuthorization[_WalletHold], b: StoredAuthorization[_WalletHold]) -> bool:
    x, y = a.authorization, b.authorization

    def cap(c: Capture[_WalletHold] | None) -> object:
        return None if c is None else (c.id, c.amount, c.refunded, c.refunds)

    return (a.gateway, a.version, x.id, x.payment, x.instrument, x.amount, x.hold, x.state) == (
        b.gateway,
        b.version,
        y.id,
        y.payment,
        y.instrument,
        y.amount,
        y.hold,
        y.state,
    ) and cap(x.capture) == cap(y.capture)


@given(record=records())
def test_an_authorisation_round_trips_through_json(record: StoredAuthorization[Any]) -> None:
    document = as_json(AUTHS.dump(record))
    assert document["type"] == "gateway_authorization"
    assert document["id"] == "wallet-auth-1"
    loaded = AUTHS.load(document)
    assert same(loaded, record)
    assert AUTHS.dump(loaded) == document
    if loaded.authorization.capture is not None:
        assert loaded.authorization.capture.authorization is loaded.authorization


def test_an_answer_round_trips_and_its_id_names_gateway_and_key() -> None:
    answer = GatewayResponse(approved=True, reference="wallet-cap-1", amount=Money("3.00", "CNY"))
    stored = StoredAnswer("wallet", "C-1", "capture 3.00 CNY of wallet-auth-1", answer)
    document = as_json(ANSWER_SERIALIZER.dump(stored))
    assert document["id"] == "6:wallet:C-1"
    assert ANSWER_SERIALIZER.load(document) == stored


def test_answer_ids_keep_gateways_apart_and_fit_the_table() -> None:
    assert answer_id("a:b", "c") != answer_id("a", "b:c")
    long_key = "K" * 200
    found = answer_id("wallet", long_key)
    assert len(found) <= 200
    assert found.startswith("6:wallet#sha256:")
    assert found != answer_id("wallet", "K" * 199 + "L")


@FUZZ
@given(document=mutated(records().map(lambda r: as_json(AUTHS.dump(r)))))
def test_a_mutated_authorisation_loads_valid_or_raises_a_document_error(
    document: dict[str, Any],
) -> None:
    try:
        loaded = AUTHS.load(document)
    except DocumentError as exc:
        message = str(exc)
        assert len(message) < 6000, message
        return
    auth = loaded.authorization
    assert not auth.amount.is_negative()
    assert not auth.amount.is_zero()
    assert (auth.state is S.CAPTURED) == (auth.capture is not None)
    if auth.capture is not None:
        assert auth.capture.refunded <= auth.capture.amount <= auth.amount
    assert AUTHS.load(as_json(AUTHS.dump(loaded))).version == loaded.version


ANSWERS = st.builds(
    lambda key, units, note: as_json(
        ANSWER_SERIALIZER.dump(
            StoredAnswer(
                "wallet",
                key,
                f"refund {units} of wallet-cap-1",
                GatewayResponse(
                    approved=True,
                    reference="wallet-ref-1",
                    message=note,
                    amount=Money(f"{units / 100:.2f}", "CNY"),
                ),
            )
        )
    ),
    st.sampled_from(["R-1", "退款-2"]),
    st.integers(1, 10_000),
    st.sampled_from(["", "already captured"]),
)


@FUZZ
@given(document=mutated(ANSWERS))
def test_a_mutated_answer_loads_valid_or_raises_a_document_error(document: dict[str, Any]) -> None:
    try:
        loaded = ANSWER_SERIALIZER.load(document)
    except DocumentError as exc:
        message = str(exc)
        assert len(message) < 6000, message
        return
    assert loaded.answer.approved
    assert ANSWER_SERIALIZER.load(as_json(ANSWER_SERIALIZER.dump(loaded))) == loaded


def broken(change: Any) -> dict[str, Any]:
    auth = Authorization(
        "wallet-auth-1",
        "P-1",
        "w-li",
        Money("30.00", "CNY"),
        _WalletHold("w-li", "H000001"),
        S.CAPTURED,
    )
    auth.capture = Capture(
        "wallet-cap-1",
        auth,
        Money("30.00", "CNY"),
        Money("10.00", "CNY"),
        (("wallet-ref-1", Money("10.00", "CNY")),),
    )
    document = as_json(AUTHS.dump(StoredAuthorization("wallet", auth, 3)))
    changed = copy.deepcopy(document)
    change(changed)
    return changed


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["body"].update(gateway="other"), "must be 'wallet', the gateway reading it"),
        (lambda d: d.update(version=0), "version: must be at least 1"),
        (lambda d: d["body"].update(state="OPEN"), "present exactly when the state is CAPTURED"),
        (
            lambda d: d["body"]["capture"].update(amount={"amount": "31.00", "currency": "CNY"}),
            "at most the authorisation's 30.00 CNY",
        ),
        (
            lambda d: d["body"]["capture"]["refunds"].append(
                {"id": "wallet-ref-2", "amount": {"amount": "20.01", "currency": "CNY"}}
            ),
            "30.01 CNY refunded is more than the 30.00 CNY captured",
        ),
        (
            lambda d: d["body"]["capture"]["refunds"].append(
                {"id": "wallet-ref-1", "amount": {"amount": "1.00", "currency": "CNY"}}
            ),
            "references must all differ",
        ),
        (
            lambda d: d["body"]["capture"]["refunds"][0].update(
                amount={"amount": "1.00", "currency": "USD"}
            ),
            "every refund must be a positive",
        ),
        (
            lambda d: d["body"].update(amount={"amount": "0.00", "currency": "CNY"}),
            "body.amount: must be positive",
        ),
        (lambda d: d["body"].update(hold={"wallet_id": "w-li"}), "body.hold: must be an object"),
        (lambda d: d["body"]["hold"].update(hold_id=" H1"), "body.hold: a hold's hold_id"),
        (lambda d: d["body"].update(payment=" P-1"), "body.payment"),
    ],
)
def test_broken_invariants_of_an_authorisation_are_document_errors(
    change: Any, problem: str
) -> None:
    with pytest.raises(DocumentError, match=problem.replace("(", r"\(").replace(".", r"\.")):
        AUTHS.load(broken(change))


def test_an_answer_under_another_id_or_version_is_a_document_error() -> None:
    answer = GatewayResponse(approved=True, reference="wallet-auth-1")
    document = as_json(ANSWER_SERIALIZER.dump(StoredAnswer("wallet", "A-1", "auth", answer)))
    moved = dict(document, id="6:wallet:A-2")
    with pytest.raises(DocumentError, match="made of the gateway and the key"):
        ANSWER_SERIALIZER.load(moved)
    with pytest.raises(DocumentError, match="stored once, at version 1"):
        ANSWER_SERIALIZER.load(dict(document, version=2))


def test_the_book_checks_its_arguments(store: Store) -> None:
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError, match="holds must be a HoldCodec"):
            StoredGatewayBook(uow, "wallet", object())  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="uow must be a UnitOfWork"):
            StoredGatewayBook(object(), "wallet", WALLET_HOLDS)  # type: ignore[arg-type]
        book = StoredGatewayBook(uow, "wallet", WALLET_HOLDS)
        with pytest.raises(ValidationError, match="a reference is one of"):
            book.reference("payout")
        assert book.reference("cap", of="wallet-auth-abc") == "wallet-cap-abc"
        assert book.authorization("other-auth-1") is None
        assert book.capture("wallet-cap-missing") is None
        assert book.answer("nothing") is None
        assert "StoredGatewayBook('wallet'" in repr(book)


def _auth(ref: str) -> Authorization[_WalletHold]:
    return Authorization(ref, "P-1", "w-li", Money("30.00", "CNY"), _WalletHold("w-li", "H1"))


def test_two_units_of_work_conflict_on_one_key_and_on_one_authorisation(store: Store) -> None:
    """One answer per key and one change per version, whatever the store."""
    answer = GatewayResponse(approved=True, reference="wallet-auth-1")
    with store.unit_of_work() as uow:
        book = StoredGatewayBook(uow, "wallet", WALLET_HOLDS)
        book.put(_auth("wallet-auth-1"))
        book.keep("A-1", "authorize", answer)
        uow.commit()
    with store.unit_of_work() as first, store.unit_of_work() as second:
        one = StoredGatewayBook(first, "wallet", WALLET_HOLDS)
        auth = one.authorization("wallet-auth-1")
        assert auth is not None
        assert one.answer("A-1") == ("authorize", answer)
        auth.state = S.VOIDED
        one.put(auth)
        one.keep("V-1", "void", answer)
        first.commit()
        two = StoredGatewayBook(second, "wallet", WALLET_HOLDS)
        with pytest.raises(ConcurrencyConflict):
            two.keep("V-1", "void", answer)
    with store.unit_of_work() as uow:
        book = StoredGatewayBook(uow, "wallet", WALLET_HOLDS)
        auth = book.authorization("wallet-auth-1")
        assert auth is not None
        assert auth.state is S.VOIDED
        assert book.answer("V-1") == ("void", answer)


def test_a_stale_authorisation_is_not_saved(store: Store) -> None:
    with store.unit_of_work() as uow:
        StoredGatewayBook(uow, "wallet", WALLET_HOLDS).put(_auth("wallet-auth-1"))
        uow.commit()
    with store.unit_of_work() as stale:
        old = StoredGatewayBook(stale, "wallet", WALLET_HOLDS)
        seen = old.authorization("wallet-auth-1")
        assert seen is not None
        stale.commit()  # ends the transaction (and SQLite's lock); the version read stays
        with store.unit_of_work() as uow:
            book = StoredGatewayBook(uow, "wallet", WALLET_HOLDS)
            fresh = book.authorization("wallet-auth-1")
            assert fresh is not None
            fresh.state = S.VOIDED
            book.put(fresh)
            uow.commit()
        seen.state = S.VOIDED
        with pytest.raises(ConcurrencyConflict):
            old.put(seen)
