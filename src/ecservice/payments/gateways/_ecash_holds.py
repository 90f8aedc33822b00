"""The e-cash gateway's holds, and how a stored book writes them (:data:`ECASH_HOLDS`).

Private to :mod:`ecservice.payments.gateways`. A hold is what an e-cash authorisation keeps:
the buyer's coin wallet (by id: the wallet is found in the gateway's ``wallets`` when the
authorisation is captured or refunded), the contract hash the coins signed for, and the spends
they signed (nothing moved yet: e-cash is a bearer instrument). The codec writes them as text
only, from the e-cash types' own fields, so that this module needs no storage and imports
without the ``crypto`` extra (the e-cash types are imported when a hold is read).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, final

import attrs

from ecservice._shown import shown
from ecservice.errors import EcServiceError, ValidationError
from ecservice.money import Money
from ecservice.payments.gateways._book import HoldCodec
from ecservice.text import check_key

if TYPE_CHECKING:
    from ecservice.payments.ecash import CoinSpend

__all__ = ["ECASH_HOLDS", "EcashHold"]

#: The most spends a hold may list, and the longest text of them a stored hold may hold.
_MAX_SPENDS: Final = 256
_MAX_SPENDS_TEXT: Final = 512 * _MAX_SPENDS
#: Contract hashes are 1 to 64 bytes (SHA-512 gives 64).
_MAX_CONTRACT: Final = 64


@final
@attrs.frozen
class EcashHold:
    """What an e-cash authorisation holds: the buyer's wallet id, the contract hash, and the
    spends the wallet's coins signed for it (in the order they are deposited)."""

    wallet_id: str
    contract: bytes
    spends: tuple[CoinSpend, ...]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    """The bytes of canonical base64 text (with padding), or :class:`ValidationError`."""
    if not isinstance(text, str) or not text.isascii():
        raise ValidationError(f"{what} must be base64 text, not {shown(text)}")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"{what} is not base64 text: {shown(text)}") from None
    if _b64(data) != text:
        raise ValidationError(f"{what} is not canonical base64 text: {shown(text)}")
    return data


def _spend_fields(spend: CoinSpend) -> list[object]:
    coin = spend.coin
    return [
        _b64(coin.public_key),
        _b64(coin.denomination_id),
        _b64(coin.signature),
        _b64(coin.prepared_message),
        spend.amount.minor_units,
        spend.amount.currency.code,
        spend.merchant,
        _b64(spend.signature),
        _b64(spend.nonce),
    ]


def _spends_text(spends: tuple[CoinSpend, ...]) -> str:
    return json.dumps([_spend_fields(s) for s in spends], separators=(",", ":"), ensure_ascii=False)


def _spend(item: object, contract: bytes, n: int) -> CoinSpend:
    """The spend number ``n`` of a stored hold, checked (its signature included)."""
    from ecservice.payments.ecash import Coin, CoinSpend

    what = f"a hold's spends (spend {n})"
    if not isinstance(item, list) or len(item) != 9:
        raise ValidationError(f"{what} must be a list of 9 values, not {shown(item)}")
    key, denomination, coin_signature, prepared, units, code, merchant, signature, nonce = item
    if type(units) is not int or not isinstance(code, str) or not isinstance(merchant, str):
        raise ValidationError(f"{what} has a malformed amount or merchant")
    try:
        coin = Coin(
            _unb64(key, f"{what} coin"),
            _unb64(denomination, f"{what} denomination"),
            _unb64(coin_signature, f"{what} coin signature"),
            _unb64(prepared, f"{what} prepared message"),
        )
        spend = CoinSpend(
            coin,
            Money.from_minor(units, code),
            merchant,
            contract,
            _unb64(signature, f"{what} signature"),
            nonce=_unb64(nonce, f"{what} nonce"),
        )
        spend.verify_signature()
    except (EcServiceError, ArithmeticError, ValueError) as exc:
        raise ValidationError(f"{what} is not a spend of this contract: {exc}") from None
    return spend


@final
class _EcashHolds(HoldCodec[EcashHold]):
    """Writes the e-cash gateway's holds as ``{"wallet_id", "contract", "spends"}``."""

    __slots__ = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return ("wallet_id", "contract", "spends")

    def dump(self, hold: EcashHold) -> dict[str, str]:
        if type(hold) is not EcashHold:
            raise ValidationError(f"expected an e-cash hold, not {type(hold).__name__}")
        return {
            "wallet_id": hold.wallet_id,
            "contract": _b64(hold.contract),
            "spends": _spends_text(hold.spends),
        }

    def load(self, data: Mapping[str, str]) -> EcashHold:
        wallet_id = check_key(data["wallet_id"], "a hold's wallet_id")
        contract = _unb64(data["contract"], "a hold's contract")
        if not 0 < len(contract) <= _MAX_CONTRACT:
            raise ValidationError(
                f"a hold's contract must be 1 to {_MAX_CONTRACT} bytes, not {len(contract)}"
            )
        text = data["spends"]
        if not isinstance(text, str) or len(text) > _MAX_SPENDS_TEXT:
            raise ValidationError(
                f"a hold's spends must be text of at most {_MAX_SPENDS_TEXT} characters"
            )
        try:
            items = json.loads(text)
        except (ValueError, RecursionError):
            raise ValidationError(f"a hold's spends are not JSON: {shown(text)}") from None
        if not isinstance(items, list) or not 0 < len(items) <= _MAX_SPENDS:
            raise ValidationError(
                f"a hold's spends must be a list of 1 to {_MAX_SPENDS} spends, not {shown(text)}"
            )
        spends = tuple(_spend(item, contract, n) for n, item in enumerate(items, start=1))
        if _spends_text(spends) != text:
            raise ValidationError(
                f"a hold's spends are not written as the codec writes them: {shown(text)}"
            )
        return EcashHold(wallet_id, contract, spends)

    def __repr__(self) -> str:
        return "ECASH_HOLDS"


#: The :class:`~ecservice.payments.gateways.HoldCodec` of
#: :class:`~ecservice.payments.gateways.EcashGateway`: a hold is written as ``{"wallet_id",
#: "contract", "spends"}``: the buyer's coin wallet id, the contract hash in base64, and the
#: signed spends as one JSON list (each spend the coin's public key, denomination id, signature
#: and prepared message, the amount in minor units and its currency code, the merchant, the
#: spend's signature and nonce; bytes in base64). Reading checks every spend's signature and
#: refuses text the codec would not have written (:class:`~ecservice.errors.ValidationError`
#: naming the field), so ``dump(load(x)) == x``.
ECASH_HOLDS: Final[HoldCodec[EcashHold]] = _EcashHolds()
