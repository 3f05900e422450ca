"""Seeded random walks: sampled executions up to the depth bound.

Each walk starts from a random initial state and takes uniformly random enabled
transitions, checking every invariant at every step, until the depth bound, a
state with no enabled transition, or a violation.  The same seed gives the same
walks; the shortest violating prefix found is reported.
"""

from __future__ import annotations

import random
from typing import Hashable

from ..result import VIOLATED
from ..spec import Spec, action_kind
from .run import Options, ProgressFn, Run, coverage_of, rebuild

__all__ = ["random_walks"]


def random_walks(spec: Spec, options: Options, progress: ProgressFn | None = None):
    run = Run(spec, "random", options, progress)
    rng = random.Random(options.seed)
    initial = list(spec.initial_states())
    bound = options.depth
    coverage: dict[Hashable, int] = {}
    lengths: list[int] = []
    seen: set[int] = set()
    transitions = 0
    best: dict[str, tuple[int, list[int], str]] = {}  # property -> (init, steps, kind)
    error = None
    walk = 0
    try:
        for walk in range(options.walks):
            if run.stop:
                break
            if walk % 64 == 0:
                run.tick(len(seen), transitions, options.walks - walk, max(lengths, default=0))
                if run.stop:
                    break
            init = rng.randrange(len(initial))
            s = initial[init]
            steps: list[int] = []
            seen.add(hash(s))
            bad = [n for n, inv in run.invariants if not inv(s)]
            while not bad and len(steps) < bound:
                try:
                    succ = list(spec.successors(s))
                except Exception as exc:  # the spec raised: keep the walk that led there
                    error = (init, list(steps), exc)
                    break
                if not succ:
                    if run.check_deadlock:
                        bad = ["deadlock"]
                    break
                k = rng.randrange(len(succ))
                a, s = succ[k]
                kind = action_kind(a)
                coverage[kind] = coverage.get(kind, 0) + 1
                transitions += 1
                steps.append(k)
                seen.add(hash(s))
                bad = [n for n, inv in run.invariants if not inv(s)]
                for name, prop in run.unreached:
                    if prop(s):
                        run.reached(name, lambda i=init, st=list(steps): (i, st))
            lengths.append(len(steps))
            if error is not None:
                break
            for name in bad:
                if name not in best or len(steps) < len(best[name][1]):
                    best[name] = (init, list(steps), "deadlock" if name == "deadlock" else "invariant")
    except KeyboardInterrupt:
        run.cut("interrupted")
    if error is not None:
        init, steps, exc = error
        run.failed(exc, lambda: (init, steps), "the spec raised while computing successors")
    for name, (init, steps, kind) in sorted(best.items()):
        run.result.violations.append(rebuild(spec, kind, name, init, steps, strategy="random",
                                             seed=options.seed))
        if kind == "invariant":
            run.result.invariants[name] = VIOLATED
    run.result.bounds["walks"] = options.walks
    walks_done = len(lengths)
    stats = {
        "walks": walks_done,
        "walk_length_min": min(lengths, default=0),
        "walk_length_mean": round(sum(lengths) / walks_done, 2) if walks_done else 0,
        "walk_length_max": max(lengths, default=0),
    }
    return run.finish(len(seen), transitions, max(lengths, default=0), coverage_of(coverage), **stats)
