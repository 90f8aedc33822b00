"""The purse-to-purse protocol as data: the states, the triggers and their transitions.

Declared once with the workflow kernel in :data:`PURSE_WORKFLOW` and validated when this module is
imported; :data:`TRANSITIONS` is the same table as a mapping, which
:class:`~ecservice.payments.mondex.Purse` follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from ecservice.errors import InvalidWorkflow
from ecservice.workflow import LabelledState, Workflow, transition

if TYPE_CHECKING:
    from ecservice.payments.mondex._purse import Purse

__all__ = [
    "LOGGED_ON_ABORT",
    "PURSE_WORKFLOW",
    "TRANSITIONS",
    "TRIGGERS",
    "PurseStatus",
]


class PurseStatus(LabelledState):
    """Where a purse is in the protocol (the Mondex states ``idle``, ``epr``, ``epv``, ``epa``).

    Each member's value is the protocol's short name; ``label_en`` and ``label_zh`` name it for
    people.
    """

    #: between payments; accepts ``start_from`` and ``start_to``.
    IDLE = ("idle", "Idle", "空闲")
    #: payer after ``start_from``, expecting the payee's request.
    EXPECTING_REQ = ("epr", "Expecting request", "等待收款请求")
    #: payee after ``start_to``, expecting the value.
    EXPECTING_VAL = ("epv", "Expecting value", "等待到账")
    #: payer after debiting, expecting the payee's acknowledgement.
    EXPECTING_ACK = ("epa", "Expecting acknowledgement", "等待确认")


#: Every trigger a purse has, each a method of :class:`Purse`.
TRIGGERS: Final[tuple[str, ...]] = ("start_from", "start_to", "req", "val", "ack", "abort")

_S = PurseStatus

#: The protocol, declared with the workflow kernel: validated when this module is imported
#: (reachability, a way out of every state) and drawn with ``PURSE_WORKFLOW.mermaid()``.
PURSE_WORKFLOW: Final[Workflow[Purse]] = Workflow(
    "mondex-purse",
    states=PurseStatus,
    initial=_S.IDLE,
    transitions=[
        transition("start_from", _S.IDLE, _S.EXPECTING_REQ),
        transition("start_to", _S.IDLE, _S.EXPECTING_VAL),
        transition("req", _S.EXPECTING_REQ, _S.EXPECTING_ACK),
        transition("val", _S.EXPECTING_VAL, _S.IDLE),
        transition("ack", _S.EXPECTING_ACK, _S.IDLE),
        transition("abort", list(PurseStatus), _S.IDLE),
    ],
)

#: The protocol as a table, ``(status, trigger) -> next status``, from :data:`PURSE_WORKFLOW`.
TRANSITIONS: Final[Mapping[tuple[PurseStatus, str], PurseStatus]] = MappingProxyType(
    {
        (source, t.trigger): t.dest
        for t in PURSE_WORKFLOW.transitions
        for source in t.sources
        if isinstance(source, PurseStatus) and isinstance(t.dest, PurseStatus)
    }
)
if tuple(PURSE_WORKFLOW.triggers) != TRIGGERS:  # pragma: no cover - a definition error
    raise InvalidWorkflow("mondex-purse", ["TRIGGERS must list the workflow's triggers in order"])

#: States in which ``abort`` writes the current payment to the exception log.
LOGGED_ON_ABORT: Final[frozenset[PurseStatus]] = frozenset({_S.EXPECTING_VAL, _S.EXPECTING_ACK})
