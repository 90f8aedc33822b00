"""The ``workflow-diagram`` directive: a workflow drawn from its definition when the docs are built.

In a MyST page::

    ```{workflow-diagram} ecservice.orders:ORDER_WORKFLOW
    :internal: table
    :caption: The order workflow
    ```

The argument names a :class:`~ecservice.workflow.Workflow`: ``module.path:NAME`` (imported) or
``relative/path.py:NAME`` (a script, relative to the documentation's source directory, run with
:func:`runpy.run_path`). ``:internal:`` says what to do with internal transitions (those that
change data but not the state): ``show`` (the default) draws them as loops, ``table`` leaves them
out of the picture and lists them in a table under it (trigger, from-states, guards).
``:caption:`` is the figure's caption.

The HTML builders inline the SVG that Graphviz draws (:meth:`Workflow.svg`); other builders keep
the caption and the table only. A bad argument, an unknown name, an object that is not a workflow
or a missing Graphviz is reported as a warning at the directive (so ``-W`` fails the build).
"""

from __future__ import annotations

import enum
import html
import importlib
import inspect
import re
import runpy
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

if TYPE_CHECKING:
    from collections.abc import Callable

    from sphinx.application import Sphinx

__all__ = ["DiagramError", "WorkflowDiagram", "load_workflow", "setup"]

logger = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


class DiagramError(Exception):
    """The directive cannot draw what it was given; the message says why."""


class workflow_diagram(nodes.General, nodes.Element):
    """Where the SVG goes; replaced by it (HTML) or dropped (other builders) when writing."""


# -- Finding the workflow -----------------------------------------------------------------------

# Scripts already run in this process, so that the read and the write phase share one run.
_scripts: dict[Path, dict[str, Any]] = {}


def _split(argument: str) -> tuple[str, str]:
    where, sep, name = argument.strip().rpartition(":")
    if not sep or not where or not name:
        raise DiagramError(
            f"workflow-diagram: {argument!r} is not 'module.path:NAME' or 'path/to/file.py:NAME'"
        )
    if not _NAME.match(name):
        raise DiagramError(f"workflow-diagram: {name!r} (in {argument!r}) is not a Python name")
    return where, name


def is_script(where: str) -> bool:
    """``True`` when the part before ``:NAME`` is a file path, not a module path."""
    return where.endswith(".py") or "/" in where or "\\" in where


def source_file(argument: str, docs_dir: Path) -> Path | None:
    """The file the workflow is read from, for dependency tracking (``None`` if unknown)."""
    where, _ = _split(argument)
    if is_script(where):
        return (docs_dir / where).resolve()
    module = importlib.import_module(where)
    found = getattr(module, "__file__", None)
    return Path(found).resolve() if found else None


def definition_files(workflow: Any) -> set[Path]:
    """The source files of a workflow's state classes and guards."""
    objects: list[object] = [type(s) for s in workflow.states]
    for t in workflow.transitions:
        objects.extend((*t.conditions, *t.unless))
    found: set[Path] = set()
    for obj in objects:
        try:
            path = inspect.getsourcefile(obj)  # type: ignore[arg-type]
        except (TypeError, OSError):
            continue
        if path:
            found.add(Path(path).resolve())
    return found


def load_workflow(argument: str, docs_dir: Path) -> Any:
    """The :class:`~ecservice.workflow.Workflow` named by ``argument``.

    Raises:
        DiagramError: the argument is malformed, the module or file cannot be loaded, the name
            is missing or it is not a workflow.
    """
    from ecservice.workflow import Workflow

    where, name = _split(argument)
    namespace: dict[str, Any]
    if is_script(where):
        path = (docs_dir / where).resolve()
        if not path.is_file():
            raise DiagramError(
                f"workflow-diagram: no file {where!r} (looked for {path}; paths are relative "
                "to the documentation's source directory)"
            )
        if path not in _scripts:
            try:
                _scripts[path] = runpy.run_path(str(path), run_name=f"_diagram_{path.stem}")
            except Exception as exc:
                raise DiagramError(
                    f"workflow-diagram: running {where!r} failed: {type(exc).__name__}: {exc}"
                ) from exc
        namespace = _scripts[path]
    else:
        if not _MODULE.match(where):
            raise DiagramError(
                f"workflow-diagram: {where!r} is neither a module path (a.b.c) nor a .py file"
            )
        try:
            namespace = vars(importlib.import_module(where))
        except Exception as exc:
            raise DiagramError(
                f"workflow-diagram: cannot import {where!r}: {type(exc).__name__}: {exc}"
            ) from exc
    if name not in namespace:
        raise DiagramError(f"workflow-diagram: {where!r} has no name {name!r}")
    workflow = namespace[name]
    if not isinstance(workflow, Workflow):
        raise DiagramError(
            f"workflow-diagram: {where}:{name} is a {type(workflow).__name__}, "
            "not an ecservice.workflow.Workflow"
        )
    return workflow


# -- Drawing ------------------------------------------------------------------------------------


def _draw(workflow: Any, *, internal: bool) -> str:
    """The workflow's SVG text; ``internal=False`` leaves internal transitions out."""
    svg: Callable[..., str] = workflow.svg
    try:
        takes_internal = "internal" in inspect.signature(svg).parameters
    except (TypeError, ValueError):
        takes_internal = False
    return svg(internal=internal) if takes_internal else svg()


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_ID = re.compile(r'\b(id="|href="#|url\(#)([^")]+)')


def inline_svg(svg: str, *, label: str, prefix: str) -> str:
    """``svg`` ready to sit in an HTML page.

    Drops the XML prologue, doctype and comments before ``<svg``, names the picture for
    assistive technology (``role="img"``, ``aria-label`` and a ``<title>``), and prefixes every
    id (and reference to one) so that several diagrams can share a page.
    """
    start = svg.find("<svg")
    if start < 0:
        raise DiagramError("workflow-diagram: Graphviz returned no <svg> element")
    body = _PROLOGUE.sub("", svg[start:], count=1).strip()
    body = _ID.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)
    head_end = body.index(">") + 1
    head = body[:head_end]
    head = re.sub(r'\s(role|aria-label|class)="[^"]*"', "", head)
    text = html.escape(label, quote=True)
    head = head[:-1].rstrip("/") + f' role="img" aria-label="{text}" class="workflow-svg">'
    return f"{head}<title>{text}</title>{body[head_end:]}"


# -- The table of internal transitions ----------------------------------------------------------


def state_text(state: enum.Enum) -> str:
    """``"English 中文"`` for a labelled state, its name otherwise."""
    from ecservice.workflow import LabelledState

    if isinstance(state, LabelledState):
        return f"{state.label_en} {state.label_zh}"
    return state.name


def internal_rows(workflow: Any) -> list[tuple[str, str, str]]:
    """(trigger, from-states, guards) of each internal transition, in declaration order.

    Guards are named as the diagram names them (``[else]`` for an unguarded fallback), so the
    table and the picture agree; a transition whose guards differ by source state (a fallback
    from one state only) gets one row per distinct guard text.
    """
    from ecservice.workflow._diagram import drawn_guards

    grouped: dict[tuple[int, str], list[enum.Enum]] = {}
    for t, source, names in drawn_guards(workflow):
        if t.dest is not None:
            continue
        key = (id(t), ", ".join(names) or "\N{EM DASH}")
        grouped.setdefault(key, []).append(source)
    triggers = {id(t): t.trigger for t in workflow.transitions}
    return [
        (triggers[tid], ", ".join(state_text(s) for s in sources), guards)
        for (tid, guards), sources in grouped.items()
    ]


def _table(rows: list[tuple[str, str, str]], title: str) -> nodes.table:
    table = nodes.table(classes=["workflow-internal"])
    table += nodes.title(title, title)
    group = nodes.tgroup(cols=3)
    table += group
    headers = ("Trigger", "From", "Guards")
    for i, text in enumerate(headers):
        # Character widths (the text builder uses them; HTML sizes columns by their content).
        width = max([len(text)] + [len(row[i]) for row in rows])
        group += nodes.colspec(colwidth=min(max(width + 2, 8), 40))
    head = nodes.thead()
    group += head
    header = nodes.row()
    for text in headers:
        header += nodes.entry("", nodes.paragraph(text, text))
    head += header
    body = nodes.tbody()
    group += body
    for trigger, sources, guards in rows:
        row = nodes.row()
        row += nodes.entry("", nodes.paragraph("", "", nodes.literal(trigger, trigger)))
        row += nodes.entry("", nodes.paragraph(sources, sources))
        row += nodes.entry("", nodes.paragraph(guards, guards))
        body += row
    return table


# -- The directive ------------------------------------------------------------------------------


def _internal_option(argument: str | None) -> str:
    return str(directives.choice(argument, ("show", "table")))


class WorkflowDiagram(SphinxDirective):
    """``workflow-diagram``: see the module's documentation."""

    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = False
    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "internal": _internal_option,
        "caption": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        argument = self.arguments[0]
        docs_dir = Path(self.env.srcdir)
        try:
            workflow = load_workflow(argument, docs_dir)
            dependency = source_file(argument, docs_dir)
        except DiagramError as exc:
            logger.warning(str(exc), location=self.get_location(), type="workflow-diagram")
            return []
        # Re-read the page when the workflow's definition changes (its module, its states' and
        # guards' modules), not only when the page does.
        for path in sorted({dependency, *definition_files(workflow)} - {None}):
            self.env.note_dependency(str(path))
        table = self.options.get("internal", "show") == "table"

        figure = nodes.figure(classes=["workflow-diagram"])
        self.set_source_info(figure)
        picture = workflow_diagram(
            target=argument,
            internal=not table,
            label=f"State diagram of the {workflow.name!r} workflow",
            prefix=f"wf-{self.env.docname.replace('/', '-')}-{self.env.new_serialno('wf')}",
            docname=self.env.docname,
        )
        self.set_source_info(picture)
        figure += picture
        caption = self.options.get("caption", "").strip()
        if caption:
            inline, messages = self.state.inline_text(caption, self.lineno)
            figure += nodes.caption(caption, "", *inline)
            figure.extend(messages)
        result: list[nodes.Node] = [figure]
        rows = internal_rows(workflow)
        if table and rows:
            result.append(
                _table(rows, f"Internal transitions of {workflow.name!r} (state unchanged)")
            )
        return result


class DrawDiagrams(SphinxPostTransform):
    """HTML builders: replace each diagram placeholder with the inlined SVG."""

    default_priority = 200
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        docs_dir = Path(self.env.srcdir)
        for node in list(self.document.findall(workflow_diagram)):
            try:
                workflow = load_workflow(node["target"], docs_dir)
                svg = _draw(workflow, internal=node["internal"])
                text = inline_svg(svg, label=node["label"], prefix=node["prefix"])
            except Exception as exc:  # DiagramError, DiagramUnavailable, Graphviz errors
                logger.warning(
                    f"workflow-diagram: cannot draw {node['target']}: {exc}",
                    location=node,
                    type="workflow-diagram",
                )
                node.parent.remove(node)
                continue
            # A standalone copy for reading a large diagram at its natural size: the inline
            # picture is scaled down to the column's width.
            images = Path(self.app.builder.outdir) / "_images"
            images.mkdir(parents=True, exist_ok=True)
            standalone = f"{node['prefix']}.svg"
            (images / standalone).write_text(
                '<?xml version="1.0" encoding="UTF-8"?>\n' + svg[svg.find("<svg") :],
                encoding="utf-8",
            )
            href = "../" * node["docname"].count("/") + f"_images/{standalone}"
            title = html.escape(f"{node['label']}, at full size", quote=True)
            text = (
                f'<a class="workflow-full-size" href="{href}" title="{title}">{text}</a>'
                f'<p class="workflow-full-size-link"><a href="{href}">Open at full size</a></p>'
            )
            node.replace_self(nodes.raw("", text, format="html", classes=["workflow-svg"]))


class DropDiagrams(SphinxPostTransform):
    """Other builders: the picture is left out (the caption and the table stay)."""

    default_priority = 201

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(workflow_diagram)):
            node.parent.remove(node)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive and the transforms that draw or drop the pictures."""
    app.add_node(workflow_diagram)
    app.add_directive("workflow-diagram", WorkflowDiagram)
    app.add_post_transform(DrawDiagrams)
    app.add_post_transform(DropDiagrams)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
