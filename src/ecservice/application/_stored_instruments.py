"""What the services over stored payment instruments share (internal): the instruments of one
unit of work, read on demand and saved when they changed, and one gateway call run in a unit of
work whose decline is checked against the current state."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar, final

from ecservice.application._runner import UseCaseRunner
from ecservice.money import Money
from ecservice.payments import GatewayResponse
from ecservice.payments.gateways import HoldCodec
from ecservice.storage import Repository, StoredGatewayBook, UnitOfWork
from ecservice.text import check_key

__all__ = ["StoredInstruments", "perform_stored", "stored_outcome", "stored_reservations"]


class _Versioned(Protocol):
    @property
    def version(self) -> int: ...


InstrumentT = TypeVar("InstrumentT", bound=_Versioned)
G = TypeVar("G")
R = TypeVar("R")


@final
class StoredInstruments(Mapping[str, InstrumentT]):
    """The instruments (e-wallets, purses) of one unit of work, read from ``repo`` when the
    gateway first asks for one; iterating gives those read so far."""

    __slots__ = ("_loaded", "_repo")

    def __init__(self, repo: Repository[InstrumentT]) -> None:
        self._repo = repo
        self._loaded: dict[str, tuple[InstrumentT, int]] = {}

    def __getitem__(self, instrument_id: str) -> InstrumentT:
        found = self._loaded.get(instrument_id) if type(instrument_id) is str else None
        if found is not None:
            return found[0]
        ok = type(instrument_id) is str and instrument_id
        instrument = self._repo.find(instrument_id) if ok else None
        if instrument is None:
            raise KeyError(instrument_id)
        self._loaded[instrument_id] = (instrument, instrument.version)
        return instrument

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded)

    def __len__(self) -> int:
        return len(self._loaded)

    def save_changed(self) -> None:
        """Save every instrument read whose version moved (money moved, a wrong PIN counted,
        an aborted transfer logged)."""
        for instrument, version in self._loaded.values():
            if instrument.version != version:
                self._repo.save(instrument)


def perform_stored(
    run: UseCaseRunner,
    build: Callable[[UnitOfWork], tuple[G, StoredInstruments[InstrumentT]]],
    act: Callable[[G], R],
) -> R:
    """``act`` on the gateway ``build`` makes in a unit of work run by ``run``; the changed
    instruments are saved with the gateway's books. A decline writes no book entry, so no
    conflict would tell that it rested on reads another process changed in between (READ
    COMMITTED): before answering one, the unit of work checks that nothing it read changed
    (:meth:`~ecservice.storage.UnitOfWork.check_unchanged`) and runs again if it did."""

    def work(uow: UnitOfWork) -> R:
        gateway, instruments = build(uow)
        answer = act(gateway)
        if isinstance(answer, GatewayResponse) and not answer.approved:
            uow.check_unchanged()
        instruments.save_changed()
        return answer

    return run(work)


def stored_outcome(
    run: UseCaseRunner, name: str, holds: HoldCodec[Any], idempotency_key: str
) -> GatewayResponse | None:
    """The approved answer the gateway ``name`` stored for ``idempotency_key`` (its books
    written with ``holds``), or ``None``: what the services' ``outcome`` answers.

    Raises:
        ValidationError: ``idempotency_key`` is not acceptable text.
        DocumentError: the stored answer is malformed.
        TransientStorageError: every attempt failed.
    """
    check_key(idempotency_key)

    def work(uow: UnitOfWork) -> GatewayResponse | None:
        found = StoredGatewayBook(uow, name, holds).answer(idempotency_key)
        return None if found is None else found[1]

    return run(work)


def stored_reservations(
    run: UseCaseRunner, name: str, holds: HoldCodec[Any], instrument: str, what: str
) -> dict[str, Money]:
    """The open authorisations the gateway ``name`` keeps on ``instrument``, by reference:
    what the services' ``reserved`` answers (``what`` names the instrument in errors).

    Raises:
        ValidationError: ``instrument`` is not acceptable text.
        DocumentError: the stored list is malformed.
        TransientStorageError: every attempt failed.
    """
    check_key(instrument, what)
    return run(lambda uow: StoredGatewayBook(uow, name, holds).reservations(instrument))
