import pytest

from modelcheck import build, explore
from modelcheck.result import HOLDS, VIOLATED


@pytest.mark.parametrize("rms, states", [(3, 288), (4, 1568), (5, 8832)])
def test_distinct_states_match_tlc(rms, states):
    r = explore(build("twophase", {"rms": rms}))
    assert r.complete and r.ok
    assert r.distinct_states == states
    assert r.invariants == {"consistent": HOLDS}


def test_early_commit_bug_found_with_shortest_trace():
    r = explore(build("twophase", {"rms": 3, "bug": "early-commit"}))
    assert r.invariants["consistent"] == VIOLATED
    (trace,) = r.violations
    # prepare, TM learns it, TM commits, that RM commits, another RM aborts
    assert [s.label for s in trace.steps] == [
        "RMPrepare(r1)", "TMRcvPrepared(r1)", "TMCommit", "RMRcvCommitMsg(r1)", "RMChooseToAbort(r2)"]


def test_dfs_agrees_on_the_reachable_set():
    assert explore(build("twophase", {"rms": 4}), "dfs").distinct_states == 1568


def test_coverage_counts_every_kind_of_action():
    r = explore(build("twophase", {"rms": 3}))
    assert set(r.coverage) == {"TMCommit", "TMAbort", "TMRcvPrepared", "RMPrepare", "RMChooseToAbort",
                               "RMRcvCommitMsg", "RMRcvAbortMsg"}
    assert sum(r.coverage.values()) == r.transitions


def test_plain_tuple_states_are_shown_with_their_field_names():
    """The search runs on plain tuples (cheaper to build); traces, graphs and simulations
    show them through ``readable`` with the TLA+ variables' names."""
    import json

    from modelcheck.graph import state_graph
    from modelcheck.simulate import simulate

    spec = build("twophase", {"rms": 2, "bug": "early-commit"})
    assert type(next(iter(spec.initial_states()))) is tuple
    (trace,) = explore(spec).violations
    assert type(trace.last_state) is tuple  # the spec's own, for its invariants and explain
    assert trace.shown_states[-1].rm == ("committed", "aborted") and trace.shown_states[0].tm == "init"
    from modelcheck.trace.format import trace_to_dict

    assert trace_to_dict(trace)["steps"][-1]["state"]["rm"] == ["committed", "aborted"]
    node = state_graph(spec).nodes[0]
    assert set(json.loads(node["state"])) == {"rm", "tm", "prepared", "msgs"}
    sim = simulate(spec, steps=3, seed=1)
    assert set(sim.initial) == set(sim.moments[-1].state) == {"rm", "tm", "prepared", "msgs"}
