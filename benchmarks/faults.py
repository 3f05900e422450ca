"""How much each fault multiplies the state space of raft-election (3 servers).

    python benchmarks/faults.py                    # both tables, about a minute
    python benchmarks/faults.py --quick            # the complete max_term=1 table only (seconds)
    python benchmarks/faults.py --max-term 2 --depth 10 --only-bounded

For each fault model (none, drop, dup, crash=1, partition=1, timed without skew, skew=1,
fifo) it runs BFS and prints distinct states, transitions and time, and the states and
transitions as multiples of the fault-free run.  Two tables:

* max_term=1, explored completely: the exact multipliers;
* max_term=2 (3.4M states without faults, too many to repeat per fault), cut at a depth
  bound: multipliers of the states within that many steps.  A bound counts steps, and
  faults take steps of their own (crash, restart, partition, heal, tick), so these
  multipliers understate the cost of faults that need several steps to matter.

The output is markdown (the command line, the machine, the tables); progress goes to
standard error.  Quote multipliers, not seconds: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import modelcheck
from modelcheck.specs.raft_election import RaftElection

FAULTS = [
    ("none", None),
    ("drop", "drop"),
    ("dup", "dup"),
    ("crash=1", "crash=1"),
    ("partition=1", "partition=1"),
    ("timed, skew=0", "skew=0"),
    ("skew=1", "skew=1"),
    ("fifo", "fifo"),
]


def measure(servers: int, max_term: int, faults: str | None, depth: int | None,
            time_limit: float | None) -> modelcheck.Result:
    spec = RaftElection(servers=servers, max_term=max_term, faults=faults)
    return modelcheck.explore(spec, "bfs", depth=depth, time_limit=time_limit)


def table(servers: int, max_term: int, depth: int | None, time_limit: float | None) -> list[str]:
    bound = f", depth <= {depth}" if depth is not None else ", complete"
    lines = [f"### raft-election, servers={servers}, max_term={max_term}{bound}", "",
             "| faults | distinct states | x none | transitions | x none | time (s) | states/s "
             "| election_safety |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    base = None
    for label, faults in FAULTS:
        print(f"  {label} (max_term={max_term}{bound}) ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        r = measure(servers, max_term, faults, depth, time_limit)
        elapsed = time.perf_counter() - started
        if base is None:
            base = r
        cut = [c for c in r.cut_by if c != "depth"]
        note = f" (cut by {', '.join(cut)})" if cut else ""
        lines.append(
            f"| {label} | {r.distinct_states:,}{note} | {r.distinct_states / base.distinct_states:.2f} "
            f"| {r.transitions:,} | {r.transitions / base.transitions:.2f} | {elapsed:.2f} "
            f"| {r.distinct_states / elapsed:,.0f} | {r.invariants['election_safety']} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", type=int, default=3)
    ap.add_argument("--max-term", type=int, default=2, help="max_term of the bounded table (default 2)")
    ap.add_argument("--depth", type=int, default=9, help="depth bound of the bounded table (default 9)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per run (default 120)")
    ap.add_argument("--quick", action="store_true", help="only the complete max_term=1 table")
    ap.add_argument("--only-bounded", action="store_true", help="only the depth-bounded table")
    args = ap.parse_args(argv)
    out = ["$ python " + " ".join(["benchmarks/faults.py", *sys.argv[1:]]), "",
           f"machine: {platform.processor() or platform.machine()}, nproc {os.cpu_count()}, "
           f"Python {platform.python_version()}", ""]
    if not args.only_bounded:
        out += table(args.servers, 1, None, args.time_limit) + [""]
    if not args.quick:
        out += table(args.servers, args.max_term, args.depth, args.time_limit) + [""]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
