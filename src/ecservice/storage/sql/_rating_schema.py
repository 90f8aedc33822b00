"""The tables of rating facts: what the rating and credit reports count of the stored ratings."""

from __future__ import annotations

__all__: list[str] = []
