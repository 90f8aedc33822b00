"""Every script in examples/ runs to completion (they are documentation that must not rot).

The documentation shows some scripts' output, in a ``text`` block captioned
``Output of examples/<name>.py``; those blocks must be what the scripts print (``...`` stands for
any text, as in doctests, and runs of whitespace compare equal).
"""

from __future__ import annotations

import doctest
import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

# A MyST block ```{code-block} text with the caption "Output of examples/NAME.py".
_SHOWN_OUTPUT = re.compile(
    r"^```\{code-block\} text\n:caption: Output of examples/(?P<name>[\w-]+\.py)\n\n"
    r"(?P<output>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)


def _shown_outputs() -> list[tuple[str, str, str]]:
    """``(page, script name, output shown)`` for every output block in the docs."""
    return [
        (page.name, match["name"], match["output"])
        for page in sorted((ROOT / "docs").glob("*.md"))
        for match in _SHOWN_OUTPUT.finditer(page.read_text(encoding="utf-8"))
    ]


SHOWN_OUTPUTS = _shown_outputs()


def _run(path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """Run the script as ``python path``; return its exit code."""
    monkeypatch.setattr(sys, "argv", [str(path)])
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exc:  # scripts may end with `raise SystemExit(main())`
        return exc.code
    return 0


def test_examples_exist() -> None:
    """The examples folder is found and holds the order lifecycle and custom workflow scripts."""
    names = {p.name for p in EXAMPLES}
    assert {"order_lifecycle.py", "custom_workflow.py"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example runs as a script without raising and prints something."""
    code = _run(path, monkeypatch)
    assert code in (0, None), f"{path.name} exited with {code!r}"
    assert capsys.readouterr().out.strip()


def test_docs_show_example_output() -> None:
    """The docs show the output of the order lifecycle, the custom workflow and the instruments."""
    assert {name for _, name, _ in SHOWN_OUTPUTS} >= {
        "order_lifecycle.py",
        "custom_workflow.py",
        "ewallet.py",
        "mondex_transfer.py",
        "store_orders.py",
        "aftersales_cases.py",
        "working_calendar.py",
    }


@pytest.mark.parametrize(
    ("page", "name", "shown"), SHOWN_OUTPUTS, ids=[f"{p}:{n}" for p, n, _ in SHOWN_OUTPUTS]
)
def test_shown_output_is_what_the_example_prints(
    page: str,
    name: str,
    shown: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The output a docs page shows for an example is what the example prints."""
    path = ROOT / "examples" / name
    assert path in EXAMPLES, f"{page} shows the output of {name}, which is not in examples/"
    code = _run(path, monkeypatch)
    assert code in (0, None), f"{name} exited with {code!r}"
    printed = capsys.readouterr().out
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    assert checker.check_output(shown, printed, flags), (
        f"{page} shows output of {name} that differs from what it prints:\n"
        + checker.output_difference(doctest.Example("", shown), printed, flags)
    )
