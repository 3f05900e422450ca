"""Small specs whose exact behaviour is known, used to pin down the engine."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from modelcheck import Param, Spec, invariant, sometimes


def closure(initial, successors) -> set:
    """Every state reachable from ``initial`` by ``successors(state)`` (an iterable of states),
    by a plain BFS over whole states: no modelcheck explorer involved."""
    seen, queue = set(initial), deque(initial)
    while queue:
        for t in successors(queue.popleft()):
            if t not in seen:
                seen.add(t)
                queue.append(t)
    return seen


def reachable(spec) -> set:
    """Every reachable state of ``spec``, for tests that compare the explorer with it."""
    return closure(list(spec.initial_states()), lambda s: (t for _, t in spec.successors(s)))


def explore_by_hand(start, successors, bad) -> tuple[int, bool]:
    """The distinct states a hand-written reference model reaches from ``start``, and whether
    ``bad`` holds in any of them: the search every reference model in tests/specs shares."""
    seen = closure([start], successors)
    return len(seen), any(map(bad, seen))


def deliveries(bag: tuple):
    """``(message, bag after delivering one copy)`` for each distinct message of a sorted bag:
    how the hand-written reference models in tests/specs read a multiset network (equal
    copies are one transition), written once for all of them."""
    for k, msg in enumerate(bag):
        if not k or bag[k - 1] != msg:
            yield msg, bag[:k] + bag[k + 1:]


class Equation(Spec):
    """Find x, y over 8-bit unsigned integers with a*x + b*y == c, increments wrapping around.

    Stateright's LinearEquation example; DESIGN.md gives its conformance numbers.
    """

    name = "equation"
    a = Param(2)
    b = Param(10)
    c = Param(14)

    def initial_states(self):
        return [(0, 0)]

    def successors(self, s):
        x, y = s
        return [("IncreaseX", ((x + 1) % 256, y)), ("IncreaseY", (x, (y + 1) % 256))]

    @invariant
    def unsolved(self, s):
        """No solution has been found."""
        return (self.a * s[0] + self.b * s[1]) % 256 != self.c

    @sometimes
    def solved(self, s):
        return not self.unsolved(s)


class Counter(NamedTuple):
    value: int
    history: tuple[int, ...]


class Chain(Spec):
    """A line of ``length`` states, each with one successor; optionally a deadlock at the end."""

    name = "chain"
    length = Param(5)
    limit = Param(100, "the invariant value < limit")
    check_deadlock = True

    def initial_states(self):
        return [0]

    def successors(self, s):
        return [("Step", s + 1)] if s < self.length else []

    @invariant
    def below_limit(self, s):
        return s < self.limit


class TwoChecks(Chain):
    """A chain with a second invariant that always holds: a run that stops at the first
    violation of ``below_limit`` has not checked ``non_negative`` everywhere."""

    name = "two-checks"
    check_deadlock = False

    @invariant
    def non_negative(self, s):
        return s >= 0


class Diamond(Spec):
    """Two counters that each grow to ``n``: (n+1)^2 states, shortest path to (i, j) has i+j steps."""

    name = "diamond"
    n = Param(3)

    def initial_states(self):
        return [(0, 0)]

    def successors(self, s):
        x, y = s
        out = []
        if x < self.n:
            out.append((("Inc", "x"), (x + 1, y)))
        if y < self.n:
            out.append((("Inc", "y"), (x, y + 1)))
        return out

    @invariant
    def not_corner(self, s):
        return s != (self.n, self.n)


class Raises(Spec):
    """Raises while computing the successors of the state 3."""

    def initial_states(self):
        return [0]

    def successors(self, s):
        if s == 3:
            raise ZeroDivisionError("boom at 3")
        return [("Step", s + 1)]


class Unhashable(Spec):
    """Its second state holds a list: not hashable."""

    def initial_states(self):
        return [Counter(0, ())]

    def successors(self, s):
        return [("Step", Counter(s.value + 1, [s.value]))]


class Changeable(Spec):
    """A counter whose stride and stop live outside the state, so a test can change the spec."""

    stride = 1
    stop = 6

    def initial_states(self):
        return [0]

    def successors(self, s):
        return [("Step", s + type(self).stride)] if s < type(self).stop else []

    @invariant
    def small(self, s):
        return s < 4


class Flaky(Spec):
    """Nondeterministic: the order of successors changes after the first time they are asked for."""

    calls = 0

    def initial_states(self):
        return [0]

    def successors(self, s):
        if s != 0:
            return []
        Flaky.calls += 1
        return [("A", 1), ("B", 2)] if Flaky.calls == 1 else [("B", 2), ("A", 1)]

    @invariant
    def not_two(self, s):
        return s != 2


class BadInvariant(Spec):
    """A counter whose invariant raises at ``at`` (0: on the initial state)."""

    at = Param(3)

    def initial_states(self):
        return [0]

    def successors(self, s):
        return [("Step", s + 1)] if s < 5 else []

    @invariant
    def fragile(self, s):
        if s == self.at:
            raise ValueError(f"invariant bug at {s}")
        return True


class Shortcut(Spec):
    """A long path 0-1-2-3 and a shortcut 0-8-3, with 4, 5, 6, 7 below 3: DFS meets 3 first at
    depth 3, then at depth 2 through 8, and within depth 4 must expand it again to reach 5."""

    def initial_states(self):
        return [0]

    def successors(self, s):
        edges = {0: [1, 8], 1: [2], 2: [3], 8: [3], 3: [4], 4: [5], 5: [6], 6: [7]}
        return [(("Go", t), t) for t in edges.get(s, [])]


class Slow(Spec):
    """An endless counter whose successors take a millisecond: never finishes by itself."""

    def initial_states(self):
        return [0]

    def successors(self, s):
        import time

        time.sleep(0.001)
        return [("Step", s + 1)]


class SometimesRaises(Spec):
    """A counter 0..5 whose sometimes-property raises at 3."""

    def initial_states(self):
        return [0]

    def successors(self, s):
        return [("Step", s + 1)] if s < 5 else []

    @sometimes
    def five(self, s):
        if s == 3:
            raise ValueError("sometimes bug at 3")
        return s == 5


class BadStart(Spec):
    """A spec whose initial states raise."""

    def initial_states(self):
        raise KeyError("no initial")

    def successors(self, s):
        return []


class NoStart(Spec):
    """A spec with no initial state."""

    def initial_states(self):
        return []

    def successors(self, s):
        return []


class Labelled(Spec):
    """A count in a plain tuple, shown to people as a dict through ``readable``; it must
    not reach 2 (so a violation after 2 steps)."""

    name = "labelled"

    def initial_states(self):
        return [(0, "idle")]

    def successors(self, s):
        n, mode = s
        return [("Inc", (n + 1, mode))] if n < 3 else []

    @invariant
    def small(self, s):
        return s[0] < 2

    def explain_small(self, s):
        return f"n is {s[0]} ({type(s).__name__})"

    def readable(self, s):
        return {"n": s[0], "mode": s[1]}
