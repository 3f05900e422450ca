"""Issue 3, partitions: with five nodes split 3|2, the majority side can still elect a
leader and commit, and the minority side cannot (a reachability property and an invariant).

A partition only delays the messages across the cut (they are delivered after ``heal``),
so on an asynchronous network it adds no new behaviour; what it adds is that the
scenario can be named, forced and checked, as here.
"""

from __future__ import annotations

import pytest
from protocols import Commit, Stream

import modelcheck
from modelcheck import SpecError, sometimes

SPLIT = "split=n1+n2+n3|n4+n5"


class PartitionedFromStart(Commit):
    """Commit whose first step is the partition (so everything below happens while cut)."""

    def initial_states(self):
        (c,) = super().initial_states()
        return [t for a, t in self.successors(c) if a[0] == "partition"]

    @sometimes
    def minority_candidate_leads(self, c) -> bool:
        """n4, on the minority side of the split, is elected."""
        return ("leader", "n4") in c.ghost


def test_the_majority_side_commits_and_the_minority_never_leads():
    spec = PartitionedFromStart(faults=SPLIT)
    (c,) = spec.initial_states()
    assert c.faults.cut == (frozenset({"n1", "n2", "n3"}), frozenset({"n4", "n5"}))
    bfs = modelcheck.explore(spec, "bfs")
    assert bfs.complete and bfs.invariants == {"minority_cannot_lead": "holds"}
    assert bfs.reachability == {"majority_commits": "reached", "minority_candidate_leads": "reached"}
    example = [s.label for s in bfs.examples["majority_commits"].steps]
    assert example[0] == "n1 timeout election" and example[-1].startswith("n1 <- Ack(")
    # n4 is elected only after the heal
    healed = [s.label for s in bfs.examples["minority_candidate_leads"].steps]
    assert "heal" in healed
    dfs = modelcheck.explore(spec, "dfs")
    assert dfs.distinct_states == bfs.distinct_states


def test_without_the_partition_the_minority_candidate_can_lead():
    class Unpartitioned(PartitionedFromStart):
        def initial_states(self):
            return Commit.initial_states(self)

    result = modelcheck.explore(Unpartitioned(), "bfs")
    assert result.reachability["minority_candidate_leads"] == "reached"
    assert result.distinct_states == 71_507


def test_partition_labels_and_any_split():
    spec = Stream(count=1, faults="partition=1")
    (c,) = spec.initial_states()
    labels = [spec.format_action(a) for a, _ in spec.successors(c)]
    assert labels == ["n2 <- Data(seq=1, from=n1)", "partition {n1} | {n2}"]
    cut = dict((spec.format_action(a), t) for a, t in spec.successors(c))["partition {n1} | {n2}"]
    assert [spec.format_action(a) for a, _ in spec.successors(cut)] == ["heal"]  # nothing crosses
    healed = spec.successors(cut)[0][1]
    assert [spec.format_action(a) for a, _ in spec.successors(healed)] == ["n2 <- Data(seq=1, from=n1)"]
    five = Commit(faults="partition=1")
    assert len(five._splits) == 15  # every two-sided split of five nodes


def test_the_partition_budget_bounds_partition_events():
    counts = [modelcheck.explore(Stream(count=2, faults=f"fifo,partition={k}"), "bfs").distinct_states
              for k in (0, 1, 2)]
    assert counts == [3, 9, 15]  # each partition event (plus its heal) adds a cut and an uncut copy


def test_splits_are_checked():
    with pytest.raises(SpecError, match="unknown node 'n9'"):
        Stream(faults="split=n1|n9")
    with pytest.raises(SpecError, match="exactly one side"):
        Commit(faults="split=n1+n2|n3")
