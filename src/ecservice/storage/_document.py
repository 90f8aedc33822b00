"""The document envelope every stored aggregate is written in, and upcasting between schemas.

A document is a JSON object::

    {"type": "order", "schema_version": 1, "id": "O-1", "version": 3, "body": {...}}

``type`` names the serializer that reads it; ``schema_version`` the shape of ``body`` (an integer
from 1, raised by the shop's code whenever the shape changes); ``id`` and ``version`` are the
aggregate's (the storage layer keys and compares on them without reading the body); ``body``
holds the aggregate's state, its history included.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Generic, Protocol, TypedDict, TypeVar

import cattrs

from ecservice._shown import shown
from ecservice.clock import Clock
from ecservice.errors import EcServiceError, ValidationError
from ecservice.storage._errors import DocumentError, UnsupportedSchemaVersion

__all__ = [
    "ENVELOPE_KEYS",
    "Document",
    "Envelope",
    "Serializer",
    "Upcaster",
    "check_upcasters",
    "problems_of",
    "read_envelope",
    "upcast",
]

T = TypeVar("T")

#: The keys of a document, in the order they are written.
ENVELOPE_KEYS: Final = ("type", "schema_version", "id", "version", "body")

_ENVELOPE_KEY_SET: Final = frozenset(ENVELOPE_KEYS)

#: Longest problem text kept from one error.
_PROBLEM_MAX: Final = 300


class Document(TypedDict):
    """A stored aggregate: the envelope and its body (JSON-ready: ``json.dumps`` writes it).

    Attributes:
        type: the document type (the serializer's ``type_name``), e.g. ``"order"``.
        schema_version: the body's schema version, an integer from 1.
        id: the aggregate's id.
        version: the aggregate's version (how many transitions it went through).
        body: the aggregate's fields: strings, integers, booleans, ``None``, lists and objects
            only, keys in a fixed order.
    """

    type: str
    schema_version: int
    id: str
    version: int
    body: dict[str, Any]


#: Turns a body of schema version ``k`` into one of version ``k + 1`` (a new dict, or the given
#: one changed in place and returned; it gets a deep copy of what was stored).
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class JsonText(str):
    """A document's JSON text as the repository made it (internal): the SQL engine's JSON
    serializer writes it as it is instead of encoding it a second time."""

    __slots__ = ()


class Serializer(Protocol[T]):
    """Writes objects of one type as :class:`Document` values and reads them back.

    :class:`~ecservice.storage.AggregateSerializer` implements it for aggregates; a
    :class:`~ecservice.storage.SerializerRegistry` picks one by ``type_name`` to read a document
    and by the object's exact class to write one.
    """

    @property
    def type_name(self) -> str:
        """The ``type`` written in the documents."""

    @property
    def schema_version(self) -> int:
        """The schema version written, and the newest one read."""

    @property
    def object_type(self) -> type[T]:
        """The exact class written and read."""

    def dump(self, obj: T) -> Document:
        """``obj`` as a document.

        Raises:
            DocumentError: ``obj`` is not of :attr:`object_type` or holds a value the converter
                cannot write.
        """

    def load(self, document: object, *, clock: Clock = ...) -> T:
        """The object a document holds, built through its validating constructor.

        Raises:
            DocumentError: the document is malformed (see :class:`DocumentError`).
            UnsupportedSchemaVersion: it was written with a newer schema version.
            DocumentError: the constructor refused the values (a broken invariant; its error
                is the ``__cause__``).
        """


class Envelope:
    """The checked envelope of a document (internal).

    Attributes:
        type_name: the document type.
        schema_version: the body's schema version.
        id: the id as stored (type-checked only).
        version: the version as stored (type-checked only).
        body: the body (a dict; not yet read).
    """

    __slots__ = ("body", "id", "schema_version", "type_name", "version")

    def __init__(
        self, type_name: str, schema_version: int, id: str, version: int, body: dict[str, Any]
    ) -> None:
        self.type_name = type_name
        self.schema_version = schema_version
        self.id = id
        self.version = version
        self.body = body


def read_envelope(document: object, known: Iterable[str]) -> Envelope:
    """Check the envelope of ``document``; its body is left for the serializer.

    Args:
        document: what was stored (after ``json.loads``).
        known: the document types that may be read here.

    Raises:
        DocumentError: not an object, missing or extra keys, a value of the wrong JSON type
            (``schema_version`` and ``version`` integers from 1 and 0, ``id`` and ``type``
            strings, ``body`` an object), or an unknown ``type``.
    """
    known = tuple(known)
    if type(document) is dict and document.keys() == _ENVELOPE_KEY_SET:
        # The common case, checked in one pass; anything off is described below.
        type_name, schema, ident, version, body = (
            document["type"],
            document["schema_version"],
            document["id"],
            document["version"],
            document["body"],
        )
        if (
            type(type_name) is str
            and type_name in known
            and type(schema) is int
            and schema >= 1
            and type(ident) is str
            and type(version) is int
            and version >= 0
            and type(body) is dict
        ):
            return Envelope(type_name, schema, ident, version, body)
    if type(document) is not dict:
        raise DocumentError(
            "a document",
            [
                f"must be a JSON object with the keys {', '.join(ENVELOPE_KEYS)}, not "
                f"{type(document).__name__}"
            ],
        )
    doc: dict[Any, Any] = document
    problems = _key_problems(doc, ENVELOPE_KEYS, "")
    type_name = doc.get("type")
    subject = (
        f"{type_name} document" if type(type_name) is str and type_name in known else "a document"
    )
    ident = doc.get("id")
    if type(ident) is str:
        subject += f" {shown(ident, 80)}"
    elif "id" in doc:
        problems.append(f"id: must be a string, not {type(ident).__name__}")
    if "type" in doc and (type(type_name) is not str or type_name not in known):
        problems.append(
            f"type: must be one of the registered document types ({', '.join(known) or 'none'}), "
            f"not {shown(type_name, 60)}"
        )
    schema = doc.get("schema_version")
    if "schema_version" in doc and (type(schema) is not int or schema < 1):
        problems.append(
            f"schema_version: must be an integer from 1, not {type(schema).__name__} "
            f"{shown(schema, 40)}"
        )
    version = doc.get("version")
    if "version" in doc and (type(version) is not int or version < 0):
        problems.append(
            f"version: must be an integer from 0, not {type(version).__name__} {shown(version, 40)}"
        )
    body = doc.get("body")
    if "body" in doc and type(body) is not dict:
        problems.append(f"body: must be a JSON object, not {type(body).__name__}")
    if problems:
        raise DocumentError(subject, problems)
    return Envelope(type_name, schema, ident, version, body)  # type: ignore[arg-type]


def _key_problems(data: Mapping[Any, Any], keys: Iterable[str], where: str) -> list[str]:
    """One problem per missing key and one for the unexpected ones (never a huge repr)."""
    keys = tuple(keys)
    prefix = f"{where}." if where else ""
    problems = [f"{prefix}{k}: missing" for k in keys if k not in data]
    extra = [k for k in data if k not in keys]
    if extra:
        names = ", ".join(shown(k, 40) for k in extra[:5]) + (", ..." if len(extra) > 5 else "")
        problems.append(
            f"{where or 'the document'}: unexpected key(s) {names}; the keys are {', '.join(keys)}"
        )
    return problems


def check_upcasters(
    type_name: str, schema_version: object, upcasters: Mapping[int, Upcaster]
) -> dict[int, Upcaster]:
    """Check that ``upcasters`` has one callable per step ``k -> k + 1`` below ``schema_version``.

    Raises:
        ValidationError: ``schema_version`` is not an integer from 1, or a step is missing, extra
            or not callable.
    """
    if type(schema_version) is not int or schema_version < 1:
        raise ValidationError(
            f"the schema_version of {type_name!r} documents must be an integer from 1, "
            f"not {shown(schema_version)}"
        )
    steps = dict(upcasters)
    wanted = set(range(1, schema_version))
    problems = [
        f"no upcaster from schema version {k} to {k + 1}" for k in sorted(wanted - steps.keys())
    ]
    problems += [
        f"an upcaster from {shown(k)}, which is not a schema version below {schema_version}"
        for k in steps
        if k not in wanted
    ]
    problems += [
        f"the upcaster from {k} is not callable" for k, f in steps.items() if not callable(f)
    ]
    if problems:
        raise ValidationError(
            f"upcasters of {type_name!r} documents (schema version {schema_version}): "
            + "; ".join(problems)
        )
    return steps


def upcast(
    subject: str,
    body: dict[str, Any],
    stored: int,
    current: int,
    upcasters: Mapping[int, Upcaster],
) -> dict[str, Any]:
    """``body`` of schema version ``stored`` brought to ``current`` by the chain of upcasters.

    The caller's dict is never changed: the first upcaster gets a deep copy.

    Raises:
        UnsupportedSchemaVersion: ``stored`` is newer than ``current``.
        DocumentError: an upcaster raised or returned something other than a dict.
    """
    if stored > current:
        raise UnsupportedSchemaVersion(
            subject,
            [
                f"schema_version: {shown(stored, 20)} is newer than {current}, the newest this "
                "code reads; "
                "it was written by a newer release: read it with that release"
            ],
        )
    if stored == current:
        return body
    data = copy.deepcopy(body)
    for k in range(stored, current):
        try:
            data = upcasters[k](data)
        except Exception as exc:
            raise DocumentError(
                subject,
                [f"body: upcasting from schema version {k} to {k + 1} failed: {_describe(exc)}"],
            ) from exc
        if type(data) is not dict:
            raise DocumentError(
                subject,
                [
                    f"body: the upcaster from schema version {k} returned "
                    f"{type(data).__name__}, not a dict"
                ],
            )
    return data


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EcServiceError):
        text = str(exc)
    elif isinstance(exc, KeyError):
        text = f"missing key {shown(exc.args[0], 60) if exc.args else ''}"
    else:
        text = f"{type(exc).__name__}: {exc!s}"
    return text if len(text) <= _PROBLEM_MAX else text[: _PROBLEM_MAX - 3] + "..."


def problems_of(exc: BaseException, path: str) -> tuple[list[str], list[EcServiceError]]:
    """The problems an exception raised while reading the value at ``path`` describes.

    cattrs' validation errors are walked like :func:`cattrs.transform_error` does, each leaf
    described as ``path: what is wrong``; the library's own errors among the leaves are returned
    too (the first becomes the :class:`DocumentError`'s ``__cause__``).
    """
    problems: list[str] = []
    causes: list[EcServiceError] = []

    def walk(error: BaseException, where: str) -> None:
        if isinstance(error, cattrs.IterableValidationError):
            with_notes, without = error.group_exceptions()
            for inner, note in with_notes:
                # A list's index, or a mapping's key (any text a document holds: cut short).
                index = note.index
                place = index if type(index) is int else shown(index, 40)
                walk(inner, f"{where}[{place}]")
            for inner in without:
                walk(inner, where)
        elif isinstance(error, cattrs.ClassValidationError):
            with_class_notes, without_notes = error.group_exceptions()
            for inner, class_note in with_class_notes:
                walk(inner, f"{where}.{class_note.name}")
            for inner in without_notes:
                walk(inner, where)
        elif isinstance(error, cattrs.ForbiddenExtraKeysError):
            extra = list(error.extra_fields)
            names = ", ".join(shown(k, 40) for k in extra[:5]) + (", ..." if len(extra) > 5 else "")
            problems.append(f"{where}: unexpected key(s) {names}")
        elif isinstance(error, KeyError):
            problems.append(f"{where}: missing")
        else:
            if isinstance(error, EcServiceError):
                causes.append(error)
            problems.append(f"{where}: {_describe(error)}")

    walk(exc, path)
    return problems, causes


_S = TypeVar("_S")


class SerializerInfo(Generic[_S]):
    """What a serializer of the library tells about itself: the document type it writes, the
    schema version, the class and the converter (shared by the aggregate and the instrument
    serializers, which set the four attributes)."""

    _type_name: str
    _version: int
    _object_type: type[_S]
    _converter: cattrs.Converter

    @property
    def type_name(self) -> str:
        """The ``type`` written in the documents."""
        return self._type_name

    @property
    def schema_version(self) -> int:
        """The schema version written, and the newest one read."""
        return self._version

    @property
    def object_type(self) -> type[_S]:
        """The exact class written and read."""
        return self._object_type

    @property
    def converter(self) -> cattrs.Converter:
        """The converter of the body's values (register hooks for a shop's own types here)."""
        return self._converter
