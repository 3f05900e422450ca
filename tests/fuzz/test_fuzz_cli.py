"""``modelcheck fuzz`` through the installed command, as a user runs it."""

import json
import re
from pathlib import Path

from fuzz_helpers import run_modelcheck as modelcheck


def test_fuzz_finds_the_bug_saves_it_and_replay_reproduces_it(tmp_path):
    r = modelcheck("fuzz", "twophase", "-p", "bug=early-commit", "--examples", "100", "--seed", "3",
                   "--out", "found", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "invariant consistent violated after 5 steps (found by fuzz seed 3)" in r.stdout
    assert "[fuzz, seed 3]" in r.stdout and "examples 100, max steps 50" in r.stdout
    (saved,) = (tmp_path / "found").glob("twophase-consistent-*.json")
    assert f"counterexample saved: found/{saved.name}" in r.stdout
    assert modelcheck("show", saved, cwd=tmp_path).returncode == 0
    replayed = modelcheck("replay", saved, cwd=tmp_path)
    assert replayed.returncode == 1 and "reproduced" in replayed.stdout


def test_fuzz_json_and_exit_0_when_nothing_is_found(tmp_path):
    r = modelcheck("fuzz", "twophase", "-n", "30", "--max-steps", "20", "--seed", "1", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["strategy"] == "fuzz" and data["seed"] == 1 and data["ok"]
    assert data["bounds"] == {"examples": 30, "max_steps": 20} and data["stats"]["examples"] == 30
    assert data["invariants"] == {"consistent": "no violation found"}
    assert not (tmp_path / "counterexamples").exists()


def test_fuzz_no_save_and_usage_errors(tmp_path):
    r = modelcheck("fuzz", "twophase", "-p", "bug=early-commit", "--seed", "3", "--no-save", "--json",
                   cwd=tmp_path)
    assert r.returncode == 1 and json.loads(r.stdout)["saved"] == []
    assert not (tmp_path / "counterexamples").exists()
    for args in (["nosuchspec"], ["twophase", "-p", "rms=zero"], ["twophase", "--faults", "crash=1"]):
        bad = modelcheck("fuzz", *args, cwd=tmp_path)
        assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr


def test_fuzz_spec_that_raises_in_an_invariant_exits_2_without_traceback(tmp_path):
    models = Path(__file__).parent.parent / "models.py"
    r = modelcheck("fuzz", f"{models}:BadInvariant", "-n", "5", "--seed", "0", "--no-save", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert re.search(r"error: the spec raised while checking invariant fragile: ValueError: invariant bug at 3 "
                     r"\(at models\.py:\d+ in fragile\)", r.stdout)
    assert "the spec raised after 3 steps (found by fuzz seed 0)" in r.stdout


def test_fuzz_help_says_what_shrinking_guarantees():
    from click.testing import CliRunner

    from modelcheck.cli import main

    text = " ".join(CliRunner().invoke(main, ["fuzz", "--help"]).output.split())
    assert "shrunk until no single step can be removed" in text and "minimal trace" not in text
