"""Payment gateways over the shop's own instruments: e-cash, stored-value purses, e-wallets.

Each gateway implements :class:`~ecservice.payments.PaymentGateway`, so a
:class:`~ecservice.payments.Payment` (and :class:`~ecservice.payments.OrderPayments`) is paid with
e-cash, a Mondex-style purse or an e-wallet exactly as with a card through
:class:`~ecservice.payments.InMemoryGateway`:

* :class:`EcashGateway`: the buyer's :class:`~ecservice.payments.ecash.CoinWallet` pays the
  merchant's account at a :class:`~ecservice.payments.ecash.Mint`;
* :class:`PurseGateway`: the buyer's :class:`~ecservice.payments.mondex.Purse` pays the merchant's
  purse with the purse-to-purse protocol;
* :class:`WalletGateway`: the buyer's :class:`~ecservice.payments.wallet.EWallet` stored value,
  with real holds, pays the merchant's e-wallet.

Every gateway keeps the outcome of each idempotency key (an approved answer is returned again for
the same request without moving money; another request with the key raises
:class:`~ecservice.errors.IdempotencyConflict`), and serialises its operations with one lock.

Every gateway exposes the same conservation views, per currency: ``buyer_balance``,
``total_buyer_balance`` (value held by open authorisations is *included*: it is still the
buyer's), ``held``, ``merchant_balance`` and ``total_value`` (buyers plus merchant), which no
operation changes. For the bearer instruments (e-cash, purses) ``held`` is what the gateway
reserves for its own authorisations; the buyer can still spend it elsewhere, and the capture then
declines.

Every gateway keeps its books (answers per key, authorisations, captures) in a
:class:`GatewayBook`: a :class:`MemoryBook` by default, or a book in a unit of work
(:class:`~ecservice.storage.StoredGatewayBook`, which writes each gateway's holds with its
:class:`HoldCodec`: :data:`WALLET_HOLDS` for the e-wallet gateway, :data:`PURSE_HOLDS` for the
purse gateway, :data:`ECASH_HOLDS` for the e-cash gateway), so that a gateway built anew
in another process finds what an earlier one did.

The e-cash and e-wallet modules need the ``crypto`` extra; the gateways import them only for type
checking and inside the methods that use them, so importing this package needs no
``cryptography``. The names are re-exported by :mod:`ecservice.payments`.
"""

from ecservice.payments.gateways._base import Authorization, AuthorizationState, Capture
from ecservice.payments.gateways._book import GatewayBook, HoldCodec, MemoryBook
from ecservice.payments.gateways._ecash import EcashGateway
from ecservice.payments.gateways._ecash_holds import ECASH_HOLDS
from ecservice.payments.gateways._purse import PURSE_HOLDS, PurseGateway
from ecservice.payments.gateways._wallet import WALLET_HOLDS, WalletGateway

__all__ = [
    "ECASH_HOLDS",
    "PURSE_HOLDS",
    "WALLET_HOLDS",
    "Authorization",
    "AuthorizationState",
    "Capture",
    "EcashGateway",
    "GatewayBook",
    "HoldCodec",
    "MemoryBook",
    "PurseGateway",
    "WalletGateway",
]
