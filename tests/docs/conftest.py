"""Small Sphinx projects built in a temporary directory, with the documentation's extensions."""

from __future__ import annotations

import io
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

EXT_DIR = Path(__file__).resolve().parents[2] / "docs" / "_ext"
STATIC_DIR = EXT_DIR.parent / "_static"

Build = Callable[..., tuple[Path, str]]


@pytest.fixture
def build_docs(tmp_path: Path) -> Iterator[Build]:
    """Build a project from ``{page name: MyST text}``; return ``(output dir, warnings)``."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    def build(pages: dict[str, str], *, builder: str = "html", conf: str = "") -> tuple[Path, str]:
        src = tmp_path / "src"
        src.mkdir(exist_ok=True)
        (src / "conf.py").write_text(
            textwrap.dedent(
                f"""\
                import sys
                sys.path.insert(0, {str(EXT_DIR)!r})
                extensions = ["myst_parser", "sphinx.ext.doctest", "workflow_diagram"]
                html_static_path = [{str(STATIC_DIR)!r}]
                html_css_files = ["ecservice.css"]
                suppress_warnings = ["toc.not_included"]
                """
            )
            + textwrap.dedent(conf),
            encoding="utf-8",
        )
        for name, text in pages.items():
            (src / f"{name}.md").write_text(textwrap.dedent(text), encoding="utf-8")
        out = tmp_path / "out" / builder
        warnings = io.StringIO()
        # A fresh docutils registry per build, as Sphinx's own test applications use.
        with docutils_namespace():
            app = Sphinx(
                str(src),
                str(src),
                str(out),
                str(tmp_path / "doctrees" / builder),
                builder,
                status=None,
                warning=warnings,
                freshenv=True,
            )
            app.build()
        return out, re.sub(r"\x1b\[[0-9;]*m", "", warnings.getvalue())

    saved_path = list(sys.path)
    yield build
    sys.path[:] = saved_path
