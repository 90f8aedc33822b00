"""Settings shared by every test.

Hypothesis's per-example deadline (200 ms by default) measures the machine's load as much as the
code: on a busy 2-core machine a slow example is not a bug. Tests keep their own bounds where
speed matters (``max_examples``); performance is measured in ``benchmarks/``.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("ecservice", deadline=None)
settings.load_profile("ecservice")
