"""The parties of a draft and its terms: :class:`DraftParty` and :class:`DraftTerms`."""

from __future__ import annotations

import datetime as _dt
from typing import Any, final

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.money import Money, positive
from ecservice.payments.wallet._instruction import raw_public_key
from ecservice.text import text

__all__ = ["DraftParty", "DraftTerms"]


def _key(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not bytes or len(value) != 32:
        raise ValidationError(
            f"a party's public_key must be the raw 32-byte Ed25519 public key (bytes), "
            f"not {shown(value)}"
        )
    try:
        Ed25519PublicKey.from_public_bytes(value)
    except ValueError:
        raise ValidationError("a party's public_key is not a valid Ed25519 public key") from None


def _short_key(data: bytes) -> str:
    return data.hex()[:16] + "..."


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftParty:
    """A party to a draft (drawer 出票人, acceptor 承兑人, payee 收款人, endorsee 被背书人,
    guarantor 保证人): who it is and the key its electronic signature verifies with.

    《电子商业汇票业务管理办法》 makes the reliable electronic signature of a party its
    signature (签章) on the draft; here a party signs with Ed25519 and is known by its name,
    account, bank and raw public key. Two parties are the same party when all four are equal.

    Args:
        name: the party's registered name (short text).
        account: its settlement account number (short text).
        bank: the bank (or the bank's payment system code, 行号) keeping the account (short
            text).
        public_key: the raw 32-byte Ed25519 public key its acts are verified with (see
            :func:`~ecservice.payments.wallet.raw_public_key`).

    Raises:
        ValidationError: a text field is not acceptable text, or ``public_key`` is not a
            valid raw Ed25519 public key of 32 bytes.
    """

    name: str = attrs.field(validator=text("a party's name"))
    account: str = attrs.field(validator=text("a party's account"))
    bank: str = attrs.field(validator=text("a party's bank"))
    public_key: bytes = attrs.field(validator=_key, repr=_short_key)

    @classmethod
    def of(
        cls, name: str, account: str, bank: str, key: Ed25519PrivateKey | Ed25519PublicKey
    ) -> DraftParty:
        """A party whose public key is ``key``'s (a private key gives its public half).

        Raises:
            ValidationError: as the constructor, or ``key`` is not an Ed25519 key.
        """
        if not isinstance(key, (Ed25519PrivateKey, Ed25519PublicKey)):
            raise ValidationError(f"key must be an Ed25519 key, not {shown(key)}")
        return cls(name=name, account=account, bank=bank, public_key=raw_public_key(key))

    def canonical(self) -> dict[str, str]:
        """The party as it appears in the signed bytes of an act (the key in lowercase hex)."""
        return {
            "account": self.account,
            "bank": self.bank,
            "name": self.name,
            "public_key": self.public_key.hex(),
        }


def _party(what: str) -> Any:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if type(value) is not DraftParty:
            raise ValidationError(f"{what} must be a DraftParty, not {shown(value)}")

    return check


def _as_date(value: _dt.date) -> _dt.date:
    given: object = value
    if not isinstance(given, _dt.date) or isinstance(given, _dt.datetime):
        raise ValidationError(
            f"a draft's issued_on and matures_on must be datetime.date values, not {shown(given)}"
        )
    return _dt.date(value.year, value.month, value.day)


def _bool(_instance: object, _attribute: object, value: Any) -> None:
    if type(value) is not bool:
        raise ValidationError(f"not_transferable must be True or False, not {shown(value)}")


def _amount(_instance: object, _attribute: object, value: Any) -> None:
    positive(value, "a draft's amount")


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftTerms:
    """What the drawer writes on the draft when issuing it (出票, 票据法 art. 22): signed as part
    of the issue act and fixed for the draft's life.

    Args:
        number: the draft (package) number (票据(包)号; 30 digits in the exchange's system),
            also the id of the :class:`~ecservice.payments.ebills.ElectronicDraft` (short text).
        drawer: who issues it (出票人).
        acceptor: who undertakes to pay it at maturity (承兑人): a bank for a bank acceptance,
            a company (possibly the drawer) for a commercial acceptance.
        payee: to whom it is issued (收款人).
        amount: the face amount, a positive :class:`~ecservice.money.Money` (the policy checks
            currency and standard amount when the draft is issued).
        issued_on: the issue date (出票日期); a ``datetime.date`` (a pendulum ``Date`` is
            converted to one).
        matures_on: the maturity date (到期日); electronic drafts are payable on a fixed date
            (《电子商业汇票业务管理办法》 art. 13).
        not_transferable: ``True`` when the drawer wrote 不得转让: the payee cannot endorse it
            (票据法 art. 27).

    Raises:
        ValidationError: a field of the wrong type, or the payee is the acceptor.
        InvalidAmount: ``amount`` is not positive.
    """

    number: str = attrs.field(validator=text("a draft's number"))
    drawer: DraftParty = attrs.field(validator=_party("drawer"))
    acceptor: DraftParty = attrs.field(validator=_party("acceptor"))
    payee: DraftParty = attrs.field(validator=_party("payee"))
    amount: Money = attrs.field(validator=_amount)
    issued_on: _dt.date = attrs.field(converter=_as_date)
    matures_on: _dt.date = attrs.field(converter=_as_date)
    not_transferable: bool = attrs.field(default=False, validator=_bool)

    def __attrs_post_init__(self) -> None:
        if self.payee == self.acceptor:
            raise ValidationError(
                "a draft's payee must not be its acceptor: the acceptor would owe itself"
            )

    def canonical(self) -> dict[str, object]:
        """The terms as they appear in the signed bytes of the issue act."""
        return {
            "acceptor": self.acceptor.canonical(),
            "amount": str(self.amount.amount),
            "currency": self.amount.currency.code,
            "drawer": self.drawer.canonical(),
            "issued_on": self.issued_on.isoformat(),
            "matures_on": self.matures_on.isoformat(),
            "not_transferable": self.not_transferable,
            "number": self.number,
            "payee": self.payee.canonical(),
        }
