"""Where ``ecservice demo`` keeps its shop: the store, the gateway's books, what is stored.

Private to the demo (:mod:`ecservice._demo` runs it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ecservice._demo_complaints import CALENDAR, POLICY
from ecservice._demo_shop import Gateway, order_id_of
from ecservice.clock import FixedClock
from ecservice.orders import AutoConfirmPolicy
from ecservice.payments import InMemoryGateway
from ecservice.storage import (
    MemoryStore,
    Store,
    UnitOfWork,
    complaint_next_due,
    default_timers,
    order_next_due,
    run_in_transaction,
)

if TYPE_CHECKING:
    from ecservice._demo_instruments import InstrumentDesks

__all__ = [
    "GATEWAY_NAME",
    "dispose",
    "gateway_url",
    "in_memory",
    "open_gateway",
    "open_store",
    "prepare_schema",
    "stored_ids",
    "stored_orders",
]

#: The name of the demo's gateway in the gateway tables.
GATEWAY_NAME: Final = "demo"


def gateway_url(db: str) -> str:
    """Where the demo keeps its gateway's books for the store at ``db``: the same PostgreSQL
    database; next to an SQLite file, a file named ``<stem>-gateway<suffix>`` (a unit of work
    holds its file's write lock while the gateway is called, so the gateway needs its own
    file); a new in-memory database for an in-memory one."""
    import sqlalchemy as sa

    url = sa.make_url(db)
    if url.get_backend_name() != "sqlite":
        return db
    if url.database in (None, "", ":memory:"):
        return "sqlite://"
    path = Path(url.database)
    beside = path.with_name(f"{path.stem}-gateway{path.suffix or '.db'}")
    return url.set(database=str(beside)).render_as_string(hide_password=False)


def in_memory(db: str | None) -> bool:
    if db is None:
        return True
    import sqlalchemy as sa

    url = sa.make_url(db)
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def open_store(db: str | None, clock: FixedClock, policy: AutoConfirmPolicy) -> Store:
    """The demo's store: orders timed for automatic confirmation under ``policy``, complaints
    for their service levels (the demo's SLA policy on its working calendar), and the shop's
    drafts due when their maturity date comes (with the crypto extra)."""
    timers = {
        **default_timers(),
        "order": order_next_due(policy),
        "complaint": complaint_next_due(POLICY, CALENDAR),
    }
    try:
        from ecservice._demo_drafts import shop_party
        from ecservice.storage import draft_next_due
    except ImportError:  # no crypto extra: no drafts
        pass
    else:
        timers["electronic_draft"] = draft_next_due(holder=shop_party()[0])
    if db is None:
        return MemoryStore(clock=clock, timers=timers)
    from ecservice.storage.sql import SqlStore

    # The demo's commits need not survive a power loss (they do survive a crash).
    store = SqlStore(db, clock=clock, timers=timers, sqlite_synchronous="NORMAL")
    prepare_schema(db, store.engine)
    return store


def prepare_schema(db: str, engine: Any) -> None:
    """Create the tables of an in-memory database (it lives in its engine), or migrate."""
    from ecservice.storage.sql import METADATA
    from ecservice.storage.sql.migrations import upgrade

    if in_memory(db):
        METADATA.create_all(engine)
    else:
        upgrade(db)


def open_gateway(gateway_db: str | None, clock: FixedClock, *, prepare: bool) -> Gateway:
    if gateway_db is None:
        return InMemoryGateway(GATEWAY_NAME)
    from ecservice.storage.sql import SqlGateway, make_engine

    engine = make_engine(gateway_db, sqlite_synchronous="NORMAL")
    if prepare:
        prepare_schema(gateway_db, engine)
    return SqlGateway(engine, name=GATEWAY_NAME, clock=clock)


def crypto_available() -> bool:
    """Whether the crypto extra is installed (the demo's drafts and e-wallets need it)."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return False
    return True


def open_instruments(gateway: Gateway, clock: FixedClock) -> InstrumentDesks | None:
    """The e-wallet and e-cash desks, their wallets stored with ``gateway``'s books (in its
    database, on its engine; in memory beside an in-memory gateway: see
    :mod:`ecservice._demo_wallets` and :mod:`ecservice._demo_ecash`), or ``None`` without the
    crypto extra."""
    if not crypto_available():
        return None
    from ecservice._demo_ecash import EcashDesk, open_mint
    from ecservice._demo_instruments import InstrumentDesks
    from ecservice._demo_wallets import WalletDesk

    engine = getattr(gateway, "engine", None)
    store: Store
    if engine is None:
        store = MemoryStore(clock=clock)
    else:
        from ecservice.storage.sql import SqlStore

        store = SqlStore(engine, clock=clock)
    ecash = EcashDesk(store, clock, open_mint(clock, engine))
    return InstrumentDesks(WalletDesk(store, clock), ecash)


def dispose(*things: object) -> None:
    for thing in things:
        dispose = getattr(thing, "dispose", None)
        if dispose is not None:
            dispose()


def stored_orders(store: Store) -> list[int]:
    """The numbers of the demo orders stored (``O-000000`` is 0), in order.

    One process places them in order, so in memory they have no gaps and a binary search finds
    how many there are. Several workers killed together may leave gaps in their last day (each
    places its own share), so a database is asked for the ids themselves.
    """
    from_sql = _stored_in_sql(store)
    if from_sql is not None:
        return from_sql

    def work(uow: UnitOfWork) -> int:
        def stored(i: int) -> bool:
            return uow.orders.find(order_id_of(i)) is not None

        if not stored(0):
            return 0
        high = 1
        while stored(high):
            high *= 2
        low = high // 2  # stored(low), not stored(high)
        while high - low > 1:
            mid = (low + high) // 2
            if stored(mid):
                low = mid
            else:
                high = mid
        return high

    return list(range(run_in_transaction(store, work)))


def _stored_in_sql(store: Store) -> list[int] | None:
    engine = getattr(store, "engine", None)
    if engine is None:
        return None
    import sqlalchemy as sa

    from ecservice.storage.sql import AGGREGATES

    query = sa.select(AGGREGATES.c.id).where(
        AGGREGATES.c.type == "order", AGGREGATES.c.id.like("O-%")
    )
    with engine.connect() as connection:
        ids = connection.execute(query).scalars().all()
    numbers = (i.removeprefix("O-") for i in ids)
    return sorted(int(n) for n in numbers if n.isdigit())


def stored_ids(store: Store, type_name: str, *, timed: bool = False) -> list[str] | None:
    """The ids of the documents of ``type_name`` a SQL store holds, sorted (with ``timed``,
    only those that still have a timer: not final yet); ``None`` for a store that cannot list
    them (in memory)."""
    engine = getattr(store, "engine", None)
    if engine is None:
        return None
    import sqlalchemy as sa

    from ecservice.storage.sql import AGGREGATES

    query = sa.select(AGGREGATES.c.id).where(AGGREGATES.c.type == type_name)
    if timed:
        query = query.where(AGGREGATES.c.next_due_at.is_not(None))
    with engine.connect() as connection:
        return sorted(connection.execute(query).scalars().all())
