"""The ``ecservice`` command: ``ecservice demo``, ``ecservice diagram`` and ``ecservice db``.

Exit statuses: 0 on success; 1 when a command fails (a diagram format needs software that is
not installed, the output cannot be written, the demo's money does not add up, the database
cannot be reached or migrated, the sql extra is missing); 2 for a usage error (reported by
:mod:`argparse`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import decimal
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecservice._demo import MAX_WORKERS, run_demo
from ecservice._demo_charts import ChartFigures, check_report, render_report
from ecservice._demo_figures import AfterSalesFigures, ComplaintFigures
from ecservice._demo_service_figures import ServiceFigures
from ecservice.aftersales import CASE_WORKFLOW, CaseStatus, Rate
from ecservice.calendar import CN_LAST_CONFIRMED_YEAR
from ecservice.complaints import COMPLAINT_WORKFLOW
from ecservice.consultation import CONSULTATION_WORKFLOW
from ecservice.errors import EcServiceError
from ecservice.feedback import FEEDBACK_WORKFLOW
from ecservice.orders import CART_WORKFLOW, ORDER_WORKFLOW, HeldOrdersReport, OrderStatus
from ecservice.payments import PAYMENT_WORKFLOW
from ecservice.payments.mondex import PURSE_WORKFLOW
from ecservice.ratings import RATING_WORKFLOW
from ecservice.satisfaction import SURVEY_WORKFLOW, CustomerRfm
from ecservice.workflow import Workflow

if TYPE_CHECKING:
    from types import ModuleType

    from ecservice._demo_summary import DemoSummary

__all__ = ["WORKFLOWS", "build_parser", "main"]

#: The database the ``db`` commands use without ``--db``: the file ``ecservice.db`` in the
#: current directory.
_DEFAULT_DB_URL = "sqlite:///ecservice.db"
#: The database the ``demo`` command uses without ``--db``.
_DEFAULT_DEMO_DB_URL = "sqlite:///ecservice-demo.db"

#: How many orders the demo places by default, over how many simulated days.
_DEMO_ORDERS = 2000
_DEMO_DAYS = 30

#: The statuses in which an after-sales case has ended (a remedy given, withdrawn, closed).
_CASE_ENDS = frozenset(
    {
        CaseStatus.REFUNDED,
        CaseStatus.EXCHANGED,
        CaseStatus.REPAIRED,
        CaseStatus.RESHIPPED,
        CaseStatus.COMPENSATED,
        CaseStatus.WITHDRAWN,
        CaseStatus.CLOSED,
    }
)

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
    with _progress_bar(_DEMO_DAYS) as progress:
        summary = run_demo(
            args.orders,
            seed=args.seed,
            days=_DEMO_DAYS,
            db=db,
            workers=args.workers,
            progress=progress,
        )
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
    if summary.aftersales is not None:
        _print_aftersales(summary.aftersales)
    if summary.complaints is not None:
        _print_complaints(summary.complaints)
    if summary.service is not None:
        _print_service(summary.service)
    if summary.held is not None:
        _print_held(summary.held)
    if summary.rfm:
        _print_rfm(summary.rfm)
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
        written = render_report(report, _chart_figures(summary))
        print(f"  chart report:           {written}")
    return 0 if summary.money_conserved else 1


def _chart_figures(summary: DemoSummary) -> ChartFigures:
    """The figures the chart report draws, from the summary's typed reports."""
    reports = summary.service.reports if summary.service is not None else None
    assert summary.now is not None  # run_demo sets it
    return ChartFigures(
        now=summary.now,
        shop="ecservice demo shop (示例店铺)",
        days=_DEMO_DAYS,
        credit=None if reports is None else reports.credit,
        good_reviews=None if reports is None else reports.good_rate,
        detailed=None if reports is None else reports.detailed,
        satisfaction=None if reports is None else reports.satisfaction,
        consultation=None if reports is None else reports.consultation,
        complaints=summary.complaints,
        aftersales=summary.aftersales,
        rfm=summary.rfm,
    )


def _print_held(report: HeldOrdersReport) -> None:
    """The exception-order block (异常订单): how many orders were held, why, how the holds
    ended and how long they took."""
    print()
    print(
        f"  held orders (异常订单):  {report.held} of {report.orders} orders placed "
        f"({_percent(report.share)}), {report.released} released, {report.cancelled} "
        f"cancelled, {len(report.still_held)} still held"
    )
    reasons = ", ".join(
        f"{reason.label_en} ({reason.label_zh}) {n}" for reason, n in report.by_reason.items() if n
    )
    if reasons:
        print(f"    by reason: {reasons}")
    print(
        f"    handling time: median {_hours(report.handling_median)}, "
        f"p90 {_hours(report.handling_p90)}"
    )


def _print_rfm(customers: Sequence[CustomerRfm]) -> None:
    """The buyers by RFM segment (RFM客户分层)."""
    print()
    counts: dict[str, int] = {}
    for customer in customers:
        name = f"{customer.segment.name} ({customer.segment.label_zh})"
        counts[name] = counts.get(name, 0) + 1
    shown = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda i: -i[1]))
    print(f"  buyers by RFM segment:  {len(customers)} buyers: {shown}")


def _percent(rate: Rate | None) -> str:
    return "-" if rate is None else f"{rate.value * 100:.1f}%"


def _days(value: dt.timedelta | None) -> str:
    return "-" if value is None else f"{value / dt.timedelta(days=1):.1f} days"


def _print_aftersales(figures: AfterSalesFigures) -> None:
    """The after-sales block of the demo's summary: cases by remedy and outcome, refusals,
    rates, automatic approvals, time to resolution and the money refunded."""
    print()
    still = sum(n for _, status, n in figures.outcomes if status not in _CASE_ENDS)
    print(
        f"  after-sales (售后):     {figures.opened} cases opened this month, "
        f"{figures.opened - still} ended, {still} in progress"
    )
    print(f"    {'remedy':<22}{'售后类型':<6}{'cases':>6}  outcome")
    for remedy, outcomes in figures.by_remedy().items():
        ended = [f"{s.value} {n}" for s, n in outcomes.items() if s in _CASE_ENDS]
        going = sum(n for s, n in outcomes.items() if s not in _CASE_ENDS)
        if going:
            ended.append(f"in progress {going}")
        zh = remedy.label_zh + "\u3000" * (5 - len(remedy.label_zh))
        print(f"    {remedy.label_en:<22}{zh}{sum(outcomes.values()):>6}  {', '.join(ended)}")
    refused = sum(n for _, n in figures.refusals)
    rules = ", ".join(f"{rule} {n}" for rule, n in figures.refusals)
    print(f"  requests refused:       {refused}" + (f" ({rules})" if rules else ""))
    print(
        f"  after-sales rate:       {_percent(figures.aftersales_rate)} of the "
        f"{figures.paid_orders} orders paid this month had a case"
    )
    print(f"  refund rate:            {_percent(figures.refund_rate)} (a case paid money back)")
    print(f"  ruled for the buyer:    {_percent(figures.dispute_rate)} (the platform stepped in)")
    print(f"  approved by timer:      {figures.automatic_approvals} (the seller did not answer)")
    print(
        f"  time to resolution:     average {_days(figures.average_handling)}, "
        f"90th percentile {_days(figures.p90_handling)} ({figures.resolved} cases)"
    )
    print(
        f"  after-sales refunds:    {figures.refunded.format('zh_CN')} "
        f"(compensations {figures.compensated.format('zh_CN')})"
    )


def _hours(value: dt.timedelta | None) -> str:
    return "-" if value is None else f"{value / dt.timedelta(hours=1):.1f} h"


def _print_complaints(figures: ComplaintFigures) -> None:
    """The complaint block of the demo's summary: complaints by category, SLA attainment per
    target, working time to first reply and to resolution, reopenings, satisfaction."""
    print()
    print(
        f"  complaints (投诉):      {figures.opened} opened this month "
        f"({_percent(figures.share)} of {figures.orders} orders), "
        f"{figures.opened - figures.still_open} closed, {figures.still_open} open"
    )
    print(f"    {'category':<22}类别\u3000\u3000\u3000\u3000{'complaints':>12}")
    for category, n in figures.by_category:
        zh = category.label_zh + "\u3000" * (6 - len(category.label_zh))
        print(f"    {category.label_en:<22}{zh}{n:>12}")
    if figures.unclassified:
        print(f"    {'not recorded yet':<22}未记录\u3000\u3000\u3000{figures.unclassified:>12}")
    heading = f"{'cycles':>7}{'met':>6}{'breached':>10}{'attained':>10}"
    print(f"    {'SLA target':<22}时效\u3000\u3000\u3000\u3000{heading}")
    for target in figures.targets:
        zh = target.kind.label_zh + "\u3000" * (6 - len(target.kind.label_zh))
        print(
            f"    {target.kind.label_en:<22}{zh}{target.cycles:>7}{target.met:>6}"
            f"{target.breached:>10}{_percent(target.attainment):>10}"
        )
    print(
        f"  first reply:            median {_hours(figures.first_reply_median)}, 90th percentile "
        f"{_hours(figures.first_reply_p90)} of working time ({figures.replied} complaints)"
    )
    print(
        f"  resolution:             median {_hours(figures.resolution_median)}, 90th percentile "
        f"{_hours(figures.resolution_p90)} of working time ({figures.resolved} complaints)"
    )
    print(f"  through after-sales:    {figures.via_cases} resolved by an after-sales case")
    print(
        f"  reopened:               {figures.reopened} ({_percent(figures.reopen_rate)} of "
        "those closed)"
    )
    average = "-" if figures.satisfaction_average is None else f"{figures.satisfaction_average:.2f}"
    print(
        f"  satisfaction:           average {average} of 5, {_percent(figures.satisfied_rate)} "
        f"satisfied (4 or 5), {figures.visits} visits"
    )
    print(
        f"  holidays:               due dates after {CN_LAST_CONFIRMED_YEAR} use predicted ones "
        f"(the {CN_LAST_CONFIRMED_YEAR + 1} notice is not out yet)"
    )


def _seconds(value: dt.timedelta | None) -> str:
    return "-" if value is None else f"{value.total_seconds():.0f} s"


def _score(value: decimal.Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _print_service(figures: ServiceFigures) -> None:
    """The customer-service block of the demo's summary: ratings, seller credit, good-review
    rate, detailed ratings, CSAT, NPS, consultation conversion and response times, feedback."""
    r, counts = figures.reports, figures.ratings
    print()
    print(
        f"  ratings (评价):         {counts.ratings} lines: {counts.by_buyer} by the buyer, "
        f"{counts.by_default} good by default, {counts.pending} awaiting"
    )
    print(
        f"    {counts.revised} revised to good, {counts.explained} answered by the shop, "
        f"{counts.followed_up} followed up (追评)"
    )
    level = r.credit.level
    shown = (
        "below the first level"
        if level is None
        else f"level {level.level}, {level.symbols} {level.tier.label_en.lower()} "
        f"({level.symbols}{level.tier.label_zh})"
    )
    print(f"  seller credit (信用):   {r.credit.score} points, {shown}")
    rate = r.good_rate
    counted = rate.good + rate.neutral + rate.bad
    print(
        f"  good-review rate:       {_percent(rate.rate)} of {counted} counted ratings "
        f"({rate.good} good, {rate.neutral} neutral, {rate.bad} bad; {rate.days} days)"
    )
    d = r.detailed
    print(
        f"  detailed ratings (DSR): described {_score(d.described.value)}, service "
        f"{_score(d.service.value)}, logistics {_score(d.logistics.value)} of 5 "
        f"({d.described.count} ratings)"
    )
    s = r.satisfaction.overall
    print(
        f"  surveys (满意度):       {s.sent} sent, {s.answered} answered "
        f"({_percent(s.response_rate)}), {s.expired} expired"
    )
    csat = "-" if s.csat is None else f"{_percent(s.csat.rate)} satisfied (4 or 5)"
    print(
        f"  CSAT:                   {csat} of {0 if s.csat is None else s.csat.responses} answers"
    )
    nps = s.nps
    if nps is None:
        print("  NPS:                    -")
    else:
        print(
            f"  NPS:                    {nps.value:.1f} ({nps.promoters} promoters, "
            f"{nps.passives} passives, {nps.detractors} detractors)"
        )
    c = r.consultation
    print(
        f"  consultations (咨询):   {c.sessions} sessions, {c.converted} led to an order "
        f"({_percent(c.conversion)} conversion), {c.ended_without_order} without"
    )
    print(
        f"  response times:         first reply median {_seconds(c.first_response_median)}, "
        f"average {_seconds(c.first_response_average)}; every reply average "
        f"{_seconds(c.average_response)}"
    )
    f = r.feedback
    print(
        f"  feedback (反馈):        {f.received} received, {f.answered} answered, "
        f"{_percent(f.in_time_rate)} in time"
    )


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
