"""The mint's signing side: blind signatures for withdrawals and refreshes.

:meth:`Mint.withdraw <ecservice.payments.ecash.Mint.withdraw>` and
:meth:`Mint.refresh <ecservice.payments.ecash.Mint.refresh>` (which document the behaviour and
the errors) run these functions; each checks everything under the mint's lock before it records
anything (a refresh records its melt through the mint's book, in one atomic step).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ecservice._shown import shown
from ecservice.errors import InsufficientFunds, ValidationError
from ecservice.money import sum_money
from ecservice.payments.ecash._coin import RefreshRequest
from ecservice.payments.ecash._denomination import Denomination, require
from ecservice.payments.ecash._ledger import Issued, blind_sign_checked
from ecservice.payments.ecash._records import RefreshRecord, WithdrawalRecord

if TYPE_CHECKING:
    from ecservice.payments.ecash._mint import Mint

__all__ = ["check_blinded", "refresh", "sign_all", "withdraw"]


def withdraw(mint: Mint, reserve: str, denomination_id: bytes, blinded_message: bytes) -> bytes:
    """Blind-sign a coin, debiting the reserve; see :meth:`Mint.withdraw`."""
    with mint._lock:
        issued = mint._lookup(denomination_id)
        denomination = issued.denomination
        balance = mint.reserve_balance(reserve)
        check_blinded(blinded_message, denomination)
        digest = hashlib.sha256(blinded_message).digest()
        prior = mint._withdrawal_index.get((denomination_id, digest))
        if prior is not None:
            if prior.reserve != reserve:
                raise ValidationError(
                    "this blinded message was already withdrawn from another reserve"
                )
            return blind_sign_checked(issued, blinded_message)  # RSA is deterministic
        now = mint._clock.now()
        denomination.check_withdraw(now)
        if balance < denomination.value:
            raise InsufficientFunds(
                f"reserve {shown(reserve)} holds {balance}, less than the {denomination.value} "
                "of the coin asked for"
            )
        blind_signature = blind_sign_checked(issued, blinded_message)
        record = WithdrawalRecord(reserve, denomination_id, digest, now)
        mint._reserves[reserve] = balance - denomination.value
        mint._withdrawals.append(record)
        mint._withdrawal_index[(denomination_id, digest)] = record
        mint._version += 1
        return blind_signature


def refresh(mint: Mint, request: RefreshRequest) -> tuple[bytes, ...]:
    """Melt part of an old coin into new blind-signed coins; see :meth:`Mint.refresh`."""
    require(request, RefreshRequest, "a refresh request")
    with mint._lock:
        old = mint._lookup(request.coin.denomination_id).denomination
        mint._check_amount(request.amount, "refresh")
        request.coin.verify(old)
        request.verify_signature()
        new = [mint._lookup(p.denomination_id) for p in request.planchets]
        for planchet, issued in zip(request.planchets, new, strict=True):
            check_blinded(planchet.blinded_message, issued.denomination)
        digest = hashlib.sha256(request.signed_bytes()).digest()
        signatures: tuple[bytes, ...] = ()
        now = mint._clock.now()
        issued_total = sum_money((i.denomination.value for i in new), mint._currency)

        def check() -> None:
            old.check_deposit(now)
            for issued in new:
                issued.denomination.check_withdraw(now)
            if issued_total > request.amount:
                raise InsufficientFunds(
                    f"the new coins are worth {issued_total}, more than the {request.amount} melted"
                )

        def make() -> RefreshRecord:
            nonlocal signatures
            signatures = sign_all(request, new)
            return RefreshRecord(
                coin_public_key=request.coin.public_key,
                denomination_id=old.id,
                amount=request.amount,
                new_denomination_ids=tuple(p.denomination_id for p in request.planchets),
                blinded_message_hashes=tuple(p.blinded_message_hash for p in request.planchets),
                issued=issued_total,
                refreshed_at=now,
            )

        recorded = mint._book.refresh(
            coin_public_key=request.coin.public_key,
            denomination_id=old.id,
            coin_value=old.value,
            amount=request.amount,
            digest=digest,
            check=check,
            make=make,
        )
        if recorded is None:  # a replay: RSA signatures are deterministic
            return sign_all(request, new)
        mint._changed()
        return signatures


def sign_all(request: RefreshRequest, new: Iterable[Issued]) -> tuple[bytes, ...]:
    """One blind signature per planchet of ``request``, by the matching denomination."""
    return tuple(
        blind_sign_checked(issued, planchet.blinded_message)
        for planchet, issued in zip(request.planchets, new, strict=True)
    )


def check_blinded(blinded_message: bytes, denomination: Denomination) -> None:
    """Refuse a blinded message that is not exactly one modulus long for ``denomination``.

    Raises:
        ValidationError: not ``bytes``, or not ``denomination.modulus_len`` bytes long.
    """
    if not isinstance(blinded_message, bytes) or len(blinded_message) != denomination.modulus_len:
        raise ValidationError(
            f"a blinded message for denomination {denomination} must be "
            f"{denomination.modulus_len} bytes"
        )
