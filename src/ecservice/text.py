"""Checking the free text that comes in: identifiers, names, notes and reasons.

Every text field of the library (ids, SKUs, names, notes, reasons, references) is checked by
:func:`check_text` when a value object or aggregate is built or a trigger is called. The rules:

* the value must be a ``str`` (not ``bytes``, not a number) and not blank;
* it must not be longer than the field's limit: :data:`SHORT_TEXT_MAX` characters for
  identifiers, names and references, :data:`LONG_TEXT_MAX` for notes, reasons and remarks;
* it must not contain control characters (Unicode category ``Cc``; a long text may contain line
  breaks and tabs), unpaired surrogates (``Cs``, which cannot be stored as UTF-8), or the
  bidirectional embedding, override and isolate characters U+202A-U+202E and U+2066-U+2069
  (they make text display in an order other than the stored one, CVE-2021-42574 "Trojan Source").

A value that breaks a rule raises :class:`~ecservice.errors.ValidationError` (or the error class
the caller names), whose message says which field, which rule and what is allowed, without
repeating a long or hostile value.

>>> from ecservice.errors import ValidationError
>>> from ecservice.text import check_text
>>> check_text("  SF1001 ", "tracking number")
'SF1001'
>>> try:
...     check_text("a\u202eb", "note")
... except ValidationError as exc:
...     print(exc)
note must not contain control or bidirectional-override characters (found U+202E at position 1)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any, Final

from ecservice.errors import ValidationError

__all__ = [
    "LONG_TEXT_MAX",
    "SHORT_TEXT_MAX",
    "check_key",
    "check_optional_text",
    "check_text",
    "text",
]

#: Longest identifier, name or reference accepted, in characters.
SHORT_TEXT_MAX: Final = 200
#: Longest note, reason or remark accepted, in characters.
LONG_TEXT_MAX: Final = 2000

_BIDI: Final = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_LINE_BREAKS: Final = frozenset("\n\r\t")


def _bad_char(value: str, *, multiline: bool) -> tuple[int, str] | None:
    if value.isprintable():  # no Cc, Cf (the bidi controls are Cf), Cs, Zl, Zp
        return None
    for i, ch in enumerate(value):
        if ch in _BIDI:
            return i, ch
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs") and not (multiline and ch in _LINE_BREAKS):
            return i, ch
    return None


def check_text(
    value: object,
    what: str,
    *,
    limit: int = SHORT_TEXT_MAX,
    multiline: bool = False,
    error: type[ValidationError] = ValidationError,
) -> str:
    """Return ``value`` stripped of surrounding white space, if it is acceptable text.

    Args:
        value: the text to check.
        what: the field's name, for the message.
        limit: the longest value accepted, in characters (after stripping).
        multiline: whether line breaks and tabs are allowed inside (notes, remarks).
        error: the :class:`~ecservice.errors.ValidationError` subclass to raise.

    Raises:
        ValidationError: (or ``error``) not a str, blank, too long, or with a forbidden
            character.
    """
    if not isinstance(value, str):
        raise error(f"{what} must be a non-empty string, not {type(value).__name__}")
    if len(value) > limit + 64 or len(value := value.strip()) > limit:
        raise error(f"{what} must be at most {limit} characters, got {len(value)}")
    if not value:
        raise error(f"{what} must be a non-empty string, not blank")
    bad = _bad_char(value, multiline=multiline)
    if bad is not None:
        raise error(
            f"{what} must not contain control or bidirectional-override characters "
            f"(found U+{ord(bad[1]):04X} at position {bad[0]})"
        )
    return value


def check_key(value: object, what: str = "idempotency_key") -> str:
    """Return ``value`` if it is acceptable as a key compared byte for byte (an idempotency key).

    Like :func:`check_text` with the short limit, but surrounding white space is refused rather
    than stripped: ``"K-1"`` and ``"K-1\\n"`` must not silently name one request in one place and
    two in another.

    Raises:
        ValidationError: not a str, blank, longer than :data:`SHORT_TEXT_MAX`, with a forbidden
            character, or with white space around it.
    """
    checked = check_text(value, what)
    if checked != value:
        raise ValidationError(f"{what} must not start or end with white space")
    return checked


def check_optional_text(
    value: object,
    what: str,
    *,
    limit: int = LONG_TEXT_MAX,
    multiline: bool = True,
    error: type[ValidationError] = ValidationError,
) -> str:
    """Like :func:`check_text`, but an empty or blank string is accepted and returned as ``""``.

    Used for optional free text such as notes and remarks (multi-line by default).

    Raises:
        ValidationError: (or ``error``) not a str, too long, or with a forbidden character.
    """
    if isinstance(value, str) and not value.strip():
        return ""
    return check_text(value, what, limit=limit, multiline=multiline, error=error)


def text(
    what: str,
    error: type[ValidationError] = ValidationError,
    *,
    limit: int = SHORT_TEXT_MAX,
    multiline: bool = False,
) -> Callable[[Any, Any, str], None]:
    """An attrs validator running :func:`check_text` (the value must already be stripped)."""

    def validate(_instance: Any, _attribute: Any, value: str) -> None:
        checked = check_text(value, what, limit=limit, multiline=multiline, error=error)
        if checked != value:
            raise error(f"{what} must not start or end with white space, got {value!r}")

    return validate
