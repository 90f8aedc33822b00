"""ShopCalendar: which days work, due dates and elapsed working time on known Chinese dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.calendar import (
    CLOSED,
    HORIZON_DAYS,
    CalendarNotConfirmed,
    ChinaHolidays,
    DayKind,
    NoWorkingTime,
    OpeningHours,
    Pause,
    ShopCalendar,
    WeeklyHours,
    WorkingCalendar,
)
from ecservice.errors import NaiveDatetime, ValidationError
from tests.calendar import sh


def bad(value: object) -> Any:
    """``value``, typed so that a wrong type can be passed on purpose."""
    return value


H = dt.timedelta(hours=1)
US = dt.timedelta(microseconds=1)
CAL = ShopCalendar()
LUNCH = ShopCalendar(week=WeeklyHours.weekdays(["09:00-12:00", "13:30-18:00"]))


def test_follows_the_protocol() -> None:
    """ShopCalendar is a WorkingCalendar, for isinstance and for the type checker."""
    assert isinstance(CAL, WorkingCalendar)
    calendar: WorkingCalendar = CAL
    assert calendar.add(sh(2026, 3, 2, 9), H) == sh(2026, 3, 2, 10)
    assert not isinstance(object(), WorkingCalendar)


def test_spring_festival_2026_working_days() -> None:
    """Saturday 14 Feb works (调休), 15-23 Feb are closed, Saturday 28 Feb works."""
    days = [dt.date(2026, 2, d) for d in range(13, 29)]
    working = [d.day for d in days if CAL.is_working_day(d)]
    assert working == [13, 14, 24, 25, 26, 27, 28]


def test_make_up_day_has_mondays_hours_by_default() -> None:
    """A make-up Saturday has the first weekday's hours, or make_up_hours when given."""
    saturday = dt.date(2026, 2, 14)
    assert LUNCH.hours_on(saturday).intervals == ("09:00-12:00", "13:30-18:00")
    short = attrs.evolve(LUNCH, make_up_hours=["10:00-16:00"])
    assert short.hours_on(saturday).intervals == ("10:00-16:00",)
    late_week = ShopCalendar(week=WeeklyHours(wednesday=["12:00-20:00"]))
    assert late_week.hours_on(saturday).intervals == ("12:00-20:00",)
    weekend_only = ShopCalendar(week=WeeklyHours(saturday=["10:00-12:00"]))
    assert weekend_only.hours_on(saturday).intervals == ("10:00-12:00",)


def test_due_date_over_the_spring_festival() -> None:
    """Friday 13 Feb 17:00 + 2 working hours: 1 h Friday, 1 h on the make-up Saturday."""
    assert CAL.add(sh(2026, 2, 13, 17), 2 * H) == sh(2026, 2, 14, 10)
    # 10 hours: the rest of Friday, all of Saturday, then Tuesday 24 Feb after the break.
    assert CAL.add(sh(2026, 2, 13, 17), 10 * H) == sh(2026, 2, 14, 18)
    assert CAL.add(sh(2026, 2, 13, 17), 11 * H) == sh(2026, 2, 24, 10)
    assert CAL.elapsed(sh(2026, 2, 13, 17), sh(2026, 2, 24, 10)) == 11 * H


def test_national_day_2025() -> None:
    """1 to 8 October 2025 are closed, Saturday 11 October works."""
    assert CAL.add(sh(2025, 9, 30, 17), 2 * H) == sh(2025, 10, 9, 10)
    assert CAL.is_working_day(dt.date(2025, 10, 11))
    # Sunday 28 Sep (调休), Mon 29, Tue 30, Thu 9, Fri 10 and Saturday 11 Oct (调休) work.
    assert CAL.elapsed(sh(2025, 9, 28), sh(2025, 10, 12)) == 6 * 9 * H


def test_boundaries_are_exact_to_the_microsecond() -> None:
    """Intervals end exclusive: 18:00 is closed, 17:59:59.999999 is open."""
    before_end = sh(2026, 3, 2, 17, 59, 59, 999_999)
    assert CAL.add(before_end, US) == sh(2026, 3, 2, 18)
    assert CAL.add(before_end, 2 * US) == sh(2026, 3, 3, 9, 0, 0, 1)
    assert CAL.add(sh(2026, 3, 2, 9), 9 * H) == sh(2026, 3, 2, 18)  # the end, not next morning
    assert CAL.add(sh(2026, 3, 2, 18), US) == sh(2026, 3, 3, 9, 0, 0, 1)
    assert CAL.is_working_at(before_end)
    assert not CAL.is_working_at(sh(2026, 3, 2, 18))
    assert CAL.is_working_at(sh(2026, 3, 2, 9))
    assert not CAL.is_working_at(sh(2026, 3, 2, 8, 59, 59, 999_999))
    assert CAL.elapsed(sh(2026, 3, 2, 8), sh(2026, 3, 2, 9, 0, 0, 1)) == US


def test_zero_duration_is_the_start() -> None:
    """add(start, 0) is start itself, even outside working hours."""
    night = sh(2026, 3, 2, 23)
    assert CAL.add(night, dt.timedelta(0)) == night
    assert CAL.elapsed(night, night) == dt.timedelta(0)


def test_lunch_break() -> None:
    """Several intervals a day: the lunch break does not count."""
    assert LUNCH.add(sh(2026, 3, 2, 11), 2 * H) == sh(2026, 3, 2, 14, 30)
    assert LUNCH.elapsed(sh(2026, 3, 2, 11), sh(2026, 3, 2, 14, 30)) == 2 * H


def test_next_working_instant() -> None:
    """The first working, unpaused instant at or after the given one."""
    assert CAL.next_working_instant(sh(2026, 2, 13, 19)) == sh(2026, 2, 14, 9)
    assert CAL.next_working_instant(sh(2026, 3, 2, 10)) == sh(2026, 3, 2, 10)
    pause = Pause(sh(2026, 3, 2, 9), sh(2026, 3, 2, 11))
    assert CAL.next_working_instant(sh(2026, 3, 2, 8), pauses=[pause]) == sh(2026, 3, 2, 11)


def test_pauses_move_the_due_date() -> None:
    """Working time inside a pause does not count; closed time inside it changes nothing."""
    start = sh(2026, 3, 2, 9)
    pauses = [
        Pause(sh(2026, 3, 2, 10), sh(2026, 3, 2, 12)),
        Pause(sh(2026, 3, 2, 20), sh(2026, 3, 3, 9)),
    ]
    assert CAL.add(start, 4 * H, pauses=pauses) == sh(2026, 3, 2, 15)
    assert CAL.elapsed(start, sh(2026, 3, 2, 15), pauses=pauses) == 4 * H
    overlapping = [*pauses, Pause(sh(2026, 3, 2, 11), sh(2026, 3, 2, 13))]
    assert CAL.add(start, 4 * H, pauses=overlapping) == sh(2026, 3, 2, 16)
    assert CAL.elapsed(start, sh(2026, 3, 2, 16), pauses=overlapping) == 4 * H
    assert CAL.add(start, 4 * H, pauses=[Pause(sh(2026, 3, 2, 10), sh(2026, 3, 2, 10))]) == sh(
        2026, 3, 2, 13
    )


def test_overrides_win() -> None:
    """A closure, a short day and an extra working day (on a holiday) override everything."""
    cal = ShopCalendar(
        overrides={
            dt.date(2026, 3, 2): CLOSED,
            dt.date(2026, 3, 3): OpeningHours(["09:00-12:00"]),
            dt.date(2026, 2, 17): ["10:00-14:00"],
        }
    )
    assert not cal.is_working_day(dt.date(2026, 3, 2))
    assert cal.hours_on(dt.date(2026, 3, 3)).intervals == ("09:00-12:00",)
    assert cal.is_working_day(dt.date(2026, 2, 17))
    # Fri 27 Feb 1 h, Saturday 28 Feb (调休) 9 h, Mon 2 Mar closed, Tue 3 Mar 3 h, Wed 1 h.
    assert cal.add(sh(2026, 2, 27, 17), 14 * H) == sh(2026, 3, 4, 10)
    assert cal.add(sh(2026, 2, 13, 18), 13 * H) == sh(2026, 2, 17, 14)  # Sat 9 h, 17 Feb 4 h


def test_calendar_without_holidays() -> None:
    """holidays=None: only the weekly hours and overrides, any year."""
    cal = ShopCalendar(holidays=None)
    assert cal.is_working_day(dt.date(2026, 2, 17))
    assert not cal.is_working_day(dt.date(2026, 2, 14))
    assert cal.is_working_day(dt.date(2031, 2, 17))


def test_unconfirmed_year_is_refused() -> None:
    """A computation that needs a day of 2027 raises CalendarNotConfirmed, naming the way out."""
    with pytest.raises(CalendarNotConfirmed, match="2001 to 2026") as caught:
        CAL.add(sh(2026, 12, 31, 17), 2 * H)
    assert caught.value.day == dt.date(2027, 1, 1)
    assert isinstance(caught.value, ValidationError)
    with pytest.raises(CalendarNotConfirmed):
        CAL.elapsed(sh(2026, 12, 31), sh(2027, 1, 2))
    with pytest.raises(CalendarNotConfirmed):
        CAL.is_working_day(dt.date(2000, 12, 29))
    # Within the confirmed years nothing is refused, up to the last instant of 2026.
    assert CAL.elapsed(sh(2026, 12, 31), sh(2027, 1, 1)) == 9 * H


def test_unconfirmed_year_accepted_or_overridden() -> None:
    """accept_predicted, an override of the day, or the year's own days lift the refusal."""
    predicted = ShopCalendar(accept_predicted=True)
    assert predicted.add(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 4, 10)  # 1 Jan predicted
    overridden = ShopCalendar(overrides={dt.date(2027, 1, 1): ["09:00-18:00"]})
    assert overridden.add(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 1, 10)
    supplied = ShopCalendar(
        holidays=ChinaHolidays(
            confirmed_through=2027, added={dt.date(2027, 1, 2): DayKind.MAKE_UP_WORKDAY}
        )
    )
    assert supplied.add(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 2, 10)


def test_no_working_time_is_bounded() -> None:
    """A calendar with no hours raises NoWorkingTime after the horizon, not a endless loop."""
    empty = ShopCalendar(week=WeeklyHours(), holidays=None)
    with pytest.raises(NoWorkingTime, match=f"{HORIZON_DAYS} days from 2026-03-02") as caught:
        empty.add(sh(2026, 3, 2, 10), H)
    assert caught.value.since == dt.date(2026, 3, 2)
    with pytest.raises(NoWorkingTime):
        empty.next_working_instant(sh(2026, 3, 2))
    # An extra working day far away is still found within the horizon.
    far = dt.date(2026, 3, 2) + dt.timedelta(days=HORIZON_DAYS - 1)
    one_day = ShopCalendar(week=WeeklyHours(), holidays=None, overrides={far: ["09:00-10:00"]})
    assert one_day.add(sh(2026, 3, 2, 10), H).date() == far
    # A pause longer than the horizon does not make a calendar with hours fail.
    long_pause = Pause(sh(2026, 3, 2), sh(2026, 3, 2) + dt.timedelta(days=HORIZON_DAYS + 10))
    anywhere = ShopCalendar(holidays=None)
    assert anywhere.add(sh(2026, 3, 2), H, pauses=[long_pause]) > long_pause.end


def test_working_intervals_are_utc() -> None:
    """The intervals of a Shanghai day are at UTC+8."""
    assert LUNCH.working_intervals(dt.date(2026, 3, 2)) == (
        (sh(2026, 3, 2, 9), sh(2026, 3, 2, 12)),
        (sh(2026, 3, 2, 13, 30), sh(2026, 3, 2, 18)),
    )
    assert LUNCH.working_intervals(dt.date(2026, 2, 17)) == ()


def test_results_are_pendulum_utc() -> None:
    """Whatever aware datetime comes in, a pendulum DateTime in UTC comes out."""
    stdlib = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    due = CAL.add(stdlib, H)
    assert isinstance(due, pendulum.DateTime)
    assert due.tzinfo == pendulum.UTC
    assert due == sh(2026, 3, 2, 10)
    assert CAL.add(
        pendulum.datetime(2026, 3, 2, 9, tz="Asia/Shanghai"), pendulum.duration(hours=1)
    ) == sh(2026, 3, 2, 10)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: CAL.add(dt.datetime(2026, 3, 2, 9), H), NaiveDatetime, "no time zone"),
        (lambda: CAL.elapsed(sh(2026, 3, 2), dt.datetime(2026, 3, 3)), NaiveDatetime, "end"),
        (lambda: CAL.add(bad("2026-03-02"), H), ValidationError, "timezone-aware datetime"),
        (lambda: CAL.add(sh(2026, 3, 2), -US), ValidationError, "zero or more"),
        (lambda: CAL.add(sh(2026, 3, 2), bad(3600)), ValidationError, "timedelta"),
        (lambda: CAL.elapsed(sh(2026, 3, 3), sh(2026, 3, 2)), ValidationError, "runs forward"),
        (
            lambda: CAL.add(sh(2026, 3, 2), H, pauses=[bad((sh(2026, 3, 2), sh(2026, 3, 3)))]),
            ValidationError,
            "Pause",
        ),
        (
            lambda: CAL.add(sh(2026, 3, 2), H, pauses=bad(Pause(sh(2026, 3, 2), sh(2026, 3, 3)))),
            ValidationError,
            "iterable",
        ),
        (lambda: CAL.is_working_day(dt.datetime(2026, 3, 2)), ValidationError, "datetime.date"),
        (lambda: Pause(sh(2026, 3, 3), sh(2026, 3, 2)), ValidationError, "before"),
        (lambda: Pause(dt.datetime(2026, 3, 3), sh(2026, 3, 2)), NaiveDatetime, "pause start"),
        (
            lambda: ShopCalendar(zone="Mars/Olympus"),
            ValidationError,
            "'Mars/Olympus' \\(not in the IANA time zone database\\)",
        ),
        (lambda: ShopCalendar(zone="+08:00"), ValidationError, "fixed UTC offset"),
        (lambda: ShopCalendar(week=bad({"monday": "09:00-18:00"})), ValidationError, "WeeklyHours"),
        (lambda: ShopCalendar(holidays=bad("CN")), ValidationError, "StatutoryDays"),
        (lambda: ShopCalendar(overrides=bad([dt.date(2026, 3, 2)])), ValidationError, "mapping"),
        (
            lambda: ShopCalendar(overrides=bad({"2026-03-02": CLOSED})),
            ValidationError,
            "datetime.date",
        ),
        (
            lambda: ShopCalendar(overrides={dt.date(2026, 3, 2): ["18:00-09:00"]}),
            ValidationError,
            "ends before",
        ),
        (lambda: ShopCalendar(make_up_hours=["9-18"]), ValidationError, "HH:MM"),
        (lambda: ShopCalendar(accept_predicted=bad(1)), ValidationError, "True or False"),
    ],
)
def test_bad_input_raises_library_errors(
    call: object, error: type[Exception], message: str
) -> None:
    """Each bad value raises the specific library error, with what is allowed."""
    assert callable(call)
    with pytest.raises(error, match=message):
        call()


def test_calendar_is_frozen_and_unchanged_by_errors() -> None:
    """Fields cannot be assigned; a refused computation leaves the calendar as it was."""
    cal = ShopCalendar()
    before = attrs.asdict(cal, recurse=False)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        cal.zone = "UTC"  # type: ignore[misc]
    with pytest.raises(CalendarNotConfirmed):
        cal.add(sh(2026, 12, 31, 17), 2 * H)
    assert attrs.asdict(cal, recurse=False) == before
    assert cal == ShopCalendar()


def test_long_durations_are_fast_and_exact() -> None:
    """A thousand working hours across 2025 and 2026 in whole days, and back."""
    start = sh(2025, 1, 2, 9)
    due = CAL.add(start, 1000 * H)
    assert CAL.elapsed(start, due) == 1000 * H
    # 111 working days of 9 h (counted with holidays' own is_working_day), then 1 h.
    assert due == sh(2025, 6, 18, 10)
