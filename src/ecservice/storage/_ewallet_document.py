"""E-wallets as ``"ewallet"`` documents: :class:`EWalletSerializer`, :func:`dump_ewallet` and
:func:`load_ewallet` (served by :mod:`ecservice.storage` with the other payment instruments).

The document keeps the wallet's PIN only as its scrypt hash and its signing key only when asked
(``secrets="include"``); loading goes through :meth:`EWallet.restore
<ecservice.payments.wallet.EWallet.restore>`. Schema version 2 keeps the wallet's time zone
under ``zone``; version 1 documents (``tz``) are upcast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, final

import cattrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ValidationError
from ecservice.payments.wallet import (
    CardReference,
    EWallet,
    Hold,
    Holding,
    KdfParams,
    LedgerEntry,
    PinHash,
    PinPolicy,
    raw_public_key,
)
from ecservice.storage._document import Document, Upcaster
from ecservice.storage._errors import DocumentError
from ecservice.storage._instrument_base import (
    SECRETS_WRITTEN as _SECRETS_WRITTEN,
)
from ecservice.storage._instrument_base import (
    InstrumentSerializer,
    Secrets,
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

__all__ = ["EWalletSerializer", "dump_ewallet", "load_ewallet"]


def _signing_key(value: object, ident: str, public_key: bytes) -> Ed25519PrivateKey:
    key = value
    if isinstance(value, bytes) and len(value) == 32:
        key = Ed25519PrivateKey.from_private_bytes(value)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError(
            f"the signing key of wallet {ident!r} must be an Ed25519 private key or its 32 raw "
            f"bytes, not {type(value).__name__}"
        )
    if raw_public_key(key) != public_key:
        raise ValidationError(f"the signing key given is not the key of wallet {ident!r}")
    return key


# The schema version of the "ewallet" documents written by default, and the oldest a serializer
# may write: 2, the wallet's time zone under "zone" (version 1 had it under "tz").
_EWALLET_SCHEMA: Final = 2


def _zone_renamed(body: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 to 2 of ``"ewallet"`` bodies: the time zone's key ``tz`` becomes ``zone``."""
    if "tz" not in body:
        raise ValidationError("body.tz: missing (a version 1 e-wallet keeps its zone there)")
    if "zone" in body:
        raise ValidationError("body.zone: unexpected in version 1, which keeps the zone in tz")
    return {("zone" if key == "tz" else key): value for key, value in body.items()}


@final
class EWalletSerializer(InstrumentSerializer[EWallet]):
    """Writes :class:`~ecservice.payments.wallet.EWallet` objects as ``"ewallet"`` documents and
    reads them back through :meth:`EWallet.restore <ecservice.payments.wallet.EWallet.restore>`.

    The body holds ``owner``, ``pin_hash`` (the PHC-style string of
    :meth:`~ecservice.payments.wallet.PinHash.encode`: the PIN itself is never kept), ``kdf``,
    ``policy`` (durations as seconds, ``"900.000000"``), ``failures``, ``locked_until``, ``zone``,
    ``cards`` (tokens and last four digits only), ``ledger``, ``holds``, ``holdings``,
    ``public_key`` (the raw Ed25519 public key, base64), ``secrets`` (``"omitted"`` or
    ``"included"``) and ``signing_key_unencrypted``. Open sessions are not written: they live
    only in the process that opened them. The document's ``id`` is the wallet id.

    **Schema versions.** Version 2 (written by default) names the wallet's time zone ``zone``;
    version 1 called it ``tz``. A version 1 document is read through the built-in upcaster from
    1 to 2, which renames the key; a version 2 document that still has ``tz`` is refused.

    **The signing key is a secret**: whoever holds it signs payment instructions as the wallet.
    By default it is not written and loading takes it from ``signing_keys`` (checked against
    the stored public key); with ``secrets="include"`` it is written as raw bytes in base64,
    unencrypted, for a store encrypted at rest that only the wallet's owner can read.

    Args:
        secrets: ``"omit"`` (the default) or ``"include"``: whether :meth:`dump` writes the
            signing key. Loading reads a key the document holds either way.
        signing_keys: the signing keys of wallets written without them, by wallet id:
            ``Ed25519PrivateKey`` values or their 32 raw bytes
            (:meth:`EWallet.export_signing_key
            <ecservice.payments.wallet.EWallet.export_signing_key>`).
        schema_version: the schema version written (an integer from 2; default 2).
        upcasters: ``{k: function}`` turning a body of schema version ``k`` into one of
            ``k + 1``, for the steps from 2 up (a step from 1 given here replaces the built-in
            one).
        converter: the converter of the values (default :func:`instrument_converter`).

    Raises:
        ValidationError: ``secrets`` is neither ``"omit"`` nor ``"include"``,
            ``signing_keys`` is not a mapping, ``schema_version`` is not an integer from 2,
            or ``upcasters`` misses a step below ``schema_version``.
    """

    _object_type = EWallet
    _type_name = "ewallet"
    _body = (
        ("owner", str),
        ("pin_hash", str),
        ("kdf", KdfParams),
        ("policy", PinPolicy),
        ("failures", int),
        ("locked_until", DateTime | None),
        ("zone", str),
        ("cards", tuple[CardReference, ...]),
        ("ledger", tuple[LedgerEntry, ...]),
        ("holds", tuple[Hold, ...]),
        ("holdings", tuple[Holding, ...]),
        ("public_key", bytes),
        ("secrets", str),
        ("signing_key_unencrypted", bytes | None),
    )

    def __init__(
        self,
        *,
        secrets: Secrets = "omit",
        signing_keys: Mapping[str, Ed25519PrivateKey | bytes] | None = None,
        schema_version: int = _EWALLET_SCHEMA,
        upcasters: Mapping[int, Upcaster] | None = None,
        converter: cattrs.Converter | None = None,
    ) -> None:
        self._secrets = _check_secrets(secrets)
        self._keys = _check_keys(signing_keys, "signing_keys", "wallet ids")
        if type(schema_version) is int and schema_version < _EWALLET_SCHEMA:
            raise ValidationError(
                f"the schema_version of 'ewallet' documents must be an integer from "
                f"{_EWALLET_SCHEMA}, not {schema_version} (version 1 documents, with the "
                "zone under 'tz', are read but no longer written)"
            )
        steps = {1: _zone_renamed, **(upcasters if upcasters is not None else {})}
        super().__init__(schema_version=schema_version, upcasters=steps, converter=converter)

    @property
    def secrets(self) -> Secrets:
        """Whether :meth:`dump` writes the signing key (``"include"``) or not (``"omit"``)."""
        return self._secrets

    def _values(self, obj: EWallet) -> tuple[str, int, dict[str, Any]]:
        pin_hash, failures, locked_until = obj.pin_record
        include = self._secrets == "include"
        return (
            obj.wallet_id,
            obj.version,
            {
                "owner": obj.owner,
                "pin_hash": pin_hash.encode(),
                "kdf": obj.kdf,
                "policy": obj.policy,
                "failures": failures,
                "locked_until": locked_until,
                "zone": obj.zone,
                "cards": obj.cards(),
                "ledger": obj.ledger,
                "holds": obj.holds(None),
                "holdings": obj.holdings(),
                "public_key": obj.public_key,
                "secrets": _SECRETS_WRITTEN[self._secrets],
                "signing_key_unencrypted": obj.export_signing_key() if include else None,
            },
        )

    def _build(self, ident: str, version: int, values: dict[str, Any], clock: Clock) -> EWallet:
        written = _check_written(ident, "ewallet", values["secrets"])
        stored = values.pop("signing_key_unencrypted")
        if (stored is not None) != (written == "included"):
            raise DocumentError(
                f"ewallet document {shown(ident, 80)}",
                [
                    f"body.signing_key_unencrypted: must be "
                    f"{'a key' if written == 'included' else 'null'}, as body.secrets is "
                    f"{written!r}"
                ],
            )
        key = stored if stored is not None else self._keys.get(ident)
        if key is None:
            raise ValidationError(
                f"ewallet {ident!r} was written without its signing key: pass it in signing_keys"
            )
        del values["secrets"]
        public_key = values.pop("public_key")
        return EWallet.restore(
            wallet_id=ident,
            version=version,
            clock=clock,
            signing_key=_signing_key(key, ident, public_key),
            pin_hash=PinHash.decode(values.pop("pin_hash")),
            **values,
        )


def dump_ewallet(wallet: EWallet, *, secrets: Secrets = "omit") -> Document:
    """An :class:`~ecservice.payments.wallet.EWallet` as an ``"ewallet"`` document; its signing
    key is written only with ``secrets="include"`` (unencrypted: see
    :class:`EWalletSerializer`).

    Raises:
        DocumentError: ``wallet`` is not exactly an ``EWallet``.
        ValidationError: ``secrets`` is neither ``"omit"`` nor ``"include"``.
    """
    return EWalletSerializer(secrets=secrets).dump(wallet)


def load_ewallet(
    document: object,
    *,
    signing_key: Ed25519PrivateKey | bytes | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> EWallet:
    """The :class:`~ecservice.payments.wallet.EWallet` an ``"ewallet"`` document holds, checked
    by :meth:`EWallet.restore <ecservice.payments.wallet.EWallet.restore>`.

    Args:
        document: the document.
        signing_key: the wallet's signing key, for a document written without it.
        clock: the wallet's clock.

    Raises:
        DocumentError: a malformed document.
        UnsupportedSchemaVersion: a schema version newer than this code's.
        DocumentError: the signing key is missing or is not the wallet's, or ``restore``
            refused the values (its error is the ``__cause__``).
    """
    ident = document.get("id") if isinstance(document, dict) else None
    keys = {ident: signing_key} if isinstance(ident, str) and signing_key is not None else {}
    return EWalletSerializer(signing_keys=keys).load(document, clock=clock)
