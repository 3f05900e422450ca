"""fastpaxos: exact state counts against an independent BFS (and BFS == DFS), the quorum
arithmetic against brute force over sets, the bug's shortest counterexample, and the
correct spec at the same bounds."""

from __future__ import annotations

import itertools

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.actors.quorum import fast_quorum, fast_quorums_intersect, fast_recovery_votes
from modelcheck.specs.fastpaxos import FastPaxos
from models import deliveries, explore_by_hand

# -- quorum arithmetic against brute force over sets of acceptors --------------------------


def sets_intersect(n: int, classic: int, fast: int) -> bool:
    """The Quorum Requirement checked on every set: two classic quorums, a classic and two
    fast quorums, three fast quorums of ``n`` acceptors share an acceptor."""
    acceptors = range(n)
    cq = [set(q) for q in itertools.combinations(acceptors, classic)]
    fq = [set(q) for q in itertools.combinations(acceptors, fast)]
    return (all(q & r for q in cq for r in cq)
            and all(q & r & s for q in cq for r in fq for s in fq)
            and all(q & r & s for q in fq for r in fq for s in fq))


@pytest.mark.parametrize("n", range(1, 8))
def test_fast_quorum_is_the_smallest_that_meets_the_quorum_requirement(n):
    classic = n // 2 + 1
    smallest = min(f for f in range(1, n + 1) if sets_intersect(n, classic, f))
    assert fast_quorum(n, classic) == smallest
    for c in range(1, n + 1):
        for f in range(1, n + 1):
            assert fast_quorums_intersect(n, c, f) == sets_intersect(n, c, f), (n, c, f)


def test_quorum_sizes_of_the_brief():
    assert fast_quorum(3, 2) == 3 and fast_quorum(4, 3) == 3
    assert not fast_quorums_intersect(3, 2, 2)  # the bug: a majority as fast quorum


@pytest.mark.parametrize("n, quorum, reported", [(3, 3, 2), (3, 2, 2), (4, 3, 3), (5, 4, 3), (5, 3, 3)])
def test_fast_recovery_votes_is_the_least_overlap_of_a_quorum_with_the_reporters(n, quorum, reported):
    q = set(range(reported))  # the reporters
    least = min(len(q & set(r)) for r in itertools.combinations(range(n), quorum))
    assert fast_recovery_votes(n, quorum, reported) == least


# -- an independent BFS of the same model, written without the actor layer -----------------


def reference_fastpaxos_bfs(proposers: int, acceptors: int, rounds: int, values: int,
                            bug: str | None = None) -> tuple[int, bool]:
    """Distinct states of the model by hand, and whether agreement held in all of them.

    The coordinator is (started, phase, promises, round timer armed); an acceptor
    (rnd, vrnd, vval, fast); a message (src, dst, kind, x, y, z) in a sorted tuple (a
    multiset); the ghost keeps ("accepted", r, v, a) and ("proposed", v).  Quorum sizes
    come from brute force over sets, and O4 of the coordinator's rule enumerates the
    quorums of round k.
    """
    A = [f"a{i + 1}" for i in range(acceptors)]
    classic = acceptors // 2 + 1
    if bug == "majority-fast-quorum":
        fast = classic
    else:
        fast = min(f for f in range(1, acceptors + 1) if sets_intersect(acceptors, classic, f))

    def quorum(r):
        return fast if r % 2 else classic

    def add(bag, msgs):
        return tuple(sorted(bag + tuple(msgs)))

    def chosen(ghost):
        count: dict = {}
        for g in ghost:
            if g[0] == "accepted":
                count[g[1], g[2]] = count.get((g[1], g[2]), 0) + 1
        return {v for (r, v), k in count.items() if k >= quorum(r)}

    def rule(promises):
        """(forced value or None) by the coordinator's rule, quorums enumerated."""
        k = max(vr for _, vr, _ in promises)
        if k == 0:
            return None
        reported = {a: vv for a, vr, vv in promises if vr == k}
        if len(set(reported.values())) == 1:
            return next(iter(reported.values()))
        q = {a for a, _, _ in promises}
        for v in sorted(set(reported.values())):
            for r in itertools.combinations(A, quorum(k)):
                if all(reported.get(a) == v for a in q & set(r)):
                    return v
        return None

    def prepare(r):
        return [("c", a, "Prepare", r, 0, "") for a in A]

    def to_all(kind, r, v):
        return [("c", a, kind, r, 0, v) for a in A]

    proposals = [(f"p{i + 1}", a, "Propose", 0, 0, f"v{i % values + 1}") for i in range(proposers) for a in A]
    proposed = frozenset(("proposed", f"v{i % values + 1}") for i in range(proposers))
    start = ((1, "preparing", frozenset(), False), tuple((0, 0, "", False) for _ in A),
             add((), prepare(1) + proposals), proposed)

    def successors(state):
        coord, accs, bag, ghost = state
        nexts = []
        for msg, rest in deliveries(bag):
            src, dst, kind, r, vr, vv = msg
            if dst == "c":  # a Promise
                started, phase, promises, timer = coord
                if phase != "preparing" or r != started:
                    nexts.append((coord, accs, rest, ghost))
                    continue
                promises = promises | {(src, vr, vv)}
                if len(promises) < quorum(started):
                    nexts.append(((started, phase, promises, timer), accs, rest, ghost))
                    continue
                v = rule(promises)
                g = ghost
                if v is not None:
                    sends = to_all("Accept", started, v)
                elif started % 2:
                    sends = to_all("Any", started, "")
                else:
                    voted = sorted(vv for _, vr, vv in promises if vr)
                    v = voted[0] if voted else "v1"
                    if not voted:
                        g = ghost | {("proposed", "v1")}
                    sends = to_all("Accept", started, v)
                c2 = (started, "accepting", frozenset(), started < rounds)
                nexts.append((c2, accs, add(rest, sends), g))
                continue
            j = A.index(dst)
            rnd, vrnd, vval, fast_mode = accs[j]
            new = None
            g = ghost
            out = []
            if kind == "Prepare" and r > rnd:
                new = (r, vrnd, vval, False)
                out = [(dst, "c", "Promise", r, vrnd, vval)]
            elif kind == "Accept" and r >= rnd and vrnd != r:
                new = (r, r, vv, False)
                g = ghost | {("accepted", r, vv, dst)}
            elif kind == "Any" and r >= rnd and vrnd != r:
                new = (r, vrnd, vval, True)
            elif kind == "Propose" and fast_mode and vrnd != rnd:
                new = (rnd, rnd, vv, False)
                g = ghost | {("accepted", rnd, vv, dst)}
            accs2 = accs if new is None else accs[:j] + (new,) + accs[j + 1:]
            nexts.append((coord, accs2, add(rest, out), g))
        started, phase, promises, timer = coord
        if timer:
            c2 = (started + 1, "preparing", frozenset(), False)
            nexts.append((c2, accs, add(bag, prepare(started + 1)), ghost))
        return nexts

    count, unsafe = explore_by_hand(start, successors, lambda s: len(chosen(s[3])) > 1)
    return count, not unsafe


@pytest.mark.parametrize("params, expected", [
    (dict(acceptors=1), 68),
    (dict(acceptors=2), 2_000),
    (dict(rounds=1), 3_392),  # a fast round alone
    (dict(proposers=1), 9_833),
    (dict(acceptors=2, rounds=3), 16_456),  # fast, classic, fast
])
def test_state_counts_match_an_independent_bfs_and_dfs(params, expected):
    full = dict(proposers=2, acceptors=3, rounds=2, values=2) | params
    assert reference_fastpaxos_bfs(**full) == (expected, True)
    spec = FastPaxos(**params)
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (expected, expected)
    assert bfs.transitions == dfs.transitions
    assert bfs.invariants == {"agreement": "holds", "validity": "holds"}


def test_default_run_is_safe_and_not_vacuous():
    # 139,520 is also what reference_fastpaxos_bfs(2, 3, 2, 2) gives (7 s, too slow to repeat here).
    bfs = modelcheck.explore(build("fastpaxos"), "bfs")
    assert bfs.params == {"proposers": 2, "acceptors": 3, "rounds": 2, "values": 2, "bug": None}
    assert (bfs.distinct_states, bfs.transitions) == (139_520, 808_992)
    assert bfs.ok and bfs.complete
    assert bfs.invariants == {"agreement": "holds", "validity": "holds"}
    assert bfs.reachability == {"chosen_in_fast_round": "reached", "recovered_after_collision": "reached"}
    assert set(bfs.coverage) == {"deliver Prepare", "deliver Promise", "deliver Any", "deliver Accept",
                                 "deliver Propose", "timeout round"}
    dfs = modelcheck.explore(build("fastpaxos"), "dfs")
    assert (dfs.distinct_states, dfs.transitions) == (139_520, 808_992)


def test_majority_fast_quorum_chooses_two_values():
    # The same depth, 17, is where reference_fastpaxos_bfs(2, 3, 2, 2, "majority-fast-quorum")
    # first meets two chosen values (35 s, too slow to repeat here).
    result = modelcheck.explore(FastPaxos(bug="majority-fast-quorum"), "bfs")
    trace = result.violations[0]
    assert trace.property == "agreement"
    assert [s.label for s in trace.steps] == [
        "a1 <- Prepare(round=1, from=c)",
        "c <- Promise(round=1, from=a1, vrnd=0, vval=)",
        "a2 <- Prepare(round=1, from=c)",
        "c <- Promise(round=1, from=a2, vrnd=0, vval=)",  # 2 of 3: a "fast quorum" of promises
        "a1 <- Any(round=1, from=c)",
        "a2 <- Any(round=1, from=c)",
        "a3 <- Any(round=1, from=c)",
        "a1 <- Propose(value=v1, from=p1)",
        "a2 <- Propose(value=v2, from=p2)",
        "a3 <- Propose(value=v2, from=p2)",  # v2 chosen in fast round 1 by a2 and a3
        "c timeout round",
        "a1 <- Prepare(round=2, from=c)",
        "c <- Promise(round=2, from=a1, vrnd=1, vval=v1)",
        "a2 <- Prepare(round=2, from=c)",
        "c <- Promise(round=2, from=a2, vrnd=1, vval=v2)",  # both pass O4: the coordinator takes v1
        "a1 <- Accept(round=2, from=c, value=v1)",
        "a2 <- Accept(round=2, from=c, value=v1)",
    ]
    explained = FastPaxos(bug="majority-fast-quorum").explain("agreement", trace.last_state)
    assert explained == "v1 chosen in round 2 and v2 chosen in round 1"
    assert FastPaxos().chosen(trace.last_state) == {"v1": 2}  # with fast quorums of 3, v2 was never chosen


def test_the_coordinators_rule():
    spec = FastPaxos()  # 3 acceptors: classic quorum 2, fast quorum 3
    assert spec.pick(frozenset({("a1", 0, ""), ("a2", 0, "")})) is None  # nothing voted: free
    assert spec.pick(frozenset({("a1", 1, "v2"), ("a2", 0, "")})) == "v2"  # one value at k
    # a collision in fast round 1: v1 needs 3 + 2 - 3 = 2 of the 2 reports, so neither is forced
    assert spec.pick(frozenset({("a1", 1, "v1"), ("a2", 1, "v2")})) is None
    assert spec.pick(frozenset({("a1", 1, "v1"), ("a2", 2, "v2")})) == "v2"  # the highest round wins
    bug = FastPaxos(bug="majority-fast-quorum")  # fast quorum 2: 2 + 2 - 3 = 1 report passes O4
    assert bug.pick(frozenset({("a1", 1, "v2"), ("a2", 1, "v1")})) == "v1"
    four = FastPaxos(acceptors=4)  # classic 3, fast 3: v1 needs 3 + 3 - 4 = 2 of the 3 reports
    assert four.pick(frozenset({("a1", 1, "v1"), ("a2", 1, "v1"), ("a3", 1, "v2")})) == "v1"
    assert four.pick(frozenset({("a1", 1, "v1"), ("a2", 1, "v2"), ("a3", 0, "")})) is None


def test_chosen_values_are_read_from_the_ghost_history():
    spec = FastPaxos()
    c = spec.initial_states()[0]

    def with_votes(*votes):
        return c._replace(ghost=c.ghost | {("accepted", r, v, a) for r, v, a in votes})

    two_fast = with_votes((1, "v1", "a1"), (1, "v1", "a2"))
    assert spec.chosen(two_fast) == {}  # a fast round needs 3 of 3
    assert FastPaxos(bug="majority-fast-quorum").chosen(two_fast) == {"v1": 1}
    three_fast = with_votes((1, "v1", "a1"), (1, "v1", "a2"), (1, "v1", "a3"))
    assert spec.chosen(three_fast) == {"v1": 1} and spec.chosen_in_fast_round(three_fast)
    assert not spec.recovered_after_collision(three_fast)
    recovered = with_votes((1, "v1", "a1"), (1, "v2", "a2"), (2, "v2", "a1"), (2, "v2", "a3"))
    assert spec.chosen(recovered) == {"v2": 2}  # a classic round needs 2 of 3
    assert spec.recovered_after_collision(recovered) and not spec.chosen_in_fast_round(recovered)
    stray = with_votes((2, "v9", "a1"), (2, "v9", "a2"))
    assert not spec.validity(stray)  # v9 was never proposed
    assert spec.validity(recovered) and spec.agreement(recovered)


def test_parameters_and_faults_are_checked():
    with pytest.raises(SpecError, match="acceptors"):
        FastPaxos(acceptors=0)
    with pytest.raises(SpecError, match="crash"):
        FastPaxos(faults="crash=1")
    with pytest.raises(SpecError, match="bug"):
        FastPaxos(bug="no-such-bug")
