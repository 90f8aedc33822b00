"""Instrument gateways' books as documents: authorisations and the answers per idempotency key.

A :class:`StoredGatewayBook` keeps the books of one instrument gateway
(:class:`~ecservice.payments.gateways.GatewayBook`) in a unit of work, as two document types
in the aggregates' table:

* ``"gateway_authorization"``: one document per authorisation, id the authorisation's
  reference, with its capture, refunds and hold (written by the gateway's
  :class:`~ecservice.payments.gateways.HoldCodec`). Every change is a save conditional on the
  version read, so two processes that capture, void or refund the same authorisation at once
  cannot both succeed: one gets :class:`~ecservice.errors.ConcurrencyConflict`, and its retry
  sees what the other did (a capture replayed, a refund bounded by what is left).
* ``"gateway_answer"``: one document per approved answer, id :func:`answer_id` of the gateway's
  name and the key, inserted once and never changed. Two processes that move money under one
  key conflict on the insert; the retry finds the stored answer and moves nothing.
* ``"gateway_reservations"``: one document per instrument, listing the open authorisations on
  it with their amounts (see :mod:`ecservice.storage._gateway_reservations`), changed whenever
  one opens or closes; the purse gateway subtracts them from a purse's balance.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, Generic, TypeVar, final

import attrs

from ecservice._shown import shown
from ecservice.clock import Clock
from ecservice.errors import EcServiceError, ValidationError
from ecservice.money import Money, sum_money
from ecservice.payments import GatewayResponse
from ecservice.payments.gateways import AuthorizationState, GatewayBook, HoldCodec
from ecservice.payments.gateways._base import Authorization, Capture
from ecservice.payments.gateways._book import REFERENCE_KINDS, unique_reference
from ecservice.storage._errors import DocumentError
from ecservice.storage._gateway_reservations import (
    RESERVATIONS_SERIALIZER,
    StoredReservations,
)
from ecservice.storage._gateway_reservations import reservations_id as _reservations_id
from ecservice.storage._instrument_base import InstrumentSerializer
from ecservice.storage._repository import Repository, UnitOfWork
from ecservice.text import LONG_TEXT_MAX, check_key, check_text

__all__ = [
    "ANSWER_SERIALIZER",
    "AnswerSerializer",
    "AuthorizationSerializer",
    "StoredAnswer",
    "StoredAuthorization",
    "StoredGatewayBook",
    "answer_id",
]

H = TypeVar("H")

#: Longest document id the aggregates' table holds.
_ID_MAX: Final = 200


def answer_id(gateway: str, key: str) -> str:
    """The id of the ``"gateway_answer"`` document of ``key`` at ``gateway``:
    ``"{len(gateway)}:{gateway}:{key}"`` (the length keeps two gateways' keys apart whatever
    they hold), or ``"{len(gateway)}:{gateway}#sha256:{digest of key}"`` when that would be
    longer than the 200 characters of a document id."""
    head = f"{len(gateway)}:{gateway}"
    full = f"{head}:{key}"
    if len(full) <= _ID_MAX:
        return full
    return f"{head}#sha256:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


# --- authorisations ------------------------------------------------------------------------------


@final
class StoredAuthorization(Generic[H]):
    """An authorisation of the gateway ``gateway`` as stored, at ``version`` (1 when made,
    one more per change)."""

    __slots__ = ("authorization", "gateway", "version")

    def __init__(self, gateway: str, authorization: Authorization[H], version: int) -> None:
        self.gateway = gateway
        self.authorization = authorization
        self.version = version

    @property
    def id(self) -> str:
        """The authorisation's reference."""
        return self.authorization.id

    def __repr__(self) -> str:
        return f"StoredAuthorization({self.gateway!r}, {self.id!r}, version={self.version})"


@attrs.frozen
class _Refund:
    id: str
    amount: Money


@attrs.frozen
class _Capture:
    id: str
    amount: Money
    refunds: tuple[_Refund, ...]


class AuthorizationSerializer(InstrumentSerializer[StoredAuthorization[H]]):
    """Writes the authorisations of the gateway ``gateway`` as ``"gateway_authorization"``
    documents and reads them back.

    The body holds ``gateway``, ``payment``, ``instrument``, ``amount``, ``state``
    (``"OPEN"``, ``"CAPTURED"`` or ``"VOIDED"``), ``hold`` (``{field: text}`` as the codec
    writes it) and ``capture`` (``null``, or its ``id``, ``amount`` and ``refunds``, each an
    ``id`` and an ``amount``). Reading checks what the gateway relies on: a positive amount, a
    capture exactly when captured, of at most the authorisation in its currency, refunds of at
    most the capture; anything else raises :class:`DocumentError`.
    """

    _type_name = "gateway_authorization"
    _object_type = StoredAuthorization  # type: ignore[assignment]  # the class of every H
    _body = (
        ("gateway", str),
        ("payment", str),
        ("instrument", str),
        ("amount", Money),
        ("state", AuthorizationState),
        ("hold", dict[str, Any]),
        ("capture", _Capture | None),
    )

    def __init__(self, gateway: str, holds: HoldCodec[H]) -> None:
        super().__init__()
        self.gateway = check_text(gateway, "a gateway name", limit=40)
        self.holds = holds

    def _values(self, obj: StoredAuthorization[H]) -> tuple[str, int, dict[str, Any]]:
        auth = obj.authorization
        cap = auth.capture
        try:
            hold = self.holds.dump(auth.hold)
        except EcServiceError as exc:
            raise DocumentError(f"{self._type_name} {auth.id!r}", [f"hold: {exc}"]) from exc
        return (
            auth.id,
            obj.version,
            {
                "gateway": obj.gateway,
                "payment": auth.payment,
                "instrument": auth.instrument,
                "amount": auth.amount,
                "state": auth.state,
                "hold": hold,
                "capture": None
                if cap is None
                else _Capture(cap.id, cap.amount, tuple(_Refund(i, a) for i, a in cap.refunds)),
            },
        )

    def _build(
        self, ident: str, version: int, values: dict[str, Any], clock: Clock
    ) -> StoredAuthorization[H]:
        subject = f"{self._type_name} document {shown(ident, 80)}"
        problems: list[str] = []
        if values["gateway"] != self.gateway:
            problems.append(
                f"body.gateway: must be {self.gateway!r}, the gateway reading it, not "
                f"{shown(values['gateway'], 60)}"
            )
        if version < 1:
            problems.append(f"version: must be at least 1, not {version}")
        for what in ("payment", "instrument"):
            try:
                check_key(values[what], what)
            except ValidationError as exc:
                problems.append(f"body.{what}: {exc}")
        try:
            check_key(ident, "id")
        except ValidationError as exc:
            problems.append(f"id: {exc}")
        amount: Money = values["amount"]
        if not _positive(amount):
            problems.append(f"body.amount: must be positive, not {amount}")
        hold = self._hold(values["hold"], problems)
        state: AuthorizationState = values["state"]
        stored: _Capture | None = values["capture"]
        if (state is AuthorizationState.CAPTURED) != (stored is not None):
            problems.append(
                f"body.capture: must be present exactly when the state is CAPTURED (it is "
                f"{state.name})"
            )
        if stored is not None:
            problems += _capture_problems(ident, amount, stored)
        if problems or hold is None:
            raise DocumentError(subject, problems)
        auth: Authorization[H] = Authorization(
            ident, values["payment"], values["instrument"], amount, hold, state
        )
        if stored is not None:
            refunds = tuple((r.id, r.amount) for r in stored.refunds)
            refunded = sum_money((a for _, a in refunds), amount.currency)
            auth.capture = Capture(stored.id, auth, stored.amount, refunded, refunds)
        return StoredAuthorization(self.gateway, auth, version)

    def _hold(self, data: dict[str, Any], problems: list[str]) -> H | None:
        fields = tuple(self.holds.fields)
        if set(data) != set(fields) or any(type(v) is not str for v in data.values()):
            problems.append(f"body.hold: must be an object of the texts {', '.join(fields)}")
            return None
        try:
            return self.holds.load(data)
        except EcServiceError as exc:
            problems.append(f"body.hold: {exc}")
            return None


def _positive(amount: Money) -> bool:
    return not amount.is_negative() and not amount.is_zero()


def _capture_problems(ident: str, amount: Money, stored: _Capture) -> list[str]:
    problems: list[str] = []
    cur = amount.currency
    if stored.amount.currency != cur or not _positive(stored.amount) or stored.amount > amount:
        problems.append(
            f"body.capture.amount: must be positive and at most the authorisation's {amount}, "
            f"not {stored.amount}"
        )
    ids = [ident, stored.id, *(r.id for r in stored.refunds)]
    for n, value in enumerate(ids[1:]):
        try:
            check_key(value, "a reference")
        except ValidationError as exc:
            where = "capture.id" if n == 0 else f"capture.refunds[{n - 1}].id"
            problems.append(f"body.{where}: {exc}")
    if len(set(ids)) != len(ids):
        problems.append("body.capture: the capture and refund references must all differ")
    if any(r.amount.currency != cur or not _positive(r.amount) for r in stored.refunds):
        problems.append(f"body.capture.refunds: every refund must be a positive amount of {cur}")
    elif stored.amount.currency == cur:
        refunded = sum_money((r.amount for r in stored.refunds), cur)
        if refunded > stored.amount:
            problems.append(
                f"body.capture.refunds: {refunded} refunded is more than the {stored.amount} "
                "captured"
            )
    return problems


# --- answers -------------------------------------------------------------------------------------


@final
@attrs.frozen
class StoredAnswer:
    """The approved ``answer`` the gateway ``gateway`` gave under ``key`` to the request
    ``fingerprint`` (stored once: its version is always 1)."""

    gateway: str
    key: str
    fingerprint: str
    answer: GatewayResponse

    @property
    def id(self) -> str:
        """:func:`answer_id` of the gateway and the key."""
        return answer_id(self.gateway, self.key)


@final
class AnswerSerializer(InstrumentSerializer[StoredAnswer]):
    """Writes approved gateway answers as ``"gateway_answer"`` documents and reads them back.

    The body holds ``gateway``, ``key``, ``fingerprint``, ``reference``, ``message`` and
    ``amount`` (``null`` or an amount); the id must be :func:`answer_id` of the gateway and the
    key, and the version 1.
    """

    _type_name = "gateway_answer"
    _object_type = StoredAnswer
    _body = (
        ("gateway", str),
        ("key", str),
        ("fingerprint", str),
        ("reference", str),
        ("message", str),
        ("amount", Money | None),
    )

    def _values(self, obj: StoredAnswer) -> tuple[str, int, dict[str, Any]]:
        answer = obj.answer
        return (
            obj.id,
            1,
            {
                "gateway": obj.gateway,
                "key": obj.key,
                "fingerprint": obj.fingerprint,
                "reference": answer.reference,
                "message": answer.message,
                "amount": answer.amount,
            },
        )

    def _build(
        self, ident: str, version: int, values: dict[str, Any], clock: Clock
    ) -> StoredAnswer:
        subject = f"{self._type_name} document {shown(ident, 80)}"
        problems: list[str] = []
        limits = {"gateway": 40, "key": 200, "fingerprint": LONG_TEXT_MAX, "reference": 200}
        for what, limit in limits.items():
            try:
                if check_text(values[what], what, limit=limit) != values[what]:
                    problems.append(f"body.{what}: must not start or end with white space")
            except ValidationError as exc:
                problems.append(f"body.{what}: {exc}")
        if len(values["message"]) > LONG_TEXT_MAX:
            problems.append(f"body.message: must be at most {LONG_TEXT_MAX} characters")
        amount: Money | None = values["amount"]
        if amount is not None and amount.is_negative():
            problems.append(f"body.amount: must not be negative, not {amount}")
        if version != 1:
            problems.append(f"version: an answer is stored once, at version 1, not {version}")
        if not problems and ident != answer_id(values["gateway"], values["key"]):
            problems.append(
                f"id: must be {answer_id(values['gateway'], values['key'])!r}, made of the "
                "gateway and the key"
            )
        if problems:
            raise DocumentError(subject, problems)
        answer = GatewayResponse(
            approved=True, reference=values["reference"], message=values["message"], amount=amount
        )
        return StoredAnswer(values["gateway"], values["key"], values["fingerprint"], answer)


#: The serializer of ``"gateway_answer"`` documents.
ANSWER_SERIALIZER: Final = AnswerSerializer()


# --- the book ------------------------------------------------------------------------------------


@final
class StoredGatewayBook(GatewayBook[H]):
    """The books of the gateway ``name`` kept in the unit of work ``uow`` (see
    :class:`~ecservice.payments.gateways.GatewayBook`).

    Authorisations are read when the gateway asks for them and written (inserted, or saved on
    the version read) at each change; each approved answer is inserted under an id made of the
    gateway's name and the key. The open authorisations on each instrument are listed in a
    ``"gateway_reservations"`` document of that instrument, changed on the version read when
    one opens or closes (:meth:`reservations`): two units of work that authorise on one
    instrument conflict.
    Nothing is kept unless the unit of work commits, and a conflict with another process
    (:class:`~ecservice.errors.ConcurrencyConflict`) means: run the whole unit of work again
    (:func:`~ecservice.storage.run_in_transaction`). Build a new book (and gateway) per unit of
    work; the gateway's ``held`` then counts only the authorisations read or made through it.

    References are ``"{name}-auth-{32 hex digits}"`` from a random UUID (or derived from what
    they belong to, the same in every process: a dual-signed purchase), captures
    ``"{name}-cap-..."`` with the digits of their authorisation, refunds derived from the
    capture and their number; so references are unique across processes and machines.

    Args:
        uow: the unit of work (one transaction) the books are read and written in.
        name: the gateway's name (its references' prefix; the documents name it).
        holds: how the gateway's holds are written
            (:data:`~ecservice.payments.gateways.WALLET_HOLDS` for the e-wallet gateway,
            :data:`~ecservice.payments.gateways.PURSE_HOLDS` for the purse gateway).

    Raises:
        ValidationError: ``name`` is not acceptable text, ``holds`` is not a
            :class:`~ecservice.payments.gateways.HoldCodec`, or ``uow`` has no ``repository``.
    """

    __slots__ = (
        "_answers",
        "_auths",
        "_captures",
        "_found",
        "_records",
        "_repo",
        "_reserved",
        "_reserves",
        "name",
    )

    def __init__(self, uow: UnitOfWork, name: str, holds: HoldCodec[H]) -> None:
        if not isinstance(holds, HoldCodec):
            raise ValidationError(f"holds must be a HoldCodec, not {shown(holds)}")
        if not callable(getattr(uow, "repository", None)):
            raise ValidationError(f"uow must be a UnitOfWork, not {shown(uow)}")
        serializer: AuthorizationSerializer[H] = AuthorizationSerializer(name, holds)
        self.name = serializer.gateway
        self._repo: Repository[StoredAuthorization[H]] = uow.repository(serializer)
        self._found: Repository[StoredAnswer] = uow.repository(ANSWER_SERIALIZER)
        self._records: dict[str, StoredAuthorization[H]] = {}
        self._auths: dict[str, Authorization[H]] = {}
        self._captures: dict[str, Capture[H]] = {}
        self._answers: dict[str, StoredAnswer] = {}
        self._reserves: Repository[StoredReservations] = uow.repository(RESERVATIONS_SERIALIZER)
        self._reserved: dict[str, StoredReservations | None] = {}

    def __repr__(self) -> str:
        return f"StoredGatewayBook({self.name!r}, read={len(self._records)})"

    @property
    def authorizations(self) -> dict[str, Authorization[H]]:
        """The authorisations read or made through this book, by reference."""
        return self._auths

    @property
    def captures(self) -> dict[str, Capture[H]]:
        """The captures of :attr:`authorizations`, by reference."""
        return self._captures

    def _index(self, record: StoredAuthorization[H]) -> None:
        auth = record.authorization
        self._records[auth.id] = record
        self._auths[auth.id] = auth
        if auth.capture is not None:
            self._captures[auth.capture.id] = auth.capture

    def authorization(self, reference: str) -> Authorization[H] | None:
        """The authorisation ``reference``, read from the unit of work the first time.

        Raises:
            DocumentError: its document is malformed or belongs to another gateway.
        """
        found = self._auths.get(reference)
        if found is not None or type(reference) is not str:
            return found
        if not reference.startswith(f"{self.name}-auth-") or len(reference) > _ID_MAX:
            return None
        record = self._repo.find(reference)
        if record is None:
            return None
        if record.gateway != self.name:  # pragma: no cover - the serializer checks it
            return None
        self._index(record)
        return record.authorization

    def capture(self, reference: str) -> Capture[H] | None:
        """The capture ``reference``, read with its authorisation.

        Raises:
            DocumentError: the authorisation's document is malformed.
        """
        found = self._captures.get(reference)
        prefix = f"{self.name}-cap-"
        if found is not None or type(reference) is not str or not reference.startswith(prefix):
            return found
        self.authorization(f"{self.name}-auth-{reference[len(prefix) :]}")
        return self._captures.get(reference)

    def _reservations_of(self, instrument: str) -> StoredReservations | None:
        if instrument in self._reserved:
            return self._reserved[instrument]
        found = self._reserves.find(_reservations_id(self.name, instrument))
        if found is not None and (found.gateway != self.name or found.instrument != instrument):
            found = None  # pragma: no cover - the id names both
        self._reserved[instrument] = found
        return found

    def reservations(self, instrument: str) -> dict[str, Money]:
        """The open authorisations on ``instrument`` by reference, with their amounts, as the
        instrument's ``"gateway_reservations"`` document lists them (read the first time;
        authorisations made before the book kept that document are not listed).

        Raises:
            DocumentError: the document is malformed.
        """
        if type(instrument) is not str:
            return {}
        found = self._reservations_of(instrument)
        return {} if found is None else dict(found.open)

    def _reserve(self, authorization: Authorization[H]) -> None:
        """List ``authorization`` on its instrument while it is open; unlist it once not."""
        found = self._reservations_of(authorization.instrument)
        ref, amount = authorization.id, authorization.amount
        if authorization.is_open:
            if found is not None and found.open.get(ref) == amount:
                return
            if found is None:
                made = StoredReservations(self.name, authorization.instrument, {ref: amount}, 1)
                self._reserves.add(made)
                self._reserved[authorization.instrument] = made
                return
            before = dict(found.open)
            found.open[ref] = amount
        else:
            if found is None or ref not in found.open:
                return
            before = dict(found.open)
            del found.open[ref]
        found.version += 1
        try:
            self._reserves.save(found)
        except BaseException:
            found.version -= 1
            found.open = before
            raise

    def put(self, authorization: Authorization[H]) -> None:
        """Insert ``authorization`` (new) or save it on the version read, and list it among
        the open authorisations of its instrument (or take it off once captured or voided).

        Raises:
            ConcurrencyConflict: another unit of work made or changed it (or the instrument's
                list) since; the unit of work must run again.
            DocumentError: it cannot be written (a hold the codec refuses).
        """
        self._reserve(authorization)
        record = self._records.get(authorization.id)
        if record is None:
            record = StoredAuthorization(self.name, authorization, 1)
            self._repo.add(record)
        else:
            record.version += 1
            try:
                self._repo.save(record)
            except BaseException:
                record.version -= 1
                raise
        self._index(record)

    def answer(self, key: str) -> tuple[str, GatewayResponse] | None:
        """The fingerprint and approved answer stored for ``key``, read the first time.

        Raises:
            DocumentError: the answer's document is malformed.
        """
        found = self._answers.get(key)
        if found is None:
            found = self._found.find(answer_id(self.name, key))
            if found is None or found.gateway != self.name or found.key != key:
                return None
            self._answers[key] = found
        return found.fingerprint, found.answer

    def keep(self, key: str, fingerprint: str, answer: GatewayResponse) -> None:
        """Insert the approved ``answer`` for ``key``.

        Raises:
            ConcurrencyConflict: an answer is stored for ``key`` already (by another unit of
                work since this one looked); the retry finds it.
        """
        stored = StoredAnswer(self.name, key, fingerprint, answer)
        self._found.add(stored)
        self._answers[key] = stored

    def reference(self, what: str, *, of: str | None = None) -> str:
        """A new reference (see the class's description).

        Raises:
            ValidationError: ``what`` is not one of ``"auth"``, ``"cap"``, ``"ref"``.
        """
        if what not in REFERENCE_KINDS:
            raise ValidationError(f"a reference is one of {REFERENCE_KINDS}, not {shown(what)}")
        prefix = f"{self.name}-auth-"
        if what == "cap" and of is not None and of.startswith(prefix):
            return f"{self.name}-cap-{of[len(prefix) :]}"
        return unique_reference(self.name, what, of)
