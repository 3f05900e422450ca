"""The run's summary as printed: the same words on a terminal (rich) as in a pipe (plain)."""

import re

import pytest

from modelcheck import explore
from modelcheck.console import Output, print_summary
from modelcheck.registry import build


def _printed(capsys, monkeypatch, terminal: bool) -> str:
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    if terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")
    spec = build("raft-election", {"bug": "no-voted-for-check"})
    result = explore(spec, "bfs")
    out = Output()
    assert out.is_terminal is terminal
    print_summary(out, result, spec.action_kinds())
    return capsys.readouterr().out


def test_a_summary_says_the_same_in_a_pipe_as_on_a_terminal(capsys, monkeypatch):
    plain = _printed(capsys, monkeypatch, terminal=False)
    coloured = _printed(capsys, monkeypatch, terminal=True)
    assert "\x1b[" not in plain and "\x1b[" in coloured
    # the same words in the same order (rich may wrap a long cell), but the time taken
    untimed = [re.sub(r"time +\S+ s \(\S+ distinct states/s\)", "", text) for text in (plain, coloured)]
    assert untimed[0].split() == re.sub(r"\x1b\[[0-9;]*m", "", untimed[1]).split()
    lines = plain.splitlines()
    assert lines[1] == "violation of election_safety"
    assert "  distinct states    175" in lines and "  invariant    election_safety    violated" in lines
    assert lines[lines.index("action coverage") + 4] == "  timeout fsync          never fired"
    assert all(line == line.rstrip() for line in lines)


def test_a_table_in_a_pipe_aligns_its_columns(capsys, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    Output().table([("a", "[b]", "c"), ("longer", "d")], title="t")
    assert capsys.readouterr().out == "t\n  a         [b]    c\n  longer    d\n"


@pytest.mark.parametrize("stderr", [False, True])
def test_output_goes_where_it_is_asked(capsys, monkeypatch, stderr):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    Output(stderr=stderr).print("x [bold]y[/]")
    captured = capsys.readouterr()
    assert (captured.err if stderr else captured.out) == "x [bold]y[/]\n"
