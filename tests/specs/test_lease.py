"""lease: exact state counts (BFS == DFS), the no-grace bug's shortest counterexample under
clock skew, and the grace needed (> 4 * skew) at the same bounds."""

from __future__ import annotations

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.actors import Faults
from modelcheck.specs.lease import Lease


def test_defaults_to_a_timed_run_with_skew_1():
    assert Lease().faults == Faults(skew=1)
    assert build("lease").fault_summary() == {"network": "unordered", "skew": 1}
    assert Lease(faults="skew=0").faults == Faults(skew=0)


def test_default_run_holds_with_equal_bfs_and_dfs_counts():
    spec = Lease(faults="skew=1")
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (25_215, 25_215)
    assert bfs.transitions == dfs.transitions == 219_060
    assert bfs.params == {"clients": 2, "lease": 2, "grace": 5, "bug": None}
    assert bfs.ok and bfs.complete
    assert bfs.invariants == {"lease_safety": "holds"}
    assert bfs.reachability == {"lease_held": "reached", "lease_handed_over": "reached"}


def test_no_grace_gives_two_holders_under_skew_in_eight_steps():
    result = modelcheck.explore(Lease(bug="no-grace", faults="skew=1"), "bfs")
    trace = result.violations[0]
    assert trace.property == "lease_safety"
    assert trace.faults == {"network": "unordered", "skew": 1}
    assert [s.label for s in trace.steps] == [
        "client -> n1 Acquire(n1)",
        "server <- Request(from=n1)",
        "n1 <- Grant(from=server)",
        "client -> n2 Acquire(n2)",
        "server <- Request(from=n2)",
        "tick (server=+1)",  # the server's clock runs ahead: its 2 ticks end before n1's
        "server timeout free",
        "n2 <- Grant(from=server)",
    ]
    assert Lease().explain("lease_safety", trace.last_state) == "n1 and n2 both hold a valid lease"


@pytest.mark.parametrize("grace, states, steps", [
    (0, 10_357, 8), (2, 17_225, 10), (4, 20_086, 12),  # grace <= 4 * skew: violated
    (5, 25_215, None), (6, 26_403, None),  # grace > 4 * skew: holds
])
def test_grace_must_exceed_four_times_the_skew(grace, states, steps):
    result = modelcheck.explore(Lease(grace=grace, faults="skew=1"), "bfs")
    assert result.distinct_states == states
    if steps is None:
        assert result.ok and result.complete
    else:
        assert len(result.violations[0].steps) == steps


def test_without_skew_one_tick_of_grace_suffices():
    assert modelcheck.explore(Lease(grace=1, faults="skew=0"), "bfs").ok
    assert modelcheck.explore(Lease(grace=1, faults="skew=0"), "bfs").distinct_states == 489
    assert not modelcheck.explore(Lease(bug="no-grace", faults="skew=0"), "bfs").ok


def test_an_untimed_run_is_refused():
    with pytest.raises(SpecError, match="timed fault model"):
        Lease(faults="none")
    with pytest.raises(SpecError, match="grace"):
        Lease(grace=-1)
