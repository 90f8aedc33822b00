"""Writing an aggregate as a document and reading it back through its constructor."""

from __future__ import annotations

import enum
import inspect
import json
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple, TypeVar, final

import attrs
import cattrs

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import EcServiceError, ValidationError
from ecservice.storage._converter import datetime_text, make_converter, parse_datetime
from ecservice.storage._document import (
    Document,
    SerializerInfo,
    Upcaster,
    check_upcasters,
    problems_of,
    read_envelope,
    upcast,
)
from ecservice.storage._errors import DocumentError
from ecservice.storage._json_data import JSON_SCALARS as _JSON_SCALARS
from ecservice.storage._json_data import is_json as _is_json
from ecservice.storage._json_data import where_not_json as _where_not_json
from ecservice.storage._rewriting import ENCODE, Rewriter, history_unit
from ecservice.text import check_optional_text
from ecservice.workflow import Actor, Aggregate, History, TransitionRecord

__all__ = ["HISTORY_KEYS", "MEMO_SIZE", "AggregateSerializer"]

AggT = TypeVar("AggT", bound=Aggregate[Any])

#: The fields every aggregate has that are not written in the body as ordinary fields: ``id`` and
#: ``version`` are in the envelope, ``status`` and ``history`` are written by name, the clock is
#: passed in when loading.
#: How many documents' values an :class:`AggregateSerializer` with ``reuse_values`` keeps (the
#: oldest kept is dropped first).
MEMO_SIZE: Final = 2048


class _Values(NamedTuple):
    """What a document holds, checked, ready for the class's constructor (internal)."""

    id: str
    version: int
    status: Any
    history: Sequence[TransitionRecord]
    kwargs: dict[str, Any]


_KERNEL_FIELDS: Final = frozenset({"id", "status", "version", "history", "clock"})
#: The keys of one history record, in the order they are written.
HISTORY_KEYS: Final = ("trigger", "source", "dest", "at", "actor", "note")
_HISTORY_KEY_SET: Final = frozenset(HISTORY_KEYS)


def _field_type(cls: type, name: str) -> Any:
    """The resolved annotation of field ``name``, read where the class declaring it was written."""
    for klass in cls.__mro__:
        annotations = inspect.get_annotations(klass)
        if name in annotations:
            annotation = annotations[name]
            if not isinstance(annotation, str):
                return annotation
            module = sys.modules.get(klass.__module__)
            namespace = dict(vars(module)) if module is not None else {}
            try:
                return eval(annotation, namespace, dict(vars(klass)))
            except Exception as exc:
                raise ValidationError(
                    f"cannot resolve the type {annotation!r} of {cls.__name__}.{name}: "
                    f"{type(exc).__name__}: {exc}; pass it in field_types"
                ) from None
    raise ValidationError(f"{cls.__name__}.{name} has no type annotation; pass it in field_types")


@final
class AggregateSerializer(SerializerInfo[AggT]):
    """Writes aggregates of one class as :class:`~ecservice.storage.Document` values and reads
    them back through the class's constructor.

    The body holds ``status`` (the state's name), every ``__init__`` field of the class except
    ``id``, ``version`` (both in the envelope) and ``clock`` (passed to :meth:`load`), and
    ``history`` (a list of records ``{"trigger", "source", "dest", "at", "actor", "note"}``, the
    states by name; a record's version is its position, from 1). Field values are written by the
    ``converter`` (:func:`~ecservice.storage.make_converter`'s table). Queued domain events are
    not written: pull them (for the outbox) before saving.

    A custom aggregate class (an :class:`~ecservice.orders.Order` subclass bound to a derived
    workflow, with fields of its own) gets a serializer of its own, with its own ``type_name``:
    states are read by name among its workflow's states, and its extra fields are read with
    their declared types (register hooks on ``converter`` for types the default converter does
    not know). A shop that moves every order to a subclass keeps ``"order"`` as its type name
    and registers the subclass's serializer in place of the default one.

    Args:
        aggregate_type: the exact class written and read (a subclass needs its own serializer).
        type_name: the ``type`` of its documents, e.g. ``"order"`` (a non-empty str).
        schema_version: the schema version of the body written now (an integer from 1).
        upcasters: ``{k: function}`` turning a body of schema version ``k`` into one of
            ``k + 1``, one for each ``k`` from 1 to ``schema_version - 1``.
        converter: the cattrs converter for the field values; by default a new
            :func:`~ecservice.storage.make_converter`.
        field_types: types of fields whose annotations cannot be resolved at run time (names
            imported only for type checking), ``{field name: type}``.
        reuse_values: whether the class's field values are all immutable (frozen attrs
            values, tuples of them, ``str``, numbers, :class:`~ecservice.money.Money`, instants,
            enums): then :meth:`load_text` keeps the values read from (or written as, see
            :meth:`remember`) the last 2,048 documents' JSON texts, and a load of the
            same text builds the aggregate from them through the class's constructor, which
            still checks every invariant, without reading the JSON again. Only the exact same
            text is reused: a document changed by a single character is read in full.

    Raises:
        ValidationError: ``aggregate_type`` is not an aggregate class bound to a workflow, a bad
            ``type_name`` or ``schema_version``, upcasters that do not cover every step, or a
            field whose type cannot be resolved.
    """

    __slots__ = (
        "_aliases",
        "_body_key_set",
        "_converter",
        "_fields",
        "_memo",
        "_memo_documents",
        "_memo_lock",
        "_rewriter",
        "_state_names",
        "_states",
        "_type",
        "_type_name",
        "_upcasters",
        "_version",
    )

    def __init__(
        self,
        aggregate_type: type[AggT],
        type_name: str,
        *,
        schema_version: int = 1,
        upcasters: Mapping[int, Upcaster] | None = None,
        converter: cattrs.Converter | None = None,
        field_types: Mapping[str, Any] | None = None,
        reuse_values: bool = False,
    ) -> None:
        if type(reuse_values) is not bool:
            raise ValidationError(f"reuse_values must be a bool, not {shown(reuse_values)}")
        if not (
            isinstance(aggregate_type, type)
            and issubclass(aggregate_type, Aggregate)
            and hasattr(aggregate_type, "workflow")
        ):
            raise ValidationError(
                f"an AggregateSerializer needs an Aggregate subclass bound to a workflow, "
                f"not {shown(aggregate_type)}"
            )
        if type(type_name) is not str or not type_name or not type_name.isprintable():
            raise ValidationError(
                f"type_name must be a non-empty printable str, not {shown(type_name)}"
            )
        self._object_type: type[AggT] = aggregate_type
        self._type_name = type_name
        self._upcasters = check_upcasters(type_name, schema_version, upcasters or {})
        self._version = schema_version
        self._converter = converter if converter is not None else make_converter()
        types = dict(field_types or {})
        self._fields: tuple[tuple[str, str, Any], ...] = tuple(
            (f.name, f.alias or f.name, types.get(f.name) or _field_type(aggregate_type, f.name))
            for f in attrs.fields(aggregate_type)
            if f.init and f.name not in _KERNEL_FIELDS
        )
        self._states: dict[str, enum.Enum] = {s.name: s for s in aggregate_type.workflow.states}
        self._state_names: dict[enum.Enum, str] = {s: name for name, s in self._states.items()}
        self._body_key_set: frozenset[str] = frozenset(self.body_keys)
        self._aliases: tuple[str, ...] = tuple(alias for _, alias, _ in self._fields)
        # JSON text of a document -> the values read from it (see load_text); None: off.
        self._memo: dict[str, _Values] | None = {} if reuse_values else None
        # (id, version) -> a document the store wrote (never one a caller holds) and its values.
        self._memo_documents: dict[tuple[str, int], tuple[Mapping[str, Any], _Values]] | None = (
            {} if reuse_values else None
        )
        self._memo_lock = threading.Lock()
        # Aggregate id -> the pieces of the document last written (see dump_row); None: off.
        self._rewriter: Rewriter | None = Rewriter(MEMO_SIZE) if reuse_values else None

    @property
    def body_keys(self) -> tuple[str, ...]:
        """The keys of a body, in the order they are written."""
        return ("status", *(alias for _, alias, _ in self._fields), "history")

    def __repr__(self) -> str:
        return (
            f"AggregateSerializer({self._object_type.__name__}, {self._type_name!r}, "
            f"schema_version={self._version})"
        )

    # --- writing -------------------------------------------------------------------------------

    def dump(self, obj: AggT) -> Document:
        """``obj`` as a JSON-ready document (keys in a fixed order).

        Raises:
            DocumentError: ``obj`` is not exactly of :attr:`object_type` (a subclass has a
                serializer of its own), or a field holds a value the converter cannot write.
        """
        self._check_type(obj)
        unstructure = self._converter.unstructure
        body: dict[str, Any] = {"status": obj.status.name}
        for name, alias, kind in self._fields:
            body[alias] = self._unit(obj, alias, kind, getattr(obj, name), unstructure)
        names = self._state_names
        body["history"] = [history_unit(r, names, datetime_text) for r in obj.history]
        return {
            "type": self._type_name,
            "schema_version": self._version,
            "id": obj.id,
            "version": obj.version,
            "body": body,
        }

    def dump_row(self, obj: AggT) -> tuple[Document, str]:
        """:meth:`dump` of ``obj`` and its compact JSON text (``ensure_ascii=False``,
        separators ``","`` and ``":"``), for the repositories.

        With ``reuse_values``, the field values and history records that are the very objects
        written for the same aggregate id before are not written again: their JSON is reused
        (the last 2,048 ids written are remembered); the result is the same. The
        document shares its parts with the documents written before for the id: it must
        never be changed.

        Raises:
            DocumentError: as :meth:`dump`.
        """
        rewriter = self._rewriter
        if rewriter is None:
            document = self.dump(obj)
            return document, ENCODE(document)
        self._check_type(obj)
        unstructure = self._converter.unstructure
        fields = self._fields

        def unit(i: int, value: object) -> Any:
            _, alias, kind = fields[i]
            return self._unit(obj, alias, kind, value, unstructure)

        names = self._state_names
        id, version, status = obj.id, obj.version, obj.status
        head = (
            f'{{"type":{ENCODE(self._type_name)},"schema_version":{self._version},'
            f'"id":{ENCODE(id)},"version":{version},"body":'
        )
        body, text = rewriter.write(
            id,
            head,
            names.get(status) or status.name,
            tuple([getattr(obj, name) for name, _, _ in fields]),
            unit,
            self._aliases,
            tuple(obj.history),
            lambda r: history_unit(r, names, datetime_text),
        )
        document = {
            "type": self._type_name,
            "schema_version": self._version,
            "id": id,
            "version": version,
            "body": body,
        }
        return document, text

    def _check_type(self, obj: object) -> None:
        if type(obj) is not self._object_type:
            raise DocumentError(
                f"a {type(obj).__name__}",
                [
                    f"the {self._type_name!r} serializer writes "
                    f"{self._object_type.__name__} objects only; register a serializer for "
                    "this class"
                ],
            )

    def _unit(self, obj: AggT, alias: str, kind: Any, value: object, unstructure: Any) -> Any:
        """The JSON value of field ``alias`` of ``obj``, holding ``value``."""
        try:
            made = unstructure(value, unstructure_as=kind)
        except EcServiceError as exc:
            raise DocumentError(f"{self._type_name} {obj.id!r}", [str(exc)]) from exc
        if type(made) in _JSON_SCALARS or _is_json(made):  # no place built when right
            return made
        problem = _where_not_json(made, f"body.{alias}")
        if problem is not None:
            raise DocumentError(
                f"{self._type_name} {obj.id!r}",
                [f"{problem}; register an unstructure hook for its type on the converter"],
            )
        return made  # pragma: no cover - _is_json and _where_not_json agree

    # --- reading -------------------------------------------------------------------------------

    def load(self, document: object, *, clock: Clock = SYSTEM_CLOCK) -> AggT:
        """The aggregate ``document`` holds, built with the class's constructor (which checks it).

        Args:
            document: a document as :meth:`dump` writes it (or as ``json.loads`` reads it back);
                an older schema version is upcast first.
            clock: the clock the aggregate reads the time from.

        Raises:
            DocumentError: the document is malformed: see :class:`DocumentError`; every problem
                found in the body is listed, each with its place (``body.lines[0].quantity``).
                Also when the class's constructor refused the values (a broken invariant, e.g. a
                history that does not lead to the status): the error names the document, carries
                the constructor's message and keeps the constructor's error as ``__cause__``.
            UnsupportedSchemaVersion: the document's schema version is newer than
                :attr:`schema_version`.
        """
        documents = self._memo_documents
        if documents is not None and type(document) is dict:
            id, version = document.get("id"), document.get("version")
            if type(id) is str and type(version) is int:
                found = documents.get((id, version))
                if found is not None and found[0] == document:
                    return self._build(found[1], clock)
        return self._build(self._read(document), clock)

    def _read(self, document: object) -> _Values:
        """The checked values of ``document``, before the constructor (see :meth:`load`)."""
        envelope = read_envelope(document, (self._type_name,))
        body = envelope.body
        if envelope.schema_version != self._version:
            body = upcast(
                self._subject(envelope.id),
                body,
                envelope.schema_version,
                self._version,
                self._upcasters,
            )
        problems: list[str] = []
        causes: list[EcServiceError] = []
        if body.keys() != self._body_key_set:
            expected = self.body_keys
            missing = [k for k in expected if k not in body]
            problems += [f"body.{k}: missing" for k in missing]
            extra = [k for k in body if k not in expected]
            if extra:
                names = ", ".join(shown(k, 40) for k in extra[:5])
                more = ", ..." if len(extra) > 5 else ""
                problems.append(f"body: unexpected key(s) {names}{more}")
        values: dict[str, Any] = {}
        structure = self._converter.structure
        for name, alias, kind in self._fields:
            if alias not in body:
                continue
            try:
                values[name] = structure(body[alias], kind)
            except Exception as exc:  # cattrs' errors, the domain's, or a hostile value's
                found, errors = problems_of(exc, f"body.{alias}")
                problems += found
                causes += errors
        status = None
        if "status" in body:
            status = self._state(body["status"], "body.status", problems)
        history: tuple[TransitionRecord, ...] = ()
        if "history" in body:
            history = self._history(body["history"], problems, causes)
        if problems:
            raise DocumentError(self._subject(envelope.id), problems) from (
                causes[0] if causes else None
            )
        kwargs = {alias: values[name] for name, alias, _ in self._fields}
        return _Values(envelope.id, envelope.version, status, History(history), kwargs)

    def _build(self, values: _Values, clock: Clock) -> AggT:
        """The aggregate of ``values``, through the class's constructor."""
        try:
            return self._object_type(
                id=values.id,
                status=values.status,
                version=values.version,
                history=values.history,
                clock=clock,
                **values.kwargs,
            )
        except DocumentError:
            raise
        except EcServiceError as exc:  # a broken invariant: name the document that holds it
            raise DocumentError(self._subject(values.id), [f"body: {exc}"]) from exc
        except Exception as exc:  # a constructor that let a raw error through
            problem = f"body: {type(exc).__name__}: {shown(str(exc), 200)}"
            raise DocumentError(self._subject(values.id), [problem]) from exc

    def load_text(self, text: str, *, clock: Clock = SYSTEM_CLOCK) -> AggT:
        """The aggregate a document's JSON text holds: :meth:`load` of ``json.loads(text)``,
        with the values of the same text read or written before reused when ``reuse_values``
        is on.

        Raises:
            DocumentError: the text is not JSON (or nests too deep), or as :meth:`load`.
            UnsupportedSchemaVersion: as :meth:`load`.
        """
        memo = self._memo
        if memo is not None:
            found = memo.get(text)
            if found is not None:
                return self._build(found, clock)
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise DocumentError(
                f"a stored {self._type_name} document",
                [f"the text cannot be decoded: {type(exc).__name__}"],
            ) from None
        values = self._read(document)
        built = self._build(values, clock)
        if memo is not None:
            self._keep(memo, text, values)
        return built

    def remember(self, obj: AggT, text: str, document: Mapping[str, Any] | None = None) -> None:
        """Note that ``text`` (and ``document``) is what :meth:`dump` wrote of ``obj`` as it is
        now, so that :meth:`load_text` of the text (and :meth:`load` of a document equal to
        ``document``) reuses ``obj``'s field values; nothing happens when ``reuse_values`` is
        off. The repositories call it with what they have just written; ``document`` must be
        one no caller holds (it is kept and compared, never copied)."""
        memo = self._memo
        if memo is None or type(obj) is not self._object_type:
            return
        values = _Values(
            obj.id,
            obj.version,
            obj.status,
            obj.history,
            {alias: getattr(obj, name) for name, alias, _ in self._fields},
        )
        self._keep(memo, text, values)
        documents = self._memo_documents
        if document is not None and documents is not None:
            with self._memo_lock:
                documents[obj.id, obj.version] = (document, values)
                if len(documents) > MEMO_SIZE:
                    del documents[next(iter(documents))]

    def _keep(self, memo: dict[str, _Values], text: str, values: _Values) -> None:
        with self._memo_lock:
            memo[text] = values
            if len(memo) > MEMO_SIZE:
                del memo[next(iter(memo))]

    def _subject(self, id: str) -> str:
        """What a document of ``id`` is called in errors."""
        return f"{self._type_name} document {shown(id, 80)}"

    def _state(self, value: object, where: str, problems: list[str]) -> enum.Enum | None:
        state = self._states.get(value) if type(value) is str else None
        if state is None:
            problems.append(
                f"{where}: must be the name of a state of workflow "
                f"{self._object_type.workflow.name!r} ({', '.join(self._states)}), "
                f"not {shown(value, 60)}"
            )
        return state

    def _well_formed_history(self, value: object) -> tuple[TransitionRecord, ...] | None:
        """The records of a history with nothing wrong in it, or ``None`` if anything is (then
        :meth:`_history` reads it again and says what). Each record is checked as
        :meth:`_history` checks it; an actor that repeats in the same history (the same JSON
        object) is read once, through the converter, and the value shared."""
        if type(value) is not list:
            return None
        states = self._states
        structure = self._converter.structure
        actors: dict[tuple[object, object], Actor] = {}
        records: list[TransitionRecord] = []
        append = records.append
        try:
            for version, item in enumerate(value, 1):
                if type(item) is not dict or item.keys() != _HISTORY_KEY_SET:
                    return None
                trigger, note, source, dest = (
                    item["trigger"],
                    item["note"],
                    item["source"],
                    item["dest"],
                )
                if type(trigger) is not str or type(source) is not str or type(dest) is not str:
                    return None
                if type(note) is not str or (note and check_optional_text(note, "a note") != note):
                    return None
                source, dest = states.get(source), states.get(dest)
                if source is None or dest is None:
                    return None
                data = item["actor"]
                if type(data) is not dict or len(data) != 2:
                    return None
                key = (data.get("kind"), data.get("id"))
                if type(key[0]) is not str or type(key[1]) is not str:
                    return None
                actor = actors.get(key)
                if actor is None:
                    actor = actors[key] = structure(data, Actor)
                append(
                    TransitionRecord(
                        trigger, source, dest, parse_datetime(item["at"]), actor, note, version
                    )
                )
        except Exception:  # any problem: the full reading below reports it
            return None
        return tuple(records)

    def _history(
        self, value: object, problems: list[str], causes: list[EcServiceError]
    ) -> tuple[TransitionRecord, ...]:
        well_formed = self._well_formed_history(value)
        if well_formed is not None:
            return well_formed
        if type(value) is not list and type(value) is not tuple:
            problems.append(
                f"body.history: must be an array of records, not {type(value).__name__}"
            )
            return ()
        records: list[TransitionRecord] = []
        structure = self._converter.structure
        for i, item in enumerate(value):
            where = f"body.history[{i}]"
            if type(item) is not dict:
                problems.append(
                    f"{where}: must be an object with the keys {', '.join(HISTORY_KEYS)}, "
                    f"not {type(item).__name__}"
                )
                continue
            before = len(problems)
            missing = [k for k in HISTORY_KEYS if k not in item]
            problems += [f"{where}.{k}: missing" for k in missing]
            extra = [k for k in item if k not in HISTORY_KEYS]
            if extra:
                names = ", ".join(shown(k, 40) for k in extra[:5])
                problems.append(f"{where}: unexpected key(s) {names}")
            if missing or extra:
                continue
            trigger, note = item["trigger"], item["note"]
            if type(trigger) is not str:
                problems.append(f"{where}.trigger: must be a string, not {type(trigger).__name__}")
            if type(note) is not str:
                problems.append(f"{where}.note: must be a string, not {type(note).__name__}")
            else:
                try:
                    if check_optional_text(note, "a note") != note:
                        problems.append(f"{where}.note: must not start or end with white space")
                except EcServiceError as exc:
                    problems.append(f"{where}.note: {exc}")
                    causes.append(exc)
            source = self._state(item["source"], f"{where}.source", problems)
            dest = self._state(item["dest"], f"{where}.dest", problems)
            at = actor = None
            for key in ("at", "actor"):
                try:
                    if key == "at":
                        at = parse_datetime(item["at"])
                    else:
                        actor = structure(item["actor"], Actor)
                except Exception as exc:
                    found, errors = problems_of(exc, f"{where}.{key}")
                    problems += found
                    causes += errors
            if len(problems) == before:
                records.append(TransitionRecord(trigger, source, dest, at, actor, note, i + 1))  # type: ignore[arg-type]
        return tuple(records)
