"""How customers are scored on recency, frequency and monetary value, and named segments."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Final, final

import attrs

from ecservice._shown import shown
from ecservice.errors import CurrencyMismatch
from ecservice.money import Money
from ecservice.satisfaction._errors import InvalidRfmPolicy
from ecservice.text import text

__all__ = [
    "DEFAULT_FREQUENCY_ORDERS",
    "DEFAULT_RECENCY_DAYS",
    "DEFAULT_RFM_POLICY",
    "DEFAULT_SEGMENTS",
    "RFM_SCORES",
    "RfmPolicy",
    "RfmScores",
    "RfmSegment",
]

#: The scores of each dimension, 1 (worst) to 5 (best).
RFM_SCORES: Final[tuple[int, ...]] = (1, 2, 3, 4, 5)
_LOW, _HIGH = RFM_SCORES[0], RFM_SCORES[-1]
_EDGES: Final = len(RFM_SCORES) - 1

#: The default recency thresholds, in whole local days since the last order: at most 30 days
#: scores 5, 90 scores 4, 180 scores 3, 365 scores 2, longer 1 (a shop setting; a month, a
#: quarter, half a year and a year, this library's choice).
DEFAULT_RECENCY_DAYS: Final[tuple[int, int, int, int]] = (30, 90, 180, 365)
#: The default frequency thresholds, in orders: 1 order scores 1, 2 scores 2, 3-4 score 3,
#: 5-7 score 4, 8 or more 5 (a shop setting, this library's choice).
DEFAULT_FREQUENCY_ORDERS: Final[tuple[int, int, int, int]] = (2, 3, 5, 8)


def _score(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or not _LOW <= value <= _HIGH:
        raise InvalidRfmPolicy(
            f"an RFM {attribute.name} score must be an int from {_LOW} to {_HIGH}, "
            f"not {shown(value)}"
        )


@final
@attrs.frozen(slots=True)
class RfmScores:
    """A customer's three scores, each from 1 (worst) to 5 (best).

    Args:
        recency: 5 for the most recent buyers.
        frequency: 5 for those who order most often.
        monetary: 5 for those who spend most.

    Raises:
        InvalidRfmPolicy: a score that is not an ``int`` from 1 to 5.
    """

    recency: int = attrs.field(validator=_score)
    frequency: int = attrs.field(validator=_score)
    monetary: int = attrs.field(validator=_score)

    @property
    def code(self) -> str:
        """The three scores as the usual three-digit code, ``"543"``."""
        return f"{self.recency}{self.frequency}{self.monetary}"


def _span(_: object, attribute: attrs.Attribute[tuple[int, int]], value: object) -> None:
    if (
        type(value) is not tuple
        or len(value) != 2
        or not all(type(v) is int for v in value)
        or not _LOW <= value[0] <= value[1] <= _HIGH
    ):
        raise InvalidRfmPolicy(
            f"a segment's {attribute.name} must be a pair (low, high) of int with "
            f"{_LOW} <= low <= high <= {_HIGH}, not {shown(value)}"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class RfmSegment:
    """A named segment: the customers whose scores fall in its ranges (both ends included).

    Args:
        name: the segment's name (short text), e.g. ``"champions"``.
        label_zh: its Chinese name (short text).
        recency: the recency scores it takes, ``(low, high)``; all (1-5) by default.
        frequency: the frequency scores it takes; all by default.
        monetary: the monetary scores it takes; all by default.

    Raises:
        InvalidRfmPolicy: a range that is not ``(low, high)`` with 1 <= low <= high <= 5.
        ValidationError: bad text.
    """

    name: str = attrs.field(validator=text("a segment's name"))
    label_zh: str = attrs.field(validator=text("a segment's label_zh"))
    recency: tuple[int, int] = attrs.field(default=(_LOW, _HIGH), validator=_span)
    frequency: tuple[int, int] = attrs.field(default=(_LOW, _HIGH), validator=_span)
    monetary: tuple[int, int] = attrs.field(default=(_LOW, _HIGH), validator=_span)

    def matches(self, scores: RfmScores) -> bool:
        """Whether ``scores`` fall in all three ranges."""
        return (
            self.recency[0] <= scores.recency <= self.recency[1]
            and self.frequency[0] <= scores.frequency <= self.frequency[1]
            and self.monetary[0] <= scores.monetary <= self.monetary[1]
        )

    def __str__(self) -> str:
        def part(letter: str, span: tuple[int, int]) -> str:
            return f"{letter} {span[0]}" if span[0] == span[1] else f"{letter} {span[0]}-{span[1]}"

        spans = (("R", self.recency), ("F", self.frequency), ("M", self.monetary))
        shown_parts = [part(k, s) for k, s in spans if s != (_LOW, _HIGH)]
        return f"{self.name} ({self.label_zh}): {', '.join(shown_parts) or 'any scores'}"


#: The default segments, tried in this order (the first that matches wins; together they take
#: every combination of scores). The names are those marketers commonly give RFM segments
#: (champions, loyal customers, can't lose them, at risk, new customers, promising,
#: hibernating, lost: e.g. the segment lists published by edrone and churned.io, after the
#: R-versus-FM grids of RFM practice, Hughes, *Strategic Database Marketing*); the published
#: grids overlap and differ from one another, so the ranges here are this library's own.
DEFAULT_SEGMENTS: Final[tuple[RfmSegment, ...]] = (
    RfmSegment(name="champions", label_zh="重要价值客户", recency=(4, 5), frequency=(4, 5),
               monetary=(4, 5)),
    RfmSegment(name="loyal", label_zh="忠诚客户", recency=(3, 5), frequency=(3, 5)),
    RfmSegment(name="cannot_lose", label_zh="重要挽留客户", recency=(1, 2), frequency=(4, 5),
               monetary=(4, 5)),
    RfmSegment(name="at_risk", label_zh="流失风险客户", recency=(1, 2), frequency=(3, 5)),
    RfmSegment(name="new", label_zh="新客户", recency=(5, 5), frequency=(1, 1)),
    RfmSegment(name="promising", label_zh="潜力客户", recency=(3, 5), frequency=(1, 2)),
    RfmSegment(name="hibernating", label_zh="沉睡客户", recency=(2, 2), frequency=(1, 2)),
    RfmSegment(name="lost", label_zh="已流失客户", recency=(1, 1), frequency=(1, 2)),
)  # fmt: skip


def _rising(values: tuple[object, ...], what: str, low: int) -> None:
    for a, b in itertools.pairwise(values):
        if not a < b:  # type: ignore[operator]
            raise InvalidRfmPolicy(f"{what} must rise strictly, got {shown(values)}")
    first = values[0]
    if isinstance(first, int) and first < low:
        raise InvalidRfmPolicy(f"{what} must start at {low} or more, got {shown(values)}")


def _int_edges(value: object, what: str, low: int) -> tuple[int, int, int, int] | None:
    if value is None:
        return None
    if type(value) is not tuple or len(value) != _EDGES or not all(type(v) is int for v in value):
        raise InvalidRfmPolicy(
            f"{what} must be None (quantiles) or a tuple of {_EDGES} int, not {shown(value)}"
        )
    _rising(value, what, low)
    a, b, c, d = value
    return (a, b, c, d)


def _recency(value: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
    return _int_edges(value, "recency_days", 0)


def _frequency(value: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
    return _int_edges(value, "frequency_orders", 2)


def _monetary(
    value: tuple[Money, Money, Money, Money] | None,
) -> tuple[Money, Money, Money, Money] | None:
    if value is None:
        return None
    if type(value) is not tuple or len(value) != _EDGES or not all(type(v) is Money for v in value):
        raise InvalidRfmPolicy(
            f"monetary must be None (quantiles) or a tuple of {_EDGES} Money, not {shown(value)}"
        )
    codes = {m.currency.code for m in value}
    if len(codes) > 1:
        first, *rest = sorted(codes)
        raise CurrencyMismatch(first, rest[0], "mix")
    if value[0].is_negative():
        raise InvalidRfmPolicy(f"monetary thresholds must not be negative, got {shown(value)}")
    _rising(value, "monetary", 0)
    a, b, c, d = value
    return (a, b, c, d)


def _segments(value: Iterable[RfmSegment]) -> tuple[RfmSegment, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidRfmPolicy(f"segments must be an iterable of RfmSegment, not {shown(value)}")
    out = tuple(value)
    if not all(isinstance(s, RfmSegment) for s in out):
        raise InvalidRfmPolicy("segments must hold RfmSegment values")
    names = [s.name for s in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidRfmPolicy(f"segment names must be unique; {', '.join(twice)} come twice")
    winners: set[str] = set()
    uncovered = []
    for r, f, m in itertools.product(RFM_SCORES, repeat=3):
        scores = RfmScores(r, f, m)
        match = next((s for s in out if s.matches(scores)), None)
        if match is None:
            uncovered.append(scores.code)
        else:
            winners.add(match.name)
    problems = []
    if uncovered:
        more = f" and {len(uncovered) - 8} more" if len(uncovered) > 8 else ""
        problems.append(
            f"no segment takes the scores {', '.join(uncovered[:8])}{more}; every combination "
            "needs one (end with a catch-all segment)"
        )
    unreachable = [n for n in names if n not in winners]
    if unreachable:
        problems.append(
            f"{'segment' if len(unreachable) == 1 else 'segments'} {', '.join(unreachable)} "
            f"{'takes' if len(unreachable) == 1 else 'take'} no scores that an earlier segment "
            f"does not already take; remove or reorder {'it' if len(unreachable) == 1 else 'them'}"
        )
    if problems:
        raise InvalidRfmPolicy("; ".join(problems))
    return out


@final
@attrs.frozen(slots=True, kw_only=True)
class RfmPolicy:
    """How :func:`rfm_analysis` scores customers and names their segments.

    Each dimension is scored 1 to 5, by **fixed thresholds** (four strictly rising edges) or,
    when its thresholds are ``None``, by **quantiles** of the customers analysed together:

    * recency, in whole local days since the last order, thresholds ``(d1, d2, d3, d4)``: at
      most ``d1`` days scores 5, at most ``d2`` 4, at most ``d3`` 3, at most ``d4`` 2, more 1;
    * frequency, in orders, thresholds ``(n1, n2, n3, n4)`` (``n1`` at least 2): fewer than
      ``n1`` orders scores 1, at least ``n1`` 2, at least ``n2`` 3, at least ``n3`` 4, at least
      ``n4`` 5;
    * monetary, the sum of the orders, thresholds four :class:`~ecservice.money.Money` of the
      customers' currency, scored like frequency.

    **Quantiles.** A customer's quantile score is ``1 + floor(5 x b / n)``, ``n`` the customers
    analysed and ``b`` those strictly worse on the dimension (an older last order, fewer orders,
    less spent): the percent rank, rounded down to a fifth. **Ties** share a score (customers
    with equal values have the same ``b``), so a score is never split between equal customers
    and some scores may go unused; a customer alone, or tied with everyone, scores 1.

    **Segments** are tried in order; the first whose ranges take the customer's scores names
    the segment. The constructor checks that every one of the 125 combinations of scores has a
    segment and that every segment takes at least one, so each customer is in exactly one.

    Args:
        recency_days: the recency thresholds, or ``None`` for quantiles;
            :data:`DEFAULT_RECENCY_DAYS` by default.
        frequency_orders: the frequency thresholds, or ``None`` for quantiles;
            :data:`DEFAULT_FREQUENCY_ORDERS` by default.
        monetary: the monetary thresholds, or ``None`` for quantiles (the default: amounts
            depend on the shop and its currency).
        segments: the segments in the order they are tried; :data:`DEFAULT_SEGMENTS` by
            default.

    Raises:
        InvalidRfmPolicy: thresholds that are not four strictly rising values (days from 0,
            orders from 2, amounts not negative), or segments that leave scores without a
            segment, take none, or repeat a name.
        CurrencyMismatch: monetary thresholds in more than one currency.
    """

    recency_days: tuple[int, int, int, int] | None = attrs.field(
        default=DEFAULT_RECENCY_DAYS, converter=_recency
    )
    frequency_orders: tuple[int, int, int, int] | None = attrs.field(
        default=DEFAULT_FREQUENCY_ORDERS, converter=_frequency
    )
    monetary: tuple[Money, Money, Money, Money] | None = attrs.field(
        default=None, converter=_monetary
    )
    segments: tuple[RfmSegment, ...] = attrs.field(default=DEFAULT_SEGMENTS, converter=_segments)

    @classmethod
    def quantiles(cls, segments: Iterable[RfmSegment] = DEFAULT_SEGMENTS) -> RfmPolicy:
        """A policy that scores every dimension by quantiles.

        Raises:
            InvalidRfmPolicy: bad segments.
        """
        return cls(recency_days=None, frequency_orders=None, monetary=None, segments=segments)

    def segment_for(self, scores: RfmScores) -> RfmSegment:
        """The segment of ``scores``: the first that takes them.

        Raises:
            InvalidRfmPolicy: ``scores`` is not an :class:`RfmScores`.
        """
        if not isinstance(scores, RfmScores):
            raise InvalidRfmPolicy(f"scores must be RfmScores, not {shown(scores)}")
        for segment in self.segments:
            if segment.matches(scores):
                return segment
        raise AssertionError("the constructor checked that every score has a segment")


#: The default policy: recency and frequency by :data:`DEFAULT_RECENCY_DAYS` and
#: :data:`DEFAULT_FREQUENCY_ORDERS`, monetary by quantiles, :data:`DEFAULT_SEGMENTS`.
DEFAULT_RFM_POLICY: Final = RfmPolicy()
