"""The parallel breadth-first search (--workers, --engine ray) gives the sequential search's results.

"The same" is checked whole: distinct states, transitions, depth, coverage, cut, verdicts
and every reported trace as (initial index, action indices), so a parallel run that
stops at another state, or reports another (even equally short) trace, fails.
"""

from __future__ import annotations

import sys
import time
from collections import deque

import pytest

from modelcheck import SpecError, build, explore
from modelcheck.result import VIOLATED

from models import BadInvariant, Chain, Diamond, Equation, Raises, Shortcut, Slow, Unhashable


def outcome(r) -> dict:
    """Everything a run reports but its timing and engine notes."""

    def path(trace):
        return trace.initial_index, [s.index for s in trace.steps]

    return {
        "states": r.distinct_states, "transitions": r.transitions, "depth": r.depth, "coverage": r.coverage,
        "cut_by": r.cut_by, "invariants": r.invariants, "reachability": r.reachability,
        "violations": [(v.kind, v.property, path(v)) for v in r.violations],
        "examples": {name: path(t) for name, t in r.examples.items()},
        "error": (r.error.error, path(r.error)) if r.error else None,
    }


def shortest_violation(spec, name: str) -> int:
    """Length of the shortest path to a state that breaks invariant ``name``: a plain BFS over
    whole states, sharing nothing with the engines."""
    check = dict(spec.invariants())[name]
    queue = deque((s, 0) for s in spec.initial_states())
    seen = {s for s, _ in queue}
    while queue:
        s, d = queue.popleft()
        if not check(s):
            return d
        for _, t in spec.successors(s):
            if t not in seen:
                seen.add(t)
                queue.append((t, d + 1))
    raise AssertionError(f"{name} holds")


CASES = {
    "first solution (stops at the 8th state)": (lambda: Equation(a=2, b=10, c=14), {}),
    "max_states cuts inside a level": (lambda: Equation(a=2, b=4, c=7), {"max_states": 1000}),
    "max_states below the initial states": (lambda: Equation(a=2, b=4, c=7), {"max_states": 1}),
    "shortest corner": (lambda: Diamond(n=4), {}),
    "keep going": (lambda: Diamond(n=6), {"keep_going": True}),
    "depth bound": (lambda: Diamond(n=5), {"depth": 3}),
    "depth bound 0": (lambda: Diamond(n=3), {"depth": 0}),
    "deadlock": (lambda: Chain(length=3), {}),
    "deadlock at the depth bound": (lambda: Chain(length=3), {"depth": 3}),
    "deadlock not checked": (lambda: Chain(length=3), {"depth": 10, "deadlock": False}),
    "successors raise": (lambda: Raises(), {}),
    "invariant raises": (lambda: BadInvariant(at=3), {}),
    "invariant raises on the initial state": (lambda: BadInvariant(at=0), {}),
    "shortcut within a depth bound": (lambda: Shortcut(), {"depth": 4}),
    "exact states": (lambda: Diamond(n=3), {"exact": True}),
    "twophase rms=3": (lambda: build("twophase", {"rms": 3}), {}),
    "twophase early-commit": (lambda: build("twophase", {"rms": 3, "bug": "early-commit"}), {}),
    "twophase early-commit, keep going": (lambda: build("twophase", {"rms": 3, "bug": "early-commit"}),
                                          {"keep_going": True}),
    "twophase rms=4 max_states": (lambda: build("twophase", {"rms": 4}), {"max_states": 777}),
    "max_states deep in a level of thousands": (lambda: build("twophase", {"rms": 6}), {"max_states": 30001}),
    "raft-election": (lambda: build("raft-election"), {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_two_workers_report_what_the_sequential_search_reports(case):
    make, options = CASES[case]
    assert outcome(explore(make(), "bfs", workers=2, **options)) == outcome(explore(make(), "bfs", **options))


@pytest.mark.parametrize("workers", [1, 3])
def test_any_number_of_shards_agrees(workers):
    from modelcheck.explore.parallel import parallel_bfs
    from modelcheck.explore.run import Options

    spec = build("raft-election")
    r = parallel_bfs(spec, Options(workers=workers))
    assert r.distinct_states == 1111  # hand-written BFS in tests/specs, and the sequential search
    assert outcome(r) == outcome(explore(spec, "bfs"))


def test_library_counts_and_shortest_trace():
    r = explore(build("twophase", {"rms": 3}), "bfs", workers=2)
    assert r.distinct_states == 288 and r.ok and r.complete  # TLC's count
    spec = build("twophase", {"rms": 3, "bug": "early-commit"})
    bug = explore(spec, "bfs", workers=2)
    (trace,) = bug.violations
    assert bug.invariants[trace.property] == VIOLATED
    assert len(trace) == shortest_violation(spec, trace.property) == 5


def test_symmetry_reduces_alike():
    spec = build("twophase", {"rms": 4})
    reduced = explore(spec, "bfs", symmetry=True)
    assert reduced.distinct_states < explore(spec, "bfs").distinct_states
    assert outcome(explore(spec, "bfs", workers=2, symmetry=True)) == outcome(reduced)


def test_unhashable_state_is_the_same_error():
    with pytest.raises(SpecError, match="not hashable: state.history"):
        explore(Unhashable(), "bfs", workers=2)


def test_time_limit_stops_the_shards():
    started = time.monotonic()
    r = explore(Slow(), "bfs", workers=2, time_limit=0.5)
    assert r.cut_by == ["time_limit"] and r.distinct_states > 1
    assert time.monotonic() - started < 10


def test_missing_ray_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as when not installed
    with pytest.raises(SpecError, match=r"pip install 'modelcheck\[ray\]'"):
        explore(Diamond(n=2), "bfs", engine="ray")


def test_stable_keys_agree_across_processes_where_hash_does_not():
    # Ray workers are not forked: on Python < 3.12 hash(None) is its address, so two
    # processes give states holding None different hashes even with one PYTHONHASHSEED
    import subprocess

    from modelcheck.explore.parallel import HASH_SEED

    code = ("from modelcheck import build; from modelcheck.explore.parallel import stable_fingerprint; "
            "s = list(build('raft-election').initial_states())[0]; print(stable_fingerprint(s), hash(None))")
    env = {"PYTHONHASHSEED": HASH_SEED, "PATH": "/usr/bin:/bin"}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            .stdout.split() for _ in range(2)]
    assert runs[0][0] == runs[1][0]
    if sys.version_info < (3, 12):
        assert runs[0][1] != runs[1][1]


def test_stable_keys_give_the_same_search(monkeypatch):
    from modelcheck.explore.parallel import Shard

    made = Shard.__init__

    def stable(self, *args, **kwargs):
        made(self, *args, **kwargs)
        self.share_keys()

    monkeypatch.setattr(Shard, "__init__", stable)  # forked shards inherit it
    for spec in (build("raft-election"), build("twophase", {"rms": 3, "bug": "early-commit"})):
        assert outcome(explore(spec, "bfs", workers=2)) == outcome(explore(spec, "bfs"))
    assert outcome(explore(Diamond(n=4), "bfs", workers=3, exact=True)) == outcome(explore(Diamond(n=4), "bfs"))


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    import logging

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield ray
    ray.shutdown()


def test_ray_shards_agree_with_the_sequential_search(local_ray):
    # one run per spec kind: a library actor protocol, a bug with its shortest trace, and a
    # spec from a test module the Ray workers cannot import (sent by value)
    for spec, options in [(build("raft-election"), {}),
                          (build("twophase", {"rms": 3, "bug": "early-commit"}), {}),
                          (Equation(a=2, b=10, c=14), {"keep_going": True, "max_states": 500})]:
        r = explore(spec, "bfs", engine="ray", workers=2, **options)
        assert outcome(r) == outcome(explore(spec, "bfs", **options))
        assert r.stats["engine"] == "ray"
    assert r.distinct_states == 500


def test_memory_limit_counts_the_workers_too():
    from modelcheck.explore.run import resident_memory

    # the coordinator keeps no states, so it alone stays under 40 MB more than it has now;
    # the workers' fingerprints, paths and frontiers of twophase-7 (296,448 states) do not
    r = explore(build("twophase", {"rms": 7}), "bfs", workers=2, memory_limit=resident_memory() + 40 * 2**20)
    assert r.cut_by == ["memory_limit"] and r.distinct_states < 296448
