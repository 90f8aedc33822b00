"""Benchmark: the rating reports in SQL through the library against hand-written SQL.

Run ``python benchmarks/reports.py`` (full: 1,000,000 stored ratings per database; a few
minutes) or ``--quick`` (20,000 ratings, used by CI); ``--json`` prints one JSON object as the
last line of output. PostgreSQL is measured when ``--pg-url`` or the environment variable
``ECSERVICE_TEST_PG_URL`` names a server (a fresh database is created on it and dropped
afterwards); without it the PostgreSQL figures are ``null``. The exit status is 0 even when a
target is missed; the table then says ``TARGET MISSED`` and the JSON has
``"targets_met": false``.

Method
------
**Data.** 2,000 ratings of one shop are made through the public API (``Rating``, ``rate``,
``rate_by_default``, ``revise``; see ``support/rating_work.py``, ``representative``: two years
of orders, 400 buyers of whom 20 buy often, repeat orders of an item within 20 days, lines of
1 CNY or less, neutral and bad ratings, revisions, default ratings, pending lines). The
library's facts hook computes their ``ecs_rating_facts`` rows; these rows are cloned with new
rating, order and buyer ids (``~k`` appended: each copy is another set of customers of the same
shop) up to the count, and bulk-loaded into the table the store created (SQLite:
``executemany`` of the store's UTC text; PostgreSQL: ``COPY``), then ``ANALYZE``. The reports
read only the facts table, so no documents are loaded. Before timing, the library's answers on
the 2,000 ratings stored through a unit of work are checked against the in-memory functions.

**Measured.** The three rating figures of one shop at one instant, under Taobao's policies:

* **library**: ``SqlRatingReports(store)``: ``credit`` (seller credit and level, counts by
  grade and by reason), ``good_review_rate`` (180 days) and ``detailed_ratings`` (the three
  averages, 180 days, three ratings per buyer and month), each in its own read transaction.
* **hand-written**: the same figures with the same algorithm in SQL written by hand on the
  DB-API connection (``sqlite3``, ``psycopg``): the grade at the instant, the amount rule and
  the points as ``CASE``; the duplicate-window chains (``LAG``, running ``SUM``, ``COUNT`` per
  chain) and the monthly cap (running ``SUM`` per buyer, month and sign) as window functions;
  the months holding a chain finished in Python, greedily, with zone-exact window ends; the
  detailed ratings with ``ROW_NUMBER`` per buyer and month. Its results are built into the
  library's summary types and must equal the library's.

Library and hand-written runs alternate round by round (and which goes first); each figure is
the best round. ``report_ratio`` is library seconds over hand-written seconds for the three
reports together (1 is the hand-written SQL; lower is better). Target: ``report_ratio <= 1.5``
on every database measured. Other reports in SQL (surveys, consultations) are not measured
here: the JSON lists what was (``measured``), what was not (``not_measured``) and which of
those reports this version has (``present_not_timed``).
"""

from __future__ import annotations

import argparse
import gc
import json
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

from ecservice.aftersales import Rate, report_window
from ecservice.ratings import (
    CreditPolicy,
    CreditReason,
    CreditSummary,
    DetailedRatingPolicy,
    DetailedReason,
    DetailedSummary,
    GoodReviewSummary,
    Grade,
    ScoreAverage,
    credit_level,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from ecservice.storage.sql import SqlRatingReports, SqlStore

if TYPE_CHECKING or __package__:
    from benchmarks.support import rating_work as w
else:  # run as a script (``python benchmarks/reports.py``): its directory is sys.path[0]
    from support import rating_work as w

TARGETS: Final[dict[str, float]] = {"report_ratio": 1.5}
CREDIT: Final = CreditPolicy()
DETAILED: Final = DetailedRatingPolicy()
DAYS: Final = 180
BASE_COUNT: Final = 2_000
Figures = tuple[CreditSummary, GoodReviewSummary, DetailedSummary]


def library(store: SqlStore) -> tuple[Figures, list[float]]:
    """The three figures through the library, and the seconds of each."""
    reports = SqlRatingReports(store)
    times: list[float] = []
    start = time.perf_counter()
    credit = reports.credit(w.SELLER, CREDIT, now=w.NOW)
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
    rate = reports.good_review_rate(w.SELLER, CREDIT, now=w.NOW, days=DAYS)
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
    detailed = reports.detailed_ratings(w.SELLER, DETAILED, now=w.NOW)
    times.append(time.perf_counter() - start)
    return (credit, rate, detailed), times


def _pairs(
    counts: dict[tuple[str | None, str, int], list[int]], kind: type[Any]
) -> tuple[tuple[Any, int], ...]:
    totals: dict[str, int] = {}
    for (_, reason, _), (n, _) in counts.items():
        totals[reason] = totals.get(reason, 0) + n
    return tuple((r, totals[r.name]) for r in kind if totals.get(r.name))


class Hand:
    """The hand-written SQL on one DB-API connection."""

    def __init__(self, connection: Any, postgresql: bool) -> None:
        self.connection = connection
        self.postgresql = postgresql
        self.plain = w.dialect_sql(w.PLAIN, postgresql)
        self.counted = w.dialect_sql(w.COUNTED, postgresql)
        self.detailed_plain = w.dialect_sql(w.DETAILED_PLAIN, postgresql)
        self.detailed = w.dialect_sql(w.DETAILED, postgresql)

    def _query(self, sql: str, values: dict[str, Any]) -> list[Any]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, w.params(values, self.postgresql))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.postgresql:
            self.connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        else:
            self.connection.execute("BEGIN")
        try:
            yield
        finally:
            self.connection.rollback()

    def _counts(self, start: Any, end: Any) -> dict[tuple[str | None, str, int], list[int]]:
        threshold = CREDIT.max_uncounted_amount
        assert threshold is not None
        assert CREDIT.duplicate_days is not None
        assert CREDIT.monthly_pair_cap is not None
        points = {"good": CREDIT.good_points, "neutral": CREDIT.neutral_points}
        points["bad"] = CREDIT.bad_points
        values = {
            "seller": w.SELLER,
            "now": w.NOW,
            **points,
            **{f"{k}_up": int(v > 0) for k, v in points.items()},
            **{f"{k}_mag": abs(v) for k, v in points.items()},
            "threshold": threshold.minor_units,
            "currency": threshold.currency.code,
            "days": CREDIT.duplicate_days,
            "cap": CREDIT.monthly_pair_cap,
            "start": start,
            "end": end,
        }
        out: dict[tuple[str | None, str, int], list[int]] = {}

        def add(g: str | None, reason: str, cls: int, n: int, points: int) -> None:
            slot = out.setdefault((g, reason, cls if reason == "COUNTED" else -1), [0, 0])
            slot[0] += n
            slot[1] += points

        with self._transaction():
            for g, reason, cls, n in self._query(self.plain, values):
                if reason == "other_currency":
                    raise SystemExit("a rating in another currency than the threshold's")
                add(g, reason, cls, n, 0)
            rows = []
            for row in self._query(self.counted, values):
                if row[0] == 1:
                    rows.append((*row[6:14], row[1], row[5], row[3]))
                elif row[2]:
                    add(row[1], "COUNTED", row[3], row[4], int(row[5]))
                else:
                    add(row[1], "CAPPED", row[3], row[4], 0)
        for row in w.finish(rows, CREDIT.duplicate_days, CREDIT.monthly_pair_cap):
            add(*row)
        return out

    def credit(self) -> CreditSummary:
        """Seller credit."""
        counts = self._counts(w.NOW, w.NOW)  # an empty window: no rating is in it
        score = sum(points for _, points in counts.values())
        counted = dict.fromkeys(Grade, 0)
        for (g, reason, _), (n, _) in counts.items():
            if reason == "COUNTED" and g is not None:
                counted[Grade[g]] += n
        return CreditSummary(
            at=w.NOW,
            score=score,
            level=credit_level(score),
            good=counted[Grade.GOOD],
            neutral=counted[Grade.NEUTRAL],
            bad=counted[Grade.BAD],
            reasons=_pairs(counts, CreditReason),
        )

    def rate(self) -> GoodReviewSummary:
        """The good-review rate of the window."""
        _, _, start, end = report_window(w.NOW, w.ZONE, DAYS)
        counts = self._counts(start, end)
        inside = dict.fromkeys(Grade, 0)
        moved: dict[tuple[str | None, str, int], list[int]] = {}
        for (g, reason, cls), value in counts.items():
            if reason == "COUNTED" and cls == -1:
                reason = "OUTSIDE_WINDOW"
            elif reason == "COUNTED" and g is not None:
                inside[Grade[g]] += value[0]
            slot = moved.setdefault((g, reason, cls), [0, 0])
            slot[0] += value[0]
        total = sum(inside.values())
        return GoodReviewSummary(
            days=DAYS,
            start=start,
            end=end,
            good=inside[Grade.GOOD],
            neutral=inside[Grade.NEUTRAL],
            bad=inside[Grade.BAD],
            rate=Rate(inside[Grade.GOOD], total) if total else None,
            reasons=_pairs(moved, CreditReason),
        )

    def detailed_ratings(self) -> DetailedSummary:
        """The detailed-rating averages."""
        _, _, start, end = report_window(w.NOW, w.ZONE, DETAILED.days)
        values = {
            "seller": w.SELLER,
            "now": w.NOW,
            "dstart": start,
            "dend": end,
            "limit": DETAILED.pair_monthly_limit,
        }
        with self._transaction():
            rows = self._query(self.detailed_plain, values)
            rows += self._query(self.detailed, values)
        counts: dict[str, int] = {}
        sums = [0, 0, 0]
        for row in rows:
            counts[row[0]] = counts.get(row[0], 0) + row[1]
            if row[0] == "COUNTED":
                sums = [sums[i] + int(row[2 + i]) for i in range(3)]
        n = counts.get("COUNTED", 0)
        return DetailedSummary(
            days=DETAILED.days,
            start=start,
            end=end,
            described=ScoreAverage(sums[0], n),
            service=ScoreAverage(sums[1], n),
            logistics=ScoreAverage(sums[2], n),
            reasons=tuple((r, counts[r.name]) for r in DetailedReason if counts.get(r.name)),
        )

    def figures(self) -> tuple[Figures, list[float]]:
        """The three figures by hand, and the seconds of each."""
        times: list[float] = []
        out: list[Any] = []
        for make in (self.credit, self.rate, self.detailed_ratings):
            start = time.perf_counter()
            out.append(make())
            times.append(time.perf_counter() - start)
        return (out[0], out[1], out[2]), times


def _timed(run: Callable[[], tuple[Figures, list[float]]]) -> tuple[Figures, list[float]]:
    gc.collect()
    gc.disable()
    try:
        return run()
    finally:
        gc.enable()


def compare(store: SqlStore, hand: Hand, rounds: int) -> dict[str, Any]:
    """Best seconds per report of both sides, alternating which goes first; both must agree."""
    best_lib = [float("inf")] * 3
    best_hand = [float("inf")] * 3
    found: Figures | None = None
    library(store)  # warm both: the statement caches, the connections and their page caches
    hand.figures()
    for r in range(rounds):
        order = ("lib", "hand") if r % 2 == 0 else ("hand", "lib")
        for side in order:
            if side == "lib":
                figures, times = _timed(lambda: library(store))
                best_lib = [min(a, b) for a, b in zip(best_lib, times, strict=True)]
                found = figures
            else:
                figures, times = _timed(hand.figures)
                best_hand = [min(a, b) for a, b in zip(best_hand, times, strict=True)]
                if figures != (found or figures):
                    raise SystemExit(f"the hand-written SQL disagrees:\n{figures}\n{found}")
    assert found is not None
    lib_figures, _ = library(store)
    hand_figures, _ = hand.figures()
    if lib_figures != hand_figures:
        raise SystemExit(f"the hand-written SQL disagrees:\n{hand_figures}\n{lib_figures}")
    names = ("credit", "good_review_rate", "detailed_ratings")
    res: dict[str, Any] = {
        "report_ratio": sum(best_lib) / sum(best_hand),
        "library_ms": sum(best_lib) * 1000,
        "hand_ms": sum(best_hand) * 1000,
        "score": found[0].score,
        "rate": str(found[1].rate.value) if found[1].rate else None,
    }
    for name, lib_s, hand_s in zip(names, best_lib, best_hand, strict=True):
        res[f"{name}_library_ms"] = lib_s * 1000
        res[f"{name}_hand_ms"] = hand_s * 1000
        res[f"{name}_ratio"] = lib_s / hand_s
    return res


def self_check(ratings: Sequence[Any]) -> None:
    """The library's answers on the representative ratings stored through a unit of work
    equal the in-memory functions'."""
    store = SqlStore("sqlite://")
    store.create_schema()
    try:
        with store.unit_of_work() as uow:
            for rating in ratings:
                uow.ratings.add(rating)
            uow.commit()
        reports = SqlRatingReports(store)
        pairs = (
            (
                reports.credit(w.SELLER, CREDIT, now=w.NOW),
                seller_credit(ratings, CREDIT, now=w.NOW).summary(),
            ),
            (
                reports.good_review_rate(w.SELLER, CREDIT, now=w.NOW, days=DAYS),
                good_review_rate(ratings, CREDIT, now=w.NOW, days=DAYS).summary(),
            ),
            (
                reports.detailed_ratings(w.SELLER, DETAILED, now=w.NOW),
                detailed_ratings(ratings, DETAILED, now=w.NOW).summary(),
            ),
        )
        for found, expected in pairs:
            if found != expected:
                raise SystemExit(f"the library disagrees with memory:\n{found}\n{expected}")
    finally:
        store.dispose()


def measure_sqlite(
    directory: str, rows: Sequence[dict[str, Any]], total: int, rounds: int
) -> dict[str, Any]:
    """Both sides on an SQLite file of ``total`` ratings."""
    import sqlite3

    path = os.path.join(directory, "ratings.db")
    store = SqlStore(f"sqlite:///{path}")
    store.create_schema()
    start = time.perf_counter()
    w.load_sqlite(path, w.clones(rows, total))
    loaded = time.perf_counter() - start
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        res = compare(store, Hand(connection, postgresql=False), rounds)
    finally:
        connection.close()
        store.dispose()
    res["load_s"] = loaded
    return res


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


def measure_pg(
    server: str, rows: Sequence[dict[str, Any]], total: int, rounds: int
) -> dict[str, Any]:
    """Both sides on a fresh PostgreSQL database of ``total`` ratings."""
    with fresh_pg_database(server) as url:
        store = SqlStore(url)
        store.create_schema()
        start = time.perf_counter()
        w.load_pg(url, w.clones(rows, total))
        loaded = time.perf_counter() - start
        connection = w.pg_connect(url)
        connection.autocommit = True
        try:
            res = compare(store, Hand(connection, postgresql=True), rounds)
        finally:
            connection.close()
            store.dispose()
    res["load_s"] = loaded
    return res


def other_reports() -> list[str]:
    """The other reports in SQL this version of the library has (not timed here)."""
    import ecservice.storage.sql as sql

    names = ("SqlSatisfactionReports", "SqlConsultationReports")
    return [name for name in names if hasattr(sql, name)]


def run(*, quick: bool, pg_url: str | None) -> dict[str, Any]:
    """Measure everything; the JSON-ready results."""
    total, rounds = (20_000, 5) if quick else (1_000_000, 3)
    ratings = w.representative(BASE_COUNT)
    self_check(ratings)
    rows = w.facts_rows(ratings)
    res: dict[str, Any] = {"mode": "quick" if quick else "full", "ratings": total}
    with tempfile.TemporaryDirectory(prefix="ecs-reports-bench-") as directory:
        res["sqlite"] = measure_sqlite(directory, rows, total, rounds)
    res["pg"] = measure_pg(pg_url, rows, total, rounds) if pg_url else None
    flat: dict[str, Any] = {
        "mode": res["mode"],
        "ratings": total,
        "measured": ["credit", "good_review_rate", "detailed_ratings"],
        "not_measured": ["satisfaction (CSAT, NPS, RFM)", "consultation KPIs"],
        "present_not_timed": other_reports(),
    }
    ratios = []
    for db in ("sqlite", "pg"):
        part = res[db]
        for key in (
            "report_ratio",
            "library_ms",
            "hand_ms",
            "credit_ratio",
            "good_review_rate_ratio",
            "detailed_ratings_ratio",
            "credit_library_ms",
            "credit_hand_ms",
            "good_review_rate_library_ms",
            "good_review_rate_hand_ms",
            "detailed_ratings_library_ms",
            "detailed_ratings_hand_ms",
            "load_s",
        ):
            flat[f"{db}_{key}"] = None if part is None else round(part[key], 3)
        if part is not None:
            ratios.append(part["report_ratio"])
    flat["report_ratio"] = round(max(ratios), 3)
    flat["credit_score"] = res["sqlite"]["score"]
    flat["good_review_rate"] = res["sqlite"]["rate"]
    flat["targets_met"] = flat["report_ratio"] <= TARGETS["report_ratio"]
    res["flat"] = flat
    return res


def report(res: dict[str, Any]) -> None:
    """Print the table."""
    print(
        f"rating reports benchmark ({res['mode']}; {res['ratings']:,} stored ratings; "
        f"Python {platform.python_version()})"
    )
    print(f"{'line':<36}{'library ms':>12}{'hand ms':>12}{'ratio':>8}")
    for db, label in (("sqlite", "SQLite"), ("pg", "PostgreSQL")):
        part = res[db]
        if part is None:
            print(f"{label}: not measured (no --pg-url or ECSERVICE_TEST_PG_URL)")
            continue
        for name in ("credit", "good_review_rate", "detailed_ratings"):
            print(
                f"{label + ' ' + name:<36}{part[f'{name}_library_ms']:>12,.1f}"
                f"{part[f'{name}_hand_ms']:>12,.1f}{part[f'{name}_ratio']:>8.2f}"
            )
        mark = "  ok" if part["report_ratio"] <= TARGETS["report_ratio"] else "  TARGET MISSED"
        print(
            f"{label + ' three reports':<36}{part['library_ms']:>12,.1f}{part['hand_ms']:>12,.1f}"
            f"{part['report_ratio']:>8.2f}{mark}"
        )
        print(
            f"{label}: loaded in {part['load_s']:.1f} s; credit {part['score']}, "
            f"rate {part['rate']}"
        )
    print("measured: seller credit, good-review rate, detailed ratings")
    present = ", ".join(res["flat"]["present_not_timed"]) or "none"
    print(f"not measured: surveys and consultations in SQL (present in this version: {present})")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, measure, print the table (and the JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20,000 ratings (CI smoke run)")
    parser.add_argument("--json", action="store_true", help="print a JSON object as last line")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("ECSERVICE_TEST_PG_URL") or None,
        help="a PostgreSQL server URL (default: $ECSERVICE_TEST_PG_URL)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    res = run(quick=args.quick, pg_url=args.pg_url)
    report(res)
    print(f"({time.perf_counter() - start:.1f} s)")
    if args.json:
        print(json.dumps(res["flat"], sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
