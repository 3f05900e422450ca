"""A counterexample as a Mermaid ``sequenceDiagram``, to paste into a README, an issue or a wiki.

Participants are the nodes the action labels name (see :func:`.render.parse_label`).
A delivered message is a solid arrow from its sender (the ``from=`` of the message)
to its receiver; a send is an open (asynchronous) arrow; timeouts, crashes,
restarts, partitions, heals and clock ticks are notes over the nodes concerned; a
label of no known shape (a plain spec's ``RMPrepare(r1)``) is a note over a single
participant ``spec``, with the fields that changed.  Every arrow and note starts
with its step number, and the violated property closes the diagram.
"""

from __future__ import annotations

import re
from typing import Any

from .render import SPEC_PARTICIPANT, Event, compact_diff, describe_run, parse_label, participants

__all__ = ["trace_to_mermaid"]

#: at most this many changed fields are written into a plain step's note
MAX_CHANGES = 4

_FAULT_ICON = "⚡ "


def _text(text: str) -> str:
    """Escape what Mermaid would read as syntax in a message or note: ``#`` and ``;`` end the
    text, and ``<`` before a letter would be taken for an HTML tag."""
    text = re.sub(r"[#;]", lambda m: f"#{ord(m[0])};", text).replace("\n", " ")
    return re.sub(r"<(?=[A-Za-z/!])", "#lt;", text)


def _ids(names: list[str]) -> dict[str, str]:
    """A Mermaid-safe id for each participant (its own name when that is a plain word)."""
    ids = {}
    for i, name in enumerate(names, 1):
        ids[name] = name if re.fullmatch(r"[A-Za-z_]\w*", name) and name != "end" else f"p{i}"
    return ids


def trace_to_mermaid(data: dict[str, Any], description: str | None = None,
                     explanation: str | None = None) -> str:
    """The Mermaid source for a trace in its JSON form (see :mod:`.format`)."""
    events = [parse_label(step["action"]) for step in data["steps"]]
    names = participants(events) or [SPEC_PARTICIPANT]
    ids = _ids(names)
    actors = [n for n in names if n != SPEC_PARTICIPANT] or names
    span = f"{ids[actors[0]]},{ids[actors[-1]]}" if len(actors) > 1 else ids[actors[0]]

    lines = ["sequenceDiagram", f"    title {_text(describe_run(data))}"]
    for name in names:
        alias = "" if ids[name] == name else f" as {_text(name)}"
        lines.append(f"    participant {ids[name]}{alias}")
    state = data["initial"]["state"]
    for n, (ev, step) in enumerate(zip(events, data["steps"]), 1):
        lines.append("    " + _line(n, ev, ids, span, compact_diff(state, step["state"])))
        state = step["state"]
    end = _ending(data, description)
    if end:
        lines.append(f"    Note over {span}: {_text(end)}")
        for extra in (explanation or "").splitlines():
            if extra.strip():
                lines.append(f"    Note over {span}: {_text(extra.strip())}")
    return "\n".join(lines) + "\n"


def _line(n: int, ev: Event, ids: dict[str, str], span: str, changes: list[str]) -> str:
    """One step as one Mermaid statement."""
    mark = _FAULT_ICON if ev.fault else ""
    if ev.kind in ("deliver", "send") and ev.sender and ev.receiver:
        arrow = "->>" if ev.kind == "deliver" else "-)"
        byz = "(byzantine) " if ev.byzantine else ""
        return f"{ids[ev.sender]}{arrow}{ids[ev.receiver]}: {n}. {mark}{byz}{_text(ev.short_message)}"
    if ev.kind == "deliver":  # the sender is unknown: the receiver takes it in
        return f"Note over {ids[ev.receiver]}: {n}. receives {_text(ev.short_message)}"
    if ev.kind == "step":
        shown = changes[:MAX_CHANGES] + (["…"] if len(changes) > MAX_CHANGES else [])
        body = "<br/>".join([f"{n}. {_text(ev.label)}"] + [_text(c) for c in shown])
        return f"Note over {ids[SPEC_PARTICIPANT]}: {body}"
    where = _over(ev.nodes, ids) or span
    return f"Note over {where}: {n}. {mark}{_text(ev.label)}"


def _over(nodes: tuple[str, ...], ids: dict[str, str]) -> str:
    """``a`` or ``first,last`` of the nodes, in diagram order."""
    order = [name for name in ids if name in nodes]
    if not order:
        return ""
    return ids[order[0]] if len(order) == 1 else f"{ids[order[0]]},{ids[order[-1]]}"


def _ending(data: dict[str, Any], description: str | None) -> str:
    kind, prop = data["kind"], data["property"]
    if kind == "invariant":
        return f"✗ violated: {prop}" + (f" — {description}" if description else "")
    if kind == "deadlock":
        return "✗ deadlock: no transition is enabled"
    if kind == "error":
        return f"✗ error: {data.get('error')}"
    return f"✓ reached: {prop}" + (f" — {description}" if description else "")
