"""The public API is described where a reader looks: on its API page.

Every class exported by a public module (an ``__all__`` of a module whose dotted path has no
component starting with ``_``) must

* name each of its constructor parameters in an ``Args:`` section (Google style, rendered by
  napoleon as "Parameters") of the class docstring or of its ``__init__`` docstring (every
  parameter of an attrs class, whose ``__init__`` attrs writes for the class itself; a plain
  subclass that keeps its base's ``__init__`` may leave them to the base);
* annotate each constructor parameter with a type more precise than ``object`` or ``Any``
  (attrs takes the annotation of a converted field from its converter's first parameter, so an
  untyped converter would show ``object``);
* annotate the return type of each public property.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import re
import typing
from collections.abc import Iterator

import pytest

import ecservice

PUBLIC_MODULES = [
    "ecservice",
    *sorted(
        m.name
        for m in pkgutil.walk_packages(ecservice.__path__, "ecservice.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ),
]

# Constructor parameters that really accept any value, as ``"Class.parameter"``. Each entry
# says why. Keep it empty unless a parameter truly takes anything.
ACCEPTS_ANYTHING: dict[str, str] = {}

# The section headers napoleon reads as parameter lists.
_ARGS_HEADER = re.compile(
    r"^(?P<indent>[ \t]*)(Args|Arguments|Parameters|Keyword Args|Keyword Arguments|"
    r"Other Parameters):[ \t]*$"
)
_ARG_ENTRY = re.compile(r"^\*{0,2}(?P<name>\w+)\s*(\([^)]*\))?\s*:")


def _public_classes() -> Iterator[tuple[str, type]]:
    seen: set[int] = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not isinstance(obj, type) or id(obj) in seen:
                continue
            if not obj.__module__.startswith("ecservice"):
                continue
            seen.add(id(obj))
            yield f"{module_name}.{name}", obj


PUBLIC_CLASSES = sorted(_public_classes())


def _constructed(cls: type) -> bool:
    """Whether users build instances of ``cls`` by calling it with parameters."""
    if issubclass(cls, enum.Enum):  # members are looked up, not built
        return False
    return not getattr(cls, "_is_protocol", False)  # protocols are implemented, not built


def _constructor_parameters(cls: type) -> list[inspect.Parameter]:
    """The parameters a caller passes to ``cls(...)`` (none for a builtin ``__init__``)."""
    if not _constructed(cls):
        return []
    try:
        signature = inspect.signature(cls)
    except ValueError:  # an exception class keeping the builtin ``__init__(*args)``
        return []
    return list(signature.parameters.values())


def _documented_args(docstring: str | None) -> set[str]:
    """The parameter names listed in the ``Args:``-like sections of a docstring."""
    if not docstring:
        return set()
    lines = inspect.cleandoc(docstring).splitlines()
    names: set[str] = set()
    i = 0
    while i < len(lines):
        header = _ARGS_HEADER.match(lines[i])
        i += 1
        if header is None:
            continue
        base = len(header["indent"])
        entry_indent: int | None = None
        while i < len(lines):
            line = lines[i]
            if line.strip():
                indent = len(line) - len(line.lstrip())
                if indent <= base:
                    break
                if entry_indent is None:
                    entry_indent = indent
                if indent == entry_indent:
                    entry = _ARG_ENTRY.match(line.strip())
                    if entry is not None:
                        names.add(entry["name"])
            i += 1
    return names


def _constructor_docstrings(cls: type) -> list[str | None]:
    """The class docstring, and the docstrings of the ``__init__`` (or ``__new__``) it uses and of
    the class that defines it (a plain subclass that keeps its base's ``__init__``, such as an
    error class, is described by that base)."""
    docs: list[str | None] = [cls.__doc__]
    for method in ("__init__", "__new__"):
        for klass in cls.__mro__:
            if method in vars(klass):
                if klass.__module__.startswith("ecservice"):
                    docs.append(getattr(vars(klass)[method], "__doc__", None))
                    docs.append(klass.__doc__)
                break
    return docs


def _described_parameters(cls: type) -> set[str]:
    """The parameter names the class's own docstring or its ``__init__`` describe.

    Parameters of a generated ``__init__`` count too (attrs writes one per class): the API page
    of a class shows its own docstring only, so ``Order`` describes ``id`` and every event
    describes ``aggregate_id``.
    """
    described: set[str] = set()
    for doc in _constructor_docstrings(cls):
        described |= _documented_args(doc)
    return described


@pytest.mark.parametrize(("name", "cls"), PUBLIC_CLASSES, ids=[n for n, _ in PUBLIC_CLASSES])
def test_every_constructor_parameter_is_described(name: str, cls: type) -> None:
    """Each parameter of ``cls(...)`` is named in an ``Args:`` section of the class or __init__."""
    documented = _described_parameters(cls)
    missing = [p.name for p in _constructor_parameters(cls) if p.name not in documented]
    assert not missing, f"{name}: parameters not described in an Args: section: {missing}"


def _is_vague(annotation: object) -> bool:
    if annotation is inspect.Parameter.empty:
        return True
    if isinstance(annotation, str):
        return annotation.strip() in {"object", "Any", "typing.Any", "t.Any"}
    return annotation is object or annotation is typing.Any


@pytest.mark.parametrize(("name", "cls"), PUBLIC_CLASSES, ids=[n for n, _ in PUBLIC_CLASSES])
def test_constructor_parameters_have_precise_types(name: str, cls: type) -> None:
    """No constructor parameter is unannotated or typed ``object``/``Any`` (see the allow-list)."""
    vague = [
        p.name
        for p in _constructor_parameters(cls)
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and _is_vague(p.annotation)
        and f"{cls.__name__}.{p.name}" not in ACCEPTS_ANYTHING
    ]
    assert not vague, f"{name}: parameters typed object/Any or not at all: {vague}"


def _public_properties(cls: type) -> Iterator[tuple[str, property]]:
    for klass in cls.__mro__:
        if not klass.__module__.startswith("ecservice"):
            continue
        for attr, value in vars(klass).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, property):
                yield f"{klass.__qualname__}.{attr}", value


@pytest.mark.parametrize(("name", "cls"), PUBLIC_CLASSES, ids=[n for n, _ in PUBLIC_CLASSES])
def test_every_public_property_has_a_return_type(name: str, cls: type) -> None:
    """Each public property (own or inherited from an ecservice class) declares its type."""
    bare = [
        attr
        for attr, prop in _public_properties(cls)
        if prop.fget is None or "return" not in inspect.get_annotations(prop.fget)
    ]
    assert not bare, f"{name}: properties without a return annotation: {bare}"


def test_the_walk_sees_the_public_api() -> None:
    """The walk is not vacuous: it finds classes in every area and reads their Args sections."""
    areas = {name.rsplit(".", 1)[0] for name, _ in PUBLIC_CLASSES}
    assert {"ecservice.orders", "ecservice.payments", "ecservice.workflow"} <= areas
    with_parameters = [c for _, c in PUBLIC_CLASSES if _constructor_parameters(c)]
    assert len(with_parameters) >= 50


def test_the_args_parser_reads_google_style_sections() -> None:
    """The parser finds names in an Args section and ignores other sections and continuations."""
    doc = """Summary.

    Attributes:
        ignored: not a parameter.

    Args:
        first: meaning,
            continued: not a name.
        second (int): typed.
        *rest: variadic.
    """
    assert _documented_args(doc) == {"first", "second", "rest"}
