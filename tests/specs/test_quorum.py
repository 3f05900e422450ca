"""quorum: exact state counts against an independent BFS (and BFS == DFS), stale reads
found with R + W <= N (the no-overlap bug and plain parameters), read-your-writes with
R + W > N."""

from __future__ import annotations

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.specs.quorum import Quorum
from models import deliveries, explore_by_hand

# -- an independent BFS of the same model, written without the actor layer -----------------


def reference_quorum_bfs(n, r, w, writes, drop=False, dup=False, crashes=0, per_pair=False):
    """Distinct states of Dynamo N/R/W quorums, by hand, without the actor layer, and
    whether some read returned a version older than a write completed before it started.

    The coordinator is (last version handed out, committed, acks {(version, replica)},
    must_see, replies {(replica, version)}, returned); a replica its stored version; a
    message (src, dst, kind, version) in a multiset (a set under ``dup``); the ghost holds
    ("written", v) when a write's W-th distinct ack raises the committed version and
    ("read", must_see, got); ``issued`` the client requests issued (("put", i), ("get",)).
    A read returns once R distinct replicas replied (``per_pair``: once it holds R
    distinct (replica, version) replies, which only differs when a duplicated Get lets
    one replica reply twice).  With ``crashes``, a node may crash (at most that many
    times): it forgets everything, receives nothing and takes no request until it restarts.
    """
    REP = [f"r{i + 1}" for i in range(n)]
    empty = frozenset()

    def add(bag, msgs):
        if dup:
            return tuple(sorted(set(bag) | set(msgs)))
        return tuple(sorted(bag + tuple(msgs)))

    fresh = (0, 0, empty, -1, empty, -1)
    start = (fresh, (0,) * n, (), empty, empty, empty, 0)  # ..., crashed, crashes

    def successors(state):
        coord, reps, bag, ghost, issued, crashed, ncrash = state
        nexts = []
        for env, rest in deliveries(bag):
            src, dst, kind, v = env
            if drop:
                nexts.append((coord, reps, rest, ghost, issued, crashed, ncrash))
            if dst in crashed:
                continue
            results = []  # (coord, reps, sends, ghost)
            if dst == "c":
                last, committed, acks, must, replies, returned = coord
                if kind == "Ack":
                    acks = acks | {(v, src)}
                    g = ghost
                    if len({q for x, q in acks if x == v}) >= w:
                        if v > committed:
                            g = g | {("written", v)}
                        committed = max(committed, v)
                    results.append(((last, committed, acks, must, replies, returned), reps, [], g))
                else:  # Value
                    if returned >= 0:
                        results.append((coord, reps, [], ghost))
                    else:
                        replies = replies | {(src, v)}
                        if (len(replies) if per_pair else len({q for q, _ in replies})) >= r:
                            got = max(x for _, x in replies)
                            results.append(((last, committed, acks, must, replies, got), reps, [],
                                            ghost | {("read", must, got)}))
                        else:
                            c2 = (last, committed, acks, must, replies, returned)
                            results.append((c2, reps, [], ghost))
            else:
                j = REP.index(dst)
                if kind == "Store":
                    reps2 = reps[:j] + (max(reps[j], v),) + reps[j + 1:]
                    results.append((coord, reps2, [(dst, "c", "Ack", v)], ghost))
                else:  # Get
                    results.append((coord, reps, [(dst, "c", "Value", reps[j])], ghost))
            for c2, r2, sends, g2 in results:
                nexts.append((c2, r2, add(rest, sends), g2, issued, crashed, ncrash))
                if dup:
                    nexts.append((c2, r2, add(bag, sends), g2, issued, crashed, ncrash))
        last, committed, acks, must, replies, returned = coord
        for i in range(1, writes + 1):
            if ("put", i) not in issued and "c" not in crashed:
                c2 = (last + 1, committed, acks, must, replies, returned)
                nexts.append((c2, reps, add(bag, [("c", x, "Store", last + 1) for x in REP]), ghost,
                              issued | {("put", i)}, crashed, ncrash))
        if ("get",) not in issued and "c" not in crashed:
            c2 = (last, committed, acks, committed, replies, returned)
            nexts.append((c2, reps, add(bag, [("c", x, "Get", 0) for x in REP]), ghost, issued | {("get",)},
                          crashed, ncrash))
        for j, me in enumerate(["c"] + REP):
            if me in crashed:
                nexts.append((coord, reps, bag, ghost, issued, crashed - {me}, ncrash))
            elif ncrash < crashes:
                c2, r2 = (fresh, reps) if j == 0 else (coord, reps[:j - 1] + (0,) + reps[j:])
                nexts.append((c2, r2, bag, ghost, issued, crashed | {me}, ncrash + 1))
        return nexts

    return explore_by_hand(start, successors, lambda s: any(g[0] == "read" and g[2] < g[1] for g in s[3]))


@pytest.mark.parametrize("params, faults, expected, stale", [
    (dict(n=3, r=2, w=2, writes=1), None, 2_671, False),  # the defaults
    (dict(n=3, r=1, w=3, writes=1), None, 2_425, False),
    (dict(n=3, r=3, w=1, writes=1), None, 3_449, False),
    (dict(n=2, r=1, w=2, writes=2), None, 3_337, False),
    (dict(n=4, r=2, w=3, writes=1), None, 34_100, False),
    (dict(n=4, r=2, w=2, writes=1), None, 40_532, True),  # R + W = N
    (dict(n=3, r=2, w=2, writes=1), "drop", 18_351, False),
    # a replica's version is volatile: one that crashes forgets a completed write
    (dict(n=2, r=2, w=1, writes=1), "crash=1", 2_750, True),
    (dict(n=2, r=1, w=2, writes=1), "drop,crash=1", 6_185, True),
])
def test_state_counts_match_an_independent_bfs(params, faults, expected, stale):
    flags = faults or ""
    assert reference_quorum_bfs(**params, drop="drop" in flags,
                                crashes=1 if "crash" in flags else 0) == (expected, stale)
    result = modelcheck.explore(Quorum(faults=faults, **params), "bfs", keep_going=True)
    assert result.complete and result.distinct_states == expected
    assert result.invariants == {"read_your_writes": "violated" if stale else "holds"}


def test_r_plus_w_at_most_n_reads_stale_in_the_reference_too():
    assert reference_quorum_bfs(n=3, r=1, w=2, writes=1)[1]


def test_a_duplicated_get_does_not_count_one_replica_twice():
    # R + W > N; under dup the reference (R distinct replicas) has 45,068 states; the spec
    # once counted (replica, version) pairs, as per_pair=True does (34,988), and with two
    # writes read stale: r2 answered 0, stored version 1 and answered again, two replies
    # from one replica filling the read quorum.
    params = dict(n=2, r=2, w=1, writes=1)
    assert reference_quorum_bfs(**params, dup=True) == (45_068, False)
    assert reference_quorum_bfs(**params, dup=True, per_pair=True) == (34_988, False)
    assert modelcheck.explore(Quorum(faults="dup", **params), "bfs").distinct_states == 45_068


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


def test_under_dup_a_read_still_sees_every_completed_write():
    # the pair-counting spec read stale here in 10 steps (the whole space is too big to test)
    r = modelcheck.explore(Quorum(faults="dup", n=2, r=2, w=1, writes=2), "bfs", depth=10)
    assert r.cut_by == ["depth"]
    assert r.invariants == {"read_your_writes": "no violation found"} and not r.violations
