"""Breadth-first search: every reachable state, level by level; shortest counterexamples.

States are numbered in the order they are found; since the queue is served in the
same order, the number of a queued state is its position, and the visited set keeps
only 64-bit fingerprints. ``parent[i]`` and ``via[i]`` (the index of the action
among the parent's enabled transitions) rebuild any path when one is reported.
"""

from __future__ import annotations

import gc
from array import array
from collections import deque
from typing import Hashable

from ..spec import Spec, action_kind
from .expand import expand, pair_of
from .contract import check_contract
from .fingerprint import visited_key, visited_stats
from .run import CHECK_EVERY, Options, ProgressFn, Run, admit_initial, coverage_of, trace_path

__all__ = ["bfs"]


def _first_unhashable(successors, state, default):
    """The first successor of ``state`` that cannot be hashed (the compiled loop does not say)."""
    def hashable(x) -> bool:
        try:
            hash(x)
        except TypeError:
            return False
        return True

    try:
        return next((t for _, t in successors(state) if not hashable(t)), default)
    except Exception:
        return default


def bfs(spec: Spec, options: Options, progress: ProgressFn | None = None, *, exact: bool = False):
    run = Run(spec, "bfs", options, progress)
    # a checkpoint's fingerprints must be ones a later process computes alike
    fp_of = visited_key(spec, options, exact, portable=bool(options.checkpoint or options.resume))
    seen: set = set()
    parent = array("q")
    via = array("q")
    queue: deque = deque()
    coverage: dict[Hashable, int] = {}  # transitions per kind of action

    def path(i: int):
        return trace_path(parent, via, i)

    def admit(state: Hashable, node: int) -> None:
        """Check a newly found state (slow path: only when some property is affected)."""
        for name, inv in list(run.invariants):
            if not inv(state):
                run.violated(name, path(node))
        if run.unreached:
            run.check_reachability(state, path(node))

    max_depth = options.depth
    max_states = options.max_states or -1
    successors = spec.successors
    fp_arg = None if fp_of is hash else fp_of  # None: the compiled loop calls hash() itself
    n = 0  # distinct states found
    transitions = 0
    depth = 0
    cur = -1  # the state being expanded
    t = None
    checking = -1  # the state whose invariants are being checked, for error reports
    saver = None
    if options.checkpoint:
        from .checkpoint import Checkpointer

        saver = Checkpointer(spec, options, exact)
    if options.resume:
        from .checkpoint import load_checkpoint

        saved = load_checkpoint(options.resume, spec, options, exact)
        seen.update(saved["seen"])
        parent.extend(saved["parent"])
        via.extend(saved["via"])
        queue.extend(saved["queue"])
        coverage.update(saved["coverage"])
        n, transitions, depth, level_end, cur = (saved[k] for k in ("n", "transitions", "depth", "level_end", "cur"))
        run.restore(saved["run"])
    else:
        initial: dict = {}
        admit_initial(run, spec, fp_of, initial, parent, via, lambda state, node: queue.append(state))
        seen.update(initial)
        if run.stop:
            queue.clear()
        n = len(parent)
        level_end = n  # number of the first state of the next level
    done = cur  # the last state whose expansion finished
    next_tick = cur + CHECK_EVERY + 1
    checks = [inv for _, inv in run.invariants]
    watching = bool(run.unreached)  # reachability properties still to be met

    def snapshot() -> dict:
        """The search as it stands, for a checkpoint: a state taken from the queue but not
        yet expanded (periodic saves come between expansions) goes back to its front."""
        pending = done < cur
        return {"seen": array("q", seen) if not exact else set(seen), "parent": parent, "via": via,
                "queue": ([s] if pending else []) + list(queue), "coverage": coverage, "n": n,
                "transitions": transitions, "depth": depth, "level_end": level_end,
                "cur": cur - 1 if pending else cur, "run": run.snapshot()}

    if max_depth is not None and max_depth <= 0 and queue:
        try:
            run.at_depth_bound(spec, list(queue), 0, path)
        except Exception as exc:
            run.raised(exc, None, None, path(0))
        queue.clear()
    popleft = queue.popleft
    push = queue.append
    link = parent.append
    step = via.append
    # States are immutable and make no reference cycles, so the cyclic collector only
    # slows the search down (about 9% on twophase-7); make it run rarely, not never.
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    at_bound = False
    torn = False  # stopped at once, anywhere: the search in memory is no checkpoint
    restore_interrupts = run.defer_interrupts()
    try:
        while queue:
            s = popleft()
            cur += 1
            if cur == level_end:
                depth += 1
                level_end = n
                if max_depth is not None and depth >= max_depth:
                    at_bound = True  # the search up to the bound is complete: nothing to resume
                    frontier = [s]
                    frontier.extend(queue)
                    run.at_depth_bound(spec, frontier, cur, path)
                    break
            if cur == next_tick:
                next_tick += CHECK_EVERY
                run.tick(n, transitions, len(queue) + 1, depth)
                if saver is not None and saver.due() and not saver.save_or_note(snapshot, run.result):
                    saver = None  # the folder cannot take it: go on without checkpoints
                if run.stop:
                    break
                check_contract(spec, s)  # as on the initial states, now and then deeper
            count, new = expand(successors(s), fp_arg, seen, coverage, action_kind, pair_of)
            for k, t in new:
                link(cur)
                step(k)
                push(t)
                n += 1
                checking = n - 1
                for check in checks:
                    if not check(t):
                        admit(t, n - 1)
                        checks = [inv for _, inv in run.invariants]
                        break
                if watching:
                    run.check_reachability(t, path(n - 1))
                    watching = bool(run.unreached)
                checking = -1
            transitions += count
            done = cur
            if not count and run.check_deadlock:
                run.deadlocked(path(cur))
            if run.stop:
                break
            if n >= max_states > 0 and queue:
                run.cut("max_states")
                break
    except KeyboardInterrupt:  # a second Ctrl-C: it may have come mid-expansion, with new
        run.cut("interrupted")  # states in the visited set but not yet queued
        torn = True
    except Exception as exc:  # a bug in the spec: report it with the trace that led there
        if checking < 0 and isinstance(exc, TypeError):  # the state to name, if one was unhashable
            t = _first_unhashable(successors, s, t)
        run.raised(exc, t, path(checking) if checking >= 0 else None, path(cur))
    finally:
        restore_interrupts()
        gc.set_threshold(*thresholds)
    if saver is not None and torn:
        if saver.saved:  # resuming from the last periodic save redoes the search since
            run.result.stats["checkpoint"] = saver.path
            run.result.stats["checkpoint_periodic_states"] = saver.saved_states
        else:
            run.result.stats["checkpoint_note"] = "none saved: stopped at once before the first periodic save"
    elif saver is not None and queue and not at_bound and run.result.error is None and (
            {"time_limit", "interrupted", "memory_limit", "max_states"} & set(run.result.cut_by)):
        saver.save_or_note(snapshot, run.result, final=True)
    deepest = depth + 1 if n > level_end else depth
    return run.finish(n, transitions, deepest, coverage_of(coverage, heads=True),
                      **visited_stats(spec, options, n, exact, transitions))

