"""CSAT and NPS as exact figures, from the scores customers gave."""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from typing import Final, final

import attrs

from ecservice._shown import shown
from ecservice.aftersales import Rate
from ecservice.errors import ValidationError
from ecservice.satisfaction._errors import invalid_score
from ecservice.satisfaction._values import CSAT_SCALE, DEFAULT_SATISFIED_FROM, NPS_SCALE

__all__ = ["NPS_PLACES", "CsatScore", "NpsScore"]

#: The decimal places of :attr:`NpsScore.value` (rounded half to even): 4, the precision of a
#: :class:`~ecservice.aftersales.Rate` (six places of a fraction) expressed in points.
NPS_PLACES: Final = 4
_QUANTUM: Final = decimal.Decimal(1).scaleb(-NPS_PLACES)


def _scores(values: Iterable[int], low: int, high: int, what: str) -> list[int]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValidationError(f"{what} must be an iterable of int, not {shown(values)}")
    out = []
    for v in values:
        if type(v) is not int or not low <= v <= high:
            raise invalid_score(what, v, low, high)
        out.append(v)
    return out


def _count(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 0:
        raise ValidationError(f"{attribute.name} must be an int of at least 0, not {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class NpsScore:
    """The Net Promoter Score of some answers: the percentage of promoters (9-10) minus the
    percentage of detractors (0-6), from -100 to 100; passives (7-8) count in the total only.

    The rule is Reichheld's ("The One Number You Need to Grow", Harvard Business Review,
    December 2003), as Bain & Company, Satmetrix and Fred Reichheld define the Net Promoter
    Score: the question "How likely is it that you would recommend ... to a friend or
    colleague?" on a 0-10 scale.

    The exact score is ``100 x (promoters - detractors) / responses``; :attr:`value` is it as a
    :class:`~decimal.Decimal` rounded half to even to :data:`NPS_PLACES` places, computed in a
    local decimal context (never through ``float``).

    >>> score = NpsScore.from_scores([10, 9, 8, 3])
    >>> score.value, score.promoters, score.passives, score.detractors
    (Decimal('25.0000'), 2, 1, 1)

    Args:
        promoters: how many answers were 9 or 10.
        passives: how many were 7 or 8.
        detractors: how many were 0 to 6.

    Raises:
        ValidationError: a count that is not an ``int`` of at least 0, or no answer at all.
    """

    promoters: int = attrs.field(validator=_count)
    passives: int = attrs.field(validator=_count)
    detractors: int = attrs.field(validator=_count)

    def __attrs_post_init__(self) -> None:
        if self.responses == 0:
            raise ValidationError("an NPS needs at least one answer")

    @classmethod
    def from_scores(cls, scores: Iterable[int]) -> NpsScore | None:
        """Count ``scores`` (each an ``int`` from 0 to 10); ``None`` when there are none.

        Raises:
            InvalidScore: a score off the scale or not an ``int``; nothing is computed.
            ValidationError: ``scores`` is not an iterable.
        """
        values = _scores(scores, *NPS_SCALE, "the NPS scores")
        if not values:
            return None
        promoters = sum(1 for v in values if v >= 9)
        detractors = sum(1 for v in values if v <= 6)
        return cls(
            promoters=promoters,
            passives=len(values) - promoters - detractors,
            detractors=detractors,
        )

    @property
    def responses(self) -> int:
        """How many answers were counted."""
        return self.promoters + self.passives + self.detractors

    @property
    def promoter_share(self) -> Rate:
        """The promoters among the answers."""
        return Rate(self.promoters, self.responses)

    @property
    def detractor_share(self) -> Rate:
        """The detractors among the answers."""
        return Rate(self.detractors, self.responses)

    @property
    def value(self) -> decimal.Decimal:
        """The score from -100 to 100, rounded half to even to :data:`NPS_PLACES` places."""
        with decimal.localcontext(decimal.Context(prec=NPS_PLACES + 30)):
            exact = decimal.Decimal(100 * (self.promoters - self.detractors)) / self.responses
            return exact.quantize(_QUANTUM, rounding=decimal.ROUND_HALF_EVEN)

    def __str__(self) -> str:
        return (
            f"NPS {self.value.normalize():f} ({self.promoters} promoters, {self.passives} "
            f"passives, {self.detractors} detractors)"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class CsatScore:
    """Customer satisfaction (CSAT) of some answers: the share of answers on the 1-5 scale that
    are satisfied, ``satisfied_from`` or above (4 and 5 by default,
    :data:`DEFAULT_SATISFIED_FROM`).

    >>> score = CsatScore.from_scores([5, 4, 4, 2, 1])
    >>> score.rate.value, score.satisfied, score.responses
    (Decimal('0.600000'), 3, 5)

    Args:
        counts: how many answers gave each score, from 1 to 5: five ``int`` of at least 0, at
            least one of them above 0.
        satisfied_from: the lowest score counted as satisfied, 1 to 5.

    Raises:
        ValidationError: counts that are not five ``int`` of at least 0 with a positive sum, or
            ``satisfied_from`` off the scale.
    """

    counts: tuple[int, int, int, int, int] = attrs.field()
    satisfied_from: int = attrs.field(default=DEFAULT_SATISFIED_FROM)

    @counts.validator
    def _check_counts(self, _: object, value: object) -> None:
        if (
            type(value) is not tuple
            or len(value) != CSAT_SCALE[1]
            or not all(type(c) is int and c >= 0 for c in value)
            or sum(value) == 0
        ):
            raise ValidationError(
                "a CSAT's counts must be a tuple of five int of at least 0 (the answers of "
                f"each score from 1 to 5), at least one answer in all; not {shown(value)}"
            )

    @satisfied_from.validator
    def _check_from(self, _: object, value: object) -> None:
        low, high = CSAT_SCALE
        if type(value) is not int or not low <= value <= high:
            raise invalid_score("satisfied_from", value, low, high)

    @classmethod
    def from_scores(
        cls, scores: Iterable[int], *, satisfied_from: int = DEFAULT_SATISFIED_FROM
    ) -> CsatScore | None:
        """Count ``scores`` (each an ``int`` from 1 to 5); ``None`` when there are none.

        Raises:
            InvalidScore: a score off the scale or not an ``int``, or ``satisfied_from`` off
                it; nothing is computed.
            ValidationError: ``scores`` is not an iterable.
        """
        low, high = CSAT_SCALE
        if type(satisfied_from) is not int or not low <= satisfied_from <= high:
            raise invalid_score("satisfied_from", satisfied_from, low, high)
        values = _scores(scores, low, high, "the CSAT scores")
        if not values:
            return None
        counts = [0] * high
        for v in values:
            counts[v - 1] += 1
        c1, c2, c3, c4, c5 = counts
        return cls(counts=(c1, c2, c3, c4, c5), satisfied_from=satisfied_from)

    @property
    def responses(self) -> int:
        """How many answers were counted."""
        return sum(self.counts)

    @property
    def satisfied(self) -> int:
        """How many answers were ``satisfied_from`` or above."""
        return sum(self.counts[self.satisfied_from - 1 :])

    @property
    def rate(self) -> Rate:
        """The CSAT, from 0 to 1, the satisfied answers among all."""
        return Rate(self.satisfied, self.responses)

    def __str__(self) -> str:
        return f"CSAT {self.rate} (satisfied = {self.satisfied_from}-5)"
