"""Depth-first search, optionally bounded in depth.

Cheaper in frontier memory than BFS; its counterexamples are valid but not shortest.
With a depth bound, a state first met deep and later met at a shallower depth is
expanded again from there (as TLC does), so every state within the bound is checked.
"""

from __future__ import annotations

from array import array
from typing import Hashable

from ..spec import Spec, action_kind
from .contract import check_contract
from .fingerprint import visited_key, visited_stats
from .run import (CHECK_EVERY, Options, ProgressFn, Run, admit_initial, coverage_of,
                  trace_path)

__all__ = ["dfs"]


def dfs(spec: Spec, options: Options, progress: ProgressFn | None = None, *, exact: bool = False):
    run = Run(spec, "dfs", options, progress)
    fp_of = visited_key(spec, options, exact)
    index: dict = {}  # fingerprint -> state number
    parent = array("q")
    via = array("q")
    level = array("l")  # shallowest depth at which each state was met
    expanded = bytearray()  # 1 once a state's transitions were counted (re-expansion counts none)
    stack: list = []
    coverage: dict[Hashable, int] = {}
    bound = options.depth
    max_states = options.max_states

    def path(i: int):
        return trace_path(parent, via, i)

    def admit(state: Hashable, node: int) -> None:
        for name, inv in list(run.invariants):
            if not inv(state):
                run.violated(name, path(node))
        if run.unreached:
            run.check_reachability(state, path(node))

    def found(state: Hashable, node: int) -> None:
        level.append(0)
        expanded.append(0)
        stack.append((state, node, 0))

    admit_initial(run, spec, fp_of, index, parent, via, found)
    if run.stop:
        stack.clear()
    stack.reverse()  # explore the first initial state first

    transitions = 0
    expansions = 0
    deepest = 0  # for the progress display; the result takes the exact value from ``level``
    at_bound: list = []  # states with successors left unexpanded at the depth bound
    checks = [inv for _, inv in run.invariants]
    watching = bool(run.unreached)  # reachability properties still to be met
    cur = -1
    t = None
    checking = -1  # the state whose invariants are being checked, for error reports
    try:
        while stack and not run.stop:
            s, cur, d = stack.pop()
            if d > level[cur]:
                continue  # met again more shallowly since it was pushed
            if d > deepest:
                deepest = d
            if bound is not None and d >= bound:
                # cut only if the state is still at the bound at the end: one met again more
                # shallowly is expanded from there
                if run.at_depth_bound(spec, (s,), cur, path, record_cut=False):
                    at_bound.append(cur)
                continue
            expansions += 1
            if not expansions % CHECK_EVERY:
                run.tick(len(parent), transitions, len(stack), deepest)
                if run.stop:
                    break
                check_contract(spec, s)  # as on the initial states, now and then deeper
            first = not expanded[cur]
            expanded[cur] = 1
            children = []
            k = -1
            for k, (a, t) in enumerate(spec.successors(s)):
                if first:
                    kind = a if a.__class__ is str else a[0] if a.__class__ is tuple and a else action_kind(a)
                    coverage[kind] = coverage.get(kind, 0) + 1
                fp = fp_of(t)
                j = index.get(fp)
                if j is None:
                    j = len(parent)
                    index[fp] = j
                    parent.append(cur)
                    via.append(k)
                    level.append(d + 1)
                    expanded.append(0)
                    children.append((t, j, d + 1))
                    checking = j
                    for check in checks:
                        if not check(t):
                            admit(t, j)
                            checks = [inv for _, inv in run.invariants]
                            break
                    if watching:
                        run.check_reachability(t, path(j))
                        watching = bool(run.unreached)
                    checking = -1
                elif bound is not None and d + 1 < level[j]:
                    parent[j] = cur
                    via[j] = k
                    level[j] = d + 1
                    children.append((t, j, d + 1))
            if first:
                transitions += k + 1
            if k < 0 and run.check_deadlock:
                run.deadlocked(path(cur))
            children.reverse()
            stack.extend(children)
            if max_states is not None and len(parent) >= max_states and stack:
                run.cut("max_states")
                break
    except KeyboardInterrupt:
        run.cut("interrupted")
    except Exception as exc:
        run.raised(exc, t, path(checking) if checking >= 0 else None, path(cur))
    if any(level[j] >= bound for j in at_bound):
        run.cut("depth")
    # the depth of the deepest state, by its shallowest path (a re-expanded state counts
    # at its new depth, not at the deeper pass that found it first)
    return run.finish(len(parent), transitions, max(level, default=0), coverage_of(coverage, heads=True),
                      **visited_stats(spec, options, len(parent), exact, transitions))
