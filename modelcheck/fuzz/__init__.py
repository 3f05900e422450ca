"""Property-based fuzzing of specs with Hypothesis, and its pytest integration.

* :func:`schedules`: a Hypothesis strategy of executions of a spec, drawn step by step;
* :func:`fuzz`: run many schedules, shrink the first failure, return a Result (``modelcheck fuzz``);
* :func:`check_spec`: the same as a test: fails with the rendered, shrunk counterexample;
* :func:`shrink`: delta debugging of a failing schedule to a 1-minimal one.

The pytest plugin (:mod:`.plugin`, registered by entry point) adds the
``modelcheck_fuzz`` fixture, the ``deep`` Hypothesis profile, and replays every file of
``counterexamples/`` as a regression test.
"""

from .check import CounterexampleFound, check_spec, fuzz, render
from .shrink import shrink
from .strategies import Failure, Schedule, follow, schedules

__all__ = [
    "CounterexampleFound",
    "Failure",
    "Schedule",
    "check_spec",
    "follow",
    "fuzz",
    "render",
    "schedules",
    "shrink",
]
