"""zab: exact state counts against an independent BFS (and BFS == DFS), the bug variants'
shortest counterexamples, and the correct spec at the same bounds."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.actors import Faults
from modelcheck.specs.zab import Zab
from models import explore_by_hand

# -- an independent BFS of the same model, written without the actor layer -----------------


def reference_zab_bfs(nodes: int, epochs: int, values: int) -> tuple[int, bool]:
    """Distinct states of the zab model over FIFO links, by hand, and whether the delivered
    sequences were prefixes of one another in all of them.

    A node is [p, a, h, d, led, phase, leader, Q, acks] (see the spec's docstring); a
    message a tuple (kind, fields...); the network a dict from (src, dst) to a queue.
    """
    names = [f"n{i + 1}" for i in range(nodes)]
    quorum = nodes // 2 + 1
    empty: frozenset = frozenset()

    def freeze(ns, timers, links, ghost, issued):
        return (tuple(tuple(n) for n in ns), tuple(timers),
                tuple(sorted((k, tuple(q)) for k, q in links.items() if q)), ghost, issued)

    def thaw(state):
        ns, timers, links, ghost, issued = state
        return [list(n) for n in ns], list(timers), {k: list(q) for k, q in links}, ghost, issued

    def deliver_all(n, upto):
        for t in n[2][:upto]:
            if t not in n[3]:
                n[3] = n[3] + (t,)

    def handle(ns, timers, me, src, m, sends, ghost):
        """Node ``me`` handles ``m`` from ``src``: mutates ns[me], appends sends; the new ghost."""
        n = ns[names.index(me)]
        kind = m[0]
        p, a, h, d, led, phase, leader, q, acks = n
        if kind == "Elect":
            n[5:] = ["discovery", src, empty, empty]
            sends.append((me, src, ("CEpoch", p)))
            return ghost
        if leader == me:
            if kind == "CEpoch" and phase == "discovery" and not q:
                acks = acks | {(src, m[1])}
                n[8] = acks
                if len(acks) >= quorum:
                    e = max(x for _, x in acks) + 1
                    if e > epochs:
                        n[5:] = ["looking", "", empty, empty]
                        return ghost
                    n[0], n[7], n[8] = e, frozenset(x for x, _ in acks), frozenset({(me, a, h)})
                    sends.extend((me, f, ("NewEpoch", e)) for f in sorted(n[7]) if f != me)
            elif kind == "AckEpoch" and phase == "discovery" and src in q:
                acks = acks | {(src, m[1], m[2])}
                n[8] = acks
                if len(acks) == len(q):
                    best = max(sorted(acks), key=lambda r: (r[1], r[2][-1][:2] if r[2] else (0, 0)))[2]  # ties: lowest node
                    n[1], n[2], n[5], n[8] = p, best, "sync", frozenset({me})
                    ghost = ghost | {("primary", p, me)}
                    sends.extend((me, f, ("NewLeader", p, best)) for f in sorted(q) if f != me)
            elif kind == "AckLeader" and phase == "sync" and m[1] == a:
                n[8] = acks | {src}
                if len(n[8]) >= quorum:
                    n[5], n[8] = "broadcast", empty
                    deliver_all(n, len(h))
                    sends.extend((me, f, ("CommitLeader", a)) for f in sorted(q) if f != me)
            elif kind == "Ack" and phase == "broadcast" and m[1] == a:
                acks = acks | {(m[2], src)}
                for k, t in enumerate(h):
                    if t in n[3]:
                        continue
                    if t[0] != a or 1 + len([1 for c, _ in acks if c == t[1]]) < quorum:
                        break
                    acks = frozenset(x for x in acks if x[0] != t[1])
                    deliver_all(n, k + 1)
                    sends.extend((me, f, ("Commit", t[0], t[1])) for f in sorted(q) if f != me)
                n[8] = acks
            return ghost
        if src != leader:
            return ghost
        if kind == "NewEpoch" and phase == "discovery":
            if m[1] > p:
                n[0], n[5] = m[1], "sync"
                sends.append((me, src, ("AckEpoch", a, h)))
            else:
                n[5:] = ["looking", "", empty, empty]
        elif kind == "NewLeader" and phase == "sync" and a != m[1]:
            if m[1] == p:
                n[1], n[2] = m[1], m[2]
                sends.append((me, src, ("AckLeader", m[1])))
            else:
                n[5:] = ["looking", "", empty, empty]
        elif kind == "CommitLeader" and phase == "sync" and a == m[1]:
            n[5] = "broadcast"
            deliver_all(n, len(h))
            if not led and p < epochs:  # it may suspect its established leader later
                timers[names.index(me)] = True
        elif kind == "Propose" and phase == "broadcast" and a == m[1]:
            n[2] = h + (m[1:],)
            sends.append((me, src, ("Ack", m[1], m[2])))
        elif kind == "Commit" and phase == "broadcast" and a == m[1]:
            for k, t in enumerate(h):
                if t[:2] == m[1:]:
                    deliver_all(n, k + 1)
        return ghost

    def prefixes(ns):
        ds = [n[3] for n in ns]
        return all(x[:len(y)] == y[:len(x)] for x in ds for y in ds)

    start_nodes = [[0, 0, (), (), False, "looking", "", empty, empty] for _ in names]
    start = freeze(start_nodes, [i == 0 for i in range(nodes)], {}, empty, empty)

    def successors(state):
        nexts = []
        ns0, timers0, links0, ghost0, issued0 = thaw(state)
        for (src, dst) in list(links0):  # deliver the head of each link
            ns, timers, links, ghost, issued = thaw(state)
            m = links[(src, dst)].pop(0)
            sends: list = []
            ghost = handle(ns, timers, dst, src, m, sends, ghost)
            for s, t, msg in sends:
                links.setdefault((s, t), []).append(msg)
            nexts.append(freeze(ns, timers, links, ghost, issued))
        for i, me in enumerate(names):  # an election timer fires (once)
            if timers0[i]:
                ns, timers, links, ghost, issued = thaw(state)
                timers[i] = False
                p = ns[i][0]
                ns[i][4:] = [True, "discovery", me, empty, frozenset({(me, p)})]
                for f in names:
                    if f != me:
                        links.setdefault((me, f), []).append(("Elect",))
                nexts.append(freeze(ns, timers, links, ghost, issued))
        for v in (f"v{k + 1}" for k in range(values)):  # a client value, at an established leader
            if v in issued0:
                continue
            for i, me in enumerate(names):
                n0 = ns0[i]
                if n0[5] != "broadcast" or n0[6] != me:
                    continue
                ns, timers, links, ghost, issued = thaw(state)
                n = ns[i]
                t = (n[1], 1 + len([1 for x in n[2] if x[0] == n[1]]), v)
                ghost = ghost | {("broadcast", t, n[3])}
                n[2] = n[2] + (t,)
                for f in sorted(n[7]):
                    if f != me:
                        links.setdefault((me, f), []).append(("Propose",) + t)
                nexts.append(freeze(ns, timers, links, ghost, issued | {v}))
        return nexts

    count, unsafe = explore_by_hand(start, successors, lambda s: not prefixes(s[0]))
    return count, not unsafe


@pytest.mark.parametrize("params, expected", [
    (dict(epochs=1, values=1), 71),
    (dict(nodes=2, values=1), 53),
    (dict(epochs=1), 281),
    (dict(values=1), 2_249),
    (dict(), 18_853),  # the defaults: 3 nodes, 2 epochs, 2 values
])
def test_state_counts_match_an_independent_bfs_and_dfs(params, expected):
    full = dict(nodes=3, epochs=2, values=2) | params
    assert reference_zab_bfs(**full) == (expected, True)
    spec = Zab(**params)
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (expected, expected)
    assert bfs.transitions == dfs.transitions
    assert bfs.ok and bfs.complete


def test_defaults_to_fifo_links():
    assert Zab().faults == Faults(network="fifo")
    assert build("zab").fault_summary() == {"network": "fifo"}
    assert Zab(faults="fifo,crash=1").faults == Faults(network="fifo", crashes=1)


def test_default_run_is_small_and_safe():
    result = modelcheck.explore(build("zab"), "bfs")
    assert result.params == {"nodes": 3, "epochs": 2, "values": 2, "bug": None}
    assert (result.distinct_states, result.transitions, result.depth) == (18_853, 46_941, 28)
    assert result.ok and result.complete
    assert set(result.invariants.values()) == {"holds"} and len(result.invariants) == 6
    assert result.reachability == {"value_committed": "reached", "second_epoch": "reached"}
    assert set(result.coverage) == {f"deliver {m.__name__}" for m in Zab.messages} | {
        "timeout elect", "request ClientValue"}


EPOCH_1_N1_N2 = [
    "n1 timeout elect",
    "n2 <- Elect(from=n1)",
    "n1 <- CEpoch(accepted=0, from=n2)",
    "n2 <- NewEpoch(epoch=1, from=n1)",
    "n1 <- AckEpoch(current=0, from=n2, history=())",
]


def test_accepting_an_old_epochs_proposal_breaks_local_primary_order():
    spec = Zab(bug="old-epoch-proposal")
    trace = modelcheck.explore(spec, "bfs").violations[0]
    assert trace.property == "local_primary_order"
    assert [s.label for s in trace.steps] == EPOCH_1_N1_N2 + [
        "n2 <- NewLeader(epoch=1, from=n1, history=())",
        "n1 <- AckLeader(epoch=1, from=n2)",
        "n2 <- CommitLeader(epoch=1, from=n1)",  # n1 leads epoch 1, n2 follows it
        "n2 timeout elect",
        "n3 <- Elect(from=n2)",
        "n2 <- CEpoch(accepted=0, from=n3)",
        "n3 <- NewEpoch(epoch=2, from=n2)",  # n2 promised epoch 2: its initial history is ()
        "client -> n1 ClientValue(v1)",
        "n2 <- Propose(epoch=1, from=n1, counter=1, value=v1)",  # the bug: accepted
        "n2 <- AckEpoch(current=0, from=n3, history=())",  # initial history (): v1 dropped
        "n3 <- NewLeader(epoch=2, from=n2, history=())",
        "client -> n1 ClientValue(v2)",
        "n2 <- Propose(epoch=1, from=n1, counter=2, value=v2)",  # the bug again: v2 kept
        "n2 <- AckLeader(epoch=2, from=n3)",  # n2 delivers its history: v2 without v1
    ]
    assert spec.explain("local_primary_order", trace.last_state) == (
        "n2 delivered (1, 2, 'v2') without (1, 1, 'v1') before it, "
        "though primary of epoch 1 broadcast (1, 1, 'v1') first")


def test_broadcasting_before_sync_breaks_prefix_agreement():
    spec = Zab(bug="broadcast-before-sync")
    trace = modelcheck.explore(spec, "bfs").violations[0]
    assert trace.property == "prefix_agreement"
    assert [s.label for s in trace.steps] == EPOCH_1_N1_N2 + [  # the bug: no NEWLEADER
        "client -> n1 ClientValue(v1)",
        "n2 <- Propose(epoch=1, from=n1, counter=1, value=v1)",
        "n2 timeout elect",
        "n3 <- Elect(from=n2)",
        "n2 <- CEpoch(accepted=0, from=n3)",
        "n3 <- NewEpoch(epoch=2, from=n2)",
        "n2 <- AckEpoch(current=0, from=n3, history=())",  # n2 delivers its own history, v1
        "client -> n2 ClientValue(v2)",
        "n3 <- Propose(epoch=2, from=n2, counter=1, value=v2)",  # onto n3's history (), not (v1)
        "n2 <- Ack(epoch=2, from=n3, counter=1)",
        "n3 <- Commit(epoch=2, from=n2, counter=1)",
    ]
    assert spec.explain("prefix_agreement", trace.last_state) == \
        "n2 delivered (1, 1, 'v1') and n3 delivered (2, 1, 'v2') at position 1"


@pytest.mark.parametrize("bug, states, violated", [
    ("old-epoch-proposal", 30_129, {"prefix_agreement", "local_primary_order"}),
    ("broadcast-before-sync", 7_403, {"prefix_agreement"}),
])
def test_bug_variants_explored_to_the_end_agree_in_bfs_and_dfs(bug, states, violated):
    bfs = modelcheck.explore(Zab(bug=bug), "bfs", keep_going=True)
    dfs = modelcheck.explore(Zab(bug=bug), "dfs", keep_going=True)
    assert (bfs.distinct_states, dfs.distinct_states) == (states, states)
    assert {name for name, verdict in bfs.invariants.items() if verdict == "violated"} == violated
    assert dfs.violations


def test_safe_with_a_crash_and_with_duplicated_messages():
    crash = modelcheck.explore(Zab(values=1, faults="fifo,crash=1"), "bfs")
    assert crash.ok and crash.complete and crash.distinct_states == 18_430
    dup = modelcheck.explore(Zab(values=1, faults="fifo,dup"), "bfs")
    assert dup.ok and dup.complete and dup.distinct_states == 45_278


def test_parameters_are_checked():
    with pytest.raises(SpecError, match="nodes"):
        Zab(nodes=1)
    with pytest.raises(SpecError, match="bug"):
        Zab(bug="no-such-bug")


def test_properties_read_the_ghost_history_and_delivered_sequences():
    spec = Zab()
    c = spec.initial_states()[0]
    n1 = c.nodes[0]._replace(delivered=((1, 1, "v1"),))
    stray = c._replace(nodes=(n1,) + c.nodes[1:])
    assert not spec.integrity(stray)  # never broadcast
    sent = stray._replace(ghost=frozenset({("broadcast", (1, 1, "v1"), ())}))
    assert spec.integrity(sent) and spec.value_committed(sent)
    two = sent._replace(ghost=sent.ghost | {("primary", 1, "n1"), ("primary", 1, "n2")})
    assert not spec.one_primary_per_epoch(two)
    assert spec.explain("one_primary_per_epoch", two) == "epoch 1: n1 and n2 were both elected leader"


def test_a_search_does_not_depend_on_the_string_hash_seed():
    # the leader once took the first of tied histories in set order, which CPython salts
    # per process: the first violation came after 49,654 states with one seed, 49,612 another
    # (on unordered links, which zab now refuses)
    code = ("from modelcheck import build, explore; r = explore(build('zab', {'bug': 'old-epoch-proposal'}, "
            "faults='fifo,crash=1'), 'bfs'); print(r.distinct_states, len(r.violations[0]))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert runs == {"37181 19\n"}


def test_unordered_links_are_refused():
    """Zab assumes FIFO links; --faults replaces the default fault model, so a run with
    `--faults crash=1` would lose fifo and report violations Zab does not have."""
    with pytest.raises(SpecError, match="assumes FIFO links"):
        Zab(faults="crash=1")
