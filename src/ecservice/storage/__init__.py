"""Storage: aggregates as JSON-ready documents, with schema versions and upcasting.

Every aggregate is written as a :class:`Document`,
``{"type", "schema_version", "id", "version", "body"}``, by a serializer (an
:class:`AggregateSerializer` per class, built on a cattrs converter from :func:`make_converter`),
and read back through the class's validating constructor: a damaged or hostile document raises
:class:`DocumentError` (or the constructor's :class:`~ecservice.errors.ValidationError`), never a
``KeyError`` or ``TypeError``. A document written with an older schema version is upcast on the
way in; one from a newer version raises :class:`UnsupportedSchemaVersion`.

>>> import json, pendulum
>>> from ecservice import Actor, Cart, FixedClock, Money
>>> clock = FixedClock(pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai"))
>>> cart = Cart.open("C-1", buyer_id="u-1", currency="CNY", clock=clock)
>>> _ = cart.add_line("TEA-1", "Longjing tea", Money("88.00", "CNY"), 2, actor=Actor.buyer("u-1"))
>>> doc = dump_cart(cart)
>>> doc["type"], doc["schema_version"], doc["version"], doc["body"]["lines"][0]["unit_price"]
('cart', 1, 1, {'amount': '88.00', 'currency': 'CNY'})
>>> load_cart(json.loads(json.dumps(doc)), clock=clock) == cart
True
"""

from typing import TYPE_CHECKING, Any

from ecservice.storage._aftersales import (
    CASE_SERIALIZER,
    case_next_due,
    dump_case,
    duration_text,
    load_case,
    parse_duration,
)
from ecservice.storage._aggregate import HISTORY_KEYS, AggregateSerializer
from ecservice.storage._case_repository import CaseRepository
from ecservice.storage._complaints import (
    COMPLAINT_SERIALIZER,
    UNCONFIRMED_RETRY,
    ComplaintSlaTimer,
    complaint_next_due,
    dump_complaint,
    load_complaint,
)
from ecservice.storage._consultation import CONSULTATION_SERIALIZER
from ecservice.storage._converter import datetime_text, make_converter, parse_datetime
from ecservice.storage._document import ENVELOPE_KEYS, Document, Serializer, Upcaster
from ecservice.storage._errors import DocumentError, UnsupportedSchemaVersion
from ecservice.storage._feedback import FEEDBACK_SERIALIZER, feedback_next_due
from ecservice.storage._memory import MemoryStore
from ecservice.storage._orders import (
    CART_SERIALIZER,
    ORDER_SERIALIZER,
    dump_cart,
    dump_order,
    load_cart,
    load_order,
)
from ecservice.storage._payments import PAYMENT_SERIALIZER, dump_payment, load_payment
from ecservice.storage._ratings import RATING_SERIALIZER, rating_next_due
from ecservice.storage._registry import SerializerRegistry
from ecservice.storage._repository import OutboxRecord, Repository, Store, Timer, UnitOfWork
from ecservice.storage._retrying import default_backoff, run_in_transaction
from ecservice.storage._surveys import SURVEY_SERIALIZER, survey_next_due
from ecservice.storage._timers import default_timers, order_next_due

if TYPE_CHECKING:
    from ecservice.storage._drafts import (
        DRAFT_SERIALIZER,
        draft_next_due,
        dump_draft,
        load_draft,
    )
    from ecservice.storage._gateway_books import StoredGatewayBook
    from ecservice.storage._instruments import (
        PURSE_SERIALIZER,
        CoinWalletSerializer,
        EWalletSerializer,
        MintSerializer,
        PurseSerializer,
        dump_coin_wallet,
        dump_ewallet,
        dump_mint,
        dump_purse,
        instrument_converter,
        load_coin_wallet,
        load_ewallet,
        load_mint,
        load_purse,
    )

__all__ = [
    "CART_SERIALIZER",
    "CASE_SERIALIZER",
    "COMPLAINT_SERIALIZER",
    "CONSULTATION_SERIALIZER",
    "DRAFT_SERIALIZER",
    "ENVELOPE_KEYS",
    "FEEDBACK_SERIALIZER",
    "HISTORY_KEYS",
    "ORDER_SERIALIZER",
    "PAYMENT_SERIALIZER",
    "PURSE_SERIALIZER",
    "RATING_SERIALIZER",
    "SURVEY_SERIALIZER",
    "UNCONFIRMED_RETRY",
    "AggregateSerializer",
    "CaseRepository",
    "CoinWalletSerializer",
    "ComplaintSlaTimer",
    "Document",
    "DocumentError",
    "EWalletSerializer",
    "MemoryStore",
    "MintSerializer",
    "OutboxRecord",
    "PurseSerializer",
    "Repository",
    "Serializer",
    "SerializerRegistry",
    "Store",
    "StoredGatewayBook",
    "Timer",
    "UnitOfWork",
    "UnsupportedSchemaVersion",
    "Upcaster",
    "case_next_due",
    "complaint_next_due",
    "datetime_text",
    "default_backoff",
    "default_registry",
    "default_timers",
    "draft_next_due",
    "dump_cart",
    "dump_case",
    "dump_coin_wallet",
    "dump_complaint",
    "dump_draft",
    "dump_ewallet",
    "dump_mint",
    "dump_order",
    "dump_payment",
    "dump_purse",
    "duration_text",
    "feedback_next_due",
    "instrument_converter",
    "load_cart",
    "load_case",
    "load_coin_wallet",
    "load_complaint",
    "load_draft",
    "load_ewallet",
    "load_mint",
    "load_order",
    "load_payment",
    "load_purse",
    "make_converter",
    "order_next_due",
    "parse_datetime",
    "parse_duration",
    "rating_next_due",
    "run_in_transaction",
    "survey_next_due",
]


def default_registry() -> SerializerRegistry:
    """A new registry holding the serializers of the core: ``"order"``, ``"cart"``,
    ``"payment"``, ``"aftersales_case"`` (:data:`CASE_SERIALIZER`), ``"complaint"``
    (:data:`COMPLAINT_SERIALIZER`), ``"rating"`` (:data:`RATING_SERIALIZER`), ``"feedback"``
    (:data:`FEEDBACK_SERIALIZER`), ``"survey"`` (:data:`SURVEY_SERIALIZER`) and
    ``"consultation"`` (:data:`CONSULTATION_SERIALIZER`).

    The payment instruments' serializers need the ``crypto`` extra, and mints, coin wallets and
    e-wallets load with their keys, so a shop registers them itself
    (``registry.register(PURSE_SERIALIZER)``,
    ``registry.register(MintSerializer(signers=[...]))``). Each call returns a new registry, so a
    shop can register its own serializers (or replace one) without changing anyone else's.
    """
    return SerializerRegistry(
        [
            ORDER_SERIALIZER,
            CART_SERIALIZER,
            PAYMENT_SERIALIZER,
            CASE_SERIALIZER,
            COMPLAINT_SERIALIZER,
            RATING_SERIALIZER,
            FEEDBACK_SERIALIZER,
            SURVEY_SERIALIZER,
            CONSULTATION_SERIALIZER,
        ]
    )


#: Names served from ``_instruments``, imported on first use: that module needs the ``crypto``
#: extra (cryptography), which storing orders, carts, payments and cases does not.
_INSTRUMENT_NAMES: frozenset[str] = frozenset(
    {
        "PURSE_SERIALIZER",
        "CoinWalletSerializer",
        "EWalletSerializer",
        "MintSerializer",
        "PurseSerializer",
        "dump_coin_wallet",
        "dump_ewallet",
        "dump_mint",
        "dump_purse",
        "instrument_converter",
        "load_coin_wallet",
        "load_ewallet",
        "load_mint",
        "load_purse",
    }
)


#: Names served from ``_drafts`` (electronic drafts), imported on first use for the same reason.
_DRAFT_NAMES: frozenset[str] = frozenset(
    {"DRAFT_SERIALIZER", "draft_next_due", "dump_draft", "load_draft"}
)


def __getattr__(name: str) -> Any:
    if name == "StoredGatewayBook":
        # Served from _gateway_books, which reads and writes with the instruments' converter.
        try:
            from ecservice.storage import _gateway_books
        except ImportError as exc:
            raise ImportError(
                f"ecservice.storage.{name} needs the crypto extra: pip install 'ecservice[crypto]'"
            ) from exc
        return _gateway_books.StoredGatewayBook
    if name in _DRAFT_NAMES:
        try:
            from ecservice.storage import _drafts
        except ImportError as exc:
            raise ImportError(
                f"ecservice.storage.{name} needs the crypto extra: pip install 'ecservice[crypto]'"
            ) from exc
        return getattr(_drafts, name)
    if name in _INSTRUMENT_NAMES:
        try:
            from ecservice.storage import _instruments
        except ImportError as exc:
            raise ImportError(
                f"ecservice.storage.{name} needs the crypto extra: pip install 'ecservice[crypto]'"
            ) from exc
        return getattr(_instruments, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
