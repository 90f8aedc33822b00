"""The purse gateway's holds and the open authorisations per instrument, as documents.

Purse holds (:data:`~ecservice.payments.gateways.PURSE_HOLDS`) and ``"gateway_reservations"``
documents are written and read back unchanged, through JSON; mutated documents (hypothesis,
with the mutations of :mod:`tests.storage.test_fuzz`) load into a valid record or raise
:class:`~ecservice.storage.DocumentError`; in every store the book lists an authorisation on
its instrument while it is open, and two units of work that authorise on one instrument
conflict.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.errors import ConcurrencyConflict, ValidationError
from ecservice.money import Money
from ecservice.payments.gateways import PURSE_HOLDS, AuthorizationState, MemoryBook
from ecservice.payments.gateways._base import Authorization, Capture
from ecservice.payments.gateways._purse import _PurseHold
from ecservice.storage import DocumentError, Store, StoredGatewayBook
from ecservice.storage._gateway_books import AuthorizationSerializer, StoredAuthorization
from ecservice.storage._gateway_reservations import (
    RESERVATIONS_SERIALIZER,
    StoredReservations,
    reservations_id,
)
from tests.storage.test_fuzz import mutated

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
AUTHS: AuthorizationSerializer[_PurseHold] = AuthorizationSerializer("purse", PURSE_HOLDS)
S = AuthorizationState
PURSES = st.sampled_from(["p-li", "p-han", "钱包-7"])


def as_json(document: object) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


def cny(units: int) -> Money:
    return Money(f"{units / 100:.2f}", "CNY")


@st.composite
def purse_records(draw: st.DrawFn) -> StoredAuthorization[_PurseHold]:
    """A stored purse authorisation: open, voided, or captured with a refund."""
    purse = draw(PURSES)
    units = draw(st.integers(1, 100_000))
    state = draw(st.sampled_from(list(S)))
    auth = Authorization("purse-auth-1", "P-1", purse, cny(units), _PurseHold(purse), state)
    if state is S.CAPTURED:
        taken = draw(st.integers(1, units))
        back = draw(st.integers(0, taken))
        refunds = (("purse-ref-1", cny(back)),) if back else ()
        auth.capture = Capture("purse-cap-1", auth, cny(taken), cny(back), refunds)
    return StoredAuthorization("purse", auth, draw(st.integers(1, 50)))


@st.composite
def reservations(draw: st.DrawFn) -> StoredReservations:
    listed = draw(
        st.dictionaries(
            st.sampled_from([f"purse-auth-{n}" for n in range(5)]),
            st.integers(1, 100_000).map(cny),
            max_size=4,
        )
    )
    return StoredReservations("purse", draw(PURSES), listed, draw(st.integers(1, 50)))


@given(record=purse_records())
def test_a_purse_authorisation_round_trips_through_json(
    record: StoredAuthorization[_PurseHold],
) -> None:
    document = as_json(AUTHS.dump(record))
    assert document["body"]["hold"] == {"purse_id": record.authorization.instrument}
    loaded = AUTHS.load(document)
    assert loaded.authorization.hold == record.authorization.hold
    assert AUTHS.dump(loaded) == document


def test_the_purse_hold_codec_writes_the_purse_id_only() -> None:
    assert PURSE_HOLDS.fields == ("purse_id",)
    assert PURSE_HOLDS.dump(_PurseHold("p-li")) == {"purse_id": "p-li"}
    assert PURSE_HOLDS.load({"purse_id": "p-li"}) == _PurseHold("p-li")
    assert repr(PURSE_HOLDS) == "PURSE_HOLDS"
    with pytest.raises(ValidationError, match="expected a purse hold"):
        PURSE_HOLDS.dump("p-li")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="a hold's purse_id"):
        PURSE_HOLDS.load({"purse_id": " p"})


@FUZZ
@given(document=mutated(purse_records().map(lambda r: as_json(AUTHS.dump(r)))))
def test_a_mutated_purse_authorisation_loads_valid_or_raises_a_document_error(
    document: dict[str, Any],
) -> None:
    try:
        loaded = AUTHS.load(document)
    except DocumentError as exc:
        message = str(exc)
        assert len(message) < 6000, message
        return
    assert type(loaded.authorization.hold) is _PurseHold
    assert AUTHS.load(as_json(AUTHS.dump(loaded))).version == loaded.version


@given(record=reservations())
def test_reservations_round_trip_through_json(record: StoredReservations) -> None:
    document = as_json(RESERVATIONS_SERIALIZER.dump(record))
    assert document["type"] == "gateway_reservations"
    assert document["id"] == reservations_id("purse", record.instrument)
    assert [e["id"] for e in document["body"]["open"]] == sorted(record.open)
    loaded = RESERVATIONS_SERIALIZER.load(document)
    assert (loaded.gateway, loaded.instrument, loaded.open, loaded.version) == (
        record.gateway,
        record.instrument,
        record.open,
        record.version,
    )
    assert RESERVATIONS_SERIALIZER.dump(loaded) == document


@FUZZ
@given(document=mutated(reservations().map(lambda r: as_json(RESERVATIONS_SERIALIZER.dump(r)))))
def test_mutated_reservations_load_valid_or_raise_a_document_error(
    document: dict[str, Any],
) -> None:
    try:
        loaded = RESERVATIONS_SERIALIZER.load(document)
    except DocumentError as exc:
        message = str(exc)
        assert len(message) < 6000, message
        return
    assert all(not a.is_negative() and not a.is_zero() for a in loaded.open.values())
    assert loaded.id == document["id"]
    assert RESERVATIONS_SERIALIZER.dump(loaded) == document


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(id="5:purse:p-han"), "made of the gateway and the instrument"),
        (lambda d: d.update(version=0), "version: must be at least 1"),
        (lambda d: d["body"]["open"].reverse(), "ordered and each listed once"),
        (
            lambda d: d["body"]["open"][0].update(amount={"amount": "0.00", "currency": "CNY"}),
            "must be positive",
        ),
        (lambda d: d["body"]["open"][0].update(id=" a"), r"body\.open\[0\]\.id"),
        (lambda d: d["body"].update(instrument=""), r"body\.instrument"),
    ],
)
def test_broken_reservations_are_document_errors(change: Any, problem: str) -> None:
    record = StoredReservations(
        "purse", "p-li", {"purse-auth-1": cny(3000), "purse-auth-2": cny(100)}, 2
    )
    document = as_json(RESERVATIONS_SERIALIZER.dump(record))
    change(document)
    with pytest.raises(DocumentError, match=problem):
        RESERVATIONS_SERIALIZER.load(document)


def test_reservation_ids_keep_gateways_apart_and_fit_the_table() -> None:
    assert reservations_id("a:b", "c") != reservations_id("a", "b:c")
    long_id = reservations_id("purse", "p" * 200)
    assert len(long_id) <= 200
    assert long_id.startswith("5:purse#sha256:")


def _open(ref: str, purse: str = "p-li", units: int = 3000) -> Authorization[_PurseHold]:
    return Authorization(ref, "P-1", purse, cny(units), _PurseHold(purse))


def test_a_book_lists_an_authorisation_on_its_instrument_while_it_is_open(store: Store) -> None:
    """Stored and memory books give the same reservations through open, capture and void."""
    memory: MemoryBook[_PurseHold] = MemoryBook("purse")
    with store.unit_of_work() as uow:
        book = StoredGatewayBook(uow, "purse", PURSE_HOLDS)
        for each in (book, memory):
            each.put(_open("purse-auth-1"))
            each.put(_open("purse-auth-2", units=500))
            each.put(_open("purse-auth-3", purse="p-han"))
        uow.commit()
    with store.unit_of_work() as uow:
        book = StoredGatewayBook(uow, "purse", PURSE_HOLDS)
        listed = {"purse-auth-1": cny(3000), "purse-auth-2": cny(500)}
        assert book.reservations("p-li") == memory.reservations("p-li") == listed
        assert book.reservations("p-x") == memory.reservations("p-x") == {}
        for each in (book, memory):
            first = each.authorization("purse-auth-1")
            assert first is not None
            first.state = S.CAPTURED
            first.capture = Capture("purse-cap-1", first, cny(3000), cny(0))
            each.put(first)
            third = each.authorization("purse-auth-3")
            assert third is not None
            third.state = S.VOIDED
            each.put(third)
            each.put(third)  # unchanged: nothing more to take off
        uow.commit()
    with store.unit_of_work() as uow:
        book = StoredGatewayBook(uow, "purse", PURSE_HOLDS)
        assert (
            book.reservations("p-li") == memory.reservations("p-li") == {"purse-auth-2": cny(500)}
        )
        assert book.reservations("p-han") == memory.reservations("p-han") == {}


def test_two_units_of_work_authorising_on_one_instrument_conflict(store: Store) -> None:
    """However the reads interleave, one of two authorisations on a purse must run again."""
    with store.unit_of_work() as uow:
        StoredGatewayBook(uow, "purse", PURSE_HOLDS).put(_open("purse-auth-1"))
        uow.commit()
    with store.unit_of_work() as stale:
        old = StoredGatewayBook(stale, "purse", PURSE_HOLDS)
        assert list(old.reservations("p-li")) == ["purse-auth-1"]
        stale.commit()  # ends the transaction (and SQLite's lock); what was read stays
        with store.unit_of_work() as uow:
            StoredGatewayBook(uow, "purse", PURSE_HOLDS).put(_open("purse-auth-2"))
            uow.commit()
        with pytest.raises(ConcurrencyConflict):
            old.put(_open("purse-auth-3"))
    with store.unit_of_work() as uow:
        book = StoredGatewayBook(uow, "purse", PURSE_HOLDS)
        assert set(book.reservations("p-li")) == {"purse-auth-1", "purse-auth-2"}
        assert book.authorization("purse-auth-3") is None
