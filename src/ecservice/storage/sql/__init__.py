"""The SQL adapter: SQLite (the embedded default) and PostgreSQL, through SQLAlchemy Core.

Needs the ``sql`` extra (``pip install 'ecservice[sql]'``: SQLAlchemy, psycopg 3, Alembic).
:class:`SqlStore` implements :class:`~ecservice.storage.Store`; its tables are
:data:`AGGREGATES` and :data:`OUTBOX` (:data:`METADATA`); an :class:`OutboxRelay` delivers the
outbox's events. :class:`SqlGateway` is a payment gateway whose books are tables of the same
metadata, shared by every process that reaches the database; :class:`SqlMintBook` keeps an
e-cash mint's spent coins, deposits, refunds, refreshes and payouts in rows of it.
:data:`CASE_FACTS` indexes the stored after-sales cases by order and holds what
:class:`SqlAfterSalesReports` counts; :data:`COMPLAINT_FACTS` and :data:`COMPLAINT_CYCLES` hold
what :class:`SqlComplaintReports` counts of the stored complaints.
"""

from ecservice.storage.sql._aftersales_reports import SqlAfterSalesReports
from ecservice.storage.sql._case_schema import CASE_FACTS
from ecservice.storage.sql._coins import SqlMintBook
from ecservice.storage.sql._complaint_reports import ComplaintFactsOutdated, SqlComplaintReports
from ecservice.storage.sql._complaint_schema import COMPLAINT_CYCLES, COMPLAINT_FACTS
from ecservice.storage.sql._engine import make_engine
from ecservice.storage.sql._gateway import LedgerAudit, SqlGateway
from ecservice.storage.sql._relay import OutboxRelay
from ecservice.storage.sql._retry import TRANSIENT_SQLSTATES, is_transient
from ecservice.storage.sql._schema import AGGREGATES, METADATA, OUTBOX
from ecservice.storage.sql._store import SqlStore

__all__ = [
    "AGGREGATES",
    "CASE_FACTS",
    "COMPLAINT_CYCLES",
    "COMPLAINT_FACTS",
    "METADATA",
    "OUTBOX",
    "TRANSIENT_SQLSTATES",
    "ComplaintFactsOutdated",
    "LedgerAudit",
    "OutboxRelay",
    "SqlAfterSalesReports",
    "SqlComplaintReports",
    "SqlGateway",
    "SqlMintBook",
    "SqlStore",
    "is_transient",
    "make_engine",
]
