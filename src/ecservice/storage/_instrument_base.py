"""The base of the payment instruments' serializers, and the converter of their values.

Private to :mod:`ecservice.storage`; :func:`instrument_converter` is re-exported.
"""

from __future__ import annotations

import abc
import base64
import binascii
import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any, Final, Literal, TypeVar

import cattrs
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import EcServiceError, ValidationError
from ecservice.storage._converter import make_converter
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
from ecservice.storage._json_data import not_json as _not_json

__all__ = [
    "SECRETS_WRITTEN",
    "InstrumentSerializer",
    "Secrets",
    "check_keys",
    "check_secrets",
    "check_written",
    "instrument_converter",
]

T = TypeVar("T")

#: The most bits a stored RSA key may have (as ``blind_rsa.generate_key`` allows).
_MAX_KEY_BITS: Final = 16384
#: What a wallet document may hold of its keys: ``"omit"`` them or ``"include"`` them.
Secrets = Literal["omit", "include"]
SECRETS_WRITTEN: Final = {"omit": "omitted", "include": "included"}
_SECONDS: Final = re.compile(r"(-?)([0-9]{1,12})\.([0-9]{6})", re.ASCII)


def check_secrets(secrets: object) -> Secrets:
    if secrets == "omit" or secrets == "include":
        return secrets
    raise ValidationError(f"secrets must be 'omit' or 'include', not {shown(secrets)}")


def check_keys(keys: object, what: str, by: str) -> dict[Any, Any]:
    if keys is not None and not isinstance(keys, Mapping):
        raise ValidationError(f"{what} must map {by} to keys, not {type(keys).__name__}")
    return dict(keys or {})


def check_written(ident: str, type_name: str, written: str) -> str:
    if written not in SECRETS_WRITTEN.values():
        raise DocumentError(
            f"{type_name} document {shown(ident, 80)}",
            [f"body.secrets: must be 'omitted' or 'included', not {shown(written, 40)}"],
        )
    return written


# --- the converter -------------------------------------------------------------------------------


def _wrong(wanted: str, value: object) -> ValidationError:
    return ValidationError(f"must be {wanted}, not {type(value).__name__} {shown(value, 40)}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, _: object = None) -> bytes:
    if type(value) is not str:
        raise _wrong("base64 text", value)
    try:
        data = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _wrong("base64 text (A-Z, a-z, 0-9, +, / and = padding)", value) from None
    if _b64(data) != value:
        raise _wrong("base64 text in its canonical form", value)
    return data


def _rsa_public_key(value: object, _: object = None) -> rsa.RSAPublicKey:
    der = _unb64(value)
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm, TypeError):
        raise ValidationError(
            "must be an RSA public key (DER SubjectPublicKeyInfo, base64)"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size > _MAX_KEY_BITS:
        raise ValidationError(f"must be an RSA public key of at most {_MAX_KEY_BITS} bits")
    return key


def _rsa_public_key_text(key: rsa.RSAPublicKey) -> str:
    return _b64(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _seconds_text(value: _dt.timedelta) -> str:
    micro = value // _dt.timedelta(microseconds=1)
    sign = "-" if micro < 0 else ""
    whole, fraction = divmod(abs(micro), 10**6)
    return f"{sign}{whole}.{fraction:06d}"


def _seconds(value: object, _: object = None) -> _dt.timedelta:
    match = _SECONDS.fullmatch(value) if type(value) is str else None
    if match is None:
        raise _wrong('a duration in seconds with six decimals, such as "900.000000"', value)
    micro = int(match[2]) * 10**6 + int(match[3])
    return _dt.timedelta(microseconds=-micro if match[1] else micro)


def instrument_converter() -> cattrs.Converter:
    """A new :func:`~ecservice.storage.make_converter` that also writes the values of payment
    instruments: ``bytes`` as base64 text (canonical, with padding), RSA public keys as their
    DER SubjectPublicKeyInfo in base64 and durations (``timedelta``) as seconds with six
    decimals, ``"900.000000"``."""
    converter = make_converter()
    converter.register_unstructure_hook(_dt.timedelta, _seconds_text)
    converter.register_structure_hook(_dt.timedelta, _seconds)
    converter.register_unstructure_hook(bytes, _b64)
    converter.register_structure_hook(bytes, _unb64)
    converter.register_unstructure_hook(rsa.RSAPublicKey, _rsa_public_key_text)
    converter.register_structure_hook(rsa.RSAPublicKey, _rsa_public_key)
    return converter


class InstrumentSerializer(SerializerInfo[T], abc.ABC):
    """Writes objects of one class as documents whose bodies have fixed keys and types, and
    reads them back through a function that builds (and checks) the object."""

    _object_type: type[T]
    _type_name: str
    _body: tuple[tuple[str, Any], ...]

    def __init__(
        self,
        *,
        schema_version: int = 1,
        upcasters: Mapping[int, Upcaster] | None = None,
        converter: cattrs.Converter | None = None,
    ) -> None:
        self._upcasters = check_upcasters(self._type_name, schema_version, upcasters or {})
        self._version = schema_version
        self._converter = converter if converter is not None else instrument_converter()

    @property
    def body_keys(self) -> tuple[str, ...]:
        """The keys of a body, in the order they are written."""
        return tuple(key for key, _ in self._body)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._type_name!r}, schema_version={self._version})"

    @abc.abstractmethod
    def _values(self, obj: T) -> tuple[str, int, dict[str, Any]]:
        """The id, the version and the body's values of ``obj``."""

    @abc.abstractmethod
    def _build(self, ident: str, version: int, values: dict[str, Any], clock: Clock) -> T:
        """The object made from the body's values (checked by its ``restore``)."""

    def dump(self, obj: T) -> Document:
        """``obj`` as a JSON-ready document (keys in a fixed order).

        Raises:
            DocumentError: ``obj`` is not exactly of :attr:`object_type`.
        """
        if type(obj) is not self._object_type:
            raise DocumentError(
                f"a {type(obj).__name__}",
                [
                    f"the {self._type_name!r} serializer writes "
                    f"{self._object_type.__name__} objects only"
                ],
            )
        ident, version, values = self._values(obj)
        subject = f"{self._type_name} {ident!r}"
        body: dict[str, Any] = {}
        try:
            for key, kind in self._body:
                body[key] = self._converter.unstructure(values[key], unstructure_as=kind)
        except EcServiceError as exc:
            raise DocumentError(subject, [str(exc)]) from exc
        for key, value in body.items():
            problem = _not_json(value, f"body.{key}")
            if problem is not None:
                raise DocumentError(subject, [problem])
        return {
            "type": self._type_name,
            "schema_version": self._version,
            "id": ident,
            "version": version,
            "body": body,
        }

    def load(self, document: object, *, clock: Clock = SYSTEM_CLOCK) -> T:
        """The object ``document`` holds, rebuilt through its class's ``restore``.

        Raises:
            DocumentError: the document is malformed; every problem found in the body is listed
                with its place (``body.coins[0].remaining``).
                Also when ``restore`` refused the values (a broken invariant): the error names
                the document, carries ``restore``'s message and keeps its error as
                ``__cause__``.
            UnsupportedSchemaVersion: its schema version is newer than :attr:`schema_version`.
        """
        envelope = read_envelope(document, (self._type_name,))
        subject = f"{self._type_name} document {shown(envelope.id, 80)}"
        body = upcast(
            subject, envelope.body, envelope.schema_version, self._version, self._upcasters
        )
        keys = self.body_keys
        problems = [f"body.{k}: missing" for k in keys if k not in body]
        extra = [k for k in body if k not in keys]
        if extra:
            names = ", ".join(shown(k, 40) for k in extra[:5]) + (", ..." if len(extra) > 5 else "")
            problems.append(f"body: unexpected key(s) {names}")
        causes: list[EcServiceError] = []
        values: dict[str, Any] = {}
        for key, kind in self._body:
            if key not in body:
                continue
            try:
                values[key] = self._converter.structure(body[key], kind)
            except Exception as exc:  # cattrs' errors, the domain's, or a hostile value's
                found, errors = problems_of(exc, f"body.{key}")
                problems += found
                causes += errors
        if problems:
            raise DocumentError(subject, problems) from (causes[0] if causes else None)
        try:
            return self._build(envelope.id, envelope.version, values, clock)
        except DocumentError:
            raise
        except EcServiceError as exc:  # a broken invariant: name the document that holds it
            raise DocumentError(subject, [f"body: {exc}"]) from exc
        except Exception as exc:  # a restore that let a raw error through
            problem = f"body: {type(exc).__name__}: {shown(str(exc), 200)}"
            raise DocumentError(subject, [problem]) from exc
