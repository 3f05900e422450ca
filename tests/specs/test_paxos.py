"""paxos: exact state counts against an independent BFS (and BFS == DFS), the bug
variants' shortest counterexamples, and the correct spec at the same bounds."""

from __future__ import annotations

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.specs.paxos import Paxos
from models import deliveries, explore_by_hand

# -- an independent BFS of the same model, written without the actor layer -----------------


def reference_paxos_bfs(proposers: int, acceptors: int, ballots: int, values: int) -> tuple[int, bool]:
    """Distinct states of Basic Paxos over an unordered multiset network, by hand, and
    whether agreement held in all of them.

    A proposer is (started, ballot, phase, promises, value, timer armed); an acceptor
    (promised, vbal, vval); a message (src, dst, kind, ballot, x, y); the ghost keeps
    ("accepted", b, v, a) and ("proposed", b, v).
    """
    P = [f"p{i + 1}" for i in range(proposers)]
    A = [f"a{i + 1}" for i in range(acceptors)]
    none: frozenset = frozenset()

    def add(bag, msgs):
        return tuple(sorted(bag + tuple(msgs)))

    def chosen(ghost):
        count: dict = {}
        for g in ghost:
            if g[0] == "accepted":
                count[g[1], g[2]] = count.get((g[1], g[2]), 0) + 1
        return {v for (b, v), k in count.items() if 2 * k > acceptors}

    start = (tuple((0, 0, "idle", none, "", True) for _ in P), tuple((0, 0, "") for _ in A), (), none)

    def successors(state):
        props, accs, bag, ghost = state
        nexts = []
        for msg, rest in deliveries(bag):
            src, dst, kind, b, x, y = msg
            if kind == "Prepare":
                j = A.index(dst)
                promised, vbal, vval = accs[j]
                if b > promised:
                    acc2 = accs[:j] + ((b, vbal, vval),) + accs[j + 1:]
                    nexts.append((props, acc2, add(rest, [(dst, src, "Promise", b, vbal, vval)]), ghost))
                else:
                    nexts.append((props, accs, rest, ghost))
            elif kind == "Accept":
                j = A.index(dst)
                promised, vbal, vval = accs[j]
                if b >= promised:
                    acc2 = accs[:j] + ((b, b, x),) + accs[j + 1:]
                    nexts.append((props, acc2, rest, ghost | {("accepted", b, x, dst)}))
                else:
                    nexts.append((props, accs, rest, ghost))
            else:  # Promise
                i = P.index(dst)
                started, ballot, phase, promises, value, timer = props[i]
                if phase != "preparing" or b != ballot:
                    nexts.append((props, accs, rest, ghost))
                    continue
                promises = promises | {(src, x, y)}
                if 2 * len(promises) <= acceptors:
                    p2 = (started, ballot, phase, promises, value, timer)
                    nexts.append((props[:i] + (p2,) + props[i + 1:], accs, rest, ghost))
                    continue
                vb, vv = max((vb, vv) for _, vb, vv in promises)
                v = vv if vb else f"v{i % values + 1}"
                p2 = (started, ballot, "accepting", none, v, timer)
                sends = [(dst, a, "Accept", ballot, v, "") for a in A]
                nexts.append((props[:i] + (p2,) + props[i + 1:], accs, add(rest, sends),
                              ghost | {("proposed", ballot, v)}))
        for i, me in enumerate(P):
            started, ballot, phase, promises, value, timer = props[i]
            if not timer:
                continue
            b = started * proposers + i + 1
            p2 = (started + 1, b, "preparing", none, "", started + 1 < ballots)
            sends = [(me, a, "Prepare", b, 0, "") for a in A]
            nexts.append((props[:i] + (p2,) + props[i + 1:], accs, add(bag, sends), ghost))
        return nexts

    count, unsafe = explore_by_hand(start, successors, lambda s: len(chosen(s[3])) > 1)
    return count, not unsafe


@pytest.mark.parametrize("params, expected", [
    (dict(proposers=1), 77),
    (dict(acceptors=1), 31),
    (dict(values=1), 16_030),
    (dict(), 16_702),  # the defaults: 2 proposers, 3 acceptors, 1 ballot each, 2 values
])
def test_state_counts_match_an_independent_bfs_and_dfs(params, expected):
    full = dict(proposers=2, acceptors=3, ballots=1, values=2) | params
    assert reference_paxos_bfs(**full) == (expected, True)
    spec = Paxos(**params)
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (expected, expected)
    assert bfs.transitions == dfs.transitions
    assert bfs.invariants == {"agreement": "holds", "validity": "holds"}
    assert bfs.reachability == {"value_chosen": "reached"}


def test_default_run_is_small_and_safe():
    result = modelcheck.explore(build("paxos"), "bfs")
    assert result.params == {"proposers": 2, "acceptors": 3, "ballots": 1, "values": 2, "bug": None}
    assert (result.distinct_states, result.transitions) == (16_702, 69_319)
    assert result.ok and result.complete
    assert set(result.coverage) == {"timeout propose", "deliver Prepare", "deliver Promise", "deliver Accept"}


PHASE1_P1 = [
    "p1 timeout propose",
    "a1 <- Prepare(ballot=1, from=p1)",
    "p1 <- Promise(ballot=1, from=a1, vbal=0, vval=)",
    "a2 <- Prepare(ballot=1, from=p1)",
    "p1 <- Promise(ballot=1, from=a2, vbal=0, vval=)",
]


def test_ignoring_promised_values_chooses_two_values():
    result = modelcheck.explore(Paxos(bug="ignore-promised-values"), "bfs")
    trace = result.violations[0]
    assert trace.property == "agreement"
    assert [s.label for s in trace.steps] == PHASE1_P1 + [
        "a1 <- Accept(ballot=1, from=p1, value=v1)",
        "a2 <- Accept(ballot=1, from=p1, value=v1)",  # v1 chosen in ballot 1
        "p2 timeout propose",
        "a1 <- Prepare(ballot=2, from=p2)",
        "p2 <- Promise(ballot=2, from=a1, vbal=1, vval=v1)",
        "a2 <- Prepare(ballot=2, from=p2)",
        "p2 <- Promise(ballot=2, from=a2, vbal=1, vval=v1)",  # ignored: p2 proposes v2
        "a1 <- Accept(ballot=2, from=p2, value=v2)",
        "a2 <- Accept(ballot=2, from=p2, value=v2)",
    ]
    assert Paxos().explain("agreement", trace.last_state) == "v1 chosen in ballot 1 and v2 chosen in ballot 2"


def test_accepting_a_lower_ballot_chooses_two_values():
    result = modelcheck.explore(Paxos(bug="accept-lower-ballot"), "bfs")
    trace = result.violations[0]
    assert trace.property == "agreement"
    assert [s.label for s in trace.steps] == PHASE1_P1 + [
        "a1 <- Accept(ballot=1, from=p1, value=v1)",
        "p2 timeout propose",
        "a2 <- Prepare(ballot=2, from=p2)",
        "p2 <- Promise(ballot=2, from=a2, vbal=0, vval=)",
        "a2 <- Accept(ballot=1, from=p1, value=v1)",  # a2 promised 2, accepts 1: v1 chosen
        "a3 <- Prepare(ballot=2, from=p2)",
        "p2 <- Promise(ballot=2, from=a3, vbal=0, vval=)",
        "a1 <- Accept(ballot=2, from=p2, value=v2)",
        "a2 <- Accept(ballot=2, from=p2, value=v2)",
    ]


@pytest.mark.parametrize("bug, states", [("ignore-promised-values", 16_030), ("accept-lower-ballot", 18_095)])
def test_bug_variants_explored_to_the_end_agree_in_bfs_and_dfs(bug, states):
    bfs = modelcheck.explore(Paxos(bug=bug), "bfs", keep_going=True)
    dfs = modelcheck.explore(Paxos(bug=bug), "dfs", keep_going=True)
    assert (bfs.distinct_states, dfs.distinct_states) == (states, states)
    assert bfs.invariants["agreement"] == "violated"
    assert dfs.violations and dfs.violations[0].property == "agreement"


def test_safe_when_messages_are_lost():
    result = modelcheck.explore(Paxos(faults="drop"), "bfs")
    assert result.ok and result.complete and result.distinct_states == 97_808


def test_parameters_and_faults_are_checked():
    with pytest.raises(SpecError, match="acceptors"):
        Paxos(acceptors=0)
    with pytest.raises(SpecError, match="crash"):
        Paxos(faults="crash=1")
    with pytest.raises(SpecError, match="bug"):
        Paxos(bug="no-such-bug")


def test_chosen_values_are_read_from_the_ghost_history():
    spec = Paxos()
    c = spec.initial_states()[0]
    stray = c._replace(ghost=frozenset({("accepted", 1, "v9", "a1"), ("accepted", 1, "v9", "a2")}))
    assert spec.chosen(stray) == {"v9": 1}
    assert not spec.validity(stray)  # v9 was never proposed
    proposed = stray._replace(ghost=stray.ghost | {("proposed", 1, "v9")})
    assert spec.validity(proposed) and spec.agreement(proposed) and spec.value_chosen(proposed)
    minority = c._replace(ghost=frozenset({("accepted", 1, "v1", "a1"), ("accepted", 2, "v1", "a2")}))
    assert spec.chosen(minority) == {}  # a majority must accept in the same ballot
