"""Fuzzing a spec: Hypothesis draws schedules, a failure is shrunk twice and reported as a Trace.

:func:`fuzz` is the strategy behind ``modelcheck fuzz``: it returns a
:class:`~modelcheck.Result` like ``explore`` does (strategy ``"fuzz"``, the seed
recorded), so the CLI, the summary, the JSON output and the trace store treat it
alike.  :func:`check_spec` is the one line for a test suite: it fuzzes, saves the
counterexample and fails with the rendered trace.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any, Hashable

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, seed as hypothesis_seed, settings
from hypothesis.errors import Flaky

from ..explore.contract import returned_none
from ..explore.run import Options, ProgressFn, Run, coverage_of, explanation, unhashable_error
from ..result import Result
from ..spec import Spec, SpecError, action_kind
from ..trace.format import trace_to_dict
from ..trace.model import Trace
from ..trace.render import render_trace
from ..trace.store import DEFAULT_DIR, save_trace
from .shrink import shortcut, shrink
from .strategies import Failure, Schedule, schedules, spec_of

__all__ = ["fuzz", "check_spec", "CounterexampleFound", "render"]

#: how often (in examples) the progress callback is called
PROGRESS_EVERY = 16


class CounterexampleFound(AssertionError):
    """:func:`check_spec` found a violation it did not expect; ``result`` holds it."""

    def __init__(self, message: str, result: Result) -> None:
        super().__init__(message)
        self.result = result


class _Failed(Exception):
    """Raised inside the Hypothesis test so that Hypothesis shrinks the schedule."""

    def __init__(self, schedule: Schedule) -> None:
        super().__init__(repr(schedule))
        self.schedule = schedule


class _Tally:
    """What the executed schedules covered, and when the first failure came."""

    def __init__(self, run: Run, examples: int) -> None:
        self.run = run
        self.examples = examples
        self.calls = 0
        self.seen: set[int] = set()
        self.transitions = 0
        self.depth = 0
        self.actions: dict[Hashable, int] = {}  # folded into kinds by coverage_of
        self.first: tuple[int, float, int] | None = None  # examples, seconds, steps
        self.best: Schedule | None = None  # the shortest failing schedule so far (Ctrl-C keeps it)

    def observe(self, schedule: Schedule) -> Schedule:
        """Count ``schedule`` and check its sometimes-properties; returns it, cut at the state
        where a sometimes-property raised (an error failure) if one did."""
        self.calls += 1
        run = self.run
        if self.first is None and self.calls % PROGRESS_EVERY == 0:
            run.tick(len(self.seen), self.transitions, max(self.examples - self.calls, 0), self.depth)
        for state in schedule.states:
            try:
                self.seen.add(hash(state))
            except TypeError:
                raise unhashable_error(state) from None
        self.transitions += len(schedule)
        self.depth = max(self.depth, len(schedule))
        for action in schedule.actions:  # by kind, as the searches count (an action need not hash)
            kind = action_kind(action)
            self.actions[kind] = self.actions.get(kind, 0) + 1
        if run.unreached:
            schedule = self._reachability(schedule)
        if schedule.failure is not None:
            if self.first is None:
                self.first = (self.calls, time.monotonic() - run.started, len(schedule))
            if self.best is None or len(schedule) < len(self.best):
                self.best = schedule
        return schedule

    def _reachability(self, schedule: Schedule) -> Schedule:
        run = self.run
        for n, state in enumerate(schedule.states):
            for name, prop in list(run.unreached):
                try:
                    met = prop(state)
                except Exception as exc:  # the spec raised: the schedule up to this state is the report
                    what = f"the spec raised while checking sometimes-property {name}"
                    failure = Failure("error", "error", exc, what)
                    return attrs.evolve(schedule, indices=schedule.indices[:n], actions=schedule.actions[:n],
                                        states=schedule.states[:n + 1], failure=failure)
                if met:
                    run.reached(name, lambda n=n: (schedule.initial, schedule.indices[:n]))
                elif met is None:  # a missing return: an error at this state, as explore reports it
                    failure = Failure("error", "error", returned_none("sometimes-property", name),
                                      f"checking sometimes-property {name}")
                    return attrs.evolve(schedule, indices=schedule.indices[:n], actions=schedule.actions[:n],
                                        states=schedule.states[:n + 1], failure=failure)
        return schedule


def _settings(examples: int | None) -> settings:
    """The run's Hypothesis settings on top of the active profile (``--hypothesis-profile``).

    Always: the seed decides (no example database, not derandomized), no deadline,
    silent (the report is the shrunk trace), one failure shrunk.
    """
    return settings(
        max_examples=settings.default.max_examples if examples is None else examples,
        derandomize=False,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        phases=(Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.large_base_example),
    )


def fuzz(spec: Spec | str, *, examples: int | None = None, max_steps: int | None = None,
         seed: int | None = None, params: dict[str, Any] | None = None, faults: Any = None,
         progress: ProgressFn | None = None) -> Result:
    """Run ``examples`` Hypothesis-drawn schedules of ``spec`` and return the Result.

    ``spec`` is a Spec or a registry reference built with ``params`` and ``faults``.
    ``examples`` and ``max_steps`` default to the active Hypothesis profile's
    ``max_examples`` and ``stateful_step_count`` (100 and 50 unless a profile such as
    ``deep`` says otherwise).  ``seed`` None picks a fresh one; it is recorded in the
    Result and in the counterexample, and the same seed gives the same run.  The first
    failure found is shrunk by Hypothesis, then by delta debugging (:mod:`.shrink`).
    """
    the_spec = spec_of(spec, params, faults)
    if examples is not None and examples < 1:
        raise SpecError(f"examples must be >= 1, not {examples}")
    if max_steps is not None and max_steps < 0:
        raise SpecError(f"max_steps must be >= 0, not {max_steps}")
    chosen = _settings(examples)
    steps = settings.default.stateful_step_count if max_steps is None else max_steps
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    run = Run(the_spec, "fuzz", Options(seed=seed), progress)
    run.result.bounds.update(examples=chosen.max_examples, max_steps=steps)
    tally = _Tally(run, chosen.max_examples)

    @chosen
    @hypothesis_seed(seed)
    @given(schedules(the_spec, max_steps=steps))
    def execute(schedule: Schedule) -> None:
        schedule = tally.observe(schedule)
        if schedule.failure is not None:
            raise _Failed(schedule)

    found: Schedule | None = None
    try:
        execute()
    except _Failed as failed:
        found = failed.schedule
    except Flaky as exc:
        raise SpecError("the spec is nondeterministic: a failing schedule did not fail again when "
                        f"re-executed; successors must depend on the state alone ({exc})") from None
    except KeyboardInterrupt:  # a failure found before it is still the answer, shrunk or not
        run.cut("interrupted")
        found = tally.best
    stats: dict[str, Any] = {"examples": tally.calls}
    if found is not None:
        examples_to_find, seconds, first_steps = tally.first or (tally.calls, 0.0, len(found))
        started = debugged = time.monotonic()
        minimal = shrunk = found
        if "interrupted" not in run.result.cut_by:
            try:  # Ctrl-C while shrinking: the shortest failure so far
                minimal = shrunk = shrink(found)
                debugged = time.monotonic()
                shrunk = shortcut(minimal)
            except KeyboardInterrupt:
                run.cut("interrupted")
        stats = {
            "examples": examples_to_find,  # until the first failing schedule
            "found_after_seconds": round(seconds, 3),
            "steps_found": first_steps,
            "steps_after_hypothesis": len(found),
            "steps_after_delta_debugging": len(minimal),
            "steps_after_shrink": len(shrunk),  # after the bounded search for a shorter path
            "hypothesis_shrink_examples": tally.calls - examples_to_find,
            "delta_debugging_seconds": round(debugged - started, 3),
            "shortcut_seconds": round(time.monotonic() - debugged, 3),
        }
        _record(run, shrunk)
    return run.finish(len(tally.seen), tally.transitions, tally.depth, coverage_of(tally.actions), **stats)


def _record(run: Run, schedule: Schedule) -> None:
    """Hand the shrunk failure to Run, which rebuilds its Trace (strategy fuzz, seed)."""
    failure = schedule.failure
    assert failure is not None
    path = lambda: (schedule.initial, list(schedule.indices))  # noqa: E731
    if failure.kind == "invariant":
        run.violated(failure.property, path)
    elif failure.kind == "deadlock":
        run.deadlocked(path)
    else:
        run.failed(failure.exception, path, failure.what)


def render(spec: Spec, trace: Trace) -> str:
    """A trace as plain text: its steps, what changed, the violated property and why."""
    desc = why = None
    if trace.kind == "invariant":
        desc = type(spec).describe_property(trace.property)
        why = explanation(spec, trace.property, trace.last_state)
    return "\n".join(line.plain for line in render_trace(trace_to_dict(trace), desc, why))


def check_spec(spec: Spec | str, *, examples: int | None = None, max_steps: int | None = None,
               seed: int | None = None, save_to: str | Path | None = DEFAULT_DIR,
               expect_violation: str | bool | None = None, params: dict[str, Any] | None = None,
               faults: Any = None) -> Result:
    """Fuzz ``spec`` (see :func:`fuzz`) and fail like a test when it goes wrong.

    Raises :class:`CounterexampleFound` (an AssertionError) with the rendered, shrunk
    trace when an invariant is violated, and saves the trace under ``save_to`` (None:
    not saved; a relative path is from the current directory, and the pytest plugin
    replays ``<rootdir>/counterexamples``, where its ``modelcheck_fuzz`` fixture saves)
    for ``modelcheck show`` / ``modelcheck replay`` and the plugin's regression tests.
    With ``expect_violation`` (an invariant's name, or True for any) it fails instead
    when that violation is *not* found; an expected violation is not saved, since the
    test expecting it already is its regression test.  A spec that raises always fails;
    Ctrl-C before a failure raises KeyboardInterrupt (a test cut short by hand neither
    passes nor hides the stop from pytest).  ``seed`` None: 0 under a derandomized
    Hypothesis profile (``ci``), else a fresh seed.  The failure message ends with the
    call that runs the same search again under any profile (seed, examples, max_steps,
    faults).
    """
    if seed is None and settings.default.derandomize:
        seed = 0
    the_spec = spec_of(spec, params, faults)
    if isinstance(expect_violation, str):
        names = [name for name, _ in the_spec.invariants()] + ["deadlock"] * bool(the_spec.check_deadlock)
        if expect_violation not in names:
            raise SpecError(f"expect_violation={expect_violation!r}: spec {the_spec.title!r} has no such invariant "
                            f"(it has {', '.join(names) or 'none'})")
    result = fuzz(the_spec, examples=examples, max_steps=max_steps, seed=seed)
    expected, failures = [], []
    for trace in result.violations:
        wanted = expect_violation is True or (expect_violation and trace.property == expect_violation)
        (expected if wanted else failures).append(trace)
    failures += [result.error] if result.error is not None else []
    if save_to is not None:
        result.saved.extend(str(save_trace(t, save_to)) for t in failures)
    if failures:
        raise CounterexampleFound(_message(the_spec, result, failures, _again(spec, the_spec, result)), result)
    if "interrupted" in result.cut_by:  # Ctrl-C stops the test run, as it would without fuzz
        raise KeyboardInterrupt
    if expect_violation and not expected:
        wanted = "a violation" if expect_violation is True else f"a violation of {expect_violation}"
        raise AssertionError(
            f"expected {wanted}, but none was found in {result.stats['examples']} examples of at most "
            f"{result.bounds['max_steps']} steps (seed {result.seed}); "
            "try more examples or max_steps, or --hypothesis-profile=deep")
    return result


def _again(given: Spec | str, spec: Spec, result: Result) -> str:
    """A ``check_spec`` call that runs the same search again under any Hypothesis profile: the
    seed alone does not, since the profile's example count (and step bound) change the run."""
    if isinstance(given, Spec):
        what = repr(spec)  # its constructor call, parameters and faults included
    else:
        what = f"{given!r}, params={dict(result.params)!r}"
        model = getattr(spec, "faults", None) if getattr(spec, "supports_faults", False) else None
        if model is not None and model != type(model).coerce(type(spec).default_faults):
            what += f", faults={str(model)!r}"  # not the spec's default fault model
    return (f"check_spec({what}, seed={result.seed}, examples={result.bounds['examples']}, "
            f"max_steps={result.bounds['max_steps']})")


def _message(spec: Spec, result: Result, traces: list[Trace], again: str) -> str:
    s = result.stats
    how = (f"seed {result.seed}, found after {s.get('examples')} examples, shrunk from "
           f"{s.get('steps_found')} to {s.get('steps_after_shrink')} steps")
    parts = [f"modelcheck fuzz: {result.verdict} ({how})"]
    parts += [render(spec, t) for t in traces]
    parts += [f"saved: {path} (modelcheck replay {path})" for path in result.saved]
    parts.append(f"the same run again, whatever the Hypothesis profile: {again}")
    return "\n\n".join(parts)
