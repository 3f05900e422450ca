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
    saved(pytester, bug_trace, lambda data: data["steps"][2].update(action="Renamed"))
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
    """A spec raising on a trace's steps is a bug of its own, not a trace gone out of date: the
    regression test fails (a review found a fix that raised another error left it skipped and
    the suite green)."""
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
    result.stdout.fnmatch_lines([f"{path.name}: the spec now raises on the trace's steps: the spec raised on its "
                                 "initial states: KeyError: 'no initial' (at flip.py:6 in initial_states)*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*raise KeyError*")


COUNTER = """
from modelcheck import Param, Spec, invariant

class Counter(Spec):
    limit = Param(2)
    bugs = {{"overflow": "may go one past the limit"}}

    def initial_states(self):
        return [0]

    def successors(self, s):
        top = self.limit + (1 if self.bug == "overflow" else 0)
        return [("{action}", s + {stride})] if s < top else []

    @invariant
    def bounded(self, s):
        return s <= self.limit + {slack}
"""

REPLAYED = {  # (kind, outcome): what the replay test does and says
    ("real bug", "reproduced"): ("failed", ["counter-bounded-*.json: the bug is still there: invariant bounded is "
                                            "still violated after 2 steps",
                                            "  (modelcheck show *counterexamples*counter-bounded-*.json)"]),
    ("real bug", "fixed"): ("passed", []),
    ("real bug", "fixed, states changed"): ("passed", []),
    ("real bug", "diverged"): ("skipped", ["SKIPPED * counter-bounded-*.json: the spec changed under the trace, "
                                           "which no longer tests anything (step 1 (Inc) is no longer enabled: 1 "
                                           "enabled there: Add); record it again or delete the file"]),
    ("real bug", "raises"): ("failed", ["counter-bounded-*.json: the spec now raises on the trace's steps: after 2 "
                                        "steps the spec raised checking bounded: ZeroDivisionError*"]),
    ("known bug", "reproduced"): ("passed", []),
    ("known bug", "fixed"): ("failed", ["counter-bounded-*.json no longer reproduces: fixed: the trace replays, "
                                        "but bounded now holds in its last state",
                                        "*if the bug was fixed on purpose, delete the file*"]),
    ("known bug", "fixed, states changed"): ("failed", ["counter-bounded-*.json no longer reproduces: fixed: the "
                                                        "trace replays, but bounded now holds in its last state; the "
                                                        "states differ from the recorded ones from step 1 (Inc) on*"]),
    ("known bug", "diverged"): ("failed", ["counter-bounded-*.json no longer reproduces: diverged: step 1 (Inc)*",
                                           "*the spec changed under the trace*"]),
}


@pytest.mark.parametrize("kind, outcome", list(REPLAYED))
def test_a_real_bug_fails_until_fixed_a_known_bug_variant_must_reproduce(pytester, kind, outcome):
    """A user's counterexample is a regression test: red while the bug is there, green once it is
    fixed (also when the fix changes the states along it), skipped once its steps no longer run; a
    declared bug variant's must still reproduce."""
    spec = pytester.path / "counter.py"
    spec.write_text(COUNTER.format(stride=1, slack=0, action="Inc"))
    bug = {"params": {"limit": 2, "bug": "overflow"}} if kind == "known bug" else {"params": {"limit": 2}}
    pytester.makepyfile(test_counter=f"""
        def test_counter(modelcheck_fuzz):
            modelcheck_fuzz("./counter.py:Counter", examples=20, seed=1, **{bug!r})
    """)
    if kind == "real bug":
        spec.write_text(COUNTER.format(stride=1, slack=-1, action="Inc"))  # the user's bug: the counter may not reach limit
    pytester.runpytest().assert_outcomes(failed=1)  # saves the counterexample
    assert len(list((pytester.path / "counterexamples").glob("counter-bounded-*.json"))) == 1
    changed = {"reproduced": (1, 0 if kind == "known bug" else -1, "Inc"), "fixed": (1, 1, "Inc"),
               "fixed, states changed": (0, 0, "Inc"),  # Inc no longer moves the counter
               "diverged": (1, 0, "Add"),  # the trace's Inc is gone
               "raises": (1, "1 // 0", "Inc")}[outcome]  # a "fix" that raises: another bug
    spec.write_text(COUNTER.format(stride=changed[0], slack=changed[1], action=changed[2]))
    result = pytester.runpytest("-rs", "counterexamples")
    verdict, lines = REPLAYED[kind, outcome]
    result.assert_outcomes(**{verdict: 1})
    result.stdout.fnmatch_lines(lines)
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_spec_file_is_found_from_the_rootdir_when_pytest_runs_in_a_subdirectory(pytester, monkeypatch):
    pytester.makeini("[pytest]\n")
    pytester.path.joinpath("counter.py").write_text(COUNTER.format(stride=1, slack=-1, action="Inc"))
    pytester.makepyfile("""
        def test_counter(modelcheck_fuzz):
            modelcheck_fuzz("./counter.py:Counter", examples=20, seed=1)
    """)
    pytester.runpytest().assert_outcomes(failed=1)
    (path,) = (pytester.path / "counterexamples").glob("*.json")
    assert json.loads(path.read_text())["spec"] == "./counter.py:Counter"
    monkeypatch.chdir(pytester.mkdir("sub"))
    result = pytester.runpytest("../counterexamples")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"{path.name}: the bug is still there: invariant bounded is still violated*"])
    result.stdout.no_fnmatch_line("*does not exist*")
    assert json.loads(path.read_text())["spec"] == "./counter.py:Counter"  # the file is left as it was


def test_a_trace_saved_by_a_test_in_a_subdirectory_replays_against_that_file(pytester, monkeypatch):
    # the fixture saves under <rootdir>/counterexamples/ what a test in sub/ found in
    # sub/counter.py ('./counter.py' from sub/); a counter.py at the rootdir, where the bug
    # is fixed, is another file
    pytester.makeini("[pytest]\n")
    sub = pytester.mkdir("sub")
    sub.joinpath("counter.py").write_text(COUNTER.format(stride=1, slack=-1, action="Inc"))
    sub.joinpath("test_counter.py").write_text(
        "def test_counter(modelcheck_fuzz):\n    modelcheck_fuzz('./counter.py:Counter', examples=20, seed=1)\n")
    monkeypatch.chdir(sub)
    pytester.runpytest("test_counter.py").assert_outcomes(failed=1)
    (path,) = (pytester.path / "counterexamples").glob("*.json")
    assert json.loads(path.read_text())["spec_file"] == "../sub/counter.py"
    pytester.path.joinpath("counter.py").write_text(COUNTER.format(stride=1, slack=0, action="Inc"))
    for where in (sub, pytester.path):
        monkeypatch.chdir(where)
        result = pytester.runpytest(str(path))
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([f"{path.name}: the bug is still there: invariant bounded is still violated*"])


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


def test_the_failure_message_gives_the_call_that_finds_it_again_under_any_profile(pytester):
    """Found by the deep profile after 666 of its 2,000 examples: the seed alone does not find it
    under the default profile (100 examples); the call in the message does."""
    pytester.makepyfile(test_deep="""
        from modelcheck.fuzz import check_spec

        def test_quorum():
            check_spec("quorum", params={"bug": "no-overlap"}, seed=1296296782, save_to=None)
    """)
    deep = pytester.runpytest_subprocess("--hypothesis-profile=deep")
    deep.assert_outcomes(failed=1)
    deep.stdout.fnmatch_lines(["*violation of read_your_writes (seed 1296296782, found after 666 examples*"])
    # The message shows in the traceback, and again in the short summary when pytest runs under CI.
    (call,) = {line.partition("the same run again, whatever the Hypothesis profile: ")[2]
               for line in deep.stdout.lines if "the same run again" in line}
    assert call == ("check_spec('quorum', params={'n': 3, 'r': 2, 'w': 2, 'writes': 1, 'bug': 'no-overlap'}, "
                    "seed=1296296782, examples=2000, max_steps=100)")
    pytester.path.joinpath("test_deep.py").unlink()
    pytester.makepyfile(test_again=f"""
        import pytest
        from modelcheck.fuzz import CounterexampleFound, check_spec

        def test_the_seed_alone_does_not_find_it():  # else this test shows nothing: pick another seed
            check_spec("quorum", params={{"bug": "no-overlap"}}, seed=1296296782, save_to=None)

        def test_the_pasted_call_does():
            with pytest.raises(CounterexampleFound, match="found after 666 examples"):
                {call}
    """)
    pytester.runpytest_subprocess("--hypothesis-profile=default").assert_outcomes(passed=2)


def test_a_spec_object_and_its_faults_are_in_the_call_again():
    from modelcheck.fuzz import CounterexampleFound, check_spec

    spec = build("raft-election", {"bug": "volatile-voted-for"}, faults="crash=1")
    with pytest.raises(CounterexampleFound) as by_object:
        check_spec(spec, examples=300, max_steps=30, seed=0, save_to=None)
    assert by_object.value.args[0].endswith(
        "check_spec(RaftElection(servers=3, max_term=1, timeout=2, bug='volatile-voted-for', "
        "faults='crash=1'), seed=0, examples=300, max_steps=30)")
    with pytest.raises(CounterexampleFound) as by_name:
        check_spec("raft-election", params={"bug": "volatile-voted-for"}, faults="crash=1", examples=300,
                   max_steps=30, seed=0, save_to=None)
    assert by_name.value.args[0].endswith(
        "check_spec('raft-election', params={'servers': 3, 'max_term': 1, 'timeout': 2, "
        "'bug': 'volatile-voted-for'}, faults='crash=1', seed=0, examples=300, max_steps=30)")


def test_ci_profile_fuzzes_with_seed_0(pytester):
    pytester.makepyfile("""
        from modelcheck.fuzz import check_spec

        def test_seed():
            assert check_spec("twophase", examples=5, max_steps=5).seed == 0
    """)
    pytester.runpytest_subprocess("--hypothesis-profile=ci").assert_outcomes(passed=1)
