"""The e-wallet: cards, stored value with holds, e-cash and purse holdings, signed instructions.

An :class:`EWallet` belongs to one owner, who proves who they are with a PIN (hashed with scrypt,
locked out after repeated failures) or a short :class:`WalletSession` opened with it. It keeps

* card references (:class:`CardReference`): a payment provider's token, the brand, the last four
  digits and the expiry, never a full card number (:class:`FullCardNumberRefused`);
* stored value per currency (:class:`StoredValue`), in two columns, *available* and *held* by
  authorisations (:class:`Hold`), with a :class:`LedgerEntry` for every change, so that per currency
  ``available + held`` always equals the sum of the ledger;
* references to value kept elsewhere (:class:`Holding`: e-cash, stored-value purses);
* an Ed25519 key that signs payment instructions (:class:`SignedInstruction`), which anyone checks
  with :func:`verify_instruction`.

It also dual-signs purchases (SET's dual signature, 双重数字签名): :meth:`EWallet.instruct_dual`
signs an :class:`OrderPart` for the merchant and a :class:`PaymentPart` for the payment gateway
with one Ed25519 signature over ``SHA-256(SHA-256(order part) || SHA-256(payment part))``, and
seals the payment part for the gateway with HPKE (RFC 9180; :class:`SealedPayment`). The merchant
checks its :class:`DualSignedOrder` with :func:`verify_order_part` without seeing the payment part;
the gateway opens the :class:`DualSignedPayment` it is forwarded (:func:`open_payment`) and checks
it with :func:`verify_payment_part` without seeing the order part.

Choices worth knowing:

* PINs: scrypt with :data:`DEFAULT_KDF` (n=2**14, r=8, p=1, 16-byte salt), compared in constant
  time; 5 consecutive failures lock the wallet for 15 minutes (:class:`PinPolicy`). The fifth
  failure raises :class:`WalletLocked`, not :class:`WrongPin`. No PIN, hash, salt or key appears
  in any ``repr``, error message or log record (logger ``ecservice.payments.wallet``).
* A PIN attempt is counted before the slow hash, so parallel guesses never check more wrong
  PINs than the policy allows, and none once the lock is set.
* Threads: each wallet has its own lock and every operation runs under it, atomically (it
  completes or changes nothing). Across processes, one writer per wallet must be enforced by
  storage with a ``version``.
* Card numbers: every free text the wallet stores or signs (ledger and hold references, an
  instruction's payee and reference, the owner, the wallet id, card and holding fields) is
  scanned by :func:`looks_like_card_number` and refused with :class:`FullCardNumberRefused`,
  after the library's text rules (:func:`ecservice.text.check_text`).
* Loading: :meth:`EWallet.restore` and :meth:`StoredValue.restore` rebuild a wallet or its books
  from what storage keeps and check every part (types, PIN record, ledger against holds).
* Holds are idempotent by hold id: replaying the same capture (same amount) or release returns
  the settled :class:`Hold` unchanged; a conflicting one raises :class:`HoldSettled`.
* Signed bytes: sorted, compact, ASCII-only JSON of the instruction's fields, every value a string
  (``amount`` as the quantised decimal and ``currency`` as its code, ``issued_at`` as UTC
  ``...Z`` with microseconds, ``public_key`` as hex) except ``hold_id``, ``null`` when absent, plus
  ``"type": "ecservice.wallet.instruction/1"`` (:data:`INSTRUCTION_TYPE`); see
  :func:`canonical_bytes`.

>>> import pendulum
>>> from ecservice.clock import FixedClock
>>> from ecservice.money import Money
>>> clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai"))
>>> wallet = EWallet("alice", "2468", clock=clock, kdf=KdfParams(n=2**4), wallet_id="w-1")
>>> wallet.credit(Money("100.00", "CNY"), "top-up 1").kind
<EntryKind.CREDIT: 'credit'>
>>> hold = wallet.authorize(Money("30.00", "CNY"), "order 17", auth="2468")
>>> wallet.available("CNY"), wallet.held("CNY")
(Money('70.00', 'CNY'), Money('30.00', 'CNY'))
>>> wallet.capture(hold.hold_id, Money("25.50", "CNY")).released
Money('4.50', 'CNY')
>>> wallet.balance("CNY")
Money('74.50', 'CNY')
>>> signed = wallet.instruct("teahouse", Money("12.00", "CNY"), "order 18", auth="2468")
>>> verify_instruction(signed, wallet.public_key)
>>> import attrs
>>> verify_instruction(attrs.evolve(signed, payee="mallory"))
Traceback (most recent call last):
ecservice.errors.InvalidSignature: the payment instruction's signature does not verify: ...
"""

from __future__ import annotations

from ecservice.payments.wallet._access import WalletSession
from ecservice.payments.wallet._cards import CardReference, looks_like_card_number, luhn_valid
from ecservice.payments.wallet._dual_signature import (
    DUAL_ORDER_TYPE,
    DualSignedOrder,
    DualSignedPayment,
    PurchaseMismatch,
    dual_digest,
    verify_order_part,
    verify_payment_part,
)
from ecservice.payments.wallet._envelope import (
    SEALED_PAYMENT_INFO,
    InvalidEnvelope,
    SealedPayment,
    open_payment,
    seal_payment,
    x25519_public_bytes,
)
from ecservice.payments.wallet._errors import (
    CardExpired,
    DuplicateWalletItem,
    FullCardNumberRefused,
    HoldSettled,
    InvalidPin,
    InvalidSession,
    UnknownCard,
    UnknownHold,
    UnknownHolding,
    UnknownWalletItem,
    WalletLocked,
    WrongPin,
)
from ecservice.payments.wallet._ewallet import EWallet
from ecservice.payments.wallet._instruction import (
    INSTRUCTION_TYPE,
    SignedInstruction,
    canonical_bytes,
    raw_public_key,
    verify_instruction,
)
from ecservice.payments.wallet._ledger import (
    EntryKind,
    Hold,
    Holding,
    HoldingKind,
    HoldStatus,
    LedgerEntry,
)
from ecservice.payments.wallet._parts import (
    ORDER_PART_TYPE,
    PAYMENT_PART_TYPE,
    OrderPart,
    PaymentPart,
)
from ecservice.payments.wallet._pin import DEFAULT_KDF, KdfParams, PinHash, PinPolicy, hash_pin
from ecservice.payments.wallet._spending import STORED_VALUE
from ecservice.payments.wallet._stored_value import StoredValue

__all__ = [
    "DEFAULT_KDF",
    "DUAL_ORDER_TYPE",
    "INSTRUCTION_TYPE",
    "ORDER_PART_TYPE",
    "PAYMENT_PART_TYPE",
    "SEALED_PAYMENT_INFO",
    "STORED_VALUE",
    "CardExpired",
    "CardReference",
    "DualSignedOrder",
    "DualSignedPayment",
    "DuplicateWalletItem",
    "EWallet",
    "EntryKind",
    "FullCardNumberRefused",
    "Hold",
    "HoldSettled",
    "HoldStatus",
    "Holding",
    "HoldingKind",
    "InvalidEnvelope",
    "InvalidPin",
    "InvalidSession",
    "KdfParams",
    "LedgerEntry",
    "OrderPart",
    "PaymentPart",
    "PinHash",
    "PinPolicy",
    "PurchaseMismatch",
    "SealedPayment",
    "SignedInstruction",
    "StoredValue",
    "UnknownCard",
    "UnknownHold",
    "UnknownHolding",
    "UnknownWalletItem",
    "WalletLocked",
    "WalletSession",
    "WrongPin",
    "canonical_bytes",
    "dual_digest",
    "hash_pin",
    "looks_like_card_number",
    "luhn_valid",
    "open_payment",
    "raw_public_key",
    "seal_payment",
    "verify_instruction",
    "verify_order_part",
    "verify_payment_part",
    "x25519_public_bytes",
]
