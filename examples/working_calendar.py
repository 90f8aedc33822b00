"""Service deadlines in working time (工作日历) for a shop in Shanghai and a team in Berlin.

1. The customer-service desk works Monday to Friday 09:00-12:00 and 13:30-18:00 in Shanghai,
   closed on China's statutory holidays, open on the make-up working days (调休上班).
2. A complaint arrives on Friday 13 February 2026, just before the Spring Festival break: its
   first answer is due within 2 working hours, its resolution within 3 working days of 7.5 h.
3. The case waits for the buyer's photos for a while: the pause moves the due date.
4. A team in Berlin works 09:00-17:00: across the end of summer time its day is still 8 hours.
5. A due date in 2027, whose holidays are not announced yet, is refused until the shop decides.

Run: ``python examples/working_calendar.py``
"""

from __future__ import annotations

import datetime as _dt

import pendulum

from ecservice.calendar import (
    CalendarNotConfirmed,
    OpeningHours,
    Pause,
    ShopCalendar,
    WeeklyHours,
)

SHANGHAI = "Asia/Shanghai"


def show(label: str, instant: _dt.datetime, zone: str = SHANGHAI) -> None:
    local = pendulum.instance(instant).in_tz(zone)
    print(f"  {label}: {local.format('ddd YYYY-MM-DD HH:mm')} ({zone})")


def main() -> None:
    desk = ShopCalendar(
        zone=SHANGHAI,
        week=WeeklyHours.weekdays(["09:00-12:00", "13:30-18:00"]),
        overrides={_dt.date(2026, 2, 27): OpeningHours(["09:00-12:00"])},  # a short day
    )
    print("1. The desk's days around the Spring Festival 2026")
    days = [_dt.date(2026, 2, 13) + _dt.timedelta(days=n) for n in range(16)]
    for day in days:
        hours = desk.hours_on(day)
        text = ", ".join(hours.intervals) if not hours.is_closed else "closed"
        print(f"  {day.isoformat()} {day.strftime('%a')}: {text}")

    print("2. A complaint received on Friday 13 February at 17:00")
    received = pendulum.datetime(2026, 2, 13, 17, 0, tz=SHANGHAI)
    show("first answer due (2 working hours)", desk.add(received, _dt.timedelta(hours=2)))
    resolution = _dt.timedelta(hours=3 * 7.5)
    show("resolution due (3 working days)", desk.add(received, resolution))

    print("3. Waiting for the buyer's photos from Tuesday 24 February 10:00 to 15:00")
    waiting = Pause(
        pendulum.datetime(2026, 2, 24, 10, tz=SHANGHAI),
        pendulum.datetime(2026, 2, 24, 15, tz=SHANGHAI),
    )
    due = desk.add(received, resolution, pauses=[waiting])
    show("resolution due", due)
    now = pendulum.datetime(2026, 2, 25, 12, tz=SHANGHAI)
    used = desk.elapsed(received, now, pauses=[waiting])
    print(f"  working time used by Wed 12:00: {used}, left: {resolution - used}")

    print("4. A team in Berlin, 09:00-17:00, across the end of summer time")
    berlin = ShopCalendar(
        zone="Europe/Berlin", week=WeeklyHours.every_day(["09:00-17:00"]), holidays=None
    )
    for day in (_dt.date(2026, 10, 24), _dt.date(2026, 10, 25)):
        ((start, end),) = berlin.working_intervals(day)
        real = (end - start).total_seconds() / 3600
        print(f"  {day.isoformat()}: {start.isoformat()} to {end.isoformat()}, {real:g} hours")
    friday = pendulum.datetime(2026, 10, 23, 16, tz="Europe/Berlin")
    show(
        "24 working hours from Fri 16:00",
        berlin.add(friday, _dt.timedelta(hours=24)),
        "Europe/Berlin",
    )

    print("5. A due date after the last announced year")
    late = pendulum.datetime(2026, 12, 31, 17, tz=SHANGHAI)
    try:
        desk.add(late, _dt.timedelta(hours=8))
    except CalendarNotConfirmed as exc:
        print(f"  refused: {exc}")
    predicted = ShopCalendar(
        week=WeeklyHours.weekdays(["09:00-12:00", "13:30-18:00"]), accept_predicted=True
    )
    show("with predicted 2027 days", predicted.add(late, _dt.timedelta(hours=8)))


if __name__ == "__main__":
    main()
