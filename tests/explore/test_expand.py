"""The breadth-first search's per-transition loop: the compiled one (_expand.c) does exactly
what the Python one does, and CI checks that the compiled one is in use."""

from __future__ import annotations

import itertools
import os
import sys

import pytest

import modelcheck.explore.bfs  # noqa: F401  (the package's `explore` attribute is the function)
from modelcheck import explore
from modelcheck.spec import action_kind
from modelcheck.specs.twophase import TwoPhase

bfs = sys.modules["modelcheck.explore.bfs"]

try:
    from modelcheck.explore._expand import expand as compiled
except ImportError:
    compiled = None

LOOPS = [pytest.param(bfs.expand_py, id="python"),
         pytest.param(compiled, id="compiled",
                      marks=pytest.mark.skipif(compiled is None, reason="_expand.c was not built"))]


class Event:  # an action that is neither a string nor a tuple
    def __hash__(self):
        return 1


def test_the_compiled_loop_is_in_use_where_it_must_be():
    """.ci/run sets MODELCHECK_REQUIRE_COMPILED=1: CI installs with a C compiler, so an install
    that quietly fell back to the Python loop (setup.py builds it as optional) fails here."""
    if not os.environ.get("MODELCHECK_REQUIRE_COMPILED"):
        pytest.skip("MODELCHECK_REQUIRE_COMPILED is not set: either loop may be in use")
    assert compiled is not None, "pip install should have built modelcheck/explore/_expand.c"
    assert bfs.expand is compiled


@pytest.mark.parametrize("expand", LOOPS)
def test_counts_kinds_and_keeps_new_states_in_order(expand):
    seen = {hash("b")}
    coverage = {"Go": 2}
    event = Event()
    pairs = [("Go", "a"), (("Go", 1), "b"), (("Send", 2), "c"), ((), "a"), ((7, "x"), "d"),
             (event, "c"), ("Go", "e")]
    count, new = expand(pairs, None, seen, coverage, action_kind, bfs.pair_of)
    assert count == 7
    assert new == [(0, "a"), (2, "c"), (4, "d"), (6, "e")]
    assert seen == {hash(x) for x in "abcde"}
    assert coverage == {"Go": 5, "Send": 1, "tuple": 1, 7: 1, "Event": 1}


@pytest.mark.parametrize("expand", LOOPS)
def test_takes_any_fingerprint_function_and_pairs_of_any_kind(expand):
    seen: set = set()
    coverage: dict = {}
    count, new = expand(iter([["A", (1, 2)], ("A", (2, 1)), ("B", (3, 0))]), lambda s: sum(s), seen,
                        coverage, action_kind, bfs.pair_of)
    assert (count, new, seen, coverage) == (3, [(0, (1, 2))], {3}, {"A": 2, "B": 1})


@pytest.mark.parametrize("expand", LOOPS)
def test_no_successors(expand):
    assert expand([], None, set(), {}, action_kind, bfs.pair_of) == (0, [])


@pytest.mark.parametrize("expand", LOOPS)
@pytest.mark.parametrize("pairs, error", [
    ([("A", [1])], TypeError),  # an unhashable state
    ([("A", 1, 2)], ValueError),  # not a pair
    ([("A",)], ValueError),
    ([5], TypeError),  # not a sequence
])
def test_errors_are_python_errors(expand, pairs, error):
    with pytest.raises(error):
        expand(pairs, None, set(), {}, action_kind, bfs.pair_of)


@pytest.mark.skipif(compiled is None, reason="_expand.c was not built")
@pytest.mark.parametrize("pair", [("A", 1, 2), ("A",), 5, ["A", [1]], "ab", itertools.count()], ids=repr)
def test_a_malformed_pair_fails_as_in_python(pair):
    """The same exception and message whichever loop runs (they name the error trace)."""
    def outcome(expand):
        try:
            return expand([("B", 0), pair], None, set(), {}, action_kind, bfs.pair_of)
        except Exception as exc:
            return type(exc), str(exc)

    assert outcome(compiled) == outcome(bfs.expand_py)


@pytest.mark.parametrize("expand", LOOPS)
def test_an_error_from_the_spec_goes_through(expand):
    def successors():
        yield "A", 1
        raise ZeroDivisionError("boom")

    def fingerprint(state):
        raise KeyError(state)

    with pytest.raises(ZeroDivisionError, match="boom"):
        expand(successors(), None, set(), {}, action_kind, bfs.pair_of)
    with pytest.raises(KeyError):
        expand([("A", 1)], fingerprint, set(), {}, action_kind, bfs.pair_of)
    with pytest.raises(RuntimeError):
        expand([(Event(), 1)], None, set(), {}, lambda a: (_ for _ in ()).throw(RuntimeError()), bfs.pair_of)


@pytest.mark.skipif(compiled is None, reason="_expand.c was not built")
@pytest.mark.parametrize("spec", [TwoPhase(rms=4), TwoPhase(rms=3, bug="early-commit")], ids=str)
def test_whole_searches_agree(spec, monkeypatch):
    """The same counts, coverage and shortest counterexample whichever loop runs."""
    runs = []
    for expand in (bfs.expand_py, compiled):
        monkeypatch.setattr(bfs, "expand", expand)
        r = explore(spec, "bfs")
        runs.append((r.distinct_states, r.transitions, r.coverage, r.violations))
    assert runs[0] == runs[1]
    if spec.bug is None:
        assert runs[0][0] == 1_568  # TLC's count for TwoPhase with 4 RMs
    else:  # prepare, the TM hears it, commits, the RM commits, another aborts
        assert [len(t) for t in runs[0][3]] == [5]
