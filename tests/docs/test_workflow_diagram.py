"""The ``workflow-diagram`` directive draws workflows into the HTML pages at build time."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.docs.conftest import EXT_DIR, Build

sys.path.insert(0, str(EXT_DIR))
import workflow_diagram as wd

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")

DOOR_SCRIPT = """
from ecservice.workflow import LabelledState, Workflow, transition


class Door(LabelledState):
    OPEN = ("open", "Open", "开着")
    CLOSED = ("closed", "Closed", "关着")


def has_key(door, ctx):
    return True


def jammed(door, ctx):
    return False


DOOR = Workflow(
    "door",
    states=Door,
    initial=Door.OPEN,
    transitions=[
        transition("close", Door.OPEN, Door.CLOSED),
        transition("open", Door.CLOSED, Door.OPEN),
        transition("knock", [Door.OPEN, Door.CLOSED], None, conditions=[has_key], unless=[jammed]),
    ],
)
NOT_A_WORKFLOW = 42

if __name__ == "__main__":
    raise SystemExit("the directive must not run the script as __main__")
"""


def _page(*directives: str) -> str:
    return "# Diagrams\n\n" + "\n\n".join(directives) + "\n"


def _directive(argument: str, *options: str) -> str:
    return "\n".join(["```{workflow-diagram} " + argument, *options, "```"])


@needs_dot
def test_html_inlines_an_accessible_svg_and_lists_internal_transitions(
    build_docs: Build, tmp_path: Path
) -> None:
    """Module and script arguments both draw; ``:internal: table`` adds the table under it."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "door.py").write_text(DOOR_SCRIPT, encoding="utf-8")
    page = _page(
        _directive("ecservice.orders:ORDER_WORKFLOW", ":caption: The *order* workflow"),
        _directive("door.py:DOOR", ":internal: table", ":caption: A door"),
    )
    out, warnings = build_docs({"index": page})
    assert warnings == ""
    html = (out / "index.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b[^>]*>", html)
    drawn = [s for s in svgs if 'class="workflow-svg"' in s]
    assert len(drawn) == 2
    assert all('role="img"' in s for s in drawn)
    assert 'aria-label="State diagram of the &#x27;order&#x27; workflow"' in drawn[0]
    assert "<?xml" not in html
    assert "<em>order</em> workflow" in html  # the caption is parsed as inline markup
    # Ids are unique on the page even when Graphviz uses the same ones in every drawing.
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    table = html[html.index("workflow-internal") :]
    assert "knock" in table
    assert "Open 开着, Closed 关着" in table
    assert "has_key, not jammed" in table
    assert "ecservice.css" in html


def test_other_builders_keep_caption_and_table_without_drawing(
    build_docs: Build, tmp_path: Path
) -> None:
    """The text builder gets no SVG (and needs no Graphviz); caption and table stay."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "door.py").write_text(DOOR_SCRIPT, encoding="utf-8")
    page = _page(_directive("door.py:DOOR", ":internal: table", ":caption: A door"))
    out, warnings = build_docs({"index": page}, builder="text")
    assert warnings == ""
    text = (out / "index.txt").read_text(encoding="utf-8")
    assert "<svg" not in text
    assert "A door" in text
    assert "knock" in text


def test_mistakes_are_warnings_at_the_directive(build_docs: Build, tmp_path: Path) -> None:
    """Each kind of mistake is reported with the page and a message that says what is wrong."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "door.py").write_text(DOOR_SCRIPT, encoding="utf-8")
    page = _page(
        _directive("ecservice.orders"),
        _directive("ecservice.no_such_module:FLOW"),
        _directive("ecservice.orders:NO_SUCH_WORKFLOW"),
        _directive("door.py:NOT_A_WORKFLOW"),
        _directive("missing.py:FLOW"),
        _directive("ecservice.orders:ORDER_WORKFLOW", ":internal: hide"),
    )
    _, warnings = build_docs({"index": page}, builder="text")
    expected = [
        "is not 'module.path:NAME' or 'path/to/file.py:NAME'",
        "cannot import 'ecservice.no_such_module'",
        "'ecservice.orders' has no name 'NO_SUCH_WORKFLOW'",
        "door.py:NOT_A_WORKFLOW is a int, not an ecservice.workflow.Workflow",
        "no file 'missing.py'",
        "hide",
    ]
    for message in expected:
        assert message in warnings
    assert warnings.count("index.md:") >= len(expected)


def test_missing_graphviz_is_a_warning(build_docs: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Graphviz the HTML build warns (so ``-W`` fails) instead of dropping silently."""
    from ecservice.workflow import DiagramUnavailable, Workflow

    def unavailable(self: object, **_: object) -> str:
        raise DiagramUnavailable("SVG diagrams need Graphviz's 'dot' program")

    monkeypatch.setattr(Workflow, "svg", unavailable)
    page = _page(_directive("ecservice.orders:ORDER_WORKFLOW"))
    out, warnings = build_docs({"index": page})
    assert "cannot draw ecservice.orders:ORDER_WORKFLOW" in warnings
    assert "'dot' program" in warnings
    assert 'class="workflow-svg"' not in (out / "index.html").read_text(encoding="utf-8")


def test_inline_svg_names_the_picture_and_prefixes_ids() -> None:
    """The prologue goes, the root gets role/aria-label/title, ids and references get a prefix."""
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- comment -->\n'
        '<svg width="10pt" height="5pt" viewBox="0 0 10 5">'
        '<g id="graph0"><path fill="url(#grad)"/><use href="#graph0"/></g></svg>'
    )
    text = wd.inline_svg(svg, label='The "x" workflow', prefix="p")
    assert text.startswith('<svg width="10pt"')
    assert 'role="img" aria-label="The &quot;x&quot; workflow"' in text
    assert "<title>The &quot;x&quot; workflow</title>" in text
    assert 'id="p-graph0"' in text
    assert 'href="#p-graph0"' in text
    assert "url(#p-grad)" in text


def test_state_text_shows_both_labels() -> None:
    """Labelled states read "English 中文"; other enum members their name."""
    import enum

    from ecservice.orders import OrderStatus

    class Plain(enum.Enum):
        WAITING = 1

    assert wd.state_text(OrderStatus.PROCESSING) == "Processing 正在处理"
    assert wd.state_text(Plain.WAITING) == "WAITING"
