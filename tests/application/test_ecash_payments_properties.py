"""Random e-cash payment histories with random crashes converge, and conserve value.

Hypothesis draws sequences of authorisations, captures (full or partial), refunds, voids and
payouts over a memory store and a mint; any call may stop after the mint's own transactions and
before the store's commit, and is then run again, as a caller that lost the answer would. After
every step the buyers' coins plus what the merchant holds at the mint equal what was withdrawn,
and every stored wallet is in step with the mint.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.application import EcashPaymentService
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments import GatewayResponse
from ecservice.storage import MemoryStore
from tests.application.conftest import START
from tests.application.ecash_rig import (
    CrashingStore,
    Stopped,
    conserved,
    new_mint,
    seed,
    service,
    wallet_of,
)

STEP = st.tuples(
    st.sampled_from(["authorize", "capture", "refund", "void", "payout"]),
    st.integers(min_value=0, max_value=3),  # which payment
    st.integers(min_value=1, max_value=900),  # an amount in fen
    st.booleans(),  # the call stops before the store's commit
)


def _call(
    payments: EcashPaymentService,
    step: tuple[str, int, int, bool],
    n: int,
    auths: dict[int, tuple[str, Money]],
    captures: dict[int, str],
) -> object:
    """Step ``n``: the call it makes, or ``None`` if it names a payment not made yet."""
    what, payment, fen, _ = step
    amount = Money.from_minor(fen, "CNY")
    if what == "authorize":
        wallet = wallet_of("cw-li" if payment % 2 else "cw-han")
        return payments.authorize(
            wallet, amount, reference=f"P-{payment}", idempotency_key=f"A-{n}"
        )
    if what == "capture" and payment in auths:
        auth, authorised = auths[payment]
        taken = authorised if fen % 3 == 0 else min(amount, authorised)  # full, or part
        return payments.capture(auth, taken, idempotency_key=f"C-{n}")
    if what == "refund" and payment in captures:
        part = Money.from_minor(fen % 300 + 1, "CNY")
        return payments.refund(captures[payment], part, idempotency_key=f"R-{n}")
    if what == "void" and payment in auths:
        return payments.void(auths[payment][0], idempotency_key=f"V-{n}")
    if what == "payout":
        return payments.payout()
    return None


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(STEP, min_size=1, max_size=14))
def test_random_histories_with_crashes_conserve_value(
    steps: list[tuple[str, int, int, bool]],
) -> None:
    clock = FixedClock(START)
    store = CrashingStore(MemoryStore(clock=clock))
    mint = new_mint(clock, None)
    seed(store, mint, clock)
    auths: dict[int, tuple[str, Money]] = {}
    captures: dict[int, str] = {}
    for n, step in enumerate(steps):
        what, payment, fen, crash = step
        payments = service(store, mint)
        store.crashes = int(crash)
        try:
            answer = _call(payments, step, n, auths, captures)
        except Stopped:
            answer = _call(payments, step, n, auths, captures)  # the caller runs it again
        store.crashes = 0
        if isinstance(answer, GatewayResponse) and answer.approved:
            if what == "authorize":
                auths[payment] = (answer.reference, Money.from_minor(fen, "CNY"))
            elif what == "capture":
                captures[payment] = answer.reference
        assert conserved(store, mint), (n, step, answer)
