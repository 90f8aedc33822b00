"""The public API: every exported name exists, and every trigger has a typed method."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import ecservice
from ecservice.orders import CART_WORKFLOW, ORDER_WORKFLOW, Cart, Order

PUBLIC_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(ecservice.__path__, "ecservice.")
    if not any(part.startswith("_") for part in m.name.split("."))
)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_name_in_all_is_importable_and_sorted(name: str) -> None:
    """Each public module has a sorted ``__all__`` whose names all exist."""
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"

    # isort-style order (as ruff's RUF022 checks): CONSTANTS, then Classes, then functions.
    def key(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert list(exported) == sorted(exported, key=key), f"{name}.__all__ is not sorted"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.{attr} is in __all__ but missing"


@pytest.mark.parametrize(("cls", "workflow"), [(Order, ORDER_WORKFLOW), (Cart, CART_WORKFLOW)])
def test_every_default_trigger_has_a_typed_method(cls: type, workflow: object) -> None:
    """Each trigger of a default workflow is a method with annotated parameters and return."""
    from ecservice.workflow import Workflow

    assert isinstance(workflow, Workflow)
    for trig in workflow.triggers:
        method = getattr(cls, trig)
        assert inspect.isfunction(method), f"{cls.__name__}.{trig} is not a method"
        hints = inspect.get_annotations(method)
        assert "return" in hints, f"{cls.__name__}.{trig} has no return annotation"
        params = inspect.signature(method).parameters
        assert "actor" in params, f"{cls.__name__}.{trig} does not take an actor"
        for pname in params:
            if pname != "self":
                assert pname in hints, f"{cls.__name__}.{trig}({pname}) is not annotated"


def test_py_typed_marker_is_shipped() -> None:
    """The package carries py.typed, so type checkers use its annotations."""
    from pathlib import Path

    assert (Path(ecservice.__file__).parent / "py.typed").is_file()
