"""multipaxos: exact state counts against an independent BFS (and BFS == DFS), recovery
of accepted slots and no-op gaps, the skip-recovery bug's shortest counterexample, and the
correct spec at the same bounds."""

from __future__ import annotations

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.specs.multipaxos import MultiPaxos, recover
from models import deliveries, explore_by_hand

# -- an independent BFS of the same model, written without the actor layer -----------------


def reference_multipaxos_bfs(leaders: int, acceptors: int, slots: int, ballots: int, values: int,
                             skip_recovery: bool = False, drop: bool = False) -> tuple[int, bool]:
    """Distinct states of Multi-Paxos over an unordered network (that may lose any message,
    with ``drop``), by hand, and whether every slot had at most one chosen value in all of them.

    A leader is (started, ballot, phase, promises, next slot, timer armed); an acceptor
    (promised, per-slot list of (ballot, value) with (0, "") for nothing); a message
    (src, dst, kind, ballot, slot, payload); the ghost keeps ("accepted", slot, b, v, a)
    and ("proposed", slot, b, v); ``issued`` the client commands already taken.
    """
    L = [f"l{i + 1}" for i in range(leaders)]
    A = [f"a{i + 1}" for i in range(acceptors)]
    none: frozenset = frozenset()

    def add(bag, msgs):
        return tuple(sorted(bag + tuple(msgs)))

    def safe(ghost):
        votes: dict = {}
        for g in ghost:
            if g[0] == "accepted":
                votes[g[1:4]] = votes.get(g[1:4], 0) + 1
        chosen = {(s, v) for (s, b, v), k in votes.items() if 2 * k > acceptors}
        return len(chosen) == len({s for s, _ in chosen})

    def phase2(me, ballot, slot, v):
        return [(me, a, "Accept", ballot, slot, v) for a in A], ("proposed", slot, ballot, v)

    empty_log = tuple((0, "") for _ in range(slots))
    idle = (0, 0, "idle", none, 1, True)
    start = (tuple(idle for _ in L), tuple((0, empty_log) for _ in A), (), none, none)

    def successors(state):
        lds, accs, bag, ghost, issued = state
        nexts = []
        for msg, rest in deliveries(bag):
            src, dst, kind, b, slot, x = msg
            if drop:
                nexts.append((lds, accs, rest, ghost, issued))
            if kind == "Prepare":
                j = A.index(dst)
                promised, log = accs[j]
                if b > promised:
                    acc2 = accs[:j] + ((b, log),) + accs[j + 1:]
                    nexts.append((lds, acc2, add(rest, [(dst, src, "Promise", b, 0, log)]), ghost, issued))
                else:
                    nexts.append((lds, accs, rest, ghost, issued))
            elif kind == "Accept":
                j = A.index(dst)
                promised, log = accs[j]
                if b >= promised:
                    log = log[:slot - 1] + ((b, x),) + log[slot:]
                    nexts.append((lds, accs[:j] + ((b, log),) + accs[j + 1:], rest,
                                  ghost | {("accepted", slot, b, x, dst)}, issued))
                else:
                    nexts.append((lds, accs, rest, ghost, issued))
            else:  # Promise
                i = L.index(dst)
                started, ballot, phase, promises, nxt, timer = lds[i]
                if phase != "preparing" or b != ballot:
                    nexts.append((lds, accs, rest, ghost, issued))
                    continue
                promises = promises | {(src, x)}
                if 2 * len(promises) <= acceptors:
                    l2 = (started, ballot, phase, promises, nxt, timer)
                    nexts.append((lds[:i] + (l2,) + lds[i + 1:], accs, rest, ghost, issued))
                    continue
                sends, ghost2, top = [], ghost, 0
                if not skip_recovery:
                    best = [max(log[s] for _, log in promises) for s in range(slots)]
                    top = max((s + 1 for s in range(slots) if best[s][0]), default=0)
                    for s in range(top):
                        msgs, item = phase2(dst, ballot, s + 1, best[s][1] if best[s][0] else "noop")
                        sends += msgs
                        ghost2 = ghost2 | {item}
                l2 = (started, ballot, "active", none, top + 1, timer)
                nexts.append((lds[:i] + (l2,) + lds[i + 1:], accs, add(rest, sends), ghost2, issued))
        for i, me in enumerate(L):
            started, ballot, phase, promises, nxt, timer = lds[i]
            if not timer:
                continue
            b = started * leaders + i + 1
            l2 = (started + 1, b, "preparing", none, 1, started + 1 < ballots)
            prepares = [(me, a, "Prepare", b, 0, "") for a in A]
            nexts.append((lds[:i] + (l2,) + lds[i + 1:], accs, add(bag, prepares), ghost, issued))
        for v in range(1, values + 1):
            i = (v - 1) % leaders
            started, ballot, phase, promises, nxt, timer = lds[i]
            if v in issued or phase != "active" or nxt > slots:
                continue
            msgs, item = phase2(L[i], ballot, nxt, f"v{v}")
            l2 = (started, ballot, phase, promises, nxt + 1, timer)
            nexts.append((lds[:i] + (l2,) + lds[i + 1:], accs, add(bag, msgs), ghost | {item}, issued | {v}))
        return nexts

    count, unsafe = explore_by_hand(start, successors, lambda s: not safe(s[3]))
    return count, not unsafe


DEFAULTS = dict(leaders=2, acceptors=3, slots=2, ballots=1, values=2)


@pytest.mark.parametrize("params, expected", [
    (dict(leaders=1), 1_036),
    (dict(acceptors=1), 47),
    (dict(values=1), 10_082),
    (dict(slots=1), 18_190),
])
def test_state_counts_match_an_independent_bfs_and_dfs(params, expected):
    assert reference_multipaxos_bfs(**(DEFAULTS | params)) == (expected, True)
    spec = MultiPaxos(**params)
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (expected, expected)
    assert bfs.transitions == dfs.transitions
    assert bfs.invariants == {"agreement": "holds", "validity": "holds"}


def test_default_run_is_small_safe_and_fills_every_slot():
    # 2 leaders, 3 acceptors, 2 slots, 1 ballot each, 2 commands
    assert reference_multipaxos_bfs(**DEFAULTS) == (65_342, True)
    result = modelcheck.explore(build("multipaxos"), "bfs")
    dfs = modelcheck.explore(build("multipaxos"), "dfs")
    assert result.params == DEFAULTS | {"bug": None}
    assert (result.distinct_states, result.transitions) == (65_342, 335_331)
    assert (dfs.distinct_states, dfs.transitions) == (65_342, 335_331)
    assert result.ok and result.complete
    assert result.invariants == {"agreement": "holds", "validity": "holds"}
    assert result.reachability == {"every_slot_chosen": "reached", "recovered": "reached"}
    assert set(result.coverage) == {"timeout propose", "deliver Prepare", "deliver Promise", "deliver Accept",
                                    "request Request"}


PHASE1_L1 = [
    "l1 timeout propose",
    "a1 <- Prepare(ballot=1, from=l1)",
    "l1 <- Promise(ballot=1, from=a1, accepted=())",
    "a2 <- Prepare(ballot=1, from=l1)",
    "l1 <- Promise(ballot=1, from=a2, accepted=())",  # l1 active: phase 2 only from here
]


def test_skipping_recovery_chooses_two_values_for_one_slot():
    result = modelcheck.explore(MultiPaxos(bug="skip-recovery"), "bfs")
    trace = result.violations[0]
    assert trace.property == "agreement"
    assert len(trace.steps) == 16
    assert [s.label for s in trace.steps] == PHASE1_L1 + [
        "l2 timeout propose",
        "a1 <- Prepare(ballot=2, from=l2)",
        "l2 <- Promise(ballot=2, from=a1, accepted=())",
        "client -> l1 Request(v1)",
        "a2 <- Accept(ballot=1, from=l1, slot=1, value=v1)",
        "a3 <- Accept(ballot=1, from=l1, slot=1, value=v1)",  # v1 chosen in slot 1
        "a2 <- Prepare(ballot=2, from=l2)",
        "l2 <- Promise(ballot=2, from=a2, accepted=((1, 1, v1)))",  # l2 active, ignores (1, 1, v1)
        "client -> l2 Request(v2)",  # into slot 1, not slot 2
        "a1 <- Accept(ballot=2, from=l2, slot=1, value=v2)",
        "a2 <- Accept(ballot=2, from=l2, slot=1, value=v2)",
    ]
    assert (MultiPaxos().explain("agreement", trace.last_state)
            == "slot 1: v1 chosen in ballot 1 and v2 chosen in ballot 2")


def test_skip_recovery_explored_to_the_end_agrees_in_bfs_dfs_and_the_reference():
    bfs = modelcheck.explore(MultiPaxos(bug="skip-recovery"), "bfs", keep_going=True)
    dfs = modelcheck.explore(MultiPaxos(bug="skip-recovery"), "dfs", keep_going=True)
    assert reference_multipaxos_bfs(**DEFAULTS, skip_recovery=True) == (18_092, False)
    assert (bfs.distinct_states, dfs.distinct_states) == (18_092, 18_092)
    assert bfs.invariants["agreement"] == "violated"
    assert dfs.violations and dfs.violations[0].property == "agreement"


def test_recovery_reproposes_the_highest_ballot_value_and_fills_gaps_with_noop():
    assert recover([(), ()]) == ()
    assert recover([((1, 1, "v1"),), ((1, 2, "v2"),)]) == ("v2",)
    assert recover([((2, 1, "v3"),), ()]) == ("noop", "v3")
    assert recover([((1, 1, "v1"), (2, 3, "v3")), ((2, 4, "v2"),)]) == ("v1", "v2")


def test_a_new_leader_fills_a_gap_with_noop():
    # l1 puts v1 in slot 1 and v3 in slot 2; only slot 2 reaches a majority of l2's promises
    spec = MultiPaxos(values=3)
    c = spec.initial_states()[0]

    def step(c, label):
        for action, nxt in spec.successors(c):
            if spec.format_action(action) == label:
                return nxt
        raise AssertionError(f"{label} not enabled")

    for label in PHASE1_L1 + ["client -> l1 Request(v1)", "client -> l1 Request(v3)",
                              "a2 <- Accept(ballot=1, from=l1, slot=2, value=v3)",
                              "l2 timeout propose", "a2 <- Prepare(ballot=2, from=l2)",
                              "a3 <- Prepare(ballot=2, from=l2)",
                              "l2 <- Promise(ballot=2, from=a3, accepted=())",
                              "l2 <- Promise(ballot=2, from=a2, accepted=((2, 1, v3)))"]:
        c = step(c, label)
    assert spec.state_of(c, "l2").next_slot == 3
    assert {g for g in c.ghost if g[0] == "proposed" and g[2] == 2} == {
        ("proposed", 1, 2, "noop"), ("proposed", 2, 2, "v3")}


def test_safe_when_messages_are_lost():
    assert reference_multipaxos_bfs(**DEFAULTS | dict(values=1), drop=True) == (62_633, True)
    result = modelcheck.explore(MultiPaxos(values=1, faults="drop"), "bfs")
    assert result.ok and result.complete and result.distinct_states == 62_633
    assert result.reachability["recovered"] == "reached"


def test_parameters_and_faults_are_checked():
    with pytest.raises(SpecError, match="slots"):
        MultiPaxos(slots=0)
    with pytest.raises(SpecError, match="crash"):
        MultiPaxos(faults="crash=1")
    with pytest.raises(SpecError, match="bug"):
        MultiPaxos(bug="no-such-bug")


def test_chosen_values_are_read_per_slot_from_the_ghost_history():
    spec = MultiPaxos()
    c = spec.initial_states()[0]
    stray = c._replace(ghost=frozenset({("accepted", 2, 1, "v9", "a1"), ("accepted", 2, 1, "v9", "a2"),
                                        ("proposed", 1, 1, "v9")}))
    assert spec.chosen(stray) == {2: {"v9": 1}}
    assert not spec.validity(stray)  # v9 was proposed for slot 1, not slot 2
    proposed = stray._replace(ghost=stray.ghost | {("proposed", 2, 1, "v9")})
    assert spec.validity(proposed) and spec.agreement(proposed) and not spec.every_slot_chosen(proposed)
    minority = c._replace(ghost=frozenset({("accepted", 1, 1, "v1", "a1"), ("accepted", 1, 2, "v1", "a2")}))
    assert spec.chosen(minority) == {}  # a majority must accept in the same ballot
    two_slots = c._replace(ghost=frozenset({("accepted", s, 1, v, a) for s, v in ((1, "v1"), (2, "v2"))
                                            for a in ("a1", "a3")}))
    # different values in different slots: agreement holds
    assert spec.agreement(two_slots) and spec.every_slot_chosen(two_slots)
