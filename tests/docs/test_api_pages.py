"""The API pages show property types and only bases a reader can use (docs/_ext/api_pages.py)."""

from __future__ import annotations

import re
import sys
import textwrap
import types
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from tests.docs.conftest import EXT_DIR, Build

PACKAGE = {
    "__init__.py": '''
        """A package with a private shared base."""
        from __future__ import annotations

        from decimal import Decimal
        from typing import Generic, TypeVar

        from apidemo._shared import Hidden, Shared, T

        __all__ = ["Box", "Plain", "Shared", "UsesHidden", "UsesShared"]


        class Plain:
            """No base but object."""

            @property
            def total(self) -> Decimal:
                """The total."""
                return Decimal(0)


        class UsesHidden(Hidden[int]):
            """Its only base is private and exported nowhere."""


        class UsesShared(Shared):
            """Its base is private but re-exported here."""


        class Box(Generic[T]):
            """A generic class."""

            @property
            def item(self) -> T:
                """What the box holds."""
                raise NotImplementedError
        ''',
    "_shared.py": '''
        from typing import Generic, TypeVar

        T = TypeVar("T")


        class Hidden(Generic[T]):
            """Shared implementation."""


        class Shared:
            """Shared and public."""
        ''',
}

PAGE = """
# API

```{eval-rst}
.. automodule:: apidemo
   :members:
   :show-inheritance:
```
"""


@pytest.fixture
def apidemo(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "pkg"
    (root / "apidemo").mkdir(parents=True)
    for name, text in PACKAGE.items():
        (root / "apidemo" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    yield root
    for name in [m for m in sys.modules if m == "apidemo" or m.startswith("apidemo.")]:
        del sys.modules[name]


def test_bases_and_property_types(build_docs: Build, apidemo: Path) -> None:
    """No "Bases: object", no empty "Bases:", private bases by public name, typed properties."""
    conf = f"""
        sys.path.insert(0, {str(apidemo)!r})
        extensions += ["sphinx.ext.autodoc", "api_pages"]
        api_pages_package = "apidemo"
        autodoc_typehints = "none"
        nitpicky = True
        nitpick_ignore_regex = [(r"py:.*", r"(decimal|typing)(\\..*)?")]
        """
    out, warnings = build_docs({"index": PAGE}, conf=conf)
    assert warnings == ""
    html = (out / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    bases = re.findall(r"Bases:[^\n]*", text)
    assert sorted(bases) == ["Bases: Generic[T]", "Bases: Shared"]
    # The re-exported private base links to its public name.
    assert 'href="#apidemo.Shared"' in html
    assert re.search(r"property\s*total:\s*Decimal", text)
    assert re.search(r"property\s*item:\s*T", text)


def test_property_type_follows_the_class_bindings(apidemo: Path) -> None:
    """A subclass that binds a base's type variable shows the bound type, not the variable."""
    sys.path.insert(0, str(EXT_DIR))
    sys.path.insert(0, str(apidemo))
    try:
        import api_pages

        module = types.ModuleType("apidemo_bound")
        exec(
            "from apidemo import Box\nclass IntBox(Box[int]):\n    pass\n",
            module.__dict__,
        )
        sys.modules["apidemo_bound"] = module
        assert api_pages.property_annotation("apidemo_bound", "IntBox.item") is int
        assert isinstance(api_pages.property_annotation("apidemo", "Box.item"), TypeVar)
        assert api_pages.property_annotation("apidemo", "Plain.total") is Decimal
    finally:
        sys.modules.pop("apidemo_bound", None)
        sys.path.remove(str(apidemo))
        sys.path.remove(str(EXT_DIR))
