"""Tests of the GMP-based :class:`~ecservice.payments.ecash.HardenedBlindSigner`.

Checked against the RFC 9474 test vectors (appendix A) and against the pure-Python signer; the
whole module is skipped when ``gmpy2`` (the ``hardened`` extra) is not installed.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import InvalidSignature, ValidationError
from ecservice.money import Money
from ecservice.payments.ecash import (
    BlindSigner,
    CoinWallet,
    HardenedBlindSigner,
    Mint,
    PurePythonBlindSigner,
    Variant,
    blind,
    contract_hash,
    finalize,
    generate_key,
    hardened,
    prepare,
    private_key_from_numbers,
    verify,
)
from ecservice.payments.ecash._ledger import SELF_CHECKING_SIGNERS

pytest.importorskip("gmpy2")  # the hardened extra; ecservice itself imports without it

VECTORS_PATH = Path(__file__).parent.parent / "data" / "rfc9474-test-vectors.json"
VECTORS: list[dict[str, str]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
KEY = generate_key(1024, allow_weak_key_for_tests=True)


def _int(vector: dict[str, str], name: str) -> int:
    return int(vector[name], 16)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["variant"] for v in VECTORS])
def test_rfc9474_vectors(vector: dict[str, str]) -> None:
    """The blind signature of each appendix A vector, bit for bit, then finalized and verified."""
    n, e = _int(vector, "n"), _int(vector, "e")
    key = private_key_from_numbers(n, e, _int(vector, "d"), _int(vector, "p"), _int(vector, "q"))
    signer = HardenedBlindSigner(key)
    blind_sig = signer.blind_sign(bytes.fromhex(vector["blinded_msg"]))
    assert blind_sig.hex() == vector["blind_sig"]
    variant = Variant(vector["variant"])
    prepared = bytes.fromhex(vector["prepared_msg"])
    sig = finalize(key.public_key(), prepared, blind_sig, bytes.fromhex(vector["inv"]), variant)
    assert sig.hex() == vector["sig"]
    verify(key.public_key(), prepared, sig, variant)


def test_it_is_a_blind_signer_and_self_checking() -> None:
    signer = HardenedBlindSigner(KEY)
    assert isinstance(signer, BlindSigner)
    assert hardened.AVAILABLE
    assert HardenedBlindSigner in SELF_CHECKING_SIGNERS
    assert signer.public_key.public_numbers() == KEY.public_key().public_numbers()
    assert repr(signer) == "HardenedBlindSigner(1024-bit key)"


@settings(max_examples=25, deadline=None)
@given(message=st.binary(max_size=64), variant=st.sampled_from(list(Variant)))
def test_agrees_with_the_pure_python_signer(message: bytes, variant: Variant) -> None:
    """RSA signatures are deterministic: both signers give the same blind signature."""
    prepared = prepare(message, variant)
    blinded, inverse = blind(KEY.public_key(), prepared, variant)
    ours = HardenedBlindSigner(KEY).blind_sign(blinded)
    assert ours == PurePythonBlindSigner(KEY).blind_sign(blinded)
    sig = finalize(KEY.public_key(), prepared, ours, inverse, variant)
    verify(KEY.public_key(), prepared, sig, variant)


def test_a_fresh_blinding_factor_masks_every_signature() -> None:
    drawn: list[int] = []

    def counting(size: int) -> bytes:
        drawn.append(size)
        return secrets.token_bytes(size)

    signer = HardenedBlindSigner(KEY, rng=counting)
    blinded, _ = blind(KEY.public_key(), prepare(b"coin"))
    first = signer.blind_sign(blinded)
    assert signer.blind_sign(blinded) == first
    assert len(drawn) >= 2
    assert all(size == 128 + 8 for size in drawn)


def test_malformed_input_and_bad_keys_are_refused() -> None:
    signer = HardenedBlindSigner(KEY)
    n = KEY.public_key().public_numbers().n
    with pytest.raises(ValidationError, match="must be 128 bytes"):
        signer.blind_sign(bytes(127))
    with pytest.raises(ValidationError, match="must be 128 bytes"):
        signer.blind_sign("x" * 128)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="out of range"):
        signer.blind_sign(n.to_bytes(128, "big"))
    with pytest.raises(ValidationError, match="RSA private key"):
        HardenedBlindSigner(KEY.public_key())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="random source"):
        HardenedBlindSigner(KEY, rng=lambda size: b"").blind_sign(bytes(128))


def test_a_fault_in_the_private_operation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong exponentiation (a fault) must never leave the signer as a signature."""
    gmpy2 = pytest.importorskip("gmpy2")
    real = gmpy2.powmod_sec
    monkeypatch.setattr(gmpy2, "powmod_sec", lambda x, y, m: real(x, y, m) ^ 1)
    blinded, _ = blind(KEY.public_key(), prepare(b"coin"))
    with pytest.raises(InvalidSignature, match="self-check"):
        HardenedBlindSigner(KEY).blind_sign(blinded)


def test_missing_gmpy2_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardened, "_gmpy2", None)
    with pytest.raises(ValidationError, match=r"install ecservice\[hardened\]"):
        HardenedBlindSigner(KEY)


def test_a_mint_withdraws_and_deposits_with_it() -> None:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai"))
    mint = Mint(clock, currency="CNY")
    denomination = mint.add_denomination(
        Money("5.00", "CNY"),
        signer=HardenedBlindSigner(KEY),
        withdraw_until=clock.now().add(days=30),
        deposit_until=clock.now().add(days=90),
    )
    mint.credit_reserve("alice", Money("5.00", "CNY"))
    wallet = CoinWallet(clock, currency="CNY")
    wallet.withdraw(mint, "alice", denomination)
    (spend,) = wallet.pay(Money("5.00", "CNY"), merchant="teahouse", contract=contract_hash("o1"))
    assert mint.deposit(spend).amount == Money("5.00", "CNY")
