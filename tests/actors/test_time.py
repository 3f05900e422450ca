"""Issue 3, clock skew: a lease taken over without a grace period larger than the clocks'
disagreement lets two nodes believe they hold it at the same real time.

Timed semantics: a global ``tick`` moves real time by one; each node's clock moves by 0,
1 or 2 while staying within ``skew`` D of real time; a timer fires when its node's clock
has advanced its length, and a due timer fires before time moves on.  Two clocks may be
D off in opposite directions, so the takeover is safe only with grace > 2D.
"""

from __future__ import annotations

import itertools
from collections import deque

import pytest
from protocols import LeaderLease, Stream

import modelcheck


def lease_bfs(lease: int, grace: int, skew: int) -> int:
    """Distinct states of LeaderLease by hand: (holds, ticks left or None, clock offset) per node."""
    start = ((True, lease, 0), (False, lease + grace, 0))
    seen = {start}
    queue = deque([start])
    while queue:
        nodes = queue.popleft()
        nexts = []
        for i, (holds, left, off) in enumerate(nodes):
            if left == 0:  # the timer is due: it fires (n1's lease expires, n2 takes over)
                nexts.append(nodes[:i] + ((i == 1, None, off),) + nodes[i + 1:])
        if not any(left == 0 for _, left, _ in nodes):
            choices = [[o for o in (off, off - 1, off + 1) if -skew <= o <= skew] for _, _, off in nodes]
            for new in itertools.product(*choices):
                nexts.append(tuple(
                    (holds, None if left is None else max(0, left - (1 + o - off)), o)
                    for (holds, left, off), o in zip(nodes, new)))
        for nxt in nexts:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen)


@pytest.mark.parametrize("grace, skew", [(0, 0), (1, 0), (1, 1), (2, 1), (3, 1), (5, 2)])
def test_state_counts_match_a_hand_written_bfs(grace, skew):
    spec = LeaderLease(grace=grace, faults=f"skew={skew}")
    bfs = modelcheck.explore(spec, "bfs", keep_going=True)
    dfs = modelcheck.explore(spec, "dfs", keep_going=True)
    assert bfs.distinct_states == dfs.distinct_states == lease_bfs(2, grace, skew)


def test_exact_clocks_with_a_grace_period_are_safe():
    result = modelcheck.explore(LeaderLease(grace=1, faults="skew=0"), "bfs")
    assert result.ok and result.complete and result.distinct_states == 6


def test_skew_breaks_a_lease_whose_grace_is_not_larger_than_twice_the_skew():
    for grace, steps in ((1, ["tick", "tick (n2=+1)", "n2 timeout takeover"]),
                         (2, ["tick", "tick (n1=-1)", "tick (n1=-1, n2=+1)", "n2 timeout takeover"])):
        assert modelcheck.explore(LeaderLease(grace=grace, faults="skew=0"), "bfs").ok
        result = modelcheck.explore(LeaderLease(grace=grace, faults="skew=1"), "bfs")
        assert [s.label for s in result.violations[0].steps] == steps
        last = result.violations[0].last_state
        assert [s.holds for s in last.nodes] == [True, True]


@pytest.mark.parametrize("skew", [1, 2])
def test_the_takeover_is_safe_exactly_when_grace_exceeds_twice_the_skew(skew):
    for grace in range(0, 2 * skew + 2):
        result = modelcheck.explore(LeaderLease(grace=grace, faults=f"skew={skew}"), "bfs")
        assert result.ok == (grace > 2 * skew), (grace, skew)
    states = modelcheck.explore(LeaderLease(grace=2 * skew + 1, faults=f"skew={skew}"), "bfs").distinct_states
    assert states == {1: 70, 2: 218}[skew]


def test_no_grace_races_even_with_exact_clocks():
    result = modelcheck.explore(LeaderLease(grace=0, faults="skew=0"), "bfs")
    assert [s.label for s in result.violations[0].steps] == ["tick", "tick", "n2 timeout takeover"]


def test_untimed_runs_let_any_timer_fire_at_any_moment():
    """Sound for safety, so a lease (which relies on time) is not safe untimed."""
    result = modelcheck.explore(LeaderLease(grace=3), "bfs")
    assert [s.label for s in result.violations[0].steps] == ["n2 timeout takeover"]


def test_a_due_timer_fires_before_time_moves_on():
    spec = LeaderLease(lease=1, grace=1, faults="skew=0")
    (c,) = spec.initial_states()
    assert c.timers == ((("expire", 1),), (("takeover", 2),))
    assert c.faults.clocks == ("0", "0")
    ((action, c),) = spec.successors(c)
    assert spec.format_action(action) == "tick"
    assert c.timers == ((("expire", 0),), (("takeover", 1),))
    assert [spec.format_action(a) for a, _ in spec.successors(c)] == ["n1 timeout expire"]


def test_tick_labels_show_each_clock_off_real_time():
    spec = LeaderLease(faults="skew=1")
    (c,) = spec.initial_states()
    assert [spec.format_action(a) for a, _ in spec.successors(c)] == [
        "tick", "tick (n2=-1)", "tick (n2=+1)", "tick (n1=-1)", "tick (n1=-1, n2=-1)",
        "tick (n1=-1, n2=+1)", "tick (n1=+1)", "tick (n1=+1, n2=-1)", "tick (n1=+1, n2=+1)"]


def test_a_timed_run_without_timers_just_ticks():
    result = modelcheck.explore(Stream(count=1, faults="fifo,skew=0"), "bfs")
    assert result.ok and result.distinct_states == 2 and set(result.coverage) == {"deliver Data", "tick"}
