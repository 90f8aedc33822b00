"""A registry of serializers: one per document type, found by type name to read and by class to
write."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, final

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ValidationError
from ecservice.storage._document import Document, Serializer, read_envelope
from ecservice.storage._errors import DocumentError

__all__ = ["SerializerRegistry"]


@final
class SerializerRegistry:
    """The serializers a store reads and writes with: one per document type and per class.

    >>> from ecservice.storage import default_registry
    >>> default_registry().type_names  # doctest: +NORMALIZE_WHITESPACE
    ('aftersales_case', 'cart', 'complaint', 'consultation', 'feedback', 'order', 'payment',
     'rating', 'survey')

    Args:
        serializers: the serializers to register (see :meth:`register`).

    Raises:
        ValidationError: two serializers share a type name or a class.
    """

    __slots__ = ("_by_class", "_by_name")

    def __init__(self, serializers: Iterable[Serializer[Any]] = ()) -> None:
        self._by_name: dict[str, Serializer[Any]] = {}
        self._by_class: dict[type, Serializer[Any]] = {}
        for serializer in serializers:
            self.register(serializer)

    @property
    def type_names(self) -> tuple[str, ...]:
        """The registered document types, sorted."""
        return tuple(sorted(self._by_name))

    def register(self, serializer: Serializer[Any], *, replace: bool = False) -> None:
        """Add ``serializer``; with ``replace=True`` it takes the place of the one registered for
        its type name (a shop's ``Order`` subclass read and written as ``"order"``).

        Raises:
            ValidationError: not a serializer, or its type name or class is already registered
                (and ``replace`` is false, or the class belongs to another type name).
        """
        name = getattr(serializer, "type_name", None)
        cls = getattr(serializer, "object_type", None)
        if type(name) is not str or not isinstance(cls, type):
            raise ValidationError(
                f"expected a Serializer (type_name, object_type, dump, load), not "
                f"{shown(serializer)}"
            )
        old = self._by_name.get(name)
        if old is not None and not replace:
            raise ValidationError(
                f"a serializer for {name!r} documents is already registered; pass replace=True "
                "to use another one"
            )
        other = self._by_class.get(cls)
        if other is not None and other is not old:
            raise ValidationError(
                f"{cls.__name__} is already written as {other.type_name!r} documents; one class "
                "has one document type"
            )
        if old is not None:
            del self._by_class[old.object_type]
        self._by_name[name] = serializer
        self._by_class[cls] = serializer

    def for_type(self, type_name: str) -> Serializer[Any]:
        """The serializer of ``type_name`` documents.

        Raises:
            DocumentError: no serializer is registered for that type.
        """
        found = self._by_name.get(type_name) if type(type_name) is str else None
        if found is None:
            raise DocumentError(
                "a document",
                [
                    f"type: must be one of the registered document types "
                    f"({', '.join(self.type_names) or 'none'}), not {shown(type_name, 60)}"
                ],
            )
        return found

    def for_object(self, obj: object) -> Serializer[Any]:
        """The serializer of ``obj``'s exact class.

        Raises:
            DocumentError: none is registered for that class.
        """
        found = self._by_class.get(type(obj))
        if found is None:
            raise DocumentError(
                f"a {type(obj).__name__}",
                [
                    f"no serializer is registered for {type(obj).__name__}; register one "
                    "(AggregateSerializer(cls, type_name)) for each class a store writes"
                ],
            )
        return found

    def dump(self, obj: object) -> Document:
        """``obj`` written by the serializer of its exact class.

        Raises:
            DocumentError: no serializer for its class, or it cannot be written.
        """
        return self.for_object(obj).dump(obj)

    def load(self, document: object, *, clock: Clock = SYSTEM_CLOCK) -> Any:
        """The object ``document`` holds, read by the serializer of its ``type``.

        Raises:
            DocumentError: a malformed document or an unregistered type.
            UnsupportedSchemaVersion: a schema version newer than the serializer's.
            DocumentError: the object's constructor refused the values (its error is the
                ``__cause__``).
        """
        read_envelope(document, self._by_name)
        assert isinstance(document, dict)
        return self.for_type(document["type"]).load(document, clock=clock)
