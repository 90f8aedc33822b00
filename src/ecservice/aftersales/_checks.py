"""Validators shared by the after-sales policy's value objects (private)."""

from __future__ import annotations

from typing import Any

from ecservice._shown import shown
from ecservice.errors import ValidationError

__all__ = ["check_days", "flag", "instance_of"]


def check_days(value: object, what: str, maximum: int) -> int:
    """``value`` as a whole number of days from 1 to ``maximum`` (not a bool).

    Raises:
        ValidationError: anything else.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ValidationError(
            f"{what} must be a whole number of days from 1 to {maximum}, not {shown(value)}"
        )
    return int(value)


def flag(what: str) -> Any:
    """An attrs validator accepting only ``True`` or ``False``."""

    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, bool):
            raise ValidationError(f"{what} must be True or False, not {shown(value)}")

    return check


def instance_of(kind: type, what: str) -> Any:
    """An attrs validator accepting only instances of ``kind``, raising ``ValidationError``."""

    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"{what} must be a {kind.__name__}, not {shown(value)}")

    return check
