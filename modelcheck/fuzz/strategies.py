"""Schedules: executions of a spec drawn by Hypothesis, one enabled transition at a time.

A schedule starts in one of the spec's initial states and, at every step, takes one
of the transitions enabled in the current state, chosen by an index below the number
of enabled transitions.  Drawn that way, Hypothesis shrinks a failing schedule toward
fewer steps (a schedule ends at its first failure, so a shorter failing run is a
shorter choice sequence) and toward lower indices (earlier transitions in the spec's
order).

The same walk re-executes a list of *actions* (:func:`follow`), which is what the
delta-debugging pass in :mod:`.shrink` needs: once steps are removed, the indices
of the remaining ones shift, but their actions can still be matched.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable, Hashable, Sequence

import attrs
from hypothesis import strategies as st

from ..explore.run import SUCCESSORS_RAISED, initial_states, step_label
from ..registry import spec_of
from ..spec import Spec, SpecError, action_kind, format_action, pair_problem
from ..trace.format import encode_state

__all__ = ["Failure", "Schedule", "schedules", "follow", "closest", "spec_of"]


@attrs.frozen
class Failure:
    """Why a schedule ended badly: ``kind`` is invariant, deadlock or error (as in a Trace)."""

    kind: str
    property: str
    #: for kind=error: what the spec raised (in the last state's successors or properties)
    exception: BaseException | None = attrs.field(default=None, eq=False)
    #: for kind=error: what the spec was doing ("the spec raised while checking invariant x")
    what: str = ""

    @property
    def signature(self) -> tuple:
        """What makes two failures the same bug for shrinking: kind, property, and for an
        error what the spec was doing and the exception's type (another exception is
        another bug, as replay judges it)."""
        raised = type(self.exception) if self.exception is not None else None
        return self.kind, self.property, self.what, raised


@attrs.frozen(repr=False)
class Schedule:
    """One execution: the initial state's index, then each step's index, action and state after.

    ``states`` has one more item than ``indices`` (the initial state comes first).
    ``failure`` is set when the last state breaks an invariant, is a deadlock the spec
    asks to report, or the spec raised while computing its successors or checking it.
    """

    spec: Spec
    initial: int
    indices: tuple[int, ...]
    actions: tuple[Hashable, ...]
    states: tuple[Any, ...]
    failure: Failure | None = None

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def last_state(self) -> Any:
        return self.states[-1]

    def __repr__(self) -> str:
        steps = ", ".join(_name(self.spec, a) for a in self.actions)
        start = f"initial #{self.initial}" + (": " if steps else "")
        end = f" -> {self.failure.kind} {self.failure.property}" if self.failure else ""
        return f"Schedule({start}{steps}{end})"


def _name(spec: Spec, action: Any) -> str:
    """The step's label (:func:`step_label`), or the default one where the spec's format_action
    is broken: for a schedule's repr (Hypothesis prints it) and shrinking's notes, which must
    not raise (the trace's rebuild reports the broken method)."""
    try:
        return step_label(spec, action)
    except SpecError:
        return format_action(action)


class NotEnabled(Exception):
    """A step of a schedule being re-executed is not enabled in the state it reaches."""


#: ``choose(enabled, step)`` returns the index of the transition to take, or None to stop
Chooser = Callable[[list, int], "int | None"]


def walk(spec: Spec, initial: int, choose: Chooser, max_steps: int | None = None) -> Schedule:
    """Execute ``spec`` from initial state ``initial``, taking the transitions ``choose`` picks.

    Stops when ``choose`` returns None, after ``max_steps`` steps, in a state with no
    enabled transition, or at the first failure (invariant broken, reported deadlock,
    successors raising): nothing after a failure can matter.
    """
    invariants = spec.invariants()
    state = list(spec.initial_states())[initial]
    indices: list[int] = []
    actions: list[Hashable] = []
    states: list[Any] = [state]
    failure = broken_invariant(invariants, state)
    while failure is None and (max_steps is None or len(indices) < max_steps):
        try:
            enabled = list(spec.successors(state))
        except Exception as exc:  # the spec raised: the schedule that led here is the report
            failure = Failure("error", "error", exc, SUCCESSORS_RAISED)
            break
        if not enabled:
            if spec.check_deadlock:
                failure = Failure("deadlock", "deadlock")
            break
        k = choose(enabled, len(indices))
        if k is None:
            break
        problem = pair_problem(enabled[k])
        if problem is not None:  # the contract, not a bug the schedule shows: one line, exit 2
            raise SpecError(f"spec {spec.title!r}: {problem}")
        action, state = enabled[k]
        indices.append(k)
        actions.append(action)
        states.append(state)
        failure = broken_invariant(invariants, state)
    return Schedule(spec, initial, tuple(indices), tuple(actions), tuple(states), failure)


def broken_invariant(invariants: list[tuple[str, Callable[[Any], bool]]], state: Any) -> Failure | None:
    for name, holds in invariants:
        try:
            if not holds(state):
                return Failure("invariant", name)
        except Exception as exc:  # the spec raised: an error at this state, not a crash of Hypothesis
            return Failure("error", "error", exc, f"the spec raised while checking invariant {name}")
    return None


def follow(spec: Spec, initial: int, actions: Sequence[Hashable], hints: Sequence[int] = (),
           similar: bool = False) -> Schedule:
    """Re-execute ``actions`` in order, matching each by equality among the enabled transitions.

    ``hints`` are the indices the actions had before (tried first, so a spec that
    enables two equal actions keeps the one taken).  With ``similar``, an action that
    is not enabled is replaced by the most similar enabled one (:func:`closest`), as
    when removing a step changes the term a later message carries.  Raises
    :class:`NotEnabled` when no action matches; stops early at a failure.
    """

    def choose(enabled: list, step: int) -> int | None:
        if step >= len(actions):
            return None
        wanted = actions[step]
        hint = hints[step] if step < len(hints) else -1
        if 0 <= hint < len(enabled) and enabled[hint][0] == wanted:
            return hint
        for k, (action, _) in enumerate(enabled):
            if action == wanted:
                return k
        k = closest(wanted, [action for action, _ in enabled]) if similar else None
        if k is None:
            raise NotEnabled(f"step {step + 1} ({_name(spec, wanted)}) is not enabled")
        return k

    return walk(spec, initial, choose)


def closest(wanted: Hashable, actions: Sequence[Hashable]) -> int | None:
    """The index of the action most like ``wanted``: same kind and shape, most equal fields.

    Fields are the leaves of the actions' JSON form (``term``, ``from``...), so
    ``deliver RequestVote(term=1) n1 -> n3`` is closest to the same delivery in
    term 2.  None when no action has the same kind and shape.  This is the fuzzy
    matching of DEMi (Scott et al., "Minimizing Faulty Executions of Distributed
    Systems", NSDI 2016).
    """
    kind, shape = action_kind(wanted), _leaves(wanted)
    best, best_score = None, -1
    for k, action in enumerate(actions):
        if action_kind(action) != kind:
            continue
        leaves = _leaves(action)
        if leaves.keys() != shape.keys():
            continue
        score = sum(leaves[p] == v for p, v in shape.items())
        if score > best_score:
            best, best_score = k, score
    return best


@lru_cache(maxsize=4096)
def _leaves(action: Hashable) -> dict[str, str]:
    out: dict[str, str] = {}

    def visit(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                visit(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                visit(item, f"{path}[{i}]")
        else:
            out[path] = json.dumps(value)

    visit(encode_state(action), "")
    return out


@lru_cache(maxsize=256)
def _below(n: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=n - 1)


def schedules(spec: Spec | str, *, max_steps: int = 50, params: dict[str, Any] | None = None,
              faults: Any = None) -> st.SearchStrategy[Schedule]:
    """A Hypothesis strategy of :class:`Schedule` s of ``spec``, at most ``max_steps`` steps long.

    Each step draws an index among the transitions enabled in the current state (no
    draw when only one is enabled).  A schedule also ends at a state with no enabled
    transition and right after its first failure (see :func:`walk`), so a test only
    has to look at ``schedule.failure``; the states are there for other checks::

        @given(schedules("twophase", params={"rms": 4}))
        def test_consistent(schedule):
            assert schedule.failure is None
    """
    the_spec = spec_of(spec, params, faults)
    if max_steps < 0:
        raise ValueError(f"max_steps must be >= 0, not {max_steps}")
    count = len(initial_states(the_spec))

    @st.composite
    def draw_schedule(draw: Callable[[st.SearchStrategy], Any]) -> Schedule:
        initial = draw(_below(count)) if count > 1 else 0
        return walk(the_spec, initial,
                    lambda enabled, _: draw(_below(len(enabled))) if len(enabled) > 1 else 0,
                    max_steps)

    return draw_schedule()
