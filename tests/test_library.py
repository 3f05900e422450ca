"""The whole protocol library under BFS, as `modelcheck zoo` runs it: every correct spec holds
at its default bounds (the whole reachable space, no cut), every bug variant is found at
those same bounds, and its shortest counterexample is committed in counterexamples/.

Written over ``modelcheck.library()``, so a new spec or bug variant is picked up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcheck import build, explore, library
from modelcheck.replay import spec_from_trace
from modelcheck.trace.format import read_trace
from modelcheck.zoo import bug_row, spec_row

COUNTEREXAMPLES = Path(__file__).parent.parent / "counterexamples"
SPECS = sorted(library())
BUGS = [(name, bug) for name in SPECS for bug in library()[name].bugs]


def committed(name: str, bug: str) -> list[dict]:
    out = []
    for path in sorted(COUNTEREXAMPLES.glob(f"{name}-*.json")):
        data = read_trace(str(path))
        if data["spec"] == name and data["params"].get("bug") == bug:
            out.append(data)
    return out


@pytest.mark.parametrize("name", SPECS)
def test_correct_spec_holds_at_its_defaults(name):
    row = spec_row(name)
    assert row.ok and row.complete, f"{name}: {row.verdict}"
    assert row.states > 1


@pytest.mark.parametrize("name, bug", BUGS)
def test_bug_variant_is_found_and_its_shortest_trace_committed(name, bug):
    row = bug_row(name, bug)
    assert row.found, f"{name} bug={bug}: {row.verdict}"
    traces = [t for t in committed(name, bug) if t["property"] == row.invariant]
    assert traces, f"no counterexample of {name} bug={bug} in counterexamples/ (save it with --out counterexamples)"
    assert min(len(t["steps"]) for t in traces) == row.length


SYMMETRIC = [name for name in SPECS if any(len(g) > 1 for g in build(name, {}).symmetry())]


@pytest.mark.parametrize("name", SYMMETRIC)
def test_symmetry_keeps_every_verdict_and_shortest_trace(name):
    """A spec that declares interchangeable nodes: --symmetry visits fewer states, and the
    correct spec and every bug variant get the same verdicts and counterexample lengths."""
    plain, reduced = (explore(build(name, {}), "bfs", symmetry=sym) for sym in (False, True))
    assert reduced.ok and reduced.complete and reduced.distinct_states < plain.distinct_states
    for bug in library()[name].bugs:
        shortest = min(committed(name, bug), key=lambda t: len(t["steps"]))  # BFS's, checked above
        found = explore(spec_from_trace(shortest), "bfs", symmetry=True)
        assert [len(t) for t in found.violations] == [len(shortest["steps"])], (name, bug)
