"""What every strategy shares: options, stop conditions, property bookkeeping, traces.

A strategy asks :class:`Run` whether to stop, tells it about violations, and hands
it the path (initial index + action indices) to a state of interest; ``Run``
re-executes that path against the spec to rebuild the full trace only then, so the
hot loops store fingerprints and parent links, never paths.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Hashable, Sequence

import attrs

from ..registry import reference
from ..result import HOLDS, REACHED, UNKNOWN, UNREACHED, VIOLATED, Result
from ..spec import Spec, SpecError, SymmetryError, action_kind, find_unhashable, pair_problem
from ..trace.model import Step, Trace
from .contract import NONE_GIVEN, PROBED, check_contract, check_properties, returned_none, undefined_method

__all__ = ["Options", "Run", "Progress"]

#: how many expansions between two looks at the clock (progress, time limit)
CHECK_EVERY = 2048
#: what a search says the spec was doing when successors() raised (replay reads it back)
SUCCESSORS_RAISED = "the spec raised while computing successors"


@attrs.frozen
class Options:
    """Bounds and switches of one exploration."""

    depth: int | None = None
    max_states: int | None = None
    time_limit: float | None = None
    #: keep going after a violation, to find the first violation of every invariant
    keep_going: bool = False
    #: None: as the spec says (Spec.check_deadlock)
    deadlock: bool | None = None
    seed: int | None = None
    walks: int = 1000
    #: deduplicate states equal up to the spec's declared symmetry (see symmetry.py)
    symmetry: bool = False
    #: processes (or Ray workers) of a parallel breadth-first search; 1: in-process
    workers: int = 1
    #: "local" (this machine) or "ray" (a Ray cluster at ``address``)
    engine: str = "local"
    address: str | None = None
    #: stop with the partial summary when the process's resident memory passes this many
    #: bytes (None: 85% of the memory available when the run starts; 0: no limit)
    memory_limit: int | None = None
    #: breadth-first search: save a checkpoint in this directory every ``checkpoint_every``
    #: seconds and when the run stops early; ``resume`` continues from one
    checkpoint: str | None = None
    checkpoint_every: float = 60.0
    resume: str | None = None


@attrs.define
class Progress:
    """A snapshot handed to the progress display while a run goes on."""

    strategy: str
    distinct_states: int
    transitions: int
    frontier: int
    depth: int
    elapsed: float


ProgressFn = Callable[[Progress], None]


class Run:
    def __init__(self, spec: Spec, strategy: str, options: Options, progress: ProgressFn | None):
        self.spec = spec
        self.options = options
        self.progress = progress
        self.started = time.monotonic()
        self.deadline = self.started + options.time_limit if options.time_limit else None
        self.invariants = list(spec.invariants())
        self.unreached = list(spec.reachability())
        self.check_deadlock = spec.check_deadlock if options.deadlock is None else options.deadlock
        bounds: dict[str, Any] = {}
        if options.depth is not None:
            bounds["depth"] = options.depth
        if options.max_states is not None:
            bounds["max_states"] = options.max_states
        if options.time_limit is not None:
            bounds["time_limit"] = options.time_limit
        self.result = Result(
            spec=reference(spec),
            params=spec.params(),
            strategy=strategy,
            seed=options.seed,
            faults=dict(getattr(spec, "fault_summary", lambda: {})()),
            bounds=bounds,
            invariants={name: HOLDS for name, _ in self.invariants},
            reachability={name: UNREACHED for name, _ in self.unreached},
            deadlock_checked=self.check_deadlock,
        )
        self.stop = False
        self.memory_limit = default_memory_limit() if options.memory_limit is None else options.memory_limit
        if options.memory_limit:
            bounds["memory_limit"] = options.memory_limit

    # -- checkpoints -------------------------------------------------------------

    def snapshot(self) -> dict:
        """What this run found so far, for a checkpoint (see checkpoint.py)."""
        res = self.result
        return {"active": [n for n, _ in self.invariants], "unreached": [n for n, _ in self.unreached],
                "check_deadlock": self.check_deadlock, "elapsed": time.monotonic() - self.started,
                "invariants": dict(res.invariants), "reachability": dict(res.reachability),
                "violations": list(res.violations), "examples": dict(res.examples)}

    def restore(self, saved: dict) -> None:
        """Continue a checkpointed run: its verdicts and traces, its active properties, and
        its elapsed time (so rates and times cover the whole search)."""
        res = self.result
        self.invariants = [(n, f) for n, f in self.invariants if n in saved["active"]]
        self.unreached = [(n, f) for n, f in self.unreached if n in saved["unreached"]]
        # load_checkpoint refused a run asking for other deadlock checking than the saved one,
        # so deadlock_checked holds; False here if a deadlock was already found (keep_going)
        self.check_deadlock = saved["check_deadlock"]
        self.started -= saved["elapsed"]
        res.invariants.update(saved["invariants"])
        res.reachability.update(saved["reachability"])
        res.violations[:0] = saved["violations"]
        res.examples.update(saved["examples"])
        res.stats["resumed_after"] = round(saved["elapsed"], 3)

    # -- the clock ---------------------------------------------------------

    def tick(self, distinct: int, transitions: int, frontier: int, depth: int) -> None:
        """Called every CHECK_EVERY expansions: progress display and time limit."""
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            self.cut("time_limit")
            self.stop = True
        if self.memory_limit and resident_memory() > self.memory_limit:
            self.cut("memory_limit")
            self.stop = True
        if self.progress is not None:
            self.progress(
                Progress(self.result.strategy, distinct, transitions, frontier, depth, now - self.started)
            )

    def defer_interrupts(self) -> Callable[[], None]:
        """Until the returned function is called, Ctrl-C stops the run at the next point
        where its state is consistent (the loops check ``stop`` between expansions), so a
        checkpoint never holds half an expansion; a second Ctrl-C interrupts at once.
        Outside the main thread signals cannot be caught: nothing changes there."""
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def on_interrupt(signum: int, frame: Any) -> None:
            if self.stop and "interrupted" in self.result.cut_by:
                raise KeyboardInterrupt
            self.cut("interrupted")
            self.stop = True

        try:
            previous = signal.signal(signal.SIGINT, on_interrupt)
        except ValueError:
            return lambda: None
        return lambda: signal.signal(signal.SIGINT, previous)

    def cut(self, reason: str) -> None:
        if reason not in self.result.cut_by:
            self.result.cut_by.append(reason)

    # -- properties ----------------------------------------------------------

    def check(self, state: Hashable) -> list[str]:
        """Names of the active invariants ``state`` breaks (slow path, used on demand)."""
        return [name for name, inv in self.invariants if not inv(state)]

    def violated(self, name: str, path: Callable[[], tuple[int, Sequence[int]]]) -> None:
        """Record the first violation of invariant ``name``; ``path`` rebuilds its trace."""
        self.invariants = [(n, f) for n, f in self.invariants if n != name]
        self.result.invariants[name] = VIOLATED
        init, steps = path()
        trace = self.trace("invariant", name, init, steps)
        verdict = dict(self.spec.invariants())[name](trace.last_state)
        if verdict is None:  # falsy, so a violation, but most likely a forgotten return
            raise returned_none("invariant", name)
        if verdict:
            raise SpecError(
                f"the spec is nondeterministic: re-executing the path to a state that violates {name} "
                "led to a state that does not; successors must depend on the state alone"
            )
        self.result.violations.append(trace)
        if not self.options.keep_going:
            self.stop = True

    def deadlocked(self, path: Callable[[], tuple[int, Sequence[int]]]) -> None:
        init, steps = path()
        self.result.violations.append(self.trace("deadlock", "deadlock", init, steps))
        self.check_deadlock = False
        if not self.options.keep_going:
            self.stop = True

    def at_depth_bound(self, spec: Spec, states: Sequence[Hashable], first: int,
                       path: Callable[[int], Callable[[], tuple[int, Sequence[int]]]], *,
                       record_cut: bool = True) -> bool:
        """States found at exactly the depth bound (numbered ``first``, ``first + 1``...) are
        not expanded: the run is cut by depth only if one of them has a successor (returned;
        recorded unless ``record_cut`` is False), and with deadlock checking each is still
        checked for having none.  A spec that raises there is an error at that state."""
        cut = False
        for i, state in enumerate(states):
            try:
                has_successor = next(iter(spec.successors(state)), None) is not None
            except Exception as exc:
                self.failed(exc, path(first + i), SUCCESSORS_RAISED)
                return cut
            if has_successor:
                cut = True
                if not self.check_deadlock:
                    break
            elif self.check_deadlock:
                self.deadlocked(path(first + i))
                if self.stop:
                    break
        if cut and record_cut:
            self.cut("depth")
        return cut

    def reached(self, name: str, path: Callable[[], tuple[int, Sequence[int]]]) -> None:
        self.unreached = [(n, f) for n, f in self.unreached if n != name]
        self.result.reachability[name] = REACHED
        init, steps = path()
        self.result.examples[name] = self.trace("example", name, init, steps)

    def check_reachability(self, state: Hashable, path: Callable[[], tuple[int, Sequence[int]]]) -> None:
        for name, prop in list(self.unreached):
            met = prop(state)
            if met:
                self.reached(name, path)
            elif met is None:  # read as false it would call the model vacuous
                raise returned_none("sometimes-property", name)

    def failed(self, exc: BaseException, path: Callable[[], tuple[int, Sequence[int]]], what: str) -> None:
        """The spec raised (or produced an unusable state): an error with the trace that led there."""
        message = describe_exception(exc, what)
        try:
            init, steps = path()
        except SpecError as again:
            init, steps, message = 0, [], f"{message}; and the trace to it cannot be rebuilt: {again}"
        self.result.error = self.trace("error", "error", init, steps, error=message)
        self.stop = True

    def raised(self, exc: Exception, state: Any, checking: Callable[[], tuple[int, Sequence[int]]] | None,
               expanding: Callable[[], tuple[int, Sequence[int]]]) -> None:
        """The spec raised in a search loop: while checking the invariants of ``state`` (when
        ``checking`` leads to it) or while computing the successors of the state ``expanding``
        leads to.  An unhashable state is the user's mistake, raised as a SpecError."""
        if isinstance(exc, TypeError) and "unhashable" in str(exc):
            raise unhashable_error(state) from exc
        if isinstance(exc, SymmetryError):  # found mid-search: refused as at the start
            raise exc
        if checking is None and isinstance(exc, (TypeError, ValueError)):
            broken = self._broken_contract(expanding)
            if broken is not None:
                raise broken from exc
        if checking is not None:
            self.failed(exc, checking, "the spec raised while checking an invariant")
        else:
            self.failed(exc, expanding, SUCCESSORS_RAISED)

    def _broken_contract(self, expanding: Callable[[], tuple[int, Sequence[int]]]) -> SpecError | None:
        """The SpecError to give when the successors of the state ``expanding`` leads to are
        not (action, state) pairs (a search's unpacking then raised TypeError or ValueError)."""
        try:
            init, steps = expanding()
            path = follow(self.spec, init, steps)[1]
            state = path[-1][2] if path else list(self.spec.initial_states())[init]
            given = self.spec.successors(state)
            if given is None:
                return SpecError(NONE_GIVEN.format(title=self.spec.title))
            for item in given:
                problem = pair_problem(item)
                if problem is not None:
                    return SpecError(f"spec {self.spec.title!r}: {problem}")
        except Exception:  # the spec raises on the way: that is the error to report, as it is
            return None
        return None

    # -- traces --------------------------------------------------------------

    def trace(
        self, kind: str, prop: str, init: int, steps: Sequence[int], error: str | None = None
    ) -> Trace:
        return rebuild(self.spec, kind, prop, init, steps, strategy=self.result.strategy,
                       seed=self.options.seed, error=error)

    def finish(self, distinct: int, transitions: int, depth: int, coverage: dict[str, int],
               **stats: Any) -> Result:
        res = self.result
        res.distinct_states = distinct
        res.transitions = transitions
        res.depth = depth
        res.elapsed = time.monotonic() - self.started
        res.coverage = dict(sorted(coverage.items()))
        res.stats.update(stats)
        if self.stop and not res.cut_by and res.strategy in ("bfs", "dfs"):
            # it stopped at a violation or an error, so the other invariants were not
            # checked on every state (conservative when that was the last state anyway)
            res.stopped_early = "error" if res.error is not None else "violation"
        if res.cut_by or res.stopped_early or res.strategy not in ("bfs", "dfs"):
            for name, verdict in res.invariants.items():
                if verdict == HOLDS:
                    res.invariants[name] = UNKNOWN
        return res


def follow(spec: Spec, init: int, steps: Sequence[int]) -> tuple[Any, list[tuple[Hashable, int, Any]]]:
    """Re-execute a path given as indices: the initial state and ``(action, index, state)`` per step."""
    initial = list(spec.initial_states())[init]
    state = initial
    out = []
    for index in steps:
        enabled = list(spec.successors(state))
        if index >= len(enabled):
            raise SpecError(
                f"the spec is nondeterministic: transition #{index} was enabled when the state was "
                f"explored but only {len(enabled)} are now; successors must depend on the state alone"
            )
        action, state = enabled[index]
        out.append((action, index, state))
    return initial, out


def rebuild(spec: Spec, kind: str, prop: str, init: int, steps: Sequence[int], *,
            strategy: str, seed: int | None, error: str | None = None) -> Trace:
    """Re-execute a path given as indices and return it as a Trace."""
    initial, path = follow(spec, init, steps)
    people = None
    if type(spec).readable is not Spec.readable:
        people = (shown(spec, initial), *(shown(spec, state) for _, _, state in path))
    return Trace(
        spec=reference(spec),
        params=spec.params(),
        faults=dict(getattr(spec, "fault_summary", lambda: {})()),
        kind=kind,
        property=prop,
        initial_index=init,
        initial_state=initial,
        steps=tuple(Step(action=action, label=step_label(spec, action), index=index, state=state)
                    for action, index, state in path),
        strategy=strategy,
        seed=seed,
        error=error,
        shown=people,
    )


def trace_path(parent: Any, via: Any, node: int) -> Callable[[], tuple[int, list[int]]]:
    """A callable giving (initial index, action indices) to state ``node`` from parent links."""

    def build() -> tuple[int, list[int]]:
        j = node
        steps = []
        while parent[j] >= 0:
            steps.append(via[j])
            j = parent[j]
        steps.reverse()
        return via[j], steps

    return build


def resident_memory() -> int:
    """This process's resident set size in bytes (Linux /proc; else the peak, from getrusage)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def default_memory_limit() -> int:
    """85% of what this process has now plus what the machine has available (0: unknown)."""
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        return int(0.85 * (info["MemAvailable"] + resident_memory()))
    except (OSError, KeyError, ValueError, IndexError):
        return 0


try:
    import os as _os

    _PAGE = _os.sysconf("SC_PAGE_SIZE")
except (ValueError, OSError, AttributeError):
    _PAGE = 4096


def shown(spec: Spec, state: Hashable) -> Any:
    """``spec.readable(state)``, its exception a one-line SpecError."""
    try:
        return spec.readable(state)
    except Exception as exc:
        raise spec_raised("the spec raised in readable()", exc) from exc


def explanation(spec: Spec, name: str, state: Hashable) -> str | None:
    """``spec.explain(name, state)`` for showing under a violation: an explanation that raises
    is shown as such (the violation stands, its trace is still printed), one that is not a
    str as its text."""
    try:
        text = spec.explain(name, state)
    except Exception as exc:
        return f"(the spec raised while explaining it: {type(exc).__name__}: {exc}{where(exc)})"
    return text if text is None or isinstance(text, str) else str(text)


def step_label(spec: Spec, action: Hashable) -> str:
    """``spec.format_action(action)``: a step's name in traces, graphs and simulations; its
    exception, or a result that is not a str, a one-line SpecError (as for readable())."""
    try:
        text = spec.format_action(action)
    except Exception as exc:
        raise spec_raised(f"the spec raised in format_action({action!r})", exc) from exc
    if not isinstance(text, str):
        raise SpecError(f"format_action({action!r}) returned a {type(text).__name__}, not a str "
                        "(the step's name, as people read it)")
    return text


def spec_raised(what: str, exc: BaseException) -> SpecError:
    """A spec's own exception as a one-line SpecError: what it was doing, the exception, where."""
    return SpecError(f"{what}: {type(exc).__name__}: {exc}{where(exc)}")


def initial_states(spec: Spec, *, visited: bool = False) -> list[Any]:
    """The spec's initial states as a list; a spec that raises or has none is a SpecError.

    There is no state yet, so no trace to report: the modes that sample executions
    (random walks, simulation, fuzzing, the state graph) stop with this error.  The first
    ones are probed with :func:`check_contract` (``visited``: for a mode that keeps a
    visited set).
    """
    for name in ("initial_states", "successors"):  # (a function set on the spec object counts)
        if getattr(getattr(spec, name, None), "__func__", None) is getattr(Spec, name):
            raise SpecError(undefined_method(spec, name))
    try:
        given = spec.initial_states()
        if getattr(given, "_fields", None) is not None or hasattr(type(given), "__attrs_attrs__"):
            raise SpecError(f"spec {spec.title!r}: initial_states() returned one state ({type(given).__name__}); "
                            "return a list of states, e.g. [state]")
        initial = list(given)
    except SpecError:
        raise
    except Exception as exc:
        raise spec_raised("the spec raised on its initial states", exc) from exc
    if not initial:
        raise SpecError("the spec has no initial state: initial_states() returned nothing")
    for state in initial[:PROBED]:
        check_contract(spec, state, visited=visited)
        check_properties(spec, state)
    return initial


def admit_initial(run: "Run", spec: Spec, fp_of: Callable[[Any], Hashable], seen: Any,
                  parent: Any, via: Any, found: Callable[[Hashable, int], None]) -> None:
    """Number the distinct initial states and check them.  A spec that raises while making
    them is a one-line SpecError (there is no state to show); an invariant that raises on
    one is an error result with that state."""
    state: Any = None
    node = -1
    for k, state in enumerate(initial_states(spec, visited=True)):
        try:
            fp = fp_of(state)
        except TypeError as exc:
            if "unhashable" in str(exc):
                raise unhashable_error(state) from exc
            raise
        if fp in seen:
            continue
        node = len(parent)
        seen[fp] = node
        parent.append(-1)
        via.append(k)
        found(state, node)
        try:
            for name, inv in list(run.invariants):
                if not inv(state):
                    run.violated(name, trace_path(parent, via, node))
            if run.unreached:
                run.check_reachability(state, trace_path(parent, via, node))
        except SpecError:
            raise
        except Exception as exc:
            run.failed(exc, trace_path(parent, via, node), "the spec raised while checking an invariant of its initial states")
            return


def describe_exception(exc: BaseException, what: str) -> str:
    """``what: KeyError: 'x' (at spec.py:12 in successors)``; a SpecError says it all itself."""
    return str(exc) if isinstance(exc, SpecError) else f"{what}: {type(exc).__name__}: {exc}{where(exc)}"


def where(exc: BaseException) -> str:
    """`` (at file.py:12 in fn)`` for the innermost frame of the spec's traceback."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    code = tb.tb_frame.f_code
    return f" (at {code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno} in {code.co_name})"


def unhashable_error(state: Any) -> SpecError:
    where = find_unhashable(state) or "state"
    return SpecError(
        f"a state is not hashable: {where} cannot be hashed; use tuples, frozensets "
        "and frozen attrs classes instead of lists, sets, dicts and mutable objects"
    )


def coverage_of(kinds: dict[Hashable, int], *, heads: bool = False) -> dict[str, int]:
    """Fold per-action counts into per-kind counts.  ``heads``: the keys are what the
    searches' inlined fast path counts (a string action, a tuple action's first item, or
    :func:`action_kind` of anything else), so a key that is not a string is the first
    item of a tuple action whose kind is ``tuple``."""
    out: dict[str, int] = {}
    for action, n in kinds.items():
        k = (action if isinstance(action, str) else "tuple") if heads else action_kind(action)
        out[k] = out.get(k, 0) + n
    return out
