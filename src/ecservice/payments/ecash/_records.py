"""What the mint records and returns: withdrawals, deposit and refund receipts, refreshes, payouts.

All are frozen values, checked when built (storage rebuilds them through these constructors):
a field of the wrong type or length raises :class:`~ecservice.errors.ValidationError`, a negative
amount :class:`~ecservice.errors.InvalidAmount`. A :class:`WithdrawalRecord` deliberately holds
nothing about the coin (no public key, no prepared message, no signature), only a hash of the
blinded message, so the mint cannot link a withdrawal to the coin deposited later.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Money
from ecservice.text import SHORT_TEXT_MAX, check_text

__all__ = [
    "DepositReceipt",
    "PayoutRecord",
    "RefreshRecord",
    "RefundReceipt",
    "WithdrawalRecord",
]

# Records are rebuilt from storage through these constructors, so every field is checked: a
# record that could not have been made by a mint raises ValidationError (or InvalidAmount).

_HASH_LEN = 32  # SHA-256: denomination ids, blinded-message hashes
_KEY_LEN = 32  # raw Ed25519 public keys
_SIG_LEN = 64  # Ed25519 signatures


def _utc(value: _dt.datetime) -> DateTime:
    if not isinstance(value, _dt.datetime):
        raise ValidationError(f"a record time must be a datetime, not {type(value).__name__}")
    return ensure_utc(value, what="record time")


def _raw(length: int | None, what: str) -> Callable[[object, object, Any], None]:
    def check(_instance: object, _attribute: object, value: Any) -> None:
        if not isinstance(value, bytes):
            raise ValidationError(f"{what} must be bytes, not {type(value).__name__}")
        if length is not None and len(value) != length:
            raise ValidationError(f"{what} must be {length} bytes, got {len(value)}")
        if not 0 < len(value) <= 1024:
            raise ValidationError(f"{what} must be 1 to 1024 bytes, got {len(value)}")

    return check


def _money(*, positive: bool) -> Callable[[object, object, Any], None]:
    def check(_instance: object, _attribute: object, value: Any) -> None:
        if not isinstance(value, Money):
            raise ValidationError(f"a record amount must be Money, not {type(value).__name__}")
        if value.is_negative() or (positive and value.is_zero()):
            need = "positive" if positive else "zero or more"
            raise InvalidAmount(f"a record amount must be {need}, not {value}")

    return check


def _record_id(_instance: object, _attribute: object, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"a record id must be an int of at least 1, not {shown(value)}")


def _name(what: str) -> Callable[[object, object, Any], None]:
    def check(_instance: object, _attribute: object, value: Any) -> None:
        if check_text(value, what, limit=SHORT_TEXT_MAX) != value:
            raise ValidationError(f"{what} must not start or end with whitespace")

    return check


def _hashes(value: Iterable[bytes]) -> tuple[bytes, ...]:
    given: object = value  # storage may hand over anything
    if isinstance(given, (bytes, str)) or not isinstance(given, Iterable):
        raise ValidationError(f"expected a sequence of 32-byte hashes, not {type(value).__name__}")
    found = tuple(value)
    for item in found:
        _raw(_HASH_LEN, "a hash")(None, None, item)
    return found


def _ids(value: Iterable[int]) -> tuple[int, ...]:
    given: object = value  # storage may hand over anything
    if isinstance(given, (bytes, str)) or not isinstance(given, Iterable):
        raise ValidationError(f"expected a sequence of deposit ids, not {type(value).__name__}")
    found = tuple(value)
    for item in found:
        _record_id(None, None, item)
    return found


@final
@attrs.frozen
class WithdrawalRecord:
    """All the mint keeps of a withdrawal: no coin key, no prepared message, no signature.

    Args:
        reserve: the id of the reserve the coin was paid from (short text, no surrounding white
            space).
        denomination_id: the id of the coin's denomination (32 bytes: SHA-256, see
            :func:`~ecservice.payments.ecash.denomination_id`).
        blinded_message_hash: SHA-256 of the blinded message the mint signed (32 bytes).
        withdrawn_at: when the mint signed it; an aware datetime, converted to UTC.
    """

    reserve: str = attrs.field(validator=_name("a reserve id"))
    denomination_id: bytes = attrs.field(validator=_raw(_HASH_LEN, "a denomination id"))
    blinded_message_hash: bytes = attrs.field(validator=_raw(_HASH_LEN, "a blinded message hash"))
    withdrawn_at: DateTime = attrs.field(converter=_utc)


@final
@attrs.frozen
class DepositReceipt:
    """The mint's record of an accepted deposit, returned to the merchant.

    ``spend_signature`` is the coin's signature over the spend: the mint's evidence that the coin
    owner authorised it.

    Args:
        deposit_id: the mint's number for the deposit (1, 2, ... in the order deposits came).
        coin_public_key: the coin's raw Ed25519 public key (32 bytes).
        denomination_id: the id of the coin's denomination (32 bytes: SHA-256, see
            :func:`~ecservice.payments.ecash.denomination_id`).
        merchant: the id of the merchant credited (short text, no surrounding white space).
        contract_hash: the hash of the order's terms the coin paid for, as the spend carried it
            (:func:`~ecservice.payments.ecash.contract_hash` gives 64 bytes, SHA-512).
        amount: the value deposited, positive, in the mint's currency (at most the coin's face
            value).
        spend_signature: the coin's Ed25519 signature over the spend (64 bytes).
        deposited_at: when the mint accepted it; an aware datetime, converted to UTC.
    """

    deposit_id: int = attrs.field(validator=_record_id)
    coin_public_key: bytes = attrs.field(validator=_raw(_KEY_LEN, "a coin public key"))
    denomination_id: bytes = attrs.field(validator=_raw(_HASH_LEN, "a denomination id"))
    merchant: str = attrs.field(validator=_name("a merchant id"))
    contract_hash: bytes = attrs.field(validator=_raw(None, "a contract hash"))
    amount: Money = attrs.field(validator=_money(positive=True))
    spend_signature: bytes = attrs.field(validator=_raw(_SIG_LEN, "a spend signature"))
    deposited_at: DateTime = attrs.field(converter=_utc)


@final
@attrs.frozen
class RefundReceipt:
    """The mint's record of a refund: ``amount`` went back to the coin.

    Args:
        refund_id: the mint's number for the refund (1, 2, ... in the order refunds came).
        coin_public_key: the raw Ed25519 public key (32 bytes) of the coin credited.
        merchant: the id of the merchant whose deposit was refunded (short text).
        contract_hash: the hash of the order's terms of that deposit (as in
            :class:`DepositReceipt`).
        amount: the value given back to the coin, positive, in the mint's currency.
        refunded_at: when; an aware datetime, converted to UTC.
    """

    refund_id: int = attrs.field(validator=_record_id)
    coin_public_key: bytes = attrs.field(validator=_raw(_KEY_LEN, "a coin public key"))
    merchant: str = attrs.field(validator=_name("a merchant id"))
    contract_hash: bytes = attrs.field(validator=_raw(None, "a contract hash"))
    amount: Money = attrs.field(validator=_money(positive=True))
    refunded_at: DateTime = attrs.field(converter=_utc)


@final
@attrs.frozen
class RefreshRecord:
    """The mint's record of a refresh: ``amount`` melted from an old coin into new blind coins.

    Args:
        coin_public_key: the raw Ed25519 public key (32 bytes) of the coin melted.
        denomination_id: the id of its denomination (32 bytes: SHA-256).
        amount: the value melted, positive, in the mint's currency.
        new_denomination_ids: the denomination id of each new coin (32 bytes each, at least
            one).
        blinded_message_hashes: SHA-256 of each new coin's blinded message (32 bytes each), in
            the order of ``new_denomination_ids``.
        issued: the face value of the new coins together, at most ``amount`` (the whole
            ``amount`` is melted: any difference is lost to the wallet).
        refreshed_at: when; an aware datetime, converted to UTC.
    """

    coin_public_key: bytes = attrs.field(validator=_raw(_KEY_LEN, "a coin public key"))
    denomination_id: bytes = attrs.field(validator=_raw(_HASH_LEN, "a denomination id"))
    amount: Money = attrs.field(validator=_money(positive=True))
    new_denomination_ids: tuple[bytes, ...] = attrs.field(converter=_hashes)
    blinded_message_hashes: tuple[bytes, ...] = attrs.field(converter=_hashes)
    issued: Money = attrs.field(validator=_money(positive=False))
    refreshed_at: DateTime = attrs.field(converter=_utc)

    def __attrs_post_init__(self) -> None:
        if not self.new_denomination_ids or len(self.new_denomination_ids) != len(
            self.blinded_message_hashes
        ):
            raise ValidationError(
                "a refresh record needs one new denomination id per blinded message hash, and "
                "at least one"
            )
        if self.issued.currency != self.amount.currency or self.issued > self.amount:
            raise ValidationError(
                f"a refresh record cannot issue {self.issued} for {self.amount} melted"
            )


@final
@attrs.frozen
class PayoutRecord:
    """A payout of all of a merchant's outstanding deposits (net of refunds).

    Args:
        merchant: the id of the merchant paid (short text).
        amount: what was paid, zero or more, in the mint's currency.
        deposit_ids: the ids of the deposits paid out, each once, at least one.
        paid_at: when; an aware datetime, converted to UTC.
    """

    merchant: str = attrs.field(validator=_name("a merchant id"))
    amount: Money = attrs.field(validator=_money(positive=False))
    deposit_ids: tuple[int, ...] = attrs.field(converter=_ids)
    paid_at: DateTime = attrs.field(converter=_utc)

    def __attrs_post_init__(self) -> None:
        if not self.deposit_ids or len(set(self.deposit_ids)) != len(self.deposit_ids):
            raise ValidationError(
                "a payout record names each of its deposits once, and at least one"
            )
