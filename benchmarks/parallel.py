"""The parallel breadth-first search against the sequential one, side by side.

    python benchmarks/parallel.py                            # twophase-6, twophase-7, raft-election
    python benchmarks/parallel.py --only twophase-6 --repeat 3
    python benchmarks/parallel.py --ray                      # also --engine ray (local Ray)

For every model, in one invocation, runs alternate ``bfs`` (sequential, in-process),
the parallel engine with one shard (its own overhead; ``--workers 1`` itself runs ``bfs``) and ``--workers
2`` (and ``--engine ray --workers 2`` with ``--ray``), ``--repeat N`` times each, so slow
phases of a shared machine hit all alike.  The best wall time of each is reported with
the speed-up over the sequential search (``bfs time / run time``; above 1 is faster).
The runs must agree on distinct states, transitions and depth (exit status 1 if not).

On a machine shared with other work the wall times say little about parallelism (each
process gets a slice of a core), so the CPU time of every process is reported too: the
*critical path* (coordinator plus the busiest shard) is what a run would take with a free
core per process, and ``all processes`` shows the total work the parallel engine adds.
Markdown on standard output; progress on standard error.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time

from modelcheck import build, explore
from modelcheck.explore.parallel import parallel_bfs
from modelcheck.explore.run import Options

MODELS = {
    "twophase-6": lambda: build("twophase", {"rms": 6}),
    "twophase-7": lambda: build("twophase", {"rms": 7}),
    # max_term 2 is 3,408,944 states (minutes); max_term 1 is 1,111 (too small to measure)
    "raft-election": lambda: build("raft-election", {"max_term": 2}),
}
#: raft-election at max_term 2 is bounded so a run takes seconds, not minutes; by depth, since a
#: max_states cut inside a level costs the parallel engine the rest of that level
BOUNDS = {"raft-election": {"depth": 12}}


def run(name: str, how: str) -> tuple[dict, tuple]:
    spec = MODELS[name]()
    kwargs = dict(BOUNDS.get(name, {}))
    if how == "bfs":
        pass
    elif how == "ray":
        kwargs.update(workers=2, engine="ray")
    else:
        kwargs.update(workers=int(how))
    started, cpu = time.perf_counter(), time.process_time()
    if how == "1":  # explore() runs the sequential search for one worker; this is the parallel engine
        r = parallel_bfs(spec, Options(**kwargs))
    else:
        r = explore(spec, "bfs", **kwargs)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    shards = r.stats.get("shard_cpu_seconds", [])
    times = {"wall": took, "cpu": cpu + sum(shards), "critical": cpu + max(shards, default=0.0)}
    return times, (r.distinct_states, r.transitions, r.depth, r.verdict)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--ray", action="store_true", help="also --engine ray --workers 2 (local Ray)")
    args = parser.parse_args()
    hows = ["bfs", "1", "2"] + (["ray"] if args.ray else [])
    if args.ray:
        import logging

        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    ok = True
    rows = []
    for name in args.only:
        best: dict[str, dict] = {}
        seen: dict[str, tuple] = {}
        for i in range(args.repeat):
            for how in hows:
                times, outcome = run(name, how)
                print(f"{name} {how} #{i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
                      + f" {outcome}", file=sys.stderr, flush=True)
                old = best.setdefault(how, times)
                for k, v in times.items():
                    old[k] = min(old[k], v)
                seen[how] = outcome
        if len(set(seen.values())) != 1:
            ok = False
            print(f"DISAGREE on {name}: {seen}", file=sys.stderr)
        rows.append((name, seen["bfs"], best))
    print(f"`python benchmarks/{os.path.basename(__file__)} {shlex.join(sys.argv[1:])}`  ")
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end; best of {args.repeat}\n")
    names = {"bfs": "bfs", "1": "parallel, 1 shard", "2": "workers 2", "ray": "ray, workers 2"}
    print("| model | run | wall s | CPU s (all processes) | critical-path CPU s | wall speed-up | "
          "CPU-bound speed-up |")
    print("|---|---|---|---|---|---|---|")
    for name, (states, transitions, _, _), best in rows:
        bound = " (" + ", ".join(f"{k} {v:,}" for k, v in BOUNDS[name].items()) + ")" if name in BOUNDS else ""
        base = best["bfs"]
        for h in hows:
            b = best[h]
            print(f"| {name}{bound}: {states:,} states, {transitions:,} transitions | {names[h]} | "
                  f"{b['wall']:.2f} | {b['cpu']:.2f} | {b['critical']:.2f} | {base['wall'] / b['wall']:.2f}x | "
                  f"{base['cpu'] / b['critical']:.2f}x |")
    print("\nCPU-bound speed-up: sequential CPU time / (coordinator CPU + the busiest shard's CPU), "
          "the wall-time speed-up to expect with a free core per process; wall speed-up is what this "
          "(shared) machine gave.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
