"""What a run looks like on a terminal: live progress while it goes, a summary at the end.

Progress goes to stderr (a live line on a terminal, a line every few seconds in a
log); the summary goes to stdout.  The renderers build styled :class:`Line` s
(:mod:`modelcheck.styled`), printed here with click: in colour on a terminal, as plain
text in a pipe or a file.  rich draws only the live progress line, once a run has gone
on for a moment, and the boxed tables of ``list`` and ``zoo``: importing it was a fifth
of a small run's start-up (``benchmarks/startup.py``: 0.080 -> 0.065 s without it).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from typing import Any, Sequence

import click

from .explore.run import Progress
from .result import HOLDS, REACHED, UNKNOWN, VIOLATED, Result
from .styled import Line
from .trace.format import trace_to_dict
from .trace.model import n_steps
from .trace.render import describe_run

__all__ = ["Output", "StatusLine", "ProgressDisplay", "print_summary", "result_to_dict", "is_terminal"]


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` takes terminal output (colour, a live line), by rich's rule:
    ``TTY_COMPATIBLE=0`` or ``1`` says so, else ``FORCE_COLOR`` set (to anything but
    nothing) says yes, else whether it is a tty."""
    env = os.environ
    compatible = env.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = env.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


#: the words of a style ("bold red": rich's names) that click.style draws; others are left out
_FLAGS = ("bold", "dim", "italic", "underline")
_COLOURS = frozenset(("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white", "bright_black",
                      "bright_red", "bright_green", "bright_yellow", "bright_blue", "bright_magenta",
                      "bright_cyan", "bright_white"))


@functools.cache
def _style_of(style: str) -> dict[str, Any]:
    """click.style's arguments for a style such as ``"bold red"``."""
    words = style.split()
    colours = [w for w in words if w in _COLOURS]
    return {"fg": colours[-1] if colours else None, **{flag: True for flag in _FLAGS if flag in words}}


def _coloured(cell: Line | str) -> str:
    """``cell`` with its styles as terminal escape codes."""
    if not isinstance(cell, Line):
        return cell
    return "".join(click.style(text, **_style_of(style)) if style and text else text
                   for text, style in cell.parts)


def _width(text: str) -> int:
    """Terminal cells ``text`` takes: wide East Asian characters and most emoji take two,
    combining marks none (so table columns line up)."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


class Output:
    """Standard output or error: styled lines in colour on a terminal (unless ``NO_COLOR``
    is set or ``TERM`` is dumb), as plain text otherwise."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._rich = None
        self.is_terminal = is_terminal(sys.stderr if stderr else sys.stdout)
        # as rich: no colour on a dumb terminal either
        self.colour = (self.is_terminal and not os.environ.get("NO_COLOR")
                       and os.environ.get("TERM", "").lower() not in ("dumb", "unknown"))

    @property
    def rich(self) -> Any:
        """A rich Console (imported on first use), for what only rich draws."""
        if self._rich is None:
            # no emoji codes: a label such as 'x:fire:' is shown as it is
            self._rich = _console()(stderr=self.stderr, highlight=False, soft_wrap=True, emoji=False,
                                    force_terminal=self.is_terminal)
        return self._rich

    def print(self, line: Line | str = "") -> None:
        click.echo(_coloured(line) if self.colour else str(line), err=self.stderr, color=self.colour)

    def table(self, rows: Sequence[Sequence[Line | str]], title: str | None = None) -> None:
        """Rows of cells in aligned columns, no header, two spaces in from the margin."""
        if not rows:
            return
        widths = [max(_width(str(row[i])) for row in rows if i < len(row)) for i in range(max(map(len, rows)))]
        show = _coloured if self.colour else str
        lines = [title] if title else []
        lines += ["".join(f"  {show(cell)}{' ' * (w - _width(str(cell)))}  " for cell, w in zip(row, widths)).rstrip()
                  for row in rows]
        click.echo("\n".join(lines), err=self.stderr, color=self.colour)


@functools.cache
def _console() -> type:
    from rich.console import Console

    class PipeAwareConsole(Console):
        """A rich Console that leaves a closed pipe to the caller (rich's own handler
        exits with status 1, which modelcheck uses to say a violation was found)."""

        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return PipeAwareConsole


@functools.cache
def _plain_table() -> type:
    from rich.table import Table
    from rich.text import Text

    class PlainTable(Table):
        """A rich Table whose cells are text shown as it is, never read as rich markup (a
        spec's name or parameters may hold ``[...]``): plain strings or styled Lines."""

        def add_row(self, *cells: Line | str, **kwargs: Any) -> None:
            super().add_row(*(Text.assemble(*c.parts) if isinstance(c, Line) else Text(c) for c in cells),
                            **kwargs)

    return PlainTable


def plain_table(*args: Any, **kwargs: Any) -> Any:
    """A rich Table of plain-text or Line cells (rich imported on first use)."""
    return _plain_table()(*args, **kwargs)


class StatusLine:
    """What long work is doing: on a terminal a live line, from ``after`` seconds of
    ``elapsed`` on (a shorter run is over before it would help); otherwise a line every
    ``every`` seconds (a log gets a pulse, not a flood)."""

    def __init__(self, output: Output, every: float = 10.0, after: float = 0.5) -> None:
        self.output = output
        self.every = every
        self.after = after
        self.last = 0.0
        self.status = None
        self.live = output.is_terminal

    def show(self, text: str, elapsed: float) -> None:
        if self.live and elapsed < self.after:
            return
        if self.live:
            if self.status is None:
                if not self.output.rich.is_interactive:  # a dumb terminal (TERM=dumb): as a log
                    self.live = False
                    return self.show(text, elapsed)
                self.status = self.output.rich.status(text)
                self.status.start()
            else:
                self.status.update(text)
        else:
            now = time.monotonic()
            if elapsed >= self.every and now - self.last >= self.every:
                self.last = now
                self.output.print(text)

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


class ProgressDisplay(StatusLine):
    """A search's progress callback (see :class:`StatusLine`)."""

    def __call__(self, p: Progress) -> None:
        self.show(self.line(p), p.elapsed)

    @staticmethod
    def line(p: Progress) -> str:
        rate = p.distinct_states / p.elapsed if p.elapsed > 0 else 0.0
        queue = "walks left" if p.strategy == "random" else "queue"
        return (f"{p.strategy}: {p.distinct_states:,} distinct states, {p.transitions:,} transitions, "
                f"{queue} {p.frontier:,}, depth {p.depth}, {rate:,.0f} states/s, {p.elapsed:.0f}s")


_STYLE = {HOLDS: "green", VIOLATED: "bold red", UNKNOWN: "yellow", REACHED: "green"}


def _bound(name: str, value: Any) -> str:
    if name == "memory_limit":
        return f"{value / 2**20:,.0f} MiB"
    return str(value)


class _Rows(list):
    """A table's rows for :meth:`Output.table`, each added by ``add_row(*cells)``."""

    def add_row(self, *cells: Line | str) -> None:
        self.append(cells)


def print_summary(out: Output, result: Result, action_kinds: tuple[str, ...] = ()) -> None:
    style = "bold red" if not result.ok else ("bold green" if result.complete else "bold yellow")
    faults = ", ".join(f"{k}={v}" for k, v in result.faults.items())
    out.print(Line(("modelcheck ", "bold"), describe_run(
        {"spec": result.spec, "params": result.params, "faults": result.faults}),
        f"  [{result.strategy}" + (f", seed {result.seed}" if result.seed is not None else "") + "]"))
    out.print(Line(result.verdict, style=style))
    table = _Rows()
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
    out.table(table)

    props = _Rows()
    for name, verdict in result.invariants.items():
        props.add_row("invariant", name, Line(verdict, style=_STYLE.get(verdict, "")))
    for name, verdict in result.reachability.items():
        example = result.examples.get(name)
        shown = verdict + (f" (in {n_steps(len(example))})" if example is not None else "")
        props.add_row("sometimes", name, Line(shown, style="green" if example is not None else "yellow"))
    out.table(props)

    cov = _Rows()
    kinds = list(result.coverage) + [k for k in action_kinds if k not in result.coverage]
    for kind in kinds:
        count = result.coverage.get(kind, 0)
        cov.add_row(kind, f"{count:,}" if count else Line("never fired", style="bold yellow"))
    out.table(cov, title="action coverage")


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
        "error": trace_to_dict(result.error) if result.error is not None else None,
        "saved": result.saved,
    }


def trace_to_dict_params(params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(params, default=str))
