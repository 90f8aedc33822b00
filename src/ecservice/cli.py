"""The ``ecservice`` command: ``ecservice demo``, ``ecservice diagram`` and ``ecservice db``.

Exit statuses: 0 on success; 1 when a command fails (a diagram format needs software that is
not installed, the output cannot be written, the demo's money does not add up or one of its
worker processes failed, the database cannot be reached or migrated, the sql extra is missing);
2 for a usage error (reported by :mod:`argparse`); 130 when interrupted by Ctrl-C. Failures are
reported on standard error in a sentence, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecservice._demo import MAX_WORKERS, DemoWorkerFailed, run_demo
from ecservice._demo_charts import check_report, render_report
from ecservice._demo_print import (
    chart_figures,
    print_aftersales,
    print_complaints,
    print_drafts,
    print_held,
    print_rfm,
    print_service,
    print_wallets,
)
from ecservice.aftersales import CASE_WORKFLOW
from ecservice.complaints import COMPLAINT_WORKFLOW
from ecservice.consultation import CONSULTATION_WORKFLOW
from ecservice.errors import EcServiceError
from ecservice.feedback import FEEDBACK_WORKFLOW
from ecservice.orders import CART_WORKFLOW, ORDER_WORKFLOW, OrderStatus
from ecservice.payments import PAYMENT_WORKFLOW
from ecservice.payments.mondex import PURSE_WORKFLOW
from ecservice.ratings import RATING_WORKFLOW
from ecservice.satisfaction import SURVEY_WORKFLOW
from ecservice.workflow import Workflow

if TYPE_CHECKING:
    from types import ModuleType


__all__ = ["WORKFLOWS", "build_parser", "main"]

#: The database the ``db`` commands use without ``--db``: the file ``ecservice.db`` in the
#: current directory.
_DEFAULT_DB_URL = "sqlite:///ecservice.db"
#: The database the ``demo`` command uses without ``--db``.
_DEFAULT_DEMO_DB_URL = "sqlite:///ecservice-demo.db"

#: The exit status after Ctrl-C: 128 + SIGINT's number, as shells report it.
_INTERRUPTED = 130

#: How many orders the demo places by default, over how many simulated days.
_DEMO_ORDERS = 1200  # about 25 s on a 2-core machine
_DEMO_DAYS = 30

#: Workflows the ``diagram`` command can draw.
WORKFLOWS: dict[str, Workflow[Any]] = {
    "aftersales": CASE_WORKFLOW,
    "cart": CART_WORKFLOW,
    "complaint": COMPLAINT_WORKFLOW,
    "consultation": CONSULTATION_WORKFLOW,
    "feedback": FEEDBACK_WORKFLOW,
    "order": ORDER_WORKFLOW,
    "payment": PAYMENT_WORKFLOW,
    "purse": PURSE_WORKFLOW,
    "rating": RATING_WORKFLOW,
    "survey": SURVEY_WORKFLOW,
}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _workers(text: str) -> int:
    value = _positive(text)
    if value > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_WORKERS}, not {value}")
    return value


def _plain_progress(done: int, total: int) -> None:
    """The demo's progress on a terminal without rich: a bar of simulated days, erased at the
    end."""
    width = 30
    filled = width * done // total
    bar = "#" * filled + "." * (width - filled)
    end = "\r" + " " * (width + 20) + "\r" if done == total else ""
    sys.stderr.write(f"\r  day {done:>3}/{total} [{bar}]{end}")
    sys.stderr.flush()


@contextlib.contextmanager
def _progress_bar(days: int) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback for the demo on a terminal: rich's bar when the ``cli`` extra is
    installed, a plain one otherwise; none when standard error is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    except ImportError:
        yield _plain_progress
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("simulated days", total=days)

        def advance(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        yield advance


def _demo(args: argparse.Namespace) -> int:
    db: str | None = args.db
    try:
        import ecservice.storage.sql  # noqa: F401  (the demo's store)
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in _SQL_EXTRA:
            raise
        if db is not None:
            print(
                "ecservice: storing the demo in a database needs the sql extra: "
                "pip install 'ecservice[sql]'",
                file=sys.stderr,
            )
            return 1
        print(
            "ecservice: the sql extra is not installed, so the demo is stored in memory "
            f"(pip install 'ecservice[sql]' stores it in {_DEFAULT_DEMO_DB_URL})",
            file=sys.stderr,
        )
    else:
        if db is None:
            db = _DEFAULT_DEMO_DB_URL
    if args.workers > 1 and db is None:
        print("ecservice: --workers needs the sql extra and a database", file=sys.stderr)
        return 1
    report: Path | None = args.report
    if report is not None:
        check_report(report)  # a wrong name or a missing extra costs no run
    started = time.perf_counter()
    kept = (
        ""
        if db is None
        else "; what it stored is kept, and the next run on the database continues it"
    )
    try:
        with _progress_bar(_DEMO_DAYS) as progress:
            summary = run_demo(
                args.orders,
                seed=args.seed,
                days=_DEMO_DAYS,
                db=db,
                workers=args.workers,
                progress=progress,
            )
    except DemoWorkerFailed as exc:
        print(f"ecservice: {exc.summary}; the run stopped its other workers{kept}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ecservice: the demo was interrupted{kept}", file=sys.stderr)
        return _INTERRUPTED
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
    print(f"  captured:               {summary.captured.format('zh_CN')}")
    print(f"  refunded:               {summary.refunded.format('zh_CN')}")
    print(f"  merchant balance:       {summary.merchant_balance.format('zh_CN')} (cards)")
    if summary.aftersales is not None:
        print_aftersales(summary.aftersales)
    if summary.complaints is not None:
        print_complaints(summary.complaints)
    if summary.service is not None:
        print_service(summary.service)
    if summary.held is not None:
        print_held(summary.held)
    if summary.rfm:
        print_rfm(summary.rfm)
    if summary.drafts is not None:
        print_drafts(summary.drafts)
    if summary.instruments is not None:
        print_wallets(summary.instruments)
    print(f"  money conserved:        {'yes' if summary.money_conserved else 'NO'}")
    for problem in summary.gateway_problems[:10]:
        print(f"    {problem}")
    earlier = ""
    if summary.earlier_orders:
        earlier = (
            f" ({summary.earlier_orders} from earlier runs, {summary.resumed_orders} of them "
            "continued)"
        )
    where = "memory (gone when the command ends)" if db is None else summary.database
    print(f"  stored:                 {summary.stored_orders} orders in {where}{earlier}")
    if db is None:
        print("  gateway:                in memory, this run's payments only")
    else:
        print(f"  gateway's books:        {summary.gateway} (checked in SQL)")
    if summary.workers > 1:
        print(f"  workers:                {summary.workers} processes")
    print(f"  time:                   {elapsed:.2f} s")
    if report is not None:
        written = render_report(report, chart_figures(summary, days=_DEMO_DAYS))
        print(f"  chart report:           {written}")
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


#: The top-level modules of the ``sql`` extra.
_SQL_EXTRA = frozenset({"sqlalchemy", "alembic"})


def _migrations() -> ModuleType | None:
    """:mod:`ecservice.storage.sql.migrations`, or ``None`` (said on stderr) without the extra."""
    try:
        from ecservice.storage.sql import migrations
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in _SQL_EXTRA:
            raise
        print(
            "ecservice: the db commands need the sql extra: pip install 'ecservice[sql]'",
            file=sys.stderr,
        )
        return None
    return migrations


def _db_upgrade(args: argparse.Namespace) -> int:
    migrations = _migrations()
    if migrations is None:
        return 1
    shown = migrations.shown_url(args.db)
    try:
        before = migrations.current(args.db)
    except migrations.MigrationError:
        before = "unknown"  # upgrading says what is wrong
    after = migrations.upgrade(args.db)
    if before == after:
        print(f"{shown}: already at revision {after} (head)")
    else:
        print(f"{shown}: upgraded from {before or 'an empty database'} to revision {after} (head)")
    return 0


def _db_current(args: argparse.Namespace) -> int:
    migrations = _migrations()
    if migrations is None:
        return 1
    shown = migrations.shown_url(args.db)
    revision, head = migrations.current(args.db), migrations.head()
    if revision is None:
        print(f"{shown}: no ecservice schema (ecservice db upgrade creates it)")
    elif revision == head:
        print(f"{shown}: revision {revision} (head)")
    elif _known_revision(migrations, revision):
        print(
            f"{shown}: revision {revision}, older than this version's head {head} "
            "(ecservice db upgrade migrates it)"
        )
    else:
        print(
            f"{shown}: revision {revision}, unknown to this version (head {head}): written by "
            "a newer ecservice, which this one must not use or migrate"
        )
    return 0


def _known_revision(migrations: ModuleType, revision: str) -> bool:
    """Whether this package's migrations include ``revision``."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def build_parser() -> argparse.ArgumentParser:
    """The command line's argument parser: the ``demo``, ``diagram`` and ``db`` commands, their
    options.

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
        "refunds), stored in a database, and print how many ended in each status, and the "
        "money totals. Run again on the same database, it continues with new orders. A "
        "database needs the sql extra: pip install 'ecservice[sql]'.",
    )
    demo.add_argument(
        "--orders", type=_positive, default=_DEMO_ORDERS, help=f"how many (default {_DEMO_ORDERS})"
    )
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="the database's SQLAlchemy URL, for example postgresql+psycopg://user@host/shop "
        f"(default {_DEFAULT_DEMO_DB_URL}: a file in the current directory; in memory when "
        "the sql extra is not installed); its schema is created or upgraded first",
    )
    demo.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="K",
        help=f"share the orders among K processes (1 to {MAX_WORKERS}, default 1; needs a "
        "database several processes reach: PostgreSQL, or an SQLite file, whose writers take "
        "turns)",
    )
    demo.add_argument(
        "--report",
        metavar="PATH",
        type=Path,
        default=None,
        help="also draw the figures as charts into PATH: an HTML page (.html) or one PNG image "
        "(.png); needs the report extra: pip install 'ecservice[report]'",
    )
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
    db = sub.add_parser(
        "db",
        help="create or upgrade the SQL database's schema",
        description="Create the tables of the SQL store in a database, or migrate them to this "
        "version's schema, and tell which schema revision a database is at. Needs the sql "
        "extra: pip install 'ecservice[sql]'.",
    )
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    for name, run, help_text in (
        ("upgrade", _db_upgrade, "create or migrate the schema to the newest revision"),
        ("current", _db_current, "print the schema revision the database is at"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text.capitalize() + ".")
        action.add_argument(
            "--db",
            metavar="URL",
            default=_DEFAULT_DB_URL,
            help="the database's SQLAlchemy URL, for example postgresql+psycopg://user@host/shop "
            f"(default {_DEFAULT_DB_URL}: a file in the current directory)",
        )
        action.set_defaults(run=run)
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
    except KeyboardInterrupt:
        print("ecservice: interrupted", file=sys.stderr)
        return _INTERRUPTED
    except BrokenPipeError:
        # The reader stopped early (``ecservice diagram order | head``): end quietly, and keep
        # Python from reporting the pipe again when it flushes standard output at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        # Standard output could not be written (a full disk, a closed terminal).
        print(f"ecservice: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        sys.stdout.flush()
    except OSError as exc:
        print(f"ecservice: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
