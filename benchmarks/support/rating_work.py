"""What ``benchmarks/reports.py`` measures with: a representative set of ratings made through
the public API, their facts rows as the library's hook computes them, cloned to any count and
loaded by bulk insert, and the hand-written SQL (raw DB-API: ``sqlite3``, ``psycopg``) of the
same three figures with the same algorithm.

Not a benchmark itself: nothing here runs on import.
"""

from __future__ import annotations

import datetime as _dt
import random
import re
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Final

import pendulum
from pendulum import DateTime

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.ratings import DetailedScores, Grade, Rating
from ecservice.storage._rating_facts import RATING_FACTS
from ecservice.workflow import Actor

ZONE: Final = "Asia/Shanghai"
SELLER: Final = "shop-1"
#: The instant of every report: the representative orders run to shortly before it.
NOW: Final = pendulum.datetime(2026, 12, 1, 9, tz=ZONE).in_timezone("UTC")
_FIRST: Final = pendulum.datetime(2025, 1, 1, tz=ZONE).in_timezone("UTC")
COLUMNS: Final = (
    "rating_id",
    "seller_id",
    "buyer_id",
    "item_id",
    "order_id",
    "line_id",
    "ordered_at",
    "ordered_day",
    "ordered_month",
    "currency",
    "amount_minor",
    "grade",
    "rated_at",
    "revised_at",
    "revised_from",
    "described",
    "service",
    "logistics",
)
_TIMES: Final = frozenset({"ordered_at", "rated_at", "revised_at"})
_SQLITE_TEXT: Final = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def representative(count: int, seed: int = 20261201) -> list[Rating]:
    """``count`` ratings of one shop over two years, made through the public API: 400 buyers
    (a few buy often, so that monthly caps are reached), 150 items, one order in 20 a repeat of
    an earlier order's buyer and item within 20 days (duplicate windows), 5 % of the lines paid
    1.00 CNY or less; 80 % rated by the buyer (good 90 %, neutral 5 %, bad 5 %; a third of the
    neutral and bad ones revised), the rest rated good by default or, for recent orders, still
    pending."""
    rnd = random.Random(seed)
    span = (NOW - _FIRST).total_seconds() - 20 * 86400
    buyers = [f"b-{n}" for n in range(400)]
    weights = [8 if n < 20 else 1 for n in range(400)]
    out: list[Rating] = []
    for n in range(count):
        if out and rnd.random() < 0.05:
            before = rnd.choice(out)
            buyer, item = before.buyer_id, before.item_id
            ordered = before.ordered_at.add(seconds=rnd.randrange(20 * 86400))
        else:
            buyer = rnd.choices(buyers, weights)[0]
            item = f"i-{rnd.randrange(150)}"
            ordered = _FIRST.add(seconds=rnd.randrange(int(span)))
        delivered = ordered.add(hours=rnd.randrange(12, 96))
        clock = FixedClock(delivered)
        amount = (
            "0.90" if rnd.random() < 0.05 else f"{rnd.randrange(2, 900)}.{rnd.randrange(100):02d}"
        )
        rating = Rating(
            id=f"r-{n}",
            order_id=f"o-{n}",
            line_id="1",
            item_id=item,
            buyer_id=buyer,
            seller_id=SELLER,
            amount=Money(amount, "CNY"),
            ordered_at=ordered,
            delivered_at=delivered,
            clock=clock,
        )
        if rnd.random() < 0.8:
            clock.set(delivered.add(minutes=rnd.randrange(14 * 24 * 60)))
            if clock.now() < NOW:
                pick = rnd.random()
                grade = Grade.GOOD if pick < 0.9 else Grade.NEUTRAL if pick < 0.95 else Grade.BAD
                scores = DetailedScores(
                    described=rnd.choice((5, 5, 5, 4, 3)),
                    service=rnd.choice((5, 5, 4, 4, 2)),
                    logistics=rnd.choice((5, 4, 4, 3, 1)),
                )
                rating.rate(grade=grade, text="ok", scores=scores, actor=Actor.buyer(buyer))
                if grade is not Grade.GOOD and rnd.random() < 0.33:
                    clock.set(clock.now().add(hours=rnd.randrange(1, 700)))
                    rating.revise(actor=Actor.buyer(buyer))
        elif rating.rating_deadline <= NOW:
            clock.set(rating.rating_deadline)
            rating.rate_by_default()
        out.append(rating)
    return out


def facts_rows(ratings: Sequence[Rating]) -> list[dict[str, Any]]:
    """The facts rows the library's hook computes for ``ratings``."""
    rows: list[dict[str, Any]] = []
    for rating in ratings:
        for facts in RATING_FACTS.rows(rating, {}):
            rows.extend(dict(row) for row in facts.rows)
    return rows


def clones(rows: Sequence[dict[str, Any]], total: int) -> Iterator[tuple[Any, ...]]:
    """``total`` rows: copy ``k`` of each row with ``~k`` appended to its rating, order and
    buyer ids (each copy is another set of customers of the same shop), in column order."""
    k = 0
    made = 0
    while made < total:
        for row in rows:
            if made == total:
                return
            suffix = f"~{k}"
            values = dict(row)
            values["rating_id"] += suffix
            values["order_id"] += suffix
            values["buyer_id"] += suffix
            yield tuple(values[c] for c in COLUMNS)
            made += 1
        k += 1


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, DateTime):
        utc = value.in_timezone("UTC")
        return _SQLITE_TEXT % (
            utc.year,
            utc.month,
            utc.day,
            utc.hour,
            utc.minute,
            utc.second,
            utc.microsecond,
        )
    return value


def load_sqlite(path: str, rows: Iterator[tuple[Any, ...]]) -> None:
    """Bulk-insert ``rows`` into the facts table of the SQLite file (instants as the store
    writes them: naive UTC text)."""
    connection = sqlite3.connect(path)
    try:
        marks = ", ".join("?" for _ in COLUMNS)
        sql = f"INSERT INTO ecs_rating_facts ({', '.join(COLUMNS)}) VALUES ({marks})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) == 50_000:
                connection.executemany(sql, batch)
                batch = []
        if batch:
            connection.executemany(sql, batch)
        connection.commit()
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


def pg_connect(url: str) -> Any:
    """A psycopg connection to the SQLAlchemy URL ``url``."""
    import psycopg
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
    )


def load_pg(url: str, rows: Iterator[tuple[Any, ...]]) -> None:
    """Bulk-load ``rows`` into the facts table with ``COPY``."""
    with pg_connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY ecs_rating_facts ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        connection.commit()
        cursor.execute("ANALYZE ecs_rating_facts")
        connection.commit()


# --- the hand-written SQL ------------------------------------------------------------------

_GRADE_AT: Final = """
  CASE WHEN rated_at IS NULL OR rated_at > :now THEN NULL
       WHEN revised_at IS NOT NULL AND revised_at > :now THEN revised_from
       ELSE grade END"""


def _by_grade(values: tuple[str, str, str]) -> str:
    """A flat CASE giving ``values`` (good, neutral, bad) for the grade at ``:now``."""
    good, neutral, bad = values

    def of(column: str) -> str:
        return (
            f"CASE {column} WHEN 'GOOD' THEN {good} WHEN 'NEUTRAL' THEN {neutral} "
            f"WHEN 'BAD' THEN {bad} ELSE 0 END"
        )

    return (
        "CASE WHEN rated_at IS NULL OR rated_at > :now THEN 0 "
        "WHEN revised_at IS NOT NULL AND revised_at > :now THEN "
        f"{of('revised_from')} ELSE {of('grade')} END"
    )


_POINTS: Final = _by_grade((":good", ":neutral", ":bad"))
_UP: Final = _by_grade((":good_up", ":neutral_up", ":bad_up"))
_MAG: Final = _by_grade((":good_mag", ":neutral_mag", ":bad_mag"))

#: The ratings no counting rule reaches: not rated, too small, or worth 0 points.
PLAIN: Final = f"""
SELECT g,
       CASE WHEN g IS NULL THEN 'NOT_RATED'
            WHEN currency <> :currency THEN 'other_currency'
            WHEN amount_minor <= :threshold THEN 'AMOUNT_TOO_SMALL'
            ELSE 'COUNTED' END AS reason,
       CASE WHEN rated_at >= :start AND rated_at < :end THEN 0 ELSE -1 END AS cls,
       COUNT(*)
FROM (
  SELECT {_GRADE_AT} AS g, currency, amount_minor, rated_at, {_POINTS} AS points
  FROM ecs_rating_facts WHERE seller_id = :seller
) AS p
WHERE g IS NULL OR currency <> :currency OR amount_minor <= :threshold OR points = 0
GROUP BY 1, 2, 3
"""

#: The ratings worth points, in one statement: those of the months left to Python (a rating
#: within ``:days`` local days of another of its buyer, item and sign lies there) one by one,
#: then the others counted by grade, cap and window (counted while the month's running sum
#: stays within the cap).
COUNTED: Final = f"""
WITH e AS (
  SELECT rating_id, buyer_id, item_id, ordered_at, ordered_day, ordered_month, rated_at,
         {_GRADE_AT} AS g, {_POINTS} AS points, {_UP} AS up, {_MAG} AS mag,
         CASE WHEN rated_at >= :start AND rated_at < :end THEN 0 ELSE -1 END AS cls
  FROM ecs_rating_facts
  WHERE seller_id = :seller AND rated_at IS NOT NULL AND rated_at <= :now
        AND currency = :currency AND amount_minor > :threshold AND {_POINTS} <> 0
), c AS (
  SELECT *,
         CASE WHEN ordered_day - LAG(ordered_day) OVER w <= :days
                OR LEAD(ordered_day) OVER w - ordered_day <= :days THEN 1 ELSE 0 END AS in_chain
  FROM e
  WINDOW w AS (PARTITION BY buyer_id, item_id, up
               ORDER BY ordered_at, rated_at, rating_id{{collate}})
), m AS (
  SELECT *,
         SUM(mag) OVER (PARTITION BY buyer_id, ordered_month, up
                        ORDER BY ordered_at, rated_at, rating_id{{collate}}
                        ROWS UNBOUNDED PRECEDING) AS running,
         MAX(in_chain) OVER (PARTITION BY buyer_id, ordered_month, up) AS touched
  FROM c
)
SELECT 1, g, 0, cls, 1, points, rating_id, buyer_id, item_id, up, ordered_month, ordered_day,
       ordered_at, rated_at
FROM m WHERE touched = 1
UNION ALL
SELECT 0, g, CASE WHEN running <= :cap THEN 1 ELSE 0 END, cls, COUNT(*), SUM(points),
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM m WHERE touched = 0 GROUP BY 2, 3, 4
"""

#: The detailed ratings: not rated / no scores, then the scored ratings by reason.
DETAILED_PLAIN: Final = """
SELECT CASE WHEN rated_at IS NULL OR rated_at > :now THEN 'NOT_RATED' ELSE 'NO_SCORES' END,
       COUNT(*)
FROM ecs_rating_facts
WHERE seller_id = :seller AND (rated_at IS NULL OR rated_at > :now OR described IS NULL)
GROUP BY 1
"""

DETAILED: Final = """
WITH s AS (
  SELECT rated_at, described, service, logistics,
         ROW_NUMBER() OVER (PARTITION BY buyer_id, ordered_month
                            ORDER BY ordered_at, rated_at, rating_id{collate}) AS seen
  FROM ecs_rating_facts
  WHERE seller_id = :seller AND rated_at IS NOT NULL AND rated_at <= :now
        AND described IS NOT NULL
)
SELECT CASE WHEN rated_at < :dstart OR rated_at >= :dend THEN 'OUTSIDE_WINDOW'
            WHEN seen > :limit THEN 'PAIR_LIMIT' ELSE 'COUNTED' END,
       COUNT(*), SUM(described), SUM(service), SUM(logistics)
FROM s GROUP BY 1
"""


def dialect_sql(sql: str, postgresql: bool) -> str:
    """``sql`` with ``:name`` parameters for the driver (``%(name)s`` for psycopg) and the
    ids compared by code point (``COLLATE "C"`` on PostgreSQL)."""
    sql = sql.replace("{collate}", ' COLLATE "C"' if postgresql else "")
    if postgresql:
        return re.sub(r"(?<!:):([a-z_]+)", r"%(\1)s", sql)
    return sql


def params(values: dict[str, Any], postgresql: bool) -> dict[str, Any]:
    """``values`` as the driver takes them (SQLite: instants as the store's UTC text)."""
    if postgresql:
        return values
    return {k: _sqlite_value(v) for k, v in values.items()}


def instant(value: Any) -> DateTime:
    """A UTC instant as the driver returned it (SQLite: the store's naive UTC text)."""
    if isinstance(value, str):
        parsed = _dt.datetime.fromisoformat(value).replace(tzinfo=_dt.UTC)
        return pendulum.instance(parsed, tz="UTC")
    utc: DateTime = pendulum.instance(value).in_timezone("UTC")
    return utc


def finish(rows: Sequence[Any], days: int, cap: int) -> list[tuple[str, str, int, int, int]]:
    """The greedy duplicate-window and cap rules, rating by rating, for the rows of
    :data:`COUNTED` left to Python (``rating_id, buyer_id, item_id, up, ordered_month,
    ordered_day, ordered_at, rated_at, g, points, cls``, instants as the driver returns them):
    ``(grade, reason, window class, 1, points)``. Local days decide unless the rating is of the
    window's last day or the day after; then the exact end decides."""
    ordered = sorted(rows, key=lambda r: (r[6], r[7], r[0]))
    duplicate: set[str] = set()
    opened: dict[tuple[Any, ...], tuple[int, Any]] = {}
    for rid, buyer, item, up, _, day, ordered_at, _, _, _, _ in ordered:
        start = opened.get((buyer, item, up))
        if start is not None:
            gap = day - start[0]
            if gap < days or (
                gap <= days + 1
                and instant(ordered_at)
                < instant(start[1]).in_timezone(ZONE).add(days=days).in_timezone("UTC")
            ):
                duplicate.add(rid)
                continue
        opened[buyer, item, up] = (day, ordered_at)
    used: dict[tuple[Any, ...], int] = {}
    out: list[tuple[str, str, int, int, int]] = []
    for rid, buyer, _, up, month, _, _, _, g, points, cls in ordered:
        if rid in duplicate:
            out.append((g, "DUPLICATE_ITEM", cls, 1, 0))
            continue
        total = used.get((buyer, month, up), 0) + abs(points)
        if total > cap:
            out.append((g, "CAPPED", cls, 1, 0))
            continue
        used[buyer, month, up] = total
        out.append((g, "COUNTED", cls, 1, points))
    return out
