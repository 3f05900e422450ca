"""Every spec of the library under fuzzing: correct variants hold, every bug variant is found.

Written over ``modelcheck.library()``, so a new spec or bug variant is picked up.  A
bug may need a fault (``volatile-voted-for`` needs a crash): for actor protocols each
bug is fuzzed under each fault model of FAULT_MODELS until one finds it.
"""

import pytest

from modelcheck import library
from modelcheck.fuzz import check_spec, fuzz

#: fault models tried for specs that take faults (None: the spec's default)
FAULT_MODELS = (None, "crash=1")
EXAMPLES, SEED = 300, 0


def fault_models(cls):
    return FAULT_MODELS if getattr(cls, "supports_faults", False) else (None,)


SPECS = sorted(library().items())
BUGS = [(name, bug) for name, cls in SPECS for bug in cls.bugs]


@pytest.mark.parametrize("name, faults", [(n, f) for n, cls in SPECS for f in fault_models(cls)])
def test_correct_variant_holds(name, faults):
    check_spec(name, faults=faults, examples=EXAMPLES, seed=SEED, save_to=None)


@pytest.mark.parametrize("name, bug", BUGS)
def test_bug_variant_is_found(name, bug):
    tried = []
    for faults in fault_models(library()[name]):
        r = fuzz(name, params={"bug": bug}, faults=faults, examples=EXAMPLES, seed=SEED)
        assert r.error is None, r.error.error
        if r.violations:
            return
        tried.append(faults or "no faults")
    pytest.fail(f"{name} bug={bug} not found in {EXAMPLES} examples (seed {SEED}) under {', '.join(tried)}")
