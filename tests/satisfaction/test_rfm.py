"""RFM: recency in whole local days, frequency in orders, monetary in one currency; scores
monotone in each dimension, ties sharing a score, every customer in exactly one segment."""

from __future__ import annotations

import datetime as _dt
import itertools

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.errors import CurrencyMismatch, NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.satisfaction import (
    DEFAULT_RFM_POLICY,
    DEFAULT_SEGMENTS,
    RFM_SCORES,
    CustomerRfm,
    InvalidRfmPolicy,
    Purchase,
    RfmPolicy,
    RfmScores,
    RfmSegment,
    rfm_analysis,
)
from tests.satisfaction.rig import START, ZONE, purchases

NOW = pendulum.datetime(2026, 6, 1, 12, tz=ZONE)
POLICIES = [
    DEFAULT_RFM_POLICY,
    RfmPolicy.quantiles(),
    RfmPolicy(
        recency_days=(0, 7, 30, 60),
        frequency_orders=(2, 4, 6, 10),
        monetary=tuple(Money(a, "CNY") for a in ("100", "500", "1000", "5000")),  # type: ignore[arg-type]
    ),
]


def buy(customer: str, order: str, days_ago: float, amount: str, currency: str = "CNY") -> Purchase:
    return Purchase(
        customer_id=customer,
        order_id=order,
        placed_at=NOW - _dt.timedelta(days=days_ago),
        amount=Money(amount, currency),
    )


def test_recency_counts_whole_local_days() -> None:
    # 23:59 yesterday in Shanghai is one day ago; 00:00 today is none, whatever the hours.
    today = NOW.start_of("day")
    rows = rfm_analysis(
        [
            Purchase(customer_id="a", order_id="1", placed_at=today - _dt.timedelta(minutes=1),
                     amount=Money("1", "CNY")),
            Purchase(customer_id="b", order_id="2", placed_at=today, amount=Money("1", "CNY")),
        ],
        now=NOW,
        zone=ZONE,
    )  # fmt: skip
    assert [(r.customer_id, r.recency_days) for r in rows] == [("a", 1), ("b", 0)]
    # 00:30 today in Shanghai is still yesterday in UTC: the zone decides the day.
    utc = rfm_analysis(
        [Purchase(customer_id="a", order_id="1", placed_at=today + _dt.timedelta(minutes=30),
                  amount=Money("1", "CNY"))],
        now=NOW,
        zone="UTC",
    )  # fmt: skip
    assert utc[0].recency_days == 1


def test_threshold_bins_and_segments() -> None:
    rows = rfm_analysis(
        [
            *(buy("champ", f"c{i}", i, "300") for i in range(9)),
            buy("newbie", "n1", 2, "50"),
            *(buy("sleepy", f"s{i}", 400 + i, "10") for i in range(2)),
            *(buy("atrisk", f"r{i}", 200 + i, "10") for i in range(3)),
        ],
        now=NOW,
        zone=ZONE,
    )
    by_id = {r.customer_id: r for r in rows}
    assert by_id["champ"].frequency == 9
    assert by_id["champ"].monetary == Money("2700", "CNY")
    assert by_id["champ"].scores.recency == 5
    assert by_id["champ"].scores.frequency == 5
    assert by_id["champ"].segment.name == "champions"
    assert by_id["newbie"].segment.name == "new"
    assert by_id["sleepy"].scores.recency == 1
    assert by_id["sleepy"].segment.name == "lost"
    assert by_id["atrisk"].scores.recency == 2
    assert by_id["atrisk"].segment.name == "at_risk"
    assert len(by_id["champ"].explanation) == 4
    assert "score 5 by the thresholds 30 days" in by_id["champ"].explanation[0]
    assert by_id["champ"].explanation[3].startswith("segment champions (重要价值客户)")


@pytest.mark.parametrize(
    ("days", "score"), [(0, 5), (30, 5), (31, 4), (90, 4), (91, 3), (180, 3), (365, 2), (366, 1)]
)
def test_recency_threshold_edges(days: int, score: int) -> None:
    rows = rfm_analysis([buy("a", "1", days, "1")], now=NOW, zone=ZONE)
    assert rows[0].scores.recency == score


@pytest.mark.parametrize(("orders", "score"), [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (8, 5)])
def test_frequency_threshold_edges(orders: int, score: int) -> None:
    rows = rfm_analysis([buy("a", str(i), 1, "1") for i in range(orders)], now=NOW, zone=ZONE)
    assert rows[0].scores.frequency == score


def test_quantile_ties_share_a_score() -> None:
    rows = rfm_analysis(
        [buy(c, c, 1, amount) for c, amount in zip("abcdefghij", "1122334455", strict=True)],
        now=NOW,
        zone=ZONE,
    )
    by_id = {r.customer_id: r.scores.monetary for r in rows}
    assert by_id == {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3, "f": 3, "g": 4, "h": 4, "i": 5, "j": 5}
    alone = rfm_analysis([buy("a", "1", 1, "99")], now=NOW, zone=ZONE)
    assert alone[0].scores.monetary == 1
    assert "0 of 1 customer do worse" in alone[0].explanation[2]


@given(purchases(), st.sampled_from(POLICIES))
@settings(max_examples=80)
def test_scores_are_monotone_and_every_customer_has_one_segment(
    rows: list[Purchase], policy: RfmPolicy
) -> None:
    result = rfm_analysis(rows, now=START, zone=ZONE, policy=policy)
    assert [r.customer_id for r in result] == sorted({p.customer_id for p in rows})
    for r in result:
        matching = [s for s in policy.segments if s.matches(r.scores)]
        assert matching
        assert matching[0] == r.segment
        assert sum(1 for s in policy.segments if s is r.segment) == 1
        mine = [p for p in rows if p.customer_id == r.customer_id]
        assert r.frequency == len(mine)
        assert r.monetary.amount == sum(p.amount.amount for p in mine)
    for a, b in itertools.permutations(result, 2):
        if a.recency_days <= b.recency_days:
            assert a.scores.recency >= b.scores.recency
        if a.frequency <= b.frequency:
            assert a.scores.frequency <= b.scores.frequency
        if a.monetary <= b.monetary:
            assert a.scores.monetary <= b.scores.monetary


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(CurrencyMismatch):
        rfm_analysis([buy("a", "1", 1, "1"), buy("b", "2", 1, "1", "USD")], now=NOW, zone=ZONE)
    usd = RfmPolicy(monetary=tuple(Money(a, "USD") for a in "1234"))  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch):
        rfm_analysis([buy("a", "1", 1, "1")], now=NOW, zone=ZONE, policy=usd)
    with pytest.raises(CurrencyMismatch):
        RfmPolicy(monetary=(Money(1, "CNY"), Money(2, "USD"), Money(3, "CNY"), Money(4, "CNY")))


def test_bad_purchases_and_arguments() -> None:
    with pytest.raises(ValidationError, match="twice"):
        rfm_analysis([buy("a", "1", 1, "1"), buy("b", "1", 2, "1")], now=NOW, zone=ZONE)
    with pytest.raises(ValidationError, match="after the analysis"):
        rfm_analysis([buy("a", "1", -1, "1")], now=NOW, zone=ZONE)
    with pytest.raises(ValidationError):
        buy("a", "1", 1, "-1")
    with pytest.raises(NaiveDatetime):
        rfm_analysis([], now=_dt.datetime(2026, 6, 1), zone=ZONE)
    with pytest.raises(ValidationError):
        rfm_analysis([], now=NOW, zone="Nowhere/Land")
    with pytest.raises(ValidationError):
        rfm_analysis([], now=NOW, zone=ZONE, policy="default")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        rfm_analysis("purchases", now=NOW, zone=ZONE)  # type: ignore[arg-type]
    assert rfm_analysis([], now=NOW, zone=ZONE) == ()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"recency_days": (30, 30, 60, 90)},
        {"recency_days": (-1, 30, 60, 90)},
        {"recency_days": (30, 60, 90)},
        {"frequency_orders": (1, 2, 3, 4)},
        {"frequency_orders": (2.0, 3, 4, 5)},
        {"monetary": (Money(5, "CNY"), Money(4, "CNY"), Money(6, "CNY"), Money(7, "CNY"))},
        {"monetary": (Money(-1, "CNY"), Money(4, "CNY"), Money(6, "CNY"), Money(7, "CNY"))},
        {"segments": ()},
        {"segments": DEFAULT_SEGMENTS[:-1]},
        {"segments": (*DEFAULT_SEGMENTS, RfmSegment(name="extra", label_zh="多余"))},
        {"segments": (DEFAULT_SEGMENTS[0], *DEFAULT_SEGMENTS)},
        {"segments": "champions"},
    ],
)
def test_a_malformed_policy_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidRfmPolicy):
        RfmPolicy(**kwargs)  # type: ignore[arg-type]


def test_segments_and_scores_validate() -> None:
    with pytest.raises(InvalidRfmPolicy):
        RfmSegment(name="x", label_zh="x", recency=(4, 3))
    with pytest.raises(InvalidRfmPolicy):
        RfmSegment(name="x", label_zh="x", monetary=(0, 5))
    with pytest.raises(InvalidRfmPolicy):
        RfmScores(6, 1, 1)
    assert RfmScores(5, 4, 3).code == "543"
    assert str(DEFAULT_SEGMENTS[1]) == "loyal (忠诚客户): R 3-5, F 3-5"
    everyone = RfmSegment(name="everyone", label_zh="全部客户")
    assert str(everyone) == "everyone (全部客户): any scores"
    policy = RfmPolicy(segments=[everyone])
    assert all(
        policy.segment_for(RfmScores(*c)) is everyone
        for c in itertools.product(RFM_SCORES, repeat=3)
    )
    with pytest.raises(InvalidRfmPolicy):
        policy.segment_for("555")  # type: ignore[arg-type]


def test_a_customer_row_checks_its_segment() -> None:
    row = rfm_analysis([buy("a", "1", 1, "1")], now=NOW, zone=ZONE)[0]
    import attrs

    with pytest.raises(ValidationError, match="does not take"):
        attrs.evolve(row, segment=DEFAULT_SEGMENTS[0])
    assert isinstance(row, CustomerRfm)


def test_explanations_count_days_in_words() -> None:
    (one,) = rfm_analysis([buy("a", "1", 1, "1")], now=NOW, zone=ZONE)
    assert one.explanation[0].startswith("R last order 1 day ago: ")
    (two,) = rfm_analysis([buy("a", "1", 2, "1")], now=NOW, zone=ZONE)
    assert two.explanation[0].startswith("R last order 2 days ago: ")


def test_one_unreachable_segment_is_named_in_the_singular() -> None:
    with pytest.raises(InvalidRfmPolicy, match=r"segment extra takes no scores .* reorder it$"):
        RfmPolicy(segments=(*DEFAULT_SEGMENTS, RfmSegment(name="extra", label_zh="多余")))
    with pytest.raises(InvalidRfmPolicy, match=r"segments extra, more take no scores"):
        RfmPolicy(
            segments=(
                *DEFAULT_SEGMENTS,
                RfmSegment(name="extra", label_zh="多余"),
                RfmSegment(name="more", label_zh="更多"),
            )
        )
