"""quorum: exact state counts (BFS == DFS), stale reads found with R + W <= N (the
no-overlap bug and plain parameters), read-your-writes with R + W > N."""

from __future__ import annotations

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.specs.quorum import Quorum


def test_default_run_holds_with_equal_bfs_and_dfs_counts():
    spec = build("quorum")
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (2_671, 2_671)
    assert bfs.transitions == dfs.transitions == 9_280
    assert bfs.params == {"n": 3, "r": 2, "w": 2, "writes": 1, "bug": None}
    assert bfs.faults == {"network": "unordered"}
    assert bfs.ok and bfs.complete
    assert bfs.invariants == {"read_your_writes": "holds"}
    assert bfs.reachability == {"read_after_write": "reached"}


STALE_READ = [
    "client -> c Put(1)",
    "r1 <- Store(version=1, from=c)",
    "r2 <- Store(version=1, from=c)",
    "c <- Ack(version=1, from=r1)",
    "c <- Ack(version=1, from=r2)",  # W = 2 acks: the write completed
    "client -> c Get()",
    "r3 <- Get(from=c)",
    "c <- Value(version=0, from=r3)",  # R = 1 reply, from the replica the write missed
]


@pytest.mark.parametrize("params", [{"bug": "no-overlap"}, {"r": 1}])
def test_r_plus_w_at_most_n_gives_a_stale_read_in_eight_steps(params):
    result = modelcheck.explore(Quorum(**params), "bfs")
    trace = result.violations[0]
    assert trace.property == "read_your_writes"
    assert [s.label for s in trace.steps] == STALE_READ
    assert Quorum().explain("read_your_writes", trace.last_state) == \
        "stale read: returned version 0 although version 1 was written before the read started"


def test_four_replicas_with_r_plus_w_equal_to_n_read_stale_in_ten_steps():
    result = modelcheck.explore(Quorum(n=4, r=2, w=2), "bfs")
    assert len(result.violations[0].steps) == 10


@pytest.mark.parametrize("params, states", [
    ({"r": 1, "w": 3}, 2_425),
    ({"r": 3, "w": 1}, 3_449),
    ({"n": 4, "r": 2, "w": 3}, 34_100),
])
def test_overlapping_quorums_hold(params, states):
    bfs = modelcheck.explore(Quorum(**params), "bfs")
    assert bfs.ok and bfs.complete and bfs.distinct_states == states


def test_parameters_are_checked():
    with pytest.raises(SpecError, match="must be <= n"):
        Quorum(r=4)
    with pytest.raises(SpecError, match="no-overlap needs w < n"):
        Quorum(w=3, bug="no-overlap")
