"""What the stored payment services' races in separate processes share.

A *rig* is a module of ``tests.application`` with ``seed(store, clock)``, ``service(store, *,
waits, attempts)`` (the service under test), ``instrument_of(id)`` and ``PAYERS`` (the buyers of
the six payments, 10.00 each). :func:`races` stores the rig's instruments, authorises the six
payments, then has ``processes`` workers (started with ``spawn``: nothing is shared but the
database) each capture every payment under a key all workers share and under one of their own,
and refund every capture 3.00 under a shared key and 3.00 under their own; it checks that each
shared key got the same approved answer in every process, which ``outcome`` gives too, and that
each capture took exactly three refunds (10.00 holds three of 3.00), and afterwards that a
capture asked again replays and a refund past what is left is declined. What the instruments
hold then is each test's to check.
"""

from __future__ import annotations

import importlib
from multiprocessing.pool import Pool
from types import ModuleType

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments import GatewayResponse
from tests.application.conftest import START

PAYMENTS = 6
Answer = tuple[bool, str, str, str | None]


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def answer_of(response: GatewayResponse) -> Answer:
    amount = None if response.amount is None else str(response.amount)
    return response.approved, response.reference, response.message, amount


def _rig(name: str) -> ModuleType:
    return importlib.import_module(f"tests.application.{name}")


def prepare(rig: str, url: str) -> list[str]:
    """The rig's instruments stored and the payments authorised; their authorisations."""
    from ecservice.storage.sql import SqlStore

    module = _rig(rig)
    store = SqlStore(url, clock=FixedClock(START))
    try:
        module.seed(store, FixedClock(START))
        payments = module.service(store)
        auths = []
        for n, payer in enumerate(module.PAYERS):
            answer = payments.authorize(
                module.instrument_of(payer),
                cny("10.00"),
                reference=f"P-{n}",
                idempotency_key=f"A-{n}",
            )
            assert answer.approved, answer
            auths.append(answer.reference)
        return auths
    finally:
        store.dispose()


def worker(rig: str, url: str, auths: list[str], seed_: int) -> tuple[dict[str, Answer], int]:
    """Capture and refund every payment, starting at a payment of its own; the answers under
    the shared keys and how many refunds under its own keys were approved."""
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url, clock=FixedClock(START))
    payments = _rig(rig).service(store, waits=True, attempts=60)
    shared: dict[str, Answer] = {}
    own = 0
    try:
        for k in range(PAYMENTS):
            n = (k + seed_) % PAYMENTS
            cap = payments.capture(auths[n], cny("10.00"), idempotency_key=f"C-{n}")
            shared[f"C-{n}"] = answer_of(cap)
            mine = payments.capture(auths[n], cny("10.00"), idempotency_key=f"C-{n}-{seed_}")
            assert mine.approved, mine
            assert mine.reference == cap.reference, mine
            ref = payments.refund(cap.reference, cny("3.00"), idempotency_key=f"R-{n}")
            shared[f"R-{n}"] = answer_of(ref)
            extra = payments.refund(cap.reference, cny("3.00"), idempotency_key=f"R-{n}-{seed_}")
            own += extra.approved
        return shared, own
    finally:
        store.dispose()


def races(pool: Pool, rig: str, url: str, processes: int) -> list[str]:
    """Run the races (see the module's description) and check what they share; the
    authorisations."""
    from ecservice.storage.sql import SqlStore

    auths = prepare(rig, url)
    results = pool.starmap(worker, [(rig, url, auths, s) for s in range(processes)], chunksize=1)
    store = SqlStore(url, clock=FixedClock(START))
    try:
        payments = _rig(rig).service(store)
        for key in results[0][0]:
            answers = {r[0][key] for r in results}
            assert len(answers) == 1, (key, answers)
            (answer,) = answers
            assert answer[0], (key, answer)
            stored = payments.outcome(key)
            assert stored is not None
            assert answer_of(stored) == answer
        # Each capture of 10.00 took three refunds of 3.00: the shared one and two own ones.
        assert sum(own for _, own in results) == PAYMENTS * 2
        for n in range(PAYMENTS):
            cap = payments.capture(auths[n], cny("10.00"), idempotency_key=f"C-{n}-check")
            assert cap.message == "already captured"
            assert not payments.refund(
                cap.reference, cny("1.01"), idempotency_key=f"R-{n}-check"
            ).approved
        return auths
    finally:
        store.dispose()


def empty_database(url: str) -> None:
    """Create the store's tables in the database ``url``."""
    from ecservice.storage.sql import SqlStore

    made = SqlStore(url)
    made.create_schema()
    made.dispose()
