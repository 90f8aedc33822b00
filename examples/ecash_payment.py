"""E-cash end to end: withdraw, pay a merchant, deposit, replay, double spend, refund, change.

Then: paying the same order again after a full refund is a new payment (not a replay), a refund
after the coin's deposit window is refused (the value would be unspendable), and the wallet's
balance leaves out expired coins. On the way, the coin's and the spend's signatures are checked
with the ``cryptography`` package alone, as a wallet or merchant in another language would (the
bytes are specified in ``docs/ecash-protocol.md``).

Run it with ``python examples/ecash_payment.py``. It uses 1024-bit test keys so it runs in a
moment; a real mint uses at least 2048-bit keys (the default of ``Mint.add_denomination``). With
``gmpy2`` installed (``ecservice[hardened]``) the mint signs with the constant-time
``HardenedBlindSigner``; otherwise with ``PurePythonBlindSigner``.
"""

from __future__ import annotations

import pendulum
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecservice.clock import FixedClock
from ecservice.errors import DoubleSpend
from ecservice.money import Money
from ecservice.payments.ecash import (
    BlindSigner,
    CoinWallet,
    HardenedBlindSigner,
    Mint,
    PurePythonBlindSigner,
    RefundWindowClosed,
    contract_hash,
    generate_key,
    hardened,
)


def cny(amount: str) -> Money:
    """An amount in yuan."""
    return Money(amount, "CNY")


def new_signer() -> BlindSigner:
    """A signer with a fresh test key: the hardened one when gmpy2 is installed."""
    key = generate_key(1024, allow_weak_key_for_tests=True)
    return HardenedBlindSigner(key) if hardened.AVAILABLE else PurePythonBlindSigner(key)


def main() -> None:
    """Print a short trace of one customer paying one merchant with e-cash."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai"))
    mint = Mint(clock, currency="CNY", name="demo-mint")
    for value in ("10.00", "5.00", "1.00", "0.50", "0.10", "0.05", "0.01"):
        mint.add_denomination(
            cny(value),
            signer=new_signer(),
            withdraw_until=clock.now().add(days=30),
            deposit_until=clock.now().add(days=365),
        )
    mint.credit_reserve("alice", cny("20.00"))
    wallet = CoinWallet(clock, currency="CNY")

    ten = next(d for d in mint.denominations if d.value == cny("10.00"))
    coin = wallet.withdraw(mint, "alice", ten)
    print(f"withdraw: coin {coin.public_key[:4].hex()} of {ten.value}; ", end="")
    print(f"reserve left {mint.reserve_balance('alice')}; mint saw only a blinded message")

    order = contract_hash("teahouse order 42: 1 Longjing 250 g, 7.30 CNY")
    (spend,) = wallet.pay(cny("7.30"), merchant="teahouse", contract=order)
    print(f"spend: {spend.amount} from coin {coin.public_key[:4].hex()} to {spend.merchant}")

    # What any verifier does, with no ecservice code: the mint's RSA-PSS signature (SHA-384,
    # MGF1-SHA-384, 48-byte salt: the default RFC 9474 variant) over the prepared coin message,
    # and the coin key's Ed25519 signature over the spend's signed bytes.
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    ten.public_key.verify(coin.signature, coin.prepared_message, pss, hashes.SHA384())
    Ed25519PublicKey.from_public_bytes(coin.public_key).verify(
        spend.signature, spend.signed_bytes()
    )
    print(
        f"checked with cryptography alone: RSA-PSS over the {len(coin.prepared_message)}-byte "
        f"prepared coin message, Ed25519 over the {len(spend.signed_bytes())}-byte spend"
    )

    receipt = mint.deposit(spend)
    print(f"deposit: receipt #{receipt.deposit_id}, coin has {mint.remaining_value(coin)} left")

    replayed = mint.deposit(spend)
    print(
        f"replayed deposit: same receipt #{replayed.deposit_id} ({replayed == receipt}), "
        f"still {mint.remaining_value(coin)} left"
    )

    greedy = wallet.wallet_coin(coin.public_key).spend(
        cny("5.00"), merchant="bookshop", contract=contract_hash("bookshop order 7")
    )
    try:
        mint.deposit(greedy)
    except DoubleSpend as exc:
        print(f"double spend refused: {exc}")

    refund = mint.refund(
        merchant="teahouse",
        coin_public_key=coin.public_key,
        contract_hash=order,
        amount=cny("1.00"),
    )
    wallet.apply_refund(refund)
    print(
        f"refund: {refund.amount} back to the coin, which now has {mint.remaining_value(coin)}; "
        f"teahouse is paid out {mint.payout('teahouse')}"
    )

    change = wallet.refresh(mint, coin.public_key)
    values = ", ".join(str(mint.denomination(c.denomination_id).value.amount) for c in change)
    print(
        f"change: {wallet.remaining(coin.public_key)} left on the old coin, "
        f"{len(change)} fresh coins ({values}); wallet balance {wallet.balance}"
    )

    five = next(d for d in mint.denominations if d.value == cny("5.00"))
    coin = wallet.withdraw(mint, "alice", five)
    again = contract_hash("teahouse order 43: 1 gift box, 5.00 CNY")
    for attempt in ("first", "second"):
        (spend,) = wallet.pay(cny("5.00"), merchant="teahouse", contract=again)
        receipt = mint.deposit(spend)
        refund = mint.refund(
            merchant="teahouse", coin_public_key=coin.public_key, contract_hash=again,
            amount=cny("5.00"),
        )  # fmt: skip
        wallet.apply_refund(refund)
        print(
            f"pay again: {attempt} payment of order 43 is deposit #{receipt.deposit_id}, refunded"
        )

    (spend,) = wallet.pay(cny("5.00"), merchant="teahouse", contract=again)
    mint.deposit(spend)
    clock.set(clock.now().add(days=366))  # the coin's deposit window has closed
    try:
        mint.refund(
            merchant="teahouse", coin_public_key=coin.public_key, contract_hash=again,
            amount=cny("5.00"),
        )  # fmt: skip
    except RefundWindowClosed as exc:
        print(f"late refund refused: {exc}")
    print(
        f"expired: wallet balance {wallet.balance} spendable, "
        f"{wallet.expired_balance} left on expired coins"
    )


if __name__ == "__main__":
    main()
