"""Checkpoint and resume (--checkpoint/--resume) and the memory limit: a stopped search
goes on to exactly the result of an uninterrupted one."""

from __future__ import annotations

import json
import os

import pytest

from modelcheck import SpecError, explore, invariant
from modelcheck.explore.checkpoint import FILE
from modelcheck.specs.twophase import TwoPhase

from test_cli import modelcheck


def same_search(a, b) -> None:
    assert (a.distinct_states, a.transitions, a.depth, a.coverage, a.verdict) == \
           (b.distinct_states, b.transitions, b.depth, b.coverage, b.verdict)


def test_a_search_stopped_and_resumed_equals_one_run(tmp_path):
    # in-process tests store whole states (--exact): pytest's hash seed is random
    spec = TwoPhase(rms=5)
    full = explore(spec, "bfs", exact=True)
    part = explore(spec, "bfs", exact=True, max_states=3000, checkpoint=str(tmp_path))
    assert part.cut_by == ["max_states"] and part.stats["checkpoint"] == str(tmp_path / FILE)
    again = explore(spec, "bfs", exact=True, max_states=6000, checkpoint=str(tmp_path), resume=str(tmp_path))
    assert again.cut_by == ["max_states"] and 6000 <= again.distinct_states < 8832
    rest = explore(spec, "bfs", exact=True, resume=str(tmp_path))
    assert rest.complete and rest.distinct_states == 8832
    same_search(rest, full)
    assert [p.name for p in tmp_path.iterdir()] == [FILE]  # no temporary files left behind


def test_a_violation_found_after_resuming_has_the_shortest_trace(tmp_path):
    spec = TwoPhase(rms=4, bug="early-commit")
    full = explore(spec, "bfs", exact=True)
    explore(spec, "bfs", exact=True, max_states=20, checkpoint=str(tmp_path))
    rest = explore(spec, "bfs", exact=True, resume=str(tmp_path))
    assert rest.violations[0].steps == full.violations[0].steps and len(full.violations[0]) == 5
    same_search(rest, full)


def test_a_checkpoint_of_another_run_is_refused(tmp_path):
    explore(TwoPhase(rms=4), "bfs", exact=True, max_states=100, checkpoint=str(tmp_path))
    with pytest.raises(SpecError, match="different run: its params"):
        explore(TwoPhase(rms=5), "bfs", exact=True, resume=str(tmp_path))
    with pytest.raises(SpecError, match="different run: its exact"):
        explore(TwoPhase(rms=4), "bfs", resume=str(tmp_path))
    with pytest.raises(SpecError, match="no checkpoint in"):
        explore(TwoPhase(rms=4), "bfs", exact=True, resume=str(tmp_path / "nothing"))
    (tmp_path / FILE).write_bytes(b"not a pickle")
    with pytest.raises(SpecError, match="cannot read checkpoint"):
        explore(TwoPhase(rms=4), "bfs", exact=True, resume=str(tmp_path))


def test_fingerprints_need_a_fixed_hash_seed(tmp_path):
    if os.environ.get("PYTHONHASHSEED") not in (None, "random"):
        pytest.skip("this process has a fixed hash seed")
    with pytest.raises(SpecError, match="fixed hash seed"):
        explore(TwoPhase(), "bfs", max_states=10, checkpoint=str(tmp_path))


def test_checkpointing_is_for_in_process_bfs(tmp_path):
    with pytest.raises(SpecError, match="in-process breadth-first"):
        explore(TwoPhase(), "dfs", exact=True, checkpoint=str(tmp_path))


def test_cli_checkpoint_and_resume_with_fingerprints(tmp_path):
    # the command fixes the seed itself: pytest's own (random) one is not passed on
    assert "PYTHONHASHSEED" not in os.environ or os.environ["PYTHONHASHSEED"] == "random"
    r = modelcheck("explore", "twophase", "-p", "rms=6", "--max-states", "20000", "--checkpoint", "ck",
                   cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "continue with --resume ck" in r.stdout
    r = modelcheck("explore", "twophase", "-p", "rms=6", "--resume", "ck", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["distinct_states"] == 50816 and out["complete"]


def test_memory_limit_stops_with_the_partial_summary(tmp_path):
    r = modelcheck("explore", "twophase", "-p", "rms=7", "--memory-limit", "1M", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "(memory limit reached)" in r.stdout and "memory limit 1 MiB (reached)" in r.stdout
    r = modelcheck("explore", "twophase", "--memory-limit", "12X", cwd=tmp_path)
    assert r.returncode == 2 and "not a size like 8G" in r.stderr
    assert explore(TwoPhase(rms=5), "bfs", memory_limit=0).complete  # 0: no limit


def test_cli_resumes_a_protocol_whose_states_hold_none(tmp_path):
    # raft-election's voted_for is None before a vote: before Python 3.12 hash(None) differs
    # between processes, so a checkpoint's fingerprints must not depend on it
    r = modelcheck("explore", "raft-election", "-p", "max_term=1", "--faults", "crash=1", "--max-states", "3000",
                   "--checkpoint", "ck", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = modelcheck("explore", "raft-election", "-p", "max_term=1", "--faults", "crash=1", "--resume", "ck",
                   "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["distinct_states"] == 8645 and out["complete"]


def test_ctrl_c_mid_expansion_checkpoints_a_consistent_search(tmp_path):
    # Ctrl-C arrives while state 5's successors are being computed (after some of them
    # were generated): the run stops after that expansion, so no successor is left
    # half-admitted, and resuming gives exactly the uninterrupted result
    import signal

    from models import Diamond

    class Interrupted(Diamond):
        fired = False

        def successors(self, s):
            out = super().successors(s)
            if s == (2, 1) and not Interrupted.fired:
                Interrupted.fired = True
                os.kill(os.getpid(), signal.SIGINT)
            return out

    spec = Interrupted(n=6)
    Interrupted.fired = True
    full = explore(spec, "bfs", exact=True)
    Interrupted.fired = False
    part = explore(spec, "bfs", exact=True, checkpoint=str(tmp_path))
    assert Interrupted.fired and part.cut_by == ["interrupted"] and "checkpoint" in part.stats
    assert part.distinct_states < full.distinct_states
    rest = explore(spec, "bfs", exact=True, resume=str(tmp_path))
    same_search(rest, full)
    assert rest.violations[0].steps == full.violations[0].steps


def test_ctrl_c_while_a_violation_is_being_checked_loses_nothing(tmp_path):
    import signal

    from models import Diamond

    from modelcheck import invariant

    class CheckedLate(Diamond):
        fired = False

        @invariant
        def not_corner(self, s):
            if s == (self.n, self.n) and not CheckedLate.fired:
                CheckedLate.fired = True
                os.kill(os.getpid(), signal.SIGINT)
            return s != (self.n, self.n)

    spec = CheckedLate(n=4)
    CheckedLate.fired = True
    full = explore(spec, "bfs", exact=True)
    CheckedLate.fired = False
    part = explore(spec, "bfs", exact=True, checkpoint=str(tmp_path))
    assert CheckedLate.fired and "interrupted" in part.cut_by
    found = part.violations or explore(spec, "bfs", exact=True, resume=str(tmp_path)).violations
    assert [t.steps for t in found] == [t.steps for t in full.violations] and len(full.violations[0]) == 8


@pytest.mark.parametrize("at, periodic", [((70, 0), True), ((1, 0), False)])
def test_a_second_ctrl_c_keeps_only_the_last_periodic_save(tmp_path, at, periodic):
    # A second Ctrl-C stops at once, here while the first of two new states is checked
    # ((70, 0) and (69, 1) from (69, 0); (1, 0) and (0, 1) from the start), the second
    # already in the visited set but not queued: saving that search lost the second state
    # on resume (9,999 and 9,901 states of 10,000).  The last periodic save is kept instead, and resuming
    # from it gives the uninterrupted result; before any periodic save nothing is saved.
    import signal

    from models import Diamond

    class TwiceInterrupted(Diamond):
        fired = False

        @invariant
        def not_corner(self, s):
            if s == at and not TwiceInterrupted.fired:
                TwiceInterrupted.fired = True
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)
            return s != (self.n, self.n)

    spec = TwiceInterrupted(n=99)
    TwiceInterrupted.fired = True
    full = explore(spec, "bfs", exact=True)
    TwiceInterrupted.fired = False
    part = explore(spec, "bfs", exact=True, checkpoint=str(tmp_path), checkpoint_every=1e-9)
    assert TwiceInterrupted.fired and part.cut_by == ["interrupted"]
    if not periodic:
        assert "checkpoint" not in part.stats and not (tmp_path / FILE).exists()
        return
    assert part.stats["checkpoint"] == str(tmp_path / FILE)
    assert 0 < part.stats["checkpoint_periodic_states"] <= part.distinct_states  # what the kept save holds
    same_search(explore(spec, "bfs", exact=True, resume=str(tmp_path)), full)


@pytest.mark.parametrize("bound", [None, 3000])
def test_a_checkpoint_that_cannot_be_written_is_noted_not_a_spec_error(tmp_path, bound):
    # the folder goes away mid-search (as a full disk or an unmounted volume would fail it):
    # the search goes on without checkpoints, to the same result, and says why
    import shutil

    from models import Diamond

    folder = tmp_path / "ck"

    class FolderGoes(Diamond):
        @invariant
        def not_corner(self, s):
            if s == (40, 0):
                shutil.rmtree(folder, ignore_errors=True)
            return s != (self.n, self.n)

    spec = FolderGoes(n=99)
    full = explore(spec, "bfs", exact=True)
    r = explore(spec, "bfs", exact=True, checkpoint=str(folder), checkpoint_every=1e-9, max_states=bound)
    assert r.error is None and "checkpoint" not in r.stats
    assert r.stats["checkpoint_error"].startswith(f"cannot save the checkpoint in {folder}: ")
    if bound is None:
        same_search(r, full)
    else:
        assert r.cut_by == ["max_states"] and r.distinct_states >= 3000


def test_a_state_that_cannot_be_pickled_is_a_checkpoint_error_not_a_spec_error(tmp_path):
    from models import Diamond

    local = lambda: None  # noqa: E731 -- one object (states stay equal by value), but not picklable

    class Unpicklable(Diamond):
        def successors(self, s):
            return [(a, (x, y, local) if x == 30 else (x, y)) for a, (x, y, *_) in super().successors(s[:2])]

    r = explore(Unpicklable(n=60), "bfs", checkpoint=str(tmp_path), checkpoint_every=1e-9, exact=True)
    assert r.error is None
    assert r.stats["checkpoint_error"].startswith("cannot save the checkpoint: a state cannot be pickled: ")


COUNTER = '''
from typing import NamedTuple
from modelcheck import Param, Spec, invariant


class State(NamedTuple):
    a: int
    b: int


class Counters(Spec):
    limit = Param(2)

    def initial_states(self):
        return [State(0, 0)]

    def successors(self, s):
        out = []
        if s.a < self.limit:
            out.append((("Inc", "a"), s._replace(a=s.a + 1)))
        if s.b < self.limit:
            out.append((("Inc", "b"), s._replace(b=s.b + 1)))
        return out

    @invariant
    def bounded(self, s):
        return s.a + s.b <= 2 * self.limit
'''


def test_a_resume_with_another_deadlock_setting_is_refused(tmp_path):
    # the states expanded before the checkpoint were (or were not) checked for deadlock:
    # that cannot change on resume, and the summary must say what was checked
    (tmp_path / "counter.py").write_text(COUNTER)
    run = ("explore", "./counter.py", "-p", "limit=60", "--no-save")
    assert modelcheck(*run, "--max-states", "1000", "--checkpoint", "off", cwd=tmp_path).returncode == 0
    r = modelcheck(*run, "--resume", "off", "--deadlock", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == ("error: checkpoint off/checkpoint.pickle is of a run with deadlock checking off, "
                        "this one has it on; resume with --no-deadlock\n")
    assert modelcheck(*run, "--max-states", "1000", "--deadlock", "--checkpoint", "on", cwd=tmp_path).returncode == 0
    r = modelcheck(*run, "--resume", "on", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == ("error: checkpoint on/checkpoint.pickle is of a run with deadlock checking on, "
                        "this one has it off; resume with --deadlock\n")
    r = modelcheck(*run, "--resume", "on", "--deadlock", cwd=tmp_path)
    assert r.returncode == 1 and "deadlock after 120 steps" in r.stdout
    assert "deadlock check     on" in r.stdout


def test_a_resume_with_another_depth_bound_is_refused(tmp_path):
    spec = TwoPhase(rms=4)
    full = explore(spec, "bfs", exact=True, depth=8)
    part = explore(spec, "bfs", exact=True, depth=8, max_states=200, checkpoint=str(tmp_path))
    assert part.cut_by == ["max_states"] and part.depth < 8
    path = tmp_path / FILE
    for other, says in ((3, "3"), (None, "none")):
        with pytest.raises(SpecError) as err:
            explore(spec, "bfs", exact=True, depth=other, resume=str(tmp_path))
        assert str(err.value) == (f"checkpoint {path} is of a run with depth bound 8, this one has {says}; "
                                  "resume with --depth 8")
    rest = explore(spec, "bfs", exact=True, depth=8, resume=str(tmp_path))
    same_search(rest, full)
    assert rest.depth == 8 and rest.bounds == {"depth": 8} and rest.cut_by == ["depth"]


def test_cli_resumes_an_exact_search_of_a_file_spec(tmp_path, monkeypatch):
    # --exact runs need no fixed hash seed, so the two processes salt string hashes
    # differently: the file spec's states must still unpickle in the second
    (tmp_path / "counter.py").write_text(COUNTER)
    run = ("explore", "./counter.py", "-p", "limit=60", "--exact", "--json", "--no-save")
    monkeypatch.setenv("PYTHONHASHSEED", "1")
    r = modelcheck(*run, "--max-states", "1000", "--checkpoint", "ck", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["cut_by"] == ["max_states"], r.stderr
    monkeypatch.setenv("PYTHONHASHSEED", "2")
    r = modelcheck(*run, "--resume", "ck", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["distinct_states"] == 61 * 61 and out["complete"]


def test_a_corrupt_or_truncated_checkpoint_is_a_one_line_error(tmp_path):
    spec = TwoPhase(rms=4)
    explore(spec, "bfs", exact=True, max_states=100, checkpoint=str(tmp_path))
    path = tmp_path / FILE
    whole = path.read_bytes()
    for junk in (b"garbage\n", whole[: len(whole) // 2], b"", b"\x80\x05K\x01.", whole[:-1] + b"\xff"):
        path.write_bytes(junk)
        with pytest.raises(SpecError) as err:
            explore(spec, "bfs", exact=True, resume=str(tmp_path))
        message = str(err.value)
        assert message.startswith(f"cannot read checkpoint {path}") or message == \
            f"{path} is not a modelcheck checkpoint", message
        assert "\n" not in message
    path.write_bytes(b"garbage\n")
    r = modelcheck("explore", "twophase", "-p", "rms=4", "--exact", "--resume", tmp_path, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (f"error: cannot read checkpoint {path}: ValueError: "
                        "invalid literal for int() with base 10: 'arbage\\n'\n")


def test_a_resume_after_the_spec_changed_is_refused(tmp_path):
    """A checkpoint holds states the old code found and checked: resuming it with a spec
    whose file changed (a new invariant an explored state breaks) would say "holds"."""
    (tmp_path / "counter.py").write_text(COUNTER)
    run = ("explore", "./counter.py", "-p", "limit=60", "--no-save")
    assert modelcheck(*run, "--max-states", "1000", "--checkpoint", "ck", cwd=tmp_path).returncode == 0
    (tmp_path / "counter.py").write_text(COUNTER.replace("<= 2 * self.limit", "<= 10"))
    r = modelcheck(*run, "--resume", "ck", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert "was saved by other code: the spec's source" in r.stderr and "without --resume" in r.stderr
    (tmp_path / "counter.py").write_text(COUNTER)  # the same code again: it resumes
    assert modelcheck(*run, "--resume", "ck", cwd=tmp_path).returncode == 0


def test_cli_a_checkpoint_that_cannot_be_saved_fails_a_clean_run_but_not_a_violation(tmp_path):
    spec = '''
from modelcheck import Spec, invariant, Param
ODD = lambda: None  # a lambda cannot be pickled
class Odd(Spec):
    limit = Param(100_000)
    def initial_states(self):
        return [(0,)]
    def successors(self, s):
        n = s[0] + 1
        return [("inc", (n, ODD) if n == 5 else (n,))] if n <= 3000 else []
    @invariant
    def small(self, s):
        return s[0] < self.limit
'''
    (tmp_path / "odd.py").write_text(spec)
    run = ("explore", "./odd.py", "--exact", "--checkpoint", "ck", "--checkpoint-every", "0.000001", "-q")
    clean = modelcheck(*run, cwd=tmp_path)  # the periodic saves fail, the search goes on
    assert clean.returncode == 2 and "no violation: every reachable state checked" in clean.stdout
    assert clean.stderr.startswith("error: cannot save the checkpoint: a state cannot be pickled")
    bad = modelcheck(*run, "-p", "limit=2500", "--no-save", cwd=tmp_path)
    assert bad.returncode == 1 and "invariant small violated" in bad.stdout
    assert bad.stderr.startswith("error: cannot save the checkpoint: a state cannot be pickled")


def test_a_spec_file_named_by_another_path_resumes(tmp_path):
    (tmp_path / "counter.py").write_text(COUNTER)
    (tmp_path / "elsewhere").mkdir()
    run = ("explore", "-p", "limit=60", "--no-save")
    assert modelcheck(run[0], "./counter.py", *run[1:], "--max-states", "1000", "--checkpoint", "ck",
                      cwd=tmp_path).returncode == 0
    r = modelcheck(run[0], "../counter.py", *run[1:], "--resume", "../ck", cwd=tmp_path / "elsewhere")
    assert r.returncode == 0 and "resumed" in r.stdout, r.stderr
    (tmp_path / "other.py").write_text(COUNTER)  # the same code in another file: another spec
    r = modelcheck(run[0], "./other.py", *run[1:], "--resume", "ck", cwd=tmp_path)
    assert r.returncode == 2 and "holds states of another spec file than './other.py'" in r.stderr
