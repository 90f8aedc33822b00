"""The errors of the storage area: a document that cannot be read or written."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ecservice.errors import ValidationError

__all__ = ["DocumentError", "UnsupportedSchemaVersion"]

#: At most this many problems are listed in a message (the rest are counted).
_MAX_SHOWN: Final = 12


class DocumentError(ValidationError):
    """A stored document is not one the library can load (or an object cannot be written as one).

    Raised for the shape of a document: an envelope that is not
    ``{"type", "schema_version", "id", "version", "body"}``, an unknown document type, a missing or
    extra key, a value of the wrong JSON type (a float where an amount is a string, a number where
    a text is), an unknown enum or state name, a datetime without an offset, or a value a domain
    class refused while one field was read (the domain error is kept as ``__cause__`` when there
    is one). Checks across fields that the aggregate's constructor runs (a history that does not
    lead to the status, more units shipped than ordered, ...) raise it too, naming the document,
    with the constructor's error as ``__cause__``.

    Args:
        subject: what was read or written, e.g. ``"order document 'O-1'"``.
        problems: one line per problem, each naming the field (``body.lines[0].quantity``) and
            what is allowed.

    Attributes:
        subject: as given.
        problems: the problems, as a tuple of str.
    """

    def __init__(self, subject: str, problems: Iterable[str]) -> None:
        self.subject = subject
        self.problems = tuple(problems)
        shown = self.problems[:_MAX_SHOWN]
        more = len(self.problems) - len(shown)
        lines = "".join(f"\n  - {p}" for p in shown)
        if more:
            lines += f"\n  - ... and {more} more"
        super().__init__(f"{subject} is not valid:{lines}")

    def __reduce__(self) -> tuple[type[DocumentError], tuple[str, tuple[str, ...]]]:
        return (type(self), (self.subject, self.problems))


class UnsupportedSchemaVersion(DocumentError):
    """A document was written with a schema version newer than this code knows.

    It was written by a newer release of the shop's code; loading it here would drop or misread
    what the newer schema added. Load it with the newer code (or upgrade this one).
    """


# Shown (in tracebacks, reprs and pickles) under the module users import them from.
DocumentError.__module__ = "ecservice.storage"
UnsupportedSchemaVersion.__module__ = "ecservice.storage"
