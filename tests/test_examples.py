"""Every script in examples/ runs to completion (they are documentation that must not rot)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_examples_exist() -> None:
    """The examples folder is found and holds the order lifecycle and custom workflow scripts."""
    names = {p.name for p in EXAMPLES}
    assert {"order_lifecycle.py", "custom_workflow.py"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example runs as a script without raising and prints something."""
    monkeypatch.setattr(sys, "argv", [str(path)])
    code: object = 0
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exc:  # scripts may end with `raise SystemExit(main())`
        code = exc.code
    assert code in (0, None), f"{path.name} exited with {code!r}"
    assert capsys.readouterr().out.strip()
