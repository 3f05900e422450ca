"""One seeded random execution of a spec, told as a timeline: the simulator.

Where exploration answers "can it go wrong?", a simulation shows a person how the
protocol behaves: each step's action and what it changed, and the moments that
matter, when a ``@sometimes`` property (a leader is elected, a value is chosen)
becomes true or stops being true, and when an invariant is broken (the run stops
there, with the spec's explanation of the witnesses).

Each step is chosen uniformly among the enabled transitions that change the state
(a transition back to the same state shows nothing, so the run skips it, and stops
when only such transitions are left).  The same spec, parameters and seed give the
same run, in any process: the choice is made among the transitions sorted by their
labels, so it does not depend on the order a spec happens to produce them in.
"""

from __future__ import annotations

import json
import random
from typing import Any, Iterator

import attrs

from .registry import reference
from .explore.contract import returned_none
from .explore.run import explanation, initial_states, shown, spec_raised, step_label
from .spec import Spec, SpecError
from .styled import Line
from .trace.format import encode_state
from .trace.model import n_steps
from .trace.render import describe_run, flatten, format_value, step_lines

__all__ = ["Moment", "Simulation", "simulate", "render_simulation"]


@attrs.frozen
class Moment:
    """One step of a simulation."""

    number: int
    label: str
    state: Any  # JSON form
    reached: tuple[str, ...] = ()  # sometimes-properties that became true at this step
    lost: tuple[str, ...] = ()  # ... and those that stopped being true
    violated: tuple[str, ...] = ()  # invariants broken in the state after this step


@attrs.frozen
class Simulation:
    """A whole run: the initial state, the steps taken, and why it ended."""

    spec: str
    params: dict[str, Any]
    faults: dict[str, Any]
    seed: int
    initial: Any  # JSON form
    moments: tuple[Moment, ...]
    #: "steps" (the budget ran out), "deadlock" (no transition enabled), "quiescent" (every
    #: enabled transition leaves the state as it is), "violation" or "error" (the spec raised)
    ended_by: str
    initially_true: tuple[str, ...] = ()
    initially_violated: tuple[str, ...] = ()
    descriptions: dict[str, str] = attrs.field(factory=dict)
    explanations: dict[str, str] = attrs.field(factory=dict)
    #: ended_by "error": what the spec raised, where (the state the run stops at)
    error: str | None = None

    @property
    def violated(self) -> tuple[str, ...]:
        """The invariants broken in the last state."""
        return self.moments[-1].violated if self.moments else self.initially_violated

    @property
    def exit_code(self) -> int:
        """1 when an invariant was broken, 2 when the spec raised (as ``explore``), 0 otherwise."""
        return {"violation": 1, "error": 2}.get(self.ended_by, 0)


def simulate(spec: Spec, steps: int, seed: int | None = None) -> Simulation:
    """Run ``spec`` for at most ``steps`` uniformly random steps from a random initial state.

    A spec that raises on its initial states is a SpecError (there is no run to show);
    one that raises later ends the run there (``ended_by`` "error"), the steps so far kept.
    """
    if steps < 0:
        raise SpecError(f"steps must be >= 0, not {steps}")
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    invariants = spec.invariants()
    props = spec.reachability()

    initial = sorted(initial_states(spec), key=lambda s: json.dumps(encode_state(shown(spec, s)), sort_keys=True))
    state = start = initial[rng.randrange(len(initial))]
    initially_true: tuple[str, ...] = ()
    initially_violated: tuple[str, ...] = ()
    broken: tuple[str, ...] = ()
    moments: list[Moment] = []
    error = None
    try:
        holding = _holding(props, state, "the initial state")
        broken = _broken(invariants, state, "the initial state")
        initially_violated = broken
        initially_true = tuple(name for name, _ in props if name in holding)
        ended_by = "violation" if broken else "steps"
        while not broken and len(moments) < steps:
            where = f"the state after step {len(moments)}" if moments else "the initial state"
            try:
                given = [(a, t) for a, t in spec.successors(state)]
            except Exception as exc:
                raise spec_raised(f"the spec raised while computing the successors of {where}", exc) from exc
            enabled = [(step_label(spec, a), t) for a, t in given]
            if not enabled:
                ended_by = "deadlock"
                break
            moving = [(label, t) for label, t in enabled if t != state]
            if not moving:
                ended_by = "quiescent"
                break
            moving.sort(key=lambda pair: pair[0])
            label, state = moving[rng.randrange(len(moving))]
            where = f"the state after step {len(moments) + 1}"
            try:
                now = _holding(props, state, where)
                broken = _broken(invariants, state, where)
            except SpecError:
                moments.append(Moment(len(moments) + 1, label, encode_state(shown(spec, state))))
                raise
            moments.append(Moment(len(moments) + 1, label, encode_state(shown(spec, state)),
                                  reached=tuple(n for n, _ in props if n in now - holding),
                                  lost=tuple(n for n, _ in props if n in holding - now),
                                  violated=broken))
            holding = now
            if broken:
                ended_by = "violation"
    except SpecError as exc:
        ended_by, error, broken = "error", str(exc), ()
    cls = type(spec)
    return Simulation(
        spec=reference(spec), params=spec.params(),
        faults=dict(getattr(spec, "fault_summary", lambda: {})()), seed=seed,
        initial=encode_state(shown(spec, start)), moments=tuple(moments), ended_by=ended_by,
        initially_true=initially_true, initially_violated=initially_violated,
        descriptions={n: cls.describe_property(n) for n in [*dict(props), *dict(invariants)]},
        explanations={n: text for n in broken if (text := explanation(spec, n, state))}, error=error,
    )


def _holding(props: list, state: Any, where: str) -> set[str]:
    """The sometimes-properties true in ``state``; one that raises is a SpecError naming it."""
    return {name for name, check in props if _check("sometimes-property", name, check, state, where)}


def _broken(invariants: list, state: Any, where: str) -> tuple[str, ...]:
    """The invariants ``state`` breaks; one that raises is a SpecError naming it."""
    return tuple(name for name, check in invariants if not _check("invariant", name, check, state, where))


def _check(kind: str, name: str, check: Any, state: Any, where: str) -> bool:
    try:
        verdict = check(state)
    except Exception as exc:
        raise spec_raised(f"the spec raised while checking {kind} {name} in {where}", exc) from exc
    if verdict is None:
        raise returned_none(kind, name)
    return verdict


def _about(sim: Simulation, name: str) -> str:
    desc = sim.descriptions.get(name)
    return f"{name} — {desc}" if desc else name


def render_simulation(sim: Simulation) -> Iterator[Line]:
    """The timeline as styled lines: numbered steps, changes, and the moments that matter."""
    head = describe_run({"spec": sim.spec, "params": sim.params, "faults": sim.faults})
    yield Line((head, "bold"), f": random execution, seed {sim.seed}")
    width = len(str(max(len(sim.moments), 1)))
    pad = " " * (width + 4)
    yield Line((f"  {0:>{width}} ", "dim"), ("initial state", "cyan"))
    for key, value in flatten(sim.initial).items():
        yield Line(f"{pad}{key} = {format_value(value)}", style="dim")
    for name in sim.initially_true:
        yield Line(f"{pad}★ {_about(sim, name)}: holds from the start", style="bold green")
    before = sim.initial
    for m in sim.moments:
        yield from step_lines(m.number, width, m.label, before, m.state)
        for name in m.reached:
            yield Line(f"{pad}★ reached: {_about(sim, name)}", style="bold green")
        for name in m.lost:
            yield Line(f"{pad}☆ no longer: {name}", style="yellow")
        before = m.state
    n = len(sim.moments)
    if sim.ended_by == "violation":
        for name in sim.violated:
            yield Line(f"violated: {_about(sim, name)}", style="bold red")
            for line in sim.explanations.get(name, "").splitlines():
                yield Line(f"  {line}", style="red")
        yield Line(f"stopped after {n_steps(n)}: an invariant is violated "
                   f"(modelcheck explore finds the shortest such trace)", style="bold red")
    elif sim.ended_by == "error":
        yield Line(f"error: {sim.error}", style="bold red")
        yield Line(f"stopped after {n_steps(n)}: the spec raised (same seed, same run: --seed {sim.seed})",
                   style="bold red")
    elif sim.ended_by == "deadlock":
        yield Line(f"stopped after {n_steps(n)}: no transition is enabled", style="bold yellow")
    elif sim.ended_by == "quiescent":
        yield Line(f"stopped after {n_steps(n)}: nothing changes any more "
                   "(every enabled transition leaves the state as it is)", style="bold yellow")
    else:
        yield Line(f"{n_steps(n)}, no invariant violated (same seed, same run: --seed {sim.seed})",
                   style="bold green")
