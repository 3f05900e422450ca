"""Replay re-executes a saved trace and says precisely where a changed spec diverges."""

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from modelcheck import Spec, explore, invariant
from modelcheck.replay import replay
from modelcheck.trace.format import parse_trace, trace_to_dict
from modelcheck.trace.store import save_trace

from commands import command
from models import BadInvariant, Changeable


def saved_trace(tmp_path):
    Changeable.stride, Changeable.stop = 1, 6
    r = explore(Changeable(), "bfs")
    path = Path(save_trace(r.violations[0], tmp_path))
    return parse_trace(path.read_text())


def test_replay_reproduces(tmp_path):
    data = saved_trace(tmp_path)
    out = replay(data, Changeable())
    assert out.outcome == "reproduced" and out.exit_code == 1


def test_replay_follows_the_steps_through_changed_states_and_says_where_they_differ(tmp_path):
    data = saved_trace(tmp_path)  # Step x4: 0 1 2 3 4, and small (s < 4) fails at 4
    Changeable.stride, Changeable.stop = 2, 10
    try:
        out = replay(data, Changeable())  # 0 2 4 6 8
    finally:
        Changeable.stride, Changeable.stop = 1, 6
    assert out.outcome == "reproduced" and out.differs_from == 1 and out.exit_code == 1
    assert "the states differ from the recorded ones from step 1 (Step) on (the spec changed)" in out.message
    assert "1 -> 2" in out.message


def test_a_fix_that_changes_the_states_replays_as_fixed(tmp_path):
    """Found by a review: a regression test of a bug could hardly ever pass, since a fix
    changes the states along the trace, which replay called diverged (a skipped test)."""
    data = saved_trace(tmp_path)
    Changeable.stride = 0  # the fix: the counter no longer moves
    try:
        out = replay(data, Changeable())
    finally:
        Changeable.stride = 1
    assert out.outcome == "fixed" and out.differs_from == 1 and out.exit_code == 0
    assert out.message.startswith("the trace replays, but small now holds in its last state; the states differ")


class Reordered(Changeable):
    """The same transitions and a new one ahead of them, in another order than recorded."""

    def successors(self, s):
        return [("Reset", 0), *super().successors(s)] if s < 6 else []


def test_steps_are_found_by_their_label_when_the_transitions_are_listed_otherwise(tmp_path):
    """Found by a review: a spec iterating over a set lists its transitions in another order
    in every process (string hashes are salted), and an added action shifts the others:
    replay by index then called a trace of a bug still there diverged."""
    data = saved_trace(tmp_path)
    out = replay(data, Reordered())
    assert out.outcome == "reproduced" and out.differs_from is None


def test_replay_detects_a_step_no_longer_enabled(tmp_path):
    data = saved_trace(tmp_path)
    Changeable.stop = 2
    try:
        out = replay(data, Changeable())
    finally:
        Changeable.stop = 6
    assert out.outcome == "diverged" and out.step == 3
    assert out.message == "step 3 (Step) is no longer enabled: no transition is enabled there"


class Fixed(Changeable):
    def small(self, s):
        return True


def test_replay_says_fixed_when_the_invariant_now_holds(tmp_path):
    data = saved_trace(tmp_path)
    out = replay(data, Fixed())
    assert out.outcome == "fixed" and out.exit_code == 0
    assert "small now holds" in out.message


def test_save_is_deterministic_and_atomic(tmp_path):
    Changeable.stride, Changeable.stop = 1, 6
    trace = explore(Changeable(), "bfs").violations[0]
    a = Path(save_trace(trace, tmp_path))
    b = Path(save_trace(trace, tmp_path))
    assert a == b and [p.name for p in tmp_path.iterdir()] == [a.name]
    module_file = os.path.relpath(Path(sys.modules["models"].__file__).resolve(), tmp_path.resolve())
    assert json.loads(a.read_text()) == {**trace_to_dict(trace), "module_file": module_file}


def test_an_error_trace_of_an_invariant_that_raised_is_reproduced():
    from models import BadInvariant

    from modelcheck import explore
    from modelcheck.trace.format import trace_to_dict

    r = explore(BadInvariant(at=3), "bfs")
    data = trace_to_dict(r.error)
    assert replay(data, BadInvariant(at=3)).outcome == "reproduced"
    assert replay(data, BadInvariant(at=99)).outcome == "fixed"


class RaisesKeyError(BadInvariant):
    """Its invariant raises another exception type in the same state."""

    @invariant
    def fragile(self, s):
        if s == self.at:
            raise KeyError(s)
        return True


class Renamed(BadInvariant):
    """The invariant that raises is now another one."""

    @invariant
    def fragile(self, s):
        return True

    @invariant
    def brittle(self, s):
        return BadInvariant.fragile(self, s)


def test_an_error_trace_reproduces_only_the_same_error_at_the_same_point():
    from models import Raises

    from modelcheck.fuzz import fuzz

    data = trace_to_dict(explore(BadInvariant(at=3), "bfs").error)  # ValueError checking an invariant
    out = replay(data, Raises())  # successors raise ZeroDivisionError in the same state
    assert out.outcome == "diverged" and out.step == 3 and out.exit_code == 3
    assert "now the spec raised while computing successors: ZeroDivisionError: boom at 3" in out.message
    assert "recorded: the spec raised while checking an invariant: ValueError: invariant bug at 3" in out.message

    out = replay(data, RaisesKeyError(at=3))  # same invariant, another exception type
    assert out.outcome == "diverged" and "KeyError" in out.message and "ValueError" in out.message

    data = trace_to_dict(explore(Raises(), "bfs").error)  # ZeroDivisionError computing successors
    assert replay(data, Raises()).outcome == "reproduced"
    out = replay(data, BadInvariant(at=3))  # an invariant raises there instead
    assert out.outcome == "diverged" and "checking invariant fragile: ValueError" in out.message

    data = trace_to_dict(fuzz(BadInvariant(at=3), examples=5, seed=0).error)  # names the invariant
    assert data["error"].startswith("the spec raised while checking invariant fragile: ValueError")
    assert replay(data, BadInvariant(at=3)).outcome == "reproduced"
    out = replay(data, Renamed(at=3))  # the same exception, but checking another invariant
    assert out.outcome == "diverged" and "checking invariant brittle" in out.message


def test_a_spec_of_a_test_module_replays_from_anywhere(tmp_path, monkeypatch):
    """A spec object checked under pytest is saved as module:Class, a module importable
    by name only where pytest runs; the trace also records the module's file, so
    `modelcheck replay` reproduces it from any folder."""
    tests = tmp_path / "project" / "tests"
    tests.mkdir(parents=True)
    shutil.copy(Path(__file__).parents[1] / "models.py", tests / "replayed_models.py")
    monkeypatch.syspath_prepend(str(tests))
    module = importlib.import_module("replayed_models")
    try:
        r = explore(module.Equation(), "bfs")
        path = Path(save_trace(r.violations[0], tmp_path / "project" / "counterexamples"))
    finally:
        sys.modules.pop("replayed_models", None)
    data = json.loads(path.read_text())
    assert data["spec"] == "replayed_models:Equation" and data["module_file"] == "../tests/replayed_models.py"
    cmd = command()
    done = subprocess.run(cmd + ["replay", str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout.startswith("reproduced"), done.stdout + done.stderr
    shown = subprocess.run(cmd + ["show", str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "violated: unsolved — No solution has been found." in shown.stdout  # the spec's own words


def test_the_recorded_module_file_wins_over_a_same_named_module_elsewhere(tmp_path, monkeypatch):
    """A module `replayed_models` importable from the working directory that is not the
    file the trace was found in (here: the bug fixed) must not make replay say "fixed"."""
    tests = tmp_path / "project" / "tests"
    tests.mkdir(parents=True)
    source = (Path(__file__).parents[1] / "models.py").read_text()
    (tests / "same_name_models.py").write_text(source)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert "return (self.a * s[0] + self.b * s[1]) % 256 != self.c" in source
    (elsewhere / "same_name_models.py").write_text(source.replace(
        "return (self.a * s[0] + self.b * s[1]) % 256 != self.c", "return True"))
    monkeypatch.syspath_prepend(str(tests))
    module = importlib.import_module("same_name_models")
    try:
        path = Path(save_trace(explore(module.Equation(), "bfs").violations[0], tmp_path / "project" / "counterexamples"))
    finally:
        sys.modules.pop("same_name_models", None)
    done = subprocess.run(command() + ["replay", str(path)], cwd=elsewhere, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and done.stdout.startswith("reproduced"), done.stdout + done.stderr
    (tests / "same_name_models.py").unlink()  # gone: then the module of that name, as for older traces
    done = subprocess.run(command() + ["replay", str(path)], cwd=elsewhere, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("fixed"), done.stdout + done.stderr
    done = subprocess.run(command() + ["replay", str(path)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "does not import here, and its file is not at" in done.stderr, done.stderr


def test_a_spec_of_a_script_replays(tmp_path):
    """A spec class defined in a script run as __main__ is saved as __main__:Class; replay
    reads the script (the command's own __main__ is modelcheck's)."""
    shutil.copy(Path(__file__).parents[1] / "models.py", tmp_path / "script_models.py")
    (tmp_path / "run.py").write_text(
        "from modelcheck import explore\nfrom modelcheck.trace.store import save_trace\n"
        "from script_models import Equation\n\nclass Mine(Equation):\n    pass\n\n"
        "if __name__ == '__main__':  # replay loads this file under another name\n"
        "    print(save_trace(explore(Mine(), 'bfs').violations[0], 'cx'))\n")
    made = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    saved = tmp_path / made.stdout.strip()
    assert json.loads(saved.read_text())["spec"] == "__main__:Mine"
    done = subprocess.run(command() + ["replay", str(saved)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and done.stdout.startswith("reproduced"), done.stdout + done.stderr


def test_recorded_paths_read_with_either_separator(tmp_path):
    from modelcheck.replay import spec_reference

    (tmp_path / "tests").mkdir()
    (tmp_path / "cx").mkdir()
    (tmp_path / "tests" / "m.py").write_text("")
    trace = tmp_path / "cx" / "t.json"
    for recorded in ("../tests/m.py", "..\\tests\\m.py"):
        ref = spec_reference({"spec": "not_importable_anywhere_m:Spec", "module_file": recorded}, trace)
        assert ref == f"{tmp_path.resolve() / 'tests' / 'm.py'}:Spec"


class Coin(Spec):
    """Two transitions with one label: heads leads to the bug; ``order`` lists them."""

    order = ("heads", "tails")
    land = {"heads": "bad", "tails": "ok"}

    def initial_states(self):
        return ["start"]

    def successors(self, s):
        if s == "start":
            return [("toss", side) for side in type(self).order]
        return [("land", type(self).land[s])] if s in self.land else []

    @invariant
    def not_bad(self, s):
        return s != "bad"


def test_of_several_transitions_with_the_label_the_one_leading_to_the_recorded_state_is_taken(tmp_path):
    """Found by a review: by index, a spec now listing tails first replayed the heads trace
    through tails and called a bug that is still there fixed."""
    data = parse_trace(Path(save_trace(explore(Coin(), "bfs").violations[0], tmp_path)).read_text())
    Coin.order = ("tails", "heads")
    try:
        assert replay(data, Coin()).outcome == "reproduced"
        Coin.land = {"heads": "fine", "tails": "ok"}  # the fix: heads lands well
        assert replay(data, Coin()).outcome == "fixed"
        Coin.order, Coin.land = ("tails", "edge"), {"edge": "ok", "tails": "ok"}  # no toss gives heads now
        out = replay(data, Coin())
    finally:
        Coin.order, Coin.land = ("heads", "tails"), {"heads": "bad", "tails": "ok"}
    assert out.outcome == "diverged" and out.step == 1
    assert out.message == "step 1 (toss) cannot be told apart: 2 candidates and none leads to the recorded state"


class Hidden(Coin):
    """The tosses look alike to a reader (``readable`` shows only the phase) and come from a
    set of strings, so they are ordered differently in every process."""

    def readable(self, s):
        return {"tossed": s != "start"}


def test_transitions_that_look_alike_are_each_followed_and_any_bug_still_there_counts(tmp_path):
    """Found by a review: with the recorded index first among look-alikes, an unchanged spec
    listing them in another order replayed tails for heads and called the bug fixed."""
    data = parse_trace(Path(save_trace(explore(Hidden(), "bfs").violations[0], tmp_path)).read_text())
    assert replay(data, Hidden()).outcome == "reproduced"
    Hidden.order = ("tails", "heads")
    try:
        assert replay(data, Hidden()).outcome == "reproduced"  # heads is one reading of the trace
        Hidden.land = {"heads": "fine", "tails": "ok"}
        out = replay(data, Hidden())  # fixed in every reading
    finally:
        Hidden.order, Hidden.land = ("heads", "tails"), {"heads": "bad", "tails": "ok"}
    assert out.outcome == "fixed"


class Starts(Coin):
    """Initial states listed in another order than when the trace was saved."""

    starts = ("start", "other")

    def initial_states(self):
        return list(type(self).starts)


def test_the_initial_state_is_found_as_a_step_is():
    """Found by a review: replay took the recorded initial index even when the spec (from a
    set of strings) now lists its initial states in another order, and said fixed."""
    data = trace_to_dict(explore(Starts(), "bfs").violations[0])
    Starts.starts = ("other", "start")
    try:
        out = replay(data, Starts())
    finally:
        Starts.starts = ("start", "other")
    assert out.outcome == "reproduced" and out.differs_from is None


def test_a_dataclass_state_is_written_field_by_field_so_its_sets_are_sorted():
    """Found by a review: a frozen dataclass was written as its repr, whose frozenset order
    depends on the process's string hashes, so its trace never matched in another process."""
    import dataclasses

    from modelcheck.trace.format import encode_state

    @dataclasses.dataclass(frozen=True)
    class Bag:
        items: frozenset

    assert encode_state(Bag(frozenset({"beta", "alpha"}))) == {"items": ["alpha", "beta"]}


class Forked(Spec):
    """From 0, two look-alike "a" steps (readable shows only the count) to (1, 0) and (1, 1);
    then "b"; the bug is (2, 0).  Class attributes let a test change the spec."""

    raise_at: tuple | None = None
    invariant_result = None  # None: the real check

    def initial_states(self):
        return [(0, 0)]

    def successors(self, s):
        if s == self.raise_at:
            raise KeyError("changed")
        if s[0] == 0:
            return [("a", (1, 0)), ("a", (1, 1))]
        return [("b", (2, s[1]))] if s[0] == 1 else []

    def readable(self, s):
        return {"n": s[0]}

    @invariant
    def ok(self, s):
        return s != (2, 0) if type(self).invariant_result is None else type(self).invariant_result(s)


def test_a_reading_that_stops_running_makes_the_replay_diverge_rather_than_fixed(tmp_path):
    """Found by a review: a reading that raised midway was dropped, and the other reading's
    'fixed' was the answer."""
    data = trace_to_dict(explore(Forked(), "bfs").violations[0])
    assert replay(data, Forked()).outcome == "reproduced"
    Forked.raise_at = (1, 0)
    try:
        out = replay(data, Forked())
    finally:
        Forked.raise_at = None
    assert out.outcome == "diverged" and out.message.startswith("step 2: the spec raised: KeyError")


def test_a_property_that_raises_or_returns_none_in_the_last_state_is_no_verdict(tmp_path):
    """Found by a review: a traceback (exit 1, read as reproduced), and a forgotten return read
    as a violation still there."""
    data = trace_to_dict(explore(Forked(), "bfs").violations[0])
    for result, says in ((lambda s: {}[s], "the spec raised checking ok: KeyError"),
                         (lambda s: None, "ok returned None after 2 steps (a missing return?)")):
        Forked.invariant_result = result
        try:
            out = replay(data, Forked())
        finally:
            Forked.invariant_result = None
        # a bug of the spec's own: its regression test fails rather than skips (a second review)
        assert out.outcome == "diverged" and says in out.message and out.raised


class HashFails(Spec):
    """The successor (2,) cannot be hashed: the search reports an error computing successors."""

    class Bad:
        def __eq__(self, other):
            return isinstance(other, HashFails.Bad)

        def __hash__(self):
            raise ValueError("boom hash")

    def initial_states(self):
        return [0]

    def successors(self, s):
        return [("inc", s + 1 if s < 1 else (s + 1, HashFails.Bad()))] if isinstance(s, int) else []

    def readable(self, s):
        return {"n": s if isinstance(s, int) else s[0]}


def test_an_error_hashing_a_successor_still_reproduces():
    """Found by a review: the search hashes each successor, replay did not, and said fixed."""
    r = explore(HashFails(), "bfs")
    assert r.error is not None and "ValueError: boom hash" in r.error.error
    assert replay(trace_to_dict(r.error), HashFails()).outcome == "reproduced"
