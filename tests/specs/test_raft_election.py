"""raft-election: exact state counts against an independent BFS, the bug variants'
shortest counterexamples, and the crash-restart acceptance test of issue 3."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.actors import Faults
from modelcheck.replay import replay, spec_from_trace
from modelcheck.specs.raft_election import RaftElection
from modelcheck.trace.format import parse_trace, trace_to_dict

# -- an independent BFS of the same model, written without the actor layer -----------------
# the independent BFS lives with the other hand-written references in benchmarks/
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from reference import raft_election_bfs as reference_raft_bfs  # noqa: E402


@pytest.mark.parametrize("servers, max_term, expected", [
    (1, 3, 2),
    (2, 1, 16),
    (2, 2, 273),
    (2, 3, 5_544),
    (3, 1, 1_111),
])
def test_state_counts_match_an_independent_bfs_and_dfs(servers, max_term, expected):
    assert reference_raft_bfs(servers, max_term) == expected
    spec = RaftElection(servers=servers, max_term=max_term)
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (expected, expected)
    assert bfs.transitions == dfs.transitions
    assert bfs.invariants == {"election_safety": "holds"}
    assert bfs.reachability == {"leader_elected": "reached"}


def test_default_run_is_small_and_safe():
    result = modelcheck.explore(build("raft-election"), "bfs")
    assert result.params == {"servers": 3, "max_term": 1, "timeout": 2, "bug": None}
    assert result.faults == {"network": "unordered"}
    assert (result.distinct_states, result.transitions) == (1_111, 3_900)
    assert result.ok and result.complete


def test_no_voted_for_check_elects_two_leaders_in_six_steps():
    result = modelcheck.explore(RaftElection(bug="no-voted-for-check"), "bfs")
    trace = result.violations[0]
    assert trace.property == "election_safety"
    assert [s.label for s in trace.steps] == [
        "n1 timeout election",
        "n2 <- RequestVote(term=1, from=n1)",
        "n1 <- Vote(term=1, from=n2, granted=True)",
        "n3 timeout election",
        "n1 <- RequestVote(term=1, from=n3)",  # n1, already leader of term 1, votes again
        "n3 <- Vote(term=1, from=n1, granted=True)",
    ]
    assert RaftElection().explain("election_safety", trace.last_state) == \
        "term 1: n1 and n3 were both elected leader"


@pytest.mark.parametrize("bug", ["volatile-voted-for", "vote-before-fsync"])
def test_a_forgotten_vote_elects_two_leaders_after_a_restart(bug):
    """Issue 3, crash-restart: votedFor lost in a crash (not durable, or not yet on disk)."""
    assert modelcheck.explore(RaftElection(bug=bug), "bfs").ok  # safe without crashes
    result = modelcheck.explore(RaftElection(bug=bug, faults="crash=1"), "bfs")
    trace = result.violations[0]
    labels = [s.label for s in trace.steps]
    assert len(labels) == 8
    crashed = labels[4].split()[1]
    assert labels[4:7] == [f"crash {crashed}", f"restart {crashed}",
                           f"{crashed} <- RequestVote(term=1, from=n3)"]
    assert trace.faults == {"network": "unordered", "crashes": 1}


def test_durable_voted_for_is_safe_with_crashes():
    for faults, states in (("crash=1", 8_645), ("crash=2", 28_569)):
        result = modelcheck.explore(RaftElection(faults=faults), "bfs")
        assert result.ok and result.distinct_states == states
        assert {"crash", "restart"} <= set(result.coverage)


def test_a_crash_keeps_only_the_durable_fields():
    spec = RaftElection(faults="crash=1")
    c = spec.initial_states()[0]
    c = dict((spec.format_action(a), t) for a, t in spec.successors(c))["n1 timeout election"]
    assert spec.state_of(c, "n1") == (1, "n1", "candidate", frozenset({"n1"}))
    c = dict((spec.format_action(a), t) for a, t in spec.successors(c))["crash n1"]
    assert spec.state_of(c, "n1") == (1, "n1", "follower", frozenset())
    assert c.timers[0] == () and spec.crashed(c) == {"n1"}
    labels = [spec.format_action(a) for a, _ in spec.successors(c)]
    assert "restart n1" in labels and "crash n2" not in labels  # budget spent
    assert not any(label.startswith("n1 <-") for label in labels)  # n1 is down


def test_a_counterexample_replays_with_its_fault_model(tmp_path):
    result = modelcheck.explore(RaftElection(bug="volatile-voted-for", faults="crash=1"), "bfs")
    data = parse_trace(__import__("json").dumps(trace_to_dict(result.violations[0]), default=str))
    spec = spec_from_trace(data)
    assert spec.fault_summary() == {"network": "unordered", "crashes": 1}
    assert replay(data, spec).outcome == "reproduced"
    fixed = RaftElection(**{**data["params"], "bug": None}, faults=Faults(**data["faults"]))
    assert replay(data, fixed).outcome != "reproduced"


def test_parameters_and_faults_are_checked():
    with pytest.raises(SpecError, match="servers"):
        RaftElection(servers=0)
    with pytest.raises(SpecError, match="no byzantine_messages"):
        RaftElection(faults="byzantine=1")
    with pytest.raises(SpecError, match="unknown fault 'crsh=1'"):
        build("raft-election", faults="crsh=1")
