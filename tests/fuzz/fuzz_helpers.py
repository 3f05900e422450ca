"""What the fuzz tests share: an independent check of 1-minimality, the command line."""

import subprocess

from commands import command


def violates(spec, actions):
    """Independent of the shrinker: True when ``actions`` run (each enabled) into a violation."""
    state = next(iter(spec.initial_states()))
    for wanted in actions:
        after = [s for action, s in spec.successors(state) if action == wanted]
        if not after:
            return False
        state = after[0]
        if not all(holds(state) for _, holds in spec.invariants()):
            return True
    return False


def assert_one_minimal(spec, actions):
    assert violates(spec, actions)
    for i in range(len(actions)):
        assert not violates(spec, actions[:i] + actions[i + 1:]), f"step {i + 1} can be removed"


def run_modelcheck(*args, cwd):
    """The installed ``modelcheck`` command (or ``python -m modelcheck``) in a subprocess."""
    return subprocess.run(command() + [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120)
