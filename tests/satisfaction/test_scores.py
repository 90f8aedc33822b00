"""CSAT and NPS: exact figures equal to their definitions, within their ranges, and refusals
of scores off the scale."""

from __future__ import annotations

import decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecservice.errors import ValidationError
from ecservice.satisfaction import NPS_PLACES, CsatScore, InvalidScore, NpsScore
from tests.satisfaction.rig import csat_scores, nps_scores


@given(st.lists(nps_scores, min_size=1))
def test_nps_is_the_definition_within_minus_100_and_100(scores: list[int]) -> None:
    """NPS = % promoters (9-10) - % detractors (0-6), rounded half to even, in [-100, 100]."""
    result = NpsScore.from_scores(scores)
    assert result is not None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    exact = Fraction(100 * (promoters - detractors), len(scores))
    assert -100 <= result.value <= 100
    assert abs(Fraction(result.value) - exact) <= Fraction(1, 2 * 10**NPS_PLACES)
    assert (result.promoters, result.detractors, result.responses) == (
        promoters,
        detractors,
        len(scores),
    )
    assert result.passives == sum(1 for s in scores if s in (7, 8))
    assert result.value.as_tuple().exponent == -NPS_PLACES


@given(st.lists(csat_scores, min_size=1), st.integers(1, 5))
def test_csat_is_the_share_satisfied_between_0_and_1(scores: list[int], threshold: int) -> None:
    result = CsatScore.from_scores(scores, satisfied_from=threshold)
    assert result is not None
    satisfied = sum(1 for s in scores if s >= threshold)
    assert (result.satisfied, result.responses) == (satisfied, len(scores))
    assert 0 <= result.rate.value <= 1
    assert result.rate.numerator == satisfied
    assert result.rate.denominator == len(scores)


def test_worked_examples() -> None:
    nps = NpsScore.from_scores([10, 9, 9, 8, 7, 6, 0])
    assert nps is not None
    assert nps.value == decimal.Decimal("14.2857")
    assert str(nps) == "NPS 14.2857 (3 promoters, 2 passives, 2 detractors)"
    assert NpsScore.from_scores([10]).value == 100  # type: ignore[union-attr]
    assert NpsScore.from_scores([0, 6]).value == -100  # type: ignore[union-attr]
    assert NpsScore.from_scores([7, 8]).value == 0  # type: ignore[union-attr]
    csat = CsatScore.from_scores([5, 4, 3])
    assert csat is not None
    assert csat.counts == (0, 0, 1, 1, 1)
    assert csat.satisfied == 2
    assert str(csat) == "CSAT 2/3 (0.666667) (satisfied = 4-5)"
    assert NpsScore.from_scores([]) is None
    assert CsatScore.from_scores([]) is None


@pytest.mark.parametrize("bad", [11, -1, 9.0, True, "9", None])
def test_an_nps_score_off_the_scale_is_refused(bad: object) -> None:
    with pytest.raises(InvalidScore, match="from 0 to 10"):
        NpsScore.from_scores([9, bad])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", [0, 6, 4.5, False])
def test_a_csat_score_off_the_scale_is_refused(bad: object) -> None:
    with pytest.raises(InvalidScore, match="from 1 to 5"):
        CsatScore.from_scores([bad])  # type: ignore[list-item]


def test_constructors_refuse_bad_counts() -> None:
    with pytest.raises(ValidationError):
        NpsScore(promoters=0, passives=0, detractors=0)
    with pytest.raises(ValidationError):
        NpsScore(promoters=-1, passives=2, detractors=0)
    with pytest.raises(ValidationError):
        CsatScore(counts=(0, 0, 0, 0, 0))
    with pytest.raises(ValidationError):
        CsatScore(counts=(1, 2, 3))  # type: ignore[arg-type]
    with pytest.raises(InvalidScore):
        CsatScore(counts=(1, 0, 0, 0, 0), satisfied_from=6)
    with pytest.raises(InvalidScore):
        CsatScore.from_scores([5], satisfied_from=0)
    with pytest.raises(ValidationError):
        NpsScore.from_scores(10)  # type: ignore[arg-type]
