"""Diagrams of workflows, written from the same definition that runs.

Two formats:

* **Mermaid** ``stateDiagram-v2`` text, written here character by character. Every label is
  escaped with Mermaid's entity codes (``#34;`` for ``"``) so that no text a workflow carries can
  end a label early or be read as syntax, and every state gets an id Mermaid's lexer reads as a
  plain name. The rules follow Mermaid's grammar (``stateDiagram.jison``) and its preprocessing
  (front matter, ``%%`` comments and directives, entity codes); the test suite checks the output
  with Mermaid's own parser.
* **DOT** for Graphviz, built with the ``graphviz`` package (which quotes identifiers and
  attributes), and **SVG** drawn from it by Graphviz's ``dot`` program.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from ecservice.errors import EcServiceError
from ecservice.workflow._records import LabelledState

if TYPE_CHECKING:
    from ecservice.workflow._definition import Transition, Workflow

__all__ = [
    "DiagramUnavailable",
    "Edge",
    "dot",
    "edges",
    "guard_names",
    "guard_text",
    "mermaid",
    "mermaid_text",
    "state_ids",
    "svg",
]


class DiagramUnavailable(EcServiceError):
    """A diagram format needs software that is not installed (Graphviz for DOT and SVG)."""


# --- what is drawn -------------------------------------------------------------------------------


def _guard_name(fn: object) -> str:
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name else type(fn).__name__


def guard_names(transition: Transition[Any]) -> tuple[str, ...]:
    """The guards of ``transition`` by ``__name__``: ``conditions``, then ``not`` + ``unless``."""
    names = [_guard_name(c) for c in transition.conditions]
    names += [f"not {_guard_name(c)}" for c in transition.unless]
    return tuple(names)


def guard_text(names: Iterable[str]) -> str:
    """UML guard text: ``"[paid, not blocked]"``, or ``""`` when there are no guards."""
    names = tuple(names)
    return f"[{', '.join(names)}]" if names else ""


ELSE = "else"


def drawn_guards(
    workflow: Workflow[Any],
) -> Iterator[tuple[Transition[Any], enum.Enum, tuple[str, ...]]]:
    """Each declared transition per source state with the guard names a diagram shows for it.

    Transitions of one trigger from one state are tried in declaration order; an unguarded one
    declared after a guarded one is the fallback, shown as UML's ``[else]``.
    """
    guarded: set[tuple[str, enum.Enum]] = set()
    for t in workflow.transitions:
        names = guard_names(t)
        for source in t.sources:
            if names:
                guarded.add((t.trigger, source))
                yield t, source, names
            else:
                yield t, source, (ELSE,) if (t.trigger, source) in guarded else ()


@attrs.frozen
class Edge:
    """One arrow of a diagram: ``trigger`` leads from ``source`` to ``dest``.

    ``internal`` arrows come from internal transitions (``dest`` is ``source``). ``guards`` holds
    the guard names (see :func:`guard_names`) of each declared transition the arrow stands for,
    in priority order; it is empty when one of them has no guard (the trigger then follows the
    arrow whenever the others' guards fail).
    """

    source: enum.Enum
    dest: enum.Enum
    trigger: str
    internal: bool
    guards: tuple[tuple[str, ...], ...]

    def label(self, name: Callable[[str], str] = str) -> str:
        """``trigger [guards]`` (alternatives joined by ``or``), ``(internal)`` if internal.

        ``name`` is applied to the trigger and to each guard name (to escape them).
        """
        parts = [name(self.trigger)]
        parts += [
            ("or " if i else "") + guard_text(name(g) for g in alternative)
            for i, alternative in enumerate(self.guards)
        ]
        if self.internal:
            parts.append("(internal)")
        return " ".join(parts)


def edges(workflow: Workflow[Any], *, internal: bool = True) -> tuple[Edge, ...]:
    """The arrows of ``workflow``'s diagram: one per (source, destination, trigger).

    Arrows are ordered by source state (in the workflow's state order), then by declaration.
    ``internal=False`` leaves out internal transitions (``dest`` is ``None``).
    """
    found: dict[tuple[enum.Enum, enum.Enum, str, bool], list[tuple[str, ...]]] = {}
    for t, source, names in drawn_guards(workflow):
        if t.dest is None and not internal:
            continue
        key = (source, source if t.dest is None else t.dest, t.trigger, t.dest is None)
        found.setdefault(key, []).append(names)
    order = {s: i for i, s in enumerate(workflow.states)}
    keys = sorted(found, key=lambda k: order[k[0]])  # stable: declaration order within a source
    result: list[Edge] = []
    for key in keys:
        guards = found[key]
        # Unguarded (first or as the fallback) with no other destination for this trigger
        # from this state: the arrow is always taken, so no guard is shown.
        alone = not any(k[0] == key[0] and k[2] == key[2] and k[1] != key[1] for k in found)
        always = () in guards or (alone and (ELSE,) in guards)
        shown = () if always else tuple(dict.fromkeys(guards))
        result.append(Edge(key[0], key[1], key[2], key[3], shown))
    return tuple(result)


# --- Mermaid -------------------------------------------------------------------------------------

_SAFE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Names Mermaid's state diagram lexer (case-insensitive) reads as keywords when they stand alone
# (``state``, ``note``, ``class``, ... followed by white space; ``accTitle`` before a colon),
# words of its syntax, and the ids it gives start, end and root nodes itself.
_MERMAID_RESERVED = frozenset(
    {
        "accdescr",
        "acctitle",
        "as",
        "choice",
        "class",
        "classdef",
        "click",
        "default",
        "direction",
        "end",
        "fork",
        "hide",
        "href",
        "join",
        "left",
        "note",
        "of",
        "right",
        "root",
        "root_end",
        "root_start",
        "scale",
        "start",
        "state",
        "statediagram",
        "style",
        "title",
    }
)
# The lexer matches these at the start of any name, with no word boundary (``clicked`` is read
# as ``click`` + ``ed``).
_MERMAID_PREFIXES = ("click", "href", "default", "acctitle", "accdescr")
_MERMAID_NODE_ID = re.compile(r"(?:start|end)[0-9]*\Z")


def _mermaid_safe(name: str) -> bool:
    if not _SAFE_ID.match(name):
        return False
    low = name.lower()
    return not (
        low in _MERMAID_RESERVED
        or low.startswith(_MERMAID_PREFIXES)
        # ``direction`` followed by white space and TB/BT/LR/RL anywhere in a line is read as a
        # direction statement; a name ending in it could be followed by such a line.
        or low.endswith("direction")
        or _MERMAID_NODE_ID.match(low)
    )


def state_ids(workflow: Workflow[Any]) -> dict[enum.Enum, str]:
    """A diagram id per state: its name when that is a plain ASCII identifier Mermaid does not
    read as a keyword, else ``s<position>`` (``s1`` for the first state), never two alike."""
    kept = {s: s.name for s in workflow.states if _mermaid_safe(s.name)}
    used = set(kept.values())
    ids: dict[enum.Enum, str] = {}
    for i, s in enumerate(workflow.states, start=1):
        if s in kept:
            ids[s] = kept[s]
            continue
        candidate = f"s{i}"
        while candidate in used:
            candidate += "_"
        used.add(candidate)
        ids[s] = candidate
    return ids


# Characters spelled as entity codes in labels: the ones that end a label or a statement, start
# comments (``#``, ``%%``), directives (``%%{``), HTML, markdown or fork/join markers (``<<``,
# ``[[``), the backslash of ``\n`` line breaks, and the two characters of Mermaid's own entity
# placeholders.
_MERMAID_SPECIAL = frozenset('"#;:%&<>{}[]\\`\ufb02\xb6')
_MERMAID_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_DIRECTION = re.compile(r"(directio)(n)(?![A-Za-z0-9_])", re.IGNORECASE)


def _entity(ch: str) -> str:
    return f"#{ord(ch)};"


def mermaid_text(text: str) -> str:
    """``text`` as a Mermaid label: special and invisible characters become entity codes.

    Mermaid turns ``#<number>;`` into the character when it draws, so the label reads as
    ``text``. Leading and trailing white space is kept (Mermaid would trim it), ``--`` is split,
    and the word ``direction`` never stands before white space (Mermaid would read a
    ``direction`` statement).

    >>> mermaid_text('Awaiting "VIP" check #1; 50% <b>')
    'Awaiting #34;VIP#34; check #35;1#59; 50#37; #60;b#62;'
    """
    out: list[str] = []
    last = len(text) - 1
    lead = len(text) - len(text.lstrip())
    trail = last - (len(text) - len(text.rstrip())) + 1
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r":
            # Control characters and lone surrogates have no drawing (and HTML reads #128; to
            # #159; as Windows-1252 letters): shown as the replacement character, as in DOT.
            out.append("\ufffd")
        elif (
            ch in _MERMAID_SPECIAL
            or unicodedata.category(ch) in _MERMAID_INVISIBLE
            or i < lead
            or i >= trail
            or (ch == "-" and i > 0 and text[i - 1] == "-")
        ):
            out.append(_entity(ch))
        else:
            out.append(ch)
    return _no_direction("".join(out))


def _no_direction(text: str) -> str:
    return _DIRECTION.sub(lambda m: m.group(1) + _entity(m.group(2)), text)


def _title(name: str) -> str:
    """``name`` as a YAML (JSON) string for the front matter, printable characters only."""
    out: list[str] = []
    for ch in json.dumps(name, ensure_ascii=False):
        if ch in "<>&" or unicodedata.category(ch) in _MERMAID_INVISIBLE:
            # \uXXXX; above U+FFFF a surrogate pair, which json writes
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else json.dumps(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)


def _state_label(state: enum.Enum) -> str:
    if isinstance(state, LabelledState):
        return f"{state.label_en} / {state.label_zh}"
    return state.name


def mermaid(workflow: Workflow[Any], *, internal: bool = True) -> str:
    """Mermaid ``stateDiagram-v2`` text for ``workflow`` (see :meth:`Workflow.mermaid`)."""
    ids = state_ids(workflow)
    lines = [
        "---",
        f"title: {_title(workflow.name)}",
        "---",
        "stateDiagram-v2",
        "  direction LR",
    ]
    lines += [f'  state "{mermaid_text(_state_label(s))}" as {ids[s]}' for s in workflow.states]
    lines.append(f"  [*] --> {ids[workflow.initial]}")
    for e in edges(workflow, internal=internal):
        label = _no_direction(e.label(mermaid_text))
        lines.append(f"  {ids[e.source]} --> {ids[e.dest]}: {label}")
    lines += [f"  {ids[s]} --> [*]" for s in workflow.states if s in workflow.final]
    return "\n".join(lines) + "\n"


# --- Graphviz ------------------------------------------------------------------------------------

#: Fonts for DOT and SVG: sans-serif families with Chinese glyphs first, then generic ones. SVG
#: keeps the list as a CSS ``font-family``, so browsers pick the first font they have.
FONTS = (
    "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, "
    "WenQuanYi Micro Hei, Helvetica, Arial, sans-serif"
)

_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _dot_line(text: str) -> str:
    """One line of a DOT label: no backslash escapes, no entities, only printable characters."""
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch == "\t":
            out.append(" ")
        elif category in ("Cc", "Cs") or ch in "\ufffe\uffff":  # not allowed in XML
            out.append("\ufffd")
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "&":
            out.append("&amp;")  # Graphviz reads entities in labels; keep ``&`` literal
        else:
            out.append(ch)
    return "".join(out)


def _dot_label(lines: Iterable[str]) -> str:
    """A DOT label of several lines (each line may itself hold line breaks)."""
    from graphviz import nohtml  # type: ignore[import-untyped, unused-ignore]

    parts = [_dot_line(part) for line in lines for part in _LINE_BREAKS.split(line)]
    # The NoHtml marker (a str subclass) must reach the graphviz package: a label shaped like
    # ``<...>`` would otherwise be written unquoted and read as an HTML label.
    label: str = nohtml("\\n".join(parts))
    return label


def _slug(text: str) -> str:
    """An id prefix for ``text``: its ASCII letters and digits, plus a short hash when that
    loses anything (so ``"订单"`` and ``"支付"`` get different prefixes)."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-")
    if slug == text:
        return slug
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"workflow-{digest}"


def _graphviz() -> Any:
    try:
        import graphviz  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        raise DiagramUnavailable(
            "DOT and SVG diagrams need the 'graphviz' Python package: "
            "pip install 'ecservice[diagrams]'; Mermaid text needs nothing: Workflow.mermaid(), "
            "or 'ecservice diagram --format mermaid'"
        ) from None
    return graphviz


def _node_lines(state: enum.Enum) -> list[str]:
    if isinstance(state, LabelledState):
        return [state.label_en, state.label_zh]
    return [state.name]


def _grouped(
    drawn: Iterable[Edge],
) -> Iterator[tuple[enum.Enum, enum.Enum, bool, list[Edge]]]:
    groups: dict[tuple[enum.Enum, enum.Enum, bool], list[Edge]] = {}
    for e in drawn:
        groups.setdefault((e.source, e.dest, e.internal), []).append(e)
    for (source, dest, inner), group in groups.items():
        yield source, dest, inner, group


def dot(workflow: Workflow[Any], *, internal: bool = True) -> str:
    """DOT source for ``workflow`` (see :meth:`Workflow.dot`)."""
    graphviz = _graphviz()
    ids = state_ids(workflow)
    prefix = _slug(workflow.name)
    graph = graphviz.Digraph(name=prefix)
    graph.attr(
        "graph",
        rankdir="TB",  # top to bottom: narrower than wide, fits a page
        bgcolor="transparent",
        fontname=FONTS,
        nodesep="0.35",
        ranksep="0.6",
        pad="0.1",
        id=f"{prefix}-workflow",
        **{"class": "workflow"},
    )
    graph.attr("node", shape="box", style="rounded", fontname=FONTS, fontsize="12", margin="0.15")
    graph.attr("edge", fontname=FONTS, fontsize="10", arrowsize="0.7")
    start = "[*]"  # not an identifier, so never the id of a state
    graph.node(
        start,
        label="",
        shape="point",
        width="0.15",
        id=f"{prefix}-start",
        **{"class": "start"},
    )
    for s in workflow.states:
        classes = ["state"]
        if s is workflow.initial:
            classes.append("initial")
        if s in workflow.final:
            classes.append("final")
        graph.node(
            ids[s],
            label=_dot_label(_node_lines(s)),
            id=f"{prefix}-state-{ids[s]}",
            peripheries="2" if s in workflow.final else "1",
            **{"class": " ".join(classes)},
        )
    graph.edge(
        start, ids[workflow.initial], id=f"{prefix}-start-edge", **{"class": "transition start"}
    )
    for n, (source, dest, inner, group) in enumerate(_grouped(edges(workflow, internal=internal))):
        lines = [attrs.evolve(e, internal=False).label() for e in group]
        if inner:
            lines.append("(internal)")
        graph.edge(
            ids[source],
            ids[dest],
            label=_dot_label(lines),
            id=f"{prefix}-edge-{n + 1}",
            style="dashed" if inner else None,
            **{"class": "transition internal" if inner else "transition"},
        )
    return str(graph.source)


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


def svg(workflow: Workflow[Any], *, internal: bool = True) -> str:
    """SVG text for ``workflow``, drawn by Graphviz (see :meth:`Workflow.svg`)."""
    graphviz = _graphviz()
    if shutil.which("dot") is None:
        raise DiagramUnavailable(
            "SVG diagrams need Graphviz's 'dot' program on PATH (apt-get install graphviz, "
            "brew install graphviz, or https://graphviz.org/download/); Mermaid text needs "
            "nothing: Workflow.mermaid(), or 'ecservice diagram --format mermaid'"
        )
    source = graphviz.Source(dot(workflow, internal=internal))
    try:
        data = source.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as exc:
        raise DiagramUnavailable(f"SVG diagrams need Graphviz's 'dot' program: {exc}") from None
    except (graphviz.CalledProcessError, OSError) as exc:
        raise DiagramUnavailable(
            f"Graphviz's 'dot' could not draw workflow {workflow.name!r}: {str(exc).strip()[:500]}"
        ) from None
    text: str = _PROLOG.sub("", str(data), count=1)
    return text
