"""A counterexample as one self-contained HTML page: a message-sequence chart and a step slider.

The chart is SVG drawn here (lifelines for the nodes the action labels name,
arrows for messages, notes for timeouts, faults and plain steps; see
:mod:`.mermaid` for the same reading of labels).  Beside it, the state at the
selected step: every field, grouped by node, with the fields that changed at that
step marked and the violation highlighted.  Everything (CSS, script, the trace's
states) is inline, so the file opens anywhere with no network; the page opens on
the last step, where the property fails, and the slider, the arrow keys or a click
on a row move through the run.

A field is shown under a node when its path names the node (``nodes.n1.term``) or
when it sits in an array with one entry per node (``nodes[0]`` is the first node
in name order); the rest (network, history) is shown under "global" (under "state"
when the labels name no node).
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from typing import Any

from .render import (SPEC_PARTICIPANT, Event, compact_diff, describe_run, flatten, format_value, headline,
                     parse_label, participants)

__all__ = ["trace_to_html"]

CHAR_W = 7.2  # px per character of the 12px monospace font
ROW_H = 34
HEAD_H = 44
LEFT = 44  # room for step numbers
MAX_OLD = 40  # a changed field's previous value is shown when at most this long


def trace_to_html(data: dict[str, Any], description: str | None = None, explanation: str | None = None) -> str:
    """The page for a trace in its JSON form (see :mod:`.format`)."""
    events = [parse_label(s["action"]) for s in data["steps"]]
    names = participants(events) or [SPEC_PARTICIPANT]
    view = {
        "title": describe_run(data),
        "headline": headline(data),
        "kind": data["kind"],
        "property": data["property"],
        "description": description or "",
        "explanation": explanation or "",
        "error": data.get("error") or "",
        "steps": _steps(data, events, names),
    }
    payload = json.dumps(view, ensure_ascii=False).replace("<", "\\u003c")  # nothing can close the script
    parts = {"TITLE": html.escape(f"{view['title']}: {view['headline']}"),
             "CHART": _chart(data, events, names), "DATA": payload}
    page = resources.files(__package__).joinpath("html_template.html").read_text(encoding="utf-8")
    return re.sub(r"\{\{(TITLE|CHART|DATA)\}\}", lambda m: parts[m[1]], page)


# -- the state at each step -------------------------------------------------------------

def _steps(data: dict[str, Any], events: list[Event], names: list[str]) -> list[dict[str, Any]]:
    states = [data["initial"]["state"]] + [s["state"] for s in data["steps"]]
    labels = ["initial state"] + [s["action"] for s in data["steps"]]
    nodes = [n for n in names if n != SPEC_PARTICIPANT]
    pure_senders = {e.sender for e in events if e.kind == "send"} - {
        n for e in events for n in e.nodes if not (e.kind == "send" and n == e.sender)}
    out = []
    previous: dict[str, Any] = {}
    for n, (state, label) in enumerate(zip(states, labels)):
        flat = flatten(state)
        groups: dict[str, list[list[Any]]] = {}
        owners = _owners(flat, nodes, pure_senders)
        for key, value in flat.items():
            group, shown = owners[key]
            changed = n > 0 and previous.get(key, _NONE) != value
            old = format_value(previous[key]) if changed and key in previous else None
            if old is not None and len(old) > MAX_OLD:
                old = None  # a long collection: the step's changes list says what came and went
            groups.setdefault(group, []).append([shown, format_value(value), changed, old])
        ordered = [g for g in nodes if g in groups] + [g for g in groups if g not in nodes]
        ev = events[n - 1] if n else None
        out.append({
            "n": n, "label": label,
            "fault": bool(ev and ev.fault),
            "changes": compact_diff(states[n - 1], state) if n else [],
            "groups": [{"name": g, "rows": groups[g]} for g in ordered],
        })
        previous = flat
    return out


_NONE = object()
_INDEXED = re.compile(r"^(?P<arr>[^\[]+)\[(?P<i>\d+)\](?:\.)?(?P<rest>.*)$")


def _owners(flat: dict[str, Any], nodes: list[str], pure_senders: set[str]) -> dict[str, tuple[str, str]]:
    """For each field path, the node it belongs to ("global" if none) and its name within that node."""
    indices: dict[str, set[int]] = {}
    for key in flat:
        m = _INDEXED.match(key)
        if m:
            indices.setdefault(m["arr"], set()).add(int(m["i"]))
    stateful = [n for n in nodes if n not in pure_senders]
    owners = {}
    for key in flat:
        parts = re.findall(r"[^.\[\]]+", key)
        hit = next((i for i, p in enumerate(parts) if p in nodes), None)
        if hit is not None:
            owners[key] = (parts[hit], ".".join(parts[hit + 1:]) or key)
            continue
        m = _INDEXED.match(key)
        if m:
            for per_node in (nodes, stateful):
                if per_node and indices[m["arr"]] == set(range(len(per_node))):
                    owners[key] = (per_node[int(m["i"])], m["rest"] or m["arr"])
                    break
        owners.setdefault(key, ("global" if nodes else "state", key))
    return owners


# -- the chart ----------------------------------------------------------------------------

def _fit(text: str, width: float) -> str:
    chars = max(int(width / CHAR_W), 4)
    return text if len(text) <= chars else text[:chars - 1] + "…"


def _note_width(text: str) -> float:
    """The column width a one-column note needs to show ``text`` whole (notes take 90%)."""
    return ((len(text) + 2) * CHAR_W + 8) / 0.9


def _chart(data: dict[str, Any], events: list[Event], names: list[str]) -> str:
    col = {name: i for i, name in enumerate(names)}
    need = [110.0]
    for ev in events:
        if ev.kind in ("deliver", "send") and ev.sender and ev.receiver:
            span = max(abs(col[ev.sender] - col[ev.receiver]), 1)
            need.append((len(ev.short_message) + 4) * CHAR_W / span)
        elif ev.kind != "heal":
            need.append(_note_width(ev.label) / max(len(ev.nodes), 1))
    actors = [n for n in names if n != SPEC_PARTICIPANT] or names
    need.append(_note_width("✗ " + headline(data)) / len(actors))
    colw = min(max(need), 320.0 if len(names) > 1 else 520.0)
    width = LEFT + colw * len(names) + 10
    n = len(events)
    end_h = ROW_H + 8
    height = HEAD_H + ROW_H * (n + 1) + end_h + 10

    def x(name: str) -> float:
        return LEFT + colw * (col[name] + 0.5)

    def esc(text: str) -> str:
        return html.escape(text, quote=True)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="chart" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="ui-monospace, Menlo, Consolas, monospace" '
           'font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="head"/></marker></defs>']
    bottom = height - 6
    for name in names:
        out.append(f'<line class="life" x1="{x(name):.1f}" y1="{HEAD_H - 8}" x2="{x(name):.1f}" y2="{bottom}"/>')
        out.append(f'<rect class="actor" x="{x(name) - colw * 0.4:.1f}" y="6" width="{colw * 0.8:.1f}" '
                   f'height="{HEAD_H - 16}" rx="4"/>')
        out.append(f'<text class="actor" x="{x(name):.1f}" y="{HEAD_H / 2 + 2:.1f}" text-anchor="middle">'
                   f'{esc(_fit(name, colw * 0.8))}</text>')

    def row(n: int, y: float, body: list[str], cls: str = "") -> None:
        out.append(f'<g class="row {cls}" data-step="{n}">'
                   f'<rect class="bg" x="0" y="{y:.1f}" width="{width:.0f}" height="{ROW_H}"/>'
                   f'<text class="num" x="{LEFT - 8}" y="{y + ROW_H / 2 + 4:.1f}" text-anchor="end">{n}</text>'
                   + "".join(body) + "</g>")

    def note(first: str, last: str, y: float, text: str, cls: str) -> str:
        x1, x2 = sorted((x(first), x(last)))
        x1, x2 = x1 - colw * 0.45, x2 + colw * 0.45
        return (f'<rect class="note {cls}" x="{x1:.1f}" y="{y + 5:.1f}" width="{x2 - x1:.1f}" height="{ROW_H - 10}" '
                f'rx="3"><title>{esc(text)}</title></rect>'
                f'<text class="note {cls}" x="{(x1 + x2) / 2:.1f}" y="{y + ROW_H / 2 + 4:.1f}" '
                f'text-anchor="middle">{esc(_fit(text, x2 - x1 - 8))}</text>')

    row(0, HEAD_H, [note(actors[0], actors[-1], HEAD_H, "initial state", "initial")])
    for n, ev in enumerate(events, 1):
        y = HEAD_H + ROW_H * n
        cls = "fault" if ev.fault else ""
        if ev.kind in ("deliver", "send") and ev.sender and ev.receiver:
            kind = f"msg {ev.kind}" + (" byzantine" if ev.byzantine else "")
            text = ("(byzantine) " if ev.byzantine else "") + ev.short_message
            x1, x2, ym = x(ev.sender), x(ev.receiver), y + ROW_H - 9
            if ev.sender == ev.receiver:
                body = [f'<path class="{kind}" d="M{x1:.1f},{y + 12:.1f} h{colw * 0.3:.1f} v{ROW_H - 18} '
                        f'h-{colw * 0.3:.1f}" fill="none" marker-end="url(#arrow)"><title>{esc(ev.label)}</title></path>',
                        f'<text class="label" x="{x1 + colw * 0.32:.1f}" y="{y + 12:.1f}">'
                        f'{esc(_fit(text, colw * 0.6))}</text>']
            else:
                body = [f'<line class="{kind}" x1="{x1:.1f}" y1="{ym:.1f}" x2="{x2:.1f}" y2="{ym:.1f}" '
                        f'marker-end="url(#arrow)"><title>{esc(ev.label)}</title></line>',
                        f'<text class="label" x="{(x1 + x2) / 2:.1f}" y="{ym - 6:.1f}" text-anchor="middle">'
                        f'{esc(_fit(text, abs(x2 - x1) + colw * 0.6))}</text>']
        elif ev.kind == "deliver":
            body = [note(ev.receiver, ev.receiver, y, f"receives {ev.short_message}", cls)]
        elif ev.kind == "step":
            body = [note(SPEC_PARTICIPANT, SPEC_PARTICIPANT, y, ev.label, cls)]
        else:
            inside = [nm for nm in names if nm in ev.nodes] or actors
            body = [note(inside[0], inside[-1], y, ev.label, cls or ev.kind)]
        row(n, y, body, cls)
    kind = data["kind"]
    y = HEAD_H + ROW_H * (len(events) + 1)
    sign = "✓" if kind == "example" else "✗"
    verdict = f"{sign} {headline(data)}"
    cls = "reached" if kind == "example" else "violation"
    out.append(f'<g class="row end {cls}" data-step="{len(events)}">'
               + note(actors[0], actors[-1], y, verdict, cls) + "</g>")
    out.append("</svg>")
    return "\n".join(out)
