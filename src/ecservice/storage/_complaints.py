"""Complaints as documents."""

from __future__ import annotations

import datetime as _dt
from typing import Final

import cattrs

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.complaints import Complaint
from ecservice.storage._aftersales import duration_text, parse_duration
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._converter import make_converter
from ecservice.storage._document import Document

__all__ = ["COMPLAINT_SERIALIZER", "dump_complaint", "load_complaint"]


def _duration(value: object, _: object) -> _dt.timedelta:
    return parse_duration(value)


def _complaint_converter() -> cattrs.Converter:
    """:func:`~ecservice.storage.make_converter` with durations written as ISO 8601 text."""
    converter = make_converter()
    converter.register_structure_hook(_dt.timedelta, _duration)
    converter.register_unstructure_hook(_dt.timedelta, duration_text)
    return converter


#: Writes and reads :class:`~ecservice.complaints.Complaint` objects as ``"complaint"``
#: documents (schema version 1).
COMPLAINT_SERIALIZER: Final[AggregateSerializer[Complaint]] = AggregateSerializer(
    Complaint, "complaint", converter=_complaint_converter()
)


def dump_complaint(complaint: Complaint) -> Document:
    """A :class:`~ecservice.complaints.Complaint` as a ``"complaint"`` document.

    The body holds ``status``, ``buyer_id``, ``text``, ``channel``, ``opened_at``,
    ``priority``, ``order_id``, ``lines`` (``[{"sku", "quantity"}]``, sorted by SKU),
    ``problem``, ``summary``, ``validity``, ``liability``, ``cause`` (``{"text",
    "root_cause"}``), ``solution`` (``{"text", "case_id", "remedy"}``), ``case_outcome``,
    ``visit`` (``{"reached", "satisfaction", "comment"}``), ``level``, ``paused_from``,
    ``waiting_for`` (enums by name), ``reopen_window`` (an ISO 8601 duration in seconds,
    :func:`~ecservice.storage.duration_text`) and ``history``. Queued events are not written:
    the store's ``save`` pulls them into the outbox.

    >>> import pendulum
    >>> from ecservice.complaints import Complaint, ComplaintChannel
    >>> complaint = Complaint(
    ...     id="TS-1", buyer_id="b-1", text="The kettle leaks.",
    ...     channel=ComplaintChannel.PHONE, opened_at=pendulum.datetime(2026, 3, 1, tz="UTC"))
    >>> doc = dump_complaint(complaint)
    >>> doc["type"], doc["body"]["channel"], doc["body"]["reopen_window"]
    ('complaint', 'PHONE', 'PT1296000S')
    >>> load_complaint(doc) == complaint
    True

    Raises:
        DocumentError: ``complaint`` is not exactly a ``Complaint``.
    """
    return COMPLAINT_SERIALIZER.dump(complaint)


def load_complaint(document: object, *, clock: Clock = SYSTEM_CLOCK) -> Complaint:
    """The :class:`~ecservice.complaints.Complaint` a ``"complaint"`` document holds, checked
    by its constructor (see its "Loading" section).

    Raises:
        DocumentError: a malformed document; every problem is listed with its place
            (``body.visit.satisfaction``).
        UnsupportedSchemaVersion: a schema version newer than this code's.
        ValidationError: the constructor refused the values (fields that disagree with the
            state or the history).
    """
    return COMPLAINT_SERIALIZER.load(document, clock=clock)
