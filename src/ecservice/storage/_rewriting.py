"""Writing an aggregate's document again after a change, reusing what did not change (internal).

An :class:`~ecservice.storage.AggregateSerializer` made with ``reuse_values`` writes classes
whose field values are all immutable, and a history is a tuple of frozen records that only ever
grows. So when an aggregate is written again, a field value that is the very object written
last time (``is``, not ``==``: the object is kept, so its identity cannot be taken by another)
has the same JSON as then, and so do the records of the history written last time. A
:class:`Rewriter` keeps, per aggregate id, the values and records it wrote last and their JSON
(values and text), and writes only what is new: after one transition, one history record and
the fields the transition replaced. The result is exactly :meth:`AggregateSerializer.dump
<ecservice.storage.AggregateSerializer.dump>` and its compact JSON text (the property tests
check it): the JSON of an object is the JSON of its items joined, with the same encoder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from operator import is_
from typing import Any, Final, NamedTuple, final

from ecservice.storage._json_text import encode
from ecservice.workflow import ActorKind, TransitionRecord

__all__ = ["ENCODE", "Rewriter", "history_unit"]

#: The documents' JSON text: compact, non-ASCII kept (what the SQL engine's serializer writes).
ENCODE: Final = encode
#: The names of the actor kinds, as written (a dict lookup instead of the enum's ``name``).
_KIND_NAMES: Final = {kind: kind.name for kind in ActorKind}


def history_unit(
    record: TransitionRecord, names: Mapping[Any, str], text: Callable[[Any], str]
) -> dict[str, Any]:
    """One history record as written: ``{"trigger", "source", "dest", "at", "actor", "note"}``,
    the states by name (``names``, else the enum member's ``name``) and the instant as ``text``
    writes it."""
    return {
        "trigger": record.trigger,
        "source": names.get(record.source) or record.source.name,
        "dest": names.get(record.dest) or record.dest.name,
        "at": text(record.at),
        "actor": {
            "kind": _KIND_NAMES.get(record.actor.kind) or record.actor.kind.name,
            "id": record.actor.id,
        },
        "note": record.note,
    }


class _Written(NamedTuple):
    """What was written last for one aggregate id."""

    values: tuple[Any, ...]
    """The field values, in the order of the serializer's fields (kept for their identity)."""
    units: tuple[Any, ...]
    """Their JSON values."""
    texts: tuple[str, ...]
    """``"alias":`` and the JSON text of each value."""
    fields_text: str
    """``texts`` joined by commas."""
    records: tuple[TransitionRecord, ...]
    record_units: tuple[dict[str, Any], ...]
    history_text: str
    """The JSON texts of the records joined by commas."""


@final
class Rewriter:
    """The documents last written per aggregate id, as pieces to reuse (at most ``size`` ids;
    the one written longest ago is dropped first).

    Args:
        size: how many aggregate ids to keep.
    """

    __slots__ = ("_lock", "_size", "_written")

    def __init__(self, size: int) -> None:
        self._size = size
        self._written: dict[str, _Written] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._written)

    def write(
        self,
        id: str,
        head: str,
        status: str,
        values: tuple[Any, ...],
        unit: Callable[[int, Any], Any],
        aliases: Sequence[str],
        records: tuple[TransitionRecord, ...],
        record_unit: Callable[[TransitionRecord], dict[str, Any]],
    ) -> tuple[dict[str, Any], str]:
        """The body of aggregate ``id`` and the document's JSON text.

        Args:
            id: the aggregate's id (what the pieces are kept under).
            head: the JSON text of the document up to its body: ``{"type":...,"body":``.
            status: the state's name.
            values: the field values, in the order of ``aliases``.
            unit: the JSON value of field ``i``'s value (may raise; then nothing is kept).
            aliases: the keys of the fields in the body.
            records: the history.
            record_unit: the JSON value of a history record.

        Returns:
            ``(body, text)``: the body (sharing its parts with earlier bodies of the same id:
            never to be changed) and the whole document's text.
        """
        before = self._written.get(id)
        if before is not None and all(map(is_, before.values, values)):
            units, texts, fields_text = before.units, before.texts, before.fields_text
        else:
            made_units: list[Any] = []
            made_texts: list[str] = []
            for i, value in enumerate(values):
                if before is not None and before.values[i] is value:
                    made_units.append(before.units[i])
                    made_texts.append(before.texts[i])
                else:
                    made = unit(i, value)
                    made_units.append(made)
                    made_texts.append(f"{ENCODE(aliases[i])}:{ENCODE(made)}")
            units, texts = tuple(made_units), tuple(made_texts)
            fields_text = ",".join(texts)
        if before is not None and before.records == records[: len(before.records)]:
            # Tuples compare item by item, identity first: the records written before are
            # usually the very objects; equal records write the same JSON anyway.
            kept = len(before.records)
            record_units, history_text = before.record_units, before.history_text
        else:
            kept, record_units, history_text = 0, (), ""
        if kept < len(records):
            new_units = tuple(record_unit(r) for r in records[kept:])
            record_units += new_units
            joined = ",".join([ENCODE(u) for u in new_units])
            history_text = f"{history_text},{joined}" if history_text else joined
        body: dict[str, Any] = {"status": status, **dict(zip(aliases, units, strict=True))}
        body["history"] = list(record_units)
        text = (
            f'{head}{{"status":{ENCODE(status)}{"," if fields_text else ""}{fields_text},'
            f'"history":[{history_text}]}}}}'
        )
        written = _Written(values, units, texts, fields_text, records, record_units, history_text)
        with self._lock:
            self._written.pop(id, None)
            self._written[id] = written
            if len(self._written) > self._size:
                del self._written[next(iter(self._written))]
        return body, text
