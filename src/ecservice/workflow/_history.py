"""An aggregate's history: an immutable sequence of transition records that grows in O(1)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, final, overload

from ecservice.workflow._records import TransitionRecord

__all__ = ["History", "append_record"]


@final
class History(Sequence[TransitionRecord]):
    """The transitions of an aggregate, oldest first: an immutable sequence.

    A ``History`` reads like a tuple of :class:`TransitionRecord` (``len``, indexing, slicing,
    iteration, ``in``) and compares equal to a tuple or a ``History`` with the same records. It
    never changes once built: the kernel appends a record by building a new ``History``.

    Appending costs O(1) amortised however long the history is. Histories built from one another
    share one growing buffer, each seeing only its first ``len()`` records; appending to the
    longest one appends to the buffer, appending to a shorter one (an older copy of the aggregate,
    for instance one made with ``attrs.evolve`` before the last transition) copies its records
    into a new buffer first. The check that the buffer has not grown in between is race-free in
    CPython, so two copies of one aggregate can be changed by two threads.

    Args:
        records: the records, oldest first.
    """

    __slots__ = ("_buf", "_n")

    _buf: list[TransitionRecord]
    _n: int

    def __init__(self, records: Iterable[TransitionRecord] = ()) -> None:
        self._buf = list(records)
        self._n = len(self._buf)

    @classmethod
    def _view(cls, buf: list[TransitionRecord], n: int) -> History:
        view = cls.__new__(cls)
        view._buf = buf
        view._n = n
        return view

    def appended(self, record: TransitionRecord) -> History:
        """A new history with ``record`` added at the end (this one is unchanged)."""
        buf = self._buf
        n = self._n
        if len(buf) == n:
            buf.append(record)
            # Another view of the same length may have appended between the check and here.
            if buf[n] is record:
                return History._view(buf, n + 1)
        mine = buf[:n]
        mine.append(record)
        return History._view(mine, n + 1)

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> TransitionRecord: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[TransitionRecord, ...]: ...

    def __getitem__(self, index: int | slice) -> TransitionRecord | tuple[TransitionRecord, ...]:
        n = self._n
        if isinstance(index, slice):
            return tuple(self._buf[:n][index])
        i = index.__index__()
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("history index out of range")
        return self._buf[i]

    def __iter__(self) -> Iterator[TransitionRecord]:
        return islice(self._buf, self._n)

    def __reversed__(self) -> Iterator[TransitionRecord]:
        buf = self._buf
        return (buf[i] for i in range(self._n - 1, -1, -1))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            if self._n != other._n:
                return False
            if self._buf is other._buf:
                return True
            return self._buf[: self._n] == other._buf[: other._n]
        if isinstance(other, tuple):
            return len(other) == self._n and tuple(self) == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other: object) -> tuple[TransitionRecord, ...]:
        if isinstance(other, (tuple, History)):
            return (*self, *other)
        return NotImplemented

    def __radd__(self, other: object) -> tuple[TransitionRecord, ...]:
        if isinstance(other, tuple):
            return (*other, *self)
        return NotImplemented

    def __repr__(self) -> str:
        return f"History({tuple(self)!r})"

    def __reduce__(self) -> tuple[type[History], tuple[Any, ...]]:
        return (History, (tuple(self),))


_new = object.__new__


def append_record(history: Sequence[TransitionRecord], record: TransitionRecord) -> History:
    """``history`` with ``record`` appended, as a :class:`History` (internal; the kernel's path,
    :meth:`History.appended` inlined)."""
    view: History = _new(History)
    if type(history) is History:
        buf = history._buf
        n = history._n
        if len(buf) == n:
            buf.append(record)
            if buf[n] is record:
                view._buf = buf
                view._n = n + 1
                return view
        buf = buf[:n]
    else:
        buf = list(history)
    buf.append(record)
    view._buf = buf
    view._n = len(buf)
    return view
