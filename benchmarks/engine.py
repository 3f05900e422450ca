"""modelcheck's BFS against a hand-written plain-Python BFS of the same models.

    python benchmarks/engine.py                       # every model, best of 3
    python benchmarks/engine.py --quick               # small models, 1 run each
    python benchmarks/engine.py --only twophase-7 --repeat 5

For every model, in one invocation, it measures

* ``engine``:    ``modelcheck.explore(spec, "bfs")`` (no progress callback), and
* ``reference``: the model's hand-written BFS in benchmarks/reference.py (plain tuples,
                 a ``set`` of whole states, a ``deque``; it imports nothing from modelcheck),

and fails (exit status 1) if the two disagree on the number of distinct states, or
either disagrees with the count known from other checkers.

Every measurement runs in a fresh *spawned* process: the child builds the model,
records its resident memory, runs the search, and reports wall time and its peak
resident memory minus that baseline.  Runs alternate reference, engine, reference,
engine... (``--repeat N`` of each) so slow phases of a shared machine hit both
alike; the best (smallest) wall time of each is reported, with the ratios
engine/reference, which are the numbers worth quoting: absolute times on a shared
machine are noisy, ratios measured side by side much less.

The markdown on standard output (command line, machine, tables) is meant to be
pasted as is; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import multiprocessing
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # `import reference`, also in spawned children
    sys.path.insert(0, str(HERE))

import reference  # noqa: E402  (benchmarks/reference.py)


# -- the models ---------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    name: str
    #: builds the modelcheck spec (called in the child, before the baseline is taken)
    build: Callable[[], object]
    #: the hand-written BFS: returns the number of distinct states, raises on a violation
    reference: Callable[[], int]
    #: distinct states known from other checkers (TLC), asserted when given
    expected: int | None = None
    #: part of the --quick set
    quick: bool = True


def _twophase(rms: int) -> Callable[[], object]:
    def build():
        from modelcheck import build as build_spec

        return build_spec("twophase", {"rms": rms})

    return build


def _raft_election_models() -> list[Model]:
    """raft-election, 3 servers, max_term 2 (3,408,944 states): slow, so not in --quick."""

    def build():
        from modelcheck import build as build_spec

        return build_spec("raft-election", {"servers": 3, "max_term": 2})

    return [Model("raft-election-3", build, lambda: reference.raft_election_bfs(3, 2),
                  expected=3_408_944, quick=False)]


def raft_election_missing() -> str | None:
    """Why the raft-election entry is not in the table, or None when it is."""
    if any(m.name.startswith("raft-election") for m in MODELS):
        return None
    try:
        importlib.import_module("modelcheck.specs.raft_election")
    except Exception as exc:  # absent or broken: either way, not measurable yet
        return (f"specs/raft_election.py does not import ({type(exc).__name__}: {exc}); "
                "see the TODO in benchmarks/engine.py")
    return ("specs/raft_election.py imports but has no hand-written reference BFS yet; "
            "see the TODO in benchmarks/engine.py")


MODELS: list[Model] = [
    Model("twophase-5", _twophase(5), lambda: reference.twophase_bfs(5), expected=8_832),
    Model("twophase-6", _twophase(6), lambda: reference.twophase_bfs(6), expected=50_816),
    Model("twophase-7", _twophase(7), lambda: reference.twophase_bfs(7), expected=296_448,
          quick=False),
    *_raft_election_models(),
]

IMPLS = ("reference", "engine")


# -- one measurement, in a child process ------------------------------------------------


def _current_rss() -> int:
    """Resident set size now, in bytes (Linux /proc; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _peak_rss()


def _peak_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _child(model_name: str, impl: str, conn) -> None:
    try:
        model = {m.name: m for m in MODELS}[model_name]
        spec = None
        if impl == "engine":
            from modelcheck import explore

            spec = model.build()
        gc.collect()
        _reset_peak()
        baseline = _current_rss()
        peak_before = _peak_rss()
        t0 = time.perf_counter()
        if impl == "engine":
            result = explore(spec, "bfs")
            elapsed = time.perf_counter() - t0
            peak = _peak_rss()
            problems = []
            if result.error is not None:
                problems.append(f"error: {result.error.error}")
            if result.violations:
                problems.append("violated: " + ", ".join(t.property for t in result.violations))
            if result.cut_by:
                problems.append("cut by " + ", ".join(result.cut_by))
            out = dict(distinct=result.distinct_states, transitions=result.transitions,
                       problems=problems)
        else:
            distinct = model.reference()
            elapsed = time.perf_counter() - t0
            peak = _peak_rss()
            out = dict(distinct=distinct, transitions=None, problems=[])
        out.update(time=elapsed, baseline=baseline, peak=peak,
                   memory=max(0, peak - baseline), stale_peak=peak_before > baseline + (4 << 20))
        conn.send(out)
    except BaseException:
        conn.send(dict(exception=traceback.format_exc()))
    finally:
        conn.close()


def in_child(ctx, target: Callable, args: tuple, name: str) -> tuple[dict | None, int | None, float]:
    """Run ``target(*args, conn)`` in a fresh process that sends one dict through ``conn``:
    (that dict, or None if the child died first; its exit code; wall seconds from the
    spawn to the answer)."""
    parent_end, child_end = ctx.Pipe(duplex=False)
    t0 = time.perf_counter()
    proc = ctx.Process(target=target, args=(*args, child_end), name=name)
    proc.start()
    child_end.close()
    try:
        out = parent_end.recv()
    except EOFError:
        out = None
    wall = time.perf_counter() - t0
    proc.join()
    return out, proc.exitcode, wall


def measure(ctx, model: Model, impl: str) -> dict:
    out, exitcode, _ = in_child(ctx, _child, (model.name, impl), f"{model.name}-{impl}")
    if out is None:
        fail(f"{model.name} {impl}: the child process died (exit code {exitcode}) "
             "without a result; out of memory?")
    if "exception" in out:
        fail(f"{model.name} {impl} raised:\n{out['exception']}")
    return out


def check(model: Model, impl: str, out: dict, runs: dict[str, list[dict]]) -> None:
    """Fail at once on a problem, or on a distinct-state count unlike any seen before."""
    if out["problems"]:
        fail(f"{model.name} {impl}: {'; '.join(out['problems'])}")
    n = out["distinct"]
    if model.expected is not None and n != model.expected:
        fail(f"{model.name}: DISTINCT STATES DIFFER: {impl} found {n:,}, "
             f"expected {model.expected:,} (the count other checkers report)")
    for other, rs in runs.items():
        for r in rs:
            if r["distinct"] != n:
                fail(f"{model.name}: DISTINCT STATES DIFFER: {impl} found {n:,}, "
                     f"{other} found {r['distinct']:,}")


class BenchmarkFailed(Exception):
    pass


def fail(message: str) -> None:
    raise BenchmarkFailed(message)


# -- the report ------------------------------------------------------------------------------


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    commit = "?"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True,
                                capture_output=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        pass
    return [
        f"- machine: {platform.system()} {platform.machine()}, {cpu}; nproc {usable} "
        f"(os.cpu_count {os.cpu_count()}); load average at start {load}",
        f"- python: {platform.python_implementation()} {platform.python_version()}",
        f"- modelcheck: commit {commit} plus whatever the working tree changes",
    ]


def mib(n: int) -> str:
    return f"{n / 2**20:,.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="only the small models (unless --only), one run each (unless --repeat)")
    ap.add_argument("--only", nargs="+", metavar="MODEL",
                    help="these models only: " + ", ".join(m.name for m in MODELS))
    ap.add_argument("--repeat", type=int, default=None, metavar="N",
                    help="runs of each implementation per model, alternating (default 3, --quick 1)")
    args = ap.parse_args(argv)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    if repeat < 1:
        ap.error("--repeat must be >= 1")
    by_name = {m.name: m for m in MODELS}
    if args.only:
        unknown = [n for n in args.only if n not in by_name]
        if unknown:
            ap.error(f"unknown model {unknown[0]!r}; models: {', '.join(by_name)}")
        models = [by_name[n] for n in args.only]
    else:
        models = [m for m in MODELS if m.quick or not args.quick]

    ctx = multiprocessing.get_context("spawn")
    command = "python " + shlex.join([os.path.relpath(sys.argv[0]) if sys.argv[0] else "engine.py",
                                      *(sys.argv[1:] if argv is None else argv)])
    lines = [f"`{command}`", "", *machine(),
             f"- {repeat} run(s) of each implementation per model, alternating reference/engine, "
             "each in a fresh spawned process; best (min wall time) shown; memory = peak RSS "
             "minus RSS just before the search (smallest over the runs)", ""]
    rows = []
    ratios = []
    started = time.perf_counter()
    try:
        for model in models:
            runs: dict[str, list[dict]] = {impl: [] for impl in IMPLS}
            for i in range(repeat):
                for impl in IMPLS:
                    out = measure(ctx, model, impl)
                    runs[impl].append(out)
                    print(f"  {model.name:<18} {impl:<9} run {i + 1}/{repeat}: "
                          f"{out['distinct']:>10,} states {out['time']:8.3f}s "
                          f"{mib(out['memory']):>8} MiB", file=sys.stderr, flush=True)
                    check(model, impl, out, runs)
            best = {}
            for impl, rs in runs.items():
                b = min(rs, key=lambda r: r["time"])
                mem = min(r["memory"] for r in rs)
                best[impl] = dict(b, memory=mem, rate=b["distinct"] / b["time"],
                                  per_state=mem / b["distinct"])
                if any(r["stale_peak"] for r in rs):
                    print(f"  warning: {model.name} {impl}: peak RSS could not be reset; "
                          "memory may be overstated", file=sys.stderr)
                rows.append((model.name, "modelcheck bfs" if impl == "engine" else "reference",
                             b["distinct"], b["transitions"], b["time"], best[impl]["rate"],
                             mem, best[impl]["per_state"]))
            ratios.append((model.name,
                           best["engine"]["rate"] / best["reference"]["rate"],
                           best["engine"]["per_state"] / best["reference"]["per_state"]
                           if best["reference"]["per_state"] else float("nan")))
    except BenchmarkFailed as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1

    lines += [
        "| model | implementation | distinct states | transitions | wall time (s) "
        "| distinct states/s | peak memory (MiB) | bytes/state |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, impl, n, tr, t, rate, mem, per in rows:
        lines.append(f"| {name} | {impl} | {n:,} | {'-' if tr is None else f'{tr:,}'} | {t:.3f} "
                     f"| {rate:,.0f} | {mib(mem)} | {per:,.0f} |")
    lines += ["", "| model | engine/reference distinct states/s | engine/reference bytes/state |",
              "|---|--:|--:|"]
    for name, speed, memory in ratios:
        lines.append(f"| {name} | {speed:.2f} | {memory:.2f} |")
    missing = raft_election_missing()
    if missing:
        lines += ["", f"raft-election: not benchmarked yet: {missing}"]
    lines += ["", f"(whole benchmark: {time.perf_counter() - started:.0f}s)"]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
