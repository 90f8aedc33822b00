"""E-cash payments in ``ecservice demo``: some buyers pay with coins of the demo's mint (电子现金).

Private to the demo (:mod:`ecservice._demo` runs it). About one order in twenty
(:data:`~ecservice._demo_shop.ECASH_SHARE`, a simulation choice drawn from the order's id, so that
a continued run makes the same choice) is paid with e-cash instead of a card: the buyer of order
``O-000123`` withdraws one 2,000.00 coin of the demo's mint into the coin wallet ``EC-000123``
when the order is placed, and pays the order's amount from it (a partial spend of the coin) to
the shop's account at the mint. The coin wallets and the e-cash gateway's books are stored with
the gateway's other books (the provider's side); the mint's spent-coin ledger is a
:class:`~ecservice.storage.sql.SqlMintBook` in its own database (next to an SQLite gateway file,
``<stem>-mint<suffix>``: a unit of work holds its file's write lock while the gateway is called,
and the mint commits on its own; the gateway's PostgreSQL database itself). Every call goes
through :class:`~ecservice.application.EcashPaymentService`, so a retried call after a lost
answer, or a run continued after a kill, moves no money twice.

Every process builds the same mint: the same name, book and denomination, signed by
:data:`DEMO_MINT_KEY`. That key is published here, so the demo's coins are worth nothing outside
it: a real mint keeps its keys secret and draws them at random (at least 2,048 bits, the default
of :meth:`~ecservice.payments.ecash.Mint.add_denomination`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, final

import attrs
import pendulum

from ecservice._demo_shop import ecash_wallet_of, pays_by_ecash
from ecservice.application import EcashPaymentService
from ecservice.clock import FixedClock
from ecservice.money import Money, sum_money
from ecservice.payments.ecash import CoinWallet, Denomination, Mint, PurePythonBlindSigner
from ecservice.storage import CoinWalletSerializer, Store, UnitOfWork, run_in_transaction

__all__ = [
    "DEMO_MINT_KEY",
    "ECASH_NAME",
    "MERCHANT",
    "MINT_NAME",
    "EcashDesk",
    "EcashFigures",
]

#: The e-cash gateway's name: the prefix of its references.
ECASH_NAME: Final = "ecash"
#: The demo's mint, and the shop's merchant id at it.
MINT_NAME: Final = "demo-mint"
MERCHANT: Final = "demo-shop"
#: The one denomination the demo's mint issues, and its windows (the same in every process and
#: run, so that every process builds the same denomination and accepts the others' coins).
COIN: Final = Money("2000.00", "CNY")
_VALID_FROM: Final = pendulum.datetime(2026, 1, 1, tz="UTC")
_WITHDRAW_UNTIL: Final = pendulum.datetime(2031, 1, 1, tz="UTC")
_DEPOSIT_UNTIL: Final = pendulum.datetime(2032, 1, 1, tz="UTC")
#: The coin wallets as the provider stores them: with their coins' keys, so that every worker
#: process can spend them.
SERIALIZER: Final = CoinWalletSerializer(secrets="include")

#: The RSA key (2,048 bits) the demo's mint signs its coins with: published, so for the demo
#: only.
DEMO_MINT_KEY: Final = """\
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCegjXR5miVxV8u
M55QqN/c/s2L7tICzgEa5fIrd72wdhXoOv2FGnZmO6lyNpyKJqGZJD3e21TozYs6
qaYIP9icbs9qlO6mOXKl/NH8ysRtgeeS+apP49EpZ13qM6GU5PtLrucVTmUQ4qRN
rlrkuyGY86YjbRyxsNHPTDZDkEwFFX1rogdACHk2sMStLpc4HnDo/uFwHWqpz0Fq
Jrlylep2McORDKhMt9QUZ45VkwT5zXVrkiFf4ycxpzSq6YFBgr64nm2/BUDT/gjs
c+mczov4DjovZXOBXZIo8X+C1ycU7t5c3himYB1xdDnON8/P2t6QWMyWM7Z+iIkA
8QgdOfIvAgMBAAECggEAKw7+Jc3sfTsHlxpomEq3vWXuWmP+4sopXLA4b/xwKB57
5wEXW3AL18u/RQp2zcSew2Yn9IEqeK9VchMhyj3lzuD/MVnR1o/miBa8yGogoArY
6IEv9dHSQOgWiAeMjlEBvtZ9ablJFSQsM/n4MQhwoQcXC6qZT9/TrvdqCkKJlBuL
c4XcLXyMZTeS5ig+Er8q/wOpFJ/CxD+1NRPiN/4sj1NGkfs9PKtdShg0exJZBQHd
U0SOk3Pkj7ces+qUO1GNcyE5i1q+qmpD3di3oBTh7mvYBn3QbOKahoqAiBUa6rPt
Bj8YgH/TRl14gvhXo50yquanMjceO6x6L30AnGisiQKBgQDdAvOCvSVLP0+hdqcr
K78EHagRW51GKDfWWQVjbktLkVCIl2vVIZV8cuwCsaRb2Kq4ur67H4cl0VaERRcG
Dyyxe3rmjAS+ARarhnoTcvO6ovO/ZdItSEKiiD/lc0V8BUrQGppJge7lfIBRANbD
53J47C9fgRbP14Aeb8WlBiL+GwKBgQC3miv74r7qeMvYzW0tDSyu3a2T9HNh3SO6
UONXXsbS3n9koQ15Vyfkt4FJ/lbamsKPwKjPLd/3fRuURU5NRQhgXzHBFUoiYKiq
baHBNx6swsBIzJGMyb/K0Fjr+RWk6M3GW75pyVBkqQg6wneSEfPrEXExex4EIjZy
iKsen32NfQKBgHWgXHn4sSCbUYZd4BrZ7ZADOLAEUnBEd3NdbcC9stVFQddwv7Nv
bGAPygyk/xTi+/nVai2tWgCGqcU8AET5TpAnaAHMA7ocWjRwHgi75Xwvvgrf5jyz
eMOIQHmeIB0hs++OOQ9mV/9Lg/+YsrUROZuiGJR73+g+ibGpS0fJPFaBAoGAFqC0
nQWT+/fJP74Jn4zJHgAKHXr6IWyMs7C2ZBU1MdXkI3XJ4FOCgiivkXv8HlMGeYsI
AwinWqwbkwl7ngBNCPuSeTZzfYsmHmMGlXaCnE4gPpifs5dFwOwumV6IcVuTyMeT
zxvVgaJndj5zWBhIVIdAyRVgXKgOx8zaMhr78U0CgYAgfqBAIx9noiIXzBod5/v5
0mnzgQT398UrWYS0UmTyw6N5oU3/Lk3+tYghaiamMBaXfg11S71HkP/YRI5MtyJW
cGK9UL7zCoKfP6MeO8Gk/wS7JPcKIP1xvN6b4LGsPJO1EEJJzlNRQ0qoXn3EHc6w
vxucQ4tITsHNITqtzT6yug==
-----END PRIVATE KEY-----
"""


def _signer() -> PurePythonBlindSigner:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(DEMO_MINT_KEY.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return PurePythonBlindSigner(key)


def mint_url(gateway_db: str) -> str:
    """Where the demo's mint keeps its ledger for the gateway database ``gateway_db``: the same
    PostgreSQL database; next to an SQLite file, ``<stem>-mint<suffix>``."""
    import sqlalchemy as sa

    url = sa.make_url(gateway_db)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return gateway_db
    path = Path(url.database)
    beside = path.with_name(f"{path.stem.removesuffix('-gateway')}-mint{path.suffix or '.db'}")
    return url.set(database=str(beside)).render_as_string(hide_password=False)


def open_mint(clock: FixedClock, gateway_engine: Any | None) -> Mint:
    """The demo's mint: its ledger beside the gateway's books (see :func:`mint_url`; in memory
    beside a gateway in memory or in an in-memory SQLite database), its one denomination
    added."""
    book = None
    database = None if gateway_engine is None else gateway_engine.url.database
    if gateway_engine is not None and database not in (None, "", ":memory:"):
        from ecservice._demo_store import prepare_schema
        from ecservice.storage.sql import SqlMintBook, make_engine

        url = mint_url(gateway_engine.url.render_as_string(hide_password=False))
        if url == gateway_engine.url.render_as_string(hide_password=False):
            engine = gateway_engine
        else:
            engine = make_engine(url, sqlite_synchronous="NORMAL")
            prepare_schema(url, engine)
        book = SqlMintBook(engine, mint=MINT_NAME, currency="CNY")
    mint = Mint(clock, currency="CNY", name=MINT_NAME, book=book)
    mint.add_denomination(
        COIN,
        valid_from=_VALID_FROM,
        withdraw_until=_WITHDRAW_UNTIL,
        deposit_until=_DEPOSIT_UNTIL,
        signer=_signer(),
    )
    return mint


@final
class EcashDesk:
    """The demo's mint, the coin wallets of its e-cash buyers (in ``store``), and the service
    that pays from them."""

    def __init__(self, store: Store, clock: FixedClock, mint: Mint) -> None:
        self.store = store
        self.clock = clock
        self.mint = mint
        self.denomination: Denomination = mint.denominations[0]
        self.service = EcashPaymentService(
            store, mint=mint, merchant=MERCHANT, serializer=SERIALIZER, name=ECASH_NAME
        )

    def fund(self, order_id: str, amount: Money | None) -> None:
        """Store the coin wallet that pays ``order_id``, with coins of :data:`COIN` worth at
        least ``amount`` withdrawn into it (``None``: an empty wallet, whose payment is
        declined), once however often a run is continued."""
        wallet_id = ecash_wallet_of(order_id)

        def stored(uow: UnitOfWork) -> bool:
            return uow.repository(SERIALIZER).find(wallet_id) is not None

        if run_in_transaction(self.store, stored):
            return
        wallet = CoinWallet(self.clock, currency="CNY", wallet_id=wallet_id)
        if amount is not None:
            # The buyer's bank transfer to the mint credits a reserve the coins are drawn from.
            reserve = f"reserve {wallet_id}"
            coins = -(-amount.minor_units // COIN.minor_units)
            self.mint.credit_reserve(reserve, COIN * coins)
            for _ in range(coins):
                wallet.withdraw(self.mint, reserve, self.denomination)

        def add(uow: UnitOfWork) -> None:
            repo = uow.repository(SERIALIZER)
            if repo.find(wallet_id) is None:
                repo.add(wallet)

        run_in_transaction(self.store, add)

    def figures(self, order_ids: list[str]) -> EcashFigures:
        """See :func:`ecash_figures`."""
        return ecash_figures(self.store, self.mint, order_ids)


@attrs.frozen
class EcashFigures:
    """The coin wallets and the shop's account at the mint at the end of a run: what the buyers
    withdrew (``withdrawn``, the face value of their coins) must equal what their coins still
    hold (``buyers``) plus what the mint owes or paid the shop (``shop``)."""

    wallets: int
    withdrawn: Money
    buyers: Money
    shop: Money

    @property
    def conserved(self) -> bool:
        """Whether no value was made or lost between the coins and the mint."""
        return self.buyers + self.shop == self.withdrawn


def ecash_figures(store: Store, mint: Mint, order_ids: list[str]) -> EcashFigures:
    """The figures of the coin wallets of ``order_ids`` (those that are stored) and of the
    shop's account at ``mint`` (its deposits net of refunds, in the mint's book)."""

    def work(uow: UnitOfWork) -> list[CoinWallet]:
        repo = uow.repository(SERIALIZER)
        found = (repo.find(ecash_wallet_of(o)) for o in order_ids if pays_by_ecash(o))
        return [w for w in found if w is not None]

    wallets = run_in_transaction(store, work)
    withdrawn = sum_money(
        (w.wallet_coin(c.public_key).denomination.value for w in wallets for c in w.coins), "CNY"
    )
    paid_out = sum_money((p.amount for p in mint.payouts if p.merchant == MERCHANT), "CNY")
    return EcashFigures(
        wallets=len(wallets),
        withdrawn=withdrawn,
        buyers=sum_money((w.balance for w in wallets), "CNY"),
        shop=mint.pending_total(MERCHANT) + paid_out,
    )
