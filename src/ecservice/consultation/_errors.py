"""The error a session raises when it would close with hand-over remarks not followed up."""

from __future__ import annotations

from collections.abc import Iterable

from ecservice.errors import PolicyViolation

__all__ = ["RemarksOpen"]


class RemarksOpen(PolicyViolation):
    """A session cannot complete: some hand-over remarks (备注) are not followed up. The session
    is unchanged; the message lists each open remark with its position.

    Args:
        session_id: the session's id.
        open_remarks: ``(index, text)`` of every open remark, at least one.
    """

    def __init__(self, session_id: str, open_remarks: Iterable[tuple[int, str]]) -> None:
        self.session_id = session_id
        self.open_remarks: tuple[tuple[int, str], ...] = tuple(open_remarks)
        lines = "\n".join(f"  - #{i}: {text}" for i, text in self.open_remarks)
        super().__init__(
            f"consultation {session_id!r} cannot complete: follow up its remarks first:\n{lines}"
        )
