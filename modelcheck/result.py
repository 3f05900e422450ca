"""What an exploration found: counts, bounds, property verdicts, traces.

Every strategy (BFS, DFS, random walks, fuzzing) returns a :class:`Result`, so the
CLI, the JSON output and the trace store treat them alike.
"""

from __future__ import annotations

from typing import Any

import attrs

from .trace.model import Trace

__all__ = ["Result", "HOLDS", "VIOLATED", "UNKNOWN", "REACHED", "UNREACHED"]

HOLDS = "holds"
VIOLATED = "violated"
UNKNOWN = "no violation found"  # exploration was cut by a bound or sampled
REACHED = "reached"
UNREACHED = "not reached"


@attrs.define
class Result:
    spec: str
    params: dict[str, Any]
    strategy: str
    seed: int | None = None
    faults: dict[str, Any] = attrs.field(factory=dict)
    #: depth / max_states / time_limit / walks ... that were set for this run
    bounds: dict[str, Any] = attrs.field(factory=dict)
    #: the bounds that actually cut the exploration short ("depth", "max_states",
    #: "time_limit", "interrupted"); empty when the whole reachable space was seen
    cut_by: list[str] = attrs.field(factory=list)
    #: why an exhaustive search ended before it had seen every reachable state, other than
    #: a bound: "violation" (it stops at the first, unless --keep-going) or "error"
    stopped_early: str | None = None
    distinct_states: int = 0
    transitions: int = 0
    depth: int = 0
    elapsed: float = 0.0
    invariants: dict[str, str] = attrs.field(factory=dict)
    reachability: dict[str, str] = attrs.field(factory=dict)
    coverage: dict[str, int] = attrs.field(factory=dict)
    violations: list[Trace] = attrs.field(factory=list)
    examples: dict[str, Trace] = attrs.field(factory=dict)
    error: Trace | None = None
    deadlock_checked: bool = False
    #: strategy-specific statistics (walk lengths, fingerprint collision odds...)
    stats: dict[str, Any] = attrs.field(factory=dict)
    #: files the trace store wrote for this result
    saved: list[str] = attrs.field(factory=list)

    @property
    def complete(self) -> bool:
        """True when the whole reachable state space was explored."""
        return not self.cut_by and not self.stopped_early and self.strategy in ("bfs", "dfs")

    @property
    def never_reached(self) -> list[str]:
        """The ``@sometimes`` properties a complete search never met: the model is vacuous
        where they guard it, or they do not apply to these parameters (the verdict line says
        so; a sampled or bounded run cannot tell, so it names none)."""
        if not self.complete:
            return []
        return [name for name, verdict in self.reachability.items() if verdict == UNREACHED]

    @property
    def ok(self) -> bool:
        return not self.violations and self.error is None

    @property
    def exit_code(self) -> int:
        """2 error, 1 violation, 130 stopped by Ctrl-C before finding either (a script must
        not read a search cut short by hand as a pass), 0 otherwise."""
        if self.error is not None:
            return 2
        if self.violations:
            return 1
        return 130 if "interrupted" in self.cut_by else 0

    @property
    def states_per_second(self) -> float:
        return self.distinct_states / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def verdict(self) -> str:
        """One line: what this run shows and, where a bound cut it, only that."""
        if self.error is not None:
            return f"error: {self.error.error}"
        if self.violations:
            names = ", ".join(sorted({t.property for t in self.violations}))
            return f"violation of {names}"
        if not (self.invariants or self.reachability or self.deadlock_checked):  # "no violation" would claim a check
            explored = ("every reachable state explored" if self.complete else
                        "executions sampled" if self.strategy in ("random", "fuzz") else "states explored")
            return f"nothing checked: the spec declares no @invariant ({explored})"
        if self.complete and self.never_reached:
            return ("no violation: every reachable state checked, and none satisfies "
                    + ", ".join(self.never_reached))
        if self.complete:
            return "no violation: every reachable state checked"
        if self.strategy in ("random", "fuzz"):
            return "no violation found in the sampled executions"
        bits = []
        if "depth" in self.cut_by:
            bits.append(f"up to depth {self.bounds.get('depth')}")
        if "max_states" in self.cut_by:
            bits.append(f"in the first {self.distinct_states:,} states")
        if "time_limit" in self.cut_by:
            bits.append(f"within the time limit of {self.bounds.get('time_limit')}s")
        if "interrupted" in self.cut_by:
            bits.append("before the run was interrupted")
        if "memory_limit" in self.cut_by:
            bits.append(f"in the first {self.distinct_states:,} states (memory limit reached)")
        return "no violation " + ", ".join(bits)
