"""China's statutory days as the holidays package gives them, checked against the notices.

2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号).
2026: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号, 4 November 2025).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ecservice.calendar import (
    CN_FIRST_CONFIRMED_YEAR,
    CN_LAST_CONFIRMED_YEAR,
    ChinaHolidays,
    DayKind,
    ShopCalendar,
    StatutoryDays,
)
from ecservice.errors import ValidationError

D = dt.date
CN = ChinaHolidays()

# The weekdays each notice makes days off, and the weekend days it makes working days.
NOTICES = {
    2025: (
        [D(2025, 1, 1), *(D(2025, 1, d) for d in (28, 29, 30, 31)), D(2025, 2, 3), D(2025, 2, 4)]
        + [D(2025, 4, 4), D(2025, 5, 1), D(2025, 5, 2), D(2025, 5, 5), D(2025, 6, 2)]
        + [D(2025, 10, d) for d in (1, 2, 3, 6, 7, 8)],
        [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)],
    ),
    2026: (
        [D(2026, 1, 1), D(2026, 1, 2)]
        + [D(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)]
        + [D(2026, 4, 6), D(2026, 5, 1), D(2026, 5, 4), D(2026, 5, 5), D(2026, 6, 19)]
        + [D(2026, 9, 25)]
        + [D(2026, 10, d) for d in (1, 2, 5, 6, 7)],
        [
            D(2026, 1, 4),
            D(2026, 2, 14),
            D(2026, 2, 28),
            D(2026, 5, 9),
            D(2026, 9, 20),
            D(2026, 10, 10),
        ],
    ),
}


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_every_day_of_the_year_matches_the_notice(year: int) -> None:
    """Each weekday is off exactly when the notice says; each weekend day works exactly when it
    says (the package's other weekend holidays change nothing for a Monday-Friday shop)."""
    off, worked = NOTICES[year]
    day = D(year, 1, 1)
    wrong = []
    while day.year == year:
        kind = CN.kind(day)
        if day.weekday() < 5:
            expected_off = day in off
            if (kind is DayKind.HOLIDAY) != expected_off or kind is DayKind.MAKE_UP_WORKDAY:
                wrong.append((day, kind))
        elif (kind is DayKind.MAKE_UP_WORKDAY) != (day in worked):
            wrong.append((day, kind))
        day += dt.timedelta(days=1)
    assert wrong == []


def test_spring_festival_2026() -> None:
    """2026: 15 to 23 February off (nine days), Saturdays 14 and 28 February worked."""
    assert CN.kind(D(2026, 2, 14)) is DayKind.MAKE_UP_WORKDAY
    assert CN.kind(D(2026, 2, 16)) is DayKind.HOLIDAY  # New Year's Eve (除夕), since the 2024 rules
    assert CN.kind(D(2026, 2, 23)) is DayKind.HOLIDAY
    assert CN.kind(D(2026, 2, 24)) is DayKind.REGULAR
    assert CN.kind(D(2026, 2, 28)) is DayKind.MAKE_UP_WORKDAY


def test_a_next_year_notice_can_move_a_december_weekend() -> None:
    """The 2002 notice made Saturday 29 and Sunday 30 December 2001 working days, for 2 and 3
    January 2002 off."""
    assert CN.kind(D(2001, 12, 29)) is DayKind.MAKE_UP_WORKDAY
    assert CN.kind(D(2001, 12, 30)) is DayKind.MAKE_UP_WORKDAY
    assert CN.kind(D(2001, 12, 31)) is DayKind.REGULAR
    assert CN.kind(D(2002, 1, 3)) is DayKind.HOLIDAY


def test_the_constant_is_the_last_year_the_package_carries() -> None:
    """CN_LAST_CONFIRMED_YEAR has make-up days in the package, the next year has none yet.

    When a newer package carries the next notice this test fails: raise the constant then.
    """
    assert CN.last_confirmed == CN_LAST_CONFIRMED_YEAR == 2026
    assert CN.first_confirmed == CN_FIRST_CONFIRMED_YEAR == 2001

    def make_up_days(year: int) -> int:
        day, found = D(year, 1, 1), 0
        while day.year == year:
            found += CN.kind(day) is DayKind.MAKE_UP_WORKDAY
            day += dt.timedelta(days=1)
        return found

    assert make_up_days(CN_LAST_CONFIRMED_YEAR) == 6
    assert make_up_days(CN_LAST_CONFIRMED_YEAR + 1) == 0


def test_added_days_replace_the_package() -> None:
    """A notice the package lacks can be supplied: a day off, a weekend worked, a cancellation."""
    source = ChinaHolidays(
        confirmed_through=2027,
        added={
            D(2027, 2, 12): DayKind.HOLIDAY,
            D(2027, 2, 20): DayKind.MAKE_UP_WORKDAY,
            D(2027, 2, 10): DayKind.REGULAR,
        },
    )
    assert source.last_confirmed == 2027
    assert source.kind(D(2027, 2, 12)) is DayKind.HOLIDAY
    assert source.kind(D(2027, 2, 20)) is DayKind.MAKE_UP_WORKDAY
    assert source.kind(D(2027, 2, 10)) is DayKind.REGULAR
    assert CN.kind(D(2027, 2, 10)) is DayKind.HOLIDAY  # the package's prediction
    assert source.added[0][0] == D(2027, 2, 10)  # kept sorted
    assert isinstance(source, StatutoryDays)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confirmed_through": 2000}, "from 2001"),
        ({"confirmed_through": "2026"}, "a year"),
        ({"confirmed_through": True}, "a year"),
        ({"added": {D(2027, 2, 22): DayKind.MAKE_UP_WORKDAY}}, "is a weekday"),
        ({"added": {"2027-02-20": DayKind.HOLIDAY}}, "must be a datetime.date"),
        ({"added": {dt.datetime(2027, 2, 20): DayKind.HOLIDAY}}, "must be a datetime.date"),
        ({"added": {D(2027, 2, 20): "holiday"}}, "must be a DayKind"),
        ({"added": [D(2027, 2, 20)]}, "a mapping"),
    ],
)
def test_bad_sources_are_refused(kwargs: dict[str, object], message: str) -> None:
    """Bad years and added days raise ValidationError saying what is allowed."""
    with pytest.raises(ValidationError, match=message):
        ChinaHolidays(**kwargs)  # type: ignore[arg-type]


def test_kind_takes_a_date() -> None:
    """A datetime is not a day."""
    with pytest.raises(ValidationError, match=r"datetime\.date"):
        CN.kind(dt.datetime(2026, 2, 17))


def test_labels() -> None:
    """Each kind has a Chinese label."""
    assert [k.label_zh for k in DayKind] == ["平日", "放假", "调休上班"]


class _Broken:
    """A shop's statutory days source with mistakes in it."""

    def __init__(self, kind: object, first: object = 2001, fail: bool = False) -> None:
        self._kind, self._first, self._fail = kind, first, fail

    @property
    def first_confirmed(self) -> Any:
        return self._first

    @property
    def last_confirmed(self) -> int:
        return 2030

    def kind(self, day: dt.date) -> Any:
        if self._fail:
            raise KeyError(day)
        return self._kind


@pytest.mark.parametrize(
    "source",
    [
        _Broken("holiday"),
        _Broken(None),
        _Broken(DayKind.HOLIDAY, first="2020"),
        _Broken(None, fail=True),
    ],
    ids=["text", "none", "year-as-text", "raises"],
)
def test_a_source_that_answers_badly_is_refused_not_read_as_a_working_day(source: Any) -> None:
    calendar = ShopCalendar(holidays=source)
    with pytest.raises(ValidationError, match="statutory days source"):
        calendar.is_working_day(dt.date(2026, 3, 2))
