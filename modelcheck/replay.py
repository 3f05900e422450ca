"""Replay: re-execute a saved trace against the current spec and say what still holds.

Each step is the transition the trace names by its label, wherever the spec now lists it
(in another order, or among new ones); of several with that label, those leading to the
recorded state (as shown: ``readable`` may make several look alike), each followed as one
reading of the trace, and when none does, the step cannot be told and replay diverges.
Initial states likewise.  A bug still there in any reading is still there.  The
states it leads to may differ from the recorded ones (a fix usually changes them): replay
goes on with the spec's own and says from which step they differ.  The outcome is one of

* ``reproduced``: every step is still enabled and the last state still shows the
  violation (or the deadlock, example; for an error, the same exception type raised
  doing the same thing: computing the successors, or checking the same property where
  the recorded message names it);
* ``fixed``: every step is still enabled, but the last state no longer violates;
* ``diverged``: the schedule no longer runs: a step is not enabled any more, the
  initial state is gone, or the spec now raises on the way, or another error in the
  last state than the one recorded.

A spec whose successors are not a function of the state shows as states differing
from the recorded ones (and explore refuses it before a search).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import attrs

from . import registry
from .explore.run import describe_exception, shown, step_label
from .spec import Spec, SpecError
from .trace.format import encode_state
from .trace.model import n_steps
from .trace.render import state_diff

__all__ = ["Replay", "replay", "spec_from_trace", "spec_reference"]


@attrs.frozen
class Replay:
    outcome: str  # reproduced | fixed | diverged
    message: str
    step: int | None = None  # the step (1-based; 0 = initial state) where it diverged
    #: the first step (0: the initial state) whose state differs from the recorded one, if any
    differs_from: int | None = None
    #: diverged because the spec raised (a bug of its own, not a trace gone out of date)
    raised: bool = False

    @property
    def exit_code(self) -> int:
        """1: the violation reproduces (as explore's exit 1); 0: fixed; 3: diverged."""
        return {"reproduced": 1, "fixed": 0, "diverged": 3}[self.outcome]


def spec_from_trace(data: dict[str, Any], trace_file: str | Path | None = None,
                    root: str | Path | None = None) -> Spec:
    """Build the spec a trace was recorded against (SpecError if it cannot be); a spec file
    is found as :func:`spec_reference` says."""
    return registry.build(spec_reference(data, trace_file, root), data["params"],
                          faults=data.get("faults") or None)


def spec_reference(data: dict[str, Any], trace_file: str | Path | None = None,
                   root: str | Path | None = None) -> str:
    """The trace's spec reference, with a spec file made absolute.  A trace saved with
    ``spec_file`` (the file's path from the trace's folder) is replayed against that file
    only: another file of the same name found elsewhere could say "fixed" of a bug that
    is still there.  An older trace (no ``spec_file``) is read against the path as
    recorded, from ``root`` (pytest's rootdir) or the working directory.  SpecError when
    the file is not there.  A ``module:Class`` trace with ``module_file`` is read from the
    module imported by name when that is the recorded file, else from the recorded file
    (a test module, importable by name only under pytest; a same-named module elsewhere
    is not the one the trace was found in; ``__main__``), else by name."""
    ref = data["spec"]
    target, colon, cls_name = registry.split(ref)
    if not registry.is_file(target):
        module_file = data.get("module_file")
        if not (colon and isinstance(module_file, str) and trace_file is not None):
            return ref
        path = _recorded_path(trace_file, module_file)
        imported = _imported_file(target)
        if imported == path:
            return ref
        if path.is_file():
            return str(path) + colon + cls_name
        if imported is None:
            raise SpecError(f"the trace's spec module {target!r} does not import here, and its file is not at "
                            f"{path}, where it was from the trace's folder when the trace was saved")
        return ref  # moved since: the module of that name
    recorded = data.get("spec_file")
    if trace_file is not None and isinstance(recorded, str):
        path = _recorded_path(trace_file, recorded)
        why = (f"the trace's spec file {target!r} is not at {path}, where it was from the trace's folder "
               "when the trace was saved; keep the trace and the spec where they were to each other")
    else:
        path = Path(target) if Path(target).is_absolute() else Path(root if root is not None else Path.cwd()) / target
        why = f"the trace's spec file {target!r} is not at {path}"
    try:
        found = path.is_file()
    except OSError:  # e.g. a name too long for the file system
        found = False
    if not found:
        raise SpecError(why)
    return str(path) + colon + cls_name


def _recorded_path(trace_file: str | Path, recorded: str) -> Path:
    """Where a path recorded from the trace's folder points now; it is saved with ``/``
    between its parts, but may come from a system that used ``\\``."""
    if os.sep == "/":
        recorded = recorded.replace("\\", "/")
    return (Path(trace_file).resolve().parent / recorded).resolve()


def _imported_file(module: str) -> Path | None:
    """The file of ``module`` imported by name (here, or from the working directory), if
    it imports."""
    try:
        file = getattr(registry.import_module(module), "__file__", None)
    except Exception:  # does not import (or fails to): the recorded file, if there, says more
        return None
    return Path(file).resolve() if isinstance(file, str) else None


#: at most this many readings of one trace are followed (see :func:`_meant`)
READINGS = 1_000

_RANK = {"reproduced": 0, "diverged": 1, "fixed": 2}  # which reading's outcome is the trace's


def replay(data: dict[str, Any], spec: Spec | None = None) -> Replay:
    spec = spec or spec_from_trace(data)
    try:
        initial = list(spec.initial_states())
    except Exception as exc:
        return Replay("diverged", describe_exception(exc, "the spec raised on its initial states"), 0, raised=True)
    recorded = data["initial"]["state"]
    try:
        picks = _meant(spec, list(enumerate(initial)), recorded)
        if isinstance(picks, str):
            return Replay("diverged", f"the initial state {picks}", 0)
        # every reading of the trace: (state, the first step whose state is not the recorded one)
        readings = [(initial[k], _differs(spec, initial[k], recorded, 0)) for k in picks]
    except Exception as exc:  # readable() raising on an initial state
        return Replay("diverged", describe_exception(exc, "the spec raised on its initial states"), 0, raised=True)
    lost: Replay | None = None  # the first reading that stopped running: a diverged outcome
    for n, step in enumerate(data["steps"], 1):
        found: list = []
        met: set = set()
        for state, differs in readings:
            why, raised = None, False
            try:
                enabled = list(spec.successors(state))
                same = [(j, t) for j, (action, t) in enumerate(enabled) if _label(spec, action) == step["action"]]
                if not same:
                    why = f"step {n} ({step['action']}) is no longer enabled: {_enabled(spec, enabled)}"
                else:
                    ks = _meant(spec, same, step["state"])
                    if isinstance(ks, str):
                        why = f"step {n} ({step['action']}) {ks}"
                    else:
                        for k in ks:
                            nxt = enabled[k][1]
                            if nxt not in met:
                                met.add(nxt)
                                found.append((nxt, differs or _differs(spec, nxt, step["state"], n)))
                            if len(found) > READINGS:
                                return Replay("diverged", f"step {n} ({step['action']}): more than {READINGS:,} "
                                              "ways to read the trace so far (transitions that look alike)", n)
            except Exception as exc:  # the spec (its successors, labels, readable) raised here
                why, raised = describe_exception(exc, f"step {n}: the spec raised"), True
            if why is not None and lost is None:
                lost = Replay("diverged", why, n, raised=raised)
        if not found:
            return lost or Replay("diverged", f"step {n} ({step['action']}): no reading of the trace goes on", n)
        readings = found
    outs = [lost] if lost is not None else []
    for state, differs in readings:
        out = _verdict(spec, data, state)
        if differs is not None:
            where = "the initial state" if differs[0] == 0 else \
                f"step {differs[0]} ({data['steps'][differs[0] - 1]['action']})"
            out = attrs.evolve(out, differs_from=differs[0],
                               message=f"{out.message}; the states differ from the recorded ones from {where} "
                                       f"on (the spec changed): {differs[1]}")
        outs.append(out)
    # a bug still there in some reading of the trace is still there
    return min(outs, key=lambda out: _RANK[out.outcome])


def _differs(spec: Spec, state: Any, recorded: Any, n: int) -> tuple[int, str] | None:
    got = encode_state(shown(spec, state))
    return None if got == recorded else (n, "; ".join(state_diff(recorded, got)))


def _meant(spec: Spec, candidates: list[tuple[int, Any]], recorded: Any) -> list[int] | str:
    """The candidates ``(index, state)`` for one recorded step (or initial state) that it may
    be: the only one; else those leading to the recorded state as shown (``readable`` may
    hide what tells several apart: each is a reading of the trace, followed on); else none,
    said why.  An index is never trusted alone: a spec listing its transitions, or initial
    states, from a set of strings orders them differently in every process, and a guess
    could call a bug that is still there fixed."""
    if len(candidates) == 1:
        return [candidates[0][0]]
    matching = [j for j, t in candidates if encode_state(shown(spec, t)) == recorded]
    if matching:
        return matching
    return f"cannot be told apart: {len(candidates)} candidates and none leads to the recorded state"


def _label(spec: Spec, action: Any) -> str | None:
    """The action's label (:func:`step_label`), or None where the spec cannot format it (then
    it is not the recorded one, whose label was formatted when the trace was saved)."""
    try:
        return step_label(spec, action)
    except SpecError:
        return None


def _enabled(spec: Spec, enabled: list) -> str:
    if not enabled:
        return "no transition is enabled there"
    labels = [_label(spec, a) or repr(a) for a, _ in enabled[:5]]
    more = f" and {len(enabled) - 5} more" if len(enabled) > 5 else ""
    return f"{len(enabled)} enabled there: " + ", ".join(labels) + more


def _verdict(spec: Spec, data: dict[str, Any], state: Any) -> Replay:
    kind, prop, n = data["kind"], data["property"], len(data["steps"])
    if kind == "error":
        return _error_verdict(spec, data.get("error") or "", state, n)
    if kind == "deadlock":
        try:
            enabled = list(spec.successors(state))
        except Exception as exc:  # another error than a deadlock: not the recorded bug
            return Replay("diverged", describe_exception(exc, f"after {n_steps(n)} the spec raised"), n, raised=True)
        if not enabled:
            return Replay("reproduced", f"still deadlocked after {n_steps(n)}")
        return Replay("fixed", f"no longer deadlocked after {n_steps(n)}")
    checks = dict(spec.invariants() if kind == "invariant" else spec.reachability())
    if prop not in checks:
        return Replay("diverged", f"the spec no longer has a property named {prop!r}", n)
    try:
        holds = checks[prop](state)
    except Exception as exc:
        return Replay("diverged", describe_exception(exc, f"after {n_steps(n)} the spec raised checking {prop}"), n,
                      raised=True)
    if holds is None:  # as explore refuses it: a forgotten return is no verdict
        return Replay("diverged", f"{prop} returned None after {n_steps(n)} (a missing return?)", n, raised=True)
    holds = bool(holds)
    if kind == "invariant":
        if holds:
            return Replay("fixed", f"the trace replays, but {prop} now holds in its last state")
        return Replay("reproduced", f"invariant {prop} is still violated after {n_steps(n)}")
    if holds:
        return Replay("reproduced", f"{prop} is still reached after {n_steps(n)}")
    return Replay("fixed", f"{prop} is no longer reached by this trace")


#: an error trace's message: "the spec raised while <doing>: <ExceptionType>: ..." (Run.failed)
_RECORDED = re.compile(r"the spec raised while (.*?): ([A-Za-z_][\w.]*): ")


def _recorded_error(message: str) -> tuple[str | None, str | None, str | None]:
    """(phase, property, exception type) of a recorded error; None where the message does not say
    (a search records "checking an invariant" without its name)."""
    m = _RECORDED.match(message)
    if m is None:
        return None, None, None
    doing, typ = m.groups()
    if doing.startswith("computing"):
        return "successors", None, typ
    named = re.fullmatch(r"checking ((?:invariant|sometimes-property) \S+)", doing)
    return "checking", named.group(1) if named else None, typ


def _error_verdict(spec: Spec, recorded: str, state: Any, n: int) -> Replay:
    """An error trace reproduces only when the last state raises the same exception type doing
    the same thing; another error there is not the recorded bug.  A recorded message not in
    the "the spec raised while ...: Type: ..." form (a SpecError is recorded by its text
    alone) cannot be compared: then any exception reproduces it."""
    raised: list[tuple[str, str | None, BaseException]] = []  # (phase, property, exception)
    for kind, props in (("invariant", spec.invariants()), ("sometimes-property", spec.reachability())):
        for name, check in props:
            try:
                check(state)
            except Exception as exc:
                raised.append(("checking", f"{kind} {name}", exc))
    try:  # as the search computes them: each successor hashed too
        for _, t in spec.successors(state):
            hash(t)
    except Exception as exc:
        raised.append(("successors", None, exc))
    phase, prop, typ = _recorded_error(recorded)
    for got_phase, got_prop, exc in raised:
        if phase in (None, got_phase) and prop in (None, got_prop) and typ in (None, type(exc).__name__):
            return Replay("reproduced", f"the spec still raises after {n_steps(n)}: {type(exc).__name__}: {exc}")
    if not raised:
        return Replay("fixed", f"the spec no longer raises after {n_steps(n)}")
    got_phase, got_prop, exc = raised[0]
    now = describe_exception(exc, "the spec raised while " + (f"checking {got_prop}" if got_prop
                                                              else "computing successors"))
    return Replay("diverged", f"after {n_steps(n)} the spec raises another error than recorded: now {now}; "
                  f"recorded: {recorded or 'no message'}", n, raised=True)
