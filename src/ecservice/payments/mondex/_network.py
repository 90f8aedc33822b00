"""Running the protocol: a one-call happy-path :func:`transfer`, and an in-memory
:class:`Network` whose channel can deliver, drop, duplicate, replay and reorder messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import final

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments.mondex._errors import SelfTransfer
from ecservice.payments.mondex._messages import (
    Ack,
    Outcome,
    PaymentDetails,
    ProtocolMessage,
    StartFrom,
    StartTo,
    check_purse_id,
    require,
)
from ecservice.payments.mondex._purse import Purse

__all__ = ["Network", "TransferResult", "transfer"]


@final
@attrs.frozen(slots=True)
class TransferResult:
    """The result of :func:`transfer`.

    Args:
        details: the payment made.
        outcomes: what each purse did, in order: start_from, start_to, req, val, ack.
    """

    details: PaymentDetails
    outcomes: tuple[Outcome, ...]

    @property
    def completed(self) -> bool:
        """``True`` when every step was accepted and the payer received the ack."""
        return all(o.accepted for o in self.outcomes) and any(
            isinstance(o.message, Ack) and o.accepted for o in self.outcomes
        )


def _start(
    from_purse: Purse, to_purse: Purse, value: Money
) -> tuple[PaymentDetails, Outcome, Outcome]:
    """Start a payment on both purses after checking both, so an error changes nothing.

    Returns the payment details and both start outcomes (the payee's carries the ``Req``).
    """
    if from_purse is to_purse or from_purse.id == to_purse.id:
        raise SelfTransfer(
            f"purse {from_purse.id!r} cannot pay itself: the payee must be another purse"
        )
    start_from = StartFrom(to_purse.id, value, to_purse.next_seq)
    start_to = StartTo(from_purse.id, value, from_purse.next_seq)
    to_purse._check_start_to(start_to)  # a busy payee is reported before a short payer
    details = from_purse._check_start_from(start_from)
    return details, from_purse.start_from(start_from), to_purse.start_to(start_to)


def transfer(from_purse: Purse, to_purse: Purse, value: Money) -> TransferResult:
    """Move ``value`` from one purse to another by running the whole protocol, losslessly.

    Both purses are checked before either changes, so an error leaves both as they were.

    Raises:
        InvalidAmount: ``value`` is not a positive :class:`~ecservice.money.Money`.
        SelfTransfer: both purses are the same.
        InvalidTransition: a purse is in the middle of another payment.
        InsufficientFunds: the payer holds less than ``value`` in its currency.
        BalanceLimitExceeded: the payee cannot take ``value`` (its limit in that currency, or
            more than an amount holds exactly): the transfer is all or nothing.
        ValidationError: a purse that is not a :class:`Purse`.
    """
    require(from_purse, Purse, "the paying purse")
    require(to_purse, Purse, "the receiving purse")
    details, started_from, started = _start(from_purse, to_purse, value)
    outcomes = [started_from, started]
    pending: list[ProtocolMessage] = list(started.emitted)
    while pending:
        message = pending.pop(0)
        target = from_purse if message.recipient == from_purse.id else to_purse
        outcome = target.receive(message)
        outcomes.append(outcome)
        pending.extend(outcome.emitted)
    return TransferResult(details, tuple(outcomes))


def _index(purses: Iterable[Purse]) -> dict[str, Purse]:
    given: object = purses
    if isinstance(given, (str, bytes, Purse)) or not isinstance(given, Iterable):
        raise ValidationError(f"a network needs an iterable of Purse, not {type(given).__name__}")
    by_id: dict[str, Purse] = {}
    for purse in purses:
        if not isinstance(purse, Purse):
            raise ValidationError(f"a network connects Purse objects, not {type(purse).__name__}")
        if purse.id in by_id:
            raise ValidationError(f"two purses named {purse.id!r}: purse ids must be unique")
        by_id[purse.id] = purse
    return by_id


@attrs.define(slots=True, eq=False)
class Network:
    """Purses connected by an unreliable channel, for tests, simulations and demonstrations.

    Messages the purses emit wait in :attr:`in_flight` until delivered (in any order), dropped,
    duplicated or replayed from :attr:`history`. Only messages a purse really emitted can ever be
    delivered: the channel loses, repeats and reorders, but never forges.

    Args:
        purses: the purses on the network; ids must be unique.
    """

    _purses: dict[str, Purse] = attrs.field(converter=_index, alias="purses")
    _in_flight: list[ProtocolMessage] = attrs.field(factory=list, init=False)
    _history: list[ProtocolMessage] = attrs.field(factory=list, init=False)

    @property
    def purses(self) -> Mapping[str, Purse]:
        """The purses, by id."""
        return MappingProxyType(self._purses)

    @property
    def in_flight(self) -> tuple[ProtocolMessage, ...]:
        """Messages sent and not yet delivered or dropped, in channel order."""
        return tuple(self._in_flight)

    @property
    def history(self) -> tuple[ProtocolMessage, ...]:
        """Every distinct message ever emitted, in the order first emitted."""
        return tuple(self._history)

    def purse(self, purse_id: str) -> Purse:
        """The purse named ``purse_id``.

        Raises:
            ValidationError: no such purse on this network.
        """
        try:
            return self._purses[check_purse_id(purse_id)]
        except KeyError:
            known = ", ".join(sorted(self._purses)) or "none"
            raise ValidationError(
                f"no purse {shown(purse_id)} on this network; purses: {known}"
            ) from None

    def _send(self, messages: Iterable[ProtocolMessage]) -> None:
        for message in messages:
            self._in_flight.append(message)
            if message not in self._history:
                self._history.append(message)

    def _at(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValidationError(f"message index must be an int, not {type(index).__name__}")
        if not 0 <= index < len(self._in_flight):
            raise ValidationError(
                f"no message at index {shown(index)}: {len(self._in_flight)} in flight "
                f"(valid indexes 0 to {len(self._in_flight) - 1})"
            )
        return index

    def start_transfer(self, from_id: str, to_id: str, value: Money) -> PaymentDetails:
        """Start a payment on both purses (as a terminal would) and send the payee's ``Req``.

        Raises:
            ValidationError: an unknown purse id; otherwise the errors of :func:`transfer`,
                raised before either purse changes.
        """
        details, _, started = _start(self.purse(from_id), self.purse(to_id), value)
        self._send(started.emitted)
        return details

    def start(self, purse_id: str, message: StartFrom | StartTo) -> Outcome:
        """Give one purse a terminal's start message, and send the ``Req`` it may emit.

        Unlike :meth:`start_transfer` this starts one side only, with whatever sequence number
        the message carries, so tests can model a terminal that reached only one purse or read a
        stale sequence number.

        Raises:
            ValidationError: an unknown purse id; otherwise the errors of
                :meth:`Purse.start_from` / :meth:`Purse.start_to`, raised before anything changes.
        """
        outcome = self.purse(purse_id).receive(message)
        self._send(outcome.emitted)
        return outcome

    def deliver(self, index: int = 0) -> Outcome:
        """Deliver the in-flight message at ``index`` to its recipient; send its replies."""
        message = self._in_flight.pop(self._at(index))
        outcome = self.purse(message.recipient).receive(message)
        self._send(outcome.emitted)
        return outcome

    def drop(self, index: int = 0) -> ProtocolMessage:
        """Lose the in-flight message at ``index``."""
        return self._in_flight.pop(self._at(index))

    def duplicate(self, index: int = 0) -> ProtocolMessage:
        """Put a second copy of the in-flight message at ``index`` at the end of the channel."""
        message = self._in_flight[self._at(index)]
        self._in_flight.append(message)
        return message

    def replay(self, message: ProtocolMessage) -> None:
        """Send again a message from :attr:`history` (an old, perhaps delivered, message).

        Raises:
            ValidationError: ``message`` was never emitted by a purse on this network.
        """
        if message not in self._history:
            raise ValidationError(
                f"cannot replay {shown(message)}: only messages a purse emitted can be replayed"
            )
        self._in_flight.append(message)

    def reorder(self, order: Sequence[int]) -> None:
        """Permute the channel: the message at ``order[i]`` moves to position ``i``.

        Raises:
            ValidationError: ``order`` is not a permutation of the in-flight indexes.
        """
        given: object = order
        if (
            not isinstance(given, Iterable)
            or isinstance(given, (str, bytes))
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in order)
            or sorted(order) != list(range(len(self._in_flight)))
        ):
            raise ValidationError(
                f"order {shown(order)} must be a permutation of 0 to {len(self._in_flight) - 1}"
            )
        self._in_flight = [self._in_flight[i] for i in order]

    def abort(self, purse_id: str) -> Outcome:
        """Abort the current payment of purse ``purse_id``."""
        return self.purse(purse_id).abort()

    def run(self, limit: int = 10_000) -> tuple[Outcome, ...]:
        """Deliver messages first-in first-out until the channel is empty (or ``limit`` steps)."""
        outcomes: list[Outcome] = []
        while self._in_flight and len(outcomes) < limit:
            outcomes.append(self.deliver(0))
        return tuple(outcomes)
