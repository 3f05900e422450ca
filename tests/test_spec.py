"""Spec hooks seen from the outside: what people are shown versus what the spec is given."""

from __future__ import annotations

import pytest

from modelcheck import Param, Spec, SpecError, explore
from modelcheck.fuzz.check import render
from modelcheck.simulate import simulate
from modelcheck.trace.format import trace_to_dict

from models import Labelled


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_readable_is_for_showing_only(strategy):
    """A violation is found and explained on the spec's own states, and shown readable."""
    spec = Labelled()
    r = explore(spec, strategy, deadlock=False)
    assert r.error is None and r.invariants == {"small": "violated"}
    (trace,) = r.violations
    assert trace.last_state == (2, "idle")
    assert spec.explain("small", trace.last_state) == "n is 2 (tuple)"
    data = trace_to_dict(trace)
    assert data["initial"]["state"] == {"n": 0, "mode": "idle"}
    assert [s["state"] for s in data["steps"]] == [{"n": 1, "mode": "idle"}, {"n": 2, "mode": "idle"}]
    assert "n is 2 (tuple)" in render(spec, trace)


def test_simulation_shows_readable_states_and_explains_the_spec_state():
    sim = simulate(Labelled(), steps=5, seed=0)
    assert sim.initial == {"n": 0, "mode": "idle"}
    assert [m.state for m in sim.moments] == [{"n": 1, "mode": "idle"}, {"n": 2, "mode": "idle"}]


@pytest.mark.parametrize("text", ["nan", "inf", "-inf"])
def test_a_float_parameter_must_be_finite(text):
    class Rated(Spec):
        rate = Param(0.5, min=0.0, max=1.0)

        def initial_states(self):
            return [0]

        def successors(self, s):
            return []

    with pytest.raises(SpecError, match="must be a finite number"):
        Rated(rate=text)


@pytest.mark.parametrize("text", ["none", "None"])
def test_bug_none_names_the_correct_spec(text):
    from modelcheck import build

    assert build("twophase", {"bug": text}).bug is None
