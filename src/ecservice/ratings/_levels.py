"""Credit levels (信用等级): hearts, diamonds, blue crowns and gold crowns, as data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, final

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.workflow import LabelledState

__all__ = ["TAOBAO_CREDIT_LEVELS", "CreditLevel", "CreditTier", "check_levels", "credit_level"]

_DIGITS_ZH: Final = "一二三四五六七八九十"


class CreditTier(LabelledState):
    """The symbol a credit level shows (信用等级图标)."""

    HEART = ("heart", "Heart", "心")
    DIAMOND = ("diamond", "Diamond", "钻")
    BLUE_CROWN = ("blue_crown", "Blue crown", "皇冠")
    GOLD_CROWN = ("gold_crown", "Gold crown", "金冠")


@final
@attrs.frozen(slots=True, kw_only=True)
class CreditLevel:
    """One credit level: its number, its symbol shown ``symbols`` times, and its points.

    Args:
        level: the level's number, from 1.
        tier: its symbol.
        symbols: how many times the symbol shows, 1 to 10.
        min_points: the fewest credit points of the level.
        max_points: the most, or ``None`` for the highest level.

    Raises:
        ValidationError: a number or count that is not a positive ``int``, or ``max_points``
            below ``min_points``.
    """

    level: int = attrs.field()
    tier: CreditTier = attrs.field()
    symbols: int = attrs.field()
    min_points: int = attrs.field()
    max_points: int | None = attrs.field(default=None)

    @level.validator
    def _check_level(self, _: object, value: object) -> None:
        if type(value) is not int or value < 1:
            raise ValidationError(
                f"a credit level's number must be an int from 1, not {shown(value)}"
            )

    @tier.validator
    def _check_tier(self, _: object, value: object) -> None:
        if not isinstance(value, CreditTier):
            raise ValidationError(f"a credit level's tier must be a CreditTier, not {shown(value)}")

    @symbols.validator
    def _check_symbols(self, _: object, value: object) -> None:
        if type(value) is not int or not 1 <= value <= len(_DIGITS_ZH):
            raise ValidationError(
                f"a credit level shows its symbol 1 to {len(_DIGITS_ZH)} times, not {shown(value)}"
            )

    @min_points.validator
    def _check_min(self, _: object, value: object) -> None:
        if type(value) is not int:
            raise ValidationError(f"a credit level's min_points must be an int, not {shown(value)}")

    @max_points.validator
    def _check_max(self, _: object, value: object) -> None:
        if value is not None and (type(value) is not int or value < self.min_points):
            raise ValidationError(
                f"a credit level's max_points must be an int of at least min_points "
                f"({self.min_points}) or None, not {shown(value)}"
            )

    def contains(self, points: int) -> bool:
        """Whether ``points`` credit points are of this level."""
        return points >= self.min_points and (self.max_points is None or points <= self.max_points)

    @property
    def label_zh(self) -> str:
        """The level as shops say it, such as ``"三钻"`` or ``"一皇冠"``."""
        return f"{_DIGITS_ZH[self.symbols - 1]}{self.tier.label_zh}"

    @property
    def label_en(self) -> str:
        """The level in English, such as ``"3 diamonds"`` or ``"1 blue crown"``."""
        name = self.tier.label_en.lower()
        return f"{self.symbols} {name}{'s' if self.symbols > 1 else ''}"


def _table() -> tuple[CreditLevel, ...]:
    bounds = (
        4, 11, 41, 91, 151,
        251, 501, 1001, 2001, 5001,
        10001, 20001, 50001, 100001, 200001,
        500001, 1000001, 2000001, 5000001, 10000001,
    )  # fmt: skip
    tiers = (CreditTier.HEART, CreditTier.DIAMOND, CreditTier.BLUE_CROWN, CreditTier.GOLD_CROWN)
    return tuple(
        CreditLevel(
            level=i + 1,
            tier=tiers[i // 5],
            symbols=i % 5 + 1,
            min_points=low,
            max_points=bounds[i + 1] - 1 if i + 1 < len(bounds) else None,
        )
        for i, low in enumerate(bounds)
    )


#: Taobao's 20 credit levels (淘宝信用等级): one to five hearts (4-250 points), diamonds
#: (251-10,000), blue crowns (皇冠, 10,001-500,000) and gold crowns (金冠, from 500,001; five
#: gold crowns from 10,000,001). Below 4 points a member has no level. Source: the Taobao open
#: platform's ``UserCredit`` ("分为20个级别 ... level = 1 时，表示一心") for the count and the
#: order; the thresholds are the table Taobao publishes on its rules pages, as reproduced by
#: shop guides (the official page itself could not be consulted here).
TAOBAO_CREDIT_LEVELS: Final[tuple[CreditLevel, ...]] = _table()


def check_levels(levels: Iterable[CreditLevel]) -> tuple[CreditLevel, ...]:
    """``levels`` as a tuple, if they form a table: numbered 1, 2, ... in order, each starting
    one point above the previous one's end, only the last open-ended.

    Raises:
        ValidationError: not an iterable of :class:`CreditLevel`, empty, or not such a table.
    """
    value: object = levels
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(f"levels must be a sequence of CreditLevel, not {shown(levels)}")
    table = tuple(value)
    if not table:
        raise ValidationError("a credit level table needs at least one level")
    for i, lv in enumerate(table):
        if not isinstance(lv, CreditLevel):
            raise ValidationError(f"levels must hold CreditLevel values, not {shown(lv)}")
        if lv.level != i + 1:
            raise ValidationError(
                f"credit levels must be numbered 1, 2, ...: got {lv.level} at {i + 1}"
            )
        last = i == len(table) - 1
        if (lv.max_points is None) is not last:
            raise ValidationError("only the last credit level is open-ended (max_points=None)")
        if i and table[i - 1].max_points != lv.min_points - 1:
            raise ValidationError(
                f"credit level {lv.level} must start one point above level {lv.level - 1}'s end"
            )
    return table


def credit_level(
    points: int, levels: Iterable[CreditLevel] = TAOBAO_CREDIT_LEVELS
) -> CreditLevel | None:
    """The level of ``points`` credit points in ``levels``, or ``None`` below the first level.

    >>> credit_level(251).label_zh
    '一钻'
    >>> credit_level(3) is None
    True

    Raises:
        ValidationError: ``points`` is not an ``int``, or ``levels`` is not a level table.
    """
    if type(points) is not int:
        raise ValidationError(f"credit points must be an int, not {shown(points)}")
    table = levels if levels is TAOBAO_CREDIT_LEVELS else check_levels(levels)
    for lv in table:
        if lv.contains(points):
            return lv
    return None
