"""Mermaid's own parser accepts every diagram :meth:`Workflow.mermaid` writes.

The text goes to ``mermaid.parse()`` (the npm package pinned in ``tests/mermaid/package.json``)
under Node, through ``tests/mermaid/parse.mjs``, started once for the module. Without Node or
``npm ci --prefix tests/mermaid`` the tests are skipped, unless the environment variable
``ECSERVICE_REQUIRE_MERMAID=1`` says they must run (then they fail instead).

Besides the default workflows, hypothesis builds workflows with hostile names and labels: state
names that are Mermaid keywords, start with digits or are not ASCII; labels with quotes, ``#``,
``;``, ``:``, ``%%``, ``-->``, line breaks, HTML, emoji and backslashes. Each must parse, and the
parser must store every label, edge label and id exactly as the workflow has them.
"""

from __future__ import annotations

import enum
import html
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ecservice.cli import WORKFLOWS
from ecservice.errors import InvalidWorkflow
from ecservice.workflow import Context, LabelledState, Transition, Workflow, transition
from ecservice.workflow._diagram import edges, state_ids

HARNESS = Path(__file__).resolve().parents[1] / "mermaid"
REQUIRED = os.environ.get("ECSERVICE_REQUIRE_MERMAID") == "1"
TIMEOUT = 60.0


class MermaidParser:
    """A running ``parse.mjs``: one JSON line in, one JSON answer out."""

    def __init__(self, node: str) -> None:
        self._process = subprocess.Popen(
            [node, str(HARNESS / "parse.mjs")],
            cwd=HARNESS,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._answers.put(line)
        self._answers.put("")  # the process ended

    def parse(self, text: str) -> dict[str, Any]:
        """Mermaid's answer for ``text``: ``{"ok": True, ...}`` or ``{"ok": False, "error"}``."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(text) + "\n")
        self._process.stdin.flush()
        try:
            line = self._answers.get(timeout=TIMEOUT)
        except queue.Empty:
            pytest.fail(f"Mermaid's parser gave no answer in {TIMEOUT} s")
        if not line:
            err = self._process.stderr.read() if self._process.stderr else ""
            pytest.fail(f"Mermaid's parser stopped: {err[-2000:]}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self._process.kill()
            self._process.wait()


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"ECSERVICE_REQUIRE_MERMAID=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def mermaid() -> Iterator[MermaidParser]:
    """Mermaid's parser under Node, started once for the module."""
    node = shutil.which("node")
    if node is None:
        _unavailable("Node (`node`) is not installed")
    if not (HARNESS / "node_modules" / "mermaid").is_dir():
        _unavailable("Mermaid is not installed: run `npm ci --prefix tests/mermaid`")
    assert node is not None
    parser = MermaidParser(node)
    try:
        yield parser
    finally:
        parser.close()


# --- reading the parser's answer -----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\ufb02\xb0\xb0(\d+)\xb6\xdf")


def shown(stored: str) -> str:
    """The text Mermaid draws for ``stored``, a label as its parser keeps it.

    Mermaid keeps ``#35;`` as a placeholder (``ﬂ°°35¶ß``) and sanitises labels as HTML (so the
    stored text is HTML: ``&amp;`` for ``&``); drawing turns both back into characters.
    """
    return _PLACEHOLDER.sub(lambda m: chr(int(m.group(1))), html.unescape(stored))


def drawable(text: str) -> str:
    """``text`` with the characters no drawing can show (controls other than tab and line
    breaks, lone surrogates) replaced by U+FFFD, as the diagrams replace them."""
    return "".join(
        "\ufffd" if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r" else ch
        for ch in text
    )


def state_label(state: enum.Enum) -> str:
    if isinstance(state, LabelledState):
        return drawable(f"{state.label_en} / {state.label_zh}")
    return drawable(state.name)


def assert_round_trip(workflow: Workflow[Any], answer: dict[str, Any], *, internal: bool) -> None:
    """The parser stored each state under its id with its label, and each arrow."""
    assert answer["ok"], answer.get("error")
    ids = state_ids(workflow)
    states = answer["states"]
    for s in workflow.states:
        assert [shown(d) for d in states[ids[s]]] == [state_label(s)]
    assert set(states) == {*ids.values(), "root_start", *(["root_end"] if workflow.final else [])}
    expected = Counter([("root_start", ids[workflow.initial], "")])
    expected.update((ids[s], "root_end", "") for s in workflow.states if s in workflow.final)
    drawn = edges(workflow, internal=internal)
    expected.update((ids[e.source], ids[e.dest], drawable(e.label())) for e in drawn)
    got = Counter((a, b, shown(title or "")) for a, b, title in answer["relations"])
    assert got == expected


# --- the default workflows ------------------------------------------------------------------------


@pytest.mark.parametrize("internal", [True, False], ids=["internal", "no-internal"])
@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_default_workflows_parse(mermaid: MermaidParser, name: str, internal: bool) -> None:
    """Every workflow `ecservice diagram` offers parses, with and without internal arrows, and
    the parser reads back its labels and arrows."""
    workflow = WORKFLOWS[name]
    answer = mermaid.parse(workflow.mermaid(internal=internal))
    assert_round_trip(workflow, answer, internal=internal)


def test_the_harness_catches_errors(mermaid: MermaidParser) -> None:
    """Text Mermaid rejects is reported as an error: an unescaped quote in a label, a state id
    that is not a plain name (what diagrams written without escaping looked like)."""
    quote = mermaid.parse('stateDiagram-v2\n  state "Awaiting "VIP" check" as A\n  [*] --> A\n')
    assert not quote["ok"]
    assert "Expecting 'AS'" in quote["error"]
    chinese = mermaid.parse('stateDiagram-v2\n  state "x" as 待审核\n  class 待审核 s_default\n')
    assert not chinese["ok"]
    assert "Lexical error" in chinese["error"]


# --- hostile workflows ----------------------------------------------------------------------------

#: Names Mermaid's lexer treats specially, or that look like ids Mermaid makes itself.
KEYWORDS = (
    "state",
    "end",
    "note",
    "class",
    "classDef",
    "direction",
    "style",
    "scale",
    "click",
    "href",
    "default",
    "DEFAULT_STATE",
    "clicked",
    "accTitle",
    "accDescr",
    "stateDiagram",
    "root",
    "root_start",
    "root_end",
    "start1",
    "end2",
    "s1",
    "s2",
    "TB",
    "LR",
    "my_direction",
    "fork",
    "choice",
    "as",
    "hide",
)
HOSTILE_TEXT = (
    'Awaiting "VIP" check',
    "#1; 50%",
    "%%{init: {'theme': 'dark'}}%%",
    "a --> b",
    "a: b :: c",
    "line one\nline two\r\nthree",
    "<script>alert(1)</script>",
    "<<fork>> [[choice]]",
    "{ struct }",
    "--",
    "C:\\path\\n",
    "`code`",
    "#quot; #35; ﬂ°°35¶ß",
    "R&D &amp;",
    "direction LR",
    "set direction\n",
    "  padded  ",
    "待审核 / 货在途中",
    "🚚📦 emoji",
    "hide empty description",
    "",
)

names = st.one_of(
    st.sampled_from(KEYWORDS),
    st.sampled_from(["待审核", "货在途中", "état", "1st", "9", "a b", "x-->y", "a:b", "%%x", "#x"]),
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True),
    st.text(min_size=1, max_size=12),
).filter(lambda n: not n.startswith("_") and n not in ("mro",))
texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=20))
trigger_names = st.one_of(
    st.sampled_from(
        ["end", "note", "class", "direction", "click", "default", "href", "style", "lr", "tb"]
    ),
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
)


def functional_enum(name: str, members: list[tuple[str, int]]) -> list[enum.Enum]:
    """The members of ``enum.Enum(name, members)``, whose names may be any text."""
    factory: Any = enum.Enum
    return list(factory(name, members))


def functional_labelled(
    name: str, members: list[tuple[str, tuple[str, str, str]]]
) -> list[enum.Enum]:
    """The members of a :class:`LabelledState` made with the functional API."""
    factory: Any = LabelledState
    return list(factory(name, members))


def guard(name: str) -> Callable[[Any, Context], bool]:
    """A guard whose ``__name__`` is ``name`` (which need not be an identifier)."""

    def check(agg: Any, ctx: Context) -> bool:
        return True

    check.__name__ = name
    return check


@st.composite
def workflows(draw: st.DrawFn) -> Workflow[Any]:
    """A valid workflow with hostile names: a chain S0 -> S1 -> ... -> Sn (final), plus random
    transitions (guarded, internal, reflexive) from the non-final states."""
    state_names = draw(st.lists(names, min_size=2, max_size=6, unique=True))
    if draw(st.booleans()):
        members = [(n, (f"v{i}", draw(texts), draw(texts))) for i, n in enumerate(state_names)]
        states: list[enum.Enum] = functional_labelled("Hostile", members)
    else:
        states = functional_enum("Hostile", [(n, i) for i, n in enumerate(state_names)])
    assume(len(states) == len(state_names))
    triggers = draw(st.lists(trigger_names, min_size=1, max_size=4, unique=True))
    guards = [guard(n) for n in draw(st.lists(st.one_of(names, texts), max_size=3))]
    declared: list[Transition[Any]] = [
        transition(draw(st.sampled_from(triggers)), a, b) for a, b in itertools.pairwise(states)
    ]
    for _ in range(draw(st.integers(0, 6))):
        source = draw(st.sampled_from(states[:-1]))
        dest = draw(st.one_of(st.none(), st.sampled_from(states)))
        conditions = draw(st.lists(st.sampled_from(guards), max_size=2)) if guards else []
        unless = draw(st.lists(st.sampled_from(guards), max_size=1)) if guards else []
        declared.append(
            transition(
                draw(st.sampled_from(triggers)), source, dest, conditions=conditions, unless=unless
            )
        )
    keys = [(t.trigger, t.sources, t.dest, t.conditions, t.unless) for t in declared]
    assume(len(set(keys)) == len(keys))  # the kernel rejects a transition declared twice
    try:
        return Workflow(
            draw(st.one_of(texts, names)),
            states=states,
            initial=states[0],
            final=[states[-1]],
            transitions=declared,
        )
    except InvalidWorkflow:  # e.g. a trigger the ``transitions`` package reserves
        assume(False)
        raise


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(workflow=workflows(), internal=st.booleans())
def test_hostile_workflows_parse_and_keep_their_labels(
    mermaid: MermaidParser, workflow: Workflow[Any], internal: bool
) -> None:
    """Any workflow, whatever its names, labels and guard names, gives text Mermaid parses; the
    parser stores each state under the id :func:`state_ids` gives it, with its label, and each
    arrow with its label."""
    answer = mermaid.parse(workflow.mermaid(internal=internal))
    assert_round_trip(workflow, answer, internal=internal)
