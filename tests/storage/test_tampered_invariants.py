"""A stored document whose values break a constructor's rule raises DocumentError naming the
document (type and id), with the constructor's message, chained from the constructor's error;
``except ValidationError`` still catches it, and a newer schema version still raises
UnsupportedSchemaVersion."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError, ValidationError
from ecservice.payments.mondex import BalanceLimitExceeded
from ecservice.storage import (
    DocumentError,
    UnsupportedSchemaVersion,
    dump_order,
    load_order,
    load_purse,
)
from ecservice.storage.sql import SqlStore
from tests.storage.conftest import START
from tests.storage.test_instruments_loading import purse_doc
from tests.storage.test_timer_unreadable import placed

Mutation = Callable[[dict[str, Any]], None]

BROKEN: dict[str, tuple[Mutation, str]] = {
    "a status its empty history does not lead to": (
        lambda body: body.__setitem__("status", "DONE"),
        "status is DONE",
    ),
    "remarks with a NUL character": (
        lambda body: body.__setitem__("remarks", "a\u0000b"),
        "remarks must not contain control",
    ),
    "remarks past their longest length": (
        lambda body: body.__setitem__("remarks", "x" * 100_000),
        "remarks must be at most",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_an_order_document_breaking_a_constructor_rule_is_a_document_error(case: str) -> None:
    mutate, message = BROKEN[case]
    document = copy.deepcopy(dump_order(placed("O-2", FixedClock(START))))
    mutate(document["body"])
    with pytest.raises(DocumentError) as raised:
        load_order(document)
    error = raised.value
    assert error.subject == "order document 'O-2'"
    assert str(error).startswith("order document 'O-2' is not valid:")
    assert any(message in problem for problem in error.problems)
    assert isinstance(error.__cause__, EcServiceError)
    assert not isinstance(error.__cause__, DocumentError)
    assert message in str(error.__cause__)


def test_callers_catching_validation_error_still_catch_it() -> None:
    document = dump_order(placed("O-2", FixedClock(START)))
    document["body"]["status"] = "DONE"
    with pytest.raises(ValidationError):
        load_order(document)


def test_a_newer_schema_version_still_raises_unsupported_schema_version() -> None:
    document = dump_order(placed("O-2", FixedClock(START)))
    document["schema_version"] = 99
    with pytest.raises(UnsupportedSchemaVersion):
        load_order(document)


def test_an_instrument_whose_restore_refuses_its_values_is_a_document_error() -> None:
    document = purse_doc("carol")
    document["body"]["balances"] = [{"amount": "61.00", "currency": "CNY"}]
    with pytest.raises(DocumentError, match="purse document 'carol'") as raised:
        load_purse(document)
    assert isinstance(raised.value.__cause__, BalanceLimitExceeded)
    assert "its limit is 60.00 CNY" in str(raised.value)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_tampered_stored_order_is_a_document_error_through_the_repository(
    case: str, tmp_path: Path
) -> None:
    mutate, message = BROKEN[case]
    clock = FixedClock(START)
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock)
    store.create_schema()
    with store.unit_of_work() as uow:
        uow.orders.add(placed("O-2", clock))
        uow.commit()
    with store.engine.begin() as connection:
        text = connection.execute(
            sa.text("SELECT document FROM ecs_aggregates WHERE id = 'O-2'")
        ).scalar_one()
        document = json.loads(text) if isinstance(text, str) else text
        mutate(document["body"])
        connection.execute(
            sa.text("UPDATE ecs_aggregates SET document = :d WHERE id = 'O-2'"),
            {"d": json.dumps(document)},
        )
    try:
        with store.unit_of_work() as uow, pytest.raises(DocumentError, match=message) as raised:
            uow.orders.get("O-2")
        assert raised.value.subject == "order document 'O-2'"
    finally:
        store.dispose()
