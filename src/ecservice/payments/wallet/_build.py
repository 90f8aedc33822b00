"""Building a wallet: its private records, made new or rebuilt from what storage keeps.

``EWallet(...)`` and :meth:`EWallet.restore <ecservice.payments.wallet.EWallet.restore>` (which
document the arguments, the rules and the errors) run :func:`build_new` and
:func:`build_restored`. Both check every argument first (identity, clock, time zone and key with
``_restore.check_identity``; the PIN record with :class:`PinGuard`; the cards, holdings and
books as they were made) and only then install the records, so a wallet that fails a check is
never half-built.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pendulum import DateTime

from ecservice.clock import Clock
from ecservice.errors import ValidationError
from ecservice.payments.wallet._cards import CardReference
from ecservice.payments.wallet._holdings import restored_holdings
from ecservice.payments.wallet._ledger import Hold, Holding, LedgerEntry
from ecservice.payments.wallet._pin import KdfParams, PinGuard, PinHash, PinPolicy, hash_pin
from ecservice.payments.wallet._restore import check_identity, items, restored_cards
from ecservice.payments.wallet._stored_value import StoredValue

if TYPE_CHECKING:
    from ecservice.payments.wallet._ewallet import EWallet

__all__ = ["build_new", "build_restored"]


def build_new(
    wallet: EWallet,
    owner: str,
    pin: str,
    *,
    clock: Clock,
    kdf: KdfParams,
    policy: PinPolicy | None,
    signing_key: Ed25519PrivateKey | None,
    wallet_id: str | None,
    zone: str,
) -> None:
    """Make the records of a new wallet, as ``EWallet(...)`` does."""
    owner, wid, zone = check_identity(owner, wallet_id, clock, kdf, zone, signing_key)
    if policy is not None and not isinstance(policy, PinPolicy):
        raise ValidationError(f"policy must be a PinPolicy, not {type(policy).__name__}")
    wallet.__attrs_init__(
        owner=owner,
        clock=clock,
        wallet_id=wid,
        kdf=kdf,
        zone=zone,
        guard=PinGuard(hash_pin(pin, kdf), policy or PinPolicy()),
        signing_key=signing_key or Ed25519PrivateKey.generate(),
        sessions={},
        cards={},
        books=StoredValue(clock, f"wallet {wid}"),
        holdings={},
        lock=threading.RLock(),
        version=0,
    )


def build_restored(
    wallet: EWallet,
    *,
    owner: str,
    wallet_id: str,
    pin_hash: PinHash,
    clock: Clock,
    signing_key: Ed25519PrivateKey,
    kdf: KdfParams,
    policy: PinPolicy,
    failures: int,
    locked_until: DateTime | None,
    cards: Iterable[CardReference],
    ledger: Iterable[LedgerEntry],
    holds: Iterable[Hold],
    holdings: Iterable[Holding],
    zone: str,
    version: int,
) -> None:
    """Check what storage kept and install it in ``wallet``, as :meth:`EWallet.restore` does."""
    owner, wid, zone = check_identity(owner, wallet_id, clock, kdf, zone, signing_key)
    if wallet_id is None:
        raise ValidationError("a restored wallet needs its wallet_id")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValidationError(f"a wallet's version must be a whole number >= 0, not {version!r}")
    if not isinstance(policy, PinPolicy):
        raise ValidationError(f"policy must be a PinPolicy, not {type(policy).__name__}")
    guard = PinGuard.restored(pin_hash, policy, failures, locked_until, clock.now())
    card_map = restored_cards(cards, wid)
    holding_map = restored_holdings(holdings, wid)
    wallet.__attrs_init__(
        owner=owner,
        clock=clock,
        wallet_id=wid,
        kdf=kdf,
        zone=zone,
        guard=guard,
        signing_key=signing_key,
        sessions={},
        cards=card_map,
        books=StoredValue.restore(
            clock, items(ledger, "ledger"), items(holds, "holds"), name=f"wallet {wid}"
        ),
        holdings=holding_map,
        lock=threading.RLock(),
        version=version,
    )
