"""The API reference documents every public name exactly once, and nothing private.

The pages under ``docs/api/`` list their entries one by one (``autoclass``, ``autofunction``,
``autodata``, ``autoexception`` and ``py:data``-style directives), in reader order. This test reads
those directives, the way Sphinx resolves their names (a bare name belongs to the module set by
the last ``automodule``, ``py:module`` or ``py:currentmodule``), and compares them with the
``__all__`` of every public module.

A name re-exported by several public modules (``ecservice.Money`` is ``ecservice.money.Money``) is
one thing, documented once: where it is defined when that module is public (except the errors in
``AREA_ERRORS``), otherwise under one of the public modules that export it, never under the
top-level package, which only gathers the names most programs need.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections import Counter
from pathlib import Path

import pytest

import ecservice

API_DIR = Path(__file__).resolve().parents[2] / "docs" / "api"

#: Names documented on purpose although no ``__all__`` lists them: the parameters of a
#: public generic class, which its documented signature refers to.
EXTRA: frozenset[str] = frozenset({"ecservice.workflow.P"})

#: Errors of :mod:`ecservice.errors` that one area alone raises and re-exports: they are documented
#: with that area, under the name its users import (``ecservice.payments.IdempotencyConflict``).
AREA_ERRORS: dict[str, str] = {
    "IdempotencyConflict": "ecservice.payments",
    "ReadOnlyField": "ecservice.workflow",
}

_RST = re.compile(r"^\s*\.\.\s+(?P<directive>[\w:]+)::\s*(?P<arg>\S*)")
_MYST = re.compile(r"^\s*(?:```+|:::+)\{(?P<directive>[\w:-]+)\}\s*(?P<arg>\S*)")
_OPTION = re.compile(r"^\s*:module:\s*(?P<module>\S+)")
_SETS_MODULE = {"automodule", "py:module", "module", "py:currentmodule", "currentmodule"}
_ENTRIES = {
    "autoclass",
    "autoexception",
    "autofunction",
    "autodata",
    "py:class",
    "py:exception",
    "py:function",
    "py:data",
}


@functools.cache
def _public_modules() -> tuple[str, ...]:
    found = [
        m.name
        for m in pkgutil.walk_packages(ecservice.__path__, "ecservice.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]
    return ("ecservice", *sorted(found))


@functools.cache
def documented_names() -> tuple[tuple[str, str], ...]:
    """Every ``(full name, page)`` the API pages document with an entry directive."""
    entries: list[tuple[str, str]] = []
    for page in sorted(API_DIR.rglob("*.md")):
        module = ""
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            match = _RST.match(line) or _MYST.match(line)
            if match is None:
                continue
            directive, arg = match["directive"], match["arg"]
            if directive in _SETS_MODULE:
                module = arg
                continue
            if directive not in _ENTRIES or not arg:
                continue
            name = arg.split("(", 1)[0]
            target = module
            for option in lines[i + 1 : i + 8]:
                if (found := _OPTION.match(option)) is not None:
                    target = found["module"]
                    break
                if not option.strip().startswith(":"):
                    break
            full = name if name.startswith("ecservice.") else f"{target}.{name}"
            entries.append((full, str(page.relative_to(API_DIR))))
    return tuple(entries)


def _resolve(full: str) -> object:
    module_name, _, attr = full.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def _defined_in(obj: object) -> str | None:
    """The module that defines ``obj`` when it is a class or function (data has no home)."""
    if isinstance(obj, type) or (callable(obj) and hasattr(obj, "__qualname__")):
        return getattr(obj, "__module__", None)
    return None


def test_pages_exist() -> None:
    """The reference has pages, and they document a few hundred names."""
    assert len(documented_names()) > 200


def test_automodule_shows_only_the_module_docstring() -> None:
    """Every ``automodule`` has ``:no-members:``: members are listed one by one, in reader order."""
    listing = []
    for page in sorted(API_DIR.rglob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            match = _RST.match(line) or _MYST.match(line)
            if match is not None and match["directive"] == "automodule":
                options = []
                for option in lines[i + 1 :]:
                    if not option.strip().startswith(":"):
                        break
                    options.append(option.strip())
                if ":no-members:" not in options:
                    listing.append(f"{match['arg']} ({page.relative_to(API_DIR)})")
    assert listing == []


def test_no_name_is_documented_twice() -> None:
    """Each full name has one entry in the whole reference."""
    counts = Counter(name for name, _ in documented_names())
    assert [name for name, n in counts.items() if n > 1] == []


def test_nothing_private_is_documented() -> None:
    """Every documented name is listed in the ``__all__`` of the public module it is shown under."""
    public = set(_public_modules())
    wrong = []
    for full, page in documented_names():
        module_name, _, attr = full.rpartition(".")
        if full in EXTRA:
            continue
        exported = getattr(importlib.import_module(module_name), "__all__", ())
        if module_name not in public or attr not in exported:
            wrong.append(f"{full} ({page})")
    assert wrong == []


@pytest.mark.parametrize("module_name", _public_modules())
def test_every_public_name_is_documented_once(module_name: str) -> None:
    """Each name of the module's ``__all__`` is documented exactly once, in the right place.

    The same object under the same name in several modules is one name. Its entry is under the
    module that defines it if that module is public and exports it (but see ``AREA_ERRORS``);
    otherwise under a public module that exports it, other than the top-level package when there
    is another.
    """
    public = _public_modules()
    documented = {full for full, _ in documented_names()}
    module = importlib.import_module(module_name)
    problems = []
    for attr in module.__all__:
        obj = getattr(module, attr)
        homes = [
            m
            for m in public
            if attr in getattr(importlib.import_module(m), "__all__", ())
            and getattr(importlib.import_module(m), attr) is obj
        ]
        entries = [m for m in homes if f"{m}.{attr}" in documented]
        if len(entries) != 1:
            problems.append(f"{attr}: documented under {entries or 'no module'}")
            continue
        (entry,) = entries
        defined = _defined_in(obj)
        if defined == "ecservice.errors" and attr in AREA_ERRORS:
            defined = AREA_ERRORS[attr]
        if defined in homes and entry != defined:
            problems.append(f"{attr}: documented under {entry}, defined in {defined}")
        elif entry == "ecservice" and homes != ["ecservice"]:
            problems.append(f"{attr}: documented under the top-level package, not {homes[1:]}")
    assert problems == []


def test_every_documented_name_exists() -> None:
    """No entry names something that is gone (autodoc would only warn)."""
    missing = []
    for full, page in documented_names():
        if full in EXTRA:
            continue
        try:
            _resolve(full)
        except (AttributeError, ImportError):
            missing.append(f"{full} ({page})")
    assert missing == []
