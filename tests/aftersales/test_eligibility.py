"""Tests of :meth:`AfterSalesPolicy.eligible`: every refusal names its rule and the exact instant
or amount; windows exact at the boundary second in three zones; quantities; bad input raises."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.aftersales import (
    AfterSalesPolicy,
    CompensationTier,
    Deadline,
    Eligibility,
    EvidenceKind,
    GoodsClass,
    ItemTraits,
    Liability,
    NotEligible,
    ProblemKind,
    Refusal,
    RemedyKind,
    Rule,
)
from ecservice.errors import (
    CurrencyMismatch,
    InvalidAmount,
    InvalidQuantity,
    NaiveDatetime,
    PolicyViolation,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Money
from ecservice.orders import Order
from tests.aftersales import delivered_order
from tests.strategies import aware_datetimes, zones

DAY = _dt.timedelta(days=1)
HOUR = _dt.timedelta(hours=1)
SECOND = _dt.timedelta(seconds=1)
MICRO = _dt.timedelta(microseconds=1)

P = ProblemKind
R = RemedyKind
PHOTO = [EvidenceKind.PHOTO]

SIGNED_CN = pendulum.datetime(2026, 11, 11, 15, 20, tz="Asia/Shanghai")


def _order(signed: _dt.datetime = SIGNED_CN) -> Order:
    return delivered_order([({"JACKET": 1, "FISH": 2}, signed)])


def _state(order: Order) -> dict[str, Any]:
    return attrs.asdict(order, recurse=False)


# --- the examples of the spec --------------------------------------------------------------------


def test_no_reason_return_refused_for_perishable_goods_and_accepted_for_an_opened_jacket() -> None:
    """Within the window, fish is excluded outright (CPL art. 25 para. 1); a jacket whose bag was
    opened to look at it is still returned (opening to inspect voids nothing)."""
    policy = AfterSalesPolicy()
    order = _order()
    at = SIGNED_CN + 2 * DAY
    traits = {
        "FISH": ItemTraits(classes={GoodsClass.PERISHABLE}),
        "JACKET": ItemTraits(seal_broken=True),
    }
    fish = policy.eligible(
        order, {"FISH": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, at, traits=traits
    )
    assert not fish.allowed
    assert fish.rules == {Rule.EXCLUDED_OUTRIGHT}
    (refusal,) = fish.refusals
    assert refusal.sku == "FISH"
    assert "perishable" in refusal.message
    assert "art. 25" in refusal.message

    jacket = policy.eligible(
        order, {"JACKET": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, at, traits=traits
    )
    assert jacket.allowed
    assert jacket.refusals == ()
    assert jacket.liability is Liability.BUYER
    assert jacket.deadline(Rule.NO_REASON_WINDOW, "JACKET") == policy.no_reason_window_end(
        SIGNED_CN
    )


def test_the_refusal_message_names_the_instant_the_window_ended() -> None:
    """ "the 7-day no-reason return window for 'JACKET' ended at 2026-11-19T00:00:00+08:00"."""
    policy = AfterSalesPolicy()
    late = pendulum.datetime(2026, 11, 19, 0, 0, tz="Asia/Shanghai")
    result = policy.eligible(_order(), {"JACKET": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, late)
    (refusal,) = result.refusals
    assert refusal.rule is Rule.NO_REASON_WINDOW
    assert (
        "the 7-day no-reason return window for 'JACKET' ended at 2026-11-19T00:00:00+08:00"
        in refusal.message
    )
    assert str(refusal).startswith("[no_reason_window] ")


@pytest.mark.parametrize(
    ("zone", "signed", "end_local"),
    [
        ("Asia/Shanghai", (2026, 11, 11, 15, 20, 7), "2026-11-19T00:00:00+08:00"),
        # Berlin, across fall back (25 October): the window is an hour longer.
        ("Europe/Berlin", (2026, 10, 20, 10, 0, 0), "2026-10-28T00:00:00+01:00"),
        # New York, across spring forward (8 March): an hour shorter.
        ("America/New_York", (2026, 3, 5, 12, 0, 0), "2026-03-13T00:00:00-04:00"),
    ],
    ids=["shanghai", "berlin-fall-back", "new-york-spring-forward"],
)
def test_the_window_is_exact_at_the_boundary_second(
    zone: str, signed: tuple[int, int, int, int, int, int], end_local: str
) -> None:
    """One second (and one microsecond) before the end the return is allowed; at the end it is
    refused, and the message gives the end in the shop's zone."""
    policy = AfterSalesPolicy(zone=zone)
    signed_at = pendulum.datetime(*signed, tz=zone)
    order = _order(signed_at)
    end = pendulum.parse(end_local)
    assert isinstance(end, pendulum.DateTime)

    def ask(at: _dt.datetime) -> Eligibility:
        return policy.eligible(order, {"JACKET": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, at)

    assert ask(end - SECOND).allowed
    assert ask(end - MICRO).allowed
    refused = ask(end)
    assert refused.rules == {Rule.NO_REASON_WINDOW}
    assert end_local in refused.refusals[0].message
    assert ask(end.in_tz("Asia/Tokyo")).rules == {Rule.NO_REASON_WINDOW}
    assert refused.deadline(Rule.NO_REASON_WINDOW, "JACKET") == end


def test_elapsed_counting_moves_the_boundary_across_spring_forward() -> None:
    """Counted as 168 hours (Taobao), the New York window spanning spring forward ends at
    01:00 EDT instead of midnight: a request at 00:30 is in time."""
    signed = pendulum.datetime(2026, 3, 5, 12, 0, tz="America/New_York")
    order = _order(signed)
    at = pendulum.datetime(2026, 3, 13, 0, 30, tz="America/New_York")
    calendar = AfterSalesPolicy(zone="America/New_York")
    from ecservice.aftersales import WindowCounting

    elapsed = attrs.evolve(calendar, counting=WindowCounting.ELAPSED_DAYS)
    ask = (order, {"JACKET": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, at)
    assert not calendar.eligible(*ask).allowed
    assert elapsed.eligible(*ask).allowed


# --- exclusions and intactness -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traits", "rules"),
    [
        (ItemTraits(), set()),
        (ItemTraits(classes={GoodsClass.MADE_TO_ORDER}), {Rule.EXCLUDED_OUTRIGHT}),
        (ItemTraits(classes={GoodsClass.DIGITAL_DOWNLOAD}), {Rule.EXCLUDED_OUTRIGHT}),
        (ItemTraits(classes={GoodsClass.NEWSPAPER_PERIODICAL}), {Rule.EXCLUDED_OUTRIGHT}),
        (ItemTraits(classes={GoodsClass.AUDIO_VIDEO_SOFTWARE}), set()),
        (
            ItemTraits(classes={GoodsClass.AUDIO_VIDEO_SOFTWARE}, seal_broken=True),
            {Rule.EXCLUDED_OUTRIGHT},
        ),
        (ItemTraits(classes={GoodsClass.VALUE_DROPS_ON_ACTIVATION}), set()),
        (
            ItemTraits(classes={GoodsClass.VALUE_DROPS_ON_ACTIVATION}, confirmed_at_purchase=True),
            {Rule.EXCLUDED_CONFIRMED},
        ),
        (
            ItemTraits(classes={GoodsClass.NEAR_EXPIRY_OR_FLAWED}, confirmed_at_purchase=True),
            {Rule.EXCLUDED_CONFIRMED},
        ),
        (ItemTraits(classes={GoodsClass.SAFETY_HEALTH_WHEN_UNSEALED}), set()),
        (
            ItemTraits(classes={GoodsClass.SAFETY_HEALTH_WHEN_UNSEALED}, seal_broken=True),
            {Rule.NOT_INTACT},
        ),
        (ItemTraits(seal_broken=True), set()),
        (ItemTraits(intact=False), {Rule.NOT_INTACT}),
        (
            ItemTraits(classes={GoodsClass.PERISHABLE}, intact=False),
            {Rule.EXCLUDED_OUTRIGHT, Rule.NOT_INTACT},
        ),
    ],
)
def test_exclusions_and_intactness(traits: ItemTraits, rules: set[Rule]) -> None:
    """Outright exclusions refuse whatever was confirmed; confirmable ones only with the
    buyer's confirmation; goods must be intact; a broken seal alone spoils only goods sealed for
    safety or health."""
    result = AfterSalesPolicy().eligible(
        _order(),
        {"JACKET": 1},
        R.RETURN_AND_REFUND,
        P.NO_REASON_RETURN,
        SIGNED_CN + DAY,
        traits={"JACKET": traits},
    )
    assert result.rules == rules


def test_exclusions_do_not_touch_quality_problems() -> None:
    """A perishable item that arrives spoilt is the seller's quality problem, not a no-reason
    return: it is returned within the quality window with a photo."""
    result = AfterSalesPolicy().eligible(
        _order(),
        {"FISH": 2},
        R.RETURN_AND_REFUND,
        P.QUALITY,
        SIGNED_CN + DAY,
        traits={"FISH": ItemTraits(classes={GoodsClass.PERISHABLE}, intact=False)},
        evidence=PHOTO,
    )
    assert result.allowed
    assert result.liability is Liability.SELLER


# --- quantities ----------------------------------------------------------------------------------


def test_returns_are_bounded_by_what_was_signed_for() -> None:
    """A parcel still travelling cannot be returned; one of two signed-for units can."""
    signed = SIGNED_CN
    order = delivered_order([({"FISH": 1}, signed), ({"FISH": 1, "JACKET": 1}, None)])
    policy = AfterSalesPolicy()
    at = signed + DAY
    result = policy.eligible(order, {"FISH": 2, "JACKET": 1}, R.EXCHANGE, P.SIZE, at)
    assert result.rules == {Rule.QUANTITY_ABOVE_DELIVERED}
    messages = {r.sku: r.message for r in result.refusals}
    assert "2 units of 'FISH' asked for exchange, but 1 was delivered by" in messages["FISH"]
    assert "but 0 were delivered" in messages["JACKET"]
    assert policy.eligible(order, {"FISH": 1}, R.EXCHANGE, P.SIZE, at).allowed
    # Before the sign-for instant nothing was delivered yet.
    early = policy.eligible(order, {"FISH": 1}, R.EXCHANGE, P.SIZE, signed - SECOND)
    assert early.rules == {Rule.QUANTITY_ABOVE_DELIVERED}


def test_reships_are_bounded_by_what_was_shipped() -> None:
    """A lost parcel's units can be reshipped, no more."""
    order = delivered_order([({"FISH": 1}, None)])
    policy = AfterSalesPolicy()
    at = order.shipments[0].shipped_at + DAY
    assert policy.eligible(order, {"FISH": 1}, R.RESHIP, P.LOST_PARCEL, at).allowed
    over = policy.eligible(order, {"FISH": 2}, R.RESHIP, P.LOST_PARCEL, at)
    assert over.rules == {Rule.QUANTITY_ABOVE_SHIPPED}
    assert over.liability is Liability.CARRIER


def test_refunds_before_shipment_are_bounded_by_the_unshipped_units() -> None:
    """Refund only before shipment covers units not shipped; other refunds all units not
    cancelled."""
    order = delivered_order([({"FISH": 1}, None)])
    policy = AfterSalesPolicy()
    at = order.shipments[0].shipped_at
    before = (R.REFUND_ONLY, P.REFUND_BEFORE_SHIPMENT, at)
    assert policy.eligible(order, {"FISH": 1, "JACKET": 1}, *before).allowed
    refused = policy.eligible(order, {"FISH": 2}, *before)
    assert refused.rules == {Rule.QUANTITY_ABOVE_UNSHIPPED}
    assert policy.eligible(order, {"FISH": 2}, R.REFUND_ONLY, P.LATE_DELIVERY, at).allowed
    over = policy.eligible(order, {"FISH": 3}, R.REFUND_ONLY, P.LATE_DELIVERY, at)
    assert over.rules == {Rule.QUANTITY_ABOVE_ORDERED}


def test_units_claimed_by_other_cases_are_not_available_again() -> None:
    """With one of the two fish already in another case, only one more can be claimed."""
    policy = AfterSalesPolicy()
    order = _order()
    ask = (order, {"FISH": 2}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, SIGNED_CN + DAY)
    assert policy.eligible(*ask).allowed
    result = policy.eligible(*ask, claimed={"FISH": 1})
    assert result.rules == {Rule.QUANTITY_ABOVE_DELIVERED}
    assert "1 of them already claimed by other cases" in result.refusals[0].message
    assert policy.eligible(
        order, {"FISH": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, SIGNED_CN, claimed={"FISH": 1}
    ).allowed


def test_each_parcel_has_its_own_window() -> None:
    """Two parcels of fish signed for three days apart: after the first window ends only the
    second parcel's unit is within its window."""
    first = SIGNED_CN
    second = SIGNED_CN + 3 * DAY
    order = delivered_order([({"FISH": 1}, first), ({"FISH": 1}, second)])
    policy = AfterSalesPolicy()
    at = policy.no_reason_window_end(first)
    both = policy.eligible(order, {"FISH": 2}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, at)
    assert both.rules == {Rule.NO_REASON_WINDOW}
    assert "1 of the 2 units asked are within it" in both.refusals[0].message
    one = policy.eligible(order, {"FISH": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, at)
    assert one.allowed
    assert one.deadline(Rule.NO_REASON_WINDOW, "FISH") == policy.no_reason_window_end(second)


# --- remedies, evidence, quality windows ---------------------------------------------------------


def test_a_remedy_the_problem_does_not_allow_is_refused() -> None:
    """A repair is not a remedy for a no-reason return; the message lists what is allowed."""
    result = AfterSalesPolicy().eligible(
        _order(), {"JACKET": 1}, R.REPAIR, P.NO_REASON_RETURN, SIGNED_CN + DAY
    )
    assert Rule.REMEDY_NOT_ALLOWED in result.rules
    refusal = next(r for r in result.refusals if r.rule is Rule.REMEDY_NOT_ALLOWED)
    assert refusal.message == (
        "the policy allows return_and_refund for no_reason_return, not repair"
    )


@pytest.mark.parametrize(
    "problem",
    [P.QUALITY, P.DEFECT, P.COLOUR_DIFFERENCE, P.NOT_AS_PICTURED, P.WRONG_ITEM],
)
def test_problems_a_photo_shows_need_a_photo(problem: ProblemKind) -> None:
    """Without a photo: EVIDENCE_MISSING; with one (and a chat record besides) allowed."""
    policy = AfterSalesPolicy()
    ask = (_order(), {"JACKET": 1}, R.EXCHANGE, problem, SIGNED_CN + DAY)
    missing = policy.eligible(*ask, evidence=[EvidenceKind.CHAT_RECORD])
    assert missing.rules == {Rule.EVIDENCE_MISSING}
    assert "needs evidence: photo (given: chat_record)" in missing.refusals[0].message
    assert policy.eligible(*ask, evidence=[EvidenceKind.PHOTO, EvidenceKind.CHAT_RECORD]).allowed


@pytest.mark.parametrize(
    ("remedy", "days", "rule"),
    [
        (R.RETURN_AND_REFUND, 7, Rule.QUALITY_RETURN_WINDOW),
        (R.EXCHANGE, 15, Rule.QUALITY_EXCHANGE_WINDOW),
        (R.REPAIR, 365, Rule.WARRANTY),
    ],
)
def test_quality_windows(remedy: RemedyKind, days: int, rule: Rule) -> None:
    """三包: return within 7 days, exchange within 15, repair within the warranty; each exact at
    local midnight after its last day."""
    policy = AfterSalesPolicy()
    end = policy.window_end(SIGNED_CN, days)
    assert end.in_tz("Asia/Shanghai").date() == SIGNED_CN.date() + (days + 1) * DAY
    ask = (_order(), {"JACKET": 1}, remedy, P.QUALITY)
    assert policy.eligible(*ask, end - MICRO, evidence=PHOTO).allowed
    late = policy.eligible(*ask, end, evidence=PHOTO)
    assert late.rules == {rule}
    assert end.in_tz("Asia/Shanghai").isoformat() in late.refusals[0].message
    assert late.deadline(rule, "JACKET") == end


def test_two_failed_repairs_reopen_return_and_exchange_within_the_warranty() -> None:
    """三包 rules art. 11: after two failed repairs, a replacement or a return, as long as the
    warranty runs; after it, nothing."""
    policy = AfterSalesPolicy()
    order = _order()
    months_later = SIGNED_CN + 100 * DAY
    for remedy in (R.RETURN_AND_REFUND, R.EXCHANGE):
        ask = (order, {"JACKET": 1}, remedy, P.QUALITY, months_later)
        assert not policy.eligible(*ask, evidence=PHOTO, failed_repairs=1).allowed
        assert policy.eligible(*ask, evidence=PHOTO, failed_repairs=2).allowed
    warranty_end = policy.window_end(SIGNED_CN, 365)
    after = policy.eligible(
        order, {"JACKET": 1}, R.EXCHANGE, P.QUALITY, warranty_end, evidence=PHOTO, failed_repairs=2
    )
    assert after.rules == {Rule.WARRANTY}


def test_warranty_per_sku_from_the_traits() -> None:
    """A two-year warranty on the jacket keeps repairs open after the default year."""
    policy = AfterSalesPolicy()
    at = SIGNED_CN + 400 * DAY
    ask = (_order(), {"JACKET": 1}, R.REPAIR, P.QUALITY, at)
    assert policy.eligible(*ask, evidence=PHOTO).rules == {Rule.WARRANTY}
    longer = {"JACKET": ItemTraits(warranty_days=730)}
    assert policy.eligible(*ask, evidence=PHOTO, traits=longer).allowed


# --- amounts -------------------------------------------------------------------------------------


def test_compensation_within_and_above_its_tier() -> None:
    """Misleading sales: an apology and compensation up to the tier's bound; 15.01 CNY to
    another province is refused with both amounts named; no tier, no bound."""
    policy = AfterSalesPolicy()
    ask = (_order(), {"JACKET": 1}, R.COMPENSATION, P.MISLEADING_SALES, SIGNED_CN + DAY)
    tier = CompensationTier.OTHER_PROVINCE
    assert policy.eligible(*ask, amount=Money("15.00", "CNY"), tier=tier).allowed
    above = policy.eligible(*ask, amount=Money("15.01", "CNY"), tier=tier)
    assert above.rules == {Rule.COMPENSATION_ABOVE_BOUND}
    assert "15.01 CNY is above the other_province bound of 15.00 CNY" in above.refusals[0].message
    assert policy.eligible(*ask, amount=Money("5", "CNY")).rules == {Rule.COMPENSATION_TIER_MISSING}


def test_an_amount_above_the_lines_value_is_refused() -> None:
    """A refund of more than the lines are worth names both amounts."""
    policy = AfterSalesPolicy()
    ask = (_order(), {"FISH": 1}, R.REFUND_ONLY, P.MISSING_OR_EXTRA, SIGNED_CN + DAY)
    assert policy.eligible(*ask, amount=Money("88.00", "CNY")).allowed
    over = policy.eligible(*ask, amount=Money("88.01", "CNY"))
    assert over.rules == {Rule.AMOUNT_ABOVE_VALUE}
    assert "88.01 CNY asked is above the value of the lines, 88.00 CNY" in over.refusals[0].message


# --- deadlines, errors ---------------------------------------------------------------------------


def test_the_seller_answer_deadline_follows_the_timeouts() -> None:
    """48 hours before shipment, 5 days after (Taobao's refund rules)."""
    policy = AfterSalesPolicy()
    unshipped = delivered_order([({"FISH": 1}, None)], lines={"FISH": ("88.00", 2)})
    at = unshipped.shipments[0].shipped_at
    shipped = policy.eligible(unshipped, {"FISH": 1}, R.REFUND_ONLY, P.LATE_DELIVERY, at)
    assert shipped.deadline(Rule.SELLER_ANSWER) == at + 5 * DAY
    fresh = delivered_order([], lines={"FISH": ("88.00", 2)})
    before = policy.eligible(fresh, {"FISH": 1}, R.REFUND_ONLY, P.REFUND_BEFORE_SHIPMENT, at)
    assert before.allowed
    assert before.deadline(Rule.SELLER_ANSWER) == at + 48 * HOUR
    assert before.deadline(Rule.NO_REASON_WINDOW) is None


def test_require_eligible_raises_not_eligible_with_every_refusal() -> None:
    """The error is a PolicyViolation listing each refusal; the order is unchanged."""
    policy = AfterSalesPolicy()
    order = _order()
    before = _state(order)
    late = SIGNED_CN + 30 * DAY
    with pytest.raises(NotEligible) as info:
        policy.require_eligible(
            order,
            {"JACKET": 1, "FISH": 1},
            R.RETURN_AND_REFUND,
            P.NO_REASON_RETURN,
            late,
            traits={"FISH": ItemTraits(classes={GoodsClass.PERISHABLE})},
        )
    error = info.value
    assert isinstance(error, PolicyViolation)
    assert error.rules == {Rule.NO_REASON_WINDOW, Rule.EXCLUDED_OUTRIGHT}
    text = str(error)
    assert text.startswith("return_and_refund for no_reason_return is not allowed:")
    for refusal in error.refusals:
        assert refusal.message in text
    assert _state(order) == before
    ok = policy.require_eligible(
        order, {"JACKET": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN, SIGNED_CN
    )
    assert ok.allowed


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lines": {"JACKET": 0}}, InvalidQuantity, "JACKET"),
        ({"lines": {}}, InvalidQuantity, "at least one"),
        ({"lines": "JACKET"}, InvalidQuantity, "mapping"),
        ({"lines": {"HAT": 1}}, UnknownLine, "HAT"),
        ({"at": _dt.datetime(2026, 11, 12)}, NaiveDatetime, "at"),
        ({"remedy": "exchange"}, ValidationError, "remedy"),
        ({"problem": "size"}, ValidationError, "problem"),
        ({"traits": {"JACKET": {"intact": False}}}, ValidationError, "traits"),
        ({"traits": [ItemTraits()]}, ValidationError, "traits"),
        ({"evidence": "photo"}, ValidationError, "evidence"),
        ({"evidence": ["photo"]}, ValidationError, "evidence"),
        ({"failed_repairs": -1}, ValidationError, "failed_repairs"),
        ({"failed_repairs": True}, ValidationError, "failed_repairs"),
        ({"claimed": {"JACKET": -1}}, InvalidQuantity, "claimed"),
        ({"claimed": {"HAT": 1}}, UnknownLine, "HAT"),
        ({"amount": Money("0", "CNY")}, InvalidAmount, "more than zero"),
        ({"amount": Money("5", "USD")}, CurrencyMismatch, "USD"),
        ({"amount": 5}, InvalidAmount, "Money"),
        ({"tier": "same_city"}, ValidationError, "tier"),
    ],
)
def test_malformed_requests_raise(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    """Malformed input raises a specific library error naming what was wrong."""
    args: dict[str, Any] = {
        "lines": {"JACKET": 1},
        "remedy": R.EXCHANGE,
        "problem": P.SIZE,
        "at": SIGNED_CN + DAY,
    }
    options = {k: v for k, v in kwargs.items() if k not in args}
    args.update({k: v for k, v in kwargs.items() if k in args})
    with pytest.raises(error, match=match):
        AfterSalesPolicy().eligible(
            _order(), args["lines"], args["remedy"], args["problem"], args["at"], **options
        )


def test_the_order_must_be_an_order() -> None:
    """Anything else is refused before any rule runs."""
    with pytest.raises(ValidationError, match="order"):
        AfterSalesPolicy().eligible(
            "O-1",  # type: ignore[arg-type]
            {"JACKET": 1},
            R.EXCHANGE,
            P.SIZE,
            SIGNED_CN,
        )


def test_values_check_their_fields() -> None:
    """Refusal, Deadline and Eligibility refuse wrong types."""
    with pytest.raises(ValidationError, match="rule"):
        Refusal(rule="no_reason_window", message="x")  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetime):
        Deadline(rule=Rule.WARRANTY, ends_at=_dt.datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="refusals"):
        Eligibility(
            problem=P.SIZE,
            remedy=R.EXCHANGE,
            liability=Liability.BUYER,
            refusals=["no"],  # type: ignore[list-item]
        )


# --- properties ----------------------------------------------------------------------------------

_REMEDIES = st.sampled_from(list(RemedyKind))
_PROBLEMS = st.sampled_from(list(ProblemKind))
_TRAITS = st.builds(
    ItemTraits,
    classes=st.frozensets(st.sampled_from(list(GoodsClass)), max_size=2),
    confirmed_at_purchase=st.booleans(),
    seal_broken=st.booleans(),
    intact=st.booleans(),
    warranty_days=st.none() | st.integers(1, 800),
)


@settings(max_examples=60, deadline=None)
@given(
    zone=zones(),
    signed=aware_datetimes(),
    first=st.integers(0, 20 * 24 * 3600),
    gap=st.integers(0, 20 * 24 * 3600),
    traits=_TRAITS,
    remedy=st.sampled_from([R.RETURN_AND_REFUND, R.EXCHANGE, R.REPAIR]),
    problem=st.sampled_from([P.NO_REASON_RETURN, P.QUALITY, P.SIZE]),
)
def test_eligibility_is_monotone_in_time_once_delivered(
    zone: str,
    signed: pendulum.DateTime,
    first: int,
    gap: int,
    traits: ItemTraits,
    remedy: RemedyKind,
    problem: ProblemKind,
) -> None:
    """Once the goods were signed for, a request refused at t1 is refused at every later t2, and
    the rules refusing at t1 still refuse at t2: windows only close."""
    policy = AfterSalesPolicy(zone=zone)
    order = _order(signed)
    t1 = signed + _dt.timedelta(seconds=first)
    t2 = t1 + _dt.timedelta(seconds=gap)
    ask = (order, {"JACKET": 1}, remedy, problem)
    earlier = policy.eligible(*ask, t1, traits={"JACKET": traits}, evidence=PHOTO)
    later = policy.eligible(*ask, t2, traits={"JACKET": traits}, evidence=PHOTO)
    assert earlier.rules <= later.rules
    if later.allowed:
        assert earlier.allowed


@settings(max_examples=60, deadline=None)
@given(zone=zones(), signed=aware_datetimes())
def test_the_no_reason_window_boundary_in_any_zone(zone: str, signed: pendulum.DateTime) -> None:
    """For ordinary goods in any zone: allowed one microsecond before the window's end,
    refused by the window rule alone from the end on."""
    policy = AfterSalesPolicy(zone=zone)
    order = _order(signed)
    end = policy.no_reason_window_end(signed)
    ask = (order, {"JACKET": 1}, R.RETURN_AND_REFUND, P.NO_REASON_RETURN)
    assert policy.eligible(*ask, end - MICRO).allowed
    assert policy.eligible(*ask, end).rules == {Rule.NO_REASON_WINDOW}


@settings(max_examples=120, deadline=None)
@given(
    remedy=_REMEDIES,
    problem=_PROBLEMS,
    jacket=st.integers(1, 3),
    fish=st.integers(0, 3),
    days=st.integers(-3, 40),
    traits=_TRAITS,
    evidence=st.frozensets(st.sampled_from(list(EvidenceKind))),
    failed=st.integers(0, 3),
    amount=st.none() | st.integers(1, 100_000),
    tier=st.none() | st.sampled_from(list(CompensationTier)),
    delivered=st.booleans(),
)
def test_every_answer_explains_itself(
    remedy: RemedyKind,
    problem: ProblemKind,
    jacket: int,
    fish: int,
    days: int,
    traits: ItemTraits,
    evidence: frozenset[EvidenceKind],
    failed: int,
    amount: int | None,
    tier: CompensationTier | None,
    delivered: bool,
) -> None:
    """Whatever the request: it is refused exactly when some refusal names a rule and says
    why; raise_if_refused raises exactly then, with those refusals; a quantity above what the
    order holds is always refused; the order is never changed; a seller answer deadline comes
    with every answer."""
    order = delivered_order([({"JACKET": 1, "FISH": 2}, SIGNED_CN if delivered else None)])
    before = _state(order)
    lines = {"JACKET": jacket, **({"FISH": fish} if fish else {})}
    result = AfterSalesPolicy().eligible(
        order,
        lines,
        remedy,
        problem,
        SIGNED_CN + days * DAY,
        traits={"JACKET": traits},
        evidence=evidence,
        failed_repairs=failed,
        amount=None if amount is None else Money.from_minor(amount, "CNY"),
        tier=tier,
    )
    assert _state(order) == before
    assert result.allowed is (len(result.refusals) == 0)
    for refusal in result.refusals:
        assert isinstance(refusal.rule, Rule)
        assert refusal.rule is not Rule.SELLER_ANSWER
        assert refusal.message
        if refusal.sku is not None:
            assert repr(refusal.sku) in refusal.message
    if jacket > 1 or fish > 2:
        assert result.rules & {
            Rule.QUANTITY_ABOVE_DELIVERED,
            Rule.QUANTITY_ABOVE_SHIPPED,
            Rule.QUANTITY_ABOVE_ORDERED,
            Rule.QUANTITY_ABOVE_UNSHIPPED,
        }
    assert result.deadline(Rule.SELLER_ANSWER) is not None
    if result.allowed:
        result.raise_if_refused()
    else:
        with pytest.raises(NotEligible) as info:
            result.raise_if_refused()
        assert info.value.refusals == result.refusals
        assert re.search(re.escape(result.refusals[0].message), str(info.value))
