"""Diagrams of workflows, drawn by ``transitions`` from the same definition that runs."""

from __future__ import annotations

import enum
import re
import shutil
from typing import TYPE_CHECKING, Any, Literal

from ecservice.errors import EcServiceError
from ecservice.workflow._records import LabelledState

if TYPE_CHECKING:
    from ecservice.workflow._definition import Workflow

__all__ = ["DiagramUnavailable", "mermaid", "svg"]


class DiagramUnavailable(EcServiceError):
    """A diagram format needs software that is not installed (Graphviz for SVG)."""


def _label(state: enum.Enum) -> str:
    if isinstance(state, LabelledState):
        return f"{state.label_en} / {state.label_zh}"
    return state.name


class _Model:
    """A throwaway model so that ``transitions`` can draw the graph."""


def _graph(workflow: Workflow[Any], engine: Literal["mermaid", "graphviz"]) -> Any:
    from transitions.extensions import GraphMachine

    machine = workflow._machine if engine == "mermaid" else None
    if machine is None:
        machine = GraphMachine(model=None, graph_engine=engine, **workflow.machine_spec())
    model = _Model()
    machine.add_model(model)
    try:
        return model.get_graph()  # type: ignore[attr-defined]
    finally:
        machine.remove_model(model)


def mermaid(workflow: Workflow[Any]) -> str:
    """Mermaid ``stateDiagram-v2`` text for ``workflow``."""
    text = str(_graph(workflow, "mermaid").draw(None))
    # Mermaid keywords are lower case; mark no state as the "active" one in a static drawing.
    text = re.sub(r"^(\s*)Class ", r"\1class ", text, flags=re.MULTILINE)
    text = text.replace(" s_active\n", " s_default\n")
    for s in workflow.states:
        text = text.replace(f'state "{s.name}" as {s.name}', f'state "{_label(s)}" as {s.name}')
    return text


def svg(workflow: Workflow[Any]) -> str:
    """SVG text for ``workflow``, drawn by Graphviz's ``dot``."""
    try:
        import graphviz  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: F401
    except ImportError:
        raise DiagramUnavailable(
            "SVG diagrams need the 'graphviz' Python package: pip install 'ecservice[diagrams]'"
        ) from None
    if shutil.which("dot") is None:
        raise DiagramUnavailable(
            "SVG diagrams need Graphviz's 'dot' program on PATH (apt-get install graphviz); "
            "Mermaid text needs nothing: use Workflow.mermaid()"
        )
    graph = _graph(workflow, "graphviz")
    data = graph.pipe(format="svg")
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)
