"""The ``ecservice`` command: ``ecservice demo`` and ``ecservice diagram``.

Exit statuses: 0 on success; 1 when a command fails (a diagram format needs software that is
not installed, the output cannot be written, the demo's money does not add up); 2 for a usage
error (reported by :mod:`argparse`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
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

__all__ = ["WORKFLOWS", "build_parser", "main"]

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
    internal = not args.hide_internal
    if args.format == "mermaid":
        text = workflow.mermaid(internal=internal)
    elif args.format == "dot":
        text = workflow.dot(internal=internal)
    else:
        text = workflow.svg(internal=internal)
    if not text.endswith("\n"):
        text += "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except OSError as exc:
        print(f"ecservice: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line's argument parser: the ``demo`` and ``diagram`` commands, their options.

    :func:`main` parses with it; the command line's documentation is checked against it.
    """
    parser = argparse.ArgumentParser(
        prog="ecservice", description="Typed e-commerce service workflows."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="simulate a batch of orders and print a summary",
        description="Simulate a batch of orders (with payments, shipments, cancellations and "
        "refunds) and print how many ended in each status, and the money totals.",
    )
    demo.add_argument("--orders", type=_positive, default=3000, help="how many (default 3000)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.set_defaults(run=_demo)
    diagram = sub.add_parser(
        "diagram",
        help="draw a workflow",
        description="Draw one of the built-in workflows as Mermaid text, Graphviz DOT source "
        "or SVG.",
    )
    diagram.add_argument("workflow", choices=sorted(WORKFLOWS), help="the workflow to draw")
    diagram.add_argument(
        "--format",
        choices=["mermaid", "dot", "svg"],
        default="mermaid",
        help="mermaid (stateDiagram-v2 text, needs nothing installed), dot (Graphviz source, "
        "needs the graphviz package) or svg (needs the graphviz package and Graphviz's dot "
        "program); default mermaid",
    )
    diagram.add_argument(
        "--hide-internal",
        action="store_true",
        help="leave out internal transitions (those that keep the state)",
    )
    diagram.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the diagram to FILE (UTF-8) instead of standard output",
    )
    diagram.set_defaults(run=_diagram)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status.

    Usage errors make :mod:`argparse` exit with status 2 (raising :class:`SystemExit`).
    """
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except EcServiceError as exc:
        print(f"ecservice: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader stopped early (``ecservice diagram order | head``): end quietly, and keep
        # Python from reporting the pipe again when it flushes standard output at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
