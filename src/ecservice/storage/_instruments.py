"""Payment instruments as documents: purses, mints, coin wallets and e-wallets (the e-wallet's
serializer in :mod:`ecservice.storage._ewallet_document`).

These objects are not workflow aggregates, so each has a serializer of its own (a
:class:`~ecservice.storage.Serializer`): the document's ``id`` is the object's id (the purse id,
the mint's name, the wallet id) and its ``version`` the object's ``version`` (the number of
changes it went through). Loading goes through the classes' ``restore`` methods, which check
every invariant a running object keeps.

Secrets are kept out of documents unless asked for:

* a mint's private keys are never written: :func:`load_mint` takes the signers, matched to the
  stored denominations by public key;
* a coin wallet's coin keys are written only by a serializer made with ``secrets="include"``
  (raw Ed25519 keys, base64, under ``secret_key_unencrypted``: whoever reads the document can
  spend the coins, so such documents belong only in a store encrypted at rest and readable by
  the wallet's owner alone); otherwise :func:`load_coin_wallet` takes the keys;
* an e-wallet's signing key likewise (``signing_key_unencrypted``); its PIN only ever as its
  scrypt hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeVar, final

import attrs
import cattrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ValidationError
from ecservice.money import Currency, Money
from ecservice.payments.ecash import (
    BlindSigner,
    Coin,
    CoinWallet,
    Denomination,
    DepositReceipt,
    Mint,
    MintBook,
    PayoutRecord,
    RefreshRecord,
    RefundReceipt,
    WalletCoin,
    WithdrawalRecord,
)
from ecservice.payments.mondex import Conversion, PaymentDetails, Purse, PurseStatus
from ecservice.storage._document import Document, Upcaster
from ecservice.storage._errors import DocumentError
from ecservice.storage._ewallet_document import EWalletSerializer, dump_ewallet, load_ewallet
from ecservice.storage._instrument_base import (
    SECRETS_WRITTEN as _SECRETS_WRITTEN,
)
from ecservice.storage._instrument_base import (
    InstrumentSerializer,
    Secrets,
    instrument_converter,
)
from ecservice.storage._instrument_base import (
    check_keys as _check_keys,
)
from ecservice.storage._instrument_base import (
    check_secrets as _check_secrets,
)
from ecservice.storage._instrument_base import (
    check_written as _check_written,
)

__all__ = [
    "PURSE_SERIALIZER",
    "CoinWalletSerializer",
    "EWalletSerializer",
    "MintSerializer",
    "PurseSerializer",
    "dump_coin_wallet",
    "dump_ewallet",
    "dump_mint",
    "dump_purse",
    "instrument_converter",
    "load_coin_wallet",
    "load_ewallet",
    "load_mint",
    "load_purse",
]

T = TypeVar("T")

#: The most bits a stored RSA key may have (as ``blind_rsa.generate_key`` allows).
_MAX_KEY_BITS: Final = 16384


# --- the shapes of the bodies --------------------------------------------------------------------


@attrs.frozen
class _StoredDeposit:
    receipt: DepositReceipt
    nonce: bytes
    refunded: Money
    paid: bool


@attrs.frozen
class _StoredCoin:
    denomination: Denomination
    coin: Coin
    remaining: Money
    secret_key_unencrypted: bytes | None


# --- the serializers -----------------------------------------------------------------------------


@final
class PurseSerializer(InstrumentSerializer[Purse]):
    """Writes :class:`~ecservice.payments.mondex.Purse` objects as ``"purse"`` documents and
    reads them back through :meth:`Purse.restore <ecservice.payments.mondex.Purse.restore>`.

    The body holds ``balances`` and ``limits`` (lists of Money), ``next_seq``, ``status`` (the
    :class:`~ecservice.payments.mondex.PurseStatus` name), ``payment`` (the current payment's
    details or ``null``), ``exception_log``, ``conversions`` and ``recovered`` (sorted).

    Args:
        schema_version: the schema version written (an integer from 1).
        upcasters: ``{k: function}`` turning a body of schema version ``k`` into one of
            ``k + 1``.
        converter: the converter of the values (default :func:`instrument_converter`).
    """

    _object_type = Purse
    _type_name = "purse"
    _body = (
        ("balances", tuple[Money, ...]),
        ("limits", tuple[Money, ...]),
        ("next_seq", int),
        ("status", PurseStatus),
        ("payment", PaymentDetails | None),
        ("exception_log", tuple[PaymentDetails, ...]),
        ("conversions", tuple[Conversion, ...]),
        ("recovered", tuple[PaymentDetails, ...]),
    )

    def _values(self, obj: Purse) -> tuple[str, int, dict[str, Any]]:
        return (
            obj.id,
            obj.version,
            {
                "balances": tuple(obj.balances.values()),
                "limits": tuple(obj.limits.values()),
                "next_seq": obj.next_seq,
                "status": obj.status,
                "payment": obj.payment,
                "exception_log": obj.exception_log,
                "conversions": obj.conversions,
                "recovered": tuple(sorted(obj.recovered, key=lambda d: d.sort_key)),
            },
        )

    def _build(self, ident: str, version: int, values: dict[str, Any], clock: Clock) -> Purse:
        return Purse.restore(ident, version=version, clock=clock, **values)


@final
class MintSerializer(InstrumentSerializer[Mint]):
    """Writes :class:`~ecservice.payments.ecash.Mint` objects as ``"mint"`` documents and reads
    them back through :meth:`Mint.restore <ecservice.payments.ecash.Mint.restore>`.

    The document holds no private key: each denomination is written with its public key (DER,
    base64) and the signers are given to the serializer, which matches them to the stored
    denominations by public key. The body holds ``currency``, ``denominations``, ``reserves``
    (``[reserve id, balance]`` pairs), ``withdrawals``, ``deposits`` (each ``receipt``,
    ``nonce``, ``refunded``, ``paid``), ``refunds``, ``refreshes`` and ``payouts``; bytes are
    base64 text. The document's ``id`` is the mint's name.

    A store that reads mints registers a serializer holding the signers::

        registry = default_registry()
        registry.register(MintSerializer(signers=[signer_5, signer_10]))

    A mint whose book is kept elsewhere (``mint.book.external``, such as an
    :class:`~ecservice.storage.sql.SqlMintBook`) is written without its deposits, refunds,
    refreshes and payouts, which live in the book's own rows; to read it back, give the
    serializer that book under the mint's name in ``books``.

    Args:
        signers: the signer of every denomination of the mints read (any order; a document
            whose denominations lack a signer, or with a signer no denomination uses, is
            refused when loaded). Not needed to write.
        books: the external book of each mint read, by mint name (a mint not named here is
            read with its book in its document).
        schema_version: the schema version written (an integer from 1).
        upcasters: ``{k: function}`` turning a body of schema version ``k`` into one of
            ``k + 1``.
        converter: the converter of the values (default :func:`instrument_converter`).
    """

    _object_type = Mint
    _type_name = "mint"
    _body = (
        ("currency", Currency),
        ("denominations", tuple[Denomination, ...]),
        ("reserves", tuple[tuple[str, Money], ...]),
        ("withdrawals", tuple[WithdrawalRecord, ...]),
        ("deposits", tuple[_StoredDeposit, ...]),
        ("refunds", tuple[RefundReceipt, ...]),
        ("refreshes", tuple[RefreshRecord, ...]),
        ("payouts", tuple[PayoutRecord, ...]),
    )

    def __init__(
        self,
        signers: Iterable[BlindSigner] = (),
        *,
        books: Mapping[str, MintBook] | None = None,
        schema_version: int = 1,
        upcasters: Mapping[int, Upcaster] | None = None,
        converter: cattrs.Converter | None = None,
    ) -> None:
        given: object = signers
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            raise ValidationError(f"signers must be a sequence of BlindSigner, not {shown(given)}")
        if books is not None and not isinstance(books, Mapping):
            raise ValidationError(
                f"books must be a mapping of mint names to books, not {shown(books)}"
            )
        self._signers = tuple(signers)
        self._books = dict(books or {})
        super().__init__(schema_version=schema_version, upcasters=upcasters, converter=converter)

    def _values(self, obj: Mint) -> tuple[str, int, dict[str, Any]]:
        kept = not obj.book.external  # an external book keeps these in its own rows
        return (
            obj.name,
            obj.version,
            {
                "currency": obj.currency,
                "denominations": obj.denominations,
                "reserves": obj.reserves,
                "withdrawals": obj.withdrawals,
                "deposits": tuple(_StoredDeposit(*state) for state in obj.deposit_states())
                if kept
                else (),
                "refunds": obj.refunds if kept else (),
                "refreshes": obj.refreshes if kept else (),
                "payouts": obj.payouts if kept else (),
            },
        )

    def _build(self, ident: str, version: int, values: dict[str, Any], clock: Clock) -> Mint:
        deposits = tuple((d.receipt, d.nonce, d.refunded, d.paid) for d in values.pop("deposits"))
        return Mint.restore(
            clock,
            name=ident,
            version=version,
            signers=self._signers,
            deposits=deposits,
            book=self._books.get(ident),
            **values,
        )


def _as_key(value: object, coin: Coin) -> Ed25519PrivateKey:
    if isinstance(value, Ed25519PrivateKey):
        return value
    if isinstance(value, bytes) and len(value) == 32:
        return Ed25519PrivateKey.from_private_bytes(value)
    raise ValidationError(
        f"the key of coin {coin.public_key[:8].hex()} must be an Ed25519 private key or its 32 "
        f"raw bytes, not {type(value).__name__}"
    )


@final
class CoinWalletSerializer(InstrumentSerializer[CoinWallet]):
    """Writes :class:`~ecservice.payments.ecash.CoinWallet` objects as ``"coin-wallet"``
    documents and reads them back through
    :meth:`CoinWallet.restore <ecservice.payments.ecash.CoinWallet.restore>`.

    The body holds ``currency``, ``secrets`` (``"omitted"`` or ``"included"``), ``coins`` (each
    ``denomination``, ``coin``, ``remaining`` and ``secret_key_unencrypted``) and
    ``applied_refunds`` (``[coin id, refund id]`` pairs, sorted); bytes are base64 text. The
    document's ``id`` is the wallet's id.

    **Coin keys are secrets**: whoever holds one can spend its coin. By default they are not
    written (``secret_key_unencrypted`` is ``null``) and loading needs them from ``coin_keys``.
    With ``secrets="include"`` each coin's raw Ed25519 key is written in base64, unencrypted:
    keep such documents only in a store that is encrypted at rest and that no one but the
    wallet's owner can read (a buyer's own device, say), never next to a shop's or a mint's
    data.

    Args:
        secrets: ``"omit"`` (the default) or ``"include"``: whether :meth:`dump` writes the coin
            keys. Loading reads the keys a document holds either way.
        coin_keys: the keys of the coins of documents written without them, by coin id (the
            coin's public key): ``Ed25519PrivateKey`` values or their 32 raw bytes, as
            :meth:`CoinWallet.export_coin_key <ecservice.payments.ecash.CoinWallet.export_coin_key>`
            gives them.
        schema_version: the schema version written (an integer from 1).
        upcasters: ``{k: function}`` turning a body of schema version ``k`` into one of
            ``k + 1``.
        converter: the converter of the values (default :func:`instrument_converter`).

    Raises:
        ValidationError: ``secrets`` is neither ``"omit"`` nor ``"include"``, or ``coin_keys``
            is not a mapping.
    """

    _object_type = CoinWallet
    _type_name = "coin-wallet"
    _body = (
        ("currency", Currency),
        ("secrets", str),
        ("coins", tuple[_StoredCoin, ...]),
        ("applied_refunds", tuple[tuple[bytes, int], ...]),
    )

    def __init__(
        self,
        *,
        secrets: Secrets = "omit",
        coin_keys: Mapping[bytes, Ed25519PrivateKey | bytes] | None = None,
        schema_version: int = 1,
        upcasters: Mapping[int, Upcaster] | None = None,
        converter: cattrs.Converter | None = None,
    ) -> None:
        self._secrets = _check_secrets(secrets)
        self._keys = _check_keys(coin_keys, "coin_keys", "coin ids")
        super().__init__(schema_version=schema_version, upcasters=upcasters, converter=converter)

    @property
    def secrets(self) -> Secrets:
        """Whether :meth:`dump` writes the coin keys (``"include"``) or not (``"omit"``)."""
        return self._secrets

    def _values(self, obj: CoinWallet) -> tuple[str, int, dict[str, Any]]:
        include = self._secrets == "include"
        coins = tuple(
            _StoredCoin(
                obj.wallet_coin(coin.public_key).denomination,
                coin,
                obj.remaining(coin.public_key),
                obj.export_coin_key(coin.public_key) if include else None,
            )
            for coin in obj.coins
        )
        return (
            obj.wallet_id,
            obj.version,
            {
                "currency": obj.currency,
                "secrets": _SECRETS_WRITTEN[self._secrets],
                "coins": coins,
                "applied_refunds": tuple(sorted(obj.applied_refunds)),
            },
        )

    def _build(self, ident: str, version: int, values: dict[str, Any], clock: Clock) -> CoinWallet:
        written = _check_written(ident, "coin-wallet", values["secrets"])
        coins: list[tuple[WalletCoin, Money]] = []
        for index, stored in enumerate(values["coins"]):
            has_key = stored.secret_key_unencrypted is not None
            if has_key != (written == "included"):
                raise DocumentError(
                    f"coin-wallet document {shown(ident, 80)}",
                    [
                        f"body.coins[{index}].secret_key_unencrypted: must be "
                        f"{'a key' if written == 'included' else 'null'}, as body.secrets is "
                        f"{written!r}"
                    ],
                )
            key: object = (
                stored.secret_key_unencrypted if has_key else self._keys.get(stored.coin.public_key)
            )
            if key is None:
                raise ValidationError(
                    f"coin-wallet {ident!r}: no key for coin {stored.coin.public_key[:8].hex()}; "
                    "the document was written without its coin keys: pass them as coin_keys"
                )
            coin = WalletCoin(stored.coin, stored.denomination, _as_key(key, stored.coin))
            coins.append((coin, stored.remaining))
        return CoinWallet.restore(
            clock,
            currency=values["currency"],
            wallet_id=ident,
            version=version,
            coins=coins,
            applied_refunds=values["applied_refunds"],
        )


#: Writes and reads :class:`~ecservice.payments.mondex.Purse` objects as ``"purse"`` documents.
PURSE_SERIALIZER: Final = PurseSerializer()
_MINT_WRITER: Final = MintSerializer()


def dump_purse(purse: Purse) -> Document:
    """A :class:`~ecservice.payments.mondex.Purse` as a ``"purse"`` document
    (see :class:`PurseSerializer`).

    Raises:
        DocumentError: ``purse`` is not exactly a ``Purse``.
    """
    return PURSE_SERIALIZER.dump(purse)


def load_purse(document: object, *, clock: Clock = SYSTEM_CLOCK) -> Purse:
    """The :class:`~ecservice.payments.mondex.Purse` a ``"purse"`` document holds, checked by
    :meth:`Purse.restore <ecservice.payments.mondex.Purse.restore>`.

    Raises:
        DocumentError: a malformed document.
        UnsupportedSchemaVersion: a schema version newer than this code's.
        DocumentError: ``restore`` refused the values (its error is the ``__cause__``).
    """
    return PURSE_SERIALIZER.load(document, clock=clock)


def dump_mint(mint: Mint) -> Document:
    """A :class:`~ecservice.payments.ecash.Mint` as a ``"mint"`` document, without its private
    keys (see :class:`MintSerializer`).

    Raises:
        DocumentError: ``mint`` is not exactly a ``Mint``.
    """
    return _MINT_WRITER.dump(mint)


def load_mint(
    document: object, *, signers: Iterable[BlindSigner], clock: Clock = SYSTEM_CLOCK
) -> Mint:
    """The :class:`~ecservice.payments.ecash.Mint` a ``"mint"`` document holds, with ``signers``
    matched to its denominations by public key, checked by
    :meth:`Mint.restore <ecservice.payments.ecash.Mint.restore>`.

    Raises:
        DocumentError: a malformed document.
        UnsupportedSchemaVersion: a schema version newer than this code's.
        DocumentError: ``restore`` refused the values (a signer missing or left over, a broken
            invariant; its error is the ``__cause__``).
    """
    return MintSerializer(signers).load(document, clock=clock)


def dump_coin_wallet(wallet: CoinWallet, *, secrets: Secrets = "omit") -> Document:
    """A :class:`~ecservice.payments.ecash.CoinWallet` as a ``"coin-wallet"`` document; its coin
    keys are written only with ``secrets="include"`` (unencrypted: see
    :class:`CoinWalletSerializer` for where such a document may be kept).

    Raises:
        DocumentError: ``wallet`` is not exactly a ``CoinWallet``.
        ValidationError: ``secrets`` is neither ``"omit"`` nor ``"include"``.
    """
    return CoinWalletSerializer(secrets=secrets).dump(wallet)


def load_coin_wallet(
    document: object,
    *,
    coin_keys: Mapping[bytes, Ed25519PrivateKey | bytes] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> CoinWallet:
    """The :class:`~ecservice.payments.ecash.CoinWallet` a ``"coin-wallet"`` document holds,
    checked by :meth:`CoinWallet.restore <ecservice.payments.ecash.CoinWallet.restore>`.

    Args:
        document: the document.
        coin_keys: the coin keys by coin id, for a document written without them.
        clock: the wallet's clock.

    Raises:
        DocumentError: a malformed document.
        UnsupportedSchemaVersion: a schema version newer than this code's.
        DocumentError: a coin key is missing or is not the coin's, a coin does not carry its
            mint's signature, or ``restore`` refused the values (its error is the
            ``__cause__``).
    """
    return CoinWalletSerializer(coin_keys=coin_keys).load(document, clock=clock)
