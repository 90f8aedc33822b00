"""The byte layouts of docs/ecash-protocol.md, rebuilt by hand and compared with the library.

Every signed or hashed message is rebuilt here from the page's tables with ``struct.pack`` and
``hashlib`` (never with the library's own encoders), compared with what the library signs, and
the signatures are checked with the ``cryptography`` package alone. If the code changes a layout,
these tests fail until the page (and this file) say the same thing again.
"""

from __future__ import annotations

import hashlib
import struct
from decimal import Decimal

import pendulum
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments import EcashGateway, Instrument, InstrumentKind
from ecservice.payments.ecash import (
    Coin,
    CoinWallet,
    Denomination,
    Mint,
    Planchet,
    PurePythonBlindSigner,
    Variant,
    WalletCoin,
    generate_key,
)

# --- the page's notation ------------------------------------------------------------------------

DENOMINATION_TAG = b"ecservice/ecash/denomination/v1"
COIN_TAG = b"ecservice/ecash/coin/v1"
SPEND_TAG = b"ecservice/ecash/spend/v2"
REFRESH_TAG = b"ecservice/ecash/refresh/v1"
CONTRACT_PREFIX = "ecservice/payment/v1\n"
MINOR_DIGITS = {"CNY": 2, "JPY": 0, "KWD": 3}  # ISO 4217 exponents of the currencies used here


def lp(field: bytes) -> bytes:
    """``u32(len(x)) ‖ x``: a field preceded by its length, 4 bytes big-endian."""
    return struct.pack(">I", len(field)) + field


def fields(tag: bytes, *items: bytes) -> bytes:
    """``tag ‖ lp(x1) ‖ ... ‖ lp(xk)``."""
    return tag + b"".join(lp(item) for item in items)


def amount_bytes(value: str, code: str) -> bytes:
    """ASCII ``"<minor units>:<currency code>"`` of a decimal amount given as text."""
    minor = Decimal(value).scaleb(MINOR_DIGITS[code])
    assert minor == minor.to_integral_value()
    return f"{int(minor)}:{code}".encode("ascii")


def der(public_key: rsa.RSAPublicKey) -> bytes:
    """SubjectPublicKeyInfo DER of an RSA public key."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def raw(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def pss(variant: Variant) -> padding.PSS:
    """RSASSA-PSS parameters of an RFC 9474 variant: MGF1-SHA-384, salt 48 (PSS) or 0 (PSSZERO)."""
    salt = 0 if "PSSZERO" in variant.value else 48
    return padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=salt)


def prefix_length(variant: Variant) -> int:
    """32 bytes of random prefix for the Randomized variants, none for the Deterministic ones."""
    return 32 if variant.value.endswith("-Randomized") else 0


# --- fixtures -----------------------------------------------------------------------------------

KEYS = {variant: generate_key(1024, allow_weak_key_for_tests=True) for variant in Variant}
JPY_KEY = generate_key(1024, allow_weak_key_for_tests=True)
FIVE_KEY = generate_key(1024, allow_weak_key_for_tests=True)


def mint_with(clock: FixedClock, code: str, value: str, variant: Variant) -> Mint:
    """A mint of one denomination of ``value``, signing with ``variant``; a funded reserve."""
    mint = Mint(clock, currency=code, name=f"{code.lower()}-mint")
    key = JPY_KEY if code == "JPY" else KEYS[variant]
    mint.add_denomination(
        Money(value, code),
        signer=PurePythonBlindSigner(key),
        variant=variant,
        withdraw_until=clock.now().add(days=30),
        deposit_until=clock.now().add(days=365),
    )
    mint.credit_reserve("r-1", Money(value, code))
    return mint


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai"))


def withdraw_one(clock: FixedClock, mint: Mint) -> tuple[CoinWallet, WalletCoin]:
    wallet = CoinWallet(clock, currency=mint.currency)
    coin = wallet.withdraw(mint, "r-1", mint.denominations[0])
    return wallet, wallet.wallet_coin(coin.public_key)


def check_coin_by_hand(
    coin: Coin, denomination: Denomination, public_key: rsa.RSAPublicKey
) -> None:
    """The page's validity rule for a coin, with ``cryptography`` only."""
    message = fields(COIN_TAG, coin.public_key, coin.denomination_id)
    assert len(message) == 95
    assert coin.denomination_id == denomination.id
    prefix = prefix_length(denomination.variant)
    assert len(coin.prepared_message) == prefix + 95
    assert coin.prepared_message[prefix:] == message
    assert len(coin.signature) == (public_key.key_size + 7) // 8
    variant = denomination.variant
    public_key.verify(coin.signature, coin.prepared_message, pss(variant), hashes.SHA384())


# --- the tests ----------------------------------------------------------------------------------


def test_tags_have_the_lengths_the_page_gives() -> None:
    """The tag table's lengths are the ASCII tags' lengths."""
    tags = (DENOMINATION_TAG, COIN_TAG, SPEND_TAG, REFRESH_TAG)
    assert [len(tag) for tag in tags] == [31, 23, 24, 26]


@pytest.mark.parametrize(
    ("value", "code", "expected"),
    [("7.30", "CNY", b"730:CNY"), ("0.01", "CNY", b"1:CNY"), ("500", "JPY", b"500:JPY"),
     ("1.250", "KWD", b"1250:KWD")],
)  # fmt: skip
def test_amount_encoding_examples(value: str, code: str, expected: bytes) -> None:
    """The amount encoding of this file gives the page's examples."""
    assert amount_bytes(value, code) == expected


@pytest.mark.parametrize("code", ["CNY", "JPY"])
def test_denomination_id(clock: FixedClock, code: str) -> None:
    """id = SHA-256(fields(denomination tag, DER(public key), amount(value)))."""
    value = "10.00" if code == "CNY" else "1000"
    mint = mint_with(clock, code, value, Variant.PSS_RANDOMIZED)
    denomination = mint.denominations[0]
    expected = hashlib.sha256(
        fields(DENOMINATION_TAG, der(denomination.public_key), amount_bytes(value, code))
    ).digest()
    assert denomination.id == expected
    assert len(denomination.id) == 32


@pytest.mark.parametrize("variant", list(Variant), ids=lambda v: v.value)
def test_coin_message_prepared_message_and_rsa_signature(
    clock: FixedClock, variant: Variant
) -> None:
    """The coin message and its prepared form per variant; the mint's signature is plain PSS."""
    mint = mint_with(clock, "CNY", "10.00", variant)
    denomination = mint.denominations[0]
    _, wallet_coin = withdraw_one(clock, mint)
    check_coin_by_hand(wallet_coin.coin, denomination, KEYS[variant].public_key())
    assert len(wallet_coin.coin.prepared_message) == prefix_length(variant) + 95


@pytest.mark.parametrize("variant", list(Variant), ids=lambda v: v.value)
def test_blinded_planchet_and_what_the_mint_keeps(clock: FixedClock, variant: Variant) -> None:
    """A blinded message is k bytes; the blind signature s satisfies s^e = blinded mod n; the
    withdrawal record keeps SHA-256(blinded message) and nothing about the coin."""
    mint = mint_with(clock, "CNY", "10.00", variant)
    denomination = mint.denominations[0]
    planchet = Planchet.create(denomination)
    prefix = prefix_length(variant)
    coin_message = fields(COIN_TAG, planchet.public_key, denomination.id)
    assert planchet.prepared_message[prefix:] == coin_message
    blinded = planchet.blinded()
    k = (denomination.public_key.key_size + 7) // 8
    assert (blinded.denomination_id, len(blinded.blinded_message)) == (denomination.id, k)
    blind_signature = mint.withdraw("r-1", blinded.denomination_id, blinded.blinded_message)
    numbers = denomination.public_key.public_numbers()
    s = int.from_bytes(blind_signature, "big")
    assert len(blind_signature) == k
    assert pow(s, numbers.e, numbers.n) == int.from_bytes(blinded.blinded_message, "big")
    record = mint.withdrawals[-1]
    assert record.blinded_message_hash == hashlib.sha256(blinded.blinded_message).digest()
    assert blinded.blinded_message_hash == record.blinded_message_hash
    coin = planchet.finalize(blind_signature).coin
    check_coin_by_hand(coin, denomination, KEYS[variant].public_key())


@pytest.mark.parametrize(
    ("code", "value", "paid", "merchant"),
    [("CNY", "10.00", "7.30", "teahouse"), ("CNY", "10.00", "0.01", "茶馆 · 西湖"),
     ("JPY", "1000", "500", "kissaten")],
)  # fmt: skip
def test_spend_signed_bytes_and_ed25519_signature(
    clock: FixedClock, code: str, value: str, paid: str, merchant: str
) -> None:
    """The spend layout of the page, and the coin key's Ed25519 signature over it."""
    mint = mint_with(clock, code, value, Variant.PSS_RANDOMIZED)
    _, wallet_coin = withdraw_one(clock, mint)
    contract = hashlib.sha512(b"order 42: 1 teapot").digest()
    spend = wallet_coin.spend(Money(paid, code), merchant=merchant, contract=contract)
    coin = spend.coin
    by_hand = (
        SPEND_TAG
        + lp(coin.public_key)
        + lp(coin.denomination_id)
        + lp(coin.signature)
        + lp(coin.prepared_message)
        + lp(amount_bytes(paid, code))
        + lp(merchant.encode("utf-8"))
        + lp(contract)
        + lp(spend.nonce)
    )
    assert spend.signed_bytes() == by_hand
    assert len(spend.nonce) == 16
    assert len(spend.signature) == 64
    Ed25519PublicKey.from_public_bytes(coin.public_key).verify(spend.signature, by_hand)
    # The deposit receipt carries the same signature, the mint's evidence of the spend.
    assert mint.deposit(spend).spend_signature == spend.signature


def test_refresh_signed_bytes_and_ed25519_signature(clock: FixedClock) -> None:
    """The refresh layout: old coin key, its denomination id, the amount, then per planchet the
    new denomination id and SHA-256 of the blinded message; signed by the old coin key."""
    mint = mint_with(clock, "CNY", "10.00", Variant.PSS_RANDOMIZED)
    five = mint.add_denomination(
        Money("5.00", "CNY"),
        signer=PurePythonBlindSigner(FIVE_KEY),
        withdraw_until=clock.now().add(days=30),
        deposit_until=clock.now().add(days=365),
    )
    _, wallet_coin = withdraw_one(clock, mint)
    planchets = [Planchet.create(five), Planchet.create(five)]
    request = wallet_coin.refresh(Money("10.00", "CNY"), planchets)
    coin = request.coin
    by_hand = REFRESH_TAG + lp(coin.public_key) + lp(coin.denomination_id) + lp(b"1000:CNY")
    for planchet in planchets:
        by_hand += lp(five.id) + lp(hashlib.sha256(planchet.blinded_message).digest())
    assert request.signed_bytes() == by_hand
    Ed25519PublicKey.from_public_bytes(coin.public_key).verify(request.signature, by_hand)
    blind_signatures = mint.refresh(request)
    assert [len(s) for s in blind_signatures] == [128, 128]
    assert mint.refresh(request) == blind_signatures  # an identical request: the same answer
    for planchet, blind_signature in zip(planchets, blind_signatures, strict=True):
        check_coin_by_hand(planchet.finalize(blind_signature).coin, five, FIVE_KEY.public_key())


def test_gateway_contract_hash(clock: FixedClock) -> None:
    """EcashGateway's contract hash: SHA-512 of "ecservice/payment/v1\\n" merchant, payment id
    and authorization id, separated by line feeds."""
    mint = mint_with(clock, "CNY", "10.00", Variant.PSS_RANDOMIZED)
    wallet, _ = withdraw_one(clock, mint)
    gateway = EcashGateway(mint, {"coins-1": wallet}, "teahouse")
    answer = gateway.authorize(
        Instrument(InstrumentKind.ECASH, "coins-1"),
        Money("3.20", "CNY"),
        reference="O-1-PAY",
        idempotency_key="O-1-PAY:authorize",
    )
    assert answer.approved
    assert answer.reference is not None
    (spend,) = gateway.prepared_spends(answer.reference)
    text = f"{CONTRACT_PREFIX}teahouse\nO-1-PAY\n{answer.reference}"
    assert spend.contract_hash == hashlib.sha512(text.encode("utf-8")).digest()
    assert spend.merchant == "teahouse"


def test_coin_key_is_raw_ed25519(clock: FixedClock) -> None:
    """The coin id is the 32 raw bytes of the coin's Ed25519 public key."""
    mint = mint_with(clock, "CNY", "10.00", Variant.PSS_RANDOMIZED)
    _, wallet_coin = withdraw_one(clock, mint)
    public = Ed25519PublicKey.from_public_bytes(wallet_coin.coin.public_key)
    assert raw(public) == wallet_coin.coin.public_key == wallet_coin.coin.id
