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
:class:`SqlOrderReports` counts the held orders (异常订单) from the stored orders' facts.
:class:`SqlRatingReports` computes seller credit, the good-review rate and the detailed
ratings from :data:`RATING_FACTS`, one row per stored rating.
:class:`SqlSatisfactionReports` counts CSAT and NPS from :data:`SURVEY_FACTS` and RFM
segments from the orders' facts; :class:`SqlConsultationReports` counts the consultation KPIs
from :data:`CONSULTATION_FACTS` and the tables beside it (business waits measured on the
calendar of a :class:`ConsultationTimer`); :class:`SqlServiceReports` puts every area's
figures of one window side by side.
"""

from ecservice.storage._service_facts import ConsultationTimer
from ecservice.storage.sql._aftersales_reports import SqlAfterSalesReports
from ecservice.storage.sql._case_schema import CASE_FACTS
from ecservice.storage.sql._coins import SqlMintBook
from ecservice.storage.sql._complaint_reports import ComplaintFactsOutdated, SqlComplaintReports
from ecservice.storage.sql._complaint_schema import COMPLAINT_CYCLES, COMPLAINT_FACTS
from ecservice.storage.sql._consultation_reports import (
    ConsultationFactsOutdated,
    SqlConsultationReports,
)
from ecservice.storage.sql._engine import make_engine
from ecservice.storage.sql._gateway import SqlGateway
from ecservice.storage.sql._gateway_audit import LedgerAudit
from ecservice.storage.sql._order_reports import SqlOrderReports
from ecservice.storage.sql._rating_reports import RatingZoneUnsupported, SqlRatingReports
from ecservice.storage.sql._rating_schema import RATING_FACTS, RATING_FACTS_ZONE
from ecservice.storage.sql._relay import OutboxRelay
from ecservice.storage.sql._retry import TRANSIENT_SQLSTATES, is_transient
from ecservice.storage.sql._satisfaction_reports import SqlSatisfactionReports
from ecservice.storage.sql._schema import AGGREGATES, METADATA, OUTBOX
from ecservice.storage.sql._service_reports import SqlServiceReports
from ecservice.storage.sql._service_schema import (
    CONSULTATION_ENQUIRIES,
    CONSULTATION_FACTS,
    CONSULTATION_REMARKS,
    CONSULTATION_RESPONSES,
    SURVEY_FACTS,
)
from ecservice.storage.sql._store import SqlStore

__all__ = [
    "AGGREGATES",
    "CASE_FACTS",
    "COMPLAINT_CYCLES",
    "COMPLAINT_FACTS",
    "CONSULTATION_ENQUIRIES",
    "CONSULTATION_FACTS",
    "CONSULTATION_REMARKS",
    "CONSULTATION_RESPONSES",
    "METADATA",
    "OUTBOX",
    "RATING_FACTS",
    "RATING_FACTS_ZONE",
    "SURVEY_FACTS",
    "TRANSIENT_SQLSTATES",
    "ComplaintFactsOutdated",
    "ConsultationFactsOutdated",
    "ConsultationTimer",
    "LedgerAudit",
    "OutboxRelay",
    "RatingZoneUnsupported",
    "SqlAfterSalesReports",
    "SqlComplaintReports",
    "SqlConsultationReports",
    "SqlGateway",
    "SqlMintBook",
    "SqlOrderReports",
    "SqlRatingReports",
    "SqlSatisfactionReports",
    "SqlServiceReports",
    "SqlStore",
    "is_transient",
    "make_engine",
]
