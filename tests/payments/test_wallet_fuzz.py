"""Only library errors escape the e-wallet and the instrument gateways; a refusal changes nothing.

Every public method of :class:`EWallet` (and :meth:`EWallet.restore`) and every money-moving call
of the e-cash, purse and e-wallet gateways is driven with hostile values in one argument at a time:
wrong types, ``None``, huge ints, NaN and huge Decimals, strings with exponents, non-ASCII digits,
control and bidi characters, card numbers and a 10 MB string. Whatever is raised must be an
:class:`EcServiceError`, and the object must be exactly as before (a wrong PIN still counts: that
is the wallet's rule, so the failure count is left out of the comparison).
"""

from __future__ import annotations

import decimal
import functools
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.payments import Instrument, InstrumentKind
from ecservice.payments.wallet import (
    CardReference,
    EWallet,
    Holding,
    HoldingKind,
    HoldStatus,
    KdfParams,
)
from tests.payments.test_instrument_gateways import BUILDERS, KINDS, T0, Rig, cny
from tests.payments.test_wallet_safety import parts

PIN = "739154"
FAST = KdfParams(n=2**4)
TEN_MB = "7" * 10_000_000
FIXED: list[object] = [
    None,
    True,
    0,
    -1,
    10**5000,
    -(10**40),
    1.5,
    float("nan"),
    float("inf"),
    decimal.Decimal("NaN"),
    decimal.Decimal("sNaN"),
    decimal.Decimal("1e999999"),
    decimal.Decimal("-0"),
    "",
    "   ",
    "1e5",
    "１２３４",
    "١٢٣",
    "a\x00b",
    "x\u202ey",
    "\ud800",
    "4111 1111 1111 1111",
    TEN_MB,
    b"1234",
    [],
    {},
    (1, 2),
    object(),
    Money("1.00", "USD"),
    Money("-1.00", "CNY"),
    Money("0.00", "CNY"),
    Money("1E+6", "CNY"),
    HoldStatus.OPEN,
    HoldingKind.ECASH,
    InstrumentKind.CARD,
]
HOSTILE = st.one_of(
    st.sampled_from(FIXED),
    st.text(max_size=30),
    st.integers(),
    st.decimals(),
    st.floats(),
    st.binary(max_size=8),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def wallet(clock: FixedClock) -> tuple[EWallet, str]:
    w = EWallet("alice", PIN, clock=clock, kdf=FAST, wallet_id="w-alice")
    w.credit(cny("100.00"), "top-up 1")
    hold = w.authorize(cny("10.00"), "order 1", auth=PIN)
    w.add_card(CardReference("tok_1", "visa", "4242", exp_month=12, exp_year=2030), auth=PIN)
    w.add_holding(Holding(HoldingKind.ECASH, "coins-1", cny("5.00")))
    return w, hold.hold_id


def state(w: EWallet) -> object:
    return (
        w.ledger,
        w.holds(None),
        w.cards(),
        w.holdings(),
        tuple((c, w.available(c), w.held(c)) for c in w.currencies),
    )


WalletCall = Callable[[EWallet, str, Any], object]
WALLET_CALLS: dict[str, WalletCall] = {
    "credit.amount": lambda w, h, v: w.credit(v, "r"),
    "credit.reference": lambda w, h, v: w.credit(cny("1.00"), v),
    "pay.amount": lambda w, h, v: w.pay(v, "r", auth=PIN),
    "pay.reference": lambda w, h, v: w.pay(cny("1.00"), v, auth=PIN),
    "pay.auth": lambda w, h, v: w.pay(cny("1.00"), "r", auth=v),
    "authorize.amount": lambda w, h, v: w.authorize(v, "r", auth=PIN),
    "authorize.reference": lambda w, h, v: w.authorize(cny("1.00"), v, auth=PIN),
    "capture.hold_id": lambda w, h, v: w.capture(v),
    "capture.amount": lambda w, h, v: w.capture(h, v),
    "release.hold_id": lambda w, h, v: w.release(v),
    "hold": lambda w, h, v: w.hold(v),
    "holds": lambda w, h, v: w.holds(v),
    "instruct.payee": lambda w, h, v: w.instruct(v, cny("1.00"), "r", auth=PIN),
    "instruct.amount": lambda w, h, v: w.instruct("p", v, "r", auth=PIN),
    "instruct.reference": lambda w, h, v: w.instruct("p", cny("1.00"), v, auth=PIN),
    "instruct.card": lambda w, h, v: w.instruct("p", cny("1.00"), "r", auth=PIN, card=v),
    "add_card": lambda w, h, v: w.add_card(v, auth=PIN),
    "remove_card": lambda w, h, v: w.remove_card(v),
    "card": lambda w, h, v: w.card(v),
    "add_holding": lambda w, h, v: w.add_holding(v),
    "holding.kind": lambda w, h, v: w.holding(v, "coins-1"),
    "holding.reference": lambda w, h, v: w.holding(HoldingKind.ECASH, v),
    "update_holding.value": lambda w, h, v: w.update_holding(HoldingKind.ECASH, "coins-1", v),
    "remove_holding": lambda w, h, v: w.remove_holding(HoldingKind.ECASH, v),
    "holdings": lambda w, h, v: w.holdings(v),
    "available": lambda w, h, v: w.available(v),
    "total_value": lambda w, h, v: w.total_value(v),
    "verify_pin": lambda w, h, v: w.verify_pin(v),
    "open_session": lambda w, h, v: w.open_session(v),
    "close_session": lambda w, h, v: w.close_session(v),
    "change_pin.new": lambda w, h, v: w.change_pin(PIN, v),
    "EWallet.owner": lambda w, h, v: EWallet(v, PIN, clock=w.clock, kdf=FAST),
    "EWallet.pin": lambda w, h, v: EWallet("a", v, clock=w.clock, kdf=FAST),
    "EWallet.clock": lambda w, h, v: EWallet("a", PIN, clock=v, kdf=FAST),
    "EWallet.kdf": lambda w, h, v: EWallet("a", PIN, clock=w.clock, kdf=v),
    "EWallet.policy": lambda w, h, v: EWallet("a", PIN, clock=w.clock, kdf=FAST, policy=v),
    "EWallet.wallet_id": lambda w, h, v: EWallet("a", PIN, clock=w.clock, kdf=FAST, wallet_id=v),
    "EWallet.zone": lambda w, h, v: EWallet("a", PIN, clock=w.clock, kdf=FAST, zone=v),
    "EWallet.restore.zone": lambda w, h, v: EWallet.restore(**parts(FixedClock(T0)), zone=v),
    "CardReference.token": lambda w, h, v: CardReference(
        v, "visa", "4242", exp_month=1, exp_year=2030
    ),
    "CardReference.exp_month": lambda w, h, v: CardReference(
        "t", "visa", "4242", exp_month=v, exp_year=2030
    ),
    "CardReference.expires_at.zone": lambda w, h, v: CardReference(
        "t", "visa", "4242", exp_month=1, exp_year=2030
    ).expires_at(v),
    "Holding.value": lambda w, h, v: Holding(HoldingKind.ECASH, "c", v),
    "Holding.label": lambda w, h, v: Holding(HoldingKind.ECASH, "c", cny("1.00"), v),
    "KdfParams.n": lambda w, h, v: KdfParams(n=v),
}


@SETTINGS
@given(name=st.sampled_from(sorted(WALLET_CALLS)), value=HOSTILE)
def test_only_library_errors_escape_the_wallet(name: str, value: object) -> None:
    """Any hostile argument: an EcServiceError (or success), and a refusal changes nothing."""
    w, hold_id = wallet(FixedClock(T0))
    before = state(w)
    try:
        WALLET_CALLS[name](w, hold_id, value)
    except EcServiceError:
        assert state(w) == before
    except Exception as exc:
        pytest.fail(f"{name}({value!r:.60}) raised {type(exc).__name__}: {exc!s:.200}")


@SETTINGS
@given(field=st.sampled_from(sorted(parts(FixedClock(T0)))), value=HOSTILE)
def test_only_library_errors_escape_restore(field: str, value: object) -> None:
    """A stored wallet with any one part replaced by a hostile value loads or raises an
    EcServiceError."""
    stored = parts(FixedClock(T0))
    try:
        EWallet.restore(**(stored | {field: value}))
    except EcServiceError:
        pass
    except Exception as exc:
        pytest.fail(f"restore({field}={value!r:.60}) raised {type(exc).__name__}: {exc!s:.200}")


_KEYS = itertools.count(1)


@functools.cache
def rig(kind: str) -> tuple[Rig, str, str]:
    """One rig per gateway kind, with an open authorisation and a capture, reused throughout."""
    built = BUILDERS[kind](FixedClock(T0))
    gw = built.gateway
    auth = gw.authorize(built.rich, cny("10.00"), reference="P-1", idempotency_key="fz-a1")
    paid = gw.authorize(built.rich, cny("10.00"), reference="P-2", idempotency_key="fz-a2")
    cap = gw.capture(paid.reference, cny("10.00"), idempotency_key="fz-c2")
    return built, auth.reference, cap.reference


GatewayCall = Callable[[Any, Instrument, str, str, Any], object]
GATEWAY_CALLS: dict[str, GatewayCall] = {
    "authorize.instrument": lambda g, i, a, c, v: g.authorize(
        v, cny("1.00"), reference="P", idempotency_key=f"k{next(_KEYS)}"
    ),
    "authorize.amount": lambda g, i, a, c, v: g.authorize(
        i, v, reference="P", idempotency_key=f"k{next(_KEYS)}"
    ),
    "authorize.reference": lambda g, i, a, c, v: g.authorize(
        i, cny("0.01"), reference=v, idempotency_key=f"k{next(_KEYS)}"
    ),
    "authorize.key": lambda g, i, a, c, v: g.authorize(
        i, cny("0.01"), reference="P", idempotency_key=v
    ),
    "capture.authorization": lambda g, i, a, c, v: g.capture(
        v, cny("1.00"), idempotency_key=f"k{next(_KEYS)}"
    ),
    "capture.amount": lambda g, i, a, c, v: g.capture(a, v, idempotency_key=f"k{next(_KEYS)}"),
    "void.authorization": lambda g, i, a, c, v: g.void(v, idempotency_key=f"k{next(_KEYS)}"),
    "refund.capture": lambda g, i, a, c, v: g.refund(
        v, cny("0.01"), idempotency_key=f"k{next(_KEYS)}"
    ),
    "refund.amount": lambda g, i, a, c, v: g.refund(c, v, idempotency_key=f"k{next(_KEYS)}"),
    "refund.key": lambda g, i, a, c, v: g.refund(c, cny("0.01"), idempotency_key=v),
    "held": lambda g, i, a, c, v: g.held(v),
    "buyer_balance": lambda g, i, a, c, v: g.buyer_balance(v, "CNY"),
    "outcome": lambda g, i, a, c, v: g.outcome(v),
    "authorization_state": lambda g, i, a, c, v: g.authorization_state(v),
}


@SETTINGS
@given(kind=st.sampled_from(KINDS), name=st.sampled_from(sorted(GATEWAY_CALLS)), value=HOSTILE)
def test_only_library_errors_escape_the_gateways(kind: str, name: str, value: object) -> None:
    """Hostile arguments to a gateway: an EcServiceError (or an answer), never another error;
    a refusal moves nothing and value is conserved."""
    built, auth, cap = rig(kind)
    before = built.snapshot()
    try:
        GATEWAY_CALLS[name](built.gateway, built.rich, auth, cap, value)
    except EcServiceError:
        assert built.snapshot() == before
    except Exception as exc:
        pytest.fail(f"{kind} {name}({value!r:.60}) raised {type(exc).__name__}: {exc!s:.200}")
    built.conserved()
