"""Random walks: a spec that raises is an error result (as in BFS), and --max-states is honoured."""

import json

import pytest

from modelcheck import Spec, SpecError, explore, sometimes
from modelcheck.result import REACHED, UNKNOWN

from models import BadInvariant, BadStart, Chain, Diamond, NoStart, Raises, SometimesRaises, Unhashable
from test_cli import MODELS, modelcheck

#: a spec file for the command line whose initial states raise
BAD_START = '''
from modelcheck import Spec

class BadStart(Spec):
    def initial_states(self):
        raise KeyError("no initial")

    def successors(self, s):
        return []
'''


def walks(spec, **options):
    return explore(spec, "random", walks=20, depth=10, seed=1, **options)


def test_invariant_that_raises_is_an_error_with_the_walk_to_that_state():
    # BadInvariant is a chain 0..5: every walk reaches 3 at step 3
    r = walks(BadInvariant(at=3))
    assert r.exit_code == 2 and r.strategy == "random"
    assert r.error.error.startswith("the spec raised while checking an invariant: ValueError: invariant bug at 3 "
                                    "(at models.py:")
    assert r.error.last_state == 3 and len(r.error) == 3 and r.error.seed == 1
    assert r.stats["walks"] == 1  # the run stops at the error


def test_invariant_that_raises_on_the_initial_state_is_an_error():
    r = walks(BadInvariant(at=0))
    assert r.exit_code == 2 and "invariant bug at 0" in r.error.error and len(r.error) == 0


def test_sometimes_property_that_raises_is_an_error_with_its_walk():
    r = walks(SometimesRaises())
    assert r.exit_code == 2 and "ValueError: sometimes bug at 3" in r.error.error
    assert r.error.last_state == 3 and len(r.error) == 3


def test_successors_that_raise_are_an_error_with_the_walk():
    r = walks(Raises())
    assert r.exit_code == 2 and "while computing successors: ZeroDivisionError: boom at 3" in r.error.error
    assert r.error.last_state == 3 and len(r.error) == 3


def test_initial_states_that_raise_or_are_missing_are_spec_errors():
    with pytest.raises(SpecError, match=r"the spec raised on its initial states: KeyError: 'no initial' \(at "):
        walks(BadStart())
    with pytest.raises(SpecError, match="the spec has no initial state"):
        walks(NoStart())


def test_unhashable_state_names_the_field():
    with pytest.raises(SpecError, match=r"state\.history \(list\)"):
        walks(Unhashable())


def test_max_states_stops_the_walks():
    # Diamond(n=6) has (6+1)^2 = 49 states; these walks see them all when not bounded
    assert explore(Diamond(n=6), "random", walks=1000, depth=24, seed=7, keep_going=True).distinct_states == 49
    r = explore(Diamond(n=6), "random", walks=1000, depth=24, seed=7, keep_going=True, max_states=10)
    assert r.distinct_states == 10 and r.cut_by == ["max_states"] and r.bounds["max_states"] == 10
    assert r.stats["walks"] < 1000
    # the corner (6, 6) is 12 steps from (0, 0): no walk within 10 distinct states can reach it
    assert r.ok and r.invariants == {"not_corner": UNKNOWN}


def test_max_states_not_reached_cuts_nothing():
    r = explore(Chain(length=3), "random", walks=5, seed=1, deadlock=False, max_states=10)
    assert r.distinct_states == 4 and r.cut_by == [] and r.stats["walks"] == 5


def test_cli_invariant_that_raises_exits_2_without_traceback(tmp_path):
    r = modelcheck("explore", f"{MODELS}:BadInvariant", "-s", "random", "--walks", "5", "--seed", "1",
                   "--no-save", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "the spec raised while checking an invariant: ValueError: invariant bug at 3 (at models.py:" in r.stdout
    assert "Traceback" not in r.stderr + r.stdout


def test_cli_max_states(tmp_path):
    r = modelcheck("explore", f"{MODELS}:Diamond", "-p", "n=6", "-s", "random", "--walks", "1000", "--depth", "24",
                   "--seed", "7", "--max-states", "10", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["distinct_states"] == 10 and data["cut_by"] == ["max_states"]


@pytest.mark.parametrize("command", [["explore", "-s", "random"], ["simulate"], ["graph"], ["fuzz", "-n", "5"]])
def test_cli_initial_states_that_raise_are_one_line_errors(tmp_path, command):
    (tmp_path / "bad_start.py").write_text(BAD_START)
    r = modelcheck(*command, "./bad_start.py:BadStart", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error: the spec raised on its initial states: KeyError: 'no initial' "
                               "(at bad_start.py:6 in initial_states)")
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_sometimes_property_of_the_initial_state_is_reached():
    class StartsDone(Spec):
        def initial_states(self):
            return [0]

        def successors(self, s):
            return [("Step", s + 1)] if s < 2 else []

        @sometimes
        def zero(self, s):
            return s == 0

    r = walks(StartsDone(), deadlock=False)
    assert r.reachability == {"zero": REACHED} and len(r.examples["zero"]) == 0
