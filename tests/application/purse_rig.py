"""Stored purses and a :class:`~ecservice.application.PursePaymentService` over them, for the
purse payment tests (in one process and in worker processes)."""

from __future__ import annotations

from collections.abc import Mapping

from ecservice.application import PursePaymentService
from ecservice.clock import FixedClock
from ecservice.money import Money, sum_money
from ecservice.payments import Instrument, InstrumentKind
from ecservice.payments.mondex import Purse
from ecservice.storage import PURSE_SERIALIZER, Store

SHOP = "p-shop"
#: The buyers' purses and what each holds at the start.
BUYERS: Mapping[str, str] = {"p-li": "100.00", "p-han": "50.00"}


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def purse_of(purse_id: str) -> Instrument:
    return Instrument(InstrumentKind.PURSE, purse_id)


#: The buyers of the six payments the races make (:mod:`tests.application.payment_races`): four
#: from the first buyer, two from the second.
PAYERS = ("p-li", "p-li", "p-han", "p-li", "p-han", "p-li")
#: What the races call an instrument of the rig.
instrument_of = purse_of


def new_purses(clock: FixedClock) -> dict[str, Purse]:
    """The buyers' purses with their money and the shop's empty one, by id."""
    made = {p: Purse(p, balances=[cny(amount)], clock=clock) for p, amount in BUYERS.items()}
    made[SHOP] = Purse(SHOP, clock=clock)
    return made


def seed(store: Store, clock: FixedClock) -> None:
    """Store the purses of :func:`new_purses`."""
    with store.unit_of_work() as uow:
        repo = uow.repository(PURSE_SERIALIZER)
        for purse in new_purses(clock).values():
            repo.add(purse)
        uow.commit()


def service(store: Store, *, waits: bool = False, attempts: int = 10) -> PursePaymentService:
    """A new service over ``store`` (as a new process would make). Between attempts it waits
    as in production with ``waits`` (worker processes racing for rows), else not at all."""
    if waits:
        return PursePaymentService(store, merchant_purse=SHOP, attempts=attempts)
    return PursePaymentService(
        store,
        merchant_purse=SHOP,
        attempts=attempts,
        backoff=lambda _: 0.0,
        sleep=lambda _: None,
    )


def stored_purses(store: Store) -> dict[str, Purse]:
    """The stored purses, by id."""
    with store.unit_of_work() as uow:
        repo = uow.repository(PURSE_SERIALIZER)
        return {p: repo.get(p) for p in (*BUYERS, SHOP)}


def balances(store: Store) -> dict[str, Money]:
    """Each stored purse's balance in CNY."""
    return {p: x.balance("CNY") for p, x in stored_purses(store).items()}


def total(store: Store) -> Money:
    """All the stored purses' value together."""
    return sum_money(balances(store).values(), "CNY")
