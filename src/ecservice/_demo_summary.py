"""The summary of an ``ecservice demo`` run: what its orders became, where the money stands, and
the after-sales, complaint and customer-service figures.

Private to the demo (:mod:`ecservice._demo` runs it).
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from typing import TYPE_CHECKING, Any

import attrs

from ecservice._demo_aftersales import ZONE, case_id_of
from ecservice._demo_business import business_figures
from ecservice._demo_complaints import complaint_id_of
from ecservice._demo_figures import (
    AfterSalesFigures,
    ComplaintFigures,
    aftersales_figures,
    complaint_figures,
    money_problems,
)
from ecservice._demo_service_figures import ServiceFigures, service_figures
from ecservice._demo_shop import Gateway, order_id_of
from ecservice._demo_store import stored_ids
from ecservice.aftersales import AfterSalesCase
from ecservice.application import payments_of
from ecservice.complaints import Complaint
from ecservice.money import Money, sum_money
from ecservice.orders import HeldOrdersReport, Order, OrderStatus, held_orders_report
from ecservice.payments import InMemoryGateway, Payment, PaymentStatus
from ecservice.satisfaction import CustomerRfm, purchases_of, rfm_analysis
from ecservice.storage import Store, UnitOfWork, run_in_transaction

if TYPE_CHECKING:
    from ecservice._demo import _Plan, _Tally
    from ecservice._demo_drafts import DraftFigures
    from ecservice._demo_instruments import InstrumentDesks, InstrumentFigures
    from ecservice.storage.sql import LedgerAudit

__all__ = ["DemoSummary", "summarise"]


@attrs.frozen(kw_only=True)
class DemoSummary:
    """What a demo run produced (its own orders; ``stored_orders`` counts every run's).

    ``money_conserved`` is the verdict on every stored order and the gateway's books (see
    :func:`run_demo`); ``gateway_problems`` lists what the gateway's audit and the orders' checks
    found wrong; ``aftersales`` and ``complaints`` hold the after-sales and complaint figures of
    the run's month; ``service`` the customer-service figures (credit, ratings, CSAT, NPS,
    consultations, feedback) with their typed reports (``service.reports``).
    """

    orders: int
    by_status: dict[OrderStatus, int]
    revenue: Money
    refunds_due: Money
    shipments: int
    transitions: int
    auto_confirmed: int
    payments_declined: int
    captured: Money
    refunded: Money
    merchant_balance: Money
    money_conserved: bool
    answers_lost: int = 0
    database: str = "memory"
    gateway: str = "memory"
    stored_orders: int = 0
    earlier_orders: int = 0
    resumed_orders: int = 0
    workers: int = 1
    gateway_problems: tuple[str, ...] = ()
    aftersales: AfterSalesFigures | None = None
    complaints: ComplaintFigures | None = None
    service: ServiceFigures | None = None
    held: HeldOrdersReport | None = None
    rfm: tuple[CustomerRfm, ...] | None = None
    #: The simulated instant the figures are counted at (the end of the run's days).
    now: _dt.datetime | None = None
    #: The business orders' drafts (电子商业汇票), every stored one's.
    drafts: DraftFigures | None = None
    #: The e-wallets (电子钱包) and coin wallets (电子现金) that paid orders, and the shop's
    #: e-wallet and account at the mint.
    instruments: InstrumentFigures | None = None


def summarise(
    store: Store,
    gateway: Gateway,
    plan: _Plan,
    tally: _Tally,
    stored_before: list[int],
    wallet_desk: InstrumentDesks | None = None,
) -> DemoSummary:
    """The summary of this run's orders as stored, and the verdict on all stored money."""
    earlier = len(stored_before)
    every = [order_id_of(i) for i in stored_before] + list(plan.ids)

    case_ids = stored_ids(store, "aftersales_case")
    complaint_ids = stored_ids(store, "complaint")

    def load(
        uow: UnitOfWork,
    ) -> tuple[list[tuple[Order[Any], list[Payment]]], list[AfterSalesCase], list[Complaint]]:
        orders = [(uow.orders.get(i), payments_of(uow, i)) for i in every]
        if case_ids is not None and complaint_ids is not None:
            cases = [uow.cases.get(c) for c in case_ids]
            return orders, cases, [uow.complaints.get(c) for c in complaint_ids]
        found = (uow.cases.find(case_id_of(i)) for i in every)
        told = (uow.complaints.find(complaint_id_of(i)) for i in every)
        return orders, [c for c in found if c is not None], [c for c in told if c is not None]

    stored, cases, complaints = run_in_transaction(store, load)
    mine = stored[earlier:]
    this_run = [o for o, _ in mine]
    payments = [p for _, ps in mine for p in ps]
    all_payments = [p for _, ps in stored for p in ps]
    live = [o for o in this_run if o.status is not OrderStatus.CANCELLED]
    zero = Money.zero("CNY")
    captured = sum_money((p.captured or zero for p in payments), "CNY")
    refunded = sum_money((p.refunded for p in payments), "CNY")
    kept = sum_money((p.net for p in all_payments), "CNY")
    # Every order whose money was taken kept exactly what it owes after its cancellations and
    # its after-sales refunds, over all its attempts; its cases' refunds were made, once each.
    wrong = tuple(money_problems(stored, cases))
    problems: tuple[str, ...] = ()
    if isinstance(gateway, InMemoryGateway):
        books = gateway.total_balance("CNY") + gateway.held("CNY") + gateway.merchant_balance(
            "CNY"
        ) == gateway.total_funded("CNY")
        merchant = gateway.merchant_balance("CNY")
        where = "memory"
    else:
        from ecservice.storage.sql import SqlGateway

        assert isinstance(gateway, SqlGateway)
        audit: LedgerAudit = gateway.audit("CNY")
        problems = audit.problems
        books = audit.balanced and audit.funded == (audit.instruments + audit.held + audit.merchant)
        merchant = audit.merchant
        where = _shown(plan.gateway_db or "")
    drafts = business_figures(store, [*plan.b2b_earlier, *plan.b2b])
    # The shop's money is in the card gateway's merchant account, its e-wallet and its account
    # at the mint.
    wallets = None if wallet_desk is None else wallet_desk.figures(every)
    in_wallet = Money.zero("CNY") if wallets is None else wallets.shop
    conserved = (
        books
        and merchant + in_wallet == kept
        and not wrong
        and (wallets is None or wallets.conserved)
        and (drafts is None or drafts.conserved)
    )
    if wallets is not None:
        problems = (*problems, *wallets.problems)
    if drafts is not None:
        problems = (*problems, *drafts.problems)
    figures = aftersales_figures(
        cases,
        all_payments,
        Counter(dict(tally.refusals)),
        now=plan.start.add(days=plan.days),
        days=plan.days,
    )
    told = complaint_figures(
        store,
        complaints,
        orders=len(plan.ids) + len(plan.resume),
        now=plan.start.add(days=plan.days),
        days=plan.days,
    )
    # The service documents: every stored one in a database, this run's in memory.
    ids: dict[str, list[str]] = {}
    for kind in ("rating", "survey", "consultation", "feedback"):
        listed = stored_ids(store, kind)
        ids[kind] = listed if listed is not None else [i for k, i in tally.made if k == kind]
    service_figs = service_figures(store, ids, now=plan.start.add(days=plan.days), days=plan.days)
    # The business orders too: a store in SQL counts every stored order.
    b2b = [*plan.b2b_earlier, *plan.b2b]
    business = run_in_transaction(
        store, lambda uow: [o for o in (uow.orders.find(i) for i in b2b) if o is not None]
    )
    every_order = [o for o, _ in stored] + business
    held = held_figures(store, every_order, now=plan.start.add(days=plan.days), days=plan.days)
    rfm = rfm_figures(store, every_order, now=plan.start.add(days=plan.days))
    return DemoSummary(
        orders=len(this_run),
        by_status=dict(Counter(o.status for o in this_run)),
        revenue=sum_money((o.amount_due for o in live), "CNY"),
        refunds_due=sum_money((o.cancelled_value for o in this_run), "CNY"),
        shipments=sum(len(o.shipments) for o in this_run),
        transitions=sum(o.version for o in this_run),
        auto_confirmed=tally.auto,
        payments_declined=sum(p.status is PaymentStatus.FAILED for p in payments),
        captured=captured,
        refunded=refunded,
        merchant_balance=merchant,
        money_conserved=conserved,
        answers_lost=tally.lost,
        database="memory" if plan.db is None else _shown(plan.db),
        gateway=where,
        stored_orders=len(stored),
        earlier_orders=earlier,
        resumed_orders=len(plan.resume),
        workers=plan.workers,
        gateway_problems=problems + wrong,
        aftersales=figures,
        complaints=told,
        service=service_figs,
        held=held,
        rfm=rfm,
        drafts=drafts,
        instruments=wallets,
        now=plan.start.add(days=plan.days),
    )


def held_figures(
    store: Store, orders: list[Order[Any]], *, now: _dt.datetime, days: int = 30
) -> HeldOrdersReport:
    """The held orders (异常订单) of the ``days`` days before ``now``: counted by the database
    from the orders' facts in a SQL store (:class:`~ecservice.storage.sql.SqlOrderReports`),
    else from ``orders`` in memory (:func:`~ecservice.orders.held_orders_report`); the two
    agree."""
    try:
        from ecservice.storage.sql import SqlOrderReports, SqlStore
    except ImportError:  # the sql extra is not installed: the store is in memory
        return held_orders_report(orders, now=now, zone=ZONE, days=days)
    if isinstance(store, SqlStore):
        return SqlOrderReports(store).held_orders(now=now, zone=ZONE, days=days)
    return held_orders_report(orders, now=now, zone=ZONE, days=days)


def rfm_figures(
    store: Store, orders: list[Order[Any]], *, now: _dt.datetime
) -> tuple[CustomerRfm, ...]:
    """The buyers' RFM segments (RFM客户分层) as of ``now``: counted by the database from the
    orders' facts in a SQL store (:meth:`SqlSatisfactionReports.rfm
    <ecservice.storage.sql.SqlSatisfactionReports.rfm>`), else in memory over ``orders``
    (:func:`~ecservice.satisfaction.rfm_analysis` of
    :func:`~ecservice.satisfaction.purchases_of`); the two agree."""
    try:
        from ecservice.storage.sql import SqlSatisfactionReports, SqlStore
    except ImportError:  # the sql extra is not installed: the store is in memory
        return rfm_analysis(purchases_of(orders), now=now, zone=ZONE)
    if isinstance(store, SqlStore):
        return SqlSatisfactionReports(store).rfm(now=now, zone=ZONE)
    return rfm_analysis(purchases_of(orders), now=now, zone=ZONE)


def _shown(db: str) -> str:
    from ecservice.storage.sql.migrations import shown_url

    return shown_url(db)
