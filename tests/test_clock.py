"""Tests of :mod:`ecservice.clock`: the fixed and system clocks, UTC normalisation, time zones."""

from __future__ import annotations

import datetime as _dt
from zoneinfo import ZoneInfo

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pendulum import DateTime

from ecservice.clock import (
    SYSTEM_CLOCK,
    UTC,
    Clock,
    FixedClock,
    SystemClock,
    ensure_utc,
    zone,
)
from ecservice.errors import NaiveDatetime, ValidationError
from tests.strategies import aware_datetimes, naive_datetimes

START = pendulum.datetime(2026, 11, 11, 8, 0, tz="Asia/Shanghai")


def _is_utc(value: object) -> bool:
    return (
        isinstance(value, DateTime)
        and value.utcoffset() == _dt.timedelta(0)
        and value.tzinfo is not None
        and value.tzinfo.tzname(value) == "UTC"
    )


# --- ensure_utc ----------------------------------------------------------------------------------


def test_ensure_utc_converts_a_pendulum_datetime_to_utc() -> None:
    """A Shanghai time becomes the same instant in UTC (8 hours earlier on the wall clock)."""
    result = ensure_utc(START)
    assert _is_utc(result)
    assert result == START
    assert (result.year, result.month, result.day, result.hour) == (2026, 11, 11, 0)


@pytest.mark.parametrize(
    "value",
    [
        _dt.datetime(2026, 3, 8, 12, 0, tzinfo=ZoneInfo("America/New_York")),
        _dt.datetime(2026, 3, 8, 12, 0, tzinfo=_dt.timezone(_dt.timedelta(hours=8))),
        _dt.datetime(2026, 3, 8, 12, 0, tzinfo=_dt.UTC),
    ],
    ids=["zoneinfo", "fixed-offset", "stdlib-utc"],
)
def test_ensure_utc_turns_stdlib_aware_datetimes_into_pendulum_utc(value: _dt.datetime) -> None:
    """Standard-library aware datetimes become pendulum DateTimes in UTC, same instant."""
    result = ensure_utc(value)
    assert _is_utc(result)
    # Timestamps, not ==: an ambiguous local time (a DST fold) never compares equal across zones.
    assert result.timestamp() == value.timestamp()
    assert result.timestamp() == value.timestamp()


@pytest.mark.parametrize("fold", [0, 1])
def test_ensure_utc_respects_fold_at_an_ambiguous_local_time(fold: int) -> None:
    """01:30 on the New York fall-back day happens twice; ``fold`` picks which, and the UTC
    result keeps that choice (05:30 UTC for the first, 06:30 UTC for the second)."""
    local = _dt.datetime(2026, 11, 1, 1, 30, fold=fold, tzinfo=ZoneInfo("America/New_York"))
    assert ensure_utc(local).hour == 5 + fold
    assert ensure_utc(local) == local.astimezone(_dt.UTC)


def test_ensure_utc_rejects_naive_datetimes() -> None:
    """A datetime without a zone raises NaiveDatetime, naming what was expected."""
    with pytest.raises(NaiveDatetime, match="shipped_at"):
        ensure_utc(_dt.datetime(2026, 1, 1, 12, 0), what="shipped_at")
    with pytest.raises(NaiveDatetime):
        ensure_utc(pendulum.naive(2026, 1, 1, 12, 0))


@pytest.mark.parametrize(
    "value", [_dt.date(2026, 1, 1), "2026-01-01T00:00:00+00:00", 1767225600, None]
)
def test_ensure_utc_rejects_non_datetimes(value: object) -> None:
    """Dates, strings, timestamps and None are not datetimes: ValidationError."""
    with pytest.raises(ValidationError):
        ensure_utc(value)  # type: ignore[arg-type]


def test_naive_datetime_is_a_validation_error() -> None:
    """NaiveDatetime is caught by ``except ValidationError`` and ``except ValueError``."""
    assert issubclass(NaiveDatetime, ValidationError)
    assert issubclass(NaiveDatetime, ValueError)


@settings(max_examples=60, deadline=None)
@given(value=aware_datetimes())
def test_ensure_utc_keeps_the_instant(value: DateTime) -> None:
    """Whatever the zone, the result is in UTC and denotes the same instant."""
    result = ensure_utc(value)
    assert _is_utc(result)
    # Timestamps, not ==: an ambiguous local time (a DST fold) never compares equal across zones.
    assert result.timestamp() == value.timestamp()
    assert ensure_utc(result) == result


@settings(max_examples=30, deadline=None)
@given(value=naive_datetimes())
def test_ensure_utc_rejects_every_naive_datetime(value: _dt.datetime) -> None:
    """No naive datetime is ever accepted (none is silently taken as UTC or local)."""
    with pytest.raises(NaiveDatetime):
        ensure_utc(value)


# --- zone ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin"])
def test_zone_returns_iana_zones(name: str) -> None:
    """Known IANA names give a pendulum Timezone of that name."""
    tz = zone(name)
    assert isinstance(tz, pendulum.Timezone)
    assert tz.name == name


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "+08:00", "asia/nowhere", "Shanghai"])
def test_zone_rejects_unknown_names_and_offsets(name: str) -> None:
    """Unknown names and fixed offsets raise ValidationError naming the zone."""
    with pytest.raises(ValidationError, match="zone"):
        zone(name)


# --- FixedClock ----------------------------------------------------------------------------------


def test_fixed_clock_starts_at_the_given_instant_in_utc() -> None:
    """The clock reports its start time converted to UTC, and does not move by itself."""
    clock = FixedClock(START)
    assert clock.now() == START
    assert _is_utc(clock.now())
    assert clock.now().isoformat() == "2026-11-11T00:00:00+00:00"
    assert clock.now() == clock.now()


def test_fixed_clock_accepts_stdlib_aware_datetimes() -> None:
    """A stdlib aware start and set target are converted to pendulum UTC."""
    clock = FixedClock(_dt.datetime(2026, 1, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert _is_utc(clock.now())
    assert clock.now().hour == 0
    target = clock.set(_dt.datetime(2026, 1, 2, 0, 0, tzinfo=_dt.UTC))
    assert _is_utc(target)
    assert clock.now() == target


def test_fixed_clock_rejects_a_naive_start_or_target() -> None:
    """Naive datetimes raise NaiveDatetime at construction and in ``set``, leaving the time."""
    with pytest.raises(NaiveDatetime):
        FixedClock(_dt.datetime(2026, 1, 1))
    clock = FixedClock(START)
    with pytest.raises(NaiveDatetime):
        clock.set(_dt.datetime(2027, 1, 1))
    assert clock.now() == START


def test_fixed_clock_advance_adds_exact_durations() -> None:
    """``advance`` moves by the sum of its parts and returns the new time."""
    clock = FixedClock(START)
    new = clock.advance(days=1, hours=2, minutes=3, seconds=4, microseconds=5)
    assert new == clock.now()
    assert clock.now() - START == _dt.timedelta(
        days=1, hours=2, minutes=3, seconds=4, microseconds=5
    )
    assert _is_utc(clock.now())


def test_fixed_clock_days_are_24_hours_even_across_dst() -> None:
    """``advance(days=1)`` is 24 real hours, so the New York wall clock moves by 25 at fall-back."""
    start = pendulum.datetime(2026, 10, 31, 12, 0, tz="America/New_York")
    clock = FixedClock(start)
    clock.advance(days=1)
    assert clock.now() - start == _dt.timedelta(hours=24)
    assert clock.now().in_tz("America/New_York").hour == 11


def test_fixed_clock_set_moves_forward_and_to_the_same_instant() -> None:
    """``set`` accepts a later instant, or the same one given in another zone."""
    clock = FixedClock(START)
    assert clock.set(pendulum.datetime(2026, 11, 11, tz="UTC")) == START  # same instant
    later = pendulum.datetime(2026, 11, 12, 9, 0, tz="Asia/Shanghai")
    assert clock.set(later) == later
    assert clock.now() == later


def test_fixed_clock_never_runs_backwards() -> None:
    """Setting an earlier time or advancing by a negative duration raises ValidationError
    and the clock keeps its time."""
    clock = FixedClock(START)
    with pytest.raises(ValidationError, match="backwards"):
        clock.set(START.subtract(microseconds=1))
    with pytest.raises(ValidationError, match="forward"):
        clock.advance(seconds=-1)
    with pytest.raises(ValidationError):
        clock.advance(days=1, hours=-25)
    assert clock.now() == START


def test_fixed_clock_is_a_clock_and_has_a_readable_repr() -> None:
    """FixedClock satisfies the Clock protocol; repr shows the UTC time."""
    clock = FixedClock(START)
    assert isinstance(clock, Clock)
    assert repr(clock) == "FixedClock('2026-11-11T00:00:00+00:00')"


# --- SystemClock ---------------------------------------------------------------------------------


def test_system_clock_returns_the_current_instant_in_utc() -> None:
    """The system clock's time is aware, in UTC, and between two readings of the real time."""
    before = _dt.datetime.now(_dt.UTC)
    now = SystemClock().now()
    after = _dt.datetime.now(_dt.UTC)
    assert _is_utc(now)
    assert now.tzinfo is UTC
    assert before <= now <= after


def test_shared_system_clock() -> None:
    """SYSTEM_CLOCK is a SystemClock and a Clock."""
    assert isinstance(SYSTEM_CLOCK, SystemClock)
    assert isinstance(SYSTEM_CLOCK, Clock)
    assert repr(SYSTEM_CLOCK) == "SystemClock()"


# --- ensure_utc and PEP 495 ----------------------------------------------------------------------

# (zone, wall time, fold, expected UTC wall time): daylight-saving gaps (a wall time that never
# happened) and folds (one that happened twice) in a one-hour zone on each side of UTC and in
# Lord Howe Island, whose clocks move by 30 minutes.
_PEP_495_CASES = [
    ("America/New_York", (2026, 3, 8, 2, 30), 0, (2026, 3, 8, 7, 30)),  # gap, EST offset
    ("America/New_York", (2026, 3, 8, 2, 30), 1, (2026, 3, 8, 6, 30)),  # gap, EDT offset
    ("America/New_York", (2026, 11, 1, 1, 30), 0, (2026, 11, 1, 5, 30)),  # fold, first
    ("America/New_York", (2026, 11, 1, 1, 30), 1, (2026, 11, 1, 6, 30)),  # fold, second
    ("Europe/Berlin", (2026, 3, 29, 2, 30), 0, (2026, 3, 29, 1, 30)),
    ("Europe/Berlin", (2026, 3, 29, 2, 30), 1, (2026, 3, 29, 0, 30)),
    ("Europe/Berlin", (2026, 10, 25, 2, 30), 0, (2026, 10, 25, 0, 30)),
    ("Europe/Berlin", (2026, 10, 25, 2, 30), 1, (2026, 10, 25, 1, 30)),
    ("Australia/Lord_Howe", (2026, 10, 4, 2, 15), 0, (2026, 10, 3, 15, 45)),  # 30-minute gap
    ("Australia/Lord_Howe", (2026, 10, 4, 2, 15), 1, (2026, 10, 3, 15, 15)),
    ("Australia/Lord_Howe", (2026, 4, 5, 1, 45), 0, (2026, 4, 4, 14, 45)),  # 30-minute fold
    ("Australia/Lord_Howe", (2026, 4, 5, 1, 45), 1, (2026, 4, 4, 15, 15)),
]


@pytest.mark.parametrize(("name", "wall", "fold", "utc"), _PEP_495_CASES)
def test_ensure_utc_follows_pep_495_in_gaps_and_folds(
    name: str, wall: tuple[int, ...], fold: int, utc: tuple[int, ...]
) -> None:
    """A standard-library wall time in a DST gap or fold converts as ``astimezone`` does
    (PEP 495: ``fold`` picks the offset before or after the change), never an hour off."""
    year, month, day, hour, minute = wall
    local = _dt.datetime(year, month, day, hour, minute, fold=fold, tzinfo=ZoneInfo(name))
    result = ensure_utc(local)
    assert _is_utc(result)
    assert (result.year, result.month, result.day, result.hour, result.minute) == utc
    reference = local.astimezone(_dt.UTC)
    assert result.timestamp() == reference.timestamp()
    # the case really is a gap or a fold: the two folds give different offsets
    assert local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


_STD_ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Shanghai")


@settings(max_examples=200, deadline=None)
@given(
    naive=st.datetimes(min_value=_dt.datetime(1990, 1, 1), max_value=_dt.datetime(2060, 1, 1)),
    name=st.sampled_from(_STD_ZONES),
    fold=st.sampled_from([0, 1]),
)
def test_ensure_utc_agrees_with_astimezone_for_every_stdlib_wall_time(
    naive: _dt.datetime, name: str, fold: int
) -> None:
    """For any wall time and fold in zones with 1-hour and 30-minute shifts, the UTC instant is
    the one ``astimezone(timezone.utc)`` gives."""
    local = naive.replace(fold=fold, tzinfo=ZoneInfo(name))
    result = ensure_utc(local)
    reference = local.astimezone(_dt.UTC)
    assert result.replace(tzinfo=None) == reference.replace(tzinfo=None)
    assert result.tzinfo is UTC


def test_ensure_utc_of_pendulum_times_in_a_gap_keeps_pendulums_normalisation() -> None:
    """pendulum moves a wall time in a gap forward when it builds it (02:30 -> 03:30 EDT):
    ensure_utc keeps that instant (07:30 UTC); at a fold it keeps pendulum's ``fold``."""
    moved = pendulum.datetime(2026, 3, 8, 2, 30, tz="America/New_York")
    assert ensure_utc(moved) == pendulum.datetime(2026, 3, 8, 7, 30, tz="UTC")
    for fold in (0, 1):
        ambiguous = pendulum.datetime(2026, 11, 1, 1, 30, tz="America/New_York").replace(fold=fold)
        assert ensure_utc(ambiguous) == ambiguous.in_tz("UTC")
        assert ensure_utc(ambiguous).hour == 5 + ambiguous.fold


def test_ensure_utc_returns_a_utc_pendulum_time_itself_without_asking_its_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast path (an instant already in UTC, the common case) comes before any
    ``utcoffset()`` call and returns the very object."""
    value = pendulum.datetime(2026, 1, 1, tz="UTC")
    assert value.tzinfo is UTC

    def fail(self: object) -> None:
        raise AssertionError("utcoffset called on the fast path")

    monkeypatch.setattr(DateTime, "utcoffset", fail)
    assert ensure_utc(value) is value


@pytest.mark.parametrize(
    "value",
    [
        _dt.datetime(1, 1, 1, 0, 0, tzinfo=_dt.timezone(_dt.timedelta(hours=8))),
        _dt.datetime(9999, 12, 31, 23, 0, tzinfo=_dt.timezone(-_dt.timedelta(hours=8))),
    ],
    ids=["before-year-1", "after-year-9999"],
)
def test_ensure_utc_refuses_instants_outside_the_datetime_range(value: _dt.datetime) -> None:
    """An aware time whose UTC instant falls outside years 1-9999 is a ValidationError,
    not an OverflowError."""
    with pytest.raises(ValidationError, match="outside the years"):
        ensure_utc(value)


class _OddZone(_dt.tzinfo):
    def tzname(self, dt: _dt.datetime | None) -> str:
        return "odd"

    def dst(self, dt: _dt.datetime | None) -> _dt.timedelta:
        return _dt.timedelta(0)


class _BrokenZone(_OddZone):
    def utcoffset(self, dt: _dt.datetime | None) -> _dt.timedelta:
        raise RuntimeError("no offset today")


class _TooFarZone(_OddZone):
    def utcoffset(self, dt: _dt.datetime | None) -> _dt.timedelta:
        return _dt.timedelta(hours=30)


@pytest.mark.parametrize("tz", [_BrokenZone(), _TooFarZone()], ids=["raises", "over-24h"])
def test_ensure_utc_reports_a_time_zone_that_gives_no_offset(tz: _dt.tzinfo) -> None:
    """A tzinfo that fails or returns an impossible offset is a ValidationError."""
    with pytest.raises(ValidationError, match="UTC offset"):
        ensure_utc(_dt.datetime(2026, 1, 1, tzinfo=tz))


def test_ensure_utc_message_names_the_type_not_a_huge_value() -> None:
    """A huge non-datetime is named by its type; the message stays short."""
    with pytest.raises(ValidationError, match="not str") as info:
        ensure_utc("x" * 10_000_000)  # type: ignore[arg-type]
    assert len(str(info.value)) < 200
