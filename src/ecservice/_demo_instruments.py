"""The buyers' stored instruments in ``ecservice demo``: e-wallets (电子钱包) and e-cash (电子现金).

Private to the demo (:mod:`ecservice._demo` runs it). :class:`InstrumentDesks` holds the e-wallet
desk (:mod:`ecservice._demo_wallets`) and the e-cash desk (:mod:`ecservice._demo_ecash`): it funds
the instrument that pays an order (:func:`~ecservice._demo_shop.instrument_of` chooses it), and
builds the shop's gateway that routes each payment to its service.
"""

from __future__ import annotations

from typing import Any, final

import attrs

from ecservice._demo_ecash import EcashDesk, EcashFigures
from ecservice._demo_shop import pays_by_ecash, pays_by_wallet
from ecservice._demo_wallets import RoutedGateway, WalletDesk, WalletFigures
from ecservice.money import Money

__all__ = ["InstrumentDesks", "InstrumentFigures"]


@attrs.frozen
class InstrumentFigures:
    """The stored e-wallets' and coin wallets' figures at the end of a run."""

    wallets: WalletFigures
    ecash: EcashFigures

    @property
    def conserved(self) -> bool:
        """Whether no value was made or lost in either."""
        return self.wallets.conserved and self.ecash.conserved

    @property
    def shop(self) -> Money:
        """What the shop holds outside the card gateway: its e-wallet and its account at the
        mint."""
        return self.wallets.shop + self.ecash.shop

    @property
    def problems(self) -> tuple[str, ...]:
        return self.wallets.problems


@final
class InstrumentDesks:
    """The e-wallet and e-cash desks of a run (or of one worker process)."""

    def __init__(self, wallets: WalletDesk, ecash: EcashDesk) -> None:
        self.wallets = wallets
        self.ecash = ecash

    def prepare(self) -> None:
        """Store what every run needs once (the shop's e-wallet)."""
        self.wallets.prepare()

    def fund(self, order_id: str, amount: Money | None) -> bool:
        """Store the instrument that pays ``order_id`` with ``amount`` on it (``None``: an empty
        one), if it is an e-wallet or a coin wallet; whether it is (``False``: a card pays, and
        the card gateway funds it)."""
        if pays_by_wallet(order_id):
            self.wallets.fund(order_id, amount)
            return True
        if pays_by_ecash(order_id):
            self.ecash.fund(order_id, amount)
            return True
        return False

    def routed(self, card: Any) -> RoutedGateway:
        """The shop's gateway over ``card``, the e-wallet service and the e-cash service."""
        return RoutedGateway(card, self.wallets.service, self.ecash.service)

    def figures(self, order_ids: list[str]) -> InstrumentFigures:
        """The figures of both desks for the orders ``order_ids``."""
        return InstrumentFigures(self.wallets.figures(order_ids), self.ecash.figures(order_ids))

    def dispose(self) -> None:
        """Close the connections of the mint's own database, if it has one."""
        engine = getattr(self.ecash.mint.book, "engine", None)
        store_engine = getattr(self.wallets.store, "engine", None)
        if engine is not None and engine is not store_engine:
            engine.dispose()
