"""The purse gateway: Mondex-style stored-value purses pay the merchant's purse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, final

import attrs

from ecservice._shown import shown
from ecservice.errors import EcServiceError, ValidationError
from ecservice.money import Currency, Money, sum_money
from ecservice.payments._gateway import InstrumentKind
from ecservice.payments.gateways._base import (
    Authorization,
    Capture,
    Declined,
    InstrumentGatewayBase,
)
from ecservice.payments.mondex import PaymentDetails, Purse, PurseStatus, transfer

__all__ = ["PurseGateway"]


@attrs.define(eq=False)
class _PurseHold:
    purse: Purse


@final
class PurseGateway(InstrumentGatewayBase[_PurseHold]):
    """Payments from Mondex-style stored-value purses to the merchant's purse.

    The instrument reference is the buyer's purse id in ``purses``. Mondex has no authorisation:

    * **authorize** checks that the purse holds the amount beyond what this gateway's other open
      authorisations on it reserve, and records the authorisation; nothing moves (the purse, like
      cash, can still be spent elsewhere; the capture then declines).
    * **capture** runs the purse-to-purse protocol (:func:`~ecservice.payments.mondex.transfer`)
      from the buyer's purse to the merchant's for the captured amount.
    * **void** forgets the authorisation.
    * **refund** transfers the amount back from the merchant's purse (at most what is left of the
      capture; declined if the merchant's purse no longer holds it).

    A transfer that stops part-way (it cannot on this happy path) is aborted on both purses, so
    each logs what may be in limbo for the :class:`~ecservice.payments.mondex.Archive`, and the
    operation is declined; :attr:`in_limbo` lists such payments.

    Args:
        purses: The buyers' purses by id: any mapping.
        merchant_purse: The merchant's purse.
        name: Prefix of the gateway's references.
    """

    kind: ClassVar[InstrumentKind] = InstrumentKind.PURSE

    def __init__(
        self, purses: Mapping[str, Purse], merchant_purse: Purse, *, name: str = "purse"
    ) -> None:
        super().__init__(name)
        if not isinstance(merchant_purse, Purse):
            raise ValidationError(f"merchant_purse must be a Purse, not {shown(merchant_purse)}")
        self.purses = purses
        self.merchant_purse = merchant_purse
        self._limbo: list[PaymentDetails] = []

    # --- views ---------------------------------------------------------------------------------

    def buyer_balance(self, purse_id: str, currency_: str | Currency) -> Money:
        """The balance of purse ``purse_id`` (held value included).

        Raises:
            ValidationError: no such purse.
        """
        purse = self.purses.get(purse_id) if isinstance(purse_id, str) else None
        if purse is None:
            raise ValidationError(f"{self.name} knows no purse {shown(purse_id)}")
        return purse.balance(currency_)

    def total_buyer_balance(self, currency_: str | Currency) -> Money:
        """All the buyers' purses together."""
        return sum_money((p.balance(currency_) for p in self.purses.values()), currency_)

    def merchant_balance(self, currency_: str | Currency) -> Money:
        """The balance of the merchant's purse."""
        return self.merchant_purse.balance(currency_)

    def total_value(self, currency_: str | Currency) -> Money:
        """Buyers plus merchant: no payment, capture, void or refund changes it."""
        return self.total_buyer_balance(currency_) + self.merchant_balance(currency_)

    @property
    def in_limbo(self) -> tuple[PaymentDetails, ...]:
        """Transfers that stopped with value debited and not credited (recover via the Archive)."""
        return tuple(self._limbo)

    # --- helpers -------------------------------------------------------------------------------

    def _move(self, payer: Purse, payee: Purse, value: Money, what: str) -> None:
        """Transfer ``value``; raise :class:`Declined` unless it completed."""
        before = payer.balance(value.currency), payee.balance(value.currency)
        try:
            result = transfer(payer, payee, value)
        except EcServiceError as exc:
            raise Declined(f"{what} refused: {exc}") from None
        if result.completed:
            return
        for purse in (payer, payee):
            if purse.status is not PurseStatus.IDLE:
                purse.abort()
        after = payer.balance(value.currency), payee.balance(value.currency)
        if after == (before[0] - value, before[1] + value):
            return  # the value arrived; only the final acknowledgement went astray
        if after != before:
            self._limbo.append(result.details)
            raise Declined(
                f"{what} stopped part-way with {value} in limbo ({result.details}); both purses "
                "logged it: recover it through the mondex Archive"
            )
        raise Declined(f"{what} aborted before any value moved ({result.details})")

    # --- hooks ---------------------------------------------------------------------------------

    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> _PurseHold:
        purse = self.purses.get(instrument)
        if purse is None:
            raise Declined(f"unknown purse {instrument!r}")
        if purse is self.merchant_purse or purse.id == self.merchant_purse.id:
            raise Declined(f"purse {instrument!r} is the merchant's own purse")
        cur = amount.currency
        held = sum_money(
            (
                a.amount
                for a in self._auths.values()
                if a.is_open and a.hold.purse is purse and a.amount.currency == cur
            ),
            cur,
        )
        available = purse.balance(cur) - held
        if available < amount:
            more = f" ({held} more is held by open authorisations)" if held else ""
            raise Declined(f"insufficient funds: purse holds {available} available{more}")
        return _PurseHold(purse)

    def _capture_hold(
        self, auth: Authorization[_PurseHold], amount: Money, capture_id: str
    ) -> None:
        self._move(auth.hold.purse, self.merchant_purse, amount, "the transfer to the merchant")

    def _release_hold(self, auth: Authorization[_PurseHold]) -> None:
        return None

    def _give_back(self, capture: Capture[_PurseHold], amount: Money, refund_id: str) -> None:
        buyer = capture.authorization.hold.purse
        self._move(self.merchant_purse, buyer, amount, "the refund transfer")
