"""The purse gateway: Mondex-style stored-value purses pay the merchant's purse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, final

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
from ecservice.payments.gateways._book import GatewayBook, HoldCodec
from ecservice.payments.mondex import PaymentDetails, Purse, PurseStatus, transfer
from ecservice.text import check_key

__all__ = ["PURSE_HOLDS", "PurseGateway"]


@final
@attrs.frozen
class _PurseHold:
    """The hold behind a purse authorisation: the buyer's purse, by id (found in the gateway's
    ``purses`` when the authorisation is captured or refunded). A purse has no holds of its
    own: the value stays in it until the capture's transfer."""

    purse_id: str


@final
class _PurseHolds(HoldCodec[_PurseHold]):
    """Writes the purse gateway's holds as ``{"purse_id"}``."""

    __slots__ = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return ("purse_id",)

    def dump(self, hold: _PurseHold) -> dict[str, str]:
        if type(hold) is not _PurseHold:
            raise ValidationError(f"expected a purse hold, not {type(hold).__name__}")
        return {"purse_id": hold.purse_id}

    def load(self, data: Mapping[str, str]) -> _PurseHold:
        return _PurseHold(check_key(data["purse_id"], "a hold's purse_id"))

    def __repr__(self) -> str:
        return "PURSE_HOLDS"


#: The :class:`~ecservice.payments.gateways.HoldCodec` of :class:`PurseGateway`: a hold is
#: written as ``{"purse_id": ...}`` (the buyer's purse, found in the gateway's ``purses`` when
#: the authorisation is captured or refunded).
PURSE_HOLDS: Final[HoldCodec[_PurseHold]] = _PurseHolds()


@final
class PurseGateway(InstrumentGatewayBase[_PurseHold]):
    """Payments from Mondex-style stored-value purses to the merchant's purse.

    The instrument reference is the buyer's purse id in ``purses``. Mondex has no authorisation:

    * **authorize** checks that the purse holds the amount beyond what this gateway's other open
      authorisations on it reserve (as the book lists them:
      :meth:`GatewayBook.reservations <ecservice.payments.gateways.GatewayBook.reservations>`,
      which a stored book keeps exact across processes), and records the authorisation; nothing
      moves (the purse, like cash, can still be spent elsewhere; the capture then declines).
    * **capture** runs the purse-to-purse protocol (:func:`~ecservice.payments.mondex.transfer`)
      from the buyer's purse to the merchant's for the captured amount.
    * **void** forgets the authorisation.
    * **refund** transfers the amount back from the merchant's purse (at most what is left of the
      capture; declined if the merchant's purse no longer holds it).

    A transfer that stops part-way (it cannot on this happy path) is aborted on both purses, so
    each logs what may be in limbo for the :class:`~ecservice.payments.mondex.Archive`, and the
    operation is declined; :attr:`in_limbo` lists such payments, read from the purses' own
    exception logs (so a gateway built anew over stored purses lists them too).

    Args:
        purses: The buyers' purses by id: any mapping.
        merchant_purse: The merchant's purse.
        name: Prefix of the gateway's references.
        book: Where the gateway keeps its answers, authorisations and captures (default: a new
            :class:`~ecservice.payments.gateways.MemoryBook`); a
            :class:`~ecservice.storage.StoredGatewayBook` over
            :data:`~ecservice.payments.gateways.PURSE_HOLDS` keeps them in a unit of work (see
            :class:`~ecservice.application.PursePaymentService`, which builds a gateway per
            unit of work over the stored purses).

    Raises:
        ValidationError: ``merchant_purse`` is not a
            :class:`~ecservice.payments.mondex.Purse`, ``name`` is not acceptable text, or
            ``book`` is not a book with ``reservations``.
    """

    kind: ClassVar[InstrumentKind] = InstrumentKind.PURSE

    def __init__(
        self,
        purses: Mapping[str, Purse],
        merchant_purse: Purse,
        *,
        name: str = "purse",
        book: GatewayBook[Any] | None = None,
    ) -> None:
        if book is not None and not callable(getattr(book, "reservations", None)):
            raise ValidationError(
                "book must be a GatewayBook with reservations (MemoryBook, StoredGatewayBook), "
                f"not {shown(book)}"
            )
        super().__init__(name, book=book)
        if not isinstance(merchant_purse, Purse):
            raise ValidationError(f"merchant_purse must be a Purse, not {shown(merchant_purse)}")
        self.purses = purses
        self.merchant_purse = merchant_purse

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
        """Transfers between the merchant's purse and a buyer's that stopped with the value
        debited and not credited (recover them through the
        :class:`~ecservice.payments.mondex.Archive`): the payments both purses logged in their
        exception logs (a payer logs one when it aborts after its debit, a payee when it
        aborts before its credit), in the order of the merchant's log; a log cleared to the
        archive no longer lists them."""
        merchant = self.merchant_purse
        found: list[PaymentDetails] = []
        for details in merchant.exception_log:
            other_id = details.from_purse if details.to_purse == merchant.id else details.to_purse
            other = self.purses.get(other_id)
            if other is not None and other is not merchant and details in other.exception_log:
                found.append(details)
        return tuple(found)

    # --- helpers -------------------------------------------------------------------------------

    def _purse_of(self, hold: _PurseHold) -> Purse:
        """The buyer's purse behind ``hold``, found in ``purses``."""
        purse = self.purses.get(hold.purse_id)
        if purse is None:
            raise Declined(f"{self.name} knows no purse {shown(hold.purse_id)}")
        return purse

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
            raise Declined(
                f"{what} stopped part-way with {value} in limbo ({result.details}); both purses "
                "logged it: recover it through the mondex Archive"
            )
        raise Declined(f"{what} aborted before any value moved ({result.details})")

    # --- hooks ---------------------------------------------------------------------------------

    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> _PurseHold:
        # The reservations first, then the purse: a stored book's list is read before the
        # purse, so a capture committed in between shows in both or the list's write conflicts.
        cur = amount.currency
        reserved = self._book.reservations(instrument)
        purse = self.purses.get(instrument)
        if purse is None:
            raise Declined(f"unknown purse {instrument!r}")
        if purse is self.merchant_purse or purse.id == self.merchant_purse.id:
            raise Declined(f"purse {instrument!r} is the merchant's own purse")
        held = sum_money((a for a in reserved.values() if a.currency == cur), cur)
        available = purse.balance(cur) - held
        if available < amount:
            more = f" ({held} more is held by open authorisations)" if held else ""
            raise Declined(f"insufficient funds: purse holds {available} available{more}")
        return _PurseHold(instrument)

    def _capture_hold(
        self, auth: Authorization[_PurseHold], amount: Money, capture_id: str
    ) -> None:
        buyer = self._purse_of(auth.hold)
        self._move(buyer, self.merchant_purse, amount, "the transfer to the merchant")

    def _release_hold(self, auth: Authorization[_PurseHold]) -> None:
        return None

    def _give_back(self, capture: Capture[_PurseHold], amount: Money, refund_id: str) -> None:
        buyer = self._purse_of(capture.authorization.hold)
        self._move(self.merchant_purse, buyer, amount, "the refund transfer")
