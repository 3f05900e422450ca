"""Issue 3, Byzantine nodes: one-shot agreement with n = 3f + 1 and quorum 2f + 1 survives
a Byzantine (equivocating) leader; a quorum computed as if n were 3f does not."""

from __future__ import annotations

import pytest
from protocols import Agreement, Prepare, Propose

import modelcheck
from modelcheck import SpecError


def test_agreement_holds_with_f_byzantine_nodes():
    spec = Agreement(faults="byzantine=1")
    assert spec.quorum == 3 and spec.byzantine_nodes == ("n4",) and spec.correct_nodes == ("n1", "n2", "n3")
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert bfs.ok and bfs.complete
    assert bfs.distinct_states == dfs.distinct_states == 46_656
    assert set(bfs.coverage) == {"deliver Prepare", "byzantine Propose", "byzantine Prepare"}


def test_too_small_quorums_are_safe_without_byzantine_nodes():
    result = modelcheck.explore(Agreement(bug="small-quorum"), "bfs")
    assert result.ok and result.distinct_states == 5_832


def test_too_small_quorums_are_caught_with_a_byzantine_leader():
    result = modelcheck.explore(Agreement(bug="small-quorum", faults="byzantine=1"), "bfs")
    trace = result.violations[0]
    assert [s.label for s in trace.steps] == [
        "n4 (byzantine) -> n1 Propose(v=a)",
        "n4 (byzantine) -> n2 Propose(v=b)",  # equivocation: a different proposal to n2
        "n4 (byzantine) -> n1 Prepare(v=a)",
        "n4 (byzantine) -> n2 Prepare(v=b)",
    ]
    assert [s.decided for s in trace.last_state.nodes[:3]] == ["a", "b", ""]
    assert trace.faults == {"network": "unordered", "byzantine": 1}


def test_byzantine_nodes_cannot_forge_and_invariants_see_only_correct_nodes():
    spec = Agreement(faults="byzantine=1")
    (c,) = spec.initial_states()
    assert c.nodes[3] is None and [n for n, _ in spec.node_states(c)] == ["n1", "n2", "n3"]
    seen = set()
    frontier = [c]
    for _ in range(3):  # a few levels are enough to see every kind of step
        frontier = [t for s in frontier for _, t in spec.successors(s)]
        for s in frontier:
            for src, dst, msg in spec.in_flight(s):
                seen.add(src)
                assert dst != "n4"  # messages to a Byzantine node are not kept
    assert seen == {"n1", "n2", "n3"}  # what is in flight was sent by correct nodes
    labels = [spec.format_action(a) for a, _ in spec.successors(c)]
    assert labels == [f"n4 (byzantine) -> {d} {m}" for m in
                      ("Propose(v=a)", "Propose(v=b)", "Prepare(v=a)", "Prepare(v=b)")
                      for d in ("n1", "n2", "n3")]
    assert Propose("a") != Prepare("a")  # the kind is part of a message


def test_byzantine_needs_a_vocabulary_and_enough_nodes():
    from protocols import Stream

    with pytest.raises(SpecError, match="declares no byzantine_messages"):
        Stream(faults="byzantine=1")
    with pytest.raises(SpecError, match="byzantine=4 needs more than 4 nodes"):
        Agreement(faults="byzantine=4")
