"""How fast fuzzing finds each bug variant of the library, and how short its shrunk trace is.

    python benchmarks/fuzz.py                          # every bug variant, 5 seeds (a few minutes)
    python benchmarks/fuzz.py --quick                  # 3 seeds, BFS limited to 10 s
    python benchmarks/fuzz.py --only raft-election -p servers=5 --faults crash=1

For every spec of ``modelcheck.library()`` with bug variants, every variant, and every
fault model (actor protocols: the spec's own, and the same plus one crash, as ``modelcheck
zoo`` hunts them, e.g. lease ``skew=1,crash=1``; unless ``--faults`` says otherwise):

* BFS, bounded by ``--bfs-time-limit`` (60 s): the shortest counterexample, or how far it got;
* ``modelcheck.fuzz.fuzz`` with ``--seeds`` different seeds: how many seeds found the bug, the
  examples and seconds until the first failing schedule, and the trace's length as found,
  after Hypothesis's shrinking, after delta debugging and after a bounded breadth-first
  search for a shorter path (``modelcheck.fuzz.shrink.shortcut``), next to BFS's shortest
  violation of the same invariant.

New specs and bug variants are picked up without editing this file.  The markdown on
standard output (the command, the machine, the table) can be pasted as is; progress goes
to standard error.  Times are wall-clock on a shared machine: compare orders of magnitude.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field

from modelcheck import build, explore, library
from modelcheck.fuzz import fuzz
from modelcheck.spec import SpecError
from modelcheck.zoo import fault_models


@dataclass
class Row:
    spec: str
    bug: str
    faults: str
    params: dict[str, str]
    bfs: str = ""
    #: BFS's shortest violation of each invariant it found (the first one only, unless a
    #: fuzz run broke another invariant: then BFS went on, --keep-going, for that one)
    bfs_shortest: dict[str, int] = field(default_factory=dict)
    found: list[dict] = field(default_factory=list)  # stats of the seeds that found it
    seeds: int = 0
    shrunk: list[tuple[str, int]] = field(default_factory=list)  # (invariant, length) per seed


def run_bfs(spec, limit: float, keep_going: bool = False) -> tuple[str, dict[str, int]]:
    started = time.monotonic()
    r = explore(spec, "bfs", time_limit=limit, keep_going=keep_going)
    took = time.monotonic() - started
    shortest = {t.property: len(t) for t in r.violations}  # the first violation of each
    if r.violations:
        n = len(r.violations[0])
        return f"{n} steps ({r.distinct_states:,} states, {took:.1f} s)", shortest
    if r.complete:
        return f"no violation ({r.distinct_states:,} states, complete)", shortest
    return f"not found within {limit:g} s ({r.distinct_states:,} states, depth {r.depth})", shortest


def run_fuzz(spec, row: Row, seeds: int, examples: int, max_steps: int, limit: float) -> None:
    row.seeds = seeds
    for seed in range(seeds):
        r = fuzz(spec, examples=examples, max_steps=max_steps, seed=seed)
        if r.violations:
            row.found.append(r.stats)
            row.shrunk.append((r.violations[0].property, len(r.violations[0])))
    if any(prop not in row.bfs_shortest for prop, _ in row.shrunk) and row.bfs_shortest:
        # a seed broke another invariant than BFS's first violation: compare like with like
        row.bfs_shortest.update(run_bfs(spec, limit, keep_going=True)[1])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def cells(row: Row, examples: int) -> list[str]:
    if not row.found:
        return [row.spec, row.bug, row.faults, row.bfs, f"0/{row.seeds}", f"none in {examples:,}", "-", "-", "-"]
    s = row.found
    to_find = [x["examples"] for x in s]
    seconds = [x["found_after_seconds"] for x in s]
    path = " → ".join(f"{median([x[k] for x in s]):g}" for k in (
        "steps_found", "steps_after_hypothesis", "steps_after_delta_debugging", "steps_after_shrink"))
    lengths = [n for _, n in row.shrunk]
    shrunk = f"{min(lengths)}–{max(lengths)}" if min(lengths) != max(lengths) else f"{lengths[0]}"
    overs = [n - row.bfs_shortest[prop] for prop, n in row.shrunk if prop in row.bfs_shortest]
    versus = "-"
    if overs:
        over = max(overs)
        versus = "same" if over == 0 else f"+{over}" + (" (goal: ≤ +2)" if over > 2 else "")
        if len(overs) < len(row.shrunk):
            versus += f" ({len(row.shrunk) - len(overs)} seeds: an invariant BFS did not reach)"
    props = sorted({prop for prop, _ in row.shrunk})
    if len(props) > 1 or (row.bfs_shortest and props[0] != next(iter(row.bfs_shortest))):
        versus += " (" + ", ".join(f"{p} {row.bfs_shortest.get(p, '?')}" for p in props) + ")"
    return [row.spec, row.bug, row.faults, row.bfs, f"{len(s)}/{row.seeds}",
            f"{median(to_find):g} ({min(to_find)}–{max(to_find)})", f"{median(seconds):.2f} s",
            f"{path} (shrunk {shrunk})", versus]


def machine() -> str:
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"- machine: {platform.system()} {platform.machine()}, {cores} usable cores, "
            f"Python {platform.python_version()}; load average at start {load}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="fuzz runs per variant, seeds 0..N-1 (default 5)")
    ap.add_argument("--examples", type=int, default=1000, help="examples per fuzz run (default 1000)")
    ap.add_argument("--max-steps", type=int, default=50, help="longest schedule (default 50)")
    ap.add_argument("--bfs-time-limit", type=float, default=60.0, help="seconds for BFS (default 60)")
    ap.add_argument("--only", action="append", default=[], metavar="SPEC", help="only this spec (repeatable)")
    ap.add_argument("--faults", action="append", default=[], metavar="FAULTS",
                    help="fault models for actor protocols, 'none' for none (default: the spec's own, then that plus one crash)")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                    help="set a parameter on every spec that has it, e.g. -p servers=5")
    ap.add_argument("--quick", action="store_true", help="3 seeds, BFS limited to 10 s")
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.bfs_time_limit = min(args.seeds, 3), min(args.bfs_time_limit, 10.0)
    params = dict(p.split("=", 1) for p in args.param)
    rows: list[Row] = []
    for name, cls in library().items():
        if not cls.bugs or (args.only and name not in args.only):
            continue
        own = {k: v for k, v in params.items() if k in cls.param_specs()}
        models = (args.faults or [f or "none" for f in fault_models(cls)]) if getattr(
            cls, "supports_faults", False) else ("none",)
        for bug in cls.bugs:
            for faults in models:
                row = Row(name, bug, faults, own)
                try:
                    spec = build(name, {**own, "bug": bug}, faults=None if faults == "none" else faults)
                except SpecError as exc:
                    print(f"skipping {name} bug={bug} faults={faults}: {exc}", file=sys.stderr)
                    continue
                print(f"{name} bug={bug} faults={faults}: bfs...", file=sys.stderr, flush=True)
                row.bfs, row.bfs_shortest = run_bfs(spec, args.bfs_time_limit)
                print(f"  {row.bfs}; fuzz...", file=sys.stderr, flush=True)
                run_fuzz(spec, row, args.seeds, args.examples, args.max_steps, args.bfs_time_limit)
                rows.append(row)
    command = "python " + shlex.join([os.path.relpath(sys.argv[0]), *(argv if argv is not None else sys.argv[1:])])
    print(f"`{command}`\n")
    print(machine())
    print(f"- fuzz: {args.examples:,} examples of at most {args.max_steps} steps, seeds 0–{args.seeds - 1}; "
          f"BFS limited to {args.bfs_time_limit:g} s" + (f"; parameters {params}" if params else "") + "\n")
    head = ["spec", "bug", "faults", "BFS shortest", "found", "examples to find: median (range)",
            "time to find (median)", "steps: found → Hypothesis → delta debugging → bounded search (medians)",
            "shrunk vs BFS (same invariant)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(cells(row, args.examples)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
