"""Benchmark: SLA due dates on a working calendar against businesstimedelta, same schedule.

What users call: :meth:`ecservice.calendar.ShopCalendar.add` (the due date of an SLA target:
the instant a duration of working time after a complaint was opened) and
:meth:`~ecservice.calendar.ShopCalendar.elapsed` (the working time a complaint has used). The
baseline is the ``businesstimedelta`` package (``start + BusinessTimeDelta(rules, hours=...)``
and ``rules.difference(a, b)``) on the same schedule: Monday to Friday 09:00-18:00 in
Asia/Shanghai, closed on the Chinese statutory holidays of 2025-2026 from the ``holidays``
package. businesstimedelta cannot open a Saturday or Sunday, so the make-up working days (调休)
are left out of both here: ecservice's calendar is given the same holidays and no make-up
days. Every due date and every elapsed time must be equal (compared as UTC instants, to the
microsecond) before anything is timed; a difference stops the benchmark.

Workloads, each timed on both sides in the same run, alternating which goes first, the best of
``repeats`` rounds:

* **due dates**: ``n`` complaints opened at random instants of 2025-2026 (a fixed seed), each
  with a target drawn from 2 hours, 1, 3 and 7 working days (9-hour days) and 45 working days
  (the regulator's mediation limit); one ``add`` each;
* **elapsed**: the working time between the same instants and instants up to 60 days later;
* **a cold calendar**: the due dates once on a new calendar object (the timed rounds reuse one
  calendar, as a shop does, whose days are then cached), reported as
  ``ecservice_due_cold_per_s``;
* **cost per year spanned**: one ``add`` of 1, 2 and 3 years of working time (2,200 working
  hours a year), microseconds per call: how the cost grows with the span.

The last JSON line has ``sla_due_ratio`` (ecservice time over businesstimedelta time for the
due dates; lower is better, target ``<= 0.5``), ``elapsed_ratio`` and absolute figures.
Run ``python benchmarks/working_calendar.py`` (``--quick`` for small counts, ``--json``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

import businesstimedelta as btd
import pendulum
import pytz

from ecservice.calendar import ChinaHolidays, DayKind, ShopCalendar

ZONE: Final = "Asia/Shanghai"
YEARS: Final = (2025, 2026)
#: Targets in working hours: 2 hours; 1, 3 and 7 working days; 45 working days.
TARGET_HOURS: Final = (2, 9, 27, 63, 405)
#: Working hours in a year of the schedule, roughly, for the cost per year spanned.
HOURS_PER_YEAR: Final = 2_200
TARGET_RATIO: Final = 0.5


class HolidaysWithoutMakeUpDays(ChinaHolidays):
    """The Chinese statutory holidays with the make-up working days left out (what
    businesstimedelta can express)."""

    def kind(self, day: _dt.date) -> DayKind:
        found = super().kind(day)
        return DayKind.REGULAR if found is DayKind.MAKE_UP_WORKDAY else found


def holiday_dates() -> list[_dt.date]:
    """The weekdays the statutory holidays close in the years measured (and the next, so that
    long spans stay inside closed data)."""
    source = ChinaHolidays()
    start = _dt.date(YEARS[0], 1, 1)
    days = (_dt.date(YEARS[-1] + 1, 1, 1) - start).days
    found = [start + _dt.timedelta(days=i) for i in range(days)]
    return [d for d in found if source.kind(d) is DayKind.HOLIDAY]


def ecservice_calendar() -> ShopCalendar:
    # Spans beyond the confirmed years use the package's predictions on both sides.
    return ShopCalendar(zone=ZONE, holidays=HolidaysWithoutMakeUpDays(), accept_predicted=True)


def baseline_rules() -> Any:
    tz = pytz.timezone(ZONE)
    workday = btd.WorkDayRule(
        start_time=_dt.time(9), end_time=_dt.time(18), working_days=[0, 1, 2, 3, 4], tz=tz
    )
    dates = set(holiday_dates())
    predicted = ChinaHolidays()
    for year in range(YEARS[-1] + 1, YEARS[-1] + 5):
        day = _dt.date(year, 1, 1)
        while day.year == year:
            if predicted.kind(day) is DayKind.HOLIDAY:
                dates.add(day)
            day += _dt.timedelta(days=1)
    return btd.Rules([workday, btd.HolidayRule(sorted(dates), tz=tz)])


def workload(n: int, seed: int = 2026) -> list[tuple[_dt.datetime, _dt.timedelta, _dt.datetime]]:
    """``n`` (opened at, target, a later instant) triples, aware UTC datetimes."""
    rng = random.Random(seed)
    first = pendulum.datetime(YEARS[0], 1, 1, tz="UTC")
    seconds = int((pendulum.datetime(YEARS[-1], 12, 1, tz="UTC") - first).total_seconds())
    items = []
    for _ in range(n):
        opened = first.add(seconds=rng.randrange(seconds))
        target = _dt.timedelta(hours=rng.choice(TARGET_HOURS))
        later = opened.add(seconds=rng.randrange(60 * 86_400))
        items.append((_plain(opened), target, _plain(later)))
    return items


def _plain(value: _dt.datetime) -> _dt.datetime:
    """A standard-library aware datetime in UTC (what both libraries accept)."""
    return _dt.datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        tzinfo=_dt.UTC,
    )


def _utc(value: _dt.datetime) -> _dt.datetime:
    return value.astimezone(_dt.UTC)


def check_equal(calendar: ShopCalendar, rules: Any, items: Sequence[Any]) -> int:
    """Both sides give the same due dates and elapsed times; returns how many were compared."""
    compared = 0
    for opened, target, later in items:
        ours = calendar.add(opened, target)
        theirs = opened + btd.BusinessTimeDelta(rules, timedelta=target)
        if _utc(ours) != _utc(theirs):
            raise SystemExit(f"due dates differ for {opened} + {target}: {ours} != {theirs}")
        used = calendar.elapsed(opened, later)
        other = rules.difference(opened, later).timedelta
        if used != other:
            raise SystemExit(f"elapsed differs for {opened}..{later}: {used} != {other}")
        compared += 2
    return compared


def _best(run: Callable[[], None], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def measure(n: int, repeats: int) -> dict[str, Any]:
    items = workload(n)
    rules = baseline_rules()
    compared = check_equal(ecservice_calendar(), rules, items)
    calendar = ecservice_calendar()

    def ours_due() -> None:
        for opened, target, _ in items:
            calendar.add(opened, target)

    def theirs_due() -> None:
        for opened, target, _ in items:
            opened + btd.BusinessTimeDelta(rules, timedelta=target)

    def ours_elapsed() -> None:
        for opened, _, later in items:
            calendar.elapsed(opened, later)

    def theirs_elapsed() -> None:
        for opened, _, later in items:
            rules.difference(opened, later)

    cold = ecservice_calendar()
    start_cold = time.perf_counter()
    for opened, target, _ in items:
        cold.add(opened, target)
    cold_seconds = time.perf_counter() - start_cold

    timings: dict[str, float] = {}
    for round_no in range(repeats):
        pairs = [("ours_due", ours_due), ("theirs_due", theirs_due)]
        pairs += [("ours_elapsed", ours_elapsed), ("theirs_elapsed", theirs_elapsed)]
        if round_no % 2:
            pairs.reverse()
        for name, run in pairs:
            timings[name] = min(timings.get(name, float("inf")), _best(run, 1))

    start = _plain(pendulum.datetime(YEARS[0], 1, 6, 10, tz=ZONE))
    per_year: dict[str, dict[str, float]] = {}
    for years in (1, 2, 3):
        span = _dt.timedelta(hours=HOURS_PER_YEAR * years)
        fresh = ecservice_calendar()
        ours = _best(lambda fresh=fresh, span=span: fresh.add(start, span), 3)
        theirs = _best(lambda span=span: start + btd.BusinessTimeDelta(rules, timedelta=span), 3)
        per_year[str(years)] = {"ecservice_us": ours * 1e6, "businesstimedelta_us": theirs * 1e6}
    return {
        "complaints": n,
        "compared": compared,
        "ecservice_due_per_s": n / timings["ours_due"],
        "ecservice_due_cold_per_s": n / cold_seconds,
        "businesstimedelta_due_per_s": n / timings["theirs_due"],
        "sla_due_ratio": timings["ours_due"] / timings["theirs_due"],
        "ecservice_elapsed_per_s": n / timings["ours_elapsed"],
        "businesstimedelta_elapsed_per_s": n / timings["theirs_elapsed"],
        "elapsed_ratio": timings["ours_elapsed"] / timings["theirs_elapsed"],
        "per_year_spanned": per_year,
    }


def report(res: dict[str, Any]) -> None:
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print(f"{res['complaints']} complaints; {res['compared']} results compared, all equal")
    print(f"{'':24}{'ecservice':>14}{'businesstimedelta':>20}{'ratio':>8}")
    for label, key in (("due dates / s", "due"), ("elapsed / s", "elapsed")):
        ours, theirs = res[f"ecservice_{key}_per_s"], res[f"businesstimedelta_{key}_per_s"]
        ratio = res["sla_due_ratio" if key == "due" else "elapsed_ratio"]
        print(f"{label:24}{ours:>14,.0f}{theirs:>20,.0f}{ratio:>8.3f}")
    print("cost per call by span (microseconds):")
    for years, figures in res["per_year_spanned"].items():
        print(
            f"  {years} year(s) of working time: ecservice {figures['ecservice_us']:,.0f}, "
            f"businesstimedelta {figures['businesstimedelta_us']:,.0f}"
        )
    print(
        f"due dates / s on a new calendar (days not cached): {res['ecservice_due_cold_per_s']:,.0f}"
    )
    met = res["sla_due_ratio"] <= TARGET_RATIO
    print(
        f"sla_due_ratio {res['sla_due_ratio']:.3f} (target <= {TARGET_RATIO}): "
        + ("met" if met else "TARGET MISSED")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small counts (used by CI)")
    parser.add_argument("--json", action="store_true", help="print a JSON object as last line")
    args = parser.parse_args(argv)
    n, repeats = (500, 3) if args.quick else (5_000, 5)
    res = measure(n, repeats)
    res["mode"] = "quick" if args.quick else "full"
    res["targets_met"] = res["sla_due_ratio"] <= TARGET_RATIO
    report(res)
    if args.json:
        print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
