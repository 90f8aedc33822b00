"""E-cash: anonymous digital coins built on blind signatures.

A GNU-Taler-like design: a :class:`Mint` issues coins of fixed :class:`Denomination` values by
RSA blind signatures (RFC 9474, :mod:`~ecservice.payments.ecash.blind_rsa`), so it cannot link a
coin it sees deposited to the withdrawal that created it. A :class:`CoinWallet` withdraws coins
from a customer reserve, pays merchants with signed :class:`CoinSpend` values, applies refunds and
makes change by refreshing a partly spent coin into fresh ones. Merchants deposit spends at the
mint, which checks both signatures and the coin's remaining value atomically, treats an identical
replay as a no-op and refuses a double spend. Every spend carries a fresh signed nonce, so paying
the same order again (after a refund, say) is a new payment, not a replay. A refund goes back to
the coin only while the coin can still be deposited or refreshed; later the mint refuses it
(:class:`RefundWindowClosed`) rather than leave value on a coin nobody can spend. What a mint
must never do twice (spend a coin beyond its value, refund a deposit twice, pay a merchant out
twice) is kept in its :class:`MintBook`: in memory by default, or in database rows shared by many
processes (``ecservice.storage.sql.SqlMintBook``).

The mint's private-key operation is behind the
:class:`~ecservice.payments.ecash.blind_rsa.BlindSigner` protocol:
:class:`~ecservice.payments.ecash.blind_rsa.PurePythonBlindSigner` (not constant-time), or
:class:`~ecservice.payments.ecash.hardened.HardenedBlindSigner` on GMP's constant-time
``powmod_sec`` (install ``ecservice[hardened]``).

>>> import pendulum
>>> from ecservice.clock import FixedClock
>>> from ecservice.money import Money
>>> clock = FixedClock(pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai"))
>>> mint = Mint(clock, currency="CNY")
>>> signer = PurePythonBlindSigner(generate_key(1024, allow_weak_key_for_tests=True))
>>> five = mint.add_denomination(
...     Money("5.00", "CNY"), signer=signer,
...     withdraw_until=clock.now().add(days=30), deposit_until=clock.now().add(days=90))
>>> mint.credit_reserve("alice", Money("5.00", "CNY"))
Money('5.00', 'CNY')
>>> wallet = CoinWallet(clock, currency="CNY")
>>> coin = wallet.withdraw(mint, "alice", five)
>>> (spend,) = wallet.pay(Money("3.20", "CNY"), merchant="teahouse",
...                       contract=contract_hash("order 1: green tea"))
>>> mint.deposit(spend).amount
Money('3.20', 'CNY')
>>> mint.remaining_value(coin), wallet.balance
(Money('1.80', 'CNY'), Money('1.80', 'CNY'))
"""

from ecservice.payments.ecash._book import DepositDraft, MemoryMintBook, MintBook
from ecservice.payments.ecash._coin import (
    BlindedPlanchet,
    Coin,
    CoinSpend,
    Planchet,
    RefreshRequest,
    WalletCoin,
    coin_message,
    contract_hash,
)
from ecservice.payments.ecash._denomination import Denomination, denomination_id
from ecservice.payments.ecash._errors import (
    AlreadyPaidOut,
    ConflictingDeposit,
    DenominationExpired,
    RefundExceedsDeposit,
    RefundWindowClosed,
    UnknownDenomination,
    UnknownDeposit,
    UnknownReserve,
)
from ecservice.payments.ecash._mint import Mint
from ecservice.payments.ecash._records import (
    DepositReceipt,
    PayoutRecord,
    RefreshRecord,
    RefundReceipt,
    WithdrawalRecord,
)
from ecservice.payments.ecash._wallet import CoinWallet, make_change
from ecservice.payments.ecash.blind_rsa import (
    DEFAULT_VARIANT,
    BlindingResult,
    BlindSigner,
    PurePythonBlindSigner,
    RandomSource,
    Variant,
    blind,
    blind_sign,
    emsa_pss_encode,
    finalize,
    generate_key,
    prepare,
    private_key_from_numbers,
    public_key_from_numbers,
    verify,
)
from ecservice.payments.ecash.hardened import HardenedBlindSigner

__all__ = [
    "DEFAULT_VARIANT",
    "AlreadyPaidOut",
    "BlindSigner",
    "BlindedPlanchet",
    "BlindingResult",
    "Coin",
    "CoinSpend",
    "CoinWallet",
    "ConflictingDeposit",
    "Denomination",
    "DenominationExpired",
    "DepositDraft",
    "DepositReceipt",
    "HardenedBlindSigner",
    "MemoryMintBook",
    "Mint",
    "MintBook",
    "PayoutRecord",
    "Planchet",
    "PurePythonBlindSigner",
    "RandomSource",
    "RefreshRecord",
    "RefreshRequest",
    "RefundExceedsDeposit",
    "RefundReceipt",
    "RefundWindowClosed",
    "UnknownDenomination",
    "UnknownDeposit",
    "UnknownReserve",
    "Variant",
    "WalletCoin",
    "WithdrawalRecord",
    "blind",
    "blind_sign",
    "coin_message",
    "contract_hash",
    "denomination_id",
    "emsa_pss_encode",
    "finalize",
    "generate_key",
    "make_change",
    "prepare",
    "private_key_from_numbers",
    "public_key_from_numbers",
    "verify",
]
