"""Credit counting in SQL: the rules of :func:`~ecservice.ratings.seller_credit` over the rows of
``ecs_rating_facts`` (internal; used by :class:`~ecservice.storage.sql.SqlRatingReports`).

The rules, in the order :func:`~ecservice.ratings.seller_credit` applies them to each rating in
counting order (order creation, rating instant, id):

1. ``NOT_RATED``, ``AMOUNT_TOO_SMALL`` and the ratings worth 0 points are plain ``CASE``
   expressions over the grade at the instant (the grade before a revision made later).
2. The duplicate window of a buyer, an item and a sign is greedy: the rating that opens a
   window decides which later ones are duplicates. Two ratings more than ``duplicate_days``
   local days apart can never share a window, so a window function splits each buyer's ratings
   of an item into *chains* at such gaps; a chain of one rating opens a window and is no
   duplicate. The few longer chains are finished in Python with the exact window ends of
   :func:`~ecservice.ratings._credit._window_end`.
3. The monthly cap is a running ``SUM`` of the points' magnitudes per buyer, local month and
   sign: a rating counts while the sum stays within the cap. That is the greedy rule exactly
   when nothing of the month was a duplicate and all its ratings of the sign are worth the same
   magnitude; the months where a longer chain lies (or, under a policy whose neutral points
   differ in magnitude from the good or bad ones, where the cap was passed) are counted in
   Python with the duplicates, rating by rating.

Everything else is counted by the database (``GROUP BY``), whatever the number of ratings.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any, Final, NoReturn

import pendulum
import sqlalchemy as sa
from pendulum import DateTime

from ecservice.errors import ValidationError
from ecservice.ratings import CreditPolicy, CreditReason, Grade
from ecservice.ratings._credit import _window_end
from ecservice.storage.sql._rating_schema import RATING_FACTS

__all__ = ["Counts", "credit_counts", "grade_at", "ordering"]

F = RATING_FACTS

#: A count of ratings by (grade name or ``None``, reason, window class) and their points.
Counts = dict[tuple[str | None, CreditReason, int], list[int]]

#: The window class of a rating not rated in any window (or not rated).
OUTSIDE: Final = -1

#: A type without result processing: instants come back as the driver returns them.
_RAW: Final = sa.types.NullType()


def grade_at(columns: Any, now: DateTime) -> sa.ColumnElement[Any]:
    """The grade (its name) at ``now`` of the rows of ``columns`` (``NULL``: not rated)."""
    return sa.case(
        (sa.or_(columns.rated_at.is_(None), columns.rated_at > now), sa.null()),
        (
            sa.and_(columns.revised_at.is_not(None), columns.revised_at > now),
            columns.revised_from,
        ),
        else_=columns.grade,
    )


def ordering(columns: Any, postgresql: bool) -> list[sa.ColumnElement[Any]]:
    """The counting order of rated rows: order creation, rating instant, id (ids compared by
    code point, as Python compares them: ``COLLATE "C"`` on PostgreSQL)."""
    rid = columns.rating_id.collate("C") if postgresql else columns.rating_id
    return [columns.ordered_at, columns.rated_at, rid]


def _window_class(
    rated_at: sa.ColumnElement[Any], starts: Sequence[DateTime], end: DateTime | None
) -> sa.ColumnElement[int]:
    """The index of the first (latest) window start the rating instant is not before, when
    it is before ``end``; :data:`OUTSIDE` otherwise."""
    if end is None or not starts:
        return sa.literal(OUTSIDE)
    whens: list[tuple[Any, Any]] = [(sa.or_(rated_at.is_(None), rated_at >= end), OUTSIDE)]
    whens += [(rated_at >= start, i) for i, start in enumerate(starts)]
    return sa.case(*whens, else_=OUTSIDE)


def by_grade_at(
    columns: Any, now: DateTime, values: dict[Grade, int], unrated: int = 0
) -> sa.ColumnElement[int]:
    """``values`` of the grade at ``now`` of the rows of ``columns`` (``unrated`` when not
    rated), as one flat ``CASE`` over the stored columns (no nested expression to repeat)."""

    def of(column: Any) -> sa.ColumnElement[int]:
        return sa.case(
            *((column == grade.name, value) for grade, value in values.items()), else_=unrated
        )

    return sa.case(
        (sa.or_(columns.rated_at.is_(None), columns.rated_at > now), unrated),
        (
            sa.and_(columns.revised_at.is_not(None), columns.revised_at > now),
            of(columns.revised_from),
        ),
        else_=of(columns.grade),
    )


def _points(policy: CreditPolicy) -> dict[Grade, int]:
    return {
        Grade.GOOD: policy.good_points,
        Grade.NEUTRAL: policy.neutral_points,
        Grade.BAD: policy.bad_points,
    }


#: The reason the first query gives a rating in another currency than the threshold's.
_OTHER_CURRENCY: Final = "other_currency"


def refuse_currency(
    connection: sa.Connection, seller_id: str, policy: CreditPolicy, now: DateTime, pg: bool
) -> NoReturn:
    """Raise, as :func:`~ecservice.ratings.seller_credit` does, naming the first rating (in
    counting order) rated at ``now`` in another currency than the policy's threshold."""
    threshold = policy.max_uncounted_amount
    assert threshold is not None
    found = connection.execute(
        sa.select(F.c.rating_id, F.c.currency)
        .where(
            F.c.seller_id == seller_id,
            F.c.rated_at <= now,
            F.c.currency != threshold.currency.code,
        )
        .order_by(*ordering(F.c, pg))
        .limit(1)
    ).first()
    assert found is not None
    raise ValidationError(
        f"rating {found.rating_id!r} was paid in {found.currency}, the policy's "
        f"max_uncounted_amount is in {threshold.currency}: give a threshold in the shop's "
        "currency, or None"
    )


def _mixed(policy: CreditPolicy) -> bool:
    """Whether ratings of one sign may be worth different magnitudes (neutral points that are
    not 0 and differ from the good or bad points of their sign)."""
    n = policy.neutral_points
    if n > 0:
        return n != policy.good_points
    if n < 0:
        return n != policy.bad_points
    return False


def credit_counts(
    connection: sa.Connection,
    seller_id: str,
    policy: CreditPolicy,
    now: DateTime,
    *,
    starts: Sequence[DateTime] = (),
    end: DateTime | None = None,
    postgresql: bool,
) -> Counts:
    """How many ratings of ``seller_id`` each (grade at ``now``, reason, window class) has and
    their points, under ``policy``; the window class is the index in ``starts`` (latest first,
    all windows ending at ``end``) of the first start the rating instant is not before, or
    :data:`OUTSIDE`."""
    g = grade_at(F.c, now)
    worth = _points(policy)
    points = by_grade_at(F.c, now, worth)
    threshold = policy.max_uncounted_amount
    small: sa.ColumnElement[bool] = sa.false()
    other: sa.ColumnElement[bool] = sa.false()
    if threshold is not None:
        small = F.c.amount_minor <= threshold.minor_units
        other = F.c.currency != threshold.currency.code
    rated = sa.and_(F.c.rated_at.is_not(None), F.c.rated_at <= now)
    eligible = sa.and_(rated, sa.not_(other), sa.not_(small), points != 0)
    cls = _window_class(F.c.rated_at, starts, end)
    out: Counts = {}

    def add(grade: str | None, reason: CreditReason, klass: int, n: int, pts: int) -> None:
        slot = out.setdefault((grade, reason, klass), [0, 0])
        slot[0] += n
        slot[1] += pts

    # 1. The ratings the counting rules never reach (and those in another currency, which
    # :func:`seller_credit` refuses: a count here, the error below).
    plain = (
        sa.select(
            g.label("g"),
            sa.case(
                (sa.not_(rated), CreditReason.NOT_RATED.name),
                (other, _OTHER_CURRENCY),
                (small, CreditReason.AMOUNT_TOO_SMALL.name),
                else_=CreditReason.COUNTED.name,
            ).label("reason"),
            cls.label("cls"),
        )
        .where(F.c.seller_id == seller_id, sa.not_(eligible))
        .subquery("plain")
    )
    for grade, reason, klass, n in connection.execute(
        sa.select(plain.c.g, plain.c.reason, plain.c.cls, sa.func.count()).group_by(
            plain.c.g, plain.c.reason, plain.c.cls
        )
    ):
        if reason == _OTHER_CURRENCY:
            refuse_currency(connection, seller_id, policy, now, postgresql)
        counted = reason == CreditReason.COUNTED.name
        add(grade, CreditReason[reason], klass if counted else OUTSIDE, n, 0)
    # 2. The ratings worth points: chains, running sums, and the exceptions.
    rows = _counted(connection, seller_id, policy, now, points, eligible, cls, postgresql)
    for grade, reason, klass, n, pts in rows:
        add(grade, reason, klass if reason is CreditReason.COUNTED else OUTSIDE, n, pts)
    return out


def _counted(
    connection: sa.Connection,
    seller_id: str,
    policy: CreditPolicy,
    now: DateTime,
    points: sa.ColumnElement[int],
    eligible: sa.ColumnElement[bool],
    cls: sa.ColumnElement[int],
    pg: bool,
) -> list[tuple[str, CreditReason, int, int, int]]:
    worth = _points(policy)
    base = (
        sa.select(
            F.c.rating_id,
            F.c.buyer_id,
            F.c.item_id,
            F.c.ordered_at,
            F.c.ordered_day,
            F.c.ordered_month,
            F.c.rated_at,
            grade_at(F.c, now).label("g"),
            points.label("points"),
            by_grade_at(F.c, now, {k: int(v > 0) for k, v in worth.items()}).label("up"),
            by_grade_at(F.c, now, {k: abs(v) for k, v in worth.items()}).label("mag"),
            cls.label("cls"),
        )
        .where(F.c.seller_id == seller_id, eligible)
        .subquery("base")
    )
    b = base.c
    key = ordering(b, pg)
    days = policy.duplicate_days
    cap = policy.monthly_pair_cap
    if days is None:
        chained = base
        in_chain: sa.ColumnElement[Any] = sa.literal(0)
    else:
        item = [b.buyer_id, b.item_id, b.up]
        prev = sa.func.lag(b.ordered_day).over(partition_by=item, order_by=key)
        after = sa.func.lead(b.ordered_day).over(partition_by=item, order_by=key)
        near = sa.or_(b.ordered_day - prev <= days, after - b.ordered_day <= days)
        chained = sa.select(base, sa.case((near, 1), else_=0).label("in_chain")).subquery("chained")
        in_chain = chained.c.in_chain
    c = chained.c
    month = [c.buyer_id, c.ordered_month, c.up]
    running = sa.func.sum(c.mag).over(partition_by=month, order_by=ordering(c, pg), rows=(None, 0))
    touched = sa.func.max(in_chain).over(partition_by=month)
    summed = sa.select(chained, running.label("running"), touched.label("touched")).subquery(
        "summed"
    )
    t = summed.c
    ok: sa.ColumnElement[int] = (
        sa.literal(1) if cap is None else sa.case((t.running <= cap, 1), else_=0)
    )
    python: sa.ColumnElement[Any]
    if cap is not None and _mixed(policy):
        over = sa.func.max(t.running).over(partition_by=[t.buyer_id, t.ordered_month, t.up])
        python = sa.case((sa.or_(t.touched == 1, over > cap), 1), else_=0)
    else:
        python = t.touched
    final = sa.select(summed, ok.label("ok"), python.label("python")).cte("final")
    f = final.c
    # One statement, the CTE read twice: the ratings left to Python one by one, then the
    # others counted by (grade, within the cap, window class).
    one = sa.select(
        sa.literal(1).label("kind"),
        f.g,
        f.ok,
        f.cls,
        sa.literal(1).label("n"),
        f.points,
        f.rating_id,
        f.buyer_id,
        f.item_id,
        f.up,
        f.ordered_month,
        f.ordered_day,
        # As the driver returns them (no conversion per row): sorted as they are, parsed
        # only for a rating on the last day of a duplicate window.
        sa.type_coerce(f.ordered_at, _RAW).label("ordered_at"),
        sa.type_coerce(f.rated_at, _RAW).label("rated_at"),
    ).where(f.python == 1)
    grouped = (
        sa.select(
            sa.literal(0),
            f.g,
            f.ok,
            f.cls,
            sa.func.count(),
            sa.func.sum(f.points),
            *(sa.null() for _ in range(8)),
        )
        .where(f.python == 0)
        .group_by(f.g, f.ok, f.cls)
    )
    out: list[tuple[str, CreditReason, int, int, int]] = []
    exceptions: list[Any] = []
    for row in connection.execute(sa.union_all(one, grouped)):
        if row.kind == 1:
            exceptions.append(row)
        elif row.ok:
            out.append((row.g, CreditReason.COUNTED, row.cls, row.n, int(row.points)))
        else:
            out.append((row.g, CreditReason.CAPPED, row.cls, row.n, 0))
    out.extend(_finish(exceptions, policy))
    return out


def _instant(raw: Any) -> DateTime:
    """An instant as the driver returned it (SQLite: the store's naive UTC text)."""
    value = _dt.datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return pendulum.instance(value).in_timezone("UTC")


def _finish(
    rows: Sequence[Any], policy: CreditPolicy
) -> list[tuple[str, CreditReason, int, int, int]]:
    """The greedy duplicate and cap rules of :func:`~ecservice.ratings.seller_credit`, rating
    by rating, for the months SQL left to Python (every rating of them, which includes every
    rating within ``duplicate_days`` of another of its buyer, item and sign).

    A rating of the same buyer, item and sign that is not among ``rows`` has no other within
    ``duplicate_days`` local days on either side: it opens a window that ends before the next
    one and lies in no earlier window, so the greedy rule over ``rows`` alone decides the
    same. A window opened on local day ``d`` ends on day ``d + days`` at the opening's local
    time (later on that day, or early the next, when that time falls in a gap of the zone's
    clock), so a rating of a day before ``d + days`` lies in it and one of a day after
    ``d + days + 1`` does not; between the two, the instants are compared with the exact end
    (:func:`~ecservice.ratings._credit._window_end`)."""
    ordered = sorted(rows, key=lambda r: (r.ordered_at, r.rated_at, r.rating_id))
    duplicate: set[str] = set()
    days = policy.duplicate_days
    if days is not None:
        opened: dict[tuple[str, str, int], Any] = {}
        for r in ordered:
            item = (r.buyer_id, r.item_id, r.up)
            start = opened.get(item)
            if start is not None:
                gap = r.ordered_day - start.ordered_day
                inside = gap < days or (
                    gap <= days + 1
                    and _instant(r.ordered_at)
                    < _window_end(_instant(start.ordered_at), days, policy.zone)
                )
                if inside:
                    duplicate.add(r.rating_id)
                    continue
            opened[item] = r
    cap = policy.monthly_pair_cap
    used: dict[tuple[str, int, int], int] = {}
    out: list[tuple[str, CreditReason, int, int, int]] = []
    for r in ordered:
        if r.rating_id in duplicate:
            out.append((r.g, CreditReason.DUPLICATE_ITEM, r.cls, 1, 0))
            continue
        if cap is not None:
            month = (r.buyer_id, r.ordered_month, r.up)
            total = used.get(month, 0) + abs(r.points)
            if total > cap:
                out.append((r.g, CreditReason.CAPPED, r.cls, 1, 0))
                continue
            used[month] = total
        out.append((r.g, CreditReason.COUNTED, r.cls, 1, r.points))
    return out
