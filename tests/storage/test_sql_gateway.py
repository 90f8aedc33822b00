"""The SQL gateway answers like the in-memory one, keeps its books balanced in SQL, and moves
money once per key across processes on PostgreSQL and on one SQLite file."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.errors import GatewayUnavailable, IdempotencyConflict, ValidationError
from ecservice.money import Money
from ecservice.payments import GatewayResponse, InMemoryGateway, Instrument, InstrumentKind
from ecservice.storage.sql import SqlGateway, SqlStore
from ecservice.storage.sql.migrations import MigrationError

CARD = Instrument(InstrumentKind.CARD, "tok_a")
OTHER = Instrument(InstrumentKind.CARD, "tok_b")


def cny(text: str) -> Money:
    return Money(text, "CNY")


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    """One in-memory SQLite database with the tables (gateways keep apart by name)."""
    store = SqlStore("sqlite://")
    store.create_schema()
    yield store.engine
    store.dispose()


def gateway(engine: sa.Engine) -> SqlGateway:
    return SqlGateway(engine, name=f"gw-{uuid.uuid4().hex[:8]}")


def test_authorise_capture_refund_void_and_their_books(engine: sa.Engine) -> None:
    gw = gateway(engine)
    gw.fund(CARD, cny("100.00"))
    auth = gw.authorize(CARD, cny("60.00"), reference="P-1", idempotency_key="a1")
    assert auth.approved
    assert auth.amount == cny("60.00")
    assert gw.balance(CARD, "CNY") == cny("40.00")
    assert gw.held("CNY") == cny("60.00")
    cap = gw.capture(auth.reference, cny("50.00"), idempotency_key="c1")
    assert cap.approved
    assert gw.balance(CARD, "CNY") == cny("50.00")
    assert gw.held("CNY") == cny("0.00")
    assert gw.merchant_balance("CNY") == cny("50.00")
    again = gw.capture(auth.reference, cny("50.00"), idempotency_key="c2")
    assert not again.approved
    assert again.message == "the authorisation is already settled"
    assert gw.refund(cap.reference, cny("20.00"), idempotency_key="r1").approved
    too_much = gw.refund(cap.reference, cny("30.01"), idempotency_key="r2")
    assert not too_much.approved
    assert gw.outcome("r2") is None  # a decline keeps nothing under its key
    assert gw.refund(cap.reference, cny("30.00"), idempotency_key="r2").approved
    second = gw.authorize(CARD, cny("10.00"), reference="P-2", idempotency_key="a2")
    voided = gw.void(second.reference, idempotency_key="v1")
    assert voided.approved
    assert voided.amount == cny("10.00")
    audit = gw.audit("CNY")
    assert audit.balanced, audit.problems
    assert (audit.funded, audit.instruments, audit.held, audit.merchant) == (
        cny("100.00"),
        cny("100.00"),
        cny("0.00"),
        cny("0.00"),
    )


def test_a_key_replays_its_answer_and_refuses_another_request(engine: sa.Engine) -> None:
    gw = gateway(engine)
    gw.fund(CARD, cny("100.00"))
    first = gw.authorize(CARD, cny("30.00"), reference="P-1", idempotency_key="k")
    assert gw.authorize(CARD, cny("30.00"), reference="P-1", idempotency_key="k") == first
    assert gw.outcome("k") == first
    assert gw.balance(CARD, "CNY") == cny("70.00")
    with pytest.raises(IdempotencyConflict, match="was used at"):
        gw.authorize(CARD, cny("31.00"), reference="P-1", idempotency_key="k")
    assert gw.balance(CARD, "CNY") == cny("70.00")


def test_funding_with_a_key_happens_once(engine: sa.Engine) -> None:
    gw = gateway(engine)
    for _ in range(3):
        gw.fund(CARD, cny("5.00"), idempotency_key="top-up-1")
    gw.fund(CARD, cny("5.00"))
    assert gw.total_funded("CNY") == cny("10.00") == gw.balance(CARD, "CNY")


def test_declines_and_bad_input_leave_nothing_behind(engine: sa.Engine) -> None:
    gw = gateway(engine)
    gw.fund(CARD, cny("10.00"))
    poor = gw.authorize(CARD, cny("10.01"), reference="P", idempotency_key="k1")
    assert poor == GatewayResponse(
        approved=False, message="insufficient funds: 10.00 CNY available"
    )
    gw.decline(OTHER, "card reported stolen")
    assert gw.authorize(OTHER, cny("1.00"), reference="P", idempotency_key="k2").message == (
        "card reported stolen"
    )
    with pytest.raises(ValidationError, match="unknown authorisation 'nope'"):
        gw.capture("nope", cny("1.00"), idempotency_key="k3")
    with pytest.raises(ValidationError, match="unknown capture"):
        gw.refund("nope", cny("1.00"), idempotency_key="k3")
    with pytest.raises(ValidationError, match="expected an Instrument"):
        gw.fund("tok_a", cny("1.00"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        gw.authorize(CARD, cny("1.00"), reference="P", idempotency_key=" k")
    assert gw.outcome("k1") is None
    assert gw.outcome("k3") is None
    assert gw.audit("CNY").balanced
    assert gw.total_balance("CNY") == cny("10.00")


def test_the_audit_finds_books_that_do_not_balance(engine: sa.Engine) -> None:
    gw = gateway(engine)
    gw.fund(CARD, cny("10.00"))
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE ecs_gw_accounts SET balance = balance + 1 WHERE gateway = ? AND account = ?",
            (gw.name, str(CARD)),
        )
    audit = gw.audit("CNY")
    assert not audit.balanced
    assert audit.problems == (
        "account card:tok_a holds 10.01 CNY but its entries sum to 10.00 CNY",
    )


def test_a_database_failure_is_an_unknown_outcome() -> None:
    store = SqlStore("sqlite://")
    store.create_schema()
    with store.engine.begin() as connection:  # the tables are there, a statement fails
        connection.exec_driver_sql("DROP TABLE ecs_gw_requests")
        connection.exec_driver_sql("CREATE TABLE ecs_gw_requests (other INTEGER)")
    gw = SqlGateway(store.engine, name="broken")
    with pytest.raises(GatewayUnavailable, match="has no column"):
        gw.authorize(CARD, cny("1.00"), reference="P", idempotency_key="k")


def test_a_database_without_the_gateways_tables_is_a_migration_error() -> None:
    store = SqlStore("sqlite://")  # no tables: calling again would never help
    gw = SqlGateway(store.engine, name="empty")
    with pytest.raises(MigrationError, match="lacks the gateway's table"):
        gw.authorize(CARD, cny("1.00"), reference="P", idempotency_key="k")


# --- the same answers as the in-memory gateway ---------------------------------------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["fund", "authorize", "capture", "void", "refund"]),
        st.integers(0, 2),  # which instrument / authorisation / capture
        st.integers(1, 6000),  # amount in fen
        st.integers(0, 5),  # which key (keys repeat: retries and conflicts)
    ),
    max_size=25,
)


def _apply(gw: Any, op: tuple[str, int, int, int], made: dict[str, list[str]]) -> object:
    kind, which, fen, key = op
    amount = Money.from_minor(fen, "CNY")
    cards = [CARD, OTHER, Instrument(InstrumentKind.WALLET, "w-1")]
    try:
        if kind == "fund":
            gw.fund(cards[which], amount)
            return "funded"
        if kind == "authorize":
            answer = gw.authorize(
                cards[which], amount, reference=f"P-{which}", idempotency_key=f"k{key}"
            )
            if answer.approved and answer.reference not in made["auth"]:
                made["auth"].append(answer.reference)
        else:
            pool = made["cap" if kind == "refund" else "auth"]
            if not pool:
                return "nothing yet"
            target = pool[which % len(pool)]
            if kind == "capture":
                answer = gw.capture(target, amount, idempotency_key=f"k{key}")
                if answer.approved and answer.reference not in made["cap"]:
                    made["cap"].append(answer.reference)
            elif kind == "void":
                answer = gw.void(target, idempotency_key=f"k{key}")
            else:
                answer = gw.refund(target, amount, idempotency_key=f"k{key}")
    except IdempotencyConflict:
        return "conflict"
    return (answer.approved, answer.amount, answer.message)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(OPERATIONS)
def test_answers_and_balances_match_the_in_memory_gateway(
    engine: sa.Engine, operations: list[tuple[str, int, int, int]]
) -> None:
    sql, memory = gateway(engine), InMemoryGateway("memory")
    made_sql: dict[str, list[str]] = {"auth": [], "cap": []}
    made_memory: dict[str, list[str]] = {"auth": [], "cap": []}
    for op in operations:
        assert _apply(sql, op, made_sql) == _apply(memory, op, made_memory), op
    for name in ("held", "merchant_balance", "total_balance", "total_funded"):
        assert getattr(sql, name)("CNY") == getattr(memory, name)("CNY"), name
    audit = sql.audit("CNY")
    assert audit.balanced, audit.problems
    assert audit.funded == audit.instruments + audit.held + audit.merchant


# --- many processes ------------------------------------------------------------------------------


def _worker(url: str, name: str, seed: int) -> tuple[int, int, int]:
    """Capture the same authorisations (one key per process) and refund the same captures
    (half the keys shared between processes); return what this process saw approved."""
    gw = SqlGateway(url, name=name)
    captured = refunded = conflicts = 0
    with gw.engine.connect() as connection:
        auths = [
            r.id
            for r in connection.execute(
                sa.text("SELECT id FROM ecs_gw_authorizations WHERE gateway = :g ORDER BY id"),
                {"g": name},
            )
        ]
    for auth in auths:
        answer = gw.capture(auth, cny("100.00"), idempotency_key=f"cap-{auth}-{seed}")
        captured += answer.approved
        if answer.approved:
            assert answer.reference
    with gw.engine.connect() as connection:
        caps = [
            r.id
            for r in connection.execute(
                sa.text("SELECT id FROM ecs_gw_captures WHERE gateway = :g ORDER BY id"),
                {"g": name},
            )
        ]
    for cap in caps:
        for n in range(4):
            key = f"ref-{cap}-{n}" if n % 2 else f"ref-{cap}-{n}-{seed}"
            try:
                refunded += gw.refund(cap, cny("30.00"), idempotency_key=key).approved
            except IdempotencyConflict:  # pragma: no cover - same request, same key
                conflicts += 1
    gw.dispose()
    return captured, refunded, conflicts


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(8) as workers:
        yield workers


def _race(pool: Pool, url: str, processes: int) -> None:
    name = f"race-{uuid.uuid4().hex[:8]}"
    gw = SqlGateway(url, name=name)
    cards = [Instrument(InstrumentKind.CARD, f"tok_{i}") for i in range(4)]
    for i, card in enumerate(cards):
        gw.fund(card, cny("100.00"), idempotency_key=f"fund-{i}")
        gw.authorize(card, cny("100.00"), reference=f"P-{i}", idempotency_key=f"auth-{i}")
    results = pool.starmap(_worker, [(url, name, s) for s in range(processes)], chunksize=1)
    captured = sum(r[0] for r in results)
    refunded = sum(r[1] for r in results)
    assert sum(r[2] for r in results) == 0
    assert captured == len(cards)  # each authorisation captured once, by one process
    # 100.00 per capture allows three refunds of 30.00: never a fourth.
    with gw.engine.connect() as connection:
        per_capture = connection.execute(
            sa.text(
                "SELECT c.id, c.refunded, COUNT(r.id) AS n, COALESCE(SUM(r.amount), 0) AS total "
                "FROM ecs_gw_captures c LEFT JOIN ecs_gw_refunds r "
                "ON r.gateway = c.gateway AND r.capture_id = c.id "
                "WHERE c.gateway = :g GROUP BY c.id, c.refunded"
            ),
            {"g": name},
        ).all()
    assert len(per_capture) == len(cards)
    for row in per_capture:
        assert row.n == 3
        assert row.total == row.refunded == 9000
    assert refunded >= 3 * len(cards)  # replays of a shared key also answer approved
    audit = gw.audit("CNY")
    assert audit.balanced, audit.problems
    assert audit.merchant == cny("40.00")
    assert audit.instruments == cny("360.00")
    assert audit.held == cny("0.00")
    gw.dispose()


def test_eight_processes_on_postgresql_capture_and_refund_once(pool: Pool, pg_url: str) -> None:
    _race(pool, pg_url, processes=8)


def test_four_processes_on_one_sqlite_file_capture_and_refund_once(
    pool: Pool, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    SqlStore(url).create_schema()
    _race(pool, url, processes=4)
