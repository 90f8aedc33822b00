"""Benchmark: saving and loading orders through the SQL store against the raw statements.

Run ``python benchmarks/storage.py`` (full: 1,000 orders x 5 rounds per database, 100,000
orders rehydrated; a few minutes) or ``--quick`` (small counts, used by CI); ``--json`` prints
one JSON object as the last line of output. PostgreSQL is measured when ``--pg-url`` or the
environment variable ``ECSERVICE_TEST_PG_URL`` names a server (a fresh database is created on
it and dropped afterwards); without one, or with ``--no-pg``, the PostgreSQL figures are
``null``. A server named but not reachable is an error: exit status 2 and one line saying why.
Otherwise the exit status is 0, even when a target is missed; the table then says
``TARGET MISSED`` and the JSON has ``"targets_met": false``.

Method
------
Each database holds two sets of the same confirmed orders (two lines, processing), added
through the store: the repository's and the floor's. One save is the change of one order: out of
stock on even rounds, restocked on odd ones (one history record and one domain event per save).

* **repository path**, the public API: ``with store.unit_of_work() as uow``,
  ``uow.orders.get(id)`` (read and deserialise), the trigger, ``uow.orders.save(order)``
  (serialise, timer, conditional update, outbox row) and ``uow.commit()``; one unit of work per
  order.
* **floor**: the statements a repository needs for the same save, on the DB-API connection
  (``sqlite3``, ``psycopg``) with the same settings (SQLite: WAL, the same ``synchronous``,
  ``BEGIN IMMEDIATE``; PostgreSQL: READ COMMITTED, durable commits): read the version, the
  conditional ``UPDATE`` of the JSON document, the outbox ``INSERT``, commit; the documents and
  event payloads are the repository's own, serialised to JSON text beforehand.
* **domain floor** (saves, one client): the floor's statements plus the work on the order that
  no store can skip, on the same DB-API connection: read the document with the version, build
  the order through its constructor (the serializer's reuse of text it wrote before included,
  as the repository has it), the change, the document and event payloads serialised, the timer.
  The repository's ratio to it is what the store's own machinery costs (unit of work, identity
  map, checks, pool); its ratio to the floor is the highest save ratio any store could reach on
  this machine.
* **loads**: a unit of work that gets one order and ends, against one read transaction that
  selects the version and document and parses the JSON.
* **rehydrate** (SQLite): N orders loaded through units of work of 1,000 ``get`` each, against
  the same reads and JSON parsing in transactions of 1,000.
* **PostgreSQL with several clients**: the same saves from 8 processes at once (disjoint
  orders, started together); saves/s over the wall time from the first start to the last end.

Repository and floor alternate round by round (their order too); each figure is the best round.
The ratios are repository saves/s over floor saves/s (1 is the floor; higher is better).
Targets: ``sqlite_save_ratio`` (``synchronous=FULL``, the store's default) and ``pg_save_ratio``
(one client) ``>= 0.8``; the others are reported for information.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from ecservice.storage.sql import SqlStore

if TYPE_CHECKING or __package__:
    from benchmarks.support import storage_work as w
else:  # run as a script (``python benchmarks/storage.py``): its directory is sys.path[0]
    from support import storage_work as w

TARGETS: Final[dict[str, float]] = {"sqlite_save_ratio": 0.8, "pg_save_ratio": 0.8}


def _timed(run: Callable[[int], float], round_no: int) -> float:
    gc.collect()
    gc.disable()
    try:
        return run(round_no)
    finally:
        gc.enable()


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i}" for i in range(n)]


def _best(rounds: int, *sides: Callable[[int], float]) -> list[float]:
    """Best seconds of each ``side(round)``, the side that goes first turning round by round."""
    best = [float("inf")] * len(sides)
    for r in range(rounds):
        for k in range(len(sides)):
            i = (r + k) % len(sides)
            best[i] = min(best[i], _timed(sides[i], r))
    return best


def _pair(
    rounds: int,
    repo: Callable[[int], float],
    floor: Callable[[int], float],
) -> tuple[float, float]:
    """Best seconds of ``repo(round)`` and ``floor(round)``, alternating which goes first."""
    best_repo, best_floor = _best(rounds, repo, floor)
    return best_repo, best_floor


def _domain(n: int, repo: float, floor: float, domain: float) -> dict[str, float]:
    """The domain floor's figures: its saves/s, the repository's ratio to it, and its own ratio
    to the floor (the highest save ratio any store could reach)."""
    return {
        "domain_saves_per_s": n / domain,
        "save_ratio_domain": domain / repo,
        "domain_ceiling": floor / domain,
    }


def measure_sqlite(
    directory: str, synchronous: str, n: int, rounds: int, rehydrate: int
) -> dict[str, Any]:
    """Saves and loads per second on an SQLite file, repository and floor."""
    path = os.path.join(directory, f"store-{synchronous.lower()}.db")
    store = SqlStore(f"sqlite:///{path}", sqlite_synchronous=synchronous, clock=w.CLOCK)  # type: ignore[arg-type]
    store.create_schema()
    repo_ids, floor_ids, domain_ids = _ids("R", n), _ids("F", n), _ids("D", n)
    for ids in (repo_ids, floor_ids, domain_ids):
        w.seed(store, ids)
    prepared = w.prepare(floor_ids, 2 * rounds)
    connection = w.sqlite_connect(path, synchronous, 5.0)
    try:
        w.repo_loads(store, repo_ids[:20])
        w.sqlite_floor_loads(connection, floor_ids[:20])
        save_repo, save_floor, save_domain = _best(
            rounds,
            lambda r: w.repo_saves(store, repo_ids, r),
            lambda r: w.sqlite_floor_saves(connection, prepared[r]),
            lambda r: w.sqlite_domain_saves(connection, domain_ids, r),
        )
        cold_repo, cold_floor = _pair(
            rounds,
            lambda r: w.repo_saves(store, repo_ids, rounds + r, cold=True),
            lambda r: w.sqlite_floor_saves(connection, prepared[rounds + r]),
        )
        load_repo, load_floor = _pair(
            max(2, rounds),
            lambda _: w.repo_loads(store, repo_ids),
            lambda _: w.sqlite_floor_loads(connection, floor_ids),
        )
        res: dict[str, Any] = {
            "repo_saves_per_s": n / save_repo,
            "floor_saves_per_s": n / save_floor,
            "save_ratio": save_floor / save_repo,
            "repo_saves_per_s_cold": n / cold_repo,
            "save_ratio_cold": cold_floor / cold_repo,
            "repo_loads_per_s": n / load_repo,
            "floor_loads_per_s": n / load_floor,
            "load_ratio": load_floor / load_repo,
            **_domain(n, save_repo, save_floor, save_domain),
        }
        if rehydrate:
            many = _ids("H", rehydrate)
            w.seed(store, many)
            hydrate_repo, hydrate_floor = _pair(
                2,
                lambda _: w.repo_rehydrate(store, many, 1000),
                lambda _: w.sqlite_floor_loads(connection, many, 1000),
            )
            res |= {
                "rehydrate_orders": rehydrate,
                "repo_rehydrate_per_s": rehydrate / hydrate_repo,
                "floor_rehydrate_per_s": rehydrate / hydrate_floor,
                "rehydrate_ratio": hydrate_floor / hydrate_repo,
            }
        return res
    finally:
        connection.close()
        store.dispose()


def unreachable(server: str) -> str | None:
    """``None`` when a connection to ``server`` opens, else what went wrong (the URL with its
    password hidden, and the driver's first line)."""
    try:
        url = sa.make_url(server)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        return f"{server!r}: {exc}"
    try:
        with engine.connect():
            return None
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        return f"{url.render_as_string(hide_password=True)}: {reason}"
    finally:
        engine.dispose()


@contextmanager
def fresh_pg_database(server: str) -> Iterator[str]:
    """A new database on ``server`` for the run (dropped afterwards); yields its URL."""
    url = sa.make_url(server)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"ecs_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _clients(url: str, side: str, ids: Sequence[Sequence[str]], round_no: int) -> float:
    """Wall seconds for ``len(ids)`` processes saving their ids once, started together."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(ids))
    results = context.Queue()
    processes = [
        context.Process(target=w.worker_pg, args=(side, url, part, round_no, barrier, results))
        for part in ids
    ]
    for p in processes:
        p.start()
    spans: list[tuple[float, float]] = [results.get(timeout=600) for _ in processes]
    for p in processes:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a {side} client failed (exit status {p.exitcode})")
    return max(end for _, end in spans) - min(start for start, _ in spans)


def measure_pg(url: str, n: int, rounds: int, workers: int, per_worker: int) -> dict[str, Any]:
    """Saves and loads per second on PostgreSQL: one client, then ``workers`` processes."""
    store = SqlStore(url, clock=w.CLOCK)
    store.create_schema()
    repo_ids, floor_ids, domain_ids = _ids("R", n), _ids("F", n), _ids("D", n)
    for ids in (repo_ids, floor_ids, domain_ids):
        w.seed(store, ids)
    prepared = w.prepare(floor_ids, 2 * rounds)
    connection = w.pg_connect(url)
    try:
        w.repo_loads(store, repo_ids[:20])
        w.pg_floor_loads(connection, floor_ids[:20])
        save_repo, save_floor, save_domain = _best(
            rounds,
            lambda r: w.repo_saves(store, repo_ids, r),
            lambda r: w.pg_floor_saves(connection, prepared[r]),
            lambda r: w.pg_domain_saves(connection, domain_ids, r),
        )
        cold_repo, cold_floor = _pair(
            rounds,
            lambda r: w.repo_saves(store, repo_ids, rounds + r, cold=True),
            lambda r: w.pg_floor_saves(connection, prepared[rounds + r]),
        )
        load_repo, load_floor = _pair(
            max(2, rounds),
            lambda _: w.repo_loads(store, repo_ids),
            lambda _: w.pg_floor_loads(connection, floor_ids),
        )
    finally:
        connection.close()
    res: dict[str, Any] = {
        "repo_saves_per_s": n / save_repo,
        "floor_saves_per_s": n / save_floor,
        "save_ratio": save_floor / save_repo,
        "repo_saves_per_s_cold": n / cold_repo,
        "save_ratio_cold": cold_floor / cold_repo,
        "repo_loads_per_s": n / load_repo,
        "floor_loads_per_s": n / load_floor,
        "load_ratio": load_floor / load_repo,
        **_domain(n, save_repo, save_floor, save_domain),
    }
    repo_parts = [_ids(f"R{k}", per_worker) for k in range(workers)]
    floor_parts = [_ids(f"F{k}", per_worker) for k in range(workers)]
    for part in (*repo_parts, *floor_parts):
        w.seed(store, part)
    store.dispose()
    many_rounds = max(1, rounds // 2)
    many_repo, many_floor = _pair(
        many_rounds,
        lambda r: _clients(url, "repo", repo_parts, r),
        lambda r: _clients(url, "floor", floor_parts, r),
    )
    total = workers * per_worker
    res |= {
        "workers": workers,
        "repo_saves_per_s_many": total / many_repo,
        "floor_saves_per_s_many": total / many_floor,
        "save_ratio_many": many_floor / many_repo,
        "repo_scaling": (total / many_repo) / res["repo_saves_per_s"],
        "floor_scaling": (total / many_floor) / res["floor_saves_per_s"],
    }
    return res


def report(res: dict[str, Any]) -> None:
    """Print the table: per line the repository's figure, the floor's and their ratio; for the
    saves with one client also the domain floor's figure and the repository's ratio to it."""
    print(f"storage benchmark ({res['mode']}; Python {platform.python_version()})")
    print(f"{'line':<36}{'repository':>11}{'floor':>9}{'ratio':>7}{'domain floor':>14}{'ratio':>7}")

    def line(
        name: str,
        repo: float,
        floor: float,
        ratio: float,
        *,
        target: str | None = None,
        part: dict[str, Any] | None = None,
    ) -> None:
        domain = ""
        if part is not None:
            domain = f"{part['domain_saves_per_s']:>14,.0f}{part['save_ratio_domain']:>7.2f}"
        mark = ""
        if target is not None and ratio >= TARGETS[target]:
            mark = "  ok"
        elif target is not None:
            reach = ""
            if part is not None:
                reach = f"; the domain floor reaches {part['domain_ceiling']:.2f} of the floor"
            mark = f"  TARGET MISSED ({TARGETS[target]}{reach})"
        print(f"{name:<36}{repo:>11,.0f}{floor:>9,.0f}{ratio:>7.2f}{domain}{mark}")

    for sync in ("full", "normal"):
        s = res[f"sqlite_{sync}"]
        name = f"SQLite {sync.upper()}"
        target = "sqlite_save_ratio" if sync == "full" else None
        floor = s["floor_saves_per_s"]
        line(
            f"{name} saves/s", s["repo_saves_per_s"], floor, s["save_ratio"], target=target, part=s
        )
        line(f"{name} saves/s, cold", s["repo_saves_per_s_cold"], floor, s["save_ratio_cold"])
        line(f"{name} loads/s", s["repo_loads_per_s"], s["floor_loads_per_s"], s["load_ratio"])
    h = res["sqlite_full"]
    if "rehydrate_orders" in h:
        line(
            f"SQLite rehydrate {h['rehydrate_orders']:,} orders/s",
            h["repo_rehydrate_per_s"],
            h["floor_rehydrate_per_s"],
            h["rehydrate_ratio"],
        )
    pg = res["pg"]
    if pg is None:
        print("PostgreSQL: not measured (no --pg-url or ECSERVICE_TEST_PG_URL)")
        _ceilings(res)
        return
    floor = pg["floor_saves_per_s"]
    line(
        "PostgreSQL 1 client saves/s",
        pg["repo_saves_per_s"],
        floor,
        pg["save_ratio"],
        target="pg_save_ratio",
        part=pg,
    )
    line(
        "PostgreSQL 1 client saves/s, cold",
        pg["repo_saves_per_s_cold"],
        floor,
        pg["save_ratio_cold"],
    )
    line(
        "PostgreSQL 1 client loads/s",
        pg["repo_loads_per_s"],
        pg["floor_loads_per_s"],
        pg["load_ratio"],
    )
    line(
        f"PostgreSQL {pg['workers']} clients saves/s",
        pg["repo_saves_per_s_many"],
        pg["floor_saves_per_s_many"],
        pg["save_ratio_many"],
    )
    print(
        f"PostgreSQL scaling {pg['workers']} clients / 1: repository "
        f"{pg['repo_scaling']:.2f}, floor {pg['floor_scaling']:.2f}"
    )
    _ceilings(res)


def _ceilings(res: dict[str, Any]) -> None:
    """Print the domain floor's ratio to the floor: the highest save ratio any store could reach."""
    parts = [
        f"SQLite FULL {res['sqlite_full']['domain_ceiling']:.2f}",
        f"NORMAL {res['sqlite_normal']['domain_ceiling']:.2f}",
    ]
    if res["pg"] is not None:
        parts.append(f"PostgreSQL {res['pg']['domain_ceiling']:.2f}")
    print("domain floor / floor (the highest save ratio a store could reach): " + ", ".join(parts))


def run(*, quick: bool, pg_url: str | None, workers: int) -> dict[str, Any]:
    """Measure everything; the JSON-ready results."""
    n, rounds, rehydrate, per_worker = (60, 2, 2_000, 30) if quick else (1_000, 5, 100_000, 250)
    res: dict[str, Any] = {"mode": "quick" if quick else "full"}
    with tempfile.TemporaryDirectory(prefix="ecs-storage-bench-") as directory:
        res["sqlite_full"] = measure_sqlite(directory, "FULL", n, rounds, rehydrate)
        res["sqlite_normal"] = measure_sqlite(directory, "NORMAL", n, rounds, 0)
    res["pg"] = None
    if pg_url:
        with fresh_pg_database(pg_url) as url:
            res["pg"] = measure_pg(url, n, rounds, workers, per_worker)
    full, normal, pg = res["sqlite_full"], res["sqlite_normal"], res["pg"]
    flat: dict[str, Any] = {
        "mode": res["mode"],
        "sqlite_save_ratio": full["save_ratio"],
        "sqlite_save_ratio_cold": full["save_ratio_cold"],
        "sqlite_save_ratio_domain": full["save_ratio_domain"],
        "sqlite_domain_ceiling": full["domain_ceiling"],
        "sqlite_normal_save_ratio_domain": normal["save_ratio_domain"],
        "sqlite_normal_domain_ceiling": normal["domain_ceiling"],
        "sqlite_normal_save_ratio": normal["save_ratio"],
        "sqlite_load_ratio": full["load_ratio"],
        "pg_save_ratio": None if pg is None else pg["save_ratio"],
        "pg_save_ratio_cold": None if pg is None else pg["save_ratio_cold"],
        "pg_save_ratio_domain": None if pg is None else pg["save_ratio_domain"],
        "pg_domain_ceiling": None if pg is None else pg["domain_ceiling"],
        "pg_load_ratio": None if pg is None else pg["load_ratio"],
        "pg_save_ratio_many": None if pg is None else pg["save_ratio_many"],
        "pg_workers": None if pg is None else pg["workers"],
        "pg_repo_scaling": None if pg is None else pg["repo_scaling"],
        "pg_floor_scaling": None if pg is None else pg["floor_scaling"],
        "rehydrate_ratio": full.get("rehydrate_ratio"),
        "rehydrate_orders": full.get("rehydrate_orders"),
    }
    for name, part in (("sqlite_full", full), ("sqlite_normal", normal), ("pg", pg)):
        for key in (
            "repo_saves_per_s",
            "repo_saves_per_s_cold",
            "floor_saves_per_s",
            "domain_saves_per_s",
            "repo_loads_per_s",
            "floor_loads_per_s",
            "repo_saves_per_s_many",
            "floor_saves_per_s_many",
            "repo_rehydrate_per_s",
            "floor_rehydrate_per_s",
        ):
            if part is not None and key in part:
                flat[f"{name}_{key}"] = round(part[key], 1)
            elif name == "pg" and key.endswith(("_s", "_many")) and "rehydrate" not in key:
                flat[f"{name}_{key}"] = None
    flat["targets_met"] = all(
        flat[key] is None or flat[key] >= target for key, target in TARGETS.items()
    )
    res["flat"] = flat
    return res


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, measure, print the table (and the JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small counts (CI smoke run)")
    parser.add_argument("--json", action="store_true", help="print a JSON object as last line")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("ECSERVICE_TEST_PG_URL") or None,
        help="a PostgreSQL server URL (default: $ECSERVICE_TEST_PG_URL)",
    )
    parser.add_argument(
        "--no-pg", action="store_true", help="measure SQLite only, whatever names a server"
    )
    parser.add_argument("--workers", type=int, default=8, help="PostgreSQL client processes")
    args = parser.parse_args(argv)
    pg_url = None if args.no_pg else args.pg_url
    if pg_url:
        problem = unreachable(pg_url)
        if problem is not None:
            print(
                f"storage benchmark: cannot reach the PostgreSQL server {problem}; start it, "
                "or measure SQLite only with --no-pg",
                file=sys.stderr,
            )
            return 2
    start = time.perf_counter()
    res = run(quick=args.quick, pg_url=pg_url, workers=args.workers)
    report(res)
    print(f"({time.perf_counter() - start:.1f} s)")
    if args.json:
        print(json.dumps(res["flat"], sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
