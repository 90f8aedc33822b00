"""E-wallet payments in ``ecservice demo``: some buyers pay from their e-wallet (电子钱包).

Private to the demo (:mod:`ecservice._demo` runs it). About one order in ten
(:data:`~ecservice._demo_shop.WALLET_SHARE`, a simulation choice, drawn from the order's id so
that a continued run makes the same choice) is paid from the buyer's e-wallet instead of a
card: order ``O-000123`` from the wallet ``EW-000123``, topped up when the order is placed, to
the shop's wallet ``EW-SHOP``. The wallets and the e-wallet gateway's books are stored with the
gateway's other books (the gateway's database, or a store in memory): they are the payment
provider's side, apart from the shop's store, whose units of work call the gateway (and SQLite
has one writer at a time). Every call goes through
:class:`~ecservice.application.WalletPaymentService`, so a retried call after a lost answer, or
a run continued after a kill, moves no money twice; a :class:`RoutedGateway` sends wallet
payments to it and the rest to the card gateway.

The simulated wallets derive their PIN keys with a cheap scrypt setting (``n = 2**4``) so that
thousands of them are made in seconds; real wallets keep the default
(:class:`~ecservice.payments.wallet.KdfParams`).
"""

from __future__ import annotations

from typing import Any, Final, final

import attrs

from ecservice._demo_shop import pays_by_wallet, wallet_id_of
from ecservice.application import WalletPaymentService
from ecservice.clock import FixedClock
from ecservice.money import Money, sum_money
from ecservice.payments import GatewayResponse, Instrument, InstrumentKind
from ecservice.payments.wallet import EntryKind, EWallet, KdfParams
from ecservice.storage import EWalletSerializer, Store, UnitOfWork, run_in_transaction

__all__ = [
    "SHOP_WALLET",
    "WALLET_NAME",
    "RoutedGateway",
    "WalletDesk",
    "WalletFigures",
]

#: The e-wallet gateway's name: the prefix of its references.
WALLET_NAME: Final = "ewallet"
#: The shop's e-wallet.
SHOP_WALLET: Final = "EW-SHOP"
_PIN: Final = "2468"
_SHOP_PIN: Final = "9753"
_KDF: Final = KdfParams(n=2**4)
#: The wallets as the provider stores them: with their signing keys, so that every worker
#: process loads them.
SERIALIZER: Final = EWalletSerializer(secrets="include")
_TOP_UP: Final = "top-up"


@final
class RoutedGateway:
    """The shop's gateway: e-wallet payments to the e-wallet service, e-cash payments to the
    e-cash service (when there is one), the rest to ``card``.

    An instrument is authorised by the service of its kind; a reference a service handed out
    (``"ewallet-..."``, ``"ecash-..."``) is captured, voided or refunded there; every other call
    goes to ``card``. An idempotency key's outcome is asked of each in turn.
    """

    def __init__(self, card: Any, wallets: WalletPaymentService, ecash: Any | None = None) -> None:
        self.card = card
        self.wallets = wallets
        self.ecash = ecash
        self._by_prefix: tuple[tuple[str, Any], ...] = ((f"{WALLET_NAME}-", wallets),)
        if ecash is not None:
            self._by_prefix += ((f"{ecash.name}-", ecash),)

    def _for(self, reference: str) -> Any:
        if isinstance(reference, str):
            for prefix, service in self._by_prefix:
                if reference.startswith(prefix):
                    return service
        return self.card

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        target = self.card
        if instrument.kind is InstrumentKind.WALLET:
            target = self.wallets
        elif instrument.kind is InstrumentKind.ECASH and self.ecash is not None:
            target = self.ecash
        answer: GatewayResponse = target.authorize(
            instrument, amount, reference=reference, idempotency_key=idempotency_key
        )
        return answer

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        answer: GatewayResponse = self._for(authorization).capture(
            authorization, amount, idempotency_key=idempotency_key
        )
        return answer

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        answer: GatewayResponse = self._for(authorization).void(
            authorization, idempotency_key=idempotency_key
        )
        return answer

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        answer: GatewayResponse = self._for(capture).refund(
            capture, amount, idempotency_key=idempotency_key
        )
        return answer

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        for _, service in self._by_prefix:
            found: GatewayResponse | None = service.outcome(idempotency_key)
            if found is not None:
                return found
        answer: GatewayResponse | None = self.card.outcome(idempotency_key)
        return answer


@final
class WalletDesk:
    """The e-wallets of the demo's buyers and shop, in ``store``, and the service that pays
    from them."""

    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.store = store
        self.clock = clock
        self.service = WalletPaymentService(
            store,
            merchant_wallet=SHOP_WALLET,
            auth_for=lambda _: _PIN,
            merchant_auth=lambda: _SHOP_PIN,
            serializer=SERIALIZER,
            name=WALLET_NAME,
        )

    def prepare(self) -> None:
        """Store the shop's wallet, once."""
        self._open(SHOP_WALLET, "demo-shop", _SHOP_PIN, None)

    def fund(self, order_id: str, amount: Money | None) -> None:
        """Store the e-wallet that pays ``order_id``, topped up with ``amount`` (``None``: an
        empty wallet, whose payment is declined), once however often a run is continued."""
        self._open(wallet_id_of(order_id), f"buyer of {order_id}", _PIN, amount)

    def _open(self, wallet_id: str, owner: str, pin: str, amount: Money | None) -> None:
        def work(uow: UnitOfWork) -> None:
            repo = uow.repository(SERIALIZER)
            if repo.find(wallet_id) is not None:
                return
            wallet = EWallet(owner, pin, clock=self.clock, kdf=_KDF, wallet_id=wallet_id)
            if amount is not None:
                wallet.credit(amount, f"{_TOP_UP} {wallet_id}")
            repo.add(wallet)

        run_in_transaction(self.store, work)

    def routed(self, card: Any) -> RoutedGateway:
        """The shop's gateway over ``card`` and this desk's wallets."""
        return RoutedGateway(card, self.service)

    def figures(self, order_ids: list[str]) -> WalletFigures:
        """See :func:`wallet_figures`."""
        return wallet_figures(self.store, order_ids)


@attrs.frozen
class WalletFigures:
    """The stored e-wallets at the end of a run: ``funded`` (every top-up) must equal what the
    buyers' wallets hold (``buyers``, held value included) and the shop's (``shop``)."""

    wallets: int
    funded: Money
    buyers: Money
    shop: Money
    problems: tuple[str, ...] = ()

    @property
    def conserved(self) -> bool:
        """Whether no value was made or lost among the wallets."""
        return not self.problems and self.buyers + self.shop == self.funded


def wallet_figures(store: Store, order_ids: list[str]) -> WalletFigures:
    """The figures of the shop's wallet and the buyers' wallets of ``order_ids`` (those that
    are stored)."""

    def work(uow: UnitOfWork) -> tuple[list[EWallet], EWallet | None]:
        repo = uow.repository(SERIALIZER)
        found = (repo.find(wallet_id_of(o)) for o in order_ids if pays_by_wallet(o))
        return [w for w in found if w is not None], repo.find(SHOP_WALLET)

    buyers, shop = run_in_transaction(store, work)
    zero = Money.zero("CNY")
    funded = sum_money(
        (
            e.amount
            for w in buyers
            for e in w.ledger
            if e.kind is EntryKind.CREDIT and e.reference.startswith(_TOP_UP)
        ),
        "CNY",
    )
    problems: tuple[str, ...] = () if shop is not None else ("the shop's e-wallet is missing",)
    return WalletFigures(
        wallets=len(buyers),
        funded=funded,
        buyers=sum_money((w.balance("CNY") for w in buyers), "CNY"),
        shop=zero if shop is None else shop.balance("CNY"),
        problems=problems,
    )
