"""The tables of survey and consultation facts: what the satisfaction and consultation reports
count of the stored surveys and sessions."""

from __future__ import annotations

__all__: list[str] = []
