"""gossip: exact state counts against an independent BFS (and BFS == DFS), gossip
integrity under drop and duplication, and the corrupt-forward bug found by BFS with its
shortest counterexample."""

from __future__ import annotations

import json

import pytest

import modelcheck
from modelcheck import SpecError, build, invariants
from modelcheck.replay import replay, spec_from_trace
from modelcheck.specs.gossip import Gossip
from modelcheck.trace.format import parse_trace, trace_to_dict
from models import deliveries, explore_by_hand

# -- an independent BFS of the same model, written without the actor layer -----------------


def reference_gossip_bfs(nodes, fanout, rumours, drop=False, dup=False, crashes=0):
    """Distinct states of push gossip with a fanout, by hand, without the actor layer.

    A node is (seen, pushing): pushing holds (rumour, payload, peers pushed to) for each
    rumour still short of ``fanout`` peers, so a node's push timers (one per peer some
    rumour may still go to) follow from it and are not kept.  The network is a multiset
    (sorted tuple) of (src, dst, rumour, payload), a set under ``dup``; ``drop`` loses
    one copy; ``crashes`` bounds crashes, which forget everything (seen sets are
    volatile), and a crashed node receives nothing and takes no request until it restarts.
    The issued Originate requests are kept (the ghost history holds the same pairs).
    """
    N = [f"n{i + 1}" for i in range(nodes)]
    RUM = [(f"r{k}", f"config v2.{k}") for k in range(1, rumours + 1)]
    empty = frozenset()
    fresh = (empty, empty)

    def add(bag, msgs):
        if dup:
            return tuple(sorted(set(bag) | set(msgs)))
        return tuple(sorted(bag + tuple(msgs)))

    def learn(node, rp):
        seen, pushing = node
        if rp in seen:
            return None
        return (seen | {rp}, pushing | {(rp[0], rp[1], empty)})

    def peers_wanted(i, node):
        return [p for p in N if p != N[i] and any(p not in sent for _, _, sent in node[1])]

    def put(t, i, x):
        return t[:i] + (x,) + t[i + 1:]

    start = (tuple(fresh for _ in N), (), empty, empty, 0)  # nodes, bag, issued, crashed, crashes

    def successors(st):
        ns, bag, issued, crashed, ncrash = st
        nexts = []
        for env, rest in deliveries(bag):
            src, dst, r, p = env
            if drop:
                nexts.append((ns, rest, issued, crashed, ncrash))
            if dst in crashed:
                continue
            i = N.index(dst)
            new = learn(ns[i], (r, p))
            ns2 = ns if new is None else put(ns, i, new)
            nexts.append((ns2, rest, issued, crashed, ncrash))
            if dup:
                nexts.append((ns2, bag, issued, crashed, ncrash))
        for i, me in enumerate(N):
            if me in crashed:
                continue
            for peer in peers_wanted(i, ns[i]):
                seen, pushing = ns[i]
                sends, left = [], set()
                for r, p, sent in pushing:
                    if peer not in sent:
                        sends.append((me, peer, r, p))
                        sent = sent | {peer}
                    if len(sent) < fanout:
                        left.add((r, p, sent))
                nexts.append((put(ns, i, (seen, frozenset(left))), add(bag, sends), issued, crashed, ncrash))
        for rp in RUM:
            if rp in issued:
                continue
            for i, me in enumerate(N):
                if me in crashed:
                    continue
                new = learn(ns[i], rp)
                if new is not None:
                    nexts.append((put(ns, i, new), bag, issued | {rp}, crashed, ncrash))
        for i, me in enumerate(N):
            if me in crashed:
                nexts.append((ns, bag, issued, crashed - {me}, ncrash))
            elif ncrash < crashes:
                nexts.append((put(ns, i, fresh), bag, issued, crashed | {me}, ncrash + 1))
        return nexts

    return explore_by_hand(start, successors, lambda s: False)[0]


@pytest.mark.parametrize("params, faults, expected", [
    (dict(nodes=3, fanout=2, rumours=1), None, 450),  # the defaults
    (dict(nodes=3, fanout=1, rumours=1), None, 41),
    (dict(nodes=4, fanout=1, rumours=1), None, 140),
    (dict(nodes=4, fanout=2, rumours=1), None, 17_517),
    (dict(nodes=3, fanout=1, rumours=2), None, 1_681),
    (dict(nodes=3, fanout=2, rumours=1), "drop", 540),
    (dict(nodes=3, fanout=2, rumours=1), "dup", 801),
    # a node that crashed learns the rumour again and may push it again: equal envelopes
    # in flight, so this count depends on the network being a multiset (as a set: 2,974)
    (dict(nodes=3, fanout=2, rumours=1), "crash=1", 3_433),
    (dict(nodes=2, fanout=1, rumours=2), "drop,dup,crash=1", 1_099),
])
def test_state_counts_match_an_independent_bfs(params, faults, expected):
    flags = faults or ""
    assert reference_gossip_bfs(**params, drop="drop" in flags, dup="dup" in flags,
                                crashes=1 if "crash" in flags else 0) == expected
    result = modelcheck.explore(Gossip(faults=faults, **params), "bfs")
    assert result.complete and result.distinct_states == expected


def test_default_run_holds_with_equal_bfs_and_dfs_counts():
    spec = build("gossip")
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert bfs.params == {"nodes": 3, "fanout": 2, "rumours": 1, "bug": None}
    assert bfs.faults == {"network": "unordered"}
    assert (bfs.distinct_states, dfs.distinct_states) == (450, 450)
    assert bfs.transitions == dfs.transitions == 1_383
    assert bfs.ok and bfs.complete
    assert bfs.invariants == {"gossip_integrity": "holds"}
    assert bfs.reachability == {"all_informed": "reached"}


@pytest.mark.parametrize("params, states, transitions", [
    ({"fanout": 1}, 41, 51),
    ({"nodes": 4, "fanout": 1}, 140, 196),
    ({"nodes": 4, "fanout": 2}, 17_517, 98_824),
    ({"faults": "drop"}, 540, 2_271),
    ({"faults": "dup"}, 801, 4_671),
])
def test_correct_variant_holds_with_equal_bfs_and_dfs_counts(params, states, transitions):
    spec = Gossip(**params)
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (states, states)
    assert bfs.transitions == dfs.transitions == transitions
    assert bfs.ok and bfs.complete
    assert bfs.invariants == {"gossip_integrity": "holds"}
    assert bfs.reachability == {"all_informed": "reached"}


CORRUPT_FORWARD = [
    "client -> n1 Originate(r1, config v2.1)",
    "n1 timeout push_n2",  # the checker chose n2 as n1's first peer
    "n2 <- Push(rumour=r1, from=n1, payload=config v2.1)",
    "n2 timeout push_n1",  # the relay forwards, truncated
    "n1 <- Push(rumour=r1, from=n2, payload=config v2.)",
]


@pytest.mark.parametrize("faults", [None, "drop", "dup"])
def test_corrupt_forward_is_found_by_bfs_in_five_steps(faults):
    result = modelcheck.explore(Gossip(bug="corrupt-forward", faults=faults), "bfs")
    assert not result.ok
    trace = result.violations[0]
    assert trace.property == "gossip_integrity"
    assert [s.label for s in trace.steps] == CORRUPT_FORWARD
    assert Gossip().explain("gossip_integrity", trace.last_state) == \
        "n1 holds ('r1', 'config v2.'), which was never sent"
    # the correct variant holds at the same bounds
    assert modelcheck.explore(Gossip(faults=faults), "bfs").ok


def test_fanout_one_may_leave_a_node_uninformed():
    """n1 -> n2, n2 -> n1 (already seen): n3 never learns; nothing is left to do."""
    spec = Gossip(fanout=1)
    c = spec.initial_states()[0]
    for label in ["client -> n1 Originate(r1, config v2.1)", "n1 timeout push_n2",
                  "n2 <- Push(rumour=r1, from=n1, payload=config v2.1)", "n2 timeout push_n1",
                  "n1 <- Push(rumour=r1, from=n2, payload=config v2.1)"]:
        c = dict((spec.format_action(a), t) for a, t in spec.successors(c))[label]
    assert spec.successors(c) == []
    assert spec.state_of(c, "n3").seen == frozenset()
    assert not spec.all_informed(c) and spec.gossip_integrity(c)


def test_a_node_pushes_each_rumour_to_fanout_distinct_peers():
    spec = Gossip(nodes=4, fanout=2)
    c = spec.initial_states()[0]
    c = dict((spec.format_action(a), t) for a, t in spec.successors(c))["client -> n2 Originate(r1, config v2.1)"]
    assert c.timers.n2 == ("push_n1", "push_n3", "push_n4")  # any peer may come first
    c = dict((spec.format_action(a), t) for a, t in spec.successors(c))["n2 timeout push_n4"]
    assert c.timers.n2 == ("push_n1", "push_n3")
    c = dict((spec.format_action(a), t) for a, t in spec.successors(c))["n2 timeout push_n1"]
    assert c.timers.n2 == () and spec.state_of(c, "n2").pushing == ()  # fanout reached
    assert sorted((dst, msg.payload) for _, dst, msg in spec.in_flight(c)) == \
        [("n1", "config v2.1"), ("n4", "config v2.1")]


def test_a_counterexample_replays():
    result = modelcheck.explore(Gossip(bug="corrupt-forward"), "bfs")
    data = parse_trace(json.dumps(trace_to_dict(result.violations[0]), default=str))
    assert replay(data, spec_from_trace(data)).outcome == "reproduced"
    assert replay(data, Gossip()).outcome != "reproduced"


def test_catalogue_functions():
    sent = {("r1", "a")}
    assert invariants.gossip_integrity([("r1", "a"), ("r1", "a")], sent)
    assert invariants.gossip_integrity([], sent)
    assert not invariants.gossip_integrity([("r1", "b")], sent)
    assert invariants.explain_gossip_integrity({"n1": [("r1", "a")], "n2": [("r1", "b")]}, sent) == \
        "n2 holds ('r1', 'b'), which was never sent"


def test_parameters_are_checked():
    with pytest.raises(SpecError, match="fanout=3 .* must be <= nodes - 1 = 2"):
        Gossip(fanout=3)
    with pytest.raises(SpecError, match="nodes"):
        Gossip(nodes=1)
    assert "gossip" in modelcheck.library()
