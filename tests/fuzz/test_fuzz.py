"""Fuzzing finds the twophase bug, shrinks it near BFS's shortest, and reports it like explore."""

import pytest

from modelcheck import build, explore, invariant
from modelcheck.fuzz import CounterexampleFound, check_spec, fuzz
from modelcheck.replay import replay
from modelcheck.result import UNKNOWN, VIOLATED
from modelcheck.specs.raft_election import RaftElection
from modelcheck.trace.format import read_trace, trace_to_dict

from models import BadInvariant, Chain, Raises
from fuzz_helpers import assert_one_minimal

BUG = {"bug": "early-commit"}
BFS_SHORTEST = 5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_the_bug_within_two_steps_of_bfs(seed):
    assert len(explore(build("twophase", BUG)).violations[0]) == BFS_SHORTEST
    r = fuzz("twophase", params=BUG, examples=200, seed=seed)
    assert r.strategy == "fuzz" and r.seed == seed
    assert r.invariants == {"consistent": VIOLATED} and r.exit_code == 1
    (trace,) = r.violations
    assert trace.strategy == "fuzz" and trace.seed == seed
    assert len(trace) <= BFS_SHORTEST + 2
    assert r.stats["steps_after_shrink"] == len(trace) <= r.stats["steps_after_hypothesis"]
    assert_one_minimal(build("twophase", BUG), [s.action for s in trace.steps])


def test_correct_twophase_holds():
    r = check_spec("twophase", params={"rms": 3}, examples=60, seed=5, save_to=None)
    assert r.ok and r.invariants == {"consistent": UNKNOWN}
    assert r.verdict == "no violation found in the sampled executions"
    assert r.stats["examples"] == 60 and r.bounds == {"examples": 60, "max_steps": 50}
    assert r.transitions > 0 and set(r.coverage) >= {"RMPrepare", "TMAbort"}


def test_same_seed_same_result():
    def run():
        r = fuzz(build("twophase", BUG), examples=100, seed=11)
        stats = {k: v for k, v in r.stats.items() if not k.endswith("seconds")}
        return [trace_to_dict(t) for t in r.violations], stats, r.distinct_states, r.transitions

    assert run() == run()


def test_violation_raises_with_the_rendered_trace_and_saves_a_replayable_file(tmp_path):
    with pytest.raises(CounterexampleFound) as info:
        check_spec(build("twophase", BUG), examples=100, seed=3, save_to=tmp_path)
    message = str(info.value)
    assert "violation of consistent" in message and "seed 3" in message
    assert "TMCommit" in message and "violated: consistent" in message
    (path,) = tmp_path.glob("twophase-consistent-*.json")
    assert info.value.result.saved == [str(path)]
    data = read_trace(str(path))
    assert data["strategy"] == "fuzz" and data["seed"] == 3 and data["params"] == {"rms": 3, **BUG}
    assert replay(data).outcome == "reproduced"


def test_expected_violation_passes_and_is_not_saved(tmp_path):
    r = check_spec("twophase", params=BUG, examples=100, seed=3, save_to=tmp_path,
                   expect_violation="consistent")
    assert r.invariants["consistent"] == VIOLATED
    assert not list(tmp_path.iterdir())


def test_missing_expected_violation_fails():
    with pytest.raises(AssertionError, match="expected a violation of consistent, but none was found in 20"):
        check_spec("twophase", examples=20, seed=1, save_to=None, expect_violation="consistent")


def test_spec_that_raises_is_an_error_trace():
    r = fuzz(Raises(), examples=5, seed=0)
    assert r.exit_code == 2 and len(r.error) == 3
    assert "ZeroDivisionError: boom at 3" in r.error.error
    with pytest.raises(CounterexampleFound, match="boom at 3"):
        check_spec(Raises(), examples=5, seed=0, save_to=None, expect_violation=True)


def test_invariant_that_raises_is_an_error_trace_to_that_state():
    r = fuzz(BadInvariant(at=3), examples=5, seed=0)
    assert r.exit_code == 2 and r.error.last_state == 3 and len(r.error) == 3
    assert r.error.error.startswith("the spec raised while checking invariant fragile: ValueError: invariant bug "
                                    "at 3 (at models.py:")
    start = fuzz(BadInvariant(at=0), examples=5, seed=0)
    assert start.exit_code == 2 and len(start.error) == 0 and "invariant bug at 0" in start.error.error
    with pytest.raises(CounterexampleFound, match="checking invariant fragile: ValueError: invariant bug at 3"):
        check_spec(BadInvariant(at=3), examples=5, seed=0, save_to=None)


def test_sometimes_property_that_raises_is_an_error_trace_to_that_state():
    from models import SometimesRaises

    r = fuzz(SometimesRaises(), examples=5, seed=0)
    assert r.exit_code == 2 and r.error.last_state == 3 and len(r.error) == 3
    assert "checking sometimes-property five: ValueError: sometimes bug at 3" in r.error.error


def test_initial_states_that_raise_are_a_spec_error():
    from models import BadStart

    from modelcheck import SpecError

    with pytest.raises(SpecError, match="the spec raised on its initial states: KeyError: 'no initial'"):
        fuzz(BadStart(), examples=5, seed=0)


def test_deadlock_is_reported_when_the_spec_asks():
    r = fuzz(Chain(length=4), examples=5, seed=0)
    (trace,) = r.violations
    assert trace.kind == "deadlock" and len(trace) == 4


def test_bad_bounds_are_spec_errors():
    from modelcheck import SpecError

    with pytest.raises(SpecError, match="max_steps must be >= 0"):
        fuzz("twophase", max_steps=-1)
    with pytest.raises(TypeError, match="params and faults are for a spec given by name"):
        fuzz(build("twophase"), params={"rms": 2})


def test_unhashable_state_is_a_spec_error():
    from modelcheck import SpecError
    from models import Unhashable

    with pytest.raises(SpecError, match="state.history .list. cannot be hashed"):
        fuzz(Unhashable(), examples=5, seed=0)


def test_an_expected_violation_of_no_such_invariant_is_a_spec_error():
    """Found by a review: a misspelt name fuzzed on, then said the violation was not found."""
    from modelcheck import SpecError

    with pytest.raises(SpecError, match=r"expect_violation='bogus': spec 'chain' has no such invariant \(it has below_limit, deadlock\)"):
        check_spec(Chain(), expect_violation="bogus", examples=5)
    # a deadlock is expected by that name (a review found it refused): Chain checks deadlocks
    assert check_spec(Chain(length=3), expect_violation="deadlock", examples=5, save_to=None).violations


class Interrupted(RaftElection):
    """Ctrl-C (a KeyboardInterrupt from inside the spec) when the violation is met for the
    ``after + 1``-th time: while Hypothesis shrinks the failure, or later."""

    after = 0
    seen = 0

    @invariant
    def election_safety(self, c):
        holds = super().election_safety(c)
        if not holds:
            Interrupted.seen += 1
            if Interrupted.seen == self.after + 1:  # once, as a key press
                raise KeyboardInterrupt
        return holds


def test_ctrl_c_after_a_failure_was_found_reports_it():
    """Found by a review: Ctrl-C while Hypothesis shrank said "no violation found" (exit 0)
    and saved nothing; during delta debugging it lost the summary."""
    bug = {"bug": "no-voted-for-check"}
    plain = fuzz(RaftElection(**bug), examples=300, seed=2)
    assert (plain.stats["steps_found"], plain.stats["steps_after_hypothesis"], len(plain.violations[0])) == (9, 7, 6)
    Interrupted.seen, Interrupted.after = 0, 10**9  # count how many times the run meets the violation
    fuzz(Interrupted(**bug), examples=300, seed=2)
    met = Interrupted.seen
    assert met > 10
    for after in (1, 5, met - 2):  # in Hypothesis's shrinking, then in delta debugging
        Interrupted.seen, Interrupted.after = 0, after
        r = fuzz(Interrupted(**bug), examples=300, seed=2)
        assert "interrupted" in r.cut_by and r.exit_code == 1, after
        (trace,) = r.violations
        assert trace.property == "election_safety" and 6 <= len(trace) <= 9


def test_ctrl_c_before_any_failure_stops_the_test_instead_of_passing_it():
    """Found in review: check_spec swallowed Ctrl-C and returned, so the test passed and
    pytest went on to the next one."""
    calls = [0]

    class Pressed(RaftElection):
        @invariant
        def election_safety(self, c):
            calls[0] += 1
            if calls[0] == 50:
                raise KeyboardInterrupt
            return super().election_safety(c)

    with pytest.raises(KeyboardInterrupt):
        check_spec(Pressed(), examples=100, seed=1, save_to=None)
    assert calls[0] == 50
    calls[0] = 0
    r = fuzz(Pressed(), examples=100, seed=1)  # fuzz itself returns what it saw, marked
    assert "interrupted" in r.cut_by and r.exit_code == 130 and not r.violations


def test_an_explanation_that_raises_leaves_the_counterexample_to_report():
    """Found in review: check_spec raised the explanation's own ZeroDivisionError, and the
    rendered trace was lost."""
    class Explained(Chain):
        def explain_below_limit(self, s):
            return 1 / 0

    with pytest.raises(CounterexampleFound, match=r"(?s)Step.*the spec raised while explaining it: ZeroDivisionError"):
        check_spec(Explained(length=3, limit=2), examples=20, seed=1, save_to=None)
