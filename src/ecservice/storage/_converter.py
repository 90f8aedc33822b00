"""The cattrs converter that turns the domain's values into JSON-ready data and back.

The table of what each value becomes is in :func:`make_converter`'s documentation.

Reading calls the classes' own constructors, so every domain check runs. A shop with value types
of its own (the fields of a custom :class:`~ecservice.orders.Order` subclass) registers hooks on
the converter it passes to its serializers: ``converter.register_structure_hook(...)`` and
``register_unstructure_hook(...)`` (see the cattrs documentation); attrs classes built from the
types above need nothing.
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import UTC, ensure_utc
from ecservice.errors import InvalidAmount, NaiveDatetime, ValidationError
from ecservice.money import Currency, Money, currency, to_decimal

__all__ = ["datetime_text", "make_converter", "parse_datetime"]

_ISO: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)
_MONEY_KEYS: Final = ("amount", "currency")
_UTC_SUFFIXES: Final = ("+00:00", "Z")
#: The digits of bytes written as text (lowercase hexadecimal).
_HEX_DIGITS: Final = "0123456789abcdef"
#: ``isoformat(timespec="microseconds")`` of an instant in UTC, without asking its time zone.
_UTC_TEXT: Final = "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00"
#: ``datetime.__new__``, which pendulum's ``DateTime`` inherits without a constructor of its own.
_NEW_DATETIME: Final = _dt.datetime.__new__


def _kind(value: object) -> str:
    """The JSON name of ``value``'s type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _wrong(
    wanted: str, value: object, error: type[ValidationError] = ValidationError
) -> ValidationError:
    return error(f"must be {wanted}, not {_kind(value)} {shown(value, 40)}")


# --- reading -------------------------------------------------------------------------------------


def _str(value: object, _: object) -> str:
    if type(value) is not str:
        raise _wrong("a string", value)
    return value


def _int(value: object, _: object) -> int:
    if type(value) is not int:
        raise _wrong("an integer", value)
    return value


def _bool(value: object, _: object) -> bool:
    if type(value) is not bool:
        raise _wrong("true or false", value)
    return value


def _bytes(value: object, _: object) -> bytes:
    if type(value) is not str or len(value) % 2 or value.strip(_HEX_DIGITS):
        raise _wrong(
            'bytes as an even number of lowercase hexadecimal digits (such as "00ff")', value
        )
    return bytes.fromhex(value)


def _date(value: object, _: object) -> _dt.date:
    if type(value) is not str or len(value) != 10:
        raise _wrong('a calendar date as ISO 8601 text (such as "2026-11-30")', value)
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise _wrong('a calendar date as ISO 8601 text (such as "2026-11-30")', value) from None


def _decimal(value: object, _: object) -> Decimal:
    if type(value) is not str:
        raise _wrong('a decimal number as a string (such as "0.5")', value, InvalidAmount)
    return to_decimal(value, "a decimal number")


def _currency(value: object, _: object) -> Currency:
    if type(value) is not str:
        raise _wrong('an ISO 4217 currency code as a string (such as "CNY")', value)
    return currency(value)


def _money(value: object, _: object) -> Money:
    if type(value) is not dict or len(value) != 2 or not all(k in value for k in _MONEY_KEYS):
        raise _wrong(
            'an object with exactly the keys "amount" and "currency", such as '
            '{"amount": "12.30", "currency": "CNY"}',
            value,
        )
    amount = value["amount"]
    if type(amount) is not str:
        raise _wrong('an amount as a decimal string (such as "12.30")', amount, InvalidAmount)
    return Money(amount, _currency(value["currency"], None))


def parse_datetime(value: object) -> DateTime:
    """Read an instant written by :func:`datetime_text` (or any ISO 8601 text with an offset).

    Args:
        value: ``"YYYY-MM-DDTHH:MM:SS[.ffffff]"`` followed by ``Z`` or ``+HH:MM``/``-HH:MM``.

    Returns:
        The instant as a pendulum ``DateTime`` in UTC.

    Raises:
        NaiveDatetime: the text has no offset.
        ValidationError: not a string of that form, or not a real date and time.
    """
    if type(value) is not str or not (match := _ISO.fullmatch(value)):
        raise _wrong('an ISO 8601 date and time such as "2026-11-11T02:00:00.000000+00:00"', value)
    offset = match.group(1)
    if offset is None:
        raise NaiveDatetime(
            f"{value!r} has no UTC offset: write the instant with Z or +00:00 (or its own offset)"
        )
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a real date and time") from None
    if offset in _UTC_SUFFIXES:  # what datetime_text writes: already UTC
        # datetime's own constructor with positional values (pendulum's DateTime adds none):
        # the same instant as DateTime(..., tzinfo=UTC), without its keyword argument.
        return _NEW_DATETIME(
            DateTime,
            parsed.year,
            parsed.month,
            parsed.day,
            parsed.hour,
            parsed.minute,
            parsed.second,
            parsed.microsecond,
            UTC,
        )
    return ensure_utc(parsed)


def _datetime(value: object, _: object) -> DateTime:
    return parse_datetime(value)


_DURATION: Final = re.compile(r"(-?)P([0-9]{1,9})DT([0-9]{1,5})\.([0-9]{6})S")


def duration_text(value: _dt.timedelta) -> str:
    """A duration as exact ISO 8601 text in days and seconds with microseconds,
    ``"P3DT0.000000S"`` (three days), ``"-P0DT90.500000S"``."""
    micro = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micro < 0 else ""
    days, rest = divmod(abs(micro), 86_400 * 1_000_000)
    seconds, micro = divmod(rest, 1_000_000)
    return f"{sign}P{days}DT{seconds}.{micro:06d}S"


def _duration(value: object, _: object) -> _dt.timedelta:
    found = _DURATION.fullmatch(value) if type(value) is str else None
    if found is None or int(found[3]) >= 86_400:
        raise _wrong('a duration as ISO 8601 days and seconds ("P3DT0.000000S")', value)
    try:
        span = _dt.timedelta(days=int(found[2]), seconds=int(found[3]), microseconds=int(found[4]))
    except OverflowError:
        raise _wrong("a duration of at most 999,999,999 days", value) from None
    return -span if found[1] else span


def _enum(value: object, kind: type[enum.Enum]) -> enum.Enum:
    member = kind.__members__.get(value) if type(value) is str else None
    if member is None:
        names = ", ".join(kind.__members__)
        raise _wrong(f"the name of a {kind.__name__} ({names})", value)
    return member


def _is_tuple(kind: Any) -> bool:
    return get_origin(kind) is tuple


def _tuple_hook(kind: Any, converter: cattrs.Converter) -> Callable[[object, object], object]:
    args = get_args(kind)
    if len(args) == 2 and args[1] is Ellipsis:
        item = args[0]
        item_hook = converter.get_structure_hook(item)

        def homogeneous(value: object, _: object) -> tuple[Any, ...]:
            if not isinstance(value, list | tuple):
                raise _wrong("an array", value)
            hooks = [(item, item_hook)] * len(value)
            if _READING.detailed:
                return _items(value, hooks, kind)
            try:  # every item read at once; only a refused one needs the reading that says where
                return tuple([item_hook(v, item) for v in value])
            except Exception:  # read again below, saying where
                pass
            _READING.detailed = True
            try:
                return _items(value, hooks, kind)
            finally:
                _READING.detailed = False

        return homogeneous
    hooks = [(t, converter.get_structure_hook(t)) for t in args]

    def heterogeneous(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple) or len(value) != len(hooks):
            raise _wrong(f"an array of {len(hooks)} items", value)
        return _items(value, hooks, kind)

    return heterogeneous


def _items(
    values: list[Any] | tuple[Any, ...],
    hooks: list[tuple[Any, Callable[[Any, Any], Any]]],
    kind: Any,
) -> tuple[Any, ...]:
    """Each value read with its hook; problems collected as cattrs does, index by index."""
    result: list[Any] = []
    errors: list[Exception] = []
    for index, (value, (item_type, hook)) in enumerate(zip(values, hooks, strict=True)):
        try:
            result.append(hook(value, item_type))
        except Exception as exc:
            note = cattrs.IterableValidationNote(f"item {index}", index, item_type)
            exc.__notes__ = [*getattr(exc, "__notes__", []), note]
            errors.append(exc)
    if errors:
        raise cattrs.IterableValidationError("while reading an array", errors, kind)
    return tuple(result)


class _Reading(threading.local):
    """Whether this thread is reading a value again to say where it is wrong: the objects and
    arrays inside it are then read the detailed way at once (read quickly first, each level of
    a refused value would be read twice per level above it)."""

    detailed = False


_READING: Final = _Reading()


def _is_value_class(kind: Any) -> bool:
    return isinstance(kind, type) and attrs.has(kind) and kind is not Money


def _attrs_hook(kind: type[Any], converter: cattrs.Converter) -> Callable[[object, object], Any]:
    # Two readings of the same fields with the same hooks and the same refusal of extra keys:
    # ``quick`` stops at the first problem; ``detailed`` (the converter's own setting) collects
    # every problem with its place, and runs only once ``quick`` has refused the value (reading
    # has no side effects: constructors only check and build).
    quick = make_dict_structure_fn(kind, converter, _cattrs_detailed_validation=False)
    detailed = make_dict_structure_fn(kind, converter)
    keys = ", ".join(f.alias or f.name for f in attrs.fields(kind) if f.init)

    def read(value: object, _: object) -> Any:
        if type(value) is not dict:
            raise _wrong(f"an object with the keys of {kind.__name__} ({keys})", value)
        if _READING.detailed:
            return detailed(value, kind)
        try:
            return quick(value, kind)
        except Exception:  # read again below, saying where
            pass
        _READING.detailed = True
        try:
            return detailed(value, kind)
        finally:
            _READING.detailed = False

    return read


# --- writing -------------------------------------------------------------------------------------


def datetime_text(value: _dt.datetime) -> str:
    """An instant as ISO 8601 text in UTC with microseconds: ``2026-11-11T02:00:00.000000+00:00``.

    Raises:
        NaiveDatetime: ``value`` has no time zone.
    """
    if value.__class__ is DateTime and value.tzinfo is UTC:  # what the library holds
        return _UTC_TEXT % (
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
        )
    return ensure_utc(value).isoformat(timespec="microseconds")


def _is_any_tuple(kind: Any) -> bool:
    return kind is tuple or get_origin(kind) is tuple


def _tuple_writer(kind: Any, converter: cattrs.Converter) -> Callable[[Any], list[Any]]:
    """Tuples become lists; items are written as their declared type (or their own class)."""
    args = get_args(kind)
    write = converter.unstructure
    homogeneous = len(args) == 2 and args[1] is Ellipsis
    # ``write(v, unstructure_as=t)`` is ``converter.get_unstructure_hook(t)(v)``: the hooks are
    # found once here (cattrs makes this writer again when a hook is registered), except for a
    # class that contains itself, whose hook is still being made (cattrs raises RecursionError).
    try:
        hooks = [converter.get_unstructure_hook(t) for t in (args[:1] if homogeneous else args)]
    except RecursionError:
        hooks = None
    if homogeneous:
        if hooks is not None:
            item_hook = hooks[0]
            return lambda value: [item_hook(v) for v in value]
        item = args[0]
        return lambda value: [write(v, unstructure_as=item) for v in value]
    if args:
        if hooks is not None:
            return lambda value: [hook(v) for v, hook in zip(value, hooks, strict=True)]
        return lambda value: [write(v, unstructure_as=t) for v, t in zip(value, args, strict=True)]
    return lambda value: [write(v) for v in value]


def _money_data(value: Money) -> dict[str, str]:
    return {"amount": str(value.amount), "currency": value.currency.code}


def make_converter() -> cattrs.Converter:
    """A new converter configured for the domain's values.

    What each value becomes (and is read back from; nothing else is accepted when reading):

    * ``str``, ``int``, ``bool``, ``None``: the same JSON type, strictly (``1`` is not a str,
      ``true`` and ``1.0`` are not ints);
    * ``bytes`` (keys, signatures, digests): lowercase hexadecimal text, ``"00ff"``;
    * :class:`~decimal.Decimal`: a string, ``"0.5"``, ``"1E-7"``, never a float (read with the
      grammar of :func:`ecservice.money.to_decimal`);
    * :class:`~ecservice.money.Currency`: its ISO 4217 code, ``"CNY"``;
    * :class:`~ecservice.money.Money`: ``{"amount": "12.30", "currency": "CNY"}``, the amount a
      string with the currency's decimals;
    * pendulum ``DateTime`` and ``datetime``: ISO 8601 text in UTC with microseconds,
      ``"2026-11-11T02:00:00.000000+00:00"``; read with any offset (``Z`` too) and converted to
      UTC; text without an offset is refused;
    * ``date`` (a calendar day, without a time): ISO 8601 text, ``"2026-11-30"``;
    * ``timedelta``: ISO 8601 text in days and seconds with microseconds, exact,
      ``"P3DT0.000000S"`` for three days, ``"-P0DT90.500000S"``;
    * an ``Enum`` member: its name, ``"STAFF"``;
    * a ``tuple`` (``tuple[X, ...]``, ``tuple[X, Y]``): a JSON array; a fixed-size tuple's
      length is checked;
    * an attrs class (``Address``, ``OrderLine``, ``Actor``...): a JSON object with one key per
      ``__init__`` field, in field order; missing and extra keys are refused.

    Each call returns a fresh converter, so a shop can add hooks for its own types without
    changing anyone else's. Reading refuses extra keys in objects and checks every JSON type
    strictly. A problem inside an object or array is raised as cattrs'
    ``ClassValidationError`` / ``IterableValidationError`` (which record where each one is),
    otherwise as the library error the hook or the class's constructor raised; the serializers
    turn all of them into a :class:`~ecservice.storage.DocumentError` listing each problem with
    its place, ``body.lines[0].quantity``.

    Returns:
        A ``cattrs.Converter``: ``converter.unstructure(value)`` writes a value,
        ``converter.structure(data, SomeType)`` reads one.
    """
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_unstructure_hook_factory(_is_any_tuple, _tuple_writer)
    for kind, read in (
        (str, _str),
        (int, _int),
        (bool, _bool),
        (bytes, _bytes),
        (Decimal, _decimal),
        (Currency, _currency),
        (Money, _money),
        (_dt.datetime, _datetime),
        (DateTime, _datetime),
        (_dt.date, _date),
        (_dt.timedelta, _duration),
        (enum.Enum, _enum),
    ):
        converter.register_structure_hook(kind, read)
    converter.register_structure_hook_factory(_is_tuple, _tuple_hook)
    converter.register_structure_hook_factory(_is_value_class, _attrs_hook)
    converter.register_unstructure_hook(bytes, bytes.hex)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(Currency, lambda value: value.code)
    converter.register_unstructure_hook(Money, _money_data)
    converter.register_unstructure_hook(_dt.datetime, datetime_text)
    converter.register_unstructure_hook(DateTime, datetime_text)
    converter.register_unstructure_hook(_dt.date, _dt.date.isoformat)
    converter.register_unstructure_hook(_dt.timedelta, duration_text)
    converter.register_unstructure_hook(enum.Enum, lambda value: value.name)
    return converter
