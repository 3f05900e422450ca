"""The pytest plugin: counterexample files replayed as tests, the fixture, the profiles."""

import json

import pytest

from modelcheck import build
from modelcheck.fuzz import fuzz
from modelcheck.trace.format import trace_to_dict

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def bug_trace():
    return fuzz(build("twophase", {"bug": "early-commit"}), examples=100, seed=3).violations[0]


def saved(pytester, trace, edit=None, name="twophase-consistent.json"):
    """Write ``trace`` as the project's counterexamples/``name``, optionally edited first."""
    data = trace_to_dict(trace)
    if edit is not None:
        edit(data)
    folder = pytester.path / "counterexamples"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(data))
    return folder / name


def drop_last_step(data):
    data["steps"].pop()
    data["length"] -= 1


def test_a_counterexample_that_reproduces_passes(pytester, bug_trace):
    path = saved(pytester, bug_trace)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"counterexamples/{path.name}::replay PASSED*"])


def test_a_fixed_counterexample_fails_with_no_longer_reproduces(pytester, bug_trace):
    path = saved(pytester, bug_trace, drop_last_step)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        f"{path.name} no longer reproduces: fixed: the trace replays, but consistent now holds in its last state",
        "*if the bug was fixed on purpose, delete the file*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_a_diverged_counterexample_fails_with_the_step(pytester, bug_trace):
    saved(pytester, bug_trace, lambda data: data["params"].update(bug=None))  # TMCommit needs all prepared
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no longer reproduces: diverged: step 3*"])


def test_an_unreadable_file_fails_clearly(pytester):
    (pytester.path / "counterexamples").mkdir()
    (pytester.path / "counterexamples" / "broken.json").write_text('{"format": "modelcheck.trace", "vers')
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cannot replay broken.json: *truncated*"])


def test_files_are_added_to_testpaths_runs_but_not_to_explicit_paths(pytester, bug_trace):
    saved(pytester, bug_trace)
    saved(pytester, bug_trace, drop_last_step, name="fixed.json")
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.mkdir("tests")
    pytester.path.joinpath("tests", "test_other.py").write_text("def test_other():\n    pass\n")
    everything = pytester.runpytest()
    everything.assert_outcomes(passed=2, failed=1)
    everything.stdout.fnmatch_lines(["collected 3 items"])
    pytester.runpytest("tests").assert_outcomes(passed=1)
    pytester.runpytest("counterexamples").assert_outcomes(passed=1, failed=1)


@pytest.mark.parametrize("opt_out", [["--modelcheck-no-replay"], ["-o", "modelcheck_replay=false"]])
def test_replay_can_be_turned_off(pytester, bug_trace, opt_out):
    saved(pytester, bug_trace)
    pytester.makepyfile("def test_other():\n    pass\n")
    pytester.runpytest(*opt_out).assert_outcomes(passed=1)


def test_the_fixture_fuzzes_in_one_line_and_saves_where_replay_looks(pytester):
    pytester.makepyfile("""
        def test_correct(modelcheck_fuzz):
            modelcheck_fuzz("twophase", examples=20, seed=1)

        def test_bug(modelcheck_fuzz):
            modelcheck_fuzz("twophase", params={"bug": "early-commit"}, examples=100, seed=3)
    """)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*CounterexampleFound: modelcheck fuzz: violation of consistent (seed 3*",
                                 "*violated: consistent*", "*saved: *counterexamples/twophase-consistent-*"])
    (path,) = (pytester.path / "counterexamples").glob("*.json")
    again = pytester.runpytest("-v")  # the saved counterexample is now a regression test
    again.assert_outcomes(passed=2, failed=1)
    again.stdout.fnmatch_lines([f"counterexamples/{path.name}::replay PASSED*"])


FLIP = """
from modelcheck import Spec, invariant

class Flip(Spec):
    def initial_states(self):
        {start}

    def successors(self, s):
        return [("Step", s + 1)] if s < 5 else []

    @invariant
    def fragile(self, s):
        if s == 3:
            raise ValueError("invariant bug at 3")
        return True
"""


def test_the_fixture_reports_a_spec_that_raises_as_a_failed_test(pytester):
    pytester.path.joinpath("flip.py").write_text(FLIP.format(start="return [0]"))
    pytester.makepyfile("""
        def test_flip(modelcheck_fuzz):
            modelcheck_fuzz("./flip.py:Flip", examples=5, seed=0)
    """)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CounterexampleFound: modelcheck fuzz: error: the spec raised while checking "
                                 "invariant fragile: ValueError: invariant bug at 3 (at flip.py:*in fragile)*"])
    result.stdout.no_fnmatch_line("*while generating*")  # not an error inside Hypothesis's data generation


def test_a_counterexample_whose_spec_now_raises_fails_in_one_message(pytester):
    pytester.path.joinpath("flip.py").write_text(FLIP.format(start="return [0]"))
    pytester.makepyfile("""
        def test_flip(modelcheck_fuzz):
            modelcheck_fuzz("./flip.py:Flip", examples=5, seed=0)
    """)
    pytester.runpytest().assert_outcomes(failed=1)  # saves the error trace under counterexamples/
    (path,) = (pytester.path / "counterexamples").glob("*.json")
    pytester.path.joinpath("flip.py").write_text(FLIP.format(start='raise KeyError("no initial")'))
    result = pytester.runpytest(f"counterexamples/{path.name}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"{path.name} no longer reproduces: diverged: the spec raised on its initial "
                                 "states: KeyError: 'no initial' (at flip.py:6 in initial_states)"])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*raise KeyError*")


def test_deep_profile_runs_more_examples_of_longer_schedules(pytester):
    pytester.makepyfile("""
        from hypothesis import settings
        from modelcheck.fuzz import fuzz

        def test_profile():
            assert settings.default.max_examples == 2000
            r = fuzz("twophase", max_steps=1, seed=1)
            assert r.bounds == {"examples": 2000, "max_steps": 1}
            assert settings.default.stateful_step_count == 100
    """)
    pytester.runpytest_subprocess("--hypothesis-profile=deep").assert_outcomes(passed=1)


def test_ci_profile_fuzzes_with_seed_0(pytester):
    pytester.makepyfile("""
        from modelcheck.fuzz import check_spec

        def test_seed():
            assert check_spec("twophase", examples=5, max_steps=5).seed == 0
    """)
    pytester.runpytest_subprocess("--hypothesis-profile=ci").assert_outcomes(passed=1)
