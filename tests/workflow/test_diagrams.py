"""Workflows draw themselves from their definition: Mermaid text, Graphviz DOT and SVG.

The Mermaid text is also checked with Mermaid's own parser in ``test_mermaid_parser.py``.
"""

from __future__ import annotations

import enum
import importlib.util
import itertools
import re
import shutil
import sys
import unicodedata
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.workflow import Context, DiagramUnavailable, LabelledState, Workflow, transition
from ecservice.workflow._diagram import edges, mermaid_text, state_ids
from tests.workflow.test_mermaid_parser import functional_enum, functional_labelled
from tests.workflow.test_mermaid_parser import workflows as hostile_workflows

HAS_GRAPHVIZ = importlib.util.find_spec("graphviz") is not None
HAS_DOT = shutil.which("dot") is not None
needs_graphviz = pytest.mark.skipif(not HAS_GRAPHVIZ, reason="the graphviz package is missing")
needs_dot = pytest.mark.skipif(
    not (HAS_GRAPHVIZ and HAS_DOT), reason="the graphviz package or Graphviz's dot is missing"
)
SVG = "{http://www.w3.org/2000/svg}"


class Door(LabelledState):
    OPEN = ("open", "Open", "开着")
    CLOSED = ("closed", "Closed", "关着")
    LOCKED = ("locked", "Locked", "锁着")
    BROKEN = ("broken", "Broken", "坏了")


class Plain(enum.Enum):
    SHUT = 1


def has_key(agg: Any, ctx: Context) -> bool:
    return True


def is_night(agg: Any, ctx: Context) -> bool:
    return False


def door(**overrides: Any) -> Workflow[Any]:
    kwargs: dict[str, Any] = {
        "states": Door,
        "initial": Door.OPEN,
        "final": [Door.LOCKED, Door.BROKEN],
        "transitions": [
            transition("close", Door.OPEN, Door.CLOSED),
            transition("open", Door.CLOSED, Door.OPEN),
            transition("lock", Door.CLOSED, Door.LOCKED, conditions=[has_key], unless=[is_night]),
            transition("kick", [Door.OPEN, Door.CLOSED], Door.BROKEN),
            transition("knock", Door.CLOSED, None),
            transition("knock", Door.OPEN, None, conditions=[has_key]),
        ],
    }
    kwargs.update(overrides)
    return Workflow("door", **kwargs)


def chain(names: list[str], labels: list[tuple[str, str]] | None = None) -> Workflow[Any]:
    """States called ``names`` in a line, the last one final."""
    states: list[enum.Enum]
    if labels is None:
        states = functional_enum("Named", [(n, i) for i, n in enumerate(names)])
    else:
        pairs = enumerate(zip(names, labels, strict=True))
        members = [(n, (f"v{i}", en, zh)) for i, (n, (en, zh)) in pairs]
        states = functional_labelled("Named", members)
    return Workflow(
        "chain",
        states=states,
        initial=states[0],
        final=[states[-1]],
        transitions=[transition("go", a, b) for a, b in itertools.pairwise(states)],
    )


# --- Mermaid -------------------------------------------------------------------------------------


def test_mermaid_draws_states_start_end_and_every_transition() -> None:
    """Bilingual labels, ``[*]`` into the initial state and out of the final ones, one arrow per
    (source, destination, trigger), guards as UML guard text, internal transitions as loops."""
    text = door().mermaid()
    lines = text.splitlines()
    assert lines[:5] == ["---", 'title: "door"', "---", "stateDiagram-v2", "  direction LR"]
    for s in Door:
        assert f'  state "{s.label_en} / {s.label_zh}" as {s.name}' in lines
    assert "  [*] --> OPEN" in lines
    assert "  LOCKED --> [*]" in lines
    assert "  BROKEN --> [*]" in lines
    assert "  CLOSED --> LOCKED: lock [has_key, not is_night]" in lines
    assert "  OPEN --> BROKEN: kick" in lines
    assert "  CLOSED --> BROKEN: kick" in lines
    assert "  CLOSED --> CLOSED: knock (internal)" in lines
    assert "  OPEN --> OPEN: knock [has_key] (internal)" in lines
    assert text.endswith("\n")


def test_mermaid_can_leave_internal_transitions_out() -> None:
    """``internal=False`` drops the loops of internal transitions and nothing else."""
    full = door().mermaid().splitlines()
    short = door().mermaid(internal=False).splitlines()
    assert [line for line in full if "(internal)" not in line] == short
    assert not any("knock" in line for line in short)


def test_mermaid_orders_arrows_by_source_state() -> None:
    """Arrows are grouped by source state, in the workflow's state order."""
    lines = [line for line in door().mermaid().splitlines() if " --> " in line and ": " in line]
    sources = [line.split()[0] for line in lines]
    order = [s.name for s in Door]
    assert sources == sorted(sources, key=order.index)


def test_mermaid_draws_plain_enum_states_by_name() -> None:
    """States without labels are drawn by name; derived workflows draw their added states."""
    wf: Workflow[Any] = door().derive(
        "w",
        add_states=[Plain.SHUT],
        add_transitions=[transition("shut", Door.CLOSED, Plain.SHUT)],
        final=[Door.LOCKED, Door.BROKEN, Plain.SHUT],
    )
    text = wf.mermaid()
    assert '  state "SHUT" as SHUT' in text
    assert "  CLOSED --> SHUT: shut" in text
    assert "  SHUT --> [*]" in text


def test_repeated_transitions_share_one_arrow() -> None:
    """Transitions with the same trigger, source and destination are one arrow listing each
    one's guards; an unguarded one among them makes the arrow unguarded."""
    a, b, c = Door.OPEN, Door.CLOSED, Door.LOCKED
    guarded = Workflow(
        "g",
        states=[a, b, c],
        initial=a,
        final=[c],
        transitions=[
            transition("go", a, b, conditions=[has_key]),
            transition("go", a, b, unless=[is_night]),
            transition("end", b, c),
        ],
    )
    assert "  OPEN --> CLOSED: go [has_key] or [not is_night]" in guarded.mermaid()
    open_: Workflow[Any] = guarded.derive("h", add_transitions=[transition("go", a, b)])
    assert "  OPEN --> CLOSED: go\n" in open_.mermaid()


def test_mermaid_gives_unsafe_state_names_generated_ids() -> None:
    """Names that are not plain ASCII identifiers, or that Mermaid reads as keywords, become
    ``s<position>``; a generated id never takes a name a state already has."""
    wf = chain(["待审核", "state", "s1", "OK", "clicked", "1st", "a b", "end2", "x_direction"])
    ids = state_ids(wf)
    assert list(ids.values()) == ["s1_", "s2", "s1", "OK", "s5", "s6", "s7", "s8", "s9"]
    text = wf.mermaid()
    assert '  state "待审核" as s1_' in text
    assert '  state "a b" as s7' in text
    assert "  [*] --> s1_" in text
    assert "  s1_ --> s2: go" in text


def test_mermaid_escapes_labels() -> None:
    """Characters that would end a label or start syntax are written as entity codes."""
    wf = chain(
        ["A", "B"],
        [('Awaiting "VIP" check', "待审核"), ("50% #1; a:b <b>{x}</b> -->\\n", "line\nbreak")],
    )
    text = wf.mermaid()
    assert '  state "Awaiting #34;VIP#34; check / 待审核" as A' in text
    assert (
        '  state "50#37; #35;1#59; a#58;b #60;b#62;#123;x#125;#60;/b#62; -#45;#62;#92;n'
        ' / line#10;break" as B'
    ) in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text 中文 🚚", "plain text 中文 🚚"),
        ('"', "#34;"),
        ("%%{init}%%", "#37;#37;#123;init#125;#37;#37;"),
        ("a --> b", "a -#45;#62; b"),
        ("---", "-#45;#45;"),
        ("[[fork]]", "#91;#91;fork#93;#93;"),
        ("  padded ", "#32;#32;padded#32;"),
        ("tab\there", "tab#9;here"),
        ("direction LR", "directio#110; LR"),
        ("DIRECTION", "DIRECTIO#78;"),
        ("directions", "directions"),
        ("R&D", "R#38;D"),
        ("`md`", "#96;md#96;"),
        ("\u2028", "#8232;"),
        ("zero\u200bwidth", "zero#8203;width"),
        ("ﬂ°°35¶ß", "#64258;°°35#182;ß"),
        ("", ""),
    ],
)
def test_mermaid_text_escapes(raw: str, escaped: str) -> None:
    """What :func:`mermaid_text` writes for each kind of hostile text."""
    assert mermaid_text(raw) == escaped


def test_mermaid_title_is_a_quoted_yaml_string() -> None:
    """The workflow's name goes into the front matter as a JSON (YAML) string, printable."""
    wf: Workflow[Any] = Workflow(
        'a "b"\n<c>',
        states=[Door.OPEN, Door.LOCKED],
        initial=Door.OPEN,
        final=[Door.LOCKED],
        transitions=[transition("lock", Door.OPEN, Door.LOCKED)],
    )
    assert wf.mermaid().startswith('---\ntitle: "a \\"b\\"\\n\\u003cc\\u003e"\n---\n')


def test_edges_lists_the_arrows() -> None:
    """:func:`edges` is what both formats draw."""
    drawn = edges(door())
    assert [(e.source.name, e.dest.name, e.trigger, e.internal) for e in drawn] == [
        ("OPEN", "CLOSED", "close", False),
        ("OPEN", "BROKEN", "kick", False),
        ("OPEN", "OPEN", "knock", True),
        ("CLOSED", "OPEN", "open", False),
        ("CLOSED", "LOCKED", "lock", False),
        ("CLOSED", "BROKEN", "kick", False),
        ("CLOSED", "CLOSED", "knock", True),
    ]
    assert drawn[4].guards == (("has_key", "not is_night"),)
    assert drawn[4].label() == "lock [has_key, not is_night]"
    assert drawn[2].label() == "knock [has_key] (internal)"
    assert len(edges(door(), internal=False)) == 5


# --- DOT and SVG ---------------------------------------------------------------------------------


@needs_graphviz
def test_dot_draws_states_and_merges_parallel_arrows() -> None:
    """Nodes carry two-line labels; final states a double border; arrows between the same two
    states are merged, one line per trigger; internal transitions are dashed loops."""
    source = door().dot()
    assert "rankdir=TB" in source
    assert 'OPEN [label="Open\\n开着" class="state initial"' in source
    assert re.search(r'LOCKED \[label="Locked\\n锁着" class="state final" .*peripheries=2', source)
    assert '"[*]" -> OPEN' in source
    assert 'CLOSED -> LOCKED [label="lock [has_key, not is_night]" class=transition' in source
    assert re.search(
        r'CLOSED -> CLOSED \[label="knock\\n\(internal\)" class="transition internal" .*dashed',
        source,
    )
    assert "OPEN -> BROKEN [label=kick class=transition" in source
    assert "Noto Sans CJK SC" in source
    assert "knock" not in door().dot(internal=False)


@needs_graphviz
def test_dot_keeps_hostile_labels_literal() -> None:
    """Backslashes, HTML-looking text, entities, quotes and control characters in labels stay
    text: no Graphviz escape (``\\N``), no HTML label, no entity, no invalid XML."""
    wf = chain(["A", "B"], [("<b>bold</b>", "&lt; \\N"), ('say "hi"\x07', "x\ny")])
    source = wf.dot()
    assert 'label="<b>bold</b>\\n&amp;lt; \\\\N"' in source
    assert 'label="say \\"hi\\"\ufffd\\nx\\ny"' in source


@needs_dot
def test_svg_is_inline_ready_and_shows_labels_as_text() -> None:
    """svg() starts at ``<svg`` (no XML declaration or doctype), is well-formed XML, keeps the
    CSS classes and ids, and shows hostile labels exactly."""
    wf = chain(["A", "B"], [("<b>bold</b> & more", "待审核"), ("C:\\path\\N", "🚚")])
    text = wf.svg()
    assert text.startswith("<svg")
    root = ET.fromstring(text)
    shown = [t.text for t in root.iter(f"{SVG}text")]
    assert "<b>bold</b> & more" in shown
    assert "待审核" in shown
    assert "C:\\path\\N" in shown
    classes = {g.get("class") for g in root.iter(f"{SVG}g")}
    assert {"node state initial", "node state final", "edge transition"} <= classes
    assert root.find(f".//{SVG}g[@id='chain-state-A']") is not None


@needs_dot
def test_svg_of_the_door() -> None:
    """The door's SVG names every state in both languages; hiding internal transitions removes
    the dashed loop."""
    text = door().svg()
    for s in Door:
        assert s.label_en in text
        assert s.label_zh in text
    assert "knock" in text
    assert "knock" not in door().svg(internal=False)


def _shown_lines(state: enum.Enum) -> list[str]:
    """The lines of ``state``'s label that SVG shows as they are (no control characters)."""
    text = f"{state.label_en}\n{state.label_zh}" if isinstance(state, LabelledState) else state.name
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not any(unicodedata.category(c) == "Cc" for c in line)
    ]


@needs_dot
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflow=hostile_workflows(), internal=st.booleans())
def test_svg_of_hostile_workflows_is_xml_showing_every_label(
    workflow: Workflow[Any], internal: bool
) -> None:
    """Whatever the names and labels, the SVG is well-formed XML and shows each label line as
    text (the same hostile workflows Mermaid's parser gets)."""
    root = ET.fromstring(workflow.svg(internal=internal))
    shown = {(t.text or "").strip() for t in root.iter(f"{SVG}text")}
    for s in workflow.states:
        for line in _shown_lines(s):
            assert line in shown


def test_dot_and_svg_without_the_graphviz_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the graphviz Python package, dot() and svg() raise DiagramUnavailable saying what
    to install (not ImportError); mermaid() still works."""
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(DiagramUnavailable, match="'graphviz' Python package"):
        door().dot()
    with pytest.raises(DiagramUnavailable, match="'graphviz' Python package"):
        door().svg()
    assert "stateDiagram-v2" in door().mermaid()


@needs_graphviz
def test_svg_without_the_dot_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the package but no ``dot`` on PATH, svg() says what is missing; dot() still works."""
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(DiagramUnavailable, match="'dot' program"):
        door().svg()
    assert door().dot().startswith("digraph door {")


def _two_states(name: str, first: str, *, workflow: str = "w") -> Workflow[Any]:
    states = list(enum.Enum(name, [(first, 0), ("B", 1)]))  # type: ignore[misc]
    return Workflow(
        workflow,
        states=states,
        initial=states[0],
        final=[states[1]],
        transitions=[transition("go", states[0], states[1])],
    )


@needs_dot
@pytest.mark.parametrize("name", ["<b>x</b>", "<<i>draft</i>>", "<>", "<B>Paid"])
def test_a_label_shaped_like_html_is_drawn_as_text(name: str) -> None:
    """Graphviz reads a label written ``<...>`` as HTML: every label is passed as plain text,
    so the tags are drawn literally and a malformed one cannot break the drawing."""
    drawing = _two_states("H", name).svg()
    ET.fromstring(drawing)
    texts = ["".join(t.itertext()) for t in ET.fromstring(drawing).iter(f"{SVG}text")]
    assert name in texts


@needs_graphviz
def test_workflows_named_without_ascii_get_distinct_ids() -> None:
    """Two diagrams on one page never share element ids, whatever the workflows are called."""
    first = _two_states("H", "A", workflow="订单").dot()
    second = _two_states("H", "A", workflow="支付").dot()
    ids = re.compile(r'id="?([^" \]]+)')
    assert not set(ids.findall(first)) & set(ids.findall(second))


def test_an_unguarded_fallback_is_labelled_else() -> None:
    """Transitions of one trigger from one state are tried in order: the unguarded one after a
    guarded one is drawn as UML's ``[else]``; an arrow that is always taken shows no guard."""

    def paid(order: object, ctx: Context) -> bool:
        return True

    states = list(enum.Enum("P", [("NEW", 0), ("PAID", 1), ("FAILED", 2)]))  # type: ignore[misc]
    workflow: Workflow[Any] = Workflow(
        "p",
        states=states,
        initial=states[0],
        final=states[1:],
        transitions=[
            transition("settle", states[0], states[1], conditions=[paid]),
            transition("settle", states[0], states[2]),
        ],
    )
    text = workflow.mermaid()
    assert "  NEW --> PAID: settle [paid]\n" in text
    assert "  NEW --> FAILED: settle [else]\n" in text
