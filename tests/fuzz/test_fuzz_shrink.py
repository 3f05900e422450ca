"""Delta debugging leaves a 1-minimal schedule, with indices recomputed for the new states."""

import importlib

import pytest

from modelcheck import Spec, build, invariant
from modelcheck.fuzz import follow, shrink
from modelcheck.fuzz.shrink import shortcut
from modelcheck.fuzz.strategies import NotEnabled, closest

from fuzz_helpers import assert_one_minimal

BUGGY = build("twophase", {"bug": "early-commit"})


def test_removes_every_step_that_does_not_matter():
    padded = [("RMPrepare", 2), ("RMPrepare", 0), ("TMRcvPrepared", 0), ("TMRcvPrepared", 2), ("TMCommit",),
              ("RMRcvCommitMsg", 2), ("RMRcvCommitMsg", 0), ("RMChooseToAbort", 1)]
    failing = follow(BUGGY, 0, padded)
    assert failing.failure is not None and len(failing) == 8
    shrunk = shrink(failing)
    assert len(shrunk) == 5
    assert_one_minimal(BUGGY, list(shrunk.actions))
    assert shrunk.failure.property == "consistent"


class Counters(Spec):
    """Two counters; ``Inc y`` comes first while y < 2, so removing it shifts the index of ``Inc x``."""

    def initial_states(self):
        return [(0, 0)]

    def successors(self, s):
        x, y = s
        return ([(("Inc", "y"), (x, y + 1))] if y < 2 else []) + [(("Inc", "x"), (x + 1, y))]

    @invariant
    def x_below_3(self, s):
        return s[0] < 3


def test_indices_are_recomputed_after_steps_are_removed():
    failing = follow(Counters(), 0, [("Inc", "y"), ("Inc", "y"), ("Inc", "x"), ("Inc", "x"), ("Inc", "x")])
    assert failing.indices == (0, 0, 0, 0, 0)
    shrunk = shrink(failing)
    assert shrunk.actions == (("Inc", "x"),) * 3
    assert shrunk.indices == (1, 1, 1)


def test_a_step_that_is_not_enabled_is_reported():
    with pytest.raises(NotEnabled, match=r"step 1 \(TMCommit\)"):
        follow(BUGGY, 0, [("TMCommit",)])


def test_only_failing_schedules_shrink():
    with pytest.raises(ValueError):
        shrink(follow(BUGGY, 0, [("RMPrepare", 0)]))


class Terms(Spec):
    """``Timeout`` starts a new term; ``Send`` sends a message of the current term (one per term)."""

    def initial_states(self):
        return [(0, ())]

    def successors(self, s):
        term, sent = s
        out = [(("Timeout",), (term + 1, sent))] if term < 3 else []
        if term not in sent:
            out.append((("Send", term), (term, sent + (term,))))
        return out

    @invariant
    def one_send(self, s):
        return len(s[1]) < 2


def test_a_step_whose_data_changes_is_matched_to_the_most_similar_action():
    failing = follow(Terms(), 0, [("Timeout",), ("Send", 1), ("Timeout",), ("Send", 2)])
    # without the first Timeout, Send(1) is not enabled: Send(0) is the same kind of step
    assert closest(("Send", 1), [("Timeout",), ("Send", 0)]) == 1
    assert closest(("Send", 1), [("Timeout",)]) is None
    shrunk = shrink(failing)
    assert shrunk.actions == (("Send", 0), ("Timeout",), ("Send", 1))
    assert_one_minimal(Terms(), list(shrunk.actions))


def test_the_same_bug_can_shrink_to_different_one_minimal_traces():
    """1-minimal is what shrinking guarantees, not a normal form: the trace depends on the seed."""
    from modelcheck.fuzz import fuzz

    shrinking = importlib.import_module("modelcheck.fuzz.shrink")  # the module, not the function
    spec = build("raft-election", {"bug": "no-voted-for-check"})
    traces = [fuzz(spec, examples=100, max_steps=50, seed=seed).violations[0] for seed in (0, 4)]
    actions = [[step.action for step in trace.steps] for trace in traces]
    assert actions[0] != actions[1] and len(actions[0]) == len(actions[1]) == 6
    for found in actions:
        assert_one_minimal(spec, found)
    assert "normal form" not in shrinking.__doc__ and "1-minimal" in shrinking.__doc__


class Detour(Spec):
    """A counter that reaches 5 one step at a time, or at once by ``Jump``; ``Jump7`` breaks
    another invariant in one step.  Every ``Step`` of the slow path is needed, so only a
    search finds the one-step path."""

    def initial_states(self):
        return [0]

    def successors(self, s):
        out = [("Step", s + 1)] if s < 5 else []
        if s == 0:
            out += [("Jump7", 7), ("Jump", 5)]
        return out

    @invariant
    def not_seven(self, s):
        return s != 7

    @invariant
    def not_five(self, s):
        return s != 5


def test_a_bounded_search_finds_a_shorter_path_than_delta_debugging_can():
    slow = follow(Detour(), 0, ["Step"] * 5)
    assert slow.failure.property == "not_five" and len(shrink(slow)) == 5  # 1-minimal already
    short = shortcut(slow)
    assert list(short.actions) == ["Jump"] and short.failure.property == "not_five"  # not Jump7
    assert shortcut(slow, budget=2) is slow  # over its budget it gives up


def test_the_search_keeps_a_schedule_that_is_already_shortest():
    found = follow(BUGGY, 0, [("RMPrepare", 0), ("TMRcvPrepared", 0), ("TMCommit",), ("RMRcvCommitMsg", 0),
                              ("RMChooseToAbort", 1)])
    assert found.failure.property == "consistent"
    assert shortcut(found) is found  # twophase early-commit: 5 steps is BFS's shortest


class TwoErrors(Spec):
    """Raises ValueError three steps along x, TypeError one step along y: two different bugs."""

    def initial_states(self):
        return [(0, 0)]

    def successors(self, s):
        if s == (3, 0):
            raise ValueError("bug A")
        if s == (0, 1):
            raise TypeError("bug B")
        x, y = s
        return [(("x", x), (x + 1, y))] + ([(("y", y), (x, y + 1))] if y < 2 else [])


def test_shrinking_keeps_the_exception_it_was_given():
    # another exception raised while doing the same thing is another bug (as replay judges)
    found = follow(TwoErrors(), 0, [("x", 0), ("x", 1), ("x", 2)])
    assert isinstance(found.failure.exception, ValueError)
    assert shortcut(found) is found and len(shrink(found)) == 3
