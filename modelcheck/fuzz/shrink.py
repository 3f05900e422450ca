"""Delta debugging over the steps of a failing schedule, after Hypothesis has shrunk it.

Hypothesis shrinks the *choice sequence*; removing a step there changes the meaning
of every later index, so it often stops at a schedule with a few steps that do not
matter.  Here steps are removed by their *action*: the remaining actions are
re-executed (:func:`follow`), each matched among the transitions enabled in the state
it reaches.  A candidate counts when every action is enabled and the run ends in the
same failure (same kind, same invariant; for an error, raised doing the same thing), possibly
earlier than the last step.

Passes, repeated until none makes progress:

1. ddmin (Zeller and Hildebrandt), actions matched exactly, down to single steps;
2. ddmin again, an action that is no longer enabled matched to the most similar
   enabled one (:func:`~.strategies.closest`): removing a step can change the data
   of later ones (without the first timeout, the votes are asked for in term 1,
   not 2); then removing any 2 or 3 steps at once, similarly matched (a timeout and
   the delivery it caused are often apart, and only go together);
3. moving one step earlier when that gives a shorter schedule or lower indices
   (earlier transitions in the spec's order): the first such move found is taken.

The result is 1-minimal: the last pass 1 and 2 removed nothing, so no single step can be
removed while the schedule stays valid and still fails the same way (neither with the
other actions kept as they are, nor with each matched to the most similar enabled one).
That is all that is guaranteed.  Removing 2 or 3 steps and moving a step earlier try
at most ``FEW_BUDGET`` and ``MOVE_BUDGET`` candidates a round, so a shorter schedule may
remain; and the result depends on the schedule Hypothesis found, so the same bug can
shrink to different traces, even of different lengths, under different seeds (raft-election
no-voted-for-check gives two 6-step traces over seeds 0 to 4, paxos accept-lower-ballot
four 14-step ones).  BFS gives the shortest trace.

Then :func:`shortcut` searches breadth-first, within ``SHORTCUT_STATES`` distinct states,
for a shorter schedule that fails the same way: a 1-minimal schedule can still be longer
than another interleaving (raft no-log-check, seed 4: 18 steps after delta debugging, 10
after the search, BFS's shortest).  Where the budget allows it to finish, the result is a
shortest schedule of that failure; where it does not, it is the 1-minimal one.
"""

from __future__ import annotations

from itertools import combinations
from typing import Callable, Hashable, Sequence

from ..explore.run import SUCCESSORS_RAISED
from .strategies import Failure, NotEnabled, Schedule, broken_invariant, follow

__all__ = ["shrink", "shortcut"]

#: distinct states the breadth-first search of :func:`shortcut` may visit
SHORTCUT_STATES = 20_000

#: how many re-executions the move-earlier pass, and the removal of 2 or 3 steps at once, may
#: each spend in one round (ddmin is not limited)
MOVE_BUDGET = 2000
FEW_BUDGET = 2000

Attempt = Callable[[Sequence[Hashable], Sequence[int]], "Schedule | None"]


def shrink(schedule: Schedule) -> Schedule:
    """A 1-minimal failing schedule shrunk from ``schedule`` (which must have a failure): the
    shortest this search found, not necessarily the shortest there is."""
    if schedule.failure is None:
        raise ValueError("only a failing schedule can be shrunk")
    exact, similar = _attempt(schedule, False), _attempt(schedule, True)
    best = schedule
    while True:
        best = _ddmin(best, exact)
        shorter = _ddmin(best, similar)
        if len(shorter) == len(best):
            shorter = _remove_few(best, similar)
        if len(shorter) < len(best):
            best = shorter
            continue
        moved = _move_earlier(best, exact)
        if moved is best:
            return best  # the last exact ddmin removed nothing: 1-minimal
        best = moved


def _attempt(schedule: Schedule, similar: bool) -> Attempt:
    """Re-execute candidate actions; the candidate if it fails as ``schedule`` does, else None."""
    spec, initial, failure = schedule.spec, schedule.initial, schedule.failure
    target = failure.signature

    def attempt(actions: Sequence[Hashable], hints: Sequence[int] = ()) -> Schedule | None:
        try:
            got = follow(spec, initial, actions, hints, similar)
        except NotEnabled:
            return None
        if got.failure is not None and got.failure.signature == target:
            return got
        return None

    return attempt


def _ddmin(best: Schedule, attempt: Attempt) -> Schedule:
    """Remove chunks of steps, halving the chunk size down to single steps."""
    parts = 2
    while len(best) > 0:
        size = len(best)
        chunk = -(-size // min(parts, size))
        for start in range(0, size, chunk):
            got = attempt(best.actions[:start] + best.actions[start + chunk:],
                          best.indices[:start] + best.indices[start + chunk:])
            if got is not None:
                best = got
                parts = max(parts - 1, 2)
                break
        else:
            if chunk == 1:
                return best  # no single step can be removed
            parts = min(parts * 2, size)
    return best


def _remove_few(best: Schedule, attempt: Attempt) -> Schedule:
    """The first failing schedule without some 2 or 3 steps (not next to each other), else ``best``.

    ddmin removes contiguous chunks; a timeout and the delivery it caused are often
    apart, and only go together.
    """
    budget = FEW_BUDGET
    for k in (2, 3):
        for gone in combinations(range(len(best)), k):
            if budget == 0:
                return best
            budget -= 1
            got = attempt([a for i, a in enumerate(best.actions) if i not in gone], ())
            if got is not None:
                return got
    return best


def _key(schedule: Schedule) -> tuple[int, tuple[int, ...]]:
    return len(schedule), schedule.indices


def _move_earlier(best: Schedule, attempt: Attempt) -> Schedule:
    """The first schedule with a smaller key obtained by moving one step earlier, else ``best``."""
    budget = MOVE_BUDGET
    for i in range(1, len(best)):
        for j in range(i):
            if budget == 0:
                return best
            budget -= 1
            actions = list(best.actions)
            actions.insert(j, actions.pop(i))
            got = attempt(actions, ())
            if got is not None and _key(got) < _key(best):
                return got
    return best


def shortcut(best: Schedule, budget: int = SHORTCUT_STATES) -> Schedule:
    """A shortest schedule that fails as ``best`` does, if a breadth-first search from the same
    initial state finds one shorter than ``best`` within ``budget`` distinct states; else ``best``.

    Delta debugging only takes steps out of the schedule it was given; when the bug has a
    shorter path through other interleavings (a leader elected without the second candidate
    ever timing out), only a search finds it.  The budget keeps this cheap where fuzzing is
    needed because the whole state space is not.
    """
    spec, failure = best.spec, best.failure
    target = failure.signature
    invariants = spec.invariants()
    attempt = _attempt(best, False)
    parent: dict = {best.states[0]: None}  # state -> (previous state, index, action)

    def schedule_to(state: Hashable) -> Schedule | None:
        indices, actions = [], []
        while parent[state] is not None:
            state, k, action = parent[state]
            indices.append(k)
            actions.append(action)
        return attempt(actions[::-1], indices[::-1])  # re-executed: the failure is checked again

    level = [best.states[0]]
    for depth in range(len(best)):  # a failure found at depth < len(best) is shorter
        below = []
        for state in level:
            try:
                enabled = list(spec.successors(state))
            except Exception as exc:
                if Failure("error", "error", exc, SUCCESSORS_RAISED).signature == target:
                    found = schedule_to(state)
                    if found is not None:
                        return found
                continue
            if not enabled:
                if target[0] == "deadlock":
                    found = schedule_to(state)
                    if found is not None:
                        return found
                continue
            if depth + 1 >= len(best):
                continue  # successors' own failures would be no shorter
            for k, (action, nxt) in enumerate(enabled):
                if nxt in parent:
                    continue
                if len(parent) >= budget:
                    return best
                parent[nxt] = (state, k, action)
                broken = broken_invariant(invariants, nxt)
                if broken is None:
                    below.append(nxt)  # a schedule stops at its first failure: only these go on
                elif broken.signature == target:
                    found = schedule_to(nxt)
                    if found is not None:
                        return found
        level = below
    return best
