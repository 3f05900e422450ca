"""What a run prints: the same words on a terminal (in colour) as in a pipe (plain text)."""

import io
import re
import sys

import pytest

from modelcheck import explore
from modelcheck.console import Output, ProgressDisplay, StatusLine, print_summary
from modelcheck.explore import Progress
from modelcheck.registry import build
from modelcheck.styled import Line


@pytest.fixture(autouse=True)
def no_terminal_settings(monkeypatch):
    """Each test sets what it needs of these; none comes from the environment running it."""
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def _printed(capsys, monkeypatch, terminal: bool) -> str:
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
    # the same words in the same order, but the time taken
    untimed = [re.sub(r"time +\S+ s \(\S+ distinct states/s\)", "", text) for text in (plain, coloured)]
    assert untimed[0].split() == re.sub(r"\x1b\[[0-9;]*m", "", untimed[1]).split()
    lines = plain.splitlines()
    assert lines[1] == "violation of election_safety"
    assert "  distinct states    175" in lines and "  invariant    election_safety    violated" in lines
    assert lines[lines.index("action coverage") + 4] == "  timeout fsync          never fired"
    assert all(line == line.rstrip() for line in lines)


def test_a_table_in_a_pipe_aligns_its_columns(capsys):
    Output().table([("a", "[b]", "c"), ("longer", "d")], title="t")
    assert capsys.readouterr().out == "t\n  a         [b]    c\n  longer    d\n"


@pytest.mark.parametrize("stderr", [False, True])
def test_output_goes_where_it_is_asked(capsys, stderr):
    Output(stderr=stderr).print("x [bold]y[/]")
    captured = capsys.readouterr()
    assert (captured.err if stderr else captured.out) == "x [bold]y[/]\n"


class _Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("env, terminal", [
    ({}, None), ({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": ""}, False), ({"TTY_COMPATIBLE": "0"}, False),
    ({"TTY_COMPATIBLE": "1"}, True), ({"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, False),
    ({"NO_COLOR": "1"}, None), ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True), ({"TERM": "dumb"}, None),
    ({"TERM": "unknown", "FORCE_COLOR": "1"}, True)])
def test_a_terminal_is_a_tty_unless_the_environment_says_otherwise(monkeypatch, tty, env, terminal):
    """and colour is for a terminal, unless NO_COLOR says no or it is a dumb one"""
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    expected = tty if terminal is None else terminal
    monkeypatch.setattr(sys, "stdout", _Tty() if tty else io.StringIO())
    out = Output()
    assert out.is_terminal is expected
    assert out.colour is (expected and "NO_COLOR" not in env and env.get("TERM") not in ("dumb", "unknown"))
    out.print(Line(("x", "bold red")))
    assert sys.stdout.getvalue() == ("\x1b[31m\x1b[1mx\x1b[0m\n" if out.colour else "x\n")


def test_text_is_never_read_as_markup_on_a_terminal(capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = Output()
    out.print(Line("n1 -> n2 [bold]x[/] :fire:", ("[red]y[/]", "bold")))
    out.table([("[b]", Line(("[i]z[/i]", "red")))])
    shown = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert "n1 -> n2 [bold]x[/] :fire:[red]y[/]" in shown and "[b]    [i]z[/i]" in shown


def test_wide_characters_keep_a_plain_table_aligned(capsys):
    Output().table([("漢字", "1"), ("ab", "2"), ("e\u0301", "3")])
    assert capsys.readouterr().out == "  漢字    1\n  ab      2\n  e\u0301       3\n"


def test_in_a_log_progress_is_a_line_every_so_often(capsys):
    display = ProgressDisplay(Output(stderr=True), every=10.0)
    for elapsed in (1.0, 9.0, 10.5):
        display(Progress("bfs", 1000, 5000, 30, 4, elapsed))
    display.close()
    assert capsys.readouterr().err == ("bfs: 1,000 distinct states, 5,000 transitions, queue 30, depth 4, "
                                       "95 states/s, 10s\n")
    each = StatusLine(Output(stderr=True), every=0)
    each.show("a", 0.0)
    each.show("b", 0.1)
    assert capsys.readouterr().err == "a\nb\n"
