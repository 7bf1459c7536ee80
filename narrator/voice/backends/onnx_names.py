"""Names in an ONNX graph: which are in use, and fresh ones for what a rewrite adds.

Both model rewrites (``piper_model``'s 2-D convolutions, ``piper_noise``'s noise inputs)
add nodes and values to the voice's graph; a new name must not clash with any name of
the graph or of its subgraphs. ``onnx`` is imported only to walk subgraph attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx


def subgraphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """Every graph nested in ``graph``'s nodes (``If`` branches, ``Loop`` bodies), deep first."""
    from onnx import AttributeProto

    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == AttributeProto.GRAPH:
                yield attribute.g
                yield from subgraphs(attribute.g)
            elif attribute.type == AttributeProto.GRAPHS:
                for sub in attribute.graphs:
                    yield sub
                    yield from subgraphs(sub)


def names_read(graph: onnx.GraphProto) -> set[str]:
    """Every value name a node of ``graph`` or of its subgraphs reads, and the graph outputs."""
    names = {value.name for value in graph.output}
    for g in (graph, *subgraphs(graph)):
        names.update(name for node in g.node for name in node.input)
    return names


def names_in_use(graph: onnx.GraphProto) -> set[str]:
    """Every value and node name anywhere in ``graph`` (new names must avoid them)."""
    names: set[str] = set()
    for g in (graph, *subgraphs(graph)):
        names.update(tensor.name for tensor in g.initializer)
        names.update(value.name for value in (*g.input, *g.output, *g.value_info))
        for node in g.node:
            names.update(node.input)
            names.update(node.output)
            names.add(node.name)
    names.discard("")
    return names


def name_maker(taken: set[str]) -> Callable[[str], str]:
    """A function that gives ``base``, else ``base_1``, ``base_2``…: the first name not in
    ``taken``, which it then adds to ``taken``."""

    def fresh(base: str) -> str:
        name, n = base, 0
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        return name

    return fresh
