"""What the API pages show beyond autodoc's defaults: property types and readable base classes.

* **Properties show their type.** autodoc adds a property's ``:type:`` only when
  ``autodoc_typehints`` is not ``"none"``, and the documentation leaves type hints to
  sphinx_autodoc_typehints (``"none"``). The ``py:property`` directive is replaced by one that,
  when no ``:type:`` is given, reads the getter's resolved return annotation: ``Order.total``
  reads ``property total: Money``. Type variables are shown as plain names (they are not
  documented names, so there is nothing to link to).
* **Constructors written as ``__new__``** get their parameter types too (sphinx_autodoc_typehints
  reads ``__init__`` only).
* **Bases readers can use.** ``object`` is never listed; a class with no other base gets no
  "Bases:" line at all. A base defined in a private module (shared implementation, such as the
  gateways' common base) is shown under the public name that re-exports it anywhere in the
  package (a module whose path has no ``_`` part, by its ``__all__``), as a cross reference; a
  base no public module exports is left out. ``Generic[A]`` is shown with its type variables as
  text.

The package whose public names are searched is the ``api_pages_package`` setting
(``"ecservice"`` by default).
"""

from __future__ import annotations

import importlib
import inspect
import sys
import typing
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from docutils import nodes
from sphinx import addnodes
from sphinx.domains.python import PyProperty
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.typing import stringify_annotation

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__all__ = ["TypedProperty", "public_name", "setup"]

logger = logging.getLogger(__name__)


# -- Property types -----------------------------------------------------------------------------


def _type_variables(annotation: object) -> set[str]:
    if isinstance(annotation, TypeVar):
        return {annotation.__name__}
    found: set[str] = set()
    for arg in getattr(annotation, "__args__", ()) or ():
        found |= _type_variables(arg)
    return found


def _bindings(cls: type) -> dict[object, object]:
    """What each type variable of ``cls``'s generic bases stands for in ``cls``.

    ``class Cart(Aggregate[CartStatus])`` binds ``Aggregate``'s ``S_co`` to ``CartStatus``;
    a variable bound to another variable follows it down the hierarchy.
    """
    bound: dict[object, object] = {}
    for klass in reversed(cls.__mro__):
        for base in getattr(klass, "__orig_bases__", ()):
            origin = typing.get_origin(base)
            params = getattr(origin, "__parameters__", ())
            args = typing.get_args(base)
            if len(params) == len(args):
                for param, arg in zip(params, args, strict=True):
                    if param is not arg:
                        bound[param] = arg
    # Resolve chains (S_co -> OS_co -> OrderStatus), without looping on cycles.
    for param in list(bound):
        seen = {param}
        value = bound[param]
        while value in bound and value not in seen:
            seen.add(value)
            value = bound[value]
        bound[param] = value
    return bound


def _substitute(annotation: object, bound: dict[object, object]) -> object:
    if isinstance(annotation, TypeVar):
        return bound.get(annotation, annotation)
    params = getattr(annotation, "__parameters__", ())
    if params and typing.get_origin(annotation) is not None:
        try:
            return annotation[tuple(bound.get(p, p) for p in params)]  # type: ignore[index]
        except TypeError:
            return annotation
    return annotation


def property_annotation(module_name: str | None, fullname: str) -> object | None:
    """The resolved return annotation of the property ``module_name.fullname`` (or ``None``).

    Type variables of the class's generic bases are replaced by what the class binds them to
    (``Cart.status`` is a ``CartStatus``, although ``Aggregate.status`` returns ``S_co``).
    """
    if not module_name:
        return None
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception:
        return None
    owner: type | None = None
    for part in fullname.split("."):
        if isinstance(obj, type):
            owner = obj
            obj = obj.__dict__.get(part, getattr(obj, part, None))
        else:
            obj = getattr(obj, part, None)
        if obj is None:
            return None
    getter = getattr(obj, "fget", None) or getattr(obj, "func", None)  # property, cached_property
    if getter is None:
        return None
    try:
        annotation = typing.get_type_hints(getter).get("return")
    except Exception:
        return None
    if owner is not None and _type_variables(annotation):
        annotation = _substitute(annotation, _bindings(owner))
    return annotation


class TypedProperty(PyProperty):
    """``py:property`` that fills in ``:type:`` from the getter's return annotation."""

    def handle_signature(self, sig: str, signode: addnodes.desc_signature) -> tuple[str, str]:
        fullname, prefix = super().handle_signature(sig, signode)
        if self.options.get("type"):
            return fullname, prefix
        module_name = self.options.get("module", self.env.ref_context.get("py:module"))
        annotation = property_annotation(module_name, fullname)
        if annotation is None or annotation is type(None):
            return fullname, prefix
        from sphinx.domains.python import _parse_annotation  # type: ignore[attr-defined]

        text = stringify_annotation(annotation, "smart")
        parsed = _parse_annotation(text, self.env)
        plain = _type_variables(annotation)
        for i, node in enumerate(parsed):
            if isinstance(node, addnodes.pending_xref):
                self.set_source_info(node)
                target = str(node.get("reftarget", ""))
                if target.rsplit(".", 1)[-1] in plain:
                    parsed[i] = addnodes.desc_sig_name("", node.astext())
        signode += addnodes.desc_annotation(
            text,
            "",
            addnodes.desc_sig_punctuation("", ":"),
            addnodes.desc_sig_space(),
            *parsed,
        )
        return fullname, prefix


# -- Bases --------------------------------------------------------------------------------------


def _is_public(module_name: str) -> bool:
    return not any(part.startswith("_") for part in module_name.split("."))


def public_name(cls: object, package: str) -> str | None:
    """``module.Name`` of a public module of ``package`` whose ``__all__`` exports ``cls``.

    When several do, the longest module path wins (the area's own module, where the API pages
    document the name, rather than a package that re-exports it again).
    """
    found: list[str] = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(package + ".")):
            continue
        if not _is_public(name):
            continue
        for exported in getattr(module, "__all__", ()):
            if getattr(module, exported, None) is cls:
                found.append(f"{name}.{exported}")
    if not found:
        return None
    return max(found, key=lambda n: (n.count("."), len(n), [-ord(c) for c in n]))


def _private(cls: object) -> bool:
    return isinstance(cls, type) and not _is_public(getattr(cls, "__module__", "") or "")


def _argument(arg: object, package: str) -> str:
    if isinstance(arg, TypeVar):
        public = public_name(arg, package)
        return f":py:obj:`~{public}`" if public else f"``{arg.__name__}``"
    if isinstance(arg, type) and _private(arg):
        public = public_name(arg, package)
        return f":py:class:`~{public}`" if public else f"``{arg.__name__}``"
    from sphinx.util.typing import restify

    return restify(arg, "smart")


def process_bases(
    app: Sphinx, name: str, obj: object, options: object, bases: list[object]
) -> None:
    """``autodoc-process-bases``: see the module's documentation."""
    package: str = app.config.api_pages_package
    kept: list[object] = []
    for base in bases:
        if base is object:
            continue
        origin = getattr(base, "__origin__", None)
        args = tuple(getattr(base, "__args__", ()) or ())
        if origin is Generic and args and all(isinstance(a, TypeVar) for a in args):
            params = ", ".join(_argument(a, package) for a in args)
            kept.append(rf":py:class:`~typing.Generic`\ [{params}]")
            continue
        cls = origin if isinstance(origin, type) else base
        if isinstance(cls, type) and _private(cls) and cls.__module__.startswith(package):
            public = public_name(cls, package)
            if public is None:
                continue  # shared implementation that no public module exports
            text = f":py:class:`~{public}`"
            if args:
                text += r"\ [" + ", ".join(_argument(a, package) for a in args) + "]"
            kept.append(text)
            continue
        if args and any(isinstance(a, TypeVar) or _private(a) for a in args):
            # A public generic base over private names or type variables: show them as text.
            head = _argument(cls, package) if isinstance(cls, type) else str(cls)
            kept.append(head + r"\ [" + ", ".join(_argument(a, package) for a in args) + "]")
            continue
        kept.append(base)
    bases[:] = kept


def drop_empty_bases(app: Sphinx, domain: str, objtype: str, content: nodes.Node) -> None:
    """Remove the "Bases:" line autodoc writes even when no base is left to show."""
    if domain != "py" or objtype not in {"class", "exception"}:
        return
    empty = (_("Bases: %s") % "").strip()
    for child in list(content.children):
        if isinstance(child, nodes.paragraph):
            if child.astext().strip() == empty:
                content.remove(child)
            break


# -- Constructors written as __new__ -------------------------------------------------------------


def new_parameter_types(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """Type the parameters of a class built by ``__new__`` (sphinx_autodoc_typehints reads
    ``__init__`` only, which such a class inherits from ``object``)."""
    if what not in {"class", "exception"} or not isinstance(obj, type):
        return
    if obj.__init__ is not object.__init__ or "__new__" not in vars(obj):  # type: ignore[misc]
        return
    try:
        from sphinx_autodoc_typehints import format_annotation
    except ImportError:
        return
    new = inspect.unwrap(obj.__new__)
    try:
        hints = typing.get_type_hints(new)
        parameters = list(inspect.signature(new).parameters)[1:]  # without cls
    except Exception:
        return
    for parameter in parameters:
        if parameter not in hints or any(line.startswith(f":type {parameter}:") for line in lines):
            continue
        for i, line in enumerate(lines):
            if line.startswith((f":param {parameter}:", f":parameter {parameter}:")):
                shown = format_annotation(hints[parameter], app.config)
                lines.insert(i, f":type {parameter}: {shown}")
                break


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the typed ``py:property`` directive and the bases hooks."""
    app.add_config_value("api_pages_package", "ecservice", "env", types=frozenset({str}))
    app.add_directive_to_domain("py", "property", TypedProperty, override=True)
    app.connect("autodoc-process-bases", process_bases)
    app.connect("object-description-transform", drop_empty_bases)
    # After sphinx_autodoc_typehints (priority 500) has typed what it could.
    app.connect("autodoc-process-docstring", new_parameter_types, priority=510)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
