"""Every spec of the library under fuzzing: correct variants hold, every bug variant is found.

Written over ``modelcheck.library()``, so a new spec or bug variant is picked up.  A
bug may need a fault (``volatile-voted-for`` needs a crash): for actor protocols each
bug is fuzzed under its default fault model and that plus a crash, until one finds it.
"""

import json
from pathlib import Path

import pytest

from modelcheck import library
from modelcheck.fuzz import check_spec, fuzz
from modelcheck.zoo import fault_models  # the faults each bug is hunted under, as BFS hunts them

EXAMPLES, SEED = 300, 0
#: bugs whose shortest trace is long and narrow get a larger budget, measured: raft's Figure 8
#: (commit-old-term) is 24 steps that must interleave two leaders' replication just so;
#: 300 schedules never hit it, 20,000 of up to 60 steps do (about 16 s)
BUDGET = {("raft", "commit-old-term"): {"examples": 20_000, "max_steps": 60}}


SPECS = sorted(library().items())
BUGS = [(name, bug) for name, cls in SPECS for bug in cls.bugs]
#: at this seed and budget every shrunk trace is at most this many steps longer than BFS's
#: shortest (measured: the same length for 19 bugs, 1 more for raft commit-old-term, where
#: the bounded search after delta debugging runs out of budget before depth 24)
SLACK = 1


def shortest(name: str, bug: str) -> dict:
    """The committed BFS counterexample of this bug (tests/test_library.py keeps it shortest)."""
    folder = Path(__file__).resolve().parents[2] / "counterexamples"
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        if data["spec"] == name and data["params"].get("bug") == bug:
            return data
    raise AssertionError(f"no committed counterexample of {name} bug={bug}")


@pytest.mark.parametrize("name", [n for n, _ in SPECS])
def test_correct_variant_holds(name):
    # Under the spec's own fault model: a crash is not a fault every protocol claims to
    # tolerate (raft-election without durable votes, lease without the recovery wait:
    # their bug variants volatile-voted-for and no-recovery-wait).
    check_spec(name, examples=EXAMPLES, seed=SEED, save_to=None)


@pytest.mark.parametrize("name, bug", BUGS)
def test_bug_variant_is_found(name, bug):
    tried = []
    for faults in fault_models(library()[name]):
        budget = BUDGET.get((name, bug), {"examples": EXAMPLES})
        r = fuzz(name, params={"bug": bug}, faults=faults, seed=SEED, **budget)
        assert r.error is None, r.error.error
        if r.violations:
            found, bfs = r.violations[0], shortest(name, bug)
            assert found.property == bfs["property"]
            if found.faults == bfs["faults"]:  # the same fault model: BFS's trace is the shortest
                assert len(bfs["steps"]) <= len(found) <= len(bfs["steps"]) + SLACK
            return
        tried.append(faults or "no faults")
    pytest.fail(f"{name} bug={bug} not found in {budget['examples']} examples (seed {SEED}) "
                f"under {', '.join(tried)}")
