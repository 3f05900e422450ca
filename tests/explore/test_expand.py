"""The searches' per-transition loops: the compiled ones (_expand.c) do exactly what the
Python ones (explore/expand.py) do, and CI checks that the compiled ones are in use."""

from __future__ import annotations

import itertools
import os
import sys

import pytest

import modelcheck.explore.bfs  # noqa: F401  (the package's `explore` attribute is the function)
import modelcheck.explore.expand  # noqa: F401
import modelcheck.explore.parallel  # noqa: F401
from modelcheck import explore
from modelcheck.spec import action_kind
from modelcheck.specs.twophase import TwoPhase

bfs = sys.modules["modelcheck.explore.bfs"]
loops = sys.modules["modelcheck.explore.expand"]
parallel = sys.modules["modelcheck.explore.parallel"]

try:
    from modelcheck.explore._expand import expand as compiled, shard_expand as compiled_shard
except ImportError:
    compiled = compiled_shard = None

not_built = pytest.mark.skipif(compiled is None, reason="_expand.c was not built")
LOOPS = [pytest.param(loops.expand_py, id="python"), pytest.param(compiled, id="compiled", marks=not_built)]
SHARD_LOOPS = [pytest.param(loops.shard_expand_py, id="python"),
               pytest.param(compiled_shard, id="compiled", marks=not_built)]


class Event:  # an action that is neither a string nor a tuple
    def __hash__(self):
        return 1


def test_the_compiled_loop_is_in_use_where_it_must_be():
    """.ci/run sets MODELCHECK_REQUIRE_COMPILED=1: CI installs with a C compiler, so an install
    that quietly fell back to the Python loop (setup.py builds it as optional) fails here."""
    if not os.environ.get("MODELCHECK_REQUIRE_COMPILED"):
        pytest.skip("MODELCHECK_REQUIRE_COMPILED is not set: either loop may be in use")
    assert compiled is not None, "pip install should have built modelcheck/explore/_expand.c"
    assert loops.COMPILED and bfs.expand is compiled and parallel.shard_expand is compiled_shard


@pytest.mark.parametrize("expand", LOOPS)
def test_counts_kinds_and_keeps_new_states_in_order(expand):
    seen = {hash("b")}
    coverage = {"Go": 2}
    event = Event()
    pairs = [("Go", "a"), (("Go", 1), "b"), (("Send", 2), "c"), ((), "a"), ((7, "x"), "d"),
             (event, "c"), ("Go", "e")]
    count, new = expand(pairs, None, seen, coverage, action_kind, loops.pair_of)
    assert count == 7
    assert new == [(0, "a"), (2, "c"), (4, "d"), (6, "e")]
    assert seen == {hash(x) for x in "abcde"}
    assert coverage == {"Go": 5, "Send": 1, "tuple": 1, 7: 1, "Event": 1}


@pytest.mark.parametrize("expand", LOOPS)
def test_takes_any_fingerprint_function_and_pairs_of_any_kind(expand):
    seen: set = set()
    coverage: dict = {}
    count, new = expand(iter([["A", (1, 2)], ("A", (2, 1)), ("B", (3, 0))]), lambda s: sum(s), seen,
                        coverage, action_kind, loops.pair_of)
    assert (count, new, seen, coverage) == (3, [(0, (1, 2))], {3}, {"A": 2, "B": 1})


@pytest.mark.parametrize("expand", LOOPS)
def test_no_successors(expand):
    assert expand([], None, set(), {}, action_kind, loops.pair_of) == (0, [])


@pytest.mark.parametrize("expand", LOOPS)
@pytest.mark.parametrize("pairs, error", [
    ([("A", [1])], TypeError),  # an unhashable state
    ([("A", 1, 2)], ValueError),  # not a pair
    ([("A",)], ValueError),
    ([5], TypeError),  # not a sequence
])
def test_errors_are_python_errors(expand, pairs, error):
    with pytest.raises(error):
        expand(pairs, None, set(), {}, action_kind, loops.pair_of)


@pytest.mark.skipif(compiled is None, reason="_expand.c was not built")
@pytest.mark.parametrize("pair", [("A", 1, 2), ("A",), 5, ["A", [1]], "ab", itertools.count()], ids=repr)
def test_a_malformed_pair_fails_as_in_python(pair):
    """The same exception and message whichever loop runs (they name the error trace)."""
    def outcome(expand):
        try:
            return expand([("B", 0), pair], None, set(), {}, action_kind, loops.pair_of)
        except Exception as exc:
            return type(exc), str(exc)

    assert outcome(compiled) == outcome(loops.expand_py)


@pytest.mark.parametrize("expand", LOOPS)
def test_an_error_from_the_spec_goes_through(expand):
    def successors():
        yield "A", 1
        raise ZeroDivisionError("boom")

    def fingerprint(state):
        raise KeyError(state)

    with pytest.raises(ZeroDivisionError, match="boom"):
        expand(successors(), None, set(), {}, action_kind, loops.pair_of)
    with pytest.raises(KeyError):
        expand([("A", 1)], fingerprint, set(), {}, action_kind, loops.pair_of)
    with pytest.raises(RuntimeError):
        expand([(Event(), 1)], None, set(), {}, lambda a: (_ for _ in ()).throw(RuntimeError()), loops.pair_of)


@pytest.mark.skipif(compiled is None, reason="_expand.c was not built")
@pytest.mark.parametrize("spec", [TwoPhase(rms=4), TwoPhase(rms=3, bug="early-commit")], ids=str)
def test_whole_searches_agree(spec, monkeypatch):
    """The same counts, coverage and shortest counterexample whichever loop runs."""
    runs = []
    for expand in (loops.expand_py, compiled):
        monkeypatch.setattr(bfs, "expand", expand)
        r = explore(spec, "bfs")
        runs.append((r.distinct_states, r.transitions, r.coverage, r.violations))
    assert runs[0] == runs[1]
    if spec.bug is None:
        assert runs[0][0] == 1_568  # TLC's count for TwoPhase with 4 RMs
    else:  # prepare, the TM hears it, commits, the RM commits, another aborts
        assert [len(t) for t in runs[0][3]] == [5]


def shard_run(shard_expand, pairs, me=0, seen=(), sent=(), key_of=None):
    seen, sent, coverage, mine, held, out = set(seen), set(sent), {"Go": 1}, {}, {}, [[], [], []]
    n = shard_expand(pairs, key_of, 3, me, seen, sent, coverage, action_kind, loops.pair_of, mine, held, out, (4, 2))
    return n, seen, sent, coverage, mine, held, out


@pytest.mark.parametrize("shard_expand", SHARD_LOOPS)
def test_a_shard_keeps_its_own_keys_and_sends_the_others_once(shard_expand):
    ident = lambda s: s  # noqa: E731  (keys that say their owner: key % 3)
    pairs = [("Go", 3), (("Go", 1), 4), ("Send", 6), ("Go", 5), ((), 7), (Event(), 4), ("Go", -3), ("Go", 9)]
    n, seen, sent, coverage, mine, held, out = shard_run(shard_expand, pairs, seen={9}, sent={7}, key_of=ident)
    assert n == 8
    assert seen == {3, 6, 9, -3} and sent == {4, 5, 7}
    assert mine == {3: ((4, 2, 0), 3), 6: ((4, 2, 2), 6), -3: ((4, 2, 6), -3)}
    assert held == {4: ((4, 2, 1), 4), 5: ((4, 2, 3), 5)}
    assert out == [[], [(4, (4, 2, 1))], [(5, (4, 2, 3))]]
    assert coverage == {"Go": 6, "Send": 1, "tuple": 1, "Event": 1}


@pytest.mark.parametrize("shard_expand", SHARD_LOOPS)
def test_a_shard_hashes_states_without_a_key_function(shard_expand):
    states = ["a", "b", (1, 2), None]
    n, seen, sent, _, mine, held, _ = shard_run(shard_expand, [("A", x) for x in states], me=1)
    assert n == 4
    assert seen | sent == {hash(x) for x in states}
    assert all(hash(x) % 3 == 1 for x in (t for _, t in mine.values()))
    assert all(hash(x) % 3 != 1 for x in (t for _, t in held.values()))


@not_built
@pytest.mark.parametrize("pair", [("A", 1, 2), 5, ["A", [1]], itertools.count()], ids=repr)
def test_a_shard_fails_on_a_malformed_pair_as_in_python(pair):
    def outcome(shard_expand):
        try:
            return shard_run(shard_expand, [("B", 0), pair])
        except Exception as exc:
            return type(exc), str(exc)

    assert outcome(compiled_shard) == outcome(loops.shard_expand_py)


@pytest.mark.parametrize("shard_expand", SHARD_LOOPS)
def test_a_parallel_search_is_the_same_whichever_loop_runs(shard_expand, monkeypatch):
    monkeypatch.setattr(parallel, "shard_expand", shard_expand)
    one = explore(TwoPhase(rms=4), "bfs")
    two = explore(TwoPhase(rms=4), "bfs", workers=2)
    assert (two.distinct_states, two.transitions, two.coverage) == (1_568, one.transitions, one.coverage)
    bug = explore(TwoPhase(rms=3, bug="early-commit"), "bfs", workers=2)
    assert [t.steps for t in bug.violations] == [t.steps for t in explore(TwoPhase(rms=3, bug="early-commit"),
                                                                          "bfs").violations]


@pytest.mark.parametrize("pairs, index", [
    ([("A", 1), ((["x"], 1), 2), ("Z", 3)], 1),  # an unhashable kind: counting it fails
    ([("A", 1), ("B", [2]), ("Z", 3)], 1),  # an unhashable state
    ([("A", 1), ("B", 2, 3)], 1),  # not a pair
])
def test_a_failing_shard_step_is_found_again_where_it_failed(pairs, index):
    with pytest.raises(Exception):
        loops.shard_expand_py(pairs, None, 2, 0, set(), set(), {}, action_kind, loops.pair_of, {}, {}, [[], []], ())
    k, _ = parallel._failing_step(lambda s: iter(pairs), None, hash)
    assert k == index
