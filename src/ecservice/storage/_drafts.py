"""Electronic commercial drafts as documents, and their timer."""

from __future__ import annotations

from typing import Final

from pendulum import DateTime  # noqa: F401 - named by the Timer alias, which the docs resolve here

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.payments.ebills import (
    DEFAULT_DRAFT_POLICY,
    DraftParty,
    DraftPolicy,
    ElectronicDraft,
)
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._document import Document
from ecservice.storage._repository import Timer

__all__ = ["DRAFT_SERIALIZER", "draft_next_due", "dump_draft", "load_draft"]

#: Writes and reads :class:`~ecservice.payments.ebills.ElectronicDraft` objects as
#: ``"electronic_draft"`` documents (needs the ``crypto`` extra: loading verifies every act's
#: signature). Register it with a store's registry, or reach the drafts with
#: ``uow.repository(DRAFT_SERIALIZER)``.
DRAFT_SERIALIZER: Final[AggregateSerializer[ElectronicDraft]] = AggregateSerializer(
    ElectronicDraft, "electronic_draft"
)


def dump_draft(draft: ElectronicDraft) -> Document:
    """An :class:`~ecservice.payments.ebills.ElectronicDraft` as an ``"electronic_draft"``
    document.

    The body holds ``status``, ``acts`` (each act's fields as signed: parties with their
    public keys and signatures as lowercase hexadecimal, amounts as ``{"amount", "currency"}``,
    instants in UTC, the issue's terms with ISO 8601 dates) and ``history``.

    Raises:
        DocumentError: ``draft`` is not exactly an ``ElectronicDraft``.
    """
    return DRAFT_SERIALIZER.dump(draft)


def load_draft(document: object, *, clock: Clock = SYSTEM_CLOCK) -> ElectronicDraft:
    """The draft an ``"electronic_draft"`` document holds, built through its constructor,
    which replays and verifies the chain of signed acts against the history.

    Raises:
        DocumentError: a malformed document, or the constructor refused the values (a forged,
            re-signed or out-of-order act: its own error, ``ForgedAct``, ``WrongSigner`` or
            ``ActChainBroken``, is the ``__cause__``).
        UnsupportedSchemaVersion: a schema version newer than this code's.
    """
    return DRAFT_SERIALIZER.load(document, clock=clock)


def draft_next_due(
    policy: DraftPolicy = DEFAULT_DRAFT_POLICY, *, holder: DraftParty | None = None
) -> Timer:
    """The timer of drafts under ``policy``: :meth:`ElectronicDraft.next_due_at
    <ecservice.payments.ebills.ElectronicDraft.next_due_at>` (the acceptor's answer, the end
    of the presentment period, the answer to a presentment, the end of recourse or of the
    holder's rights). With ``holder`` (the shop), a draft that party holds is due earlier, when
    presentment opens on its maturity date, so that the shop presents it
    (:meth:`EbillService.run_due <ecservice.application.EbillService.run_due>`).

    Raises:
        ValidationError: ``policy`` is not a :class:`~ecservice.payments.ebills.DraftPolicy`,
            or ``holder`` is not a :class:`~ecservice.payments.ebills.DraftParty`.
    """
    from ecservice.storage._timers import DraftTimer

    return DraftTimer(policy, holder)
