"""The strategies agree with each other and with counts known from other checkers."""

import dataclasses
from typing import NamedTuple

import pytest

from modelcheck import Param, Spec, SpecError, explore, invariant, sometimes
from modelcheck.result import HOLDS, REACHED, UNKNOWN, UNREACHED, VIOLATED

from models import (BadInvariant, Chain, Changeable, Diamond, Equation, Flaky, Raises, Shortcut, Slow, TwoChecks,
                    Unhashable)


def test_equation_first_solution_shortest():
    # Stateright reports 12 states because it checks a state when it is dequeued; we
    # check on discovery, so the same shortest path X, X, Y is found after 8 states.
    r = explore(Equation(a=2, b=10, c=14), "bfs")
    assert r.invariants["unsolved"] == VIOLATED
    assert r.distinct_states == 8
    (trace,) = r.violations
    assert [s.label for s in trace.steps] == ["IncreaseX", "IncreaseX", "IncreaseY"]
    assert trace.last_state == (2, 1)


def test_equation_without_solution_explores_all_65536_states():
    r = explore(Equation(a=2, b=4, c=7), "bfs")
    assert r.ok and r.complete and r.exit_code == 0
    assert r.never_reached == ["solved"]
    assert r.verdict == "no violation: every reachable state checked, and none satisfies solved"
    assert r.distinct_states == 65536
    assert r.transitions == 2 * 65536
    assert r.invariants == {"unsolved": HOLDS}
    assert r.reachability == {"solved": UNREACHED}


def test_sometimes_property_keeps_a_shortest_example():
    r = explore(Equation(a=2, b=10, c=14), "bfs", keep_going=True)
    assert r.reachability == {"solved": REACHED}
    assert len(r.examples["solved"]) == 3


@pytest.mark.parametrize("n", [1, 3, 6])
def test_bfs_dfs_random_agree_on_reachable_set(n):
    spec = Diamond(n=n)
    bfs = explore(spec, "bfs", keep_going=True)
    dfs = explore(spec, "dfs", keep_going=True)
    assert bfs.distinct_states == dfs.distinct_states == (n + 1) ** 2
    walks = explore(spec, "random", walks=400, depth=4 * n, seed=7, keep_going=True)
    assert walks.distinct_states == (n + 1) ** 2


def test_bfs_counterexample_is_shortest_and_dfs_finds_one():
    bfs = explore(Diamond(n=4), "bfs")
    assert len(bfs.violations[0]) == 8
    dfs = explore(Diamond(n=4), "dfs")
    assert dfs.violations[0].last_state == (4, 4)


def test_depth_bound_is_reported_not_verified():
    r = explore(Diamond(n=5), "bfs", depth=3)
    assert r.cut_by == ["depth"]
    assert not r.complete
    assert r.distinct_states == 1 + 2 + 3 + 4  # states at depth 0..3
    assert r.invariants["not_corner"] == UNKNOWN
    assert r.verdict == "no violation up to depth 3"
    d = explore(Diamond(n=5), "dfs", depth=3)
    assert d.distinct_states == 10 and d.cut_by == ["depth"]


def test_depth_bound_that_cuts_nothing_is_complete():
    r = explore(Chain(length=3), "bfs", depth=10, deadlock=False)
    assert r.complete and r.distinct_states == 4 and r.depth == 3


def test_dfs_reexpands_a_state_met_again_more_shallowly():
    # DFS meets 3 first at depth 3 (0-1-2-3), then at depth 2 through 8; only expanding it
    # again from there reaches 5 within depth 4.
    assert explore(Shortcut(), "bfs", depth=4).distinct_states == 7
    assert explore(Shortcut(), "dfs", depth=4).distinct_states == 7


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_a_deadlock_at_exactly_the_depth_bound_is_found(strategy):
    # Chain(4) deadlocks in state 4, at depth 4: a bound of 4 finds the state, and the
    # state must still be checked for having no successor
    r = explore(Chain(length=4), strategy, depth=4)
    assert [t.kind for t in r.violations] == ["deadlock"] and len(r.violations[0]) == 4


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_a_bound_reached_by_states_without_successors_cuts_nothing(strategy):
    r = explore(Chain(length=4), strategy, depth=4, deadlock=False)
    assert r.cut_by == [] and r.complete and r.distinct_states == 5 and r.depth == 4
    assert explore(Chain(length=4), strategy, depth=3, deadlock=False).cut_by == ["depth"]


def test_dfs_counts_a_reexpanded_state_once():
    bfs, dfs = (explore(Shortcut(), s, depth=4) for s in ("bfs", "dfs"))
    # 0->1, 0->8, 1->2, 2->3, 8->3, 3->4, 4->5: seven transitions from the states within depth 4
    assert bfs.transitions == dfs.transitions == 7
    assert bfs.coverage == dfs.coverage == {"Go": 7}
    assert bfs.depth == dfs.depth == 4  # 5 is at depth 4 through the shortcut, not 5


def test_max_states_stops_early():
    r = explore(Equation(a=2, b=4, c=7), "bfs", max_states=1000)
    assert "max_states" in r.cut_by
    assert 1000 <= r.distinct_states < 1010


def test_deadlock_is_reported_with_its_trace():
    r = explore(Chain(length=4), "bfs")
    (trace,) = r.violations
    assert trace.kind == "deadlock" and len(trace) == 4
    assert explore(Chain(length=4), "bfs", deadlock=False).ok


def test_keep_going_reports_the_first_violation_of_each_invariant():
    r = explore(Chain(length=8, limit=3), "bfs", keep_going=True)
    kinds = {t.property: len(t) for t in r.violations}
    assert kinds == {"below_limit": 3, "deadlock": 8}


def test_stop_at_first_violation_by_default():
    r = explore(Chain(length=8, limit=3), "bfs")
    assert [t.property for t in r.violations] == ["below_limit"]


@pytest.mark.parametrize("strategy,workers", [("bfs", 1), ("dfs", 1), ("bfs", 2)])
def test_a_run_stopped_at_the_first_violation_does_not_claim_the_other_invariants(strategy, workers):
    r = explore(TwoChecks(length=8, limit=3), strategy, workers=workers)
    assert r.invariants == {"below_limit": VIOLATED, "non_negative": UNKNOWN}
    assert r.stopped_early == "violation" and not r.complete
    assert r.distinct_states < 9
    r = explore(TwoChecks(length=8, limit=3), strategy, workers=workers, keep_going=True)
    assert r.invariants == {"below_limit": VIOLATED, "non_negative": HOLDS}
    assert r.stopped_early is None and r.complete and r.distinct_states == 9


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_a_run_stopped_by_an_error_claims_no_invariant(strategy):
    r = explore(BadInvariant(at=3), strategy)
    assert r.error is not None and r.stopped_early == "error" and not r.complete
    assert r.invariants == {"fragile": UNKNOWN}


def test_random_walks_are_reproducible_from_the_seed():
    a = explore(Diamond(n=6), "random", walks=50, depth=20, seed=3)
    b = explore(Diamond(n=6), "random", walks=50, depth=20, seed=3)
    assert [s.label for s in a.violations[0].steps] == [s.label for s in b.violations[0].steps]
    assert a.stats == b.stats and a.distinct_states == b.distinct_states
    assert a.stats["walks"] == 50


def test_random_walks_report_the_shortest_violation_found():
    r = explore(Diamond(n=3), "random", walks=200, depth=30, seed=1)
    assert len(r.violations[0]) == 6  # every path to (3, 3) has 6 steps
    assert r.stats["walk_length_max"] <= 30


def test_transition_that_raises_is_an_error_with_its_trace():
    r = explore(Raises(), "bfs")
    assert r.exit_code == 2
    assert "ZeroDivisionError: boom at 3" in r.error.error
    assert "test" not in r.error.error or "models.py" in r.error.error
    assert r.error.last_state == 3 and len(r.error) == 3


def test_unhashable_state_names_the_field():
    with pytest.raises(SpecError, match=r"state\.history \(list\)"):
        explore(Unhashable(), "bfs")


class _Counter(Spec):
    """Counts to ``top``; ``make`` builds a state from a number, ``bump`` the next state."""

    def __init__(self, make, bump=None, top=5, limit=3):
        self.make, self.bump, self.top, self.limit = make, bump, top, limit

    def initial_states(self):
        return [self.make(0)]

    def successors(self, s):
        if s.a >= self.top:
            return []
        return [("Inc", self.bump(s) if self.bump else self.make(s.a + 1))]

    @invariant
    def small(self, s):
        return s.a < self.limit


def test_states_compared_by_identity_are_refused_since_the_search_would_miss_bugs():
    """Found by a review: with @dataclass(eq=False) BFS said "no violation" (every state new,
    freed objects' ids reused as fingerprints); random walks found the bug."""
    @dataclasses.dataclass(eq=False)
    class St:
        a: int

    for strategy in ("bfs", "dfs"):
        with pytest.raises(SpecError, match=r"state \(St\) compares by identity"):
            explore(_Counter(St), strategy)
    # random walks keep no visited set: such states are fine there (a review found them refused)
    assert explore(_Counter(St), "random", walks=3, seed=1).violations

    class Plain:  # the part compared by identity, inside a value
        pass

    marker = Plain()
    with pytest.raises(SpecError, match=r"state\.tag \(Plain\) compares by identity"):
        explore(_Counter(lambda a: Pair(a, Plain())), "bfs")
    assert explore(_Counter(lambda a: Pair(a, marker)), "bfs").violations  # one shared object: fine


class Pair(NamedTuple):
    a: int
    tag: object


class _Mutable:
    def __init__(self, a):
        self.a = a

    def __eq__(self, other):
        return self.a == other.a

    def __hash__(self):
        return hash(self.a)


def _bump_in_place(s):
    s.a += 1
    return s


def test_successors_that_change_their_state_are_refused():
    with pytest.raises(SpecError, match=r"successors\(\) changed the state it was given"):
        explore(_Counter(_Mutable, _bump_in_place), "bfs")


def test_a_state_changed_deep_in_the_search_is_an_error_with_its_trace():
    spec = _Counter(_Mutable, lambda s: _bump_in_place(s) if s.a > 3000 else _Mutable(s.a + 1),
                    top=10_000, limit=10_000)
    r = explore(spec, "bfs")
    assert r.exit_code == 2 and "successors() changed the state it was given" in r.error.error
    assert len(r.error.steps) == 2 * 2048  # the state the search probed (every CHECK_EVERY states)


def test_nan_is_named_as_what_keeps_states_from_being_visited_once():
    """Found by a review: a NaN in a state was called "not a function of the state"."""
    nan = float("nan")
    spec = _Counter(lambda a: Pair(a, nan * 1.0 if a else nan))
    with pytest.raises(SpecError, match=r"state\.tag \(float\) is NaN, which is not equal to itself"):
        explore(spec, "bfs")
    assert explore(spec, "random", walks=3, seed=1).violations


def test_what_never_equals_a_copy_inside_a_set_is_named_not_called_nondeterminism():
    """Found by a review: a frozenset holding an identity-compared object was "not a function
    of the state" (refused even by random walks, which need no equality)."""
    class Plain:
        pass

    spec = _Counter(lambda a: Pair(a, frozenset({Plain()})))
    with pytest.raises(SpecError, match=r"state\.tag item \(Plain\) compares by identity"):
        explore(spec, "bfs")
    assert explore(spec, "random", walks=3, seed=1).violations


def test_successors_set_on_the_spec_object_count_as_defined():
    """Found by a review: a wrapper setting self.successors was told it defines none."""
    class Limited(Spec):
        def __init__(self, inner):
            self.initial_states, self.successors = inner.initial_states, inner.successors

    assert explore(Limited(_Counter(lambda a: Pair(a, None), limit=10))).ok


def test_equal_states_with_different_hashes_are_refused():
    class Salted(_Mutable):
        made = 0

        def __init__(self, a):
            super().__init__(a)
            Salted.made += 1
            self.salt = Salted.made

        def __hash__(self):
            return hash((self.a, self.salt))

    with pytest.raises(SpecError, match=r"two equal states have different hashes: Salted.__hash__"):
        explore(_Counter(Salted), "bfs")


def test_a_misspelt_method_is_named_rather_than_a_bare_not_implemented_error():
    class Typo(Spec):
        def initial_states(self):
            return [0]

        def sucessors(self, s):
            return []

    with pytest.raises(SpecError, match=r"^spec 'Typo' does not define successors\(\) \(it defines "
                                        r"sucessors\(\): a typo\?\)$"):
        explore(Typo(), "bfs")

    class Neither(Spec):
        pass

    with pytest.raises(SpecError, match=r"^spec 'Neither' does not define initial_states\(\)$"):
        explore(Neither(), "random")


def test_one_initial_state_given_without_a_list_is_named():
    spec = _Counter(lambda a: Pair(a, None))
    spec.initial_states = lambda: Pair(0, None)
    with pytest.raises(SpecError, match=r"initial_states\(\) returned one state \(Pair\); return a list"):
        explore(spec, "bfs")


def test_successors_returning_none_are_named_wherever_they_are_met():
    for top in (0, 3):  # at the first state (the probe), deeper (the search's error)
        spec = _Counter(lambda a: Pair(a, None), top=top, limit=10)
        spec.successors = lambda s, inner=spec.successors: inner(s) if s.a < top else None
        with pytest.raises(SpecError, match=r"successors\(\) returned None \(a missing return\?\)"):
            explore(spec, "bfs")


def test_a_spec_without_properties_is_not_reported_as_checked():
    class Bare(Spec):
        def initial_states(self):
            return [0]

        def successors(self, s):
            return [("Inc", s + 1)] if s < 3 else []

    r = explore(Bare(), "bfs")
    assert r.ok and r.verdict == "nothing checked: the spec declares no @invariant (every reachable state explored)"
    assert explore(Bare(), "random", walks=3).verdict.endswith("(executions sampled)")
    assert explore(Bare(), "bfs", deadlock=True).verdict.startswith("violation")  # 3 has no successor


def test_nondeterministic_spec_is_refused_before_the_search():
    Flaky.calls = 0
    with pytest.raises(SpecError, match=r"successors\(\) is not a function of the state: computed twice from "
                                        r"one state, its transition #0 led to states that differ at state \(int\)"):
        explore(Flaky(), "bfs")


def test_nondeterministic_spec_is_detected_when_a_trace_is_rebuilt():
    class Later(Flaky):
        """The order changes only after the probes and the search have asked."""
        def successors(self, s):
            if s != 0:
                return []
            Later.calls += 1
            return [("A", 1), ("B", 2)] if Later.calls <= 3 else [("B", 2), ("A", 1)]

    Later.calls = 0
    r = explore(Later(), "bfs")
    assert r.exit_code == 2
    assert "nondeterministic" in r.error.error


def test_time_limit_stops_the_run():
    r = explore(Slow(), "bfs", time_limit=0.5)
    assert r.cut_by == ["time_limit"] and not r.complete


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_invariant_that_raises_is_an_error_with_the_trace_to_that_state(strategy):
    r = explore(BadInvariant(at=3), strategy)
    assert r.exit_code == 2
    assert "while checking an invariant" in r.error.error and "invariant bug at 3" in r.error.error
    assert r.error.last_state == 3 and len(r.error) == 3


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_invariant_that_raises_on_an_initial_state_is_an_error(strategy):
    r = explore(BadInvariant(at=0), strategy)
    assert r.exit_code == 2 and "initial states" in r.error.error and len(r.error) == 0


def test_changeable_model_defaults():
    Changeable.stride, Changeable.stop = 1, 6
    r = explore(Changeable(), "bfs")
    assert len(r.violations[0]) == 4


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_initial_states_that_raise_are_a_one_line_error(strategy):
    from models import BadStart

    with pytest.raises(SpecError, match="raised on its initial states: KeyError: 'no initial'"):
        explore(BadStart(), strategy)


def test_dfs_is_not_cut_by_a_state_later_reached_more_shallowly():
    # 0-1-2-3 and 0-5-3, then 3-4: DFS meets 3 first at depth 3 (the bound) with a successor
    # left, then through 5 at depth 2 and expands it: everything within depth 3 was seen
    class Detour(Chain):
        def successors(self, s):
            edges = {0: [1, 5], 1: [2], 2: [3], 5: [3], 3: [4]}
            return [(("Go", t), t) for t in edges.get(s, [])]

    for strategy in ("bfs", "dfs"):
        r = explore(Detour(), strategy, depth=3, deadlock=False)
        assert r.cut_by == [] and r.complete and r.distinct_states == 6, strategy


def test_a_spec_raising_at_the_depth_bound_is_reported_at_that_state():
    # depth 2 of Diamond holds (2, 0), (1, 1), (0, 2), checked for deadlocks: the last raises
    class RaisesAtCorner(Diamond):
        def successors(self, s):
            if s == (0, 2):
                raise ValueError("boom at (0, 2)")
            return super().successors(s)

    for strategy in ("bfs", "dfs"):
        r = explore(RaisesAtCorner(n=3), strategy, depth=2, deadlock=True)  # every state at the bound looked at
        assert r.exit_code == 2 and "boom at (0, 2)" in r.error.error, strategy
        assert r.error.last_state == (0, 2) and len(r.error) == 2, strategy


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_an_empty_tuple_action_is_counted_not_an_error(strategy):
    class Empty(Chain):
        def successors(self, s):
            return [((), s + 1)] if s < 2 else []

    r = explore(Empty(), strategy, deadlock=False)
    assert r.error is None and r.complete and r.coverage == {"tuple": 2}


@pytest.mark.parametrize("strategy", ["bfs", "dfs", "random"])
def test_a_tuple_action_led_by_a_number_counts_as_a_tuple(strategy):
    """action_kind's rule, in the searches' inlined fast path as in walks."""
    class Numbered(Chain):
        def successors(self, s):
            return [((7, "step"), s + 1), ("Reset", 0)] if s < 2 else []

    r = explore(Numbered(), strategy, deadlock=False, **({"walks": 3, "seed": 1} if strategy == "random" else {}))
    assert set(r.coverage) == {"tuple", "Reset"}
    assert "int" not in r.coverage


@pytest.mark.parametrize("strategy", ["bfs", "dfs", "random"])
def test_actions_of_a_string_enum_count_under_their_members(strategy):
    import enum

    class Kind(str, enum.Enum):
        INC = "Inc"
        RESET = "Reset"

    class Enumerated(Chain):
        def successors(self, s):
            return [(Kind.INC, s + 1), ((Kind.RESET, s), 0)] if s < 2 else []

    r = explore(Enumerated(), strategy, deadlock=False, **({"walks": 3, "seed": 1} if strategy == "random" else {}))
    assert set(r.coverage) == {Kind.INC, Kind.RESET}


class NotPairs(Chain):
    """successors gives bare states from the third state on, not (action, state) pairs."""

    def successors(self, s):
        return [s + 1] if s >= 2 else [("Step", s + 1)]


@pytest.mark.parametrize("strategy, workers", [("bfs", 1), ("dfs", 1), ("bfs", 2)])
def test_successors_that_are_not_pairs_are_a_spec_error_naming_the_contract(strategy, workers):
    with pytest.raises(SpecError, match=r"successors\(\) must give \(action, state\) pairs; it gave 3 \(int\)"):
        explore(NotPairs(), strategy, workers=workers)


def test_fuzzing_names_the_contract_too():
    from modelcheck.fuzz import check_spec

    with pytest.raises(SpecError, match=r"must give \(action, state\) pairs; it gave 3 \(int\)"):
        check_spec(NotPairs(), examples=20, max_steps=6, seed=1)


class ListPairs(Chain):
    """Pairs given as lists (the searches unpack any two-item sequence), and a real bug at 3."""

    def successors(self, s):
        if s == 3:
            raise ValueError("a genuine bug at 3")
        return [["Step", s + 1]] if s < self.length else []


@pytest.mark.parametrize("strategy, workers", [("bfs", 1), ("dfs", 1), ("bfs", 2)])
def test_a_spec_that_raises_is_reported_as_such_even_with_list_pairs(strategy, workers):
    r = explore(ListPairs(), strategy, workers=workers)
    assert r.exit_code == 2 and "ValueError: a genuine bug at 3" in r.error.error and len(r.error) == 3


def test_fuzzing_takes_list_pairs_as_the_searches_do():
    from modelcheck.fuzz import check_spec

    class Fine(ListPairs):
        check_deadlock = False

        def successors(self, s):
            return [["Step", s + 1]] if s < self.length else []

    check_spec(Fine(), examples=10, max_steps=6, seed=1)  # passes: no invariant is broken


class _Forgetful(Chain):
    """A counter to 3 whose invariant (``which="invariant"``) or sometimes-property has no
    ``return``: it returns None, which every mode would read as false."""

    length = Param(3)
    check_deadlock = False
    which = Param("invariant")
    since = Param(0, "the first state whose verdict has no return")

    @invariant
    def small(self, s):
        if self.which != "invariant" or s < self.since:
            return s < 5
        s < 5  # noqa: B015 (the missing return)

    @sometimes
    def three(self, s):
        if self.which != "sometimes" or s < self.since:
            return s == 3
        s == 3  # noqa: B015


@pytest.mark.parametrize("since", [0, 2])
@pytest.mark.parametrize("which, kind", [("invariant", "invariant small"), ("sometimes", "sometimes-property three")])
@pytest.mark.parametrize("mode", ["bfs", "dfs", "random", "parallel", "fuzz", "simulate"])
def test_a_property_returning_none_is_refused_in_every_mode(which, kind, mode, since):
    """Found in reviews: random walks and simulate reported a missing return's None as a
    violation (saved as a counterexample), and every mode read a sometimes-property's None
    as "never reached" (a vacuous model, when the property was never written out), on the
    initial state and (a second review) on any later one."""
    from modelcheck.fuzz import fuzz
    from modelcheck.simulate import simulate

    spec = _Forgetful(which=which, since=since)
    runs = {"fuzz": lambda: fuzz(spec, examples=20, seed=1), "simulate": lambda: simulate(spec, steps=5, seed=1),
            "parallel": lambda: explore(spec, "bfs", workers=2)}
    run = runs.get(mode, lambda: explore(spec, mode, depth=5, seed=1 if mode == "random" else None))
    try:
        result = run()
    except SpecError as exc:  # the probe of the initial state, or the search, refuses it
        message = str(exc)
    else:  # met during a search: an error result, with the trace to the state
        assert result.error is not None, result
        message = result.error if mode == "simulate" else result.error.error
    assert f"{kind} returned None, not True or False (a missing return?)" in message


class _TwoLimits(Chain):
    """A counter to 6 with two invariants, the second broken only beyond the first."""

    length = Param(6)
    limit = Param(2)
    check_deadlock = False

    @invariant
    def below_four(self, s):
        return s < 4


@pytest.mark.parametrize("strategy", ["bfs", "dfs", "random"])
def test_keep_going_finds_a_violation_beyond_another_in_every_strategy(strategy):
    """Found in review: with --keep-going a random walk still stopped at the first violating
    state, so an invariant broken only beyond another was never found."""
    r = explore(_TwoLimits(), strategy, keep_going=True, depth=10, seed=1 if strategy == "random" else None)
    assert {t.property: len(t) for t in r.violations} == {"below_limit": 2, "below_four": 4}
    assert r.invariants == {"below_limit": VIOLATED, "below_four": VIOLATED}
    r = explore(_TwoLimits(), strategy, depth=10, seed=1 if strategy == "random" else None)
    assert [t.property for t in r.violations] == ["below_limit"]


class _Idle(NamedTuple):
    x: int


class _Busy(NamedTuple):
    x: int


class _Classes(Spec):
    """Idle(0) -> Busy(0) -> Busy(1): the second state equals the first as a tuple."""

    def initial_states(self):
        return [_Idle(0)]

    def successors(self, s):
        if isinstance(s, _Idle):
            return [("Start", _Busy(0))]
        return [("Step", _Busy(1))] if s.x == 0 else []

    @invariant
    def small(self, s):
        return s.x < 1


def test_a_successor_equal_to_its_state_but_of_another_class_is_refused():
    """Found in review (for node states): named tuples of two classes with equal fields are
    equal, so the search merged them and said "no violation"."""
    with pytest.raises(SpecError, match=r"its transition #0 goes from _Idle\(x=0\) to _Busy\(x=0\), which are equal"):
        explore(_Classes(), "bfs")
