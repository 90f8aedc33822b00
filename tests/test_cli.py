"""The ``ecservice`` command line."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice._demo import run_demo
from ecservice.cli import build_parser, main
from ecservice.orders import CART_WORKFLOW, ORDER_WORKFLOW, OrderStatus
from ecservice.storage import Store


def test_demo_prints_a_summary_by_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ecservice demo` prints every status with its Chinese label and the totals, and what
    is stored where."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["demo", "--orders", "300", "--db", url]) == 0
    out = capsys.readouterr().out
    for status in OrderStatus:
        assert status.label_en in out
        assert status.label_zh in out
    assert "300 orders simulated" in out
    assert "¥" in out
    assert "money conserved:        yes" in out
    assert f"stored:                 300 orders in {url}\n" in out
    # The after-sales block: cases by remedy and outcome, refusals, rates, times, money.
    assert re.search(r"after-sales \(售后\): +\d+ cases opened this month", out)
    for label in ("requests refused:", "after-sales rate:", "refund rate:", "approved by timer:"):
        assert label in out
    assert re.search(r"time to resolution: +average [\d.]+ days, 90th percentile", out)
    assert "after-sales refunds:    ¥" in out
    assert "退货退款" in out
    gateway = url.replace("demo.db", "demo-gateway.db")
    assert f"gateway's books:        {gateway} (checked in SQL)" in out


def test_demo_uses_a_file_in_the_current_directory_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --db the demo is stored in ecservice-demo.db in the current directory."""
    pytest.importorskip("sqlalchemy")
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--orders", "30"]) == 0
    assert "in sqlite:///ecservice-demo.db" in capsys.readouterr().out
    assert (tmp_path / "ecservice-demo.db").exists()


def test_demo_on_sqlite_continues_the_stored_shop(tmp_path: Path) -> None:
    """Run again on the same database, the demo adds new orders after the stored ones (the
    earlier ones stay stored) and checks its money from what the database holds."""
    from ecservice.storage.sql import SqlStore

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    first = run_demo(120, seed=5, db=url)
    second = run_demo(80, seed=6, db=url)
    assert first.money_conserved
    assert second.money_conserved
    assert (first.stored_orders, first.earlier_orders) == (120, 0)
    assert (second.stored_orders, second.earlier_orders, second.orders) == (200, 120, 80)
    assert second.database == url
    store = SqlStore(url)
    try:
        with store.unit_of_work() as uow:
            assert uow.orders.find("O-000119") is not None
            latest = uow.orders.get("O-000199")
            assert uow.orders.find("O-000200") is None
            first_of_second = uow.orders.get("O-000120")
        # The second run's month starts after the first run's last order.
        assert first_of_second.created_at > uow_created(store, "O-000119")
        assert latest.created_at > first_of_second.created_at
        assert store.outbox()
    finally:
        store.dispose()


def test_demo_continues_after_a_kill_between_a_cart_and_its_order(tmp_path: Path) -> None:
    """A run killed after storing a cart and before placing its order leaves the cart stored;
    the next run places the order from it instead of failing on the stored cart."""
    import random

    from ecservice._demo_shop import new_cart
    from ecservice.clock import FixedClock
    from ecservice.storage.sql import SqlStore

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    run_demo(40, seed=5, db=url)
    store = SqlStore(url)
    try:
        clock = FixedClock(pendulum.datetime(2026, 12, 1, tz="Asia/Shanghai"))
        cart, _ = new_cart(40, random.Random(1), clock)
        with store.unit_of_work() as uow:
            uow.carts.add(cart)  # what the killed run stored
            uow.commit()
    finally:
        store.dispose()
    again = run_demo(20, seed=6, db=url)
    assert again.money_conserved
    assert (again.stored_orders, again.earlier_orders) == (60, 40)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_demo_on_an_in_memory_sqlite_database(url: str) -> None:
    """An in-memory database lives in the store's connection: the demo creates its tables there."""
    summary = run_demo(30, seed=2, db=url)
    assert summary.money_conserved
    assert summary.stored_orders == 30


def uow_created(store: Store, order_id: str) -> pendulum.DateTime:
    """When a stored order was placed."""
    with store.unit_of_work() as uow:
        return uow.orders.get(order_id).created_at


def test_demo_gives_the_same_result_in_memory_and_on_sqlite(tmp_path: Path) -> None:
    """The store changes nothing of the simulation: the summaries differ only in where they
    were stored."""
    in_memory = run_demo(150, seed=3)
    on_sqlite = run_demo(150, seed=3, db=f"sqlite:///{tmp_path / 'shop.db'}")
    assert attrs.evolve(on_sqlite, database="memory", gateway="memory") == in_memory


def _stored(path: Path) -> int:
    """How many consumer orders (``O-...``; the business orders are ``B2B-...``) the SQLite
    file holds (0 before its tables exist)."""
    import sqlite3

    if not path.exists():
        return 0
    connection = sqlite3.connect(path, timeout=30)
    try:
        found = connection.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ecs_aggregates'"
        ).fetchone()[0]
        if not found:
            return 0
        count: int = connection.execute(
            "SELECT COUNT(*) FROM ecs_aggregates WHERE type = 'order' AND id LIKE 'O-%'"
        ).fetchone()[0]
        return count
    finally:
        connection.close()


@pytest.mark.parametrize(("kill_after", "workers"), [(60, 1), (170, 1), (150, 3)])
def test_a_demo_killed_with_sigkill_is_continued_without_loss(
    tmp_path: Path, kill_after: int, workers: int
) -> None:
    """kill -9 at some point of a run (mid-transaction, between a gateway call and the save of
    its answer, ...): the next run continues the orders it left open, refunds what it
    cancelled, and every stored order's money balances against the gateway's books in SQL."""
    import time

    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    argv = ["demo", "--orders", "400", "--db", url, "--workers", str(workers)]
    code = f"from ecservice.cli import main; main({argv!r})"
    # Its own process group, so that SIGKILL takes the worker processes with it.
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while _stored(path) < kill_after:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    killed = _stored(path)
    assert killed >= kill_after
    again = run_demo(50, seed=9, db=url)
    assert again.money_conserved, again.gateway_problems
    # Several workers killed together may leave gaps among the ids of their last day.
    assert again.earlier_orders == killed
    assert again.resumed_orders > 0
    assert again.stored_orders == again.earlier_orders + 50
    _assert_complaints_match_orders(url)
    # Nothing is left half-paid: money is held only for orders still awaiting their payment.
    import sqlalchemy as sa

    from ecservice.storage.sql import SqlGateway, SqlStore

    books = SqlGateway(url.replace("shop.db", "shop-gateway.db"), name="demo")
    store = SqlStore(url)
    try:
        assert books.audit("CNY").balanced
        with books.engine.connect() as connection:
            held_for = (
                connection.execute(
                    sa.text(
                        "SELECT payment_reference FROM ecs_gw_authorizations WHERE state = 'open'"
                    )
                )
                .scalars()
                .all()
            )
        with store.unit_of_work() as uow:
            for reference in held_for:
                order_id = uow.payments.get(reference).order_id
                assert uow.orders.get(order_id).status is OrderStatus.PENDING_CONFIRMATION
    finally:
        books.dispose()
        store.dispose()


def test_demo_workers_share_one_sqlite_file(tmp_path: Path) -> None:
    """Two worker processes on one SQLite file: every order handled once, money conserved."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    summary = run_demo(300, seed=4, db=url, workers=2)
    assert summary.money_conserved, summary.gateway_problems
    assert summary.workers == 2
    assert summary.stored_orders == summary.orders == 300
    assert sum(summary.by_status.values()) == 300
    assert summary.aftersales is not None
    assert summary.aftersales.opened > 0
    _assert_cases_match_orders(url)
    assert summary.complaints is not None
    assert _assert_complaints_match_orders(url) == summary.complaints.opened > 0


def _assert_complaints_match_orders(url: str) -> int:
    """Every stored complaint is about a stored order and named after it, its history never
    runs backwards in time, and a complaint waiting on a case waits on its order's case; the
    number of complaints."""
    from ecservice._demo_aftersales import case_id_of
    from ecservice._demo_complaints import complaint_id_of
    from ecservice._demo_store import stored_ids
    from ecservice.complaints import ComplaintStatus
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url)
    try:
        ids = stored_ids(store, "complaint") or []
        with store.unit_of_work() as uow:
            for complaint_id in ids:
                complaint = uow.complaints.get(complaint_id)
                assert complaint.order_id is not None
                assert uow.orders.find(complaint.order_id) is not None
                assert complaint_id_of(complaint.order_id) == complaint_id
                times = [r.at for r in complaint.history]
                assert times == sorted(times)
                if complaint.status is ComplaintStatus.AWAITING_CASE:
                    assert complaint.solution is not None
                    assert complaint.solution.case_id == case_id_of(complaint.order_id)
                    assert uow.cases.find(complaint.solution.case_id) is not None
        return len(ids)
    finally:
        store.dispose()


def _assert_cases_match_orders(url: str) -> None:
    """Every stored case belongs to a stored order, one case per order, and its history
    never runs backwards in time (two workers never moved one case on the same day)."""
    from ecservice._demo_aftersales import case_id_of
    from ecservice._demo_store import stored_ids
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url)
    try:
        ids = stored_ids(store, "aftersales_case") or []
        assert ids
        with store.unit_of_work() as uow:
            for case_id in ids:
                case = uow.cases.get(case_id)
                assert uow.orders.find(case.order_id) is not None
                assert case_id_of(case.order_id) == case_id
                times = [r.at for r in case.history]
                assert times == sorted(times)
    finally:
        store.dispose()


def test_demo_workers_need_a_shared_database() -> None:
    """Several workers cannot share a store in memory."""
    from ecservice.errors import ValidationError

    with pytest.raises(ValidationError, match="several workers need a database"):
        run_demo(10, workers=2)
    with pytest.raises(ValidationError, match="workers must be an int from 1 to 32"):
        run_demo(10, workers=0)


def test_demo_on_postgresql_with_four_workers() -> None:
    """Four processes on PostgreSQL claim due orders with SKIP LOCKED; the money balances."""
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        summary = run_demo(200, seed=3, days=20, db=url, workers=4)
        assert summary.money_conserved, summary.gateway_problems
        assert summary.stored_orders == 200
        assert summary.auto_confirmed > 0
        assert summary.aftersales is not None
        assert summary.aftersales.opened > 0
        _assert_cases_match_orders(url)


def test_demo_on_postgresql() -> None:
    """The demo runs on PostgreSQL (when ECSERVICE_TEST_PG_URL names a server)."""
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        summary = run_demo(60, seed=2, db=url)
        assert summary.money_conserved
        assert summary.stored_orders == 60


def test_demo_is_deterministic_and_accounts_for_every_order() -> None:
    """The same seed gives the same result; statuses add up to the number of orders."""
    a = run_demo(400, seed=7)
    b = run_demo(400, seed=7)
    assert a == b
    assert sum(a.by_status.values()) == 400
    assert a.by_status.get(OrderStatus.DONE, 0) > 0
    assert a.by_status.get(OrderStatus.IN_TRANSIT, 0) > 0
    assert a.revenue.currency.code == "CNY"
    assert not a.refunds_due.is_negative()
    # Payments: everything captured and refunded went through the gateway without loss.
    assert a.money_conserved
    # The shop's money: its account at the card gateway and its e-wallet.
    assert a.instruments is not None
    assert a.instruments.wallets.wallets > 0
    assert a.instruments.ecash.wallets > 0
    assert a.merchant_balance + a.instruments.shop == a.captured - a.refunded
    assert a.refunded.amount > 0
    # Refunds to cards: the cancellations' and the after-sales cases', nothing else.
    assert a.aftersales is not None
    assert a.refunded - a.aftersales.refunded <= a.refunds_due
    assert a.aftersales.opened > 0
    assert a.aftersales.refunded.amount > 0


def test_demo_reconciles_after_lost_answers() -> None:
    """Some gateway answers are lost during the run; retries with the same keys and the last
    reconciliation leave every paid order's payment keeping exactly its amount due."""
    summary = run_demo(300, seed=11)
    assert summary.answers_lost > 0
    assert summary.money_conserved
    assert summary.instruments is not None
    shop = summary.merchant_balance + summary.instruments.shop
    assert shop == summary.captured - summary.refunded


def test_demo_rejects_a_non_positive_count(capsys: pytest.CaptureFixture[str]) -> None:
    """--orders 0 is a usage error, reported by argparse."""
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--orders", "0"])
    assert exc.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_diagram_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    """`ecservice diagram order` prints Mermaid text with the bilingual state labels."""
    assert main(["diagram", "order"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('---\ntitle: "order"\n---\nstateDiagram-v2\n')
    assert "In transit / 货在途中" in out
    assert "PROCESSING --> IN_TRANSIT: ship" in out
    assert "IN_TRANSIT --> IN_TRANSIT: add_tracking_event (internal)" in out
    assert out == ORDER_WORKFLOW.mermaid()


def test_diagram_hide_internal(capsys: pytest.CaptureFixture[str]) -> None:
    """`--hide-internal` leaves out the internal transitions."""
    assert main(["diagram", "order", "--hide-internal"]) == 0
    out = capsys.readouterr().out
    assert "(internal)" not in out
    assert "add_tracking_event" not in out
    assert out == ORDER_WORKFLOW.mermaid(internal=False)


def test_diagram_dot(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format dot` prints Graphviz source."""
    pytest.importorskip("graphviz")
    assert main(["diagram", "cart", "--format", "dot", "--hide-internal"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph cart {")
    assert out == CART_WORKFLOW.dot(internal=False)


def test_diagram_svg(capsys: pytest.CaptureFixture[str]) -> None:
    """With Graphviz installed, `--format svg` prints an SVG document ready to inline."""
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    assert main(["diagram", "cart", "--format", "svg"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<svg")
    assert "checkout" in out


def test_diagram_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--output FILE` writes the diagram to FILE in UTF-8 and prints nothing."""
    target = tmp_path / "order.mmd"
    assert main(["diagram", "order", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert target.read_text(encoding="utf-8") == ORDER_WORKFLOW.mermaid()
    assert main(["diagram", "cart", "-o", str(target), "--hide-internal"]) == 0
    assert target.read_text(encoding="utf-8") == CART_WORKFLOW.mermaid(internal=False)


def test_diagram_output_file_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that cannot be written is an error (status 1) with the reason on stderr."""
    target = tmp_path / "missing" / "order.mmd"
    assert main(["diagram", "order", "--output", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ecservice: cannot write {target}: ")


def test_diagram_missing_graphviz_is_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the graphviz package, `--format dot` says what to install and exits with 1."""
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    assert main(["diagram", "order", "--format", "dot"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "'graphviz' Python package" in captured.err


@pytest.mark.parametrize(
    "argv",
    [[], ["diagram"], ["diagram", "shop"], ["diagram", "order", "--format", "png"], ["nope"]],
)
def test_usage_errors_exit_with_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A missing command, an unknown workflow or format: argparse reports it, status 2."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: ecservice" in capsys.readouterr().err


def _options(parser: argparse.ArgumentParser) -> Iterator[str]:
    """Every command, option and choice of ``parser`` and its subcommands."""
    for action in parser._actions:
        yield from action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name
                yield from _options(sub)
        elif action.choices is not None:
            yield from (str(c) for c in action.choices)


def test_the_cli_page_mentions_every_command_option_and_choice() -> None:
    """docs/cli.md names every command, option and choice of build_parser(), as code."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    code = re.findall(r"```console\n(.*?)```", page, re.DOTALL)
    code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", page, flags=re.DOTALL))
    words = set(re.findall(r"[-\w]+", " ".join(code)))
    options = set(_options(build_parser())) - {"-h", "--help"}
    assert {"demo", "diagram", "--format", "--hide-internal", "--output", "svg"} <= options
    assert sorted(options - words) == []


def test_console_script_entry_point() -> None:
    """`python -m ecservice.cli` works as the installed console script does."""
    result = subprocess.run(
        [sys.executable, "-m", "ecservice.cli", "diagram", "cart"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "stateDiagram-v2" in result.stdout


@pytest.mark.parametrize("name", ["cart", "order", "payment", "purse"])
def test_every_listed_workflow_can_be_drawn(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each workflow the command offers is drawn with all of its triggers."""
    from ecservice.cli import WORKFLOWS

    assert main(["diagram", name]) == 0
    out = capsys.readouterr().out
    for trigger in WORKFLOWS[name].triggers:
        assert trigger in out


def test_the_cli_page_shows_the_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    """The page's `ecservice diagram cart` example is what the command prints today."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    shown = page.split("```console\n$ ecservice diagram cart\n", 1)[1].split("```", 1)[0]
    assert main(["diagram", "cart"]) == 0
    assert capsys.readouterr().out == shown


def test_a_count_that_is_not_a_number_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """``--orders abc`` says what is wrong in the user's terms (exit status 2)."""
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--orders", "abc"])
    assert exc.value.code == 2
    assert "must be a whole number, not 'abc'" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_reported_not_a_traceback() -> None:
    """Standard output on a full device: one line on standard error, exit status 1."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "ecservice.cli", "diagram", "order"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.startswith("ecservice: cannot write the output")
    assert "Traceback" not in done.stderr


def test_demo_with_a_database_that_cannot_be_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --db that is not a URL, or names a database that cannot be opened: one line on
    standard error, exit status 1, no traceback."""
    assert main(["demo", "--orders", "5", "--db", "not a url"]) == 1
    assert capsys.readouterr().err.startswith("ecservice: not a database URL")
    missing = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    assert main(["demo", "--orders", "5", "--db", missing]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ecservice: ")
    assert "Traceback" not in err


def _count(path: Path, type_name: str) -> int:
    """How many documents of ``type_name`` the SQLite file holds (0 before its tables exist)."""
    import sqlite3

    if not path.exists():
        return 0
    connection = sqlite3.connect(path, timeout=30)
    try:
        found = connection.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ecs_aggregates'"
        ).fetchone()[0]
        if not found:
            return 0
        count: int = connection.execute(
            "SELECT COUNT(*) FROM ecs_aggregates WHERE type = ?", (type_name,)
        ).fetchone()[0]
        return count
    finally:
        connection.close()


def _cases(url: str) -> dict[str, tuple[str, int]]:
    """``{case id: (status, version)}`` of the stored after-sales cases."""
    from ecservice._demo_store import stored_ids
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url)
    try:
        ids = stored_ids(store, "aftersales_case") or []
        with store.unit_of_work() as uow:
            return {i: (c.status.value, c.version) for i in ids for c in [uow.cases.get(i)]}
    finally:
        store.dispose()


_CASE_ENDS = {
    "refunded",
    "exchanged",
    "repaired",
    "reshipped",
    "compensated",
    "withdrawn",
    "closed",
}


def test_demo_continues_the_open_cases_of_an_earlier_run(tmp_path: Path) -> None:
    """The cases a run leaves in progress are stored; the next run moves them on with its own
    (the buyer ships the return, the seller answers, a timer fires...) and the money of every
    stored order, with its cases' refunds, still balances."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    first = run_demo(300, seed=7, db=url)
    assert first.money_conserved, first.gateway_problems
    before = _cases(url)
    going = {i: v for i, (s, v) in before.items() if s not in _CASE_ENDS}
    assert going, "the month ends with cases in progress"
    second = run_demo(40, seed=8, db=url)
    assert second.money_conserved, second.gateway_problems
    after = _cases(url)
    assert set(before) <= set(after)
    moved = [i for i, v in going.items() if after[i][1] > v]
    assert moved
    assert all(after[i][1] >= v for i, (_, v) in before.items())


def test_a_demo_killed_with_open_cases_is_continued_without_loss(tmp_path: Path) -> None:
    """kill -9 once cases are open: the next run continues them, and pays every refund the
    killed run decided, once."""
    import time

    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    code = f"from ecservice.cli import main; main({['demo', '--orders', '400', '--db', url]!r})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while _count(path, "aftersales_case") < 4:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = _cases(url)
    again = run_demo(30, seed=9, db=url)
    assert again.money_conserved, again.gateway_problems
    after = _cases(url)
    assert set(before) <= set(after)
    going = [i for i, (s, _) in before.items() if s not in _CASE_ENDS]
    assert any(after[i][1] > before[i][1] for i in going)


def _money_of(url: str) -> tuple[list[Any], list[Any]]:
    """Every stored order with its payments, and every stored case."""
    from ecservice._demo_store import stored_ids
    from ecservice.application import payments_of
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url)
    try:
        order_ids = stored_ids(store, "order") or []
        case_ids = stored_ids(store, "aftersales_case") or []
        with store.unit_of_work() as uow:
            orders = [(uow.orders.get(i), payments_of(uow, i)) for i in order_ids]
            cases = [uow.cases.get(i) for i in case_ids]
        return orders, cases
    finally:
        store.dispose()


def test_after_sales_refunds_lost_or_counted_twice_break_the_money(tmp_path: Path) -> None:
    """A refund a case decided that no payment made is found (and the next run makes it,
    once); a second after-sales refund of a case's order makes `money conserved` NO."""
    from ecservice._demo_figures import money_problems
    from ecservice._demo_store import gateway_url
    from ecservice.aftersales import CaseStatus, RemedyKind
    from ecservice.clock import FixedClock
    from ecservice.money import Money
    from ecservice.payments import OrderPayments, RefundKind
    from ecservice.storage.sql import SqlGateway, SqlStore
    from ecservice.workflow import Actor

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run_demo(300, seed=8, db=url).money_conserved
    orders, cases = _money_of(url)
    assert money_problems(orders, cases) == []
    approved = [
        c for c in cases if c.status is CaseStatus.APPROVED and c.remedy is RemedyKind.REFUND_ONLY
    ]
    assert approved, "seed 8 ends its month with a refund approved and not yet decided"
    # What is done by hand happens after the simulated month.
    later = FixedClock(pendulum.datetime(2027, 6, 1, tz="Asia/Shanghai"))
    store = SqlStore(url, clock=later)
    try:
        with store.unit_of_work() as uow:
            case = uow.cases.get(approved[0].id)
            case.refund(actor=Actor.staff("kefu-01"))  # decided, not paid
            uow.cases.save(case)
            uow.commit()
    finally:
        store.dispose()
    orders, cases = _money_of(url)
    lost = money_problems(orders, cases)
    assert len(lost) == 2
    assert all(case.order_id in p for p in lost)
    # The next run pays it, once.
    assert run_demo(1, seed=9, db=url).money_conserved
    orders, cases = _money_of(url)
    assert money_problems(orders, cases) == []

    # A second refund on the order of a refunded case, under a key of its own.
    refunded = next(c for c in cases if c.status is CaseStatus.REFUNDED)
    later.advance(days=1)
    store = SqlStore(url, clock=later)
    gateway = SqlGateway(gateway_url(url), name="demo", clock=later)
    try:
        with store.unit_of_work() as uow:
            order = uow.orders.get(refunded.order_id)
            payment = uow.payments.get(OrderPayments.paid_by(order) or "")
            payment.refund(
                gateway,
                Money("1.00", "CNY"),
                reason="refunded twice",
                idempotency_key=f"aftersales:{refunded.id}:twice",
                actor=Actor.staff("kefu-01"),
                kind=RefundKind.AFTERSALES,
            )
            uow.payments.save(payment)
            uow.commit()
    finally:
        gateway.dispose()
        store.dispose()
    again = run_demo(1, seed=10, db=url)
    assert not again.money_conserved
    assert any(refunded.order_id in p for p in again.gateway_problems)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(40, 160))
def test_demo_after_sales_figures_add_up_whatever_the_seed(seed: int, n: int) -> None:
    """Whatever the seed: the money is conserved with the cases' refunds counted, and the
    after-sales figures agree with each other and with the money refunded to cards."""
    summary = run_demo(n, seed=seed, days=15)
    assert summary.money_conserved, summary.gateway_problems
    figures = summary.aftersales
    assert figures is not None
    assert sum(count for _, _, count in figures.outcomes) == figures.opened
    assert figures.resolved <= figures.opened
    assert figures.automatic_approvals <= figures.opened
    assert figures.compensated <= figures.refunded <= summary.refunded
    rates = (figures.aftersales_rate, figures.refund_rate, figures.dispute_rate)
    if figures.paid_orders:
        case_rate, refund_rate, dispute_rate = rates
        assert case_rate is not None
        assert refund_rate is not None
        assert dispute_rate is not None
        assert dispute_rate.numerator <= case_rate.numerator <= figures.opened
        assert refund_rate.numerator <= case_rate.numerator
        assert (refund_rate.numerator == 0) == figures.refunded.is_zero()
    else:
        assert rates == (None, None, None)
