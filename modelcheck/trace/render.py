"""Counterexamples for people: numbered steps, who acted, only what changed, why it is a bug.

Works on the JSON form (``trace_to_dict`` or a file read by ``read_trace``), so a
saved trace can be shown without the spec that produced it.  Action labels are
read by :func:`parse_label`, which understands the actor layer's wording
(``n2 <- Vote(term=2, from=n3)``, ``crash n2``, ``partition {n1,n2} | {n3}``...)
and treats any other label as a plain step of the spec; the sequence diagrams
(:mod:`.mermaid`, :mod:`.html`) read labels the same way.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Iterator

import attrs

from ..styled import Line
from .model import n_steps

__all__ = [
    "render_trace", "headline", "step_lines", "state_diff", "compact_diff", "flatten", "describe_run",
    "format_value", "Event", "parse_label", "participants", "SPEC_PARTICIPANT",
]


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
    """Per-node arrays (objects) are indexed; collections of tuples (in-flight messages,
    sets of pairs) are not, so a message that arrives reads as ``-msg``, not as index shifts."""
    return all(isinstance(v, dict) for v in value)


def format_value(value: Any) -> str:
    """A JSON value as short text: strings bare, ``[a, b]``, ``{k=v}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(map(format_value, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={format_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)  # numbers, true/false, null


def _changes(before: Any, after: Any) -> list[tuple[str, str]]:
    """``(field path, what happened to it)`` for every field that differs."""
    a, b = flatten(before), flatten(after)
    out: list[tuple[str, str]] = []
    for key in list(a) + [k for k in b if k not in a]:
        old, new = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            added, removed = _minus(new, old), _minus(old, new)
            moved = [(i, x, y) for i, (x, y) in enumerate(zip(old, new)) if x != y]
            reordered = not added and not removed
            if len(old) == len(new) and (reordered or len(moved) <= len(added)
                                         and all(_same_slot(x, y) for _, x, y in moved)):  # per-slot changes
                out.extend((f"{key}[{i}]", f"{format_value(x)} -> {format_value(y)}") for i, x, y in moved)
            else:  # a collection that gained or lost items
                bits = [f"+{format_value(x)}" for x in added] + [f"-{format_value(x)}" for x in removed]
                out.append((key, " ".join(bits)))
            continue
        if old is _ABSENT:
            out.append((key, f"{format_value(new)} (new)"))
        elif new is _ABSENT:
            out.append((key, f"removed (was {format_value(old)})"))
        else:
            out.append((key, f"{format_value(old)} -> {format_value(new)}"))
    return out


def _same_slot(x: Any, y: Any) -> bool:
    """Whether ``y`` reads as a new value of ``x``'s slot (a scalar, a list that grew or shrank
    at its end) rather than a different item of a collection (a message replacing another)."""
    if isinstance(x, list) and isinstance(y, list):
        shorter, longer = sorted((x, y), key=len)
        return longer[:len(shorter)] == shorter
    return not isinstance(x, (list, dict)) and not isinstance(y, (list, dict))


def state_diff(before: Any, after: Any) -> list[str]:
    """What changed from one JSON state to the next, one short line per field."""
    return [f"{key}: {what}" for key, what in _changes(before, after)]


def compact_diff(before: Any, after: Any) -> list[str]:
    """As :func:`state_diff`, but fields of one record that change together share a line.

    ``nodes.n2.term: 1 -> 2`` and ``nodes.n2.role: follower -> candidate`` become
    ``nodes.n2: term 1 -> 2, role follower -> candidate``.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, what in _changes(before, after):
        parent, leaf = _split_path(key)
        groups.setdefault(parent if parent else key, []).append((leaf, what) if parent else ("", what))
    lines = []
    for parent, items in groups.items():
        if len(items) == 1:
            leaf, what = items[0]
            full = (f"{parent}{leaf}" if leaf.startswith("[") else f"{parent}.{leaf}") if leaf else parent
            lines.append(f"{full}: {what}")
        else:
            lines.append(f"{parent}: " + ", ".join(f"{leaf} {what}" for leaf, what in items))
    return lines


def _split_path(key: str) -> tuple[str, str]:
    """``nodes.n2.term`` -> (``nodes.n2``, ``term``); ``rm[0]`` -> (``rm``, ``[0]``); ``tm`` -> ("", ``tm``)."""
    dot, bracket = key.rfind("."), key.rfind("[")
    if bracket > dot and key.endswith("]"):
        return key[:bracket], key[bracket:]
    if dot > 0:
        return key[:dot], key[dot + 1:]
    return "", key


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
    params = ", ".join(f"{k}={format_value(v)}" for k, v in data["params"].items() if v is not None)
    faults = ", ".join(f"{k}={format_value(v)}" for k, v in data.get("faults", {}).items())
    text = f"{data['spec']}({params})"
    if faults:
        text += f" with faults {faults}"
    return text


# -- reading action labels ----------------------------------------------------------

#: the participant that plain (non-actor) steps are drawn on
SPEC_PARTICIPANT = "spec"

_NODE = r"[A-Za-z_][\w.-]*"
_SEND = re.compile(rf"^(?P<src>{_NODE})(?P<byz>\s*\(byzantine\))?\s*->\s*(?P<dst>{_NODE})\s+(?P<msg>\S.*)$")
_DELIVER = re.compile(rf"^(?P<dst>{_NODE})\s*<-\s*(?P<msg>\S.*)$")
_FROM = re.compile(rf"(?:^|[(,\s])from\s*=\s*(?P<src>{_NODE})")
_FROM_ARG = re.compile(rf",?\s*\bfrom\s*=\s*{_NODE}\s*(?=[,)])")
_TIMEOUT = re.compile(rf"^(?P<node>{_NODE})\s+timeout\b\s*(?P<timer>.*)$")
_NODE_FAULT = re.compile(rf"^(?P<kind>crash|restart|recover)\s+(?P<node>{_NODE})\b.*$")
# the actor layer's words stand alone or before a space: "partition(a, b)" is a plain
# spec's action in the default rendering, not a partition
_PARTITION = re.compile(r"^partition(?:\s+(?P<sides>.*))?$")
_HEAL = re.compile(r"^heal$")
_TICK = re.compile(r"^tick(?:\s+(?P<rest>.*))?$")
_NET_FAULT = re.compile(r"^(?P<kind>drop|dup|duplicate|lose|loss)\s+(?P<rest>.*)$")
_NAME = re.compile(_NODE)


@attrs.frozen
class Event:
    """What one action label says happened.

    ``kind`` is ``deliver`` (``receiver`` handles ``message``; ``sender`` is known when
    the message says ``from=``), ``send``, ``timeout``, ``crash``, ``restart``,
    ``partition``, ``heal``, ``tick``, ``drop``/``duplicate`` or ``step`` (a label
    of no known shape: a plain spec's action).  ``nodes`` are the nodes involved;
    ``fault`` marks what the nemesis did (crash, restart, partition, heal, loss,
    duplication, a Byzantine send), as opposed to the protocol's own steps.
    """

    label: str
    kind: str = "step"
    sender: str | None = None
    receiver: str | None = None
    message: str | None = None
    nodes: tuple[str, ...] = ()
    fault: bool = False
    byzantine: bool = False

    @property
    def actor(self) -> str | None:
        """The node that acts: the receiver of a delivery, the sender of a send, the timer's node."""
        if self.kind == "deliver":
            return self.receiver
        if self.kind == "send":
            return self.sender
        if self.kind in ("timeout", "crash", "restart"):
            return self.nodes[0]
        return None

    @property
    def short_message(self) -> str:
        """The message without its ``from=`` argument (the arrow already says who sent it)."""
        msg = self.message or ""
        if self.kind == "deliver" and self.sender:
            msg = _FROM_ARG.sub("", msg).replace("(, ", "(").replace("()", "")
        return msg


def parse_label(label: str) -> Event:
    """Read an action label; a label of no known shape is a plain ``step``."""
    text = label.strip()
    m = _SEND.match(text)
    if m:
        src, dst = m["src"], m["dst"]
        return Event(label, "send", src, dst, m["msg"], (src, dst), fault=bool(m["byz"]), byzantine=bool(m["byz"]))
    m = _DELIVER.match(text)
    if m:
        src = _FROM.search(m["msg"])
        sender = src["src"] if src else None
        nodes = (sender, m["dst"]) if sender else (m["dst"],)
        return Event(label, "deliver", sender, m["dst"], m["msg"], nodes)
    m = _TIMEOUT.match(text)
    if m:
        return Event(label, "timeout", message=m["timer"] or "timeout", nodes=(m["node"],))
    m = _NODE_FAULT.match(text)
    if m:
        kind = "restart" if m["kind"] == "recover" else m["kind"]
        return Event(label, kind, nodes=(m["node"],), fault=True)
    m = _PARTITION.match(text)
    if m:
        return Event(label, "partition", nodes=tuple(_NAME.findall(m["sides"] or "")), fault=True)
    if _HEAL.match(text):
        return Event(label, "heal", fault=True)
    m = _TICK.match(text)
    if m:
        names = tuple(re.findall(rf"({_NODE})\s*=", m["rest"] or ""))
        return Event(label, "tick", nodes=names)
    m = _NET_FAULT.match(text)
    if m:
        inner = parse_label(m["rest"])
        kind = "drop" if m["kind"] in ("drop", "lose", "loss") else "duplicate"
        return Event(label, kind, inner.sender, inner.receiver, inner.message, inner.nodes, fault=True)
    return Event(label)


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def participants(events: Iterable[Event]) -> list[str]:
    """The nodes named by ``events``, in natural order (n2 before n10); ``spec`` last if any
    event is a plain step."""
    names: set[str] = set()
    plain = False
    for ev in events:
        names.update(ev.nodes)
        plain = plain or ev.kind == "step"
    out = sorted(names, key=_natural)
    if plain and SPEC_PARTICIPANT not in names:
        out.append(SPEC_PARTICIPANT)
    return out


# -- the terminal view ----------------------------------------------------------------

def headline(data: dict[str, Any]) -> str:
    """What a trace shows, in a few words: ``invariant consistent violated after 5 steps``."""
    kind, prop, n = data["kind"], data["property"], len(data["steps"])
    return {
        "invariant": f"invariant {prop} violated after {n_steps(n)}",
        "deadlock": f"deadlock after {n_steps(n)}: no transition is enabled",
        "error": f"the spec raised after {n_steps(n)}",
        "example": f"{prop} reached after {n_steps(n)}",
    }[kind]


def step_lines(number: int, width: int, label: str, before: Any, after: Any) -> Iterator[Line]:
    """One step: its number and label (the acting node in bold, faults marked), then the
    fields that changed."""
    ev = parse_label(label)
    style = "magenta" if ev.fault else "cyan"
    head = [(f"  {number:>{width}} ", "dim")]
    actor = ev.actor
    if actor and label.startswith(actor):
        head += [(actor, f"bold {style}"), (label[len(actor):], style)]
    else:
        head.append((label, style))
    if ev.fault:
        head.append(("  [fault]" if not ev.byzantine else "  [byzantine]", "bold magenta"))
    yield Line(*head)
    pad = " " * (width + 4)
    for line in compact_diff(before, after) or ["(no change)"]:
        yield Line(f"{pad}{line}")


def render_trace(data: dict[str, Any], description: str | None = None,
                 explanation: str | None = None) -> Iterator[Line]:
    """Styled lines for a trace in its JSON form.

    ``description`` is the property's one-line doc; ``explanation`` what the spec's
    :meth:`Spec.explain` hook says about the last state (the witnesses).
    """
    kind, prop, n = data["kind"], data["property"], len(data["steps"])
    how = f"found by {data.get('strategy', '?')}" + (
        f" seed {data['seed']}" if data.get("seed") is not None else "")
    yield Line((describe_run(data), "bold"), ": ",
               (headline(data), "bold red" if kind != "example" else "bold green"), f" ({how})")
    width = len(str(n))
    state = data["initial"]["state"]
    yield Line((f"  {0:>{width}} ", "dim"), ("initial state", "cyan"),
               f" #{data['initial']['index']}" if data["initial"]["index"] else "")
    pad = " " * (width + 4)
    for key, value in flatten(state).items():
        yield Line(f"{pad}{key} = {format_value(value)}", style="dim")
    for i, step in enumerate(data["steps"], 1):
        yield from step_lines(i, width, step["action"], state, step["state"])
        state = step["state"]
    if kind == "invariant":
        tail = f"violated: {prop}" + (f" — {description}" if description else "")
        yield Line(tail, style="bold red")
        for line in (explanation or "").splitlines():
            yield Line(f"  {line}", style="red")
    elif kind == "error":
        yield Line(f"error: {data.get('error')}", style="bold red")
    elif kind == "deadlock":
        yield Line("deadlock: the last state has no enabled transition", style="bold red")
