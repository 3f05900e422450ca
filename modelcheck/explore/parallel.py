"""Parallel breadth-first search: level-synchronous, the visited set sharded by fingerprint.

``--workers N`` runs N local processes; ``--engine ray`` runs N Ray actors (on a local
Ray started here, or on the cluster at ``--address``).  Either way a coordinator drives
one level at a time and N *shards* do the work (the visited set partitioned by
fingerprint as in Stern & Dill's parallel Murphi and TLC's distributed mode):

1. ``expand``: every shard expands its part of level d in path order and fingerprints
   the successors.  Shard i owns the keys with ``key % N == i``.  A successor owned
   elsewhere stays here; only its key and path go to its owner, once: a shard
   remembers the remote keys it has sent, since their owners have them now;
2. ``merge``: every owner drops the keys it has seen and, for each new key, picks the
   candidate with the smallest path, telling each shard which of its candidates won;
3. ``adopt``: every shard keeps the states it found that won, sorted by path, as its
   part of level d+1, and checks their invariants and ``@sometimes`` properties;
4. ``give``/``take``: when one shard holds clearly more of the next level than the
   others, the coordinator has it hand over the surplus.

So states travel between processes only to balance the load (pickling and unpickling
a state costs about as much as computing it, so shipping every state to its owner
made two processes slower than one).  Nothing travels through the coordinator but
keys, paths and counts: with local processes it forwards pickled batches as bytes,
with Ray it passes object references and batches go from actor to actor.

Same results as :func:`modelcheck.explore.bfs.bfs`.  Every state carries its *path*
(initial index, action indices), which is what a trace is rebuilt from.  The sequential
search finds the states of a level in the lexicographic order of their paths, so the
smallest path among the candidates for a key is the one it finds first.  The
coordinator orders every event (violation, deadlock, spec exception, the max_states
bound) by the transition it happened on, so the run stops at the same state as the
sequential one, with the same distinct states, transitions, coverage, depth and traces;
counting up to a stop inside a level re-expands at most CHECK_EVERY states per shard
(:meth:`Shard.recount`).  The price of deciding stops per level: a run cut by
max_states (or a violation) has expanded all of that level, where the sequential search
stopped part way.  A time limit stops where it stops, as it does in the sequential
search.

Fingerprints must agree across processes, and CPython salts ``hash()`` of strings per
process.  Local workers are forked from this process and share its salt (and its
address of None).  Ray workers are separate interpreters: they are started with a fixed
``PYTHONHASHSEED`` (:data:`HASH_SEED`, in their ``runtime_env``), every key is computed
inside the shards, never in the coordinator, and the coordinator checks that the shards
hash alike.  Before Python 3.12 ``hash(None)`` is None's address, different in every
process, so Ray shards then key states by :func:`stable_fingerprint` (a walk in Python)
-- computed only for states a shard has not met before, found with its own C ``hash()``
(:meth:`Shard.share_keys`).  Local workers keep the plain C ``hash()`` throughout.

Symmetry reduction is one swap of :func:`key_function` (state -> deduplication key,
symmetry.py's when ``--symmetry``): the coordinator checks the declared symmetry once,
shards deduplicate and shard by the key and keep exploring the states they found, so
traces stay valid.
"""

from __future__ import annotations

import bisect
import gc
import math
import multiprocessing
import pickle
import signal
import sys
import time
import traceback
from operator import itemgetter
from typing import Any, Callable, Hashable

from ..result import Result
from ..spec import Spec, SpecError, SymmetryError, action_kind
from .contract import returned_none
from .expand import pair_of, shard_expand
from .fingerprint import fingerprint_function, stable_fingerprint, visited_key, visited_stats
from .run import (CHECK_EVERY, SUCCESSORS_RAISED, Options, Progress, ProgressFn, Run, admit_initial, coverage_of,
                  describe_exception, follow, resident_memory)

__all__ = ["parallel_bfs", "key_function", "Shard", "HASH_SEED"]

#: PYTHONHASHSEED of Ray workers: any fixed value makes their fingerprints agree
HASH_SEED = "20261127"
#: a level is rebalanced when a shard holds more than fair * SLACK + MIN of its states
BALANCE_SLACK = 1.1
BALANCE_MIN = 64
#: the transition a stop includes every transition of: (state path, INCLUSIVE)
INCLUSIVE = math.inf


def key_function(spec: Spec, exact: bool, symmetry: bool) -> Callable[[Any], Hashable]:
    """The key a shard deduplicates and shards a state by: its fingerprint (or itself with
    ``exact``), or with ``symmetry`` the same for its orbit (checked by the coordinator)."""
    if symmetry:
        from .symmetry import key_function as symmetric

        return symmetric(spec, exact, check=False)
    return fingerprint_function(exact)


def _describe(exc: BaseException, what: str) -> str:
    """The message Run.failed gives, made where the traceback still is (in the shard)."""
    return describe_exception(exc, what)


def _failing_step(successors: Callable, state: Any, key_of: Callable) -> tuple[int, Any]:
    """``(k, t)``: the index of the successor of ``state`` whose handling raised (the last
    one handled when the spec's successors itself raised; -1 before the first) and that
    successor, found by going over them again (successors are a function of the state)."""
    k, t = -1, None
    try:
        for k, (a, t) in enumerate(successors(state)):
            hash(a if a.__class__ is str else a[0] if a.__class__ is tuple and a else action_kind(a))
            key_of(t)
    except Exception:
        pass
    return k, t


class Shard:
    """One worker's part of the search: the keys it owns, and its part of the current level
    as ``(path, state)`` pairs sorted by path."""

    def __init__(self, spec: Spec, index: int, count: int, exact: bool, symmetry: bool = False):
        self.started = time.process_time()
        self.spec = spec
        self.index = index
        self.count = count
        self.key_of = key_function(spec, exact, symmetry)
        self.exact = exact
        self.seen: set = set()
        #: remote keys already sent: their owners have them (with ``shared``: every key met here)
        self.sent: set = set()
        #: state -> (shared key, owner) unless keys are fingerprints every shard computes alike:
        #: with ``exact`` (the state is its key, its hash picks the owner) or when this process's
        #: hashes are not every shard's (Ray workers on Python < 3.12 hash None by its address)
        self.shared: Callable[[Any], tuple] | None = None
        if exact:
            key_of = self.key_of
            self.shared = lambda state: (key_of(state), hash(key_of(state)) % count)
        self.frontier: list = []  # this shard's part of the level to expand
        self.expanded: list = []  # the level expanded last, for recount
        self.marks: list = [(0, 0, {})]
        self.candidates: dict = {}  # key -> (path, state): found here, owned here
        self.held: dict = {}  # key -> (path, state): found here, owned elsewhere
        gc.freeze()  # what the process inherited needs no more collecting
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])

    def cpu(self) -> float:
        """CPU seconds this shard has used (since it was made: not a Ray worker's start-up)."""
        return time.process_time() - self.started

    def probe(self) -> tuple:
        """Hashes equal in every shard iff they fingerprint alike: a string's (salted per process
        unless PYTHONHASHSEED is set) and None's (its address before Python 3.12)."""
        return hash("modelcheck fingerprint probe"), hash(None)

    def share_keys(self) -> None:
        """Shards hash None (or other objects) differently: key states by stable_fingerprint."""
        count, exact, key_of = self.count, self.exact, self.key_of

        def shared(state: Any) -> tuple:
            key = key_of(state) if exact else None
            h = stable_fingerprint(state if key is None else key)
            return (h if key is None else key), h % count

        self.shared = shared

    def seed(self, indices: list[int]) -> int:
        """Keep the initial states (by index; the coordinator has told them apart and checked
        them) that this shard owns."""
        initial = list(self.spec.initial_states())
        for k in indices:
            path, state = (k,), initial[k]
            if self.shared is None:
                key = self.key_of(state)
                owner = key % self.count
            else:
                self.sent.add(self.key_of(state))
                key, owner = self.shared(state)
            if owner == self.index and key not in self.seen:
                self.seen.add(key)
                self.frontier.append((path, state))
        return len(self.frontier)

    def expand(self, check_deadlock: bool, stop_at_deadlock: bool, time_left: float | None) -> tuple:
        """Expand this shard's part of the level in path order: (summary, batch per owner)."""
        count, me = self.count, self.index
        out: list[list] = [[] for _ in range(count)]
        seen, sent, key_of = self.seen, self.sent, self.key_of
        mine = self.candidates = {}
        held = self.held = {}
        shared = self.shared
        send, add = sent.add, seen.add
        key_arg = None if key_of is hash else key_of  # None: the compiled loop calls hash() itself
        successors = self.spec.successors
        coverage: dict = {}
        transitions = 0
        deadlock = error = stopped = None
        deadline = None if time_left is None else time.monotonic() + time_left
        frontier = self.frontier
        t = None
        marks = self.marks = [(0, 0, {})]  # (state index, transitions and coverage before it): recount
        for i, (path, s) in enumerate(frontier):
            if i and not i % CHECK_EVERY:
                marks.append((i, transitions, dict(coverage)))
                if deadline is not None and time.monotonic() >= deadline:
                    stopped = path
                    break
            k = -1
            try:
                if shared is None:  # fingerprints, the same in every shard (seen holds this
                    # level's own candidates too)
                    k = shard_expand(successors(s), key_arg, count, me, seen, sent, coverage, action_kind,
                                     pair_of, mine, held, out, path) - 1
                else:  # this process's keys filter what it has met; the shared key only for the rest
                    for k, (a, t) in enumerate(successors(s)):
                        kind = a if a.__class__ is str else a[0] if a.__class__ is tuple and a else action_kind(a)
                        coverage[kind] = coverage.get(kind, 0) + 1
                        local = key_of(t)
                        if local in sent:
                            continue
                        send(local)
                        key, owner = shared(t)
                        if owner == me:
                            if key in seen:
                                continue
                            add(key)
                            mine[key] = (path + (k,), t)
                        else:
                            p = path + (k,)
                            held[key] = (p, t)
                            out[owner].append((key, p))
            except SymmetryError:  # refused, as the coordinator refuses at the start
                raise
            except Exception as exc:  # reported at the transition it happened on
                if shared is None:  # the loop above does not say where it failed
                    k, t = _failing_step(successors, s, key_of)
                done = 0 if k < 0 else k + 1
                if k >= 0:
                    try:
                        key_of(t)
                    except Exception:
                        done = k  # the k-th successor itself could not be fingerprinted
                error = ("expanding", path, done, _describe(exc, SUCCESSORS_RAISED))
                break
            transitions += k + 1
            if k < 0 and check_deadlock:
                deadlock = path
                check_deadlock = False
                if stop_at_deadlock:
                    break
        self.expanded, self.frontier = frontier, []
        summary = {"transitions": transitions, "coverage": coverage, "deadlock": deadlock, "error": error,
                   "stopped": stopped, "first": frontier[0][0] if frontier else None}
        try:
            batches = [self.dumps(batch) if batch else b"" for batch in out]
        except Exception as exc:
            raise SpecError(f"--workers and --engine ray send states between processes, and a state "
                            f"cannot be pickled: {type(exc).__name__}: {exc}") from None
        return (summary, *batches)

    def dumps(self, batch: list) -> bytes:
        return pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)

    def merge(self, *batches: bytes) -> tuple:
        """As owner: decide which candidates of the level are new, each found first by the
        smallest path; tell every shard which of the keys it sent won: (count, verdict per shard)."""
        seen, mine = self.seen, self.candidates
        best: dict = {}  # key -> (path, sender) where another shard's candidate is the first
        for sender, batch in enumerate(batches):
            if not batch:
                continue
            for key, path in pickle.loads(batch):
                old = best.get(key)
                if old is None:
                    own = mine.get(key)
                    if own is None:
                        if key not in seen:
                            best[key] = (path, sender)
                    elif path < own[0]:
                        best[key] = (path, sender)
                elif path < old[0]:
                    best[key] = (path, sender)
        won: list[list] = [[] for _ in range(self.count)]
        for key, (_, sender) in best.items():
            mine.pop(key, None)
            won[sender].append(key)
        seen.update(best)  # (this shard's own candidates are in seen already)
        return (len(mine) + len(best), *(self.dumps(keys) if keys else b"" for keys in won))

    def adopt(self, invariants: list[str], unreached: list[str], *verdicts: bytes) -> dict:
        """Keep the new states found here (owned here, or won elsewhere) as this shard's part of
        the next level, sorted by path, and check them."""
        new = list(self.candidates.values())
        held = self.held
        for verdict in verdicts:
            if verdict:
                new.extend(held[key] for key in pickle.loads(verdict))
        self.candidates, self.held = {}, {}
        new.sort(key=itemgetter(0))
        self.frontier = new
        checks = [(name, f) for name, f in self.spec.invariants() if name in invariants]
        props = [(name, f) for name, f in self.spec.reachability() if name in unreached]
        fast = [f for _, f in checks]
        violations: dict[str, tuple] = {}
        reached: dict[str, tuple] = {}
        error = None
        for path, t in new:
            try:
                for check in fast:
                    if not check(t):  # slow path: which invariants, the first time each
                        for name, f in checks:
                            if not f(t):
                                violations[name] = path
                        checks = [(name, f) for name, f in checks if name not in violations]
                        fast = [f for _, f in checks]
                        break
                if props:
                    for name, f in props:
                        met = f(t)
                        if met:
                            reached[name] = path
                        elif met is None:
                            raise returned_none("sometimes-property", name)
                    props = [(name, f) for name, f in props if name not in reached]
            except Exception as exc:
                error = ("checking", path, _describe(exc, "the spec raised while checking an invariant"))
                break
        return {"new": len(new), "violations": violations, "reached": reached, "error": error,
                "memory": resident_memory()}

    def give(self, counts: list[int]) -> tuple:
        """Hand ``counts[j]`` states of the next level to shard j (balancing): (0, batch per shard)."""
        out = []
        for c in counts:
            if c:
                out.append(self.dumps(self.frontier[-c:]))
                del self.frontier[-c:]
            else:
                out.append(b"")
        return (0, *out)

    def take(self, *batches: bytes) -> int:
        for batch in batches:
            if batch:
                self.frontier.extend(pickle.loads(batch))
        self.frontier.sort(key=itemgetter(0))
        return len(self.frontier)

    def at_bound(self, check_deadlock: bool) -> tuple:
        """At the depth bound: the first state (path) with a successor, the first without one
        (when deadlocks are checked), and a spec exception met on the way."""
        live = dead = None
        for path, s in self.frontier:
            try:
                has = next(iter(self.spec.successors(s)), None) is not None
            except Exception as exc:
                return live, dead, ("expanding", path, 0, _describe(exc, "the spec raised while computing "
                                                                     "successors"))
            if has:
                live = path if live is None else live
                if not check_deadlock or dead is not None:
                    break
            elif check_deadlock and dead is None:
                dead = path
                if live is not None:
                    break
        return live, dead, None

    def first_new(self, r: int) -> list:
        """The paths of this shard's first ``r`` new states."""
        return [path for path, _ in self.frontier[:r]]

    def recount(self, stop: tuple, upto: float, through_error: bool) -> tuple:
        """Transitions, coverage and new states of the level up to the transition ``(stop, upto)``
        (excluded): states before ``stop`` whole, ``stop``'s first ``upto`` successors (all of
        them, with its transitions, when ``upto`` is INCLUSIVE), and with ``through_error`` on
        until the successor whose expansion raised.  Re-expands at most CHECK_EVERY states, from
        the last mark expand left before ``stop``."""
        expanded = self.expanded
        end = bisect.bisect_left(expanded, stop, key=itemgetter(0))
        first, transitions, coverage = next(m for m in reversed(self.marks) if m[0] <= end)
        coverage = dict(coverage)
        successors = self.spec.successors
        for path, s in expanded[first:end]:
            k = -1
            for k, (a, _) in enumerate(successors(s)):
                kind = action_kind(a)
                coverage[kind] = coverage.get(kind, 0) + 1
            transitions += k + 1
        if end < len(expanded) and expanded[end][0] == stop:
            s = expanded[end][1]
            k = -1
            try:
                for k, (a, t) in enumerate(successors(s)):
                    if k >= upto and not through_error:
                        break
                    kind = action_kind(a)
                    coverage[kind] = coverage.get(kind, 0) + 1
                    if k >= upto:
                        self.key_of(t)
                else:
                    if upto == INCLUSIVE:
                        transitions += k + 1
            except Exception:
                pass
        # the new states are one longer than ``stop``: those found before the limit sort before this
        new = bisect.bisect_left(self.frontier, stop + (upto,), key=itemgetter(0))
        return transitions, coverage, new


# -- the coordinator ----------------------------------------------------------


def parallel_bfs(spec: Spec, options: Options, progress: ProgressFn | None = None, *,
                 exact: bool = False) -> Result:
    """Breadth-first search on ``options.workers`` processes or Ray actors; see the module docstring."""
    run = Run(spec, "bfs", options, progress)
    parent: Any = []
    via: Any = []
    initial: list = []
    # the coordinator's keys only tell the initial states apart (and check a declared symmetry);
    # the shards compute their own
    admit_initial(run, spec, visited_key(spec, options, exact), {}, parent, via,
                  lambda state, node: initial.append(via[node]))
    search = _Search(run, spec, options, exact)
    search.n = len(parent)
    if initial and not run.stop:
        search.go(initial)
    stats = visited_stats(spec, options, search.n, exact, search.transitions)
    stats.update(workers=options.workers, engine=options.engine, shard_cpu_seconds=search.shard_cpu)
    return run.finish(search.n, search.transitions, search.deepest, coverage_of(search.coverage, heads=True), **stats)


def _path(p: tuple) -> Callable[[], tuple[int, list[int]]]:
    return lambda: (p[0], list(p[1:]))


def _state_at(spec: Spec, p: tuple) -> Any:
    """The spec's own state at path ``p`` (re-executed)."""
    initial, steps = follow(spec, p[0], p[1:])
    return steps[-1][2] if steps else initial


def _at(p: tuple) -> tuple:
    """The transition that found the state at path ``p``: (its parent's path, its index)."""
    return p[:-1], p[-1]


def _add(into: dict, counts: dict) -> None:
    for kind, c in counts.items():
        into[kind] = into.get(kind, 0) + c


class _Search:
    """The coordinator's bookkeeping: totals of the complete levels, and the stop rules."""

    def __init__(self, run: Run, spec: Spec, options: Options, exact: bool):
        self.run, self.spec, self.options, self.exact = run, spec, options, exact
        self.n = 0
        self.transitions = 0
        self.coverage: dict = {}
        self.depth = 0
        self.deepest = 0
        self.pool: Any = None
        self.shard_cpu: list[float] = []
        self.frontier = 0

    def heartbeat(self) -> None:
        """Keep the progress display alive while the shards work on a level."""
        run = self.run
        if run.progress is not None:  # not run.tick: the shards keep to the time limit themselves
            run.progress(Progress(run.result.strategy, self.n, self.transitions, self.frontier, self.depth,
                                  time.monotonic() - run.started))

    def go(self, initial: list) -> None:
        run, options = self.run, self.options
        try:
            self.pool = open_pool(self.spec, options, self.exact, self.heartbeat)
            self.frontier = sum(self.pool.run("seed", initial))
            while self.frontier:
                if options.depth is not None and self.depth >= options.depth:
                    self.at_depth_bound()
                    break
                run.tick(self.n, self.transitions, self.frontier, self.depth)
                if run.stop:
                    break
                if not self.level():
                    break
        except KeyboardInterrupt:
            run.cut("interrupted")
        finally:
            if self.pool is not None:
                if "interrupted" in run.result.cut_by:
                    # the workers may be mid-request (a level can take minutes): stop them now
                    self.pool.abort()
                else:
                    try:
                        self.shard_cpu = [round(c, 3) for c in self.pool.run("cpu")]
                    except Exception:
                        pass
                    self.pool.close()
            self.deepest = max(self.deepest, self.depth)

    def at_depth_bound(self) -> None:
        """The level at the depth bound is not expanded (as Run.at_depth_bound has it): the run
        is cut by depth if a state in it has a successor, and its deadlocks are still reported;
        without keep_going the first deadlock ends the run, before any later state counts."""
        run = self.run
        found = self.pool.run("at_bound", run.check_deadlock)
        errors = [f[2] for f in found if f[2] is not None]
        live = min((f[0] for f in found if f[0] is not None), default=None)
        dead = min((f[1] for f in found if f[1] is not None), default=None)
        if errors:
            error = min(errors, key=itemgetter(1))
            if (live is None or error[1] < live) and (dead is None or error[1] < dead):
                self.replay(error)
                return
        if dead is not None:
            try:
                run.deadlocked(_path(dead))
            except Exception as exc:
                run.raised(exc, None, None, _path(dead))
                return
        if live is not None and (self.options.keep_going or dead is None or live < dead):
            run.cut("depth")

    def level(self) -> bool:
        """Expand one level; False when the run stops in it."""
        run, options = self.run, self.options
        time_left = None if run.deadline is None else max(0.0, run.deadline - time.monotonic())
        expanded, merged = self.pool.level(
            (run.check_deadlock, not options.keep_going, time_left),
            ([name for name, _ in run.invariants], [name for name, _ in run.unreached]))
        new = sum(m["new"] for m in merged)
        order = {name: i for i, (name, _) in enumerate(self.spec.invariants())}
        # every event at the transition it happened on: (state path, successor index)
        events: list = []  # (at, rank, path of the state found, apply)
        violations: dict[str, tuple] = {}
        for m in merged:
            for name, p in m["violations"].items():
                if name not in violations or p < violations[name]:
                    violations[name] = p
        reached: dict[str, tuple] = {}
        for m in merged:
            for name, p in m["reached"].items():
                if name not in reached or p < reached[name]:
                    reached[name] = p
        deadlocks = [e["deadlock"] for e in expanded if e["deadlock"] is not None]
        errors = [((e["error"][1], e["error"][2]), e["error"]) for e in expanded if e["error"]]
        # an invariant that raised: its state was found, and so was its transition's coverage
        errors += [((m["error"][1][:-1], m["error"][1][-1] + 1), m["error"]) for m in merged if m["error"]]
        stops: list = []  # (limit, rank, what): the run stops before the transition ``limit``
        for name, p in violations.items():
            events.append((_at(p), order[name], p, lambda name=name, p=p: run.violated(name, _path(p))))
            if not options.keep_going:
                stops.append(((p[:-1], INCLUSIVE), 0, "violation"))
        for name, p in reached.items():
            events.append((_at(p), len(order), p, lambda name=name, p=p: run.reached(name, _path(p))))
        if deadlocks:
            p = min(deadlocks)
            events.append(((p, -1), 0, None, lambda p=p: run.deadlocked(_path(p))))
            if not options.keep_going:
                stops.append(((p, INCLUSIVE), 0, "deadlock"))
        if errors:
            at, error = min(errors, key=itemgetter(0))
            stops.append((at, 0, "error"))
        limit = self.max_states_limit(expanded, merged, new)
        if limit is not None:
            stops.append((limit, 1, "max_states"))
        stop = min(stops, key=itemgetter(0, 1)) if stops else None
        timed_out = any(e["stopped"] is not None for e in expanded)
        events.sort(key=itemgetter(0, 1))
        for at, _, found, apply in events:
            if stop is not None and at >= stop[0]:
                break
            try:
                apply()
            except Exception as exc:  # a trace that does not rebuild: the spec is nondeterministic
                run.raised(exc, None, None if found is None else _path(found), _path(at[0]))
                stop, timed_out = ((at[0], INCLUSIVE), 0, "failed"), False
                break
        if stop is None or timed_out:  # everything the shards did counts
            self.n += new
            self.transitions += sum(e["transitions"] for e in expanded)
            for e in expanded:
                _add(self.coverage, e["coverage"])
            if timed_out:
                run.cut("time_limit")
                self.deepest = self.depth + 1 if new else self.depth
                return False
            if stop is None:
                self.frontier = new
                if new:
                    self.depth += 1
                    self.balance([m["new"] for m in merged])
                # every process's memory, this one's included, against the limit
                if run.memory_limit and resident_memory() + sum(m["memory"] for m in merged) > run.memory_limit:
                    run.cut("memory_limit")
                    run.stop = True
                    return False
                return True
        else:  # count up to the transition the run stops at
            (state, upto), _, what = stop
            counts = self.pool.run("recount", state, upto, what == "error")
            self.n += sum(c[2] for c in counts)
            self.transitions += sum(c[0] for c in counts)
            for c in counts:
                _add(self.coverage, c[1])
            self.deepest = self.depth + 1 if any(c[2] for c in counts) else self.depth
        what = stop[2]
        if what == "max_states":
            run.cut("max_states")
        elif what == "error":
            self.replay(error)
        run.stop = True
        return False

    def balance(self, sizes: list[int]) -> None:
        """New states stay with the shard that found them; when that leaves one shard with
        clearly more of the next level than another, move the surplus (the only states that
        travel between shards, besides the keys and paths of candidates)."""
        count = len(sizes)
        fair = sum(sizes) / count
        if max(sizes) <= fair * BALANCE_SLACK + BALANCE_MIN:
            return
        plan = [[0] * count for _ in range(count)]
        takers = [[j, int(fair - size)] for j, size in enumerate(sizes) if size < fair]
        for w, size in enumerate(sizes):
            surplus = int(size - fair)
            for taker in takers:
                if surplus <= 0:
                    break
                c = min(surplus, taker[1])
                if c > 0:
                    plan[w][taker[0]] += c
                    taker[1] -= c
                    surplus -= c
        self.pool.balance(plan)

    def max_states_limit(self, expanded: list, merged: list, new: int) -> tuple | None:
        """The transition limit at which the sequential search would stop for max_states: after
        the first state whose expansion brings the count to max_states, if any state is left."""
        bound = self.options.max_states
        if bound is None or self.n + new < bound:
            return None
        if self.n >= bound:  # already there: stop after the first state, if it leaves any behind
            first = min(e["first"] for e in expanded if e["first"] is not None)
            if self.frontier > 1 or sum(c[2] for c in self.pool.run("recount", first, INCLUSIVE, False)):
                return first, INCLUSIVE
            return None
        need = bound - self.n  # the need-th new state of the level, in path order
        paths = sorted(p for batch in self.pool.run("first_new", need) for p in batch)
        return paths[need - 1][:-1], INCLUSIVE

    def replay(self, error: tuple) -> None:
        """Re-run what raised in a shard here, so the error is reported as the sequential search
        reports it (Run.raised, with the exception's own traceback)."""
        run, spec = self.run, self.spec
        if error[0] == "checking":
            p = error[1]
            state = _state_at(spec, p)
            try:
                for _, f in run.invariants:
                    f(state)
                for _, f in run.unreached:
                    f(state)
            except Exception as exc:
                run.raised(exc, state, _path(p), _path(p[:-1]))
                return
            run.failed(SpecError(error[2]), _path(p), "")
            return
        p = error[1]
        state = t = _state_at(spec, p)
        key_of = key_function(spec, self.exact, False)
        try:
            for _, t in spec.successors(state):
                key_of(t)
        except Exception as exc:
            run.raised(exc, t, None, _path(p))
            return
        run.failed(SpecError(error[3]), _path(p), "")


# -- where the shards run -------------------------------------------------------


def open_pool(spec: Spec, options: Options, exact: bool, heartbeat: Callable[[], None]):
    if options.engine == "ray":
        return RayPool(spec, options, exact, heartbeat)
    return LocalPool(spec, options, exact, heartbeat)


class LocalPool:
    """Shards in processes forked from this one (so they share its hash salt and its spec)."""

    def __init__(self, spec: Spec, options: Options, exact: bool, heartbeat: Callable[[], None]):
        context = multiprocessing.get_context("fork")
        self.heartbeat = heartbeat
        self.conns: list = []
        self.procs: list = []
        count = options.workers
        for i in range(count):
            ours, theirs = context.Pipe()
            proc = context.Process(target=_serve, args=(theirs, spec, i, count, exact, options.symmetry),
                                   name=f"modelcheck-shard-{i}", daemon=True)
            proc.start()
            theirs.close()
            self.conns.append(ours)
            self.procs.append(proc)

    def call(self, method: str, args: list[tuple]) -> list:
        for conn, a in zip(self.conns, args):
            conn.send((method, a))
        return [self._receive(i) for i in range(len(self.conns))]

    def run(self, method: str, *args: Any) -> list:
        return self.call(method, [args] * len(self.conns))

    def level(self, expand: tuple, adopt: tuple) -> tuple[list, list]:
        out = self.run("expand", *expand)
        count = len(self.conns)
        merged = self.call("merge", [tuple(out[w][1 + j] for w in range(count)) for j in range(count)])
        adopted = self.call("adopt", [(*adopt, *(merged[w][1 + j] for w in range(count)))
                                      for j in range(count)])
        return [o[0] for o in out], adopted

    def balance(self, plan: list[list[int]]) -> list:
        out = self.call("give", [(counts,) for counts in plan])
        count = len(self.conns)
        return self.call("take", [tuple(out[w][1 + j] for w in range(count)) for j in range(count)])

    def _receive(self, i: int) -> Any:
        conn = self.conns[i]
        while not conn.poll(0.5):
            if not self.procs[i].is_alive():
                break
            self.heartbeat()
        try:
            status, value = conn.recv()
        except EOFError:
            raise SpecError(f"worker {i} died (exit code {self.procs[i].exitcode})") from None
        if status == "error":
            raise value
        return value

    def abort(self) -> None:
        """Stop the workers at once (Ctrl-C), whatever they are doing."""
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.join(timeout=5)
        for conn in self.conns:
            conn.close()

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except OSError:
                pass
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for conn in self.conns:
            conn.close()


def _serve(conn: Any, spec: Spec, index: int, count: int, exact: bool, symmetry: bool) -> None:
    """A worker process: run the coordinator's requests on one shard until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    shard = Shard(spec, index, count, exact, symmetry)
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        method, args = request
        try:
            reply = ("ok", getattr(shard, method)(*args))
        except SpecError as exc:
            reply = ("error", SpecError(str(exc)))
        except Exception as exc:
            reply = ("error", RuntimeError(f"worker {index}: {type(exc).__name__}: {exc}\n"
                                           f"{traceback.format_exc()}"))
        conn.send(reply)


#: seconds to wait for a Ray cluster's port to answer before giving up
CONNECT_TIMEOUT = 10.0


def _check_reachable(address: str) -> None:
    """A one-line SpecError when nothing answers at ``host:port`` (or ``ray://host:port``):
    ray.init itself retries for minutes, printing its own warnings.  ``auto`` and other
    forms are left to Ray."""
    import socket

    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not port.isdigit() or not host:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise SpecError(f"--address {address}: no Ray cluster answers there ({exc}); start one with "
                        "`ray start --head` and give the address it prints, or leave --address out to "
                        "start a local one") from None


class RayPool:
    """Shards as Ray actors; batches go from actor to actor as object references."""

    def __init__(self, spec: Spec, options: Options, exact: bool, heartbeat: Callable[[], None]):
        try:
            import ray
        except ImportError:
            raise SpecError("--engine ray needs Ray: pip install 'modelcheck[ray]'") from None
        import logging

        self.ray = ray
        self.heartbeat = heartbeat
        self.started = False
        self.actors: list = []
        count = options.workers
        if not ray.is_initialized():
            if options.address is None:
                ray.init(num_cpus=count, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR)
            else:
                _check_reachable(options.address)
                ray.init(address=options.address, log_to_driver=False, logging_level=logging.ERROR)
            self.started = True
        module = sys.modules.get(type(spec).__module__)
        if module is not None and not module.__name__.startswith("modelcheck"):
            # a spec from the user's file or test module: the workers cannot import it by name
            ray.cloudpickle.register_pickle_by_value(module)
        actor = ray.remote(num_cpus=1)(Shard)
        env = {"env_vars": {"PYTHONHASHSEED": HASH_SEED}}
        self.actors = [actor.options(runtime_env=env).remote(spec, i, count, exact, options.symmetry)
                       for i in range(count)]
        probes = self.get([a.probe.remote() for a in self.actors])
        if len({p[0] for p in probes}) != 1:
            raise SpecError("Ray workers hash strings differently although PYTHONHASHSEED is fixed in "
                            "their runtime_env; fingerprints would not agree")
        if len(set(probes)) != 1:  # None hashed by address (Python < 3.12)
            if options.symmetry:
                raise SpecError("--symmetry with --engine ray needs Python 3.12 or later (where every "
                                "process hashes None alike); use --workers on one machine")
            self.run("share_keys")

    def get(self, refs: list) -> list:
        pending = list(refs)
        while pending:
            _, pending = self.ray.wait(pending, num_returns=len(pending), timeout=0.5)
            if pending:
                self.heartbeat()
        try:
            return self.ray.get(refs)
        except self.ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, SpecError):
                raise SpecError(str(exc.cause)) from None
            raise

    def run(self, method: str, *args: Any) -> list:
        return self.get([getattr(a, method).remote(*args) for a in self.actors])

    def level(self, expand: tuple, adopt: tuple) -> tuple[list, list]:
        count = len(self.actors)
        out = [a.expand.options(num_returns=count + 1).remote(*expand) for a in self.actors]
        merged = [a.merge.options(num_returns=count + 1).remote(*(out[w][1 + j] for w in range(count)))
                  for j, a in enumerate(self.actors)]
        adopted = [a.adopt.remote(*adopt, *(merged[w][1 + j] for w in range(count)))
                   for j, a in enumerate(self.actors)]
        return self.get([o[0] for o in out]), self.get(adopted)

    def balance(self, plan: list[list[int]]) -> list:
        count = len(self.actors)
        out = [a.give.options(num_returns=count + 1).remote(counts) for a, counts in zip(self.actors, plan)]
        return self.get([a.take.remote(*(out[w][1 + j] for w in range(count)))
                         for j, a in enumerate(self.actors)])

    def abort(self) -> None:
        self.close()  # killing the actors stops them mid-request too

    def close(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:
                pass
        if self.started:
            self.ray.shutdown()
