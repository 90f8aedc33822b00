"""Stored e-wallets and a :class:`~ecservice.application.WalletPaymentService` over them, for
the e-wallet payment tests (in one process and in worker processes)."""

from __future__ import annotations

from collections.abc import Mapping

from ecservice.application import WalletPaymentService
from ecservice.clock import FixedClock
from ecservice.money import Money, sum_money
from ecservice.payments import Instrument, InstrumentKind
from ecservice.payments.wallet import EWallet, KdfParams
from ecservice.storage import EWalletSerializer, Store

FAST_KDF = KdfParams(n=2**4)
PIN, SHOP_PIN = "2468", "9753"
SHOP = "w-shop"
#: The buyers' wallets and what each holds at the start.
BUYERS: Mapping[str, str] = {"w-li": "100.00", "w-han": "50.00"}
#: The e-wallets as stored: with their signing keys, so that any process loads them.
SERIALIZER = EWalletSerializer(secrets="include")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def wallet_of(wallet_id: str) -> Instrument:
    return Instrument(InstrumentKind.WALLET, wallet_id)


#: The buyers of the six payments the races make (:mod:`tests.application.payment_races`): four
#: from the first buyer, two from the second.
PAYERS = ("w-li", "w-li", "w-han", "w-li", "w-han", "w-li")
#: What the races call an instrument of the rig.
instrument_of = wallet_of


def new_wallets(clock: FixedClock) -> dict[str, EWallet]:
    """The buyers' wallets with their money and the shop's empty one, by id."""
    made = {}
    for wallet_id, amount in BUYERS.items():
        wallet = EWallet(wallet_id[2:], PIN, clock=clock, kdf=FAST_KDF, wallet_id=wallet_id)
        wallet.credit(cny(amount), "top-up")
        made[wallet_id] = wallet
    made[SHOP] = EWallet("teahouse", SHOP_PIN, clock=clock, kdf=FAST_KDF, wallet_id=SHOP)
    return made


def seed(store: Store, clock: FixedClock) -> None:
    """Store the wallets of :func:`new_wallets`."""
    with store.unit_of_work() as uow:
        repo = uow.repository(SERIALIZER)
        for wallet in new_wallets(clock).values():
            repo.add(wallet)
        uow.commit()


def service(store: Store, *, waits: bool = False, attempts: int = 10) -> WalletPaymentService:
    """A new service over ``store`` (as a new process would make). Between attempts it waits
    as in production with ``waits`` (worker processes racing for rows), else not at all."""
    if waits:
        return WalletPaymentService(
            store,
            merchant_wallet=SHOP,
            auth_for=lambda _: PIN,
            merchant_auth=lambda: SHOP_PIN,
            serializer=SERIALIZER,
            attempts=attempts,
        )
    return WalletPaymentService(
        store,
        merchant_wallet=SHOP,
        auth_for=lambda _: PIN,
        merchant_auth=lambda: SHOP_PIN,
        serializer=SERIALIZER,
        attempts=attempts,
        backoff=lambda _: 0.0,
        sleep=lambda _: None,
    )


def balances(store: Store) -> dict[str, tuple[Money, Money]]:
    """Each stored wallet's ``(balance, held)`` in CNY."""
    with store.unit_of_work() as uow:
        repo = uow.repository(SERIALIZER)
        found = {w: repo.get(w) for w in (*BUYERS, SHOP)}
    return {w: (x.balance("CNY"), x.held("CNY")) for w, x in found.items()}


def total(store: Store) -> Money:
    """All the stored wallets' value together."""
    return sum_money((b for b, _ in balances(store).values()), "CNY")
