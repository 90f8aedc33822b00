"""The ``ecservice`` command: ``ecservice demo`` and ``ecservice diagram``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from ecservice._demo import run_demo
from ecservice.errors import EcServiceError
from ecservice.orders import CART_WORKFLOW, ORDER_WORKFLOW, OrderStatus
from ecservice.payments import PAYMENT_WORKFLOW
from ecservice.payments.mondex import PURSE_WORKFLOW
from ecservice.workflow import Workflow

__all__ = ["WORKFLOWS", "main"]

#: Workflows the ``diagram`` command can draw.
WORKFLOWS: dict[str, Workflow[Any]] = {
    "cart": CART_WORKFLOW,
    "order": ORDER_WORKFLOW,
    "payment": PAYMENT_WORKFLOW,
    "purse": PURSE_WORKFLOW,
}


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    summary = run_demo(args.orders, seed=args.seed)
    elapsed = time.perf_counter() - started
    print(f"ecservice demo: {summary.orders} orders simulated (seed {args.seed})")
    print()
    print(f"  {'status':<22}{'状态':<8}{'orders':>8}{'share':>8}")
    for status in OrderStatus:
        count = summary.by_status.get(status, 0)
        share = f"{100 * count / summary.orders:.1f}%"
        zh = status.label_zh + "\u3000" * (6 - len(status.label_zh))
        print(f"  {status.label_en:<22}{zh}{count:>8}{share:>8}")
    print()
    print(f"  shipments:              {summary.shipments}")
    print(f"  auto-confirmed orders:  {summary.auto_confirmed}")
    print(f"  transitions recorded:   {summary.transitions}")
    print(f"  revenue (amount due):   {summary.revenue.format('zh_CN')}")
    print(f"  value cancelled:        {summary.refunds_due.format('zh_CN')}")
    print(f"  payments declined:      {summary.payments_declined}")
    print(f"  captured by card:       {summary.captured.format('zh_CN')}")
    print(f"  refunded to cards:      {summary.refunded.format('zh_CN')}")
    print(f"  merchant balance:       {summary.merchant_balance.format('zh_CN')}")
    print(f"  money conserved:        {'yes' if summary.money_conserved else 'NO'}")
    print(f"  time:                   {elapsed:.2f} s")
    return 0 if summary.money_conserved else 1


def _diagram(args: argparse.Namespace) -> int:
    workflow = WORKFLOWS[args.workflow]
    text = workflow.mermaid() if args.format == "mermaid" else workflow.svg()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecservice", description="Typed e-commerce service workflows."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="simulate a batch of orders and print a summary")
    demo.add_argument("--orders", type=_positive, default=3000, help="how many (default 3000)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.set_defaults(run=_demo)
    diagram = sub.add_parser("diagram", help="draw a workflow")
    diagram.add_argument("workflow", choices=sorted(WORKFLOWS))
    diagram.add_argument("--format", choices=["mermaid", "svg"], default="mermaid")
    diagram.set_defaults(run=_diagram)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except EcServiceError as exc:
        print(f"ecservice: {exc}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
