"""After-sales cases as documents."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Final

import cattrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import AfterSalesCase
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ValidationError
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._converter import make_converter
from ecservice.storage._document import Document

__all__ = [
    "CASE_SERIALIZER",
    "case_next_due",
    "dump_case",
    "duration_text",
    "load_case",
    "parse_duration",
]

#: ``PT<seconds>S`` or ``PT<seconds>.<microseconds>S``: at most 15 digits of seconds (more than
#: any ``timedelta`` holds), 1 to 6 digits of fraction.
_DURATION: Final = re.compile(r"PT([0-9]{1,15})(?:\.([0-9]{1,6}))?S", re.ASCII)
_MICROSECONDS: Final = 1_000_000


def microseconds(value: _dt.timedelta) -> int:
    """A duration as a whole number of microseconds (exact; internal)."""
    return (value.days * 86_400 + value.seconds) * _MICROSECONDS + value.microseconds


def duration_text(value: _dt.timedelta) -> str:
    """A length of time as an ISO 8601 duration in seconds: ``PT172800S`` (48 hours),
    ``PT0.5S``; microseconds are written when there are any (``PT1.000001S``).

    Seconds alone, never days or hours: an ISO 8601 day is a calendar day, which DST can make
    23 or 25 hours long, while the library's timeouts are elapsed time (see
    :class:`~ecservice.aftersales.CaseTimeouts`).

    Raises:
        ValidationError: ``value`` is not a ``datetime.timedelta``, or is negative.
    """
    if not isinstance(value, _dt.timedelta):
        raise ValidationError(f"a duration is a datetime.timedelta, not {shown(value)}")
    if value < _dt.timedelta(0):
        raise ValidationError(f"a duration written to storage is not negative, not {value}")
    seconds, fraction = divmod(microseconds(value), _MICROSECONDS)
    if fraction:
        return f"PT{seconds}.{f'{fraction:06d}'.rstrip('0')}S"
    return f"PT{seconds}S"


def parse_duration(value: object) -> _dt.timedelta:
    """Read a duration written by :func:`duration_text`.

    Args:
        value: ``"PT<seconds>S"`` or ``"PT<seconds>.<fraction>S"`` (1 to 6 fraction digits);
            no other ISO 8601 form (days, hours, minutes, weeks, a sign) is accepted.

    Returns:
        The ``datetime.timedelta``.

    Raises:
        ValidationError: not a string of that form, or longer than a ``timedelta`` holds.
    """
    if type(value) is not str or not (match := _DURATION.fullmatch(value)):
        raise ValidationError(
            'must be an ISO 8601 duration in seconds such as "PT172800S" (48 hours) or '
            f'"PT0.5S", not {shown(value, 40)}'
        )
    fraction = (match.group(2) or "").ljust(6, "0")
    try:
        return _dt.timedelta(seconds=int(match.group(1)), microseconds=int(fraction))
    except OverflowError:
        raise ValidationError(f"{value!r} is longer than a duration may be") from None


def _duration(value: object, _: object) -> _dt.timedelta:
    return parse_duration(value)


def _case_converter() -> cattrs.Converter:
    """:func:`~ecservice.storage.make_converter` with durations written as ISO 8601 text."""
    converter = make_converter()
    converter.register_structure_hook(_dt.timedelta, _duration)
    converter.register_unstructure_hook(_dt.timedelta, duration_text)
    return converter


#: Writes and reads :class:`~ecservice.aftersales.AfterSalesCase` objects as
#: ``"aftersales_case"`` documents (schema version 1).
CASE_SERIALIZER: Final[AggregateSerializer[AfterSalesCase]] = AggregateSerializer(
    AfterSalesCase, "aftersales_case", converter=_case_converter()
)


def dump_case(case: AfterSalesCase) -> Document:
    """An :class:`~ecservice.aftersales.AfterSalesCase` as an ``"aftersales_case"`` document.

    The body holds ``status``, ``order_id``, ``buyer_id``, ``remedy``, ``problem``,
    ``liability`` (enum names), ``lines`` (``[{"sku", "quantity"}]``, sorted by SKU),
    ``goods_value``, ``asked`` (money objects), ``opened_at``, ``order_shipped``, ``timeouts``
    (each an ISO 8601 duration in seconds, :func:`duration_text`), ``evidence`` (each
    ``{"photos": [{"sha256", "uri"}], "note"}``: photo references, never photo bytes),
    ``agreed``, ``rejection``, ``return_parcel``, ``inspection``, ``repairs``,
    ``new_shipments``, ``ruling``, ``refunds`` (``[{"amount", "sort", "version"}]``) and
    ``history``. Queued events are not written: the store's ``save`` pulls them into the
    outbox.

    >>> import pendulum
    >>> from ecservice import Money
    >>> from ecservice.aftersales import AfterSalesCase, Liability, ProblemKind, RemedyKind
    >>> opened = pendulum.datetime(2026, 3, 1, 8, tz="UTC")
    >>> case = AfterSalesCase(
    ...     id="AS-1", order_id="O-1", buyer_id="b-1", remedy=RemedyKind.REFUND_ONLY,
    ...     problem=ProblemKind.QUALITY, liability=Liability.SELLER, lines={"SKU-A": 1},
    ...     goods_value=Money("99.00", "CNY"), asked=Money("99.00", "CNY"),
    ...     opened_at=opened, order_shipped=False)
    >>> doc = dump_case(case)
    >>> doc["type"], doc["body"]["timeouts"]["seller_answer_unshipped"]
    ('aftersales_case', 'PT172800S')
    >>> load_case(doc) == case
    True

    Raises:
        DocumentError: ``case`` is not exactly an ``AfterSalesCase``.
    """
    return CASE_SERIALIZER.dump(case)


def load_case(document: object, *, clock: Clock = SYSTEM_CLOCK) -> AfterSalesCase:
    """The :class:`~ecservice.aftersales.AfterSalesCase` an ``"aftersales_case"`` document
    holds, checked by its constructor (see its "Loading" section).

    Raises:
        DocumentError: a malformed document; every problem is listed with its place
            (``body.timeouts.buyer_ships_return``).
        UnsupportedSchemaVersion: a schema version newer than this code's.
        DocumentError: the constructor refused the values (fields that disagree with the
            state or the history; its error is the ``__cause__``).
    """
    return CASE_SERIALIZER.load(document, clock=clock)


def case_next_due(case: AfterSalesCase) -> DateTime | None:
    """The timer of after-sales cases: the case's own
    :meth:`~ecservice.aftersales.AfterSalesCase.next_due_at` (the seller's answer, the buyer's
    return shipment, the seller's confirmation of receipt), in UTC, or ``None`` when no timer
    runs. :func:`~ecservice.storage.default_timers` uses it for ``"aftersales_case"``
    documents, so ``uow.cases.due(now)`` finds the cases whose
    :meth:`~ecservice.aftersales.AfterSalesCase.run_timeouts` has something to do."""
    return case.next_due_at()
