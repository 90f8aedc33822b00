"""The ``ecservice`` command line."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from ecservice._demo import run_demo
from ecservice.cli import main
from ecservice.orders import OrderStatus


def test_demo_prints_a_summary_by_status(capsys: pytest.CaptureFixture[str]) -> None:
    """`ecservice demo` prints every status with its Chinese label and the totals."""
    assert main(["demo", "--orders", "300"]) == 0
    out = capsys.readouterr().out
    for status in OrderStatus:
        assert status.label_en in out
        assert status.label_zh in out
    assert "300 orders simulated" in out
    assert "¥" in out
    assert "money conserved:        yes" in out


def test_demo_is_deterministic_and_accounts_for_every_order() -> None:
    """The same seed gives the same result; statuses add up to the number of orders."""
    a = run_demo(400, seed=7)
    b = run_demo(400, seed=7)
    assert a == b
    assert sum(a.by_status.values()) == 400
    assert a.by_status.get(OrderStatus.DONE, 0) > 0
    assert a.by_status.get(OrderStatus.IN_TRANSIT, 0) > 0
    assert a.revenue.currency.code == "CNY"
    assert not a.refunds_due.is_negative()
    # Payments: everything captured and refunded went through the gateway without loss.
    assert a.money_conserved
    assert a.merchant_balance == a.captured - a.refunded
    assert a.refunded.amount > 0
    assert a.refunded <= a.refunds_due


def test_demo_reconciles_after_lost_answers() -> None:
    """Some gateway answers are lost during the run; retries with the same keys and the last
    reconciliation leave every paid order's payment keeping exactly its amount due."""
    summary = run_demo(300, seed=11)
    assert summary.answers_lost > 0
    assert summary.money_conserved
    assert summary.merchant_balance == summary.captured - summary.refunded


def test_demo_rejects_a_non_positive_count(capsys: pytest.CaptureFixture[str]) -> None:
    """--orders 0 is a usage error, reported by argparse."""
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--orders", "0"])
    assert exc.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_diagram_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    """`ecservice diagram order` prints Mermaid text with the bilingual state labels."""
    assert main(["diagram", "order"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("---\norder\n---\nstateDiagram-v2")
    assert "In transit / 货在途中" in out
    assert "PROCESSING --> IN_TRANSIT: ship" in out


def test_diagram_svg(capsys: pytest.CaptureFixture[str]) -> None:
    """With Graphviz installed, `--format svg` prints an SVG document."""
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    assert main(["diagram", "cart", "--format", "svg"]) == 0
    out = capsys.readouterr().out
    assert "<svg" in out
    assert "checkout" in out


def test_console_script_entry_point() -> None:
    """`python -m ecservice.cli` works as the installed console script does."""
    result = subprocess.run(
        [sys.executable, "-m", "ecservice.cli", "diagram", "cart"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "stateDiagram-v2" in result.stdout


@pytest.mark.parametrize("name", ["cart", "order", "payment", "purse"])
def test_every_listed_workflow_can_be_drawn(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each workflow the command offers is drawn with all of its triggers."""
    from ecservice.cli import WORKFLOWS

    assert main(["diagram", name]) == 0
    out = capsys.readouterr().out
    for trigger in WORKFLOWS[name].triggers:
        assert trigger in out
