"""Tests of :class:`AfterSalesPolicy` as data: defaults and their sources, validation, windows
exact at the second in three zones and across DST, freight, compensation bounds, fees."""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.aftersales import (
    DEFAULT_COMPENSATION_BOUNDS,
    DEFAULT_REMEDIES,
    AfterSalesPolicy,
    CaseTimeouts,
    CompensationBound,
    CompensationTier,
    EvidenceKind,
    GoodsClass,
    ItemTraits,
    Liability,
    ProblemKind,
    RemedyKind,
    WindowCounting,
    day_start,
    window_end,
)
from ecservice.errors import CurrencyMismatch, NaiveDatetime, ValidationError
from ecservice.money import Money
from tests.strategies import aware_datetimes, zones

HOUR = _dt.timedelta(hours=1)
DAY = _dt.timedelta(days=1)
SECOND = _dt.timedelta(seconds=1)
MICRO = _dt.timedelta(microseconds=1)

# A citation: an article of a law, or a named set of rules.
_SOURCE = re.compile(r"art\. \d+|rules|规定|规范|办法|Taobao|practice", re.IGNORECASE)


def _args_section(doc: str) -> dict[str, str]:
    """The ``Args:`` entries of a Google-style docstring: name -> its text."""
    entries: dict[str, str] = {}
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Args:")
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip())
    name = ""
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth < indent:
            break
        if depth == indent:
            name, _, text = line.strip().partition(":")
            entries[name] = text
        else:
            entries[name] += " " + line.strip()
    return entries


# --- defaults and their sources ------------------------------------------------------------------


def test_defaults_follow_the_law_and_platform_practice() -> None:
    """7 days no-reason, 7/15 days for quality, a year's warranty, two repairs, no fee, the buyer
    pays return freight, Shanghai time, Taobao's timeouts."""
    policy = AfterSalesPolicy()
    assert policy.zone == "Asia/Shanghai"
    assert policy.timeouts == CaseTimeouts()
    assert (policy.no_reason_days, policy.quality_return_days, policy.quality_exchange_days) == (
        7,
        7,
        15,
    )
    assert (policy.default_warranty_days, policy.repairs_before_replacement) == (365, 2)
    assert policy.counting is WindowCounting.CALENDAR_DAYS
    assert policy.restocking_fee == Decimal(0)
    assert policy.seller_pays_return_freight is False
    assert policy.quality_problems == {ProblemKind.QUALITY, ProblemKind.DEFECT}
    assert dict(policy.remedies) == dict(DEFAULT_REMEDIES)
    assert policy.evidence[ProblemKind.QUALITY] == {EvidenceKind.PHOTO}
    assert policy.evidence[ProblemKind.NO_REASON_RETURN] == frozenset()


@pytest.mark.parametrize("cls", [AfterSalesPolicy, ItemTraits, CaseTimeouts])
def test_every_field_with_a_default_cites_its_source(cls: type) -> None:
    """Each field's entry in the class docstring names the article or rules its default follows."""
    entries = _args_section(cls.__doc__ or "")
    for field in attrs.fields(cls):
        if field.default is attrs.NOTHING:
            continue
        assert field.name in entries, f"{cls.__name__}.{field.name} is not documented"
        text = entries[field.name] if cls is not CaseTimeouts else cls.__doc__ or ""
        if cls is ItemTraits and field.name == "warranty_days":
            continue  # its default is "the policy's", whose entry cites the 三包 rules
        assert _SOURCE.search(text), f"{cls.__name__}.{field.name} cites no source: {text!r}"


def test_every_problem_has_a_remedy_set_a_liability_and_evidence() -> None:
    """The defaults cover every problem kind, and the policy's maps are complete."""
    policy = AfterSalesPolicy()
    assert set(policy.remedies) == set(ProblemKind)
    assert set(policy.liability) == set(ProblemKind)
    assert set(policy.evidence) == set(ProblemKind)
    assert set(policy.compensation_bounds) == set(CompensationTier)


def test_policies_are_values() -> None:
    """Equal configurations are equal and hash alike, so a policy can key a cache."""
    a = AfterSalesPolicy(remedies={ProblemKind.SIZE: {RemedyKind.EXCHANGE}})
    b = AfterSalesPolicy(remedies={ProblemKind.SIZE: [RemedyKind.EXCHANGE]})
    assert a == b
    assert hash(a) == hash(b)
    assert a != AfterSalesPolicy()


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("no_reason_days", 0, "no_reason_days"),
        ("no_reason_days", True, "no_reason_days"),
        ("no_reason_days", "7", "no_reason_days"),
        ("no_reason_days", 366, "no_reason_days"),
        ("quality_return_days", 1.5, "quality_return_days"),
        ("default_warranty_days", 0, "default_warranty_days"),
        ("repairs_before_replacement", 11, "repairs_before_replacement"),
        ("zone", "Mars/Base", "zone"),
        ("zone", "+08:00", "zone"),
        ("timeouts", {"seller_answer_shipped": 1}, "timeouts"),
        ("counting", "calendar_days", "counting"),
        ("restocking_fee", 0.5, "restocking_fee"),
        ("restocking_fee", -1, "restocking_fee"),
        ("restocking_fee", Decimal("100.01"), "restocking_fee"),
        ("restocking_fee", "abc", "restocking_fee"),
        ("seller_pays_return_freight", 1, "seller_pays_return_freight"),
        ("quality_problems", "quality", "quality_problems"),
        ("quality_problems", [RemedyKind.REPAIR], "quality_problems"),
        ("remedies", {"quality": {RemedyKind.REPAIR}}, "remedies"),
        ("remedies", {ProblemKind.QUALITY: "repair"}, "remedies"),
        ("remedies", {ProblemKind.QUALITY: {ProblemKind.QUALITY}}, "remedies"),
        ("remedies", [(ProblemKind.QUALITY, {RemedyKind.REPAIR})], "remedies"),
        ("liability", {ProblemKind.SIZE: "buyer"}, "liability"),
        ("evidence", {ProblemKind.SIZE: {"photo"}}, "evidence"),
        ("compensation_bounds", {CompensationTier.SAME_CITY: Money("5", "CNY")}, "compensation"),
    ],
)
def test_bad_configuration_is_refused_with_the_field_named(
    field: str, value: Any, match: str
) -> None:
    """A wrong type or an out-of-range value raises ValidationError naming the field."""
    with pytest.raises(ValidationError, match=match):
        AfterSalesPolicy(**{field: value})


def test_exchange_window_may_not_be_shorter_than_return_window() -> None:
    """Whoever may return goods may also exchange them."""
    with pytest.raises(ValidationError, match="quality_exchange_days"):
        AfterSalesPolicy(quality_return_days=10, quality_exchange_days=9)


def test_compensation_bounds_must_share_one_currency() -> None:
    """A tier in USD beside tiers in CNY is refused."""
    usd = CompensationBound(minimum=Money("1", "USD"), maximum=Money("2", "USD"))
    with pytest.raises(CurrencyMismatch):
        AfterSalesPolicy(compensation_bounds={CompensationTier.SAME_CITY: usd})


def test_maps_replace_only_the_keys_they_name() -> None:
    """Naming one problem keeps the defaults of the others; an empty set allows no remedy."""
    policy = AfterSalesPolicy(
        remedies={
            ProblemKind.NO_REASON_RETURN: {RemedyKind.RETURN_AND_REFUND, RemedyKind.EXCHANGE},
            ProblemKind.BEYOND_SEVEN_DAYS: set(),
        },
        liability={ProblemKind.SIZE: Liability.BUYER},
    )
    assert policy.allows(ProblemKind.NO_REASON_RETURN, RemedyKind.EXCHANGE)
    assert not policy.allows(ProblemKind.BEYOND_SEVEN_DAYS, RemedyKind.RETURN_AND_REFUND)
    assert policy.remedies[ProblemKind.QUALITY] == DEFAULT_REMEDIES[ProblemKind.QUALITY]
    assert policy.liability[ProblemKind.SIZE] is Liability.BUYER
    assert policy.liability[ProblemKind.COLOUR_DIFFERENCE] is Liability.SELLER


def test_the_policy_maps_cannot_be_changed_in_place() -> None:
    """The maps are read-only views: a policy never changes after it is made."""
    policy = AfterSalesPolicy()
    with pytest.raises(TypeError):
        policy.remedies[ProblemKind.QUALITY] = frozenset()  # type: ignore[index]


# --- windows at the second, in three zones -------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "signed", "end_local", "length"),
    [
        # China: no DST; signed 11 November, the window is 12-18 November.
        ("Asia/Shanghai", (2026, 11, 11, 15, 20, 7), "2026-11-19T00:00:00+08:00", 7 * DAY),
        # Berlin: no change inside the window (May).
        ("Europe/Berlin", (2026, 5, 4, 9, 0, 0), "2026-05-12T00:00:00+02:00", 7 * DAY),
        # Berlin, fall back on 25 October 2026: signed in CEST, the window ends in CET, 1 h longer.
        ("Europe/Berlin", (2026, 10, 20, 10, 0, 0), "2026-10-28T00:00:00+01:00", 7 * DAY + HOUR),
        # New York, spring forward on 8 March 2026: signed in EST, ends in EDT, 1 h shorter.
        ("America/New_York", (2026, 3, 5, 12, 0, 0), "2026-03-13T00:00:00-04:00", 7 * DAY - HOUR),
        # New York, fall back on 1 November 2026.
        (
            "America/New_York",
            (2026, 10, 30, 23, 59, 59),
            "2026-11-07T00:00:00-05:00",
            7 * DAY + HOUR,
        ),
    ],
    ids=[
        "shanghai",
        "berlin-summer",
        "berlin-fall-back",
        "new-york-spring-forward",
        "ny-fall-back",
    ],
)
def test_no_reason_window_ends_at_local_midnight_after_the_seventh_day(
    zone: str, signed: tuple[int, int, int, int, int, int], end_local: str, length: _dt.timedelta
) -> None:
    """The window opens at the local midnight after sign-for and ends 7 calendar days later at
    local midnight, whatever the DST changes in between (their hour is added or lost)."""
    policy = AfterSalesPolicy(zone=zone)
    signed_at = pendulum.datetime(*signed, tz=zone)
    end = policy.no_reason_window_end(signed_at)
    assert end.utcoffset() == _dt.timedelta(0)
    assert end.in_tz(zone).isoformat() == end_local
    start = day_start(signed_at.date() + DAY, zone)
    assert end - start == length


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York"])
def test_sign_for_one_second_before_midnight_gains_a_day(zone: str) -> None:
    """Signed at 23:59:59 the window ends one local day earlier than signed at 00:00:00 the next
    second: the day of sign-for never counts."""
    policy = AfterSalesPolicy(zone=zone)
    late = pendulum.datetime(2026, 3, 27, 23, 59, 59, tz=zone)
    early = late + SECOND
    assert policy.no_reason_window_end(late).in_tz(zone).date() == _dt.date(2026, 4, 4)
    assert policy.no_reason_window_end(early).in_tz(zone).date() == _dt.date(2026, 4, 5)


def test_the_days_are_counted_in_the_shop_zone_not_utc() -> None:
    """Signed at 01:00 Shanghai time (the previous day in UTC), the Shanghai date counts."""
    policy = AfterSalesPolicy()
    signed = pendulum.datetime(2026, 11, 10, 17, 0, tz="UTC")  # 11 November 01:00 in Shanghai
    assert policy.no_reason_window_end(signed).isoformat() == "2026-11-18T16:00:00+00:00"
    berlin = AfterSalesPolicy(zone="Europe/Berlin")
    assert berlin.no_reason_window_end(signed).isoformat() == "2026-11-17T23:00:00+00:00"


def test_elapsed_counting_is_168_hours_from_the_first_midnight() -> None:
    """Taobao's counting: across spring forward it ends an hour later on the wall clock than
    calendar days; in Shanghai both agree."""
    ny = AfterSalesPolicy(zone="America/New_York", counting=WindowCounting.ELAPSED_DAYS)
    signed = pendulum.datetime(2026, 3, 5, 12, 0, tz="America/New_York")
    start = day_start(_dt.date(2026, 3, 6), "America/New_York")
    assert ny.no_reason_window_end(signed) - start == 7 * DAY
    assert ny.no_reason_window_end(signed).in_tz(ny.zone).isoformat() == (
        "2026-03-13T01:00:00-04:00"
    )
    cn_elapsed = AfterSalesPolicy(counting=WindowCounting.ELAPSED_DAYS)
    cn = AfterSalesPolicy()
    signed_cn = pendulum.datetime(2026, 11, 11, 8, 0, tz="Asia/Shanghai")
    assert cn_elapsed.no_reason_window_end(signed_cn) == cn.no_reason_window_end(signed_cn)


def test_a_day_whose_midnight_does_not_exist_starts_at_the_end_of_the_gap() -> None:
    """Chile springs forward at midnight (6 September 2026): that day starts at 01:00 -03."""
    start = day_start(_dt.date(2026, 9, 6), "America/Santiago")
    assert start.in_tz("America/Santiago").isoformat() == "2026-09-06T01:00:00-03:00"
    assert start.isoformat() == "2026-09-06T04:00:00+00:00"


def test_windows_refuse_naive_and_overflowing_times() -> None:
    """A naive sign-for time raises NaiveDatetime; an end past year 9999 ValidationError."""
    policy = AfterSalesPolicy()
    with pytest.raises(NaiveDatetime):
        policy.no_reason_window_end(_dt.datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="9999"):
        window_end(pendulum.datetime(9999, 12, 30, tz="UTC"), 7, "Asia/Shanghai")
    with pytest.raises(ValidationError, match="days"):
        policy.window_end(pendulum.datetime(2026, 1, 1, tz="UTC"), 0)


# Zones whose DST changes happen at midnight, so that some days have no 00:00 or two of them.
_MIDNIGHT_DST = ("America/Santiago", "America/Havana", "America/Asuncion", "Asia/Beirut")


@settings(max_examples=200, deadline=None)
@given(
    signed=aware_datetimes(),
    zone=zones() | st.sampled_from(_MIDNIGHT_DST),
    days=st.integers(1, 60),
    elapsed=st.booleans(),
)
def test_window_end_is_a_local_midnight_days_after_the_next_day(
    signed: pendulum.DateTime, zone: str, days: int, elapsed: bool
) -> None:
    """In every zone, also where DST changes at midnight: calendar windows end at the first
    instant of the local date ``days + 1`` after the local sign-for date, within an hour of
    ``days`` x 24 hours after the first midnight; elapsed windows end exactly ``days`` x 24 hours
    after it."""
    counting = WindowCounting.ELAPSED_DAYS if elapsed else WindowCounting.CALENDAR_DAYS
    local_date = signed.in_tz(zone).date()
    end = window_end(signed, days, zone, counting)
    start = day_start(local_date + DAY, zone)
    assert end > signed
    if elapsed:
        assert end - start == days * DAY
    else:
        assert end.in_tz(zone).date() == local_date + (days + 1) * DAY
        assert (end - MICRO).in_tz(zone).date() == local_date + days * DAY
        assert abs((end - start) - days * DAY) <= HOUR


# --- freight, bounds, fees -----------------------------------------------------------------------


def test_the_buyer_pays_no_reason_return_freight_unless_insured_or_agreed() -> None:
    """CPL art. 25 para. 3: the buyer pays; insurance reimburses; an agreement shifts it."""
    policy = AfterSalesPolicy()
    plain = policy.return_freight_payer(ProblemKind.NO_REASON_RETURN)
    assert (plain.payer, plain.insured, plain.buyer_pays) == (Liability.BUYER, False, True)
    assert "art. 25" in plain.reason
    insured = policy.return_freight_payer(ProblemKind.NO_REASON_RETURN, insured=True)
    assert (insured.payer, insured.buyer_pays) == (Liability.BUYER, False)
    agreed = AfterSalesPolicy(seller_pays_return_freight=True)
    assert agreed.return_freight_payer(ProblemKind.SIZE).payer is Liability.SELLER
    assert agreed.return_freight_payer(ProblemKind.NO_REASON_RETURN).payer is Liability.SELLER


@pytest.mark.parametrize(
    "problem",
    [
        ProblemKind.QUALITY,
        ProblemKind.WRONG_ITEM,
        ProblemKind.MISLEADING_SALES,
        ProblemKind.LOST_PARCEL,
    ],
)
def test_the_seller_pays_freight_for_what_it_is_liable_for(problem: ProblemKind) -> None:
    """Quality problems, wrong items, misleading sales and the carrier's faults: the seller
    pays (CPL art. 24; E-Commerce Law art. 20), insured or not."""
    freight = AfterSalesPolicy().return_freight_payer(problem, insured=True)
    assert freight.payer is Liability.SELLER
    assert not freight.buyer_pays


def test_return_freight_payer_refuses_bad_arguments() -> None:
    """A problem that is not a ProblemKind, or insured that is not a bool, is refused."""
    policy = AfterSalesPolicy()
    with pytest.raises(ValidationError, match="problem"):
        policy.return_freight_payer("quality")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="insured"):
        policy.return_freight_payer(ProblemKind.QUALITY, insured=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tier", "low", "high"),
    [
        (CompensationTier.SAME_CITY, "0.00", "10.00"),
        (CompensationTier.OTHER_PROVINCE, "10.00", "15.00"),
        (CompensationTier.HIGH_VALUE, "20.00", "50.00"),
    ],
)
def test_default_compensation_bounds(tier: CompensationTier, low: str, high: str) -> None:
    """Same city up to 10 CNY, another province 10-15 CNY, high-value goods 20-50 CNY."""
    bound = AfterSalesPolicy().compensation_bound(tier)
    assert bound == DEFAULT_COMPENSATION_BOUNDS[tier]
    assert (bound.minimum, bound.maximum) == (Money(low, "CNY"), Money(high, "CNY"))
    assert bound.admits(Money(high, "CNY"))
    assert not bound.admits(Money(high, "CNY") + Money("0.01", "CNY"))


def test_a_shop_can_raise_one_tier() -> None:
    """Overriding one tier keeps the others."""
    policy = AfterSalesPolicy(
        compensation_bounds={
            CompensationTier.HIGH_VALUE: CompensationBound(
                minimum=Money("30", "CNY"), maximum=Money("80", "CNY")
            )
        }
    )
    assert policy.compensation_bound(CompensationTier.HIGH_VALUE).maximum == Money("80", "CNY")
    assert policy.compensation_bound(CompensationTier.SAME_CITY).maximum == Money("10", "CNY")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"minimum": Money("5", "CNY"), "maximum": Money("4", "CNY")}, ValidationError),
        ({"minimum": Money("-1", "CNY"), "maximum": Money("4", "CNY")}, ValidationError),
        ({"minimum": Money("1", "CNY"), "maximum": Money("4", "USD")}, CurrencyMismatch),
        ({"minimum": Decimal(1), "maximum": Money("4", "CNY")}, ValidationError),
    ],
)
def test_compensation_bound_is_checked(kwargs: dict[str, Any], error: type[Exception]) -> None:
    """A maximum below the minimum, a negative amount, mixed currencies, a non-Money."""
    with pytest.raises(error):
        CompensationBound(**kwargs)


def test_restocking_fee_never_applies_to_no_reason_returns() -> None:
    """CPL art. 25 para. 3: the price paid comes back in full; only the freight is the
    buyer's. The fee applies to returns for the buyer's other causes, rounded down."""
    policy = AfterSalesPolicy(restocking_fee=Decimal("15"))
    value = Money("100.00", "CNY")
    ret = RemedyKind.RETURN_AND_REFUND
    assert policy.restocking_fee_for(ProblemKind.NO_REASON_RETURN, ret, value).is_zero()
    assert policy.restocking_fee_for(ProblemKind.QUALITY, ret, value).is_zero()
    assert policy.restocking_fee_for(ProblemKind.BEYOND_SEVEN_DAYS, ret, value) == Money(
        "15.00", "CNY"
    )
    assert policy.restocking_fee_for(
        ProblemKind.BEYOND_SEVEN_DAYS, RemedyKind.EXCHANGE, value
    ).is_zero()
    # 15 % of 0.99 is 0.1485: the buyer keeps the fraction.
    assert policy.restocking_fee_for(
        ProblemKind.BEYOND_SEVEN_DAYS, ret, Money("0.99", "CNY")
    ) == Money("0.14", "CNY")
    assert (
        AfterSalesPolicy().restocking_fee_for(ProblemKind.BEYOND_SEVEN_DAYS, ret, value).is_zero()
    )


def test_restocking_fee_refuses_negative_values() -> None:
    """A negative value is bad input."""
    with pytest.raises(ValidationError, match="negative"):
        AfterSalesPolicy().restocking_fee_for(
            ProblemKind.SIZE, RemedyKind.RETURN_AND_REFUND, Money("-1", "CNY")
        )


# --- item traits ---------------------------------------------------------------------------------


def test_audio_video_is_excluded_only_once_unsealed() -> None:
    """CPL art. 25 para. 1 (3): sealed discs return like anything else."""
    sealed = ItemTraits(classes={GoodsClass.AUDIO_VIDEO_SOFTWARE})
    assert sealed.outright_exclusions == frozenset()
    opened = attrs.evolve(sealed, seal_broken=True)
    assert opened.outright_exclusions == {GoodsClass.AUDIO_VIDEO_SOFTWARE}


def test_confirmable_classes_exclude_only_with_the_buyers_confirmation() -> None:
    """CPL art. 25 para. 2: without the confirmation at purchase the exclusion does not hold."""
    traits = ItemTraits(classes={GoodsClass.VALUE_DROPS_ON_ACTIVATION, GoodsClass.PERISHABLE})
    assert traits.confirmed_exclusions == frozenset()
    assert traits.unconfirmed_exclusions == {GoodsClass.VALUE_DROPS_ON_ACTIVATION}
    assert traits.outright_exclusions == {GoodsClass.PERISHABLE}
    confirmed = attrs.evolve(traits, confirmed_at_purchase=True)
    assert confirmed.confirmed_exclusions == {GoodsClass.VALUE_DROPS_ON_ACTIVATION}


def test_a_broken_seal_spoils_only_goods_sealed_for_safety_or_health() -> None:
    """Opening a jacket's bag is inspection; opening a sealed cosmetic makes it not intact."""
    assert not ItemTraits(seal_broken=True).seal_spoils
    cream = ItemTraits(classes={GoodsClass.SAFETY_HEALTH_WHEN_UNSEALED}, seal_broken=True)
    assert cream.seal_spoils


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"classes": "perishable"}, "classes"),
        ({"classes": {"perishable"}}, "classes"),
        ({"confirmed_at_purchase": "yes"}, "confirmed_at_purchase"),
        ({"seal_broken": None}, "seal_broken"),
        ({"intact": 0}, "intact"),
        ({"warranty_days": 0}, "warranty_days"),
        ({"warranty_days": 10**6}, "warranty_days"),
    ],
)
def test_item_traits_are_checked(kwargs: dict[str, Any], match: str) -> None:
    """Wrong types and out-of-range warranties raise ValidationError naming the field."""
    with pytest.raises(ValidationError, match=match):
        ItemTraits(**kwargs)


def test_warranty_days_come_from_the_traits_or_the_policy() -> None:
    """Per SKU when the traits give it, the policy's default otherwise."""
    policy = AfterSalesPolicy(default_warranty_days=180)
    assert policy.warranty_days() == 180
    assert policy.warranty_days(ItemTraits()) == 180
    assert policy.warranty_days(ItemTraits(warranty_days=730)) == 730
    with pytest.raises(ValidationError, match="traits"):
        policy.warranty_days("730")  # type: ignore[arg-type]
