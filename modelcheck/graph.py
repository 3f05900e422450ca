"""The reachable state graph of a small model, to look at or to analyse with other tools.

:func:`state_graph` walks every reachable state breadth-first and keeps it whole
(unlike the explorers, which keep fingerprints), so it is meant for small models:
it stops with a :class:`GraphTooLarge` error past a state budget.  The result is a
networkx ``MultiDiGraph``: nodes are numbered in BFS order and carry the state
(``state``, its JSON text; ``label``, one ``field=value`` per line), ``depth`` (BFS
distance from an initial state), ``initial``, ``violates`` (the invariants the state
breaks, comma-separated) and ``deadlock`` (no transition enabled); edges carry the
``action`` label and its ``index`` among the enabled transitions.  Exported as
Graphviz DOT, GraphML or JSON.
"""

from __future__ import annotations

import json
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: the CLI starts ~65 ms faster without it
    import networkx as nx

from .explore.run import initial_states, shown, spec_raised, step_label
from .registry import reference
from .spec import Spec, SpecError
from .trace.format import encode_state
from .trace.render import describe_run, flatten, format_value

__all__ = ["GraphTooLarge", "state_graph", "graph_stats", "graph_summary", "to_dot", "to_graphml", "to_json", "FORMATS",
           "DEFAULT_MAX_STATES"]

DEFAULT_MAX_STATES = 5000
FORMATS = ("dot", "graphml", "json")


class GraphTooLarge(SpecError):
    """The model has more reachable states than the budget allows."""


def state_graph(spec: Spec, max_states: int = DEFAULT_MAX_STATES) -> nx.MultiDiGraph:
    """Every reachable state of ``spec`` and every transition between them (BFS).

    A spec that raises is a SpecError naming the exception, where it was raised, and
    the shortest path of actions to the state it raised on.
    """
    import networkx as nx

    graph = nx.MultiDiGraph(spec=reference(spec), params=spec.params())
    invariants = spec.invariants()
    number: dict[Any, int] = {}
    #: node -> (the node it was first reached from, the action's label); initial states: (-1, index)
    came_from: list[tuple[int, Any]] = []
    queue: deque = deque()

    def named(node: int) -> str:
        """The state ``node`` as its shortest path of actions from an initial state."""
        labels = []
        while came_from[node][0] >= 0:
            node, label = came_from[node]
            labels.append(label)
        start = f"initial state #{came_from[node][1]}"
        return f"the state reached from {start} by {', '.join(reversed(labels))}" if labels else start

    def add(state: Any, depth: int, via: tuple[int, Any]) -> int:
        try:
            found = number.get(state)
        except TypeError as exc:
            from .explore.run import unhashable_error

            raise unhashable_error(state) from exc
        if found is not None:
            return found
        if len(number) >= max_states:
            raise GraphTooLarge(
                f"the state graph of {describe_run(graph.graph)} has more than {max_states:,} states; "
                "raise --max-states or choose smaller parameters (the graph is meant for small models)")
        node = number[state] = len(number)
        came_from.append(via)
        broken = []
        for name, check in invariants:
            try:
                if not check(state):
                    broken.append(name)
            except Exception as exc:
                what = f"the spec raised while checking invariant {name} on {named(node)}"
                raise spec_raised(what, exc) from exc
        encoded = encode_state(shown(spec, state))
        graph.add_node(node, state=json.dumps(encoded, ensure_ascii=False),
                       label="\n".join(f"{k}={format_value(v)}" for k, v in flatten(encoded).items()),
                       depth=depth, initial=via[0] < 0, deadlock=False, violates=",".join(broken))
        queue.append((state, node, depth))
        return node

    for index, s in enumerate(initial_states(spec, visited=True)):
        add(s, 0, (-1, index))
    while queue:
        state, node, depth = queue.popleft()
        try:
            given = [(action, nxt) for action, nxt in spec.successors(state)]
        except Exception as exc:
            what = f"the spec raised while computing the successors of {named(node)}"
            raise spec_raised(what, exc) from exc
        enabled = [(step_label(spec, action), nxt) for action, nxt in given]
        graph.nodes[node]["deadlock"] = not enabled
        for index, (label, nxt) in enumerate(enabled):
            graph.add_edge(node, add(nxt, depth + 1, (node, label)), action=label, index=index)
    return graph


def graph_stats(graph: nx.MultiDiGraph) -> dict[str, int]:
    """Counts that characterise the graph.

    ``depth`` is the BFS depth: the longest shortest path from an initial state (what
    TLC reports as the diameter); the diameter of the undirected graph is not computed,
    as it costs a search from every state.
    """
    import networkx as nx

    sccs = list(nx.strongly_connected_components(graph))
    nodes = graph.nodes.values()
    return {
        "states": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "initial_states": sum(1 for d in nodes if d["initial"]),
        "violating_states": sum(1 for d in nodes if d["violates"]),
        "deadlock_states": sum(1 for d in nodes if d["deadlock"]),
        "strongly_connected_components": len(sccs),
        "largest_component": max((len(c) for c in sccs), default=0),
        "depth": max((d["depth"] for d in nodes), default=0),
    }


def graph_summary(graph: nx.MultiDiGraph) -> str:
    """:func:`graph_stats` as one line for people."""
    st = graph_stats(graph)
    return (f"{describe_run(graph.graph)}: {st['states']:,} states ({st['initial_states']} initial, "
            f"{st['violating_states']} violating, {st['deadlock_states']} without successors), "
            f"{st['edges']:,} edges, {st['strongly_connected_components']:,} strongly connected components "
            f"(largest {st['largest_component']:,}), depth {st['depth']} "
            "(longest shortest path from an initial state)")


def to_dot(graph: nx.MultiDiGraph) -> str:
    """Graphviz DOT: initial states drawn with a double border, violating states filled red."""

    def quote(text: Any) -> str:
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l") + '"'

    params = ", ".join(f"{k}={format_value(v)}" for k, v in graph.graph["params"].items() if v is not None)
    lines = [f"digraph {quote(graph.graph['spec'])} {{",
             f"  label={quote(graph.graph['spec'] + '(' + params + ')')};",
             '  node [shape=box, fontname="monospace", fontsize=10];',
             '  edge [fontname="monospace", fontsize=9];']
    for node, d in graph.nodes(data=True):
        attrs = [f"label={quote(d['label'] + chr(10))}"]
        if d["initial"]:
            attrs.append("peripheries=2")
        if d["violates"]:
            attrs += ['style=filled', 'fillcolor="#f8c4c4"', f"tooltip={quote('violates ' + d['violates'])}"]
        lines.append(f"  {node} [{', '.join(attrs)}];")
    for u, v, d in graph.edges(data=True):
        lines.append(f"  {u} -> {v} [label={quote(d['action'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_graphml(graph: nx.MultiDiGraph) -> str:
    """GraphML (for Gephi, yEd, Cytoscape); the graph's params as JSON text."""
    plain = graph.copy()
    plain.graph = {"spec": graph.graph["spec"], "params": json.dumps(encode_state(graph.graph["params"]))}
    import networkx as nx

    return "\n".join(nx.generate_graphml(plain)) + "\n"


def to_json(graph: nx.MultiDiGraph) -> str:
    """``{"spec", "params", "stats", "nodes": [...], "edges": [...]}``, states as JSON values."""
    nodes = [{"id": n, **{k: (json.loads(v) if k == "state" else v) for k, v in d.items()}}
             for n, d in graph.nodes(data=True)]
    for node in nodes:
        node["violates"] = node["violates"].split(",") if node["violates"] else []
    edges = [{"source": u, "target": v, **d} for u, v, d in graph.edges(data=True)]
    data = {"spec": graph.graph["spec"], "params": encode_state(graph.graph["params"]),
            "stats": graph_stats(graph), "nodes": nodes, "edges": edges}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def export(graph: nx.MultiDiGraph, fmt: str) -> str:
    """The graph as text in ``fmt`` (one of :data:`FORMATS`)."""
    return {"dot": to_dot, "graphml": to_graphml, "json": to_json}[fmt](graph)
