"""Seeded random walks: sampled executions up to the depth bound.

Each walk starts from a random initial state and takes uniformly random enabled
transitions, checking every invariant at every step, until the depth bound, a
state with no enabled transition, or a violation (with ``keep_going``, it walks on
past a violation, so that a violation found only beyond another is found too).  The
same seed gives the same walks; the shortest violating prefix found of each
invariant is reported.  The walks stop early at
``max_states`` distinct states (cut by max_states, as BFS is).  A spec that raises
ends the run with an error and the walk that led to the state where it raised, as
BFS reports it (:meth:`Run.raised`).
"""

from __future__ import annotations

import random
from typing import Any, Hashable

from ..spec import Spec, action_kind
from .run import Options, ProgressFn, Run, coverage_of, initial_states

__all__ = ["random_walks"]


def random_walks(spec: Spec, options: Options, progress: ProgressFn | None = None):
    run = Run(spec, "random", options, progress)
    rng = random.Random(options.seed)
    initial = initial_states(spec)
    bound = options.depth
    max_states = options.max_states
    coverage: dict[Hashable, int] = {}
    lengths: list[int] = []
    seen: set[int] = set()
    transitions = 0
    best: dict[str, tuple[int, list[int]]] = {}  # invariant or "deadlock" -> (init, steps)
    keep_going = options.keep_going
    init, steps, s = 0, [], None
    checking = True  # False while computing successors, for error reports

    def path(i: int, st: list[int]):
        st = list(st)
        return lambda: (i, st)

    def arrive(state: Any) -> list[str]:
        """Count ``state`` seen, note the sometimes-properties it meets; the invariants it breaks."""
        seen.add(hash(state))
        broken = [n for n, inv in run.invariants if not inv(state)]
        if run.unreached:
            run.check_reachability(state, path(init, steps))
        return broken

    def shortest(name: str) -> None:
        """The walk so far violates ``name``: kept if it is the shortest such walk yet."""
        if name not in best or len(steps) < len(best[name][1]):
            best[name] = (init, list(steps))

    def full() -> bool:
        """The state budget is spent (checked before any more work, so it cuts only real work)."""
        if max_states is not None and len(seen) >= max_states:
            run.cut("max_states")
            run.stop = True
        return run.stop

    try:
        for walk in range(options.walks):
            if run.stop or full():
                break
            if walk % 64 == 0:
                run.tick(len(seen), transitions, options.walks - walk, max(lengths, default=0))
                if run.stop:
                    break
            init = rng.randrange(len(initial))
            s = initial[init]
            steps = []
            checking = True
            bad = arrive(s)
            while True:
                for name in bad:
                    shortest(name)
                if (bad and not keep_going) or len(steps) >= bound or full():
                    break
                checking = False
                succ = list(spec.successors(s))
                if not succ:
                    if run.check_deadlock:
                        shortest("deadlock")
                    break
                k = rng.randrange(len(succ))
                a, s = succ[k]
                kind = action_kind(a)
                coverage[kind] = coverage.get(kind, 0) + 1
                transitions += 1
                steps.append(k)
                checking = True
                bad = arrive(s)
            lengths.append(len(steps))
    except KeyboardInterrupt:
        run.cut("interrupted")
    except Exception as exc:  # a bug in the spec: report it with the walk that led there
        lengths.append(len(steps))
        here = path(init, steps)
        run.raised(exc, s, here if checking else None, here)
    for name, (i, st) in sorted(best.items()):  # as a search records them (a None verdict refused)
        if name == "deadlock":
            run.deadlocked(path(i, st))
        else:
            run.violated(name, path(i, st))
    run.result.bounds["walks"] = options.walks
    walks_done = len(lengths)
    stats = {
        "walks": walks_done,
        "walk_length_min": min(lengths, default=0),
        "walk_length_mean": round(sum(lengths) / walks_done, 2) if walks_done else 0,
        "walk_length_max": max(lengths, default=0),
    }
    return run.finish(len(seen), transitions, max(lengths, default=0), coverage_of(coverage), **stats)
