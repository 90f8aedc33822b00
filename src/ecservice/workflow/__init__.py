"""The workflow kernel: workflows declared as data, validated once, run by a compiled table.

>>> import enum
>>> class Door(LabelledState):
...     OPEN = ("open", "Open", "开着")
...     CLOSED = ("closed", "Closed", "关着")
...     LOCKED = ("locked", "Locked", "锁着")
>>> DOOR = Workflow(
...     "door",
...     states=Door,
...     initial=Door.OPEN,
...     final=[Door.LOCKED],
...     transitions=[
...         transition("close", Door.OPEN, Door.CLOSED),
...         transition("open", Door.CLOSED, Door.OPEN),
...         transition("lock", Door.CLOSED, Door.LOCKED),
...     ],
... )
>>> DOOR.triggers
('close', 'open', 'lock')
>>> Workflow("broken", states=Door, initial=Door.OPEN, transitions=[
...     transition("close", Door.OPEN, Door.CLOSED)])
Traceback (most recent call last):
ecservice.errors.InvalidWorkflow: workflow 'broken' is invalid:
  - state CLOSED is not final but no transition leaves it; declare it final or add a way out
  - state LOCKED cannot be reached from OPEN
"""

from ecservice.errors import ReadOnlyField
from ecservice.workflow._aggregate import Aggregate, bind_workflow
from ecservice.workflow._definition import Guard, Hook, Transition, Workflow, transition
from ecservice.workflow._diagram import DiagramUnavailable
from ecservice.workflow._engine import CompiledWorkflow, Context
from ecservice.workflow._history import History
from ecservice.workflow._records import (
    Actor,
    ActorKind,
    DomainEvent,
    LabelledState,
    TransitionRecord,
    state_label,
)
from ecservice.workflow._triggers import BoundTrigger, BoundTypedTrigger, TypedTrigger, trigger

__all__ = [
    "Actor",
    "ActorKind",
    "Aggregate",
    "BoundTrigger",
    "BoundTypedTrigger",
    "CompiledWorkflow",
    "Context",
    "DiagramUnavailable",
    "DomainEvent",
    "Guard",
    "History",
    "Hook",
    "LabelledState",
    "ReadOnlyField",
    "Transition",
    "TransitionRecord",
    "TypedTrigger",
    "Workflow",
    "bind_workflow",
    "state_label",
    "transition",
    "trigger",
]
