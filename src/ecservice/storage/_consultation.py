"""Pre-sale consultation sessions as documents."""

from __future__ import annotations

from typing import Final

from ecservice.consultation import ConsultationSession
from ecservice.storage._aggregate import AggregateSerializer

__all__ = ["CONSULTATION_SERIALIZER"]

#: Writes and reads :class:`~ecservice.consultation.ConsultationSession` objects as
#: ``"consultation"`` documents (schema version 1). The body holds ``status``, ``buyer_id``,
#: ``opened_at``, ``messages`` (``[{"sender", "at", "length"}]``), ``enquiries``
#: (``[{"type": {"code", "label_en", "label_zh"}, "at", "note"}]``), ``recommended`` (SKUs),
#: ``objections`` (names), ``order`` (``null`` or ``{"order_id", "address", "carrier",
#: "items", "presale_ship_by"}``), ``remarks`` (``[{"text", "followed_up", "note"}]``),
#: ``aftersales_case_id`` and ``history``; loading goes through the session's validating
#: constructor. Sessions need no timer.
CONSULTATION_SERIALIZER: Final[AggregateSerializer[ConsultationSession]] = AggregateSerializer(
    ConsultationSession, "consultation"
)
