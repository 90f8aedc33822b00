"""The open authorisations per instrument of a stored gateway book, as documents.

Private to :mod:`ecservice.storage`. A :class:`~ecservice.storage.StoredGatewayBook` keeps, for
each instrument it authorised on, one ``"gateway_reservations"`` document: the references and
amounts of the gateway's *open* authorisations on that instrument, changed (on the version
read) whenever one is made, captured or voided. A bearer instrument's gateway (the purse
gateway) subtracts what it lists from the instrument's balance before it authorises more, so
two processes that authorise on one purse at once cannot both reserve the same value: their
writes of the document conflict, and the retry counts the other's authorisation.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, final

import attrs

from ecservice._shown import shown
from ecservice.clock import Clock
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.storage._errors import DocumentError
from ecservice.storage._instrument_base import InstrumentSerializer
from ecservice.text import check_key, check_text

__all__ = [
    "RESERVATIONS_SERIALIZER",
    "ReservationsSerializer",
    "StoredReservations",
    "reservations_id",
]

#: Longest document id the aggregates' table holds.
_ID_MAX: Final = 200


def reservations_id(gateway: str, instrument: str) -> str:
    """The id of the ``"gateway_reservations"`` document of ``instrument`` at ``gateway``:
    ``"{len(gateway)}:{gateway}:{instrument}"``, or ``"{len(gateway)}:{gateway}#sha256:{digest
    of instrument}"`` when that would be longer than the 200 characters of a document id."""
    head = f"{len(gateway)}:{gateway}"
    full = f"{head}:{instrument}"
    if len(full) <= _ID_MAX:
        return full
    return f"{head}#sha256:{hashlib.sha256(instrument.encode('utf-8')).hexdigest()}"


@final
class StoredReservations:
    """The open authorisations of the gateway ``gateway`` on ``instrument`` (reference to
    amount), at ``version`` (1 when first written, one more per change)."""

    __slots__ = ("gateway", "instrument", "open", "version")

    def __init__(
        self, gateway: str, instrument: str, open_: dict[str, Money], version: int
    ) -> None:
        self.gateway = gateway
        self.instrument = instrument
        self.open = open_
        self.version = version

    @property
    def id(self) -> str:
        """:func:`reservations_id` of the gateway and the instrument."""
        return reservations_id(self.gateway, self.instrument)

    def __repr__(self) -> str:
        return (
            f"StoredReservations({self.gateway!r}, {self.instrument!r}, open={len(self.open)}, "
            f"version={self.version})"
        )


@attrs.frozen
class _Open:
    id: str
    amount: Money


@final
class ReservationsSerializer(InstrumentSerializer[StoredReservations]):
    """Writes :class:`StoredReservations` as ``"gateway_reservations"`` documents and reads
    them back.

    The body holds ``gateway``, ``instrument`` and ``open`` (a list of ``id`` and ``amount``,
    ordered by id, each id once, each amount positive); the id must be
    :func:`reservations_id` of the gateway and the instrument, the version at least 1.
    Anything else raises :class:`~ecservice.storage.DocumentError`.
    """

    _type_name = "gateway_reservations"
    _object_type = StoredReservations
    _body = (("gateway", str), ("instrument", str), ("open", tuple[_Open, ...]))

    def _values(self, obj: StoredReservations) -> tuple[str, int, dict[str, Any]]:
        listed = tuple(_Open(i, obj.open[i]) for i in sorted(obj.open))
        return (
            obj.id,
            obj.version,
            {"gateway": obj.gateway, "instrument": obj.instrument, "open": listed},
        )

    def _build(
        self, ident: str, version: int, values: dict[str, Any], clock: Clock
    ) -> StoredReservations:
        subject = f"{self._type_name} document {shown(ident, 80)}"
        problems: list[str] = []
        for what, limit in (("gateway", 40), ("instrument", 200)):
            try:
                if check_text(values[what], what, limit=limit) != values[what]:
                    problems.append(f"body.{what}: must not start or end with white space")
            except ValidationError as exc:
                problems.append(f"body.{what}: {exc}")
        if version < 1:
            problems.append(f"version: must be at least 1, not {version}")
        listed: tuple[_Open, ...] = values["open"]
        ids = [entry.id for entry in listed]
        if ids != sorted(set(ids)):
            problems.append("body.open: the references must be ordered and each listed once")
        for n, entry in enumerate(listed):
            try:
                check_key(entry.id, "a reference")
            except ValidationError as exc:
                problems.append(f"body.open[{n}].id: {exc}")
            if entry.amount.is_negative() or entry.amount.is_zero():
                problems.append(f"body.open[{n}].amount: must be positive, not {entry.amount}")
        if not problems and ident != reservations_id(values["gateway"], values["instrument"]):
            problems.append(
                f"id: must be {reservations_id(values['gateway'], values['instrument'])!r}, "
                "made of the gateway and the instrument"
            )
        if problems:
            raise DocumentError(subject, problems)
        return StoredReservations(
            values["gateway"],
            values["instrument"],
            {entry.id: entry.amount for entry in listed},
            version,
        )


#: The serializer of ``"gateway_reservations"`` documents.
RESERVATIONS_SERIALIZER: Final = ReservationsSerializer()
