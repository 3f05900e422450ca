"""What a run looks like on a terminal: live progress while it goes, a summary at the end.

Progress goes to stderr (a live line on a terminal, a line every few seconds in a
log); the summary goes to stdout.  Colour only on a terminal.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .explore.run import Progress
from .result import HOLDS, REACHED, UNKNOWN, VIOLATED, Result
from .trace.format import trace_to_dict
from .trace.model import n_steps
from .trace.render import describe_run

__all__ = ["ProgressDisplay", "print_summary", "result_to_dict"]


class ProgressDisplay:
    """A progress callback: live on a terminal, one line every ``every`` seconds otherwise."""

    def __init__(self, console: Console, every: float = 10.0) -> None:
        self.console = console
        self.every = every
        self.last = 0.0
        self.status = None
        self.live = console.is_terminal

    def __call__(self, p: Progress) -> None:
        text = self.line(p)
        if self.live:
            if self.status is None:
                self.status = self.console.status(text)
                self.status.start()
            else:
                self.status.update(text)
        else:
            now = time.monotonic()
            if p.elapsed >= self.every and now - self.last >= self.every:
                self.last = now
                self.console.print(text, highlight=False)

    @staticmethod
    def line(p: Progress) -> str:
        rate = p.distinct_states / p.elapsed if p.elapsed > 0 else 0.0
        queue = "walks left" if p.strategy == "random" else "queue"
        return (f"{p.strategy}: {p.distinct_states:,} distinct states, {p.transitions:,} transitions, "
                f"{queue} {p.frontier:,}, depth {p.depth}, {rate:,.0f} states/s, {p.elapsed:.0f}s")

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


_STYLE = {HOLDS: "green", VIOLATED: "bold red", UNKNOWN: "yellow", REACHED: "green"}


def _bound(name: str, value: Any) -> str:
    if name == "memory_limit":
        return f"{value / 2**20:,.0f} MiB"
    return str(value)


class PlainTable(Table):
    """A table whose text cells are shown as they are, not read as rich markup (an action
    label, a state or a path may hold ``[...]``)."""

    def add_row(self, *cells: Any, **kwargs: Any) -> None:
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **kwargs)


def print_summary(console: Console, result: Result, action_kinds: tuple[str, ...] = ()) -> None:
    style = "bold red" if not result.ok else ("bold green" if result.complete else "bold yellow")
    faults = ", ".join(f"{k}={v}" for k, v in result.faults.items())
    console.print(Text.assemble(("modelcheck ", "bold"), describe_run(
        {"spec": result.spec, "params": result.params, "faults": result.faults}),
        f"  [{result.strategy}" + (f", seed {result.seed}" if result.seed is not None else "") + "]"),
        highlight=False)
    console.print(Text(result.verdict, style=style))
    table = PlainTable(show_header=False, box=None, padding=(0, 2))
    table.add_row("distinct states", f"{result.distinct_states:,}")
    table.add_row("transitions", f"{result.transitions:,}")
    table.add_row("depth", f"{result.depth}")
    table.add_row("time", f"{result.elapsed:.2f} s ({result.states_per_second:,.0f} distinct states/s)")
    bounds = ", ".join(f"{k.replace('_', ' ')} {_bound(k, v)}" + (" (reached)" if k in result.cut_by else "")
                       for k, v in result.bounds.items())
    for reason, shown in (("interrupted", "interrupted"), ("memory_limit", "memory limit reached")):
        if reason in result.cut_by and reason not in result.bounds:
            bounds = (bounds + ", " if bounds else "") + shown
    table.add_row("bounds", bounds or "none")
    if result.stopped_early == "violation":
        table.add_row("stopped", "at the first violation, so other invariants are not proven "
                      "(--keep-going explores on)")
    elif result.stopped_early == "error":
        table.add_row("stopped", "at the error, so the invariants are not proven")
    if faults:
        table.add_row("faults", faults)
    if result.strategy == "random":
        s = result.stats
        table.add_row("walks", f"{s.get('walks', 0):,} (length min {s.get('walk_length_min')}, "
                      f"mean {s.get('walk_length_mean')}, max {s.get('walk_length_max')})")
    if "fingerprint_collision_probability" in result.stats:
        table.add_row("visited set", f"{result.stats.get('visited_store', '64-bit fingerprints')}, collision "
                      f"probability {result.stats['fingerprint_collision_probability']:.1e}")
    elif "visited_store" in result.stats:
        table.add_row("visited set", result.stats["visited_store"])
    if "workers" in result.stats:
        cpu = result.stats.get("shard_cpu_seconds")
        cpu = cpu if isinstance(cpu, (int, float)) else sum(cpu or ())
        table.add_row("parallel", f"{result.stats['workers']} workers on {result.stats['engine']}"
                      + (f" ({cpu:.2f} s of worker CPU)" if cpu else ""))
    if "symmetry" in result.stats:
        table.add_row("symmetry", result.stats["symmetry"])
    if "resumed_after" in result.stats:
        table.add_row("resumed", f"from a checkpoint, after {result.stats['resumed_after']:.2f} s of search")
    if "checkpoint" in result.stats:
        where = os.path.dirname(result.stats["checkpoint"]) or "."
        periodic = result.stats.get("checkpoint_periodic_states")  # stopped at once: states it holds
        if periodic:
            table.add_row("checkpoint", f"the last periodic save ({periodic:,} states): continue with "
                          f"--resume {where}")
        else:
            table.add_row("checkpoint", f"saved: continue with --resume {where}")
    for note in ("checkpoint_error", "checkpoint_note"):
        if note in result.stats:
            table.add_row("checkpoint", str(result.stats[note]))
    table.add_row("deadlock check", "on" if result.deadlock_checked else "off")
    console.print(table)

    props = PlainTable(show_header=False, box=None, padding=(0, 2))
    for name, verdict in result.invariants.items():
        props.add_row("invariant", name, Text(verdict, style=_STYLE.get(verdict, "")))
    for name, verdict in result.reachability.items():
        example = result.examples.get(name)
        shown = verdict + (f" (in {n_steps(len(example))})" if example else "")
        props.add_row("sometimes", name, Text(shown, style="green" if example else "yellow"))
    if result.invariants or result.reachability:
        console.print(props)

    cov = PlainTable(title="action coverage", title_justify="left", show_header=False, box=None, padding=(0, 2))
    kinds = list(result.coverage) + [k for k in action_kinds if k not in result.coverage]
    for kind in kinds:
        count = result.coverage.get(kind, 0)
        cov.add_row(kind, f"{count:,}" if count else Text("never fired", style="bold yellow"))
    if kinds:
        console.print(cov)


def result_to_dict(result: Result) -> dict[str, Any]:
    return {
        "spec": result.spec,
        "params": trace_to_dict_params(result.params),
        "faults": trace_to_dict_params(result.faults),
        "strategy": result.strategy,
        "seed": result.seed,
        "verdict": result.verdict,
        "ok": result.ok,
        "complete": result.complete,
        "exit_code": result.exit_code,
        "bounds": result.bounds,
        "cut_by": result.cut_by,
        "stopped_early": result.stopped_early,
        "distinct_states": result.distinct_states,
        "transitions": result.transitions,
        "depth": result.depth,
        "elapsed": round(result.elapsed, 6),
        "states_per_second": round(result.states_per_second, 1),
        "invariants": result.invariants,
        "reachability": result.reachability,
        "coverage": result.coverage,
        "deadlock_checked": result.deadlock_checked,
        "stats": result.stats,
        "violations": [trace_to_dict(t) for t in result.violations],
        "examples": {k: trace_to_dict(t) for k, t in result.examples.items()},
        "error": trace_to_dict(result.error) if result.error else None,
        "saved": result.saved,
    }


def trace_to_dict_params(params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(params, default=str))
