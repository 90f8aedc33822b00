"""The checks of a mint rebuilt from storage.

:meth:`Mint.restore <ecservice.payments.ecash.Mint.restore>` (which documents the rules) runs
:func:`restore`: it checks every stored part against the others, rebuilds the indexes the mint
keeps (per-coin ledgers, replay indexes, deposits per order) and only then installs them, so a
mint that fails a check is never built. The private keys are not stored: the caller passes the
signers, matched to the stored denominations by public key.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import rsa

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.money import Currency, Money, sum_money
from ecservice.payments.ecash._book import MemoryMintBook, StoredDeposit
from ecservice.payments.ecash._coin import SPEND_NONCE_LEN, refresh_signed_bytes
from ecservice.payments.ecash._denomination import Denomination, short_hex
from ecservice.payments.ecash._ledger import CoinLedger, DepositEntry, DepositKey, Issued, OrderKey
from ecservice.payments.ecash._records import (
    DepositReceipt,
    PayoutRecord,
    RefreshRecord,
    RefundReceipt,
    WithdrawalRecord,
)
from ecservice.payments.ecash.blind_rsa import BlindSigner
from ecservice.text import SHORT_TEXT_MAX, check_text

if TYPE_CHECKING:
    from ecservice.payments.ecash._mint import Mint

__all__ = ["StoredDeposit", "restore"]

_T = TypeVar("_T")


def _items(values: Iterable[_T], what: str) -> list[_T]:
    given: object = values  # storage may hand over anything
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(f"{what} must be a sequence, not {type(given).__name__}")
    return list(values)


def _typed(values: Iterable[Any], kind: type[_T], what: str) -> list[_T]:
    found = _items(values, what)
    for item in found:
        if not isinstance(item, kind):
            raise ValidationError(
                f"each of {what} must be a {kind.__name__}, not {type(item).__name__}"
            )
    return found


class _Check:
    """Collects the parts of a mint as they pass their checks."""

    def __init__(self, mint: Mint) -> None:
        self.mint = mint
        self.currency: Currency = mint.currency
        self.subject = f"mint {mint.name!r}"

    def fail(self, problem: str) -> ValidationError:
        return ValidationError(f"{self.subject} cannot be restored: {problem}")

    def money(self, value: object, what: str, *, positive: bool = False) -> Money:
        if not isinstance(value, Money):
            raise self.fail(f"{what} must be Money, not {type(value).__name__}")
        if value.currency != self.currency:
            raise self.fail(f"{what} {value} is not in the mint's currency {self.currency.code}")
        if value.is_negative() or (positive and value.is_zero()):
            raise self.fail(f"{what} must be {'positive' if positive else 'zero or more'}: {value}")
        return value

    def within(self, at: _dt.datetime, start: _dt.datetime, end: _dt.datetime, what: str) -> None:
        if not start <= at < end:
            raise self.fail(
                f"{what} at {at.isoformat()}, outside its window [{start.isoformat()}, "
                f"{end.isoformat()}): the mint refuses that"
            )


def _issued(
    check: _Check, denominations: Iterable[Denomination], signers: Iterable[BlindSigner]
) -> dict[bytes, Issued]:
    stored = _typed(denominations, Denomination, "the denominations")
    keys = _items(signers, "the signers")
    by_numbers: dict[Any, BlindSigner] = {}
    for signer in keys:
        if not isinstance(signer, BlindSigner) or not isinstance(
            signer.public_key, rsa.RSAPublicKey
        ):
            raise check.fail(
                f"a signer must be a BlindSigner with an RSA key, not {type(signer).__name__}"
            )
        by_numbers[signer.public_key.public_numbers()] = signer
    issued: dict[bytes, Issued] = {}
    used: set[Any] = set()
    for denomination in stored:
        check.money(denomination.value, f"denomination {denomination}", positive=True)
        numbers = denomination.public_key.public_numbers()
        if denomination.id in issued or numbers in used:
            raise check.fail(
                f"denomination {denomination} shares its key with another one: each "
                "denomination has its own key"
            )
        found = by_numbers.get(numbers)
        if found is None:
            raise check.fail(
                f"no signer holds the key of denomination {denomination}: pass the signer of "
                "every stored denomination"
            )
        used.add(numbers)
        issued[denomination.id] = Issued(denomination, found)
    unused = [n for n in by_numbers if n not in used]
    if unused:
        raise check.fail(
            f"{len(unused)} signer(s) match no stored denomination: the keys given are not the "
            "mint's"
        )
    return issued


def _reserves(check: _Check, reserves: Iterable[tuple[str, Money]]) -> dict[str, Money]:
    found: dict[str, Money] = {}
    for item in _items(reserves, "the reserves"):
        if not isinstance(item, tuple) or len(item) != 2:
            raise check.fail(f"a reserve must be a (reserve id, balance) pair, not {shown(item)}")
        name, balance = item
        if check_text(name, "a reserve id", limit=SHORT_TEXT_MAX) != name:
            raise check.fail("a reserve id must not start or end with whitespace")
        if name in found:
            raise check.fail(f"reserve {name!r} is listed twice")
        found[name] = check.money(balance, f"the balance of reserve {name!r}")
    return found


def _denomination(
    check: _Check, issued: dict[bytes, Issued], ident: bytes, what: str
) -> Denomination:
    found = issued.get(ident)
    if found is None:
        raise check.fail(
            f"{what} names denomination {short_hex(ident)}, which the mint does not issue"
        )
    return found.denomination


def restore(
    mint: Mint,
    *,
    denominations: Iterable[Denomination],
    signers: Iterable[BlindSigner],
    reserves: Iterable[tuple[str, Money]],
    withdrawals: Iterable[WithdrawalRecord],
    deposits: Iterable[StoredDeposit],
    refunds: Iterable[RefundReceipt],
    refreshes: Iterable[RefreshRecord],
    payouts: Iterable[PayoutRecord],
    version: object,
) -> None:
    """Check the stored parts and install them in the new, empty ``mint``; see ``Mint.restore``.

    Raises:
        ValidationError: a part has the wrong type or breaks a rule of ``Mint.restore``.
    """
    check = _Check(mint)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise check.fail(f"its version must be a whole number >= 0, not {shown(version)}")
    issued = _issued(check, denominations, signers)
    balances = _reserves(check, reserves)

    withdrawal_list = _typed(withdrawals, WithdrawalRecord, "the withdrawals")
    withdrawal_index: dict[tuple[bytes, bytes], WithdrawalRecord] = {}
    for record in withdrawal_list:
        denomination = _denomination(check, issued, record.denomination_id, "a withdrawal")
        if record.reserve not in balances:
            raise check.fail(
                f"a withdrawal debits reserve {record.reserve!r}, which it does not hold"
            )
        check.within(
            record.withdrawn_at,
            denomination.valid_from,
            denomination.withdraw_until,
            f"a coin of {denomination} was withdrawn",
        )
        index = (record.denomination_id, record.blinded_message_hash)
        if index in withdrawal_index:
            raise check.fail(
                f"blinded message {short_hex(record.blinded_message_hash)} was withdrawn twice: "
                "the mint signs each blinded message once"
            )
        withdrawal_index[index] = record

    ledgers: dict[bytes, CoinLedger] = {}
    amounts: dict[bytes, list[Money]] = {}  # deposited, refunded, melted per coin

    def coin(public_key: bytes, denomination: Denomination, what: str) -> list[Money]:
        known = ledgers.get(public_key)
        if known is None:
            zero = Money.zero(check.currency)
            ledgers[public_key] = CoinLedger(denomination.id, denomination.value, zero, zero, zero)
            amounts[public_key] = [zero, zero, zero]
        elif known.denomination_id != denomination.id:
            raise check.fail(
                f"coin {short_hex(public_key)} appears as a coin of two denominations ({what})"
            )
        return amounts[public_key]

    book = mint.book
    if book.external:
        given = {
            "deposits": _items(deposits, "the deposits"),
            "refunds": _items(refunds, "the refunds"),
            "refreshes": _items(refreshes, "the refreshes"),
            "payouts": _items(payouts, "the payouts"),
        }
        kept = [what for what, found in given.items() if found]
        if kept:
            raise check.fail(
                f"its book is kept outside its document, yet {', '.join(kept)} were given: "
                "those live in the book"
            )
        deposits, refunds, refreshes, payouts = (), (), (), ()
    elif not isinstance(book, MemoryMintBook):  # pragma: no cover - MintBook says external
        raise check.fail(f"a book inside the mint's document must be a MemoryMintBook: {book!r}")

    entries: list[DepositEntry] = []
    deposit_index: dict[DepositKey, DepositEntry] = {}
    orders: dict[OrderKey, list[DepositEntry]] = {}
    for position, item in enumerate(_items(deposits, "the deposits"), start=1):
        if not isinstance(item, tuple) or len(item) != 4:
            raise check.fail(
                f"a deposit must be a (receipt, nonce, refunded, paid) tuple, not {shown(item)}"
            )
        receipt, nonce, refunded, paid = item
        if not isinstance(receipt, DepositReceipt):
            raise check.fail(f"a deposit receipt must be a DepositReceipt, not {shown(receipt)}")
        if receipt.deposit_id != position:
            raise check.fail(
                f"deposit {position} has the id {receipt.deposit_id}: deposits are numbered 1, "
                "2, ... in the order they came"
            )
        if not isinstance(nonce, bytes) or len(nonce) != SPEND_NONCE_LEN:
            raise check.fail(f"deposit {position}: a spend nonce is {SPEND_NONCE_LEN} bytes")
        if not isinstance(paid, bool):
            raise check.fail(f"deposit {position}: paid must be true or false, not {shown(paid)}")
        denomination = _denomination(check, issued, receipt.denomination_id, f"deposit {position}")
        check.money(receipt.amount, f"deposit {position}'s amount", positive=True)
        check.money(refunded, f"the value refunded from deposit {position}")
        if receipt.amount > denomination.value:
            raise check.fail(
                f"deposit {position} spends {receipt.amount} from a coin of {denomination.value}"
            )
        check.within(
            receipt.deposited_at,
            denomination.valid_from,
            denomination.deposit_until,
            f"deposit {position} was accepted",
        )
        entry = DepositEntry(receipt, refunded, paid)
        key: DepositKey = (
            receipt.coin_public_key,
            receipt.merchant,
            receipt.contract_hash,
            receipt.amount,
            nonce,
        )
        if key in deposit_index:
            raise check.fail(
                f"deposit {position} repeats deposit {deposit_index[key].receipt.deposit_id}: "
                "a replay is never recorded twice"
            )
        sums = coin(receipt.coin_public_key, denomination, f"deposit {position}")
        sums[0] = sums[0] + receipt.amount
        entries.append(entry)
        deposit_index[key] = entry
        orders.setdefault(key[:3], []).append(entry)

    refund_list = _typed(refunds, RefundReceipt, "the refunds")
    refunded_per_order: dict[OrderKey, Money] = {}
    for position, refund in enumerate(refund_list, start=1):
        if refund.refund_id != position:
            raise check.fail(
                f"refund {position} has the id {refund.refund_id}: refunds are numbered 1, 2, "
                "... in the order they came"
            )
        order = (refund.coin_public_key, refund.merchant, refund.contract_hash)
        if order not in orders:
            raise check.fail(f"refund {position} refunds a deposit the mint never took")
        check.money(refund.amount, f"refund {position}'s amount", positive=True)
        ledger = ledgers[refund.coin_public_key]
        denomination = issued[ledger.denomination_id].denomination
        if not refund.refunded_at < denomination.deposit_until:
            raise check.fail(
                f"refund {position} was made at {refund.refunded_at.isoformat()}, after the "
                f"deposit window of {denomination} closed"
            )
        refunded_per_order[order] = (
            refunded_per_order.get(order, Money.zero(check.currency)) + refund.amount
        )
        sums = amounts[refund.coin_public_key]
        sums[1] = sums[1] + refund.amount
    for order, found in orders.items():
        split = sum_money((d.refunded for d in found), check.currency)
        granted = refunded_per_order.get(order, Money.zero(check.currency))
        if split != granted:
            raise check.fail(
                f"the deposits of coin {short_hex(order[0])} to {order[1]!r} show {split} "
                f"refunded, but the refunds for them add up to {granted}"
            )

    refresh_list = _typed(refreshes, RefreshRecord, "the refreshes")
    refresh_index: set[bytes] = set()
    for position, refresh in enumerate(refresh_list, start=1):
        what = f"refresh {position}"
        old = _denomination(check, issued, refresh.denomination_id, what)
        check.money(refresh.amount, f"{what}'s amount", positive=True)
        check.within(
            refresh.refreshed_at,
            old.valid_from,
            old.deposit_until,
            f"{what} melted a coin of {old}",
        )
        new = [_denomination(check, issued, d, what) for d in refresh.new_denomination_ids]
        for denomination in new:
            check.within(
                refresh.refreshed_at,
                denomination.valid_from,
                denomination.withdraw_until,
                f"{what} issued a coin of {denomination}",
            )
        issued_total = sum_money((d.value for d in new), check.currency)
        if issued_total != refresh.issued:
            raise check.fail(
                f"{what} records {refresh.issued} issued, but its new coins are worth "
                f"{issued_total}"
            )
        digest = hashlib.sha256(
            refresh_signed_bytes(
                refresh.coin_public_key,
                refresh.denomination_id,
                refresh.amount,
                zip(refresh.new_denomination_ids, refresh.blinded_message_hashes, strict=True),
            )
        ).digest()
        if digest in refresh_index:
            raise check.fail(
                f"{what} repeats an earlier refresh: a replay is never refreshed twice"
            )
        refresh_index.add(digest)
        sums = coin(refresh.coin_public_key, old, what)
        sums[2] = sums[2] + refresh.amount

    for public_key, (deposited, refunded, melted) in amounts.items():
        ledger = ledgers[public_key]
        try:
            ledgers[public_key] = CoinLedger(
                ledger.denomination_id, ledger.value, deposited, refunded, melted
            )
        except ValidationError as exc:
            raise check.fail(f"coin {short_hex(public_key)}: {exc}") from None

    payout_list = _typed(payouts, PayoutRecord, "the payouts")
    paid_ids: set[int] = set()
    for position, payout in enumerate(payout_list, start=1):
        check.money(payout.amount, f"payout {position}'s amount")
        total = Money.zero(check.currency)
        for deposit_id in payout.deposit_ids:
            if not 1 <= deposit_id <= len(entries) or deposit_id in paid_ids:
                raise check.fail(
                    f"payout {position} pays deposit {deposit_id}, which does not exist or was "
                    "paid out before"
                )
            entry = entries[deposit_id - 1]
            if entry.receipt.merchant != payout.merchant:
                raise check.fail(
                    f"payout {position} pays {payout.merchant!r} the deposit {deposit_id} of "
                    f"{entry.receipt.merchant!r}"
                )
            paid_ids.add(deposit_id)
            total = total + entry.net
        if total != payout.amount:
            raise check.fail(
                f"payout {position} paid {payout.amount}, but its deposits (net of refunds) add "
                f"up to {total}"
            )
    for entry in entries:
        if entry.paid != (entry.receipt.deposit_id in paid_ids):
            raise check.fail(
                f"deposit {entry.receipt.deposit_id} is marked "
                f"{'paid' if entry.paid else 'unpaid'}, but "
                f"{'no' if entry.paid else 'a'} payout pays it"
            )

    mint._issued = issued
    mint._reserves = balances
    mint._withdrawals = withdrawal_list
    mint._withdrawal_index = withdrawal_index
    if isinstance(book, MemoryMintBook):
        book._install(
            coins=ledgers,
            deposits=entries,
            deposit_index=deposit_index,
            orders=orders,
            refunds=refund_list,
            refreshes=refresh_list,
            refresh_index=refresh_index,
            payouts=payout_list,
        )
    mint._version = version
