"""The command line, through the installed console script in a subprocess."""

import json
import os
import shutil
import stat
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
from commands import command, plain_env

MODELS = Path(__file__).parent / "models.py"


def modelcheck(*args, cwd):
    return subprocess.run(command() + [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_list_shows_specs_params_invariants_and_bugs(tmp_path):
    r = modelcheck("list", "--json", cwd=tmp_path)
    assert r.returncode == 0
    specs = {s["name"]: s for s in json.loads(r.stdout)}
    assert specs["twophase"]["params"] == {"rms": 3}
    assert "early-commit" in specs["twophase"]["bugs"]
    assert "consistent" in specs["twophase"]["invariants"]
    assert "twophase" in modelcheck("list", cwd=tmp_path).stdout


def test_explore_ok_prints_summary_and_exits_0(tmp_path):
    r = modelcheck("explore", "twophase", "-p", "rms=4", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "no violation: every reachable state checked" in r.stdout
    assert "1,568" in r.stdout and "action coverage" in r.stdout
    assert not (tmp_path / "counterexamples").exists()


def test_explore_violation_saves_counterexample_that_show_and_replay_read(tmp_path):
    r = modelcheck("explore", "twophase", "-p", "bug=early-commit", cwd=tmp_path)
    assert r.returncode == 1
    assert "invariant consistent violated after 5 steps" in r.stdout
    (saved,) = (tmp_path / "counterexamples").glob("twophase-consistent-*.json")
    data = json.loads(saved.read_text())
    assert data["format"] == "modelcheck.trace" and data["params"] == {"rms": 3, "bug": "early-commit"}
    assert data["length"] == 5 and data["steps"][2]["action"] == "TMCommit"
    shown = modelcheck("show", saved, cwd=tmp_path)
    assert shown.returncode == 0
    assert "rm[0]: working -> prepared" in shown.stdout
    replayed = modelcheck("replay", saved, cwd=tmp_path)
    assert replayed.returncode == 1
    assert "reproduced" in replayed.stdout


def test_explore_json_output(tmp_path):
    r = modelcheck("explore", "twophase", "--json", "--depth", "4", cwd=tmp_path)
    assert r.returncode == 0
    data = json.loads(r.stdout)
    assert data["cut_by"] == ["depth"] and data["bounds"] == {"depth": 4}
    assert data["verdict"] == "no violation up to depth 4"
    assert data["invariants"]["consistent"] == "no violation found"


def test_random_strategy_reports_seed_and_walks(tmp_path):
    r = modelcheck("explore", "twophase", "--strategy", "random", "--walks", "20", "--seed", "5", "--json",
                   cwd=tmp_path)
    data = json.loads(r.stdout)
    assert data["seed"] == 5 and data["stats"]["walks"] == 20
    again = json.loads(modelcheck("explore", "twophase", "--strategy", "random", "--walks", "20",
                                  "--seed", "5", "--json", cwd=tmp_path).stdout)
    assert again["distinct_states"] == data["distinct_states"]


def test_user_spec_file(tmp_path):
    r = modelcheck("explore", f"{MODELS}:Diamond", "-p", "n=2", "--no-save", cwd=tmp_path)
    assert r.returncode == 1
    assert "invariant not_corner violated after 4 steps" in r.stdout


def test_module_spec_from_the_working_directory(tmp_path):
    # `module:Class` imports from where the command runs, as `python -m` does
    shutil.copy(MODELS, tmp_path / "my_models.py")
    r = modelcheck("explore", "my_models:Diamond", "-p", "n=2", "--no-save", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "invariant not_corner violated after 4 steps" in r.stdout


def test_a_trace_of_a_spec_file_replays_and_shows_from_another_directory(tmp_path):
    # recorded as './my_models.py' from project/ and saved under project/counterexamples/
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(MODELS, project / "my_models.py")
    assert modelcheck("explore", "./my_models.py:Diamond", "-p", "n=2", cwd=project).returncode == 1
    (saved,) = (project / "counterexamples").glob("*.json")
    assert json.loads(saved.read_text())["spec"] == "./my_models.py:Diamond"
    assert json.loads(saved.read_text())["spec_file"] == "../my_models.py"  # from the trace's folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # a file of the same name where replay runs, in which the bug is fixed, is not the one
    (elsewhere / "my_models.py").write_text((project / "my_models.py").read_text().replace(
        "return s != (self.n, self.n)", "return True"))
    r = modelcheck("replay", saved, cwd=elsewhere)
    assert r.returncode == 1 and r.stdout.startswith("reproduced"), r.stdout + r.stderr
    assert modelcheck("show", saved, cwd=elsewhere).returncode == 0
    # once the recorded file is gone, the same-named file where replay runs is still not it
    (project / "my_models.py").unlink()
    r = modelcheck("replay", saved, cwd=elsewhere)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"the trace's spec file './my_models.py' is not at {project / 'my_models.py'}, where it was" in r.stderr
    # a project moved with its traces replays
    shutil.copy(MODELS, project / "my_models.py")
    project.rename(tmp_path / "moved")
    r = modelcheck("replay", tmp_path / "moved" / "counterexamples" / saved.name, cwd=elsewhere)
    assert r.returncode == 1 and r.stdout.startswith("reproduced"), r.stdout + r.stderr


@pytest.mark.parametrize("args, message", [
    (["explore", "nosuch"], "unknown spec 'nosuch'"),
    (["explore", "twophase", "-p", "nodes=3"], "unknown parameter 'nodes'"),
    (["explore", "twophase", "-p", "rms=x"], "must be a whole number"),
    (["explore", "twophase", "-p", "rms"], "not of the form name=value"),
    (["explore", "twophase", "-p", "rms=3", "-p", " rms = 4"],
     "parameter 'rms' is given twice (-p rms=3, -p rms=4); give it once"),
    (["explore", "twophase", "--engine", "ray"], "give N (e.g. --workers 8)"),
    (["explore", "twophase", "-p", "bug=nope"], "must be one of"),
    (["explore", "./missing.py"], "does not exist"),
    (["explore", "twophase", "--faults", "drop"], "takes no faults"),
    (["explore", "./"], "spec file '.' is a directory; give a Python file in it"),
    (["explore", f"{MODELS}:Changeable", "--symmetry"], "spec 'Changeable' declares no symmetry"),
    # options that would do nothing, or contradict each other (found by a review: all ran)
    (["explore", "twophase", "--walks", "5"], "bfs explores every state, so drop --walks"),
    (["explore", "twophase", "--checkpoint-every", "5"], "give --checkpoint DIR too"),
    (["explore", "twophase", "--no-save", "--out", "x"], "--no-save saves none; drop one"),
    (["explore", "twophase", "--workers", "100000"], "more processes than CPUs only slow the search down"),
    (["explore", "raft-election", "--faults", "none,drop"], "'none' means no faults; drop it or the other items"),
    (["explore", "raft-election", "--faults", ","], "--faults ',' names no fault"),
    (["fuzz", "twophase", "--no-save", "--out", "x"], "--no-save saves none; drop one"),
    # ray.init retried for minutes (a review): refused at once
    pytest.param(["explore", "twophase", "--engine", "ray", "--workers", "2", "--address", "127.0.0.1:1"],
                 "--address 127.0.0.1:1: no Ray cluster answers there",
                 marks=pytest.mark.skipif(find_spec("ray") is None, reason="Ray is not installed")),
    # click's own usage errors, one line too
    (["explore", "twophase", "--workers", "0"],
     "error: Invalid value for '--workers' / '-w': 0 is not in the range x>=1; see 'modelcheck explore --help'"),
    (["explore"], "error: Missing argument 'SPEC'; see 'modelcheck explore --help'"),
    (["nosuch"], "error: No such command 'nosuch'; see 'modelcheck --help'"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message):
    r = modelcheck(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("size", ["nan", "inf", "-inf", "1e400", "infG"])
def test_memory_limit_must_be_a_finite_size(tmp_path, size):
    r = modelcheck("explore", "twophase", "--memory-limit", size, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr == (f"error: Invalid value for '--memory-limit': {size!r} is not a size like 8G, 512M or 0 "
                        "(a finite number); see 'modelcheck explore --help'\n")


def test_spec_error_during_exploration_exits_2_with_trace(tmp_path):
    r = modelcheck("explore", f"{MODELS}:Raises", cwd=tmp_path)
    assert r.returncode == 2
    assert "ZeroDivisionError: boom at 3" in r.stdout
    assert "Traceback" not in r.stderr


def test_unhashable_state_is_a_clear_error(tmp_path):
    r = modelcheck("explore", f"{MODELS}:Unhashable", cwd=tmp_path)
    assert r.returncode == 2 and "state.history (list)" in r.stderr


@pytest.mark.parametrize("content, message", [
    ('{"format": "modelcheck.trace", "version": 1, "spec": "twophase"', "truncated"),
    ("not json at all}", "not valid JSON"),
    ("<!DOCTYPE html><html>", "not valid JSON"),
    ("hello", "not valid JSON"),
    ("", "empty; not a counterexample"),
    ('{"format": "modelcheck.trace", "version": 1, "spec": "twophase", "params": {}, "faults": {}, '
     '"kind": "error", "error": null, "property": "error", "initial": {"index": 0, "state": null}, '
     '"steps": []}', "kind 'error' needs 'error'"),
    ('{"hello": "world"}', "not a modelcheck counterexample"),
    ('{"format": "modelcheck.trace", "version": 99}', "format version 99"),
    ('{"format": "modelcheck.trace", "version": 1, "spec": "twophase", "params": {}, "faults": {}, '
     '"kind": "invariant", "property": "consistent", "initial": {"index": 0, "state": null}, '
     '"steps": [{"action": "x"}]}', "step 1 needs"),
])
def test_bad_trace_files_are_one_line_errors(tmp_path, content, message):
    f = tmp_path / "bad.json"
    f.write_text(content)
    for cmd in ("show", "replay"):
        r = modelcheck(cmd, f, cwd=tmp_path)
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_missing_trace_file(tmp_path):
    r = modelcheck("show", tmp_path / "nope.json", cwd=tmp_path)
    assert r.returncode == 2 and "no such file" in r.stderr


MARKUP_SPEC = """
from modelcheck import Spec, invariant


class Markup(Spec):
    def initial_states(self):
        return [("[red]a",)]

    def successors(self, s):
        return [("say [bold]hi[/bold] [/z]", (s[0] + "!",))] if len(s[0]) < 9 else []

    @invariant
    def short(self, s):
        return len(s[0]) < 8
"""


def test_spec_text_is_printed_as_is_not_read_as_markup(tmp_path):
    (tmp_path / "markup.py").write_text(MARKUP_SPEC)
    for args in (["explore", "./markup.py"], ["fuzz", "./markup.py", "--seed", "1", "-q"]):
        r = modelcheck(*args, "--no-save", cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        assert "Traceback" not in r.stderr
        assert "  1 say [bold]hi[/bold] [/z]\n" in r.stdout  # the trace
        assert "state[0]: [red]a -> [red]a!\n" in r.stdout
        assert "  say [bold]hi[/bold] [/z]    " in r.stdout  # the action coverage table


def test_replay_prints_its_message_as_is(tmp_path):
    modelcheck("explore", "twophase", "-p", "bug=early-commit", cwd=tmp_path)
    (saved,) = (tmp_path / "counterexamples").glob("twophase-consistent-*.json")
    data = json.loads(saved.read_text())
    data["steps"][2]["state"] = "junk"
    saved.write_text(json.dumps(data))
    r = modelcheck("replay", saved, cwd=tmp_path)  # the schedule still runs: the bug is still there
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "from step 3 (TMCommit) on (the spec changed): state: removed (was junk); rm: " in r.stdout
    data["steps"][0]["action"] = "[/x] :fire:"
    saved.write_text(json.dumps(data))
    r = modelcheck("replay", saved, cwd=tmp_path)
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert ("diverged: step 1 ([/x] :fire:) is no longer enabled: 7 enabled there: TMAbort, RMPrepare(r1), "
            "RMChooseToAbort(r1), RMPrepare(r2), RMChooseToAbort(r2) and 2 more\n") in r.stdout


def test_unwritable_out_still_prints_the_result_then_the_error(tmp_path):
    """The violation's exit status (1) stands: its trace is printed in full; the file error follows."""
    (tmp_path / "afile").write_text("")
    r = modelcheck("explore", "twophase", "-p", "bug=early-commit", "--out", "afile", "-q", cwd=tmp_path)
    assert r.returncode == 1
    assert "invariant consistent violated after 5 steps" in r.stdout and "action coverage" in r.stdout
    assert r.stderr.startswith("error: cannot save the counterexample under 'afile': ")
    assert len(r.stderr.strip().splitlines()) == 1
    r = modelcheck("explore", "twophase", "-p", "bug=early-commit", "--out", "afile", "--json", cwd=tmp_path)
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert data["verdict"] == "violation of consistent" and data["saved"] == [] and data["exit_code"] == 1
    assert r.stderr.startswith("error: cannot save the counterexample under 'afile': ")


def test_ctrl_c_outside_a_search_exits_130_not_the_violation_code():
    from click.testing import CliRunner

    from modelcheck.cli import main

    @main.command("interrupted-for-test")
    def interrupted() -> None:
        raise KeyboardInterrupt

    try:
        r = CliRunner().invoke(main, ["interrupted-for-test"])
    finally:
        main.commands.pop("interrupted-for-test")
    assert r.exit_code == 130 and "Aborted!" in r.output


@pytest.mark.parametrize("command_args", [["explore", "raft-election", "-p", "max_term=2"],
                                          ["fuzz", "raft-election", "-p", "max_term=2", "--examples", "100000"]])
def test_ctrl_c_in_a_search_prints_the_summary_then_exits_130(tmp_path, command_args):
    """Found in review: a search stopped by Ctrl-C exited 0, so ``modelcheck explore X &&
    deploy`` read a run cut short by hand as a pass."""
    import signal
    import time

    proc = subprocess.Popen(command() + command_args + ["--no-save"], cwd=tmp_path, env=plain_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # well into the search (max_term 2 takes over ten seconds): after 2 s of the process's own
    # CPU time, which start-up and imports (a fraction of a second) do not reach on a busy machine
    stat = Path(f"/proc/{proc.pid}/stat")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if not stat.exists():
            time.sleep(3)
            break
        utime, stime = stat.read_text().rsplit(")", 1)[1].split()[11:13]
        if (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK") > 2:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in out and "Traceback" not in out + err


@pytest.mark.parametrize("args, status", [(["raft-election"], 0),
                                          (["raft-election", "-p", "bug=no-voted-for-check"], 1)])
def test_checking_a_library_spec_leaves_the_optional_parts_unimported(tmp_path, args, status):
    """Start-up is most of the time to verdict on a small model (issue #7): the graph
    library, Hypothesis, Ray, the browser driver and the trace renderers that only other
    commands need are imported by those commands, not by every run; nor is rich when
    the output is not a terminal (here a pipe), counterexample and summary included, nor
    what a saved file needs from the standard library (tempfile, hashlib: 5 ms).  Counted:
    what the run imports beyond the interpreter's start (an editable install's hook
    imports tempfile there)."""
    probe = ("import sys\nstarted = set(sys.modules)\nfrom modelcheck.cli import main\n"
             f"try:\n    main(['explore', *{args!r}])\nexcept SystemExit as e:\n    code = e.code\n"
             "print('exit status', code, 'modules', *sorted(set(sys.modules) - started))")
    r = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env=plain_env())
    last = r.stdout.splitlines()[-1].split() if r.stdout.strip() else []
    assert r.returncode == 0 and last[:4] == ["exit", "status", str(status), "modules"], (r.stdout, r.stderr)
    assert "distinct states" in r.stdout and ("violated: election_safety" in r.stdout) == (status == 1)
    loaded = last[4:]
    lazy = {"networkx", "hypothesis", "ray", "selenium", "rich", "modelcheck.replay", "modelcheck.simulate",
            "modelcheck.trace.html", "modelcheck.trace.mermaid", "modelcheck.explore.parallel",
            "modelcheck.fuzz", "tempfile", "hashlib", "shutil"}
    assert "modelcheck.specs.raft_election" in loaded
    assert lazy.isdisjoint(loaded), sorted(lazy & set(loaded))


def test_show_refuses_json_and_a_format_together(tmp_path):
    assert modelcheck("explore", "twophase", "-p", "bug=early-commit", cwd=tmp_path).returncode == 1
    (saved,) = (tmp_path / "counterexamples").glob("*.json")
    r = modelcheck("show", saved, "--json", "--format", "mermaid", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == "" and "give one of them" in r.stderr


def test_resume_goes_on_saving_where_it_resumed_from(tmp_path):
    """Found by a review: --resume DIR without --checkpoint DIR left DIR at the old save, and
    the progress made since was lost at the next stop."""
    first = modelcheck("explore", "twophase", "-p", "rms=5", "--checkpoint", "ck", "--max-states", "1000",
                       "--no-save", cwd=tmp_path)
    assert first.returncode == 0 and "--resume ck" in first.stdout
    saved = {p.name: p.read_bytes() for p in (tmp_path / "ck").iterdir()}
    second = modelcheck("explore", "twophase", "-p", "rms=5", "--resume", "ck", "--max-states", "4000",
                        "--no-save", cwd=tmp_path)
    assert second.returncode == 0 and "--resume ck" in second.stdout
    assert {p.name: p.read_bytes() for p in (tmp_path / "ck").iterdir()} != saved
    third = modelcheck("explore", "twophase", "-p", "rms=5", "--resume", "ck", "--no-save", cwd=tmp_path)
    assert "distinct states    8,832" in third.stdout and "every reachable state checked" in third.stdout


def test_show_writes_where_o_says_without_replacing_what_is_there(tmp_path):
    assert modelcheck("explore", "twophase", "-p", "bug=early-commit", cwd=tmp_path).returncode == 1
    (saved,) = (tmp_path / "counterexamples").glob("*.json")
    before = saved.read_text()
    r = modelcheck("show", saved, "-o", saved, cwd=tmp_path)  # the trace itself: refused
    assert r.returncode == 2 and "is the trace file itself" in r.stderr and saved.read_text() == before
    assert modelcheck("show", saved, "--json", "-o", "copy.json", cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "copy.json").read_text()) == json.loads(before)
    (tmp_path / "link.txt").symlink_to("target.txt")  # a link stays a link; its target is written
    assert modelcheck("show", saved, "-o", "link.txt", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.txt").is_symlink() and "TMCommit" in (tmp_path / "target.txt").read_text()
    if hasattr(os, "mkfifo"):  # a pipe is written into, not replaced by a file
        os.mkfifo(tmp_path / "pipe")
        reader = subprocess.Popen(["cat", str(tmp_path / "pipe")], stdout=subprocess.PIPE, text=True)
        assert modelcheck("show", saved, "--format", "mermaid", "-o", "pipe", cwd=tmp_path).returncode == 0
        assert "sequenceDiagram" in reader.communicate(timeout=60)[0]
        assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


@pytest.mark.parametrize("option", ["--time-limit", "--checkpoint-every"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_durations_must_be_finite(tmp_path, option, value):
    r = modelcheck("explore", "twophase", option, value, cwd=tmp_path)
    assert r.returncode == 2 and "not a finite number of seconds" in r.stderr and "Traceback" not in r.stderr


def test_a_seed_for_a_deterministic_search_is_refused_not_shown(tmp_path):
    r = modelcheck("explore", "twophase", "--seed", "3", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "error: --seed sets the walks of --strategy random; bfs is deterministic, so drop --seed\n"


@pytest.mark.parametrize("colour", [False, True])
@pytest.mark.parametrize("args, status", [(["explore", "twophase"], 0),
                                          (["explore", "twophase", "-p", "bug=early-commit"], 1),
                                          (["explore", "twophase", "--json"], 0),
                                          (["simulate", "twophase", "--seed", "1"], 0), (["list"], 0),
                                          (["zoo", "--only", "twophase"], 0)])
def test_a_reader_that_stops_reading_does_not_change_the_exit_status(tmp_path, args, status, colour):
    """`modelcheck explore ... | head` : the pipe closes early, the verdict's status stands
    (not 1, which would say a violation was found), in plain text and through rich."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: the first write fails with EPIPE
    env = plain_env(FORCE_COLOR="1") if colour else plain_env()
    try:
        r = subprocess.run(command() + args, cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE,
                           text=True, timeout=120, env=env)
    finally:
        os.close(write_end)
    assert r.returncode == status and "Traceback" not in r.stderr and "Broken pipe" not in r.stderr, r.stderr


@pytest.mark.parametrize("args, status", [(["explore", "twophase"], 0), (["explore", "twophase", "--json"], 0),
                                          (["explore", "twophase", "-p", "bug=early-commit"], 1),
                                          (["fuzz", "twophase", "-n", "5", "--seed", "1"], 0)])
def test_a_closed_standard_output_is_no_crash(tmp_path, args, status):
    r = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', *command(), *args], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, env=plain_env())
    assert r.returncode == status and r.stderr == "", r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args, status", [
    (["explore", "twophase"], 2), (["explore", "twophase", "-p", "bug=early-commit"], 1),
    (["explore", "twophase", "--json"], 2), (["simulate", "twophase", "--seed", "1"], 2),
    (["simulate", "twophase", "-p", "bug=early-commit", "-p", "rms=2", "--seed", "4"], 1),
    (["replay", "TRACE"], 1), (["show", "TRACE"], 2), (["show", "TRACE", "--json"], 2),
    (["show", "TRACE", "--format", "mermaid"], 2), (["graph", "twophase"], 2), (["list"], 2)])
def test_output_that_cannot_be_written_is_an_error_line(tmp_path, args, status):
    """A full disk: one error line, and status 2 unless a violation's 1 says more."""
    if "TRACE" in args:
        assert modelcheck("explore", "twophase", "-p", "bug=early-commit", cwd=tmp_path).returncode == 1
        (trace,) = (tmp_path / "counterexamples").glob("*.json")
        args = [str(trace) if a == "TRACE" else a for a in args]
    with open("/dev/full", "w") as full:
        r = subprocess.run(command() + args, cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=120, env=plain_env())
    assert r.returncode == status and r.stderr == "error: cannot write the output: No space left on device\n"


NESTED = """
from modelcheck import Spec, invariant

class Nested(Spec):
    def initial_states(self):
        return [(0, ())]

    def successors(self, s):
        return [("push", (s[0] + 1, (s[1],)))] if s[0] < 1200 else []

    @invariant
    def shallow(self, s):
        return s[0] < 1100
"""


def test_a_state_too_deep_for_json_keeps_the_verdict_and_says_why_it_is_not_saved(tmp_path):
    """Found by a review: a state of 1,100 nested tuples was a RecursionError traceback and
    no output; a trace file nested as deeply, the same from replay (with exit 1, "reproduced")."""
    (tmp_path / "nested.py").write_text(NESTED)
    r = modelcheck("explore", "./nested.py", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "(invariant trace of 1100 steps not shown: cannot write the trace: a state is nested too deeply" in r.stdout
    assert "violation of shallow" in r.stdout
    assert r.stderr.startswith("error: cannot write the trace: a state is nested too deeply")
    r = modelcheck("explore", "./nested.py", "--json", "--no-save", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr == "error: cannot write the trace: a state is nested too deeply (more than about 1,000 levels)\n"
    r = modelcheck("graph", "./nested.py", "--format", "json", cwd=tmp_path)  # any other walk of such a state
    assert r.returncode == 2 and r.stderr.startswith("error: Python's recursion limit (1,000) was reached (at ")
    deep = '{"format": "modelcheck.trace", "version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    (tmp_path / "deep.json").write_text(deep)
    r = modelcheck("replay", "deep.json", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr == "error: deep.json: a state is nested too deeply (more than about 1,000 levels)\n"


def test_show_of_a_trace_moved_away_from_its_spec_says_what_it_leaves_out(tmp_path):
    shutil.copy(MODELS, tmp_path / "mine.py")
    assert modelcheck("explore", "./mine.py:Changeable", cwd=tmp_path).returncode == 1
    (saved,) = (tmp_path / "counterexamples").glob("*.json")
    (tmp_path / "elsewhere" / "deeper").mkdir(parents=True)  # ../mine.py from here is not the spec
    moved = shutil.move(saved, tmp_path / "elsewhere" / "deeper" / saved.name)
    r = modelcheck("show", moved, cwd=tmp_path)
    assert r.returncode == 0 and "invariant small violated" in r.stdout
    assert r.stderr.startswith("note: the trace's spec file './mine.py' is not at ")
    assert r.stderr.endswith("the trace is shown without its property's description\n")


def test_an_error_on_the_initial_state_is_printed_and_saved(tmp_path):
    """Found by a review: a 0-step error trace is falsy (Trace has a length), so the CLI
    neither printed nor saved it, and --json said "error": null."""
    shutil.copy(MODELS, tmp_path / "mine.py")
    r = modelcheck("explore", "./mine.py:BadInvariant", "-p", "at=0", cwd=tmp_path)
    assert r.returncode == 2 and "the spec raised after 0 steps" in r.stdout
    assert len(list((tmp_path / "counterexamples").glob("*-error-*.json"))) == 1
    r = modelcheck("explore", "./mine.py:BadInvariant", "-p", "at=0", "--json", "--no-save", cwd=tmp_path)
    assert json.loads(r.stdout)["error"]["steps"] == []


#: a counter whose format_action (FA: raises; FB: returns the action) or explain_ok (EX) is broken
BROKEN_WORDS = '''
from modelcheck import Spec, invariant

class FA(Spec):
    def initial_states(self):
        return [0]

    def successors(self, s):
        return [(("Read", s), s + 1)] if s < 3 else []

    @invariant
    def ok(self, s):
        return s < 2

    def format_action(self, a):
        return {"Rd": "r"}[a[0]] + str(a[1])

class FB(FA):
    def format_action(self, a):
        return a

class EX(FA):
    def format_action(self, a):
        return "step"

    def explain_ok(self, s):
        return 1 / 0
'''


@pytest.mark.parametrize("args", [["explore"], ["explore", "--strategy", "random"], ["explore", "--workers", "2"],
                                  ["fuzz"], ["simulate"], ["graph"]])
@pytest.mark.parametrize("which, message", [
    ("FA", "error: the spec raised in format_action(('Read', 0)): KeyError: 'Read' (at words.py:"),
    ("FB", "error: format_action(('Read', 0)) returned a tuple, not a str")])
def test_a_broken_format_action_is_one_line_naming_it(tmp_path, args, which, message):
    """Found in review: explore and fuzz printed a traceback (KeyError, or 'tuple' object has
    no attribute 'strip' deep in the renderer)."""
    (tmp_path / "words.py").write_text(BROKEN_WORDS)
    r = modelcheck(*args[:1], f"./words.py:{which}", *args[1:], cwd=tmp_path)
    said = r.stdout.splitlines()[-2] if args[0] == "simulate" else r.stderr  # a simulation's timeline ends with it
    assert r.returncode == 2 and said.startswith(message), (r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr


@pytest.mark.parametrize("args", [["explore"], ["fuzz"], ["simulate"]])
def test_an_explanation_that_raises_is_shown_under_the_violation_it_explains(tmp_path, args):
    """Found in review: an explain_<invariant> that raised was a traceback (exit 1, the trace
    lost); the violation stands and is printed, the explanation says what went wrong."""
    (tmp_path / "words.py").write_text(BROKEN_WORDS)
    r = modelcheck(args[0], "./words.py:EX", *args[1:], cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr, r.stderr
    assert "(the spec raised while explaining it: ZeroDivisionError: division by zero (at words.py:" in r.stdout
    if args[0] == "explore":
        saved = next((tmp_path / "counterexamples").iterdir())
        r = modelcheck("show", saved, cwd=tmp_path)
        assert r.returncode == 0 and "ZeroDivisionError" in r.stdout
