"""Coins, planchets, spends and refresh requests: the values wallets, merchants and mints exchange.

A coin's secret is an Ed25519 private key; its public key (32 raw bytes) is the coin id. The mint
signs the *coin message* (the public key and the denomination id) blindly, per RFC 9474, so it
never sees which coin it signed:

1. The wallet creates a :class:`Planchet`: a fresh coin key, the prepared coin message and its
   blinded form. Only :attr:`Planchet.blinded_message` goes to the mint.
2. The mint returns a blind signature; :meth:`Planchet.finalize` unblinds and verifies it and
   gives a :class:`WalletCoin` (the public :class:`Coin` and its secret key).
3. To pay, the wallet signs a :class:`CoinSpend` (amount, merchant, contract hash) with the coin
   key; the merchant deposits it at the mint, which checks both signatures.
4. To make change, the wallet signs a :class:`RefreshRequest` that melts (part of) the coin's
   remaining value into fresh blinded planchets.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, final

import attrs
from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ecservice._shown import shown
from ecservice.errors import CurrencyMismatch, InvalidAmount, InvalidSignature, ValidationError
from ecservice.money import Money
from ecservice.payments.ecash import blind_rsa
from ecservice.payments.ecash._denomination import (
    ID_LEN,
    Denomination,
    encode_fields,
    encode_money,
    instance_of,
    require,
    short_hex,
)
from ecservice.text import SHORT_TEXT_MAX, check_text

__all__ = [
    "BlindedPlanchet",
    "Coin",
    "CoinSpend",
    "Planchet",
    "RefreshRequest",
    "WalletCoin",
    "coin_message",
    "contract_hash",
    "refresh_signed_bytes",
]

_COIN_TAG: Final = b"ecservice/ecash/coin/v1"
_SPEND_TAG: Final = b"ecservice/ecash/spend/v2"
_REFRESH_TAG: Final = b"ecservice/ecash/refresh/v1"
_PREFIX_LEN: Final = 32  # the random prefix of the Randomized RFC 9474 variants
_COIN_KEY_LEN: Final = 32  # raw Ed25519 public key
_ED25519_SIG_LEN: Final = 64
_MAX_CONTRACT_HASH_LEN: Final = 64
_MAX_MERCHANT_LEN: Final = SHORT_TEXT_MAX
#: Length of a spend's random nonce: it makes every payment a distinct spend, so paying the same
#: amount for the same contract again (after a refund, say) is a new deposit, not a replay.
SPEND_NONCE_LEN: Final = 16


# --- helpers -------------------------------------------------------------------------------------


def coin_message(coin_public_key: bytes, denomination_id: bytes) -> bytes:
    """The message the mint signs blindly for a coin: its public key and denomination id."""
    return encode_fields(_COIN_TAG, coin_public_key, denomination_id)


def contract_hash(terms: bytes | str) -> bytes:
    """Hash the terms of an order (the contract) for use in a :class:`CoinSpend`: SHA-512.

    >>> len(contract_hash("order 2026-0001: 1 teapot, 59.00 CNY"))
    64
    """
    if isinstance(terms, str):
        data = terms.encode("utf-8", errors="surrogatepass")
    elif isinstance(terms, (bytes, bytearray, memoryview)):
        data = bytes(terms)
    else:
        raise ValidationError(f"contract terms must be str or bytes, not {type(terms).__name__}")
    return hashlib.sha512(data).digest()


def _raw_public_key(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _verify_ed25519(public_key: bytes, signature: bytes, data: bytes, what: str) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (_CryptographyInvalidSignature, ValueError):
        raise InvalidSignature(
            f"the {what} signature does not verify under coin {short_hex(public_key)}: "
            "the data was altered after signing, or signed with another key"
        ) from None


def _bytes_of(
    length: int | None, what: str, *, max_len: int = 1024
) -> Callable[[object, object, Any], None]:
    def check(_instance: object, _attribute: object, value: Any) -> None:
        if not isinstance(value, bytes):
            raise ValidationError(f"{what} must be bytes, not {type(value).__name__}")
        if length is not None and len(value) != length:
            raise ValidationError(f"{what} must be {length} bytes, got {len(value)}")
        if not 0 < len(value) <= max_len:
            raise ValidationError(f"{what} must be 1 to {max_len} bytes, got {len(value)}")

    return check


def _check_positive(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, Money):
        raise ValidationError(f"an e-cash amount must be Money, not {shown(value)}")
    if value.amount <= 0:
        raise InvalidAmount(f"an e-cash amount must be positive, not {value}")


def check_merchant_id(value: object) -> str:
    """``value`` if it is a merchant id a spend can name, else raise :class:`ValidationError`.

    A merchant id is printable text of at most 200 characters without surrounding white space:
    it is signed byte for byte, so ``"teahouse "`` and ``"teahouse"`` would be different payees.
    """
    checked = check_text(value, "a merchant id", limit=_MAX_MERCHANT_LEN)
    if checked != value:
        raise ValidationError(
            "a merchant id must not start or end with whitespace (it is signed as given)"
        )
    return checked


def _check_merchant(_instance: object, _attribute: object, value: Any) -> None:
    check_merchant_id(value)


def _planchet_tuple(planchets: Iterable[BlindedPlanchet]) -> tuple[BlindedPlanchet, ...]:
    return tuple(planchets)


def check_currency(amount: Money, denomination: Denomination, operation: str) -> None:
    """Raise :class:`CurrencyMismatch` unless ``amount`` is in the denomination's currency."""
    if amount.currency != denomination.value.currency:
        raise CurrencyMismatch(denomination.value.currency.code, amount.currency.code, operation)


def refresh_signed_bytes(
    coin_public_key: bytes,
    denomination_id: bytes,
    amount: Money,
    planchets: Iterable[tuple[bytes, bytes]],
) -> bytes:
    """The bytes a coin signs to melt ``amount`` into new coins, each given as its
    ``(denomination id, blinded message hash)``: all a mint keeps of a refresh, so a restored
    mint still recognises a replayed refresh."""
    fields = [coin_public_key, denomination_id, encode_money(amount)]
    for new_denomination, blinded_hash in planchets:
        fields += [new_denomination, blinded_hash]
    return encode_fields(_REFRESH_TAG, *fields)


# --- public values -------------------------------------------------------------------------------


@final
@attrs.frozen(repr=False)
class Coin:
    """A coin as anyone may see it: no secret inside.

    Args:
        public_key: The coin's Ed25519 public key, 32 raw bytes; it is the coin id.
        denomination_id: The id of the denomination the coin claims.
        signature: The mint's unblinded RSA signature over ``prepared_message``.
        prepared_message: The RFC 9474 prepared coin message (the coin message, after a
            32-byte random prefix in the Randomized variants).
    """

    public_key: bytes = attrs.field(validator=_bytes_of(_COIN_KEY_LEN, "a coin public key"))
    denomination_id: bytes = attrs.field(validator=_bytes_of(ID_LEN, "a denomination id"))
    signature: bytes = attrs.field(validator=_bytes_of(None, "a coin signature"))
    prepared_message: bytes = attrs.field(validator=_bytes_of(None, "a prepared coin message"))

    @property
    def id(self) -> bytes:
        """The coin id, which is its public key."""
        return self.public_key

    def verify(self, denomination: Denomination) -> None:
        """Check that the mint really signed this coin for ``denomination``.

        Raises:
            InvalidSignature: the coin claims another denomination, its prepared message does not
                bind its key and denomination, or the RSA signature does not verify.
        """
        self._check_binding(denomination)
        try:
            blind_rsa.verify(
                denomination.public_key,
                self.prepared_message,
                self.signature,
                denomination.variant,
            )
        except ValidationError as exc:  # a signature of the wrong length: forged as well
            raise InvalidSignature(f"coin {short_hex(self.public_key)}: {exc}") from None
        except InvalidSignature as exc:
            raise InvalidSignature(
                f"coin {short_hex(self.public_key)} was not signed by denomination "
                f"{denomination}: {exc}"
            ) from None

    def _check_binding(self, denomination: Denomination) -> None:
        """Check that the coin claims ``denomination`` and its message binds key and denomination.

        Raises:
            InvalidSignature: either check fails.
        """
        if denomination.id != self.denomination_id:
            raise InvalidSignature(
                f"coin {short_hex(self.public_key)} claims denomination "
                f"{short_hex(self.denomination_id)}, not {denomination}"
            )
        prefix_len = _PREFIX_LEN if denomination.variant.randomized else 0
        expected = coin_message(self.public_key, self.denomination_id)
        if (
            len(self.prepared_message) != prefix_len + len(expected)
            or self.prepared_message[prefix_len:] != expected
        ):
            raise InvalidSignature(
                f"coin {short_hex(self.public_key)}: its prepared message does not bind its "
                "public key and denomination"
            )

    def __repr__(self) -> str:
        return (
            f"Coin(id={short_hex(self.public_key)!r}, "
            f"denomination={short_hex(self.denomination_id)!r})"
        )


@final
@attrs.frozen(repr=False)
class CoinSpend:
    """A coin's signed promise to pay ``amount`` to ``merchant`` for one contract.

    Build it with :meth:`WalletCoin.spend`; the merchant checks it with :meth:`verify` and deposits
    it with :meth:`~ecservice.payments.ecash.Mint.deposit`.

    Each spend carries a fresh random ``nonce``, signed with the rest: depositing the same spend
    again is a replay (the mint returns the first receipt and credits nothing), while paying the
    same amount for the same contract again (say after a full refund) is a new spend with another
    nonce, credited again.

    The signed bytes (:meth:`signed_bytes_for`) are the tag ``ecservice/ecash/spend/v2`` followed
    by, each with a 4-byte big-endian length prefix: the coin public key (32 bytes), the
    denomination id (32), the coin signature, the prepared coin message, the amount
    (``"<minor units>:<currency code>"`` in ASCII), the merchant id (UTF-8), the contract hash
    and the nonce (16 bytes).

    Args:
        coin: The coin paying.
        amount: The amount spent from this coin; positive.
        merchant: The merchant id the payment goes to.
        contract_hash: The hash of the order (see :func:`contract_hash`), 1 to 64 bytes.
        signature: The coin key's Ed25519 signature over all of the above.
        nonce: 16 random bytes chosen by the wallet for this spend (keyword only).

    Raises:
        ValidationError: a field of the wrong type or length, or a merchant id that is blank,
            longer than 200 characters, padded with whitespace or holding control or
            bidirectional-override characters.
        InvalidAmount: the amount is not positive.
    """

    coin: Coin = attrs.field(validator=instance_of(Coin, "a coin"))
    amount: Money = attrs.field(validator=_check_positive)
    merchant: str = attrs.field(validator=_check_merchant)
    contract_hash: bytes = attrs.field(
        validator=_bytes_of(None, "a contract hash", max_len=_MAX_CONTRACT_HASH_LEN)
    )
    signature: bytes = attrs.field(validator=_bytes_of(_ED25519_SIG_LEN, "a spend signature"))
    nonce: bytes = attrs.field(kw_only=True, validator=_bytes_of(SPEND_NONCE_LEN, "a spend nonce"))

    @staticmethod
    def signed_bytes_for(
        coin: Coin, amount: Money, merchant: str, contract: bytes, nonce: bytes
    ) -> bytes:
        """The bytes a coin signs to spend ``amount`` at ``merchant`` for ``contract``."""
        return encode_fields(
            _SPEND_TAG,
            coin.public_key,
            coin.denomination_id,
            coin.signature,
            coin.prepared_message,
            encode_money(amount),
            merchant.encode("utf-8"),
            contract,
            nonce,
        )

    def signed_bytes(self) -> bytes:
        """The bytes the coin key signed."""
        return self.signed_bytes_for(
            self.coin, self.amount, self.merchant, self.contract_hash, self.nonce
        )

    def verify_signature(self) -> None:
        """Check the coin key's signature over the spend.

        Raises:
            InvalidSignature: a field was altered after signing, or another key signed.
        """
        _verify_ed25519(self.coin.public_key, self.signature, self.signed_bytes(), "spend")

    def verify(self, denomination: Denomination) -> None:
        """Check the coin (mint's RSA signature) and the spend (coin's Ed25519 signature).

        This is what a merchant checks before accepting the payment; the mint checks it again,
        plus the windows and the coin's remaining value, when the merchant deposits.

        Raises:
            InvalidSignature: the coin is forged or the spend altered.
            CurrencyMismatch: the amount is not in the denomination's currency.
        """
        self.coin.verify(denomination)
        check_currency(self.amount, denomination, "spend")
        self.verify_signature()

    def __repr__(self) -> str:
        return (
            f"CoinSpend(coin={short_hex(self.coin.public_key)!r}, amount={self.amount!r}, "
            f"merchant={self.merchant!r}, contract={short_hex(self.contract_hash)!r})"
        )


@final
@attrs.frozen(repr=False)
class BlindedPlanchet:
    """What a wallet sends the mint for one new coin: the denomination and the blinded message.

    Args:
        denomination_id: The denomination asked for.
        blinded_message: The RFC 9474 blinded message (``modulus_len`` bytes).
    """

    denomination_id: bytes = attrs.field(validator=_bytes_of(ID_LEN, "a denomination id"))
    blinded_message: bytes = attrs.field(validator=_bytes_of(None, "a blinded message"))

    @property
    def blinded_message_hash(self) -> bytes:
        """SHA-256 of the blinded message (all the mint keeps of it)."""
        return hashlib.sha256(self.blinded_message).digest()

    def __repr__(self) -> str:
        return (
            f"BlindedPlanchet(denomination={short_hex(self.denomination_id)!r}, "
            f"blinded={short_hex(self.blinded_message_hash)!r})"
        )


@final
@attrs.frozen(repr=False)
class RefreshRequest:
    """A coin's signed request to melt ``amount`` of its value into new blinded coins.

    Build it with :meth:`WalletCoin.refresh`; send it to
    :meth:`~ecservice.payments.ecash.Mint.refresh`.

    Args:
        coin: The old coin.
        amount: The value melted from the old coin; positive.
        planchets: The new coins, blinded; their values must not add up to more than ``amount``.
        signature: The old coin key's Ed25519 signature over all of the above.
    """

    coin: Coin = attrs.field(validator=instance_of(Coin, "a coin"))
    amount: Money = attrs.field(validator=_check_positive)
    planchets: tuple[BlindedPlanchet, ...] = attrs.field(converter=_planchet_tuple)
    signature: bytes = attrs.field(validator=_bytes_of(_ED25519_SIG_LEN, "a refresh signature"))

    @planchets.validator
    def _check_planchets(self, _attribute: object, value: tuple[BlindedPlanchet, ...]) -> None:
        if not value:
            raise ValidationError("a refresh request needs at least one new planchet")
        if not all(isinstance(p, BlindedPlanchet) for p in value):
            raise ValidationError("refresh planchets must be BlindedPlanchet values")
        if len({p.blinded_message for p in value}) != len(value):
            raise ValidationError("a refresh request repeats a blinded message")

    @staticmethod
    def signed_bytes_for(coin: Coin, amount: Money, planchets: Sequence[BlindedPlanchet]) -> bytes:
        """The bytes an old coin signs to melt ``amount`` into ``planchets``."""
        return refresh_signed_bytes(
            coin.public_key,
            coin.denomination_id,
            amount,
            ((p.denomination_id, p.blinded_message_hash) for p in planchets),
        )

    def signed_bytes(self) -> bytes:
        """The bytes the old coin key signed."""
        return self.signed_bytes_for(self.coin, self.amount, self.planchets)

    def verify_signature(self) -> None:
        """Check the old coin key's signature over the request.

        Raises:
            InvalidSignature: a field was altered after signing, or another key signed.
        """
        _verify_ed25519(self.coin.public_key, self.signature, self.signed_bytes(), "refresh")

    def __repr__(self) -> str:
        return (
            f"RefreshRequest(coin={short_hex(self.coin.public_key)!r}, amount={self.amount!r}, "
            f"planchets={len(self.planchets)})"
        )


# --- wallet-side secrets -------------------------------------------------------------------------


@final
@attrs.frozen(repr=False, eq=False)
class WalletCoin:
    """A coin together with its secret key: what only the owning wallet holds.

    ``repr`` shows the coin id and value, never the key. Building one (as a wallet does when it
    loads its coins) checks that the coin is of ``denomination`` and that ``key`` is the coin's
    key; it does not check the mint's signature (:meth:`Coin.verify` does).

    Args:
        coin: The public coin.
        denomination: The coin's denomination (its id must be the coin's ``denomination_id``).
        key: The coin's Ed25519 private key, whose public key is ``coin.public_key``.

    Raises:
        ValidationError: a field of the wrong type, a coin of another denomination, or a key
            that is not the coin's.
    """

    coin: Coin = attrs.field(validator=instance_of(Coin, "a coin"))
    denomination: Denomination = attrs.field(validator=instance_of(Denomination, "a denomination"))
    _key: Ed25519PrivateKey = attrs.field(alias="key")

    def __attrs_post_init__(self) -> None:
        if self.coin.denomination_id != self.denomination.id:
            raise ValidationError(
                f"coin {short_hex(self.coin.public_key)} is of denomination "
                f"{short_hex(self.coin.denomination_id)}, not {self.denomination}"
            )
        if not isinstance(self._key, Ed25519PrivateKey):
            raise ValidationError(
                f"a coin key must be an Ed25519 private key, not {type(self._key).__name__}"
            )
        if _raw_public_key(self._key) != self.coin.public_key:
            raise ValidationError(
                f"the key given is not the key of coin {short_hex(self.coin.public_key)}"
            )

    @property
    def value(self) -> Money:
        """The coin's face value."""
        return self.denomination.value

    def secret_key_bytes(self) -> bytes:
        """The coin's Ed25519 private key as 32 raw bytes: whoever holds them can spend it."""
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def spend(
        self, amount: Money, *, merchant: str, contract: bytes, nonce: bytes | None = None
    ) -> CoinSpend:
        """Sign a spend of ``amount`` from this coin to ``merchant`` for the order ``contract``.

        The coin does not track what is left of it (a :class:`~ecservice.payments.ecash.CoinWallet`
        does); the mint refuses a spend beyond the remaining value.

        ``nonce`` is random unless given. A caller that must make the *same* spend again in
        another process (a gateway deriving a capture's spends from what it stored) gives a
        nonce derived from what the spend is for: Ed25519 signatures are deterministic
        (RFC 8032, 5.1.6), so the same coin, amount, merchant, contract and nonce give the same
        spend, which the mint takes as a replay.

        Raises:
            InvalidAmount: ``amount`` is not positive.
            CurrencyMismatch: ``amount`` is not in the coin's currency.
            ValidationError: the merchant id or contract hash is malformed, or ``nonce`` is not
                16 bytes.
        """
        _check_positive(None, None, amount)
        check_currency(amount, self.denomination, "spend")
        _check_merchant(None, None, merchant)
        _bytes_of(None, "a contract hash", max_len=_MAX_CONTRACT_HASH_LEN)(None, None, contract)
        if nonce is None:
            nonce = secrets.token_bytes(SPEND_NONCE_LEN)
        _bytes_of(SPEND_NONCE_LEN, "a spend nonce")(None, None, nonce)
        data = CoinSpend.signed_bytes_for(self.coin, amount, merchant, contract, nonce)
        return CoinSpend(self.coin, amount, merchant, contract, self._key.sign(data), nonce=nonce)

    def refresh(self, amount: Money, planchets: Sequence[Planchet]) -> RefreshRequest:
        """Sign a request melting ``amount`` of this coin into ``planchets``.

        Raises:
            InvalidAmount: ``amount`` is not positive.
            CurrencyMismatch: ``amount`` is not in the coin's currency.
            ValidationError: no planchets.
        """
        _check_positive(None, None, amount)
        check_currency(amount, self.denomination, "refresh")
        blinded = tuple(p.blinded() for p in planchets)
        data = RefreshRequest.signed_bytes_for(self.coin, amount, blinded)
        return RefreshRequest(self.coin, amount, blinded, self._key.sign(data))

    def __repr__(self) -> str:
        return f"WalletCoin(id={short_hex(self.coin.public_key)!r}, value={self.value!r})"


@final
@attrs.frozen(repr=False, eq=False)
class Planchet:
    """A coin being withdrawn: its secret key and blinding secrets, kept by the wallet.

    Create one with :meth:`create`, send ``blinded_message`` (with the denomination id) to the
    mint and pass the blind signature it returns to :meth:`finalize`. ``repr`` shows no secret.
    The constructor takes the values :meth:`create` makes and checks none of them.

    Args:
        denomination: The denomination being withdrawn.
        key: The future coin's Ed25519 private key.
        prepared_message: The RFC 9474 prepared coin message (the coin message, after a
            32-byte random prefix in the Randomized variants; see
            :func:`~ecservice.payments.ecash.coin_message`).
        blinded_message: The blinded message to send to the mint (``modulus_len`` bytes of the
            denomination's RSA key).
        inverse: The inverse of the blinding factor (``modulus_len`` bytes), needed by
            :meth:`finalize`; secret.
    """

    denomination: Denomination
    _key: Ed25519PrivateKey = attrs.field(alias="key")
    prepared_message: bytes
    blinded_message: bytes
    _inverse: bytes = attrs.field(alias="inverse")

    @classmethod
    def create(
        cls,
        denomination: Denomination,
        *,
        rng: blind_rsa.RandomSource = secrets.token_bytes,
    ) -> Planchet:
        """Make a fresh coin key and blind its coin message for ``denomination``.

        Args:
            denomination: The denomination to withdraw.
            rng: Randomness for the RFC 9474 prefix, salt and blinding factor (tests only).

        Raises:
            ValidationError: ``denomination`` is not a :class:`Denomination`.
        """
        require(denomination, Denomination, "a denomination")
        key = Ed25519PrivateKey.generate()
        message = coin_message(_raw_public_key(key), denomination.id)
        prepared = blind_rsa.prepare(message, denomination.variant, rng)
        blinded, inverse = blind_rsa.blind(
            denomination.public_key, prepared, denomination.variant, rng
        )
        return cls(denomination, key, prepared, blinded, inverse)

    @property
    def public_key(self) -> bytes:
        """The future coin's public key (its id). Never sent to the mint at withdrawal."""
        return _raw_public_key(self._key)

    def blinded(self) -> BlindedPlanchet:
        """What the mint gets: the denomination id and the blinded message."""
        return BlindedPlanchet(self.denomination.id, self.blinded_message)

    def finalize(self, blind_signature: bytes) -> WalletCoin:
        """Unblind the mint's blind signature and check the resulting coin.

        Raises:
            InvalidSignature: the mint's signature does not verify (wrong key or faulty mint).
            ValidationError: the blind signature is malformed.
        """
        denomination = self.denomination
        signature = blind_rsa.finalize(
            denomination.public_key,
            self.prepared_message,
            blind_signature,
            self._inverse,
            denomination.variant,
        )
        coin = Coin(self.public_key, denomination.id, signature, self.prepared_message)
        coin._check_binding(denomination)  # the RSA signature was verified by finalize
        return WalletCoin(coin, denomination, self._key)

    def __repr__(self) -> str:
        return (
            f"Planchet(denomination={self.denomination!s}, "
            f"blinded={short_hex(hashlib.sha256(self.blinded_message).digest())!r})"
        )
