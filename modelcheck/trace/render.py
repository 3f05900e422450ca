"""Counterexamples for people: one line per step, then only what changed in the state.

Works on the JSON form (``trace_to_dict`` or a file read by ``read_trace``), so a
saved trace can be shown without the spec that produced it.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from rich.text import Text

__all__ = ["render_trace", "state_diff", "flatten", "describe_run"]


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaf paths of a JSON state: ``{"rm[0]": "working", "tm": "init", ...}``.

    Arrays whose items are all scalars, and empty containers, are kept whole (one leaf),
    so a set of messages reads as one value that gains and loses items.
    """
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value) \
            and _is_record_array(value):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{path}[{i}]"))
        return out
    return {path or "state": value}


def _is_record_array(value: list) -> bool:
    """Per-node arrays (same-shaped objects) are indexed; collections of messages are not."""
    return all(isinstance(v, dict) for v in value) or all(isinstance(v, list) and
                                                          any(isinstance(x, (dict, list)) for x in v)
                                                          for v in value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", "="), ensure_ascii=False).replace('"', "")


def state_diff(before: Any, after: Any) -> list[str]:
    """What changed from one JSON state to the next, one short line per field."""
    a, b = flatten(before), flatten(after)
    lines = []
    for key in list(a) + [k for k in b if k not in a]:
        old, new = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            added = _minus(new, old)
            removed = _minus(old, new)
            if len(old) != len(new):
                bits = [f"+{_show(x)}" for x in added] + [f"-{_show(x)}" for x in removed]
                lines.append(f"{key}: {' '.join(bits)}")
                continue
            lines.extend(f"{key}[{i}]: {_show(x)} -> {_show(y)}" for i, (x, y) in enumerate(zip(old, new))
                         if x != y)
            continue
        if old is _ABSENT:
            lines.append(f"{key}: {_show(new)} (new)")
        elif new is _ABSENT:
            lines.append(f"{key}: removed (was {_show(old)})")
        else:
            lines.append(f"{key}: {_show(old)} -> {_show(new)}")
    return lines


_ABSENT = object()


def _minus(xs: list, ys: list) -> list:
    rest = list(ys)
    out = []
    for x in xs:
        if x in rest:
            rest.remove(x)
        else:
            out.append(x)
    return out


def describe_run(data: dict[str, Any]) -> str:
    params = ", ".join(f"{k}={_show(v)}" for k, v in data["params"].items() if v is not None)
    faults = ", ".join(f"{k}={_show(v)}" for k, v in data.get("faults", {}).items())
    text = f"{data['spec']}({params})"
    if faults:
        text += f" with faults {faults}"
    return text


def render_trace(data: dict[str, Any], description: str | None = None) -> Iterator[Text]:
    """Lines (rich Text) for a trace in its JSON form."""
    kind, prop, n = data["kind"], data["property"], len(data["steps"])
    how = f"found by {data.get('strategy', '?')}" + (
        f" seed {data['seed']}" if data.get("seed") is not None else "")
    head = {
        "invariant": f"invariant {prop} violated after {n} steps",
        "deadlock": f"deadlock after {n} steps: no transition is enabled",
        "error": f"the spec raised after {n} steps",
        "example": f"{prop} reached after {n} steps",
    }[kind]
    yield Text.assemble((describe_run(data), "bold"), ": ", (head, "bold red" if kind != "example" else "bold green"),
                        f" ({how})")
    state = data["initial"]["state"]
    yield Text.assemble(("  0 ", "dim"), ("initial state", "cyan"),
                        f" #{data['initial']['index']}" if data["initial"]["index"] else "")
    for key, value in flatten(state).items():
        yield Text(f"       {key} = {_show(value)}", style="dim")
    width = len(str(n))
    for i, step in enumerate(data["steps"], 1):
        label = step["action"]
        style = "magenta" if _is_fault(label) else "cyan"
        yield Text.assemble((f"  {i:>{width}} ", "dim"), (label, style))
        changes = state_diff(state, step["state"])
        for line in changes or ["(no change)"]:
            yield Text(f"       {line}")
        state = step["state"]
    if kind == "invariant":
        tail = f"violated: {prop}" + (f" — {description}" if description else "")
        yield Text(tail, style="bold red")
    elif kind == "error":
        yield Text(f"error: {data.get('error')}", style="bold red")
    elif kind == "deadlock":
        yield Text("deadlock: the last state has no enabled transition", style="bold red")


_FAULT_WORDS = ("crash", "restart", "partition", "heal", "drop", "duplicate", "tick", "byzantine")


def _is_fault(label: str) -> bool:
    low = label.lower()
    return any(w in low for w in _FAULT_WORDS)
