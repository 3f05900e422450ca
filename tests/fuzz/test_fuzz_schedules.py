"""The schedules strategy draws real executions and stops where a test should look."""

from hypothesis import given, settings

from modelcheck import build
from modelcheck.fuzz import Schedule, follow, schedules

from models import Chain

BUGGY = build("twophase", {"bug": "early-commit"})


@settings(max_examples=40, derandomize=True, database=None)
@given(schedules(BUGGY, max_steps=12))
def test_every_step_is_an_enabled_transition(schedule: Schedule):
    assert len(schedule) <= 12 and len(schedule.states) == len(schedule) + 1
    state = schedule.states[0]
    for index, action, after in zip(schedule.indices, schedule.actions, schedule.states[1:]):
        assert list(BUGGY.successors(state))[index] == (action, after)
        state = after
    broken = [name for name, holds in BUGGY.invariants() if not holds(schedule.last_state)]
    if schedule.failure is not None:  # ends at its first failure, not later
        assert broken == [schedule.failure.property]
        assert all(BUGGY.consistent(s) for s in schedule.states[:-1])
    else:
        assert not broken


@settings(max_examples=10, derandomize=True, database=None)
@given(schedules("twophase", params={"rms": 2}, max_steps=3))
def test_a_registry_reference_is_built_with_its_params(schedule: Schedule):
    assert schedule.spec.rms == 2 and len(schedule.spec.readable(schedule.states[0]).rm) == 2


@settings(max_examples=5, derandomize=True, database=None)
@given(schedules(Chain(length=3), max_steps=10))
def test_a_reported_deadlock_ends_the_schedule(schedule: Schedule):
    assert len(schedule) == 3
    assert (schedule.failure.kind, schedule.failure.property) == ("deadlock", "deadlock")


def test_follow_matches_actions_not_indices():
    # after r1 aborts, RMPrepare(r2) moves from index 3 to index 1 of the enabled transitions
    s = follow(BUGGY, 0, [("RMChooseToAbort", 0), ("RMPrepare", 1)])
    assert s.indices == (2, 1)
    assert BUGGY.readable(s.last_state).rm == ("aborted", "prepared", "working")
