"""A counterexample (or example) trace: how a spec got from an initial state to a state of interest."""

from __future__ import annotations

from typing import Any, Hashable

import attrs

__all__ = ["Step", "Trace", "n_steps"]


def n_steps(n: int) -> str:
    """``1 step``, ``5 steps``: a trace's length in words."""
    return f"{n:,} step" if n == 1 else f"{n:,} steps"


@attrs.frozen
class Step:
    """One transition: the action taken, its index among the enabled ones, the state after."""

    action: Hashable
    label: str
    index: int
    state: Any


@attrs.frozen
class Trace:
    """A path through a spec's state graph, with what it shows.

    ``kind`` is ``invariant`` (the last state breaks ``property``), ``deadlock``
    (the last state has no enabled transition), ``error`` (the spec raised while
    computing the successors of the last state; ``error`` holds the message) or
    ``example`` (the last state satisfies the reachability property ``property``).
    States are the spec's own (what its invariants and ``explain`` take); ``shown``,
    when the spec has a :meth:`Spec.readable` form, holds the states as people see them
    (initial state first), which the trace file and renderings use.
    """

    spec: str
    params: dict[str, Any]
    kind: str
    property: str
    initial_index: int
    initial_state: Any
    steps: tuple[Step, ...]
    strategy: str = "bfs"
    seed: int | None = None
    faults: dict[str, Any] = attrs.field(factory=dict)
    error: str | None = None
    shown: tuple[Any, ...] | None = attrs.field(default=None, eq=False, repr=False)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def states(self) -> list[Any]:
        return [self.initial_state, *(s.state for s in self.steps)]

    @property
    def shown_states(self) -> list[Any]:
        """The states as people read them (see ``shown``)."""
        return list(self.shown) if self.shown is not None else self.states

    @property
    def last_state(self) -> Any:
        return self.steps[-1].state if self.steps else self.initial_state
