"""The examples in the library's docstrings run (``>>>`` blocks)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ecservice

MODULES = sorted(m.name for m in pkgutil.walk_packages(ecservice.__path__, "ecservice."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """Every docstring example of the module passes."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_docstring_examples_exist() -> None:
    """The doctest run is not empty: the core modules carry examples."""
    total = 0
    for name in (
        "ecservice.money",
        "ecservice.clock",
        "ecservice.workflow",
        "ecservice.orders._shipping",
    ):
        total += doctest.testmod(importlib.import_module(name)).attempted
    assert total >= 10
