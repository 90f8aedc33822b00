"""Where an instrument gateway keeps its books: answers per key, authorisations, captures.

An :class:`~ecservice.payments.gateways.InstrumentGatewayBase` gateway (the e-cash, purse,
e-wallet and draft gateways) keeps three things besides the instruments it moves: the approved
answer given for each idempotency key with the fingerprint of its request, the authorisations
it made (each with its capture and refunds), and a source of new references. The
:class:`GatewayBook` protocol names them; :class:`MemoryBook` keeps them in the gateway's
process (the default: a gateway built anew knows nothing of an earlier one), and
:class:`~ecservice.storage.StoredGatewayBook` keeps them in a unit of work, so that every
process of a shop sees one book and storage enforces that money moves once.

A stored book writes each authorisation's hold through a :class:`HoldCodec`: the part of an
authorisation that only its gateway understands (for the e-wallet gateway, the buyer's wallet
id and the hold id, :data:`~ecservice.payments.gateways.WALLET_HOLDS`; for the purse gateway,
the purse id, :data:`~ecservice.payments.gateways.PURSE_HOLDS`).

A book also answers which authorisations are open on an instrument
(:meth:`GatewayBook.reservations`): a bearer instrument (a purse) holds nothing back itself, so
its gateway subtracts them from the balance; a stored book keeps that list as a document per
instrument, so the answer is the same in every process.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, Protocol, TypeVar, final, runtime_checkable

from ecservice._shown import shown
from ecservice.errors import IdempotencyConflict, ValidationError
from ecservice.payments._card_numbers import looks_like_card_number
from ecservice.payments._gateway import GatewayResponse
from ecservice.text import check_text

if TYPE_CHECKING:
    from ecservice.money import Money
    from ecservice.payments.gateways._base import Authorization, Capture

__all__ = [
    "REFERENCE_KINDS",
    "GatewayBook",
    "HoldCodec",
    "MemoryBook",
    "conflict",
    "unique_reference",
]

H = TypeVar("H")

#: The kinds of references a gateway hands out: authorisations, captures and refunds.
REFERENCE_KINDS: Final = ("auth", "cap", "ref")

#: The namespace of the references derived from another text (:func:`unique_reference`).
_NAMESPACE: Final = uuid.UUID("6f1d9a4e-4c0b-5d57-9b7e-2f0c3a8d1e55")


def conflict(owner: str, key: str, seen: str, fingerprint: str) -> IdempotencyConflict:
    """The error of an idempotency key used at ``owner`` for the request ``seen`` and now for
    ``fingerprint``."""
    return IdempotencyConflict(
        f"idempotency key {key!r} was used at {owner} for {seen!r}; this request is "
        f"{fingerprint!r}: a retry must repeat its request exactly (if the amount changed "
        "after a lost answer, see OrderPayments.recover); only a new request gets a new key"
    )


def unique_reference(name: str, what: str, of: str | None = None) -> str:
    """A reference ``"{name}-{what}-{32 hex digits}"`` unique across processes and machines:
    random (UUID version 4), or, given ``of``, derived from ``name``, ``what`` and ``of``
    (UUID version 5), so that every process derives the same one. A reference that holds
    something shaped like a card number (a run of 13 to 19 digits passing the Luhn check, which
    the e-wallets refuse in their ledgers) is drawn again (a derived one from ``of`` and the
    number of the draw)."""
    text = ""
    for attempt in range(64):  # a name that is card-shaped itself would never pass
        if of is None:
            digits = uuid.uuid4().hex
        else:
            seed = f"{name}\n{what}\n{of}" + (f"\n{attempt}" if attempt else "")
            digits = uuid.uuid5(_NAMESPACE, seed).hex
        text = f"{name}-{what}-{digits}"
        if not looks_like_card_number(text):
            break
    return text


@runtime_checkable
class HoldCodec(Protocol[H]):
    """Writes a gateway's holds as JSON-ready objects of text values and reads them back.

    ``dump(load(data)) == data`` for every ``data`` that ``load`` accepts.
    """

    @property
    def fields(self) -> tuple[str, ...]:
        """The keys of a written hold, in the order they are written."""

    def dump(self, hold: H) -> dict[str, str]:
        """``hold`` as ``{field: text}``.

        Raises:
            ValidationError: ``hold`` is not a hold of this codec's gateway.
        """

    def load(self, data: Mapping[str, str]) -> H:
        """The hold ``data`` holds (every key of :attr:`fields`, each a str).

        Raises:
            ValidationError: a value is not acceptable (the message names the field).
        """


class GatewayBook(Protocol[H]):
    """The books of one instrument gateway (see the module's description).

    A gateway holds its lock around every call, so a book needs no lock of its own. A book
    hands out the :class:`~ecservice.payments.gateways.Authorization` objects it holds (the
    same object for the same reference, while the book lives); the gateway changes them and
    gives each back to :meth:`put` after every change.
    """

    @property
    def authorizations(self) -> dict[str, Authorization[H]]:
        """The authorisations this book holds in memory, by reference; a stored book holds
        those made or read through it. The views of a gateway (``held``) sum over these."""

    @property
    def captures(self) -> dict[str, Capture[H]]:
        """The captures of :attr:`authorizations`, by reference."""

    def authorization(self, reference: str) -> Authorization[H] | None:
        """The authorisation ``reference`` (a stored book reads it), or ``None``.

        Raises:
            DocumentError: a stored book found it malformed.
        """

    def capture(self, reference: str) -> Capture[H] | None:
        """The capture ``reference`` (a stored book reads its authorisation), or ``None``."""

    def put(self, authorization: Authorization[H]) -> None:
        """Keep ``authorization`` (new, or changed: captured, voided, refunded) with its
        capture and refunds.

        Raises:
            ConcurrencyConflict: a stored book found it changed (or made) by someone else
                since it was read; nothing is written.
        """

    def answer(self, key: str) -> tuple[str, GatewayResponse] | None:
        """The fingerprint of the request and the approved answer stored for ``key``, or
        ``None``."""

    def keep(self, key: str, fingerprint: str, answer: GatewayResponse) -> None:
        """Store the approved ``answer`` to the request ``fingerprint`` for ``key``.

        Raises:
            ConcurrencyConflict: a stored book found an answer stored for ``key`` by someone
                else meanwhile (the retry finds it).
        """

    def reservations(self, instrument: str) -> dict[str, Money]:
        """The open authorisations on ``instrument``, by reference, with their amounts: all
        of them, whoever made them (a stored book reads its index of them, so the answer is
        exact across processes; a bearer instrument's gateway subtracts it from the balance).

        Raises:
            DocumentError: a stored book found its index malformed.
        """

    def reference(self, what: str, *, of: str | None = None) -> str:
        """A new reference of kind ``what`` (``"auth"``, ``"cap"`` or ``"ref"``), never handed
        out before by this book. ``of`` is what it belongs to (the authorisation of a capture,
        a purchase): a stored book derives the reference from it, so that every process makes
        the same one."""


@final
class MemoryBook(GatewayBook[H]):
    """Books kept in the gateway's process: the default.

    References are ``"{name}-{what}-{n}"`` with ``n`` counting from 1 over all kinds, unique
    only within this book.

    >>> from ecservice.payments.gateways import MemoryBook
    >>> book: MemoryBook[str] = MemoryBook("gw")
    >>> book.reference("auth"), book.reference("cap", of="gw-auth-1")
    ('gw-auth-1', 'gw-cap-2')

    Args:
        name: the gateway's name (the prefix of the references and the owner named in
            messages).

    Raises:
        ValidationError: ``name`` is not acceptable text.
    """

    __slots__ = ("_answers", "_auths", "_captures", "_ids", "name")

    def __init__(self, name: str) -> None:
        self.name = check_text(name, "a gateway name", limit=40)
        self._auths: dict[str, Authorization[H]] = {}
        self._captures: dict[str, Capture[H]] = {}
        self._answers: dict[str, tuple[str, GatewayResponse]] = {}
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"MemoryBook({self.name!r}, answers={len(self._answers)})"

    @property
    def authorizations(self) -> dict[str, Authorization[H]]:
        return self._auths

    @property
    def captures(self) -> dict[str, Capture[H]]:
        return self._captures

    def authorization(self, reference: str) -> Authorization[H] | None:
        return self._auths.get(reference)

    def capture(self, reference: str) -> Capture[H] | None:
        return self._captures.get(reference)

    def put(self, authorization: Authorization[H]) -> None:
        self._auths[authorization.id] = authorization
        if authorization.capture is not None:
            self._captures[authorization.capture.id] = authorization.capture

    def answer(self, key: str) -> tuple[str, GatewayResponse] | None:
        return self._answers.get(key)

    def keep(self, key: str, fingerprint: str, answer: GatewayResponse) -> None:
        seen = self._answers.get(key)
        if seen is not None and seen[0] != fingerprint:
            raise conflict(self.name, key, seen[0], fingerprint)
        self._answers[key] = (fingerprint, answer)

    def reservations(self, instrument: str) -> dict[str, Money]:
        return {
            a.id: a.amount for a in self._auths.values() if a.is_open and a.instrument == instrument
        }

    def reference(self, what: str, *, of: str | None = None) -> str:
        if what not in REFERENCE_KINDS:
            raise ValidationError(f"a reference is one of {REFERENCE_KINDS}, not {shown(what)}")
        return f"{self.name}-{what}-{next(self._ids)}"
