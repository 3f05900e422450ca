"""The terminal view of a counterexample: numbered steps, who acted, compact changes, faults, witnesses."""

import shutil
from pathlib import Path

import pytest

from modelcheck.trace.render import compact_diff, format_value, parse_label, participants
from test_cli import modelcheck

ELECTION = Path(__file__).parent / "data" / "election.py"


def election_trace(tmp_path):
    shutil.copy(ELECTION, tmp_path / "election.py")
    r = modelcheck("explore", "./election.py", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    (saved,) = (tmp_path / "counterexamples").glob("*.json")
    return r, saved


def test_show_numbers_steps_marks_faults_and_explains_the_violation(tmp_path):
    explored, saved = election_trace(tmp_path)
    r = modelcheck("show", saved, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == ("./election.py(nodes=3, max_term=1, crashes=1): invariant election_safety violated "
                        "after 8 steps (found by bfs)")
    steps = [line for line in lines if line[:4].strip().isdigit()]
    assert steps == [
        "  0 initial state",
        "  1 n1 timeout election",
        "  2 n2 timeout election",
        "  3 n3 <- RequestVote(term=1, from=n1)",
        "  4 crash n3  [fault]",
        "  5 restart n3  [fault]",
        "  6 n3 <- RequestVote(term=1, from=n2)",
        "  7 n1 <- Vote(term=1, from=n3, granted=True)",
        "  8 n2 <- Vote(term=1, from=n3, granted=True)",
    ]
    # the fields of one node that change together share a line; a set shows what came and went
    i = lines.index("  1 n1 timeout election")
    assert lines[i + 1:i + 3] == [
        "     nodes[0]: term 0 -> 1, role follower -> candidate, voted_for null -> n1, votes +n1",
        "     network: +[RequestVote, 1, n1, n2, null] +[RequestVote, 1, n1, n3, null]",
    ]
    assert lines[-2:] == ["violated: election_safety — At most one leader is elected in each term.",
                          "  term 1: n1 and n2 were both elected leader"]
    assert "\x1b[" not in r.stdout  # piped: plain text
    # explore prints the same trace, witnesses included
    assert "violated: election_safety" in explored.stdout
    assert "  term 1: n1 and n2 were both elected leader" in explored.stdout


def test_colour_on_a_terminal(tmp_path, monkeypatch):
    _, saved = election_trace(tmp_path)
    monkeypatch.setenv("FORCE_COLOR", "1")  # as a terminal would get
    monkeypatch.delenv("NO_COLOR", raising=False)
    r = modelcheck("show", saved, cwd=tmp_path)
    assert "\x1b[" in r.stdout and "[fault]" in r.stdout


def test_show_without_the_spec_still_shows_the_trace(tmp_path):
    _, saved = election_trace(tmp_path)
    (tmp_path / "election.py").unlink()
    r = modelcheck("show", saved, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "violated: election_safety"


@pytest.mark.parametrize("label, kind, actor, nodes, fault", [
    ("n2 <- Vote(term=2, from=n3, granted=True)", "deliver", "n2", ("n3", "n2"), False),
    ("n1 -> n2 RequestVote(term=2)", "send", "n1", ("n1", "n2"), False),
    ("n1 timeout election", "timeout", "n1", ("n1",), False),
    ("crash n2", "crash", "n2", ("n2",), True),
    ("restart n2", "restart", "n2", ("n2",), True),
    ("partition {n1,n2} | {n3}", "partition", None, ("n1", "n2", "n3"), True),
    ("heal", "heal", None, (), True),
    ("tick (n1=+1, n3=-1)", "tick", None, ("n1", "n3"), False),
    ("n4 (byzantine) -> n1 Prepare(v=b)", "send", "n4", ("n4", "n1"), True),
    ("client -> n1 Put(x, 1)", "send", "client", ("client", "n1"), False),
    ("RMPrepare(r1)", "step", None, (), False),
    ("TMCommit", "step", None, (), False),
    ("", "step", None, (), False),
])
def test_labels_are_read_tolerantly(label, kind, actor, nodes, fault):
    ev = parse_label(label)
    assert (ev.kind, ev.actor, ev.nodes, ev.fault) == (kind, actor, nodes, fault)


def test_delivery_names_its_sender_and_drops_it_from_the_message():
    ev = parse_label("n2 <- Vote(from=n3, term=2)")
    assert (ev.sender, ev.receiver, ev.short_message) == ("n3", "n2", "Vote(term=2)")
    assert participants([ev, parse_label("n10 timeout x"), parse_label("Step")]) == ["n2", "n3", "n10", "spec"]


def test_compact_diff():
    before = {"nodes": [{"term": 1, "log": [1]}, {"term": 1, "log": []}], "msgs": [["A", 1], ["B", 2]]}
    after = {"nodes": [{"term": 2, "log": [1, 2]}, {"term": 1, "log": []}], "msgs": [["A", 1], ["C", 3]]}
    assert compact_diff(before, after) == [
        "nodes[0]: term 1 -> 2, log +2",
        "msgs: +[C, 3] -[B, 2]",
    ]
    assert compact_diff({"rm": ["working", "working"]}, {"rm": ["working", "aborted"]}) == [
        "rm[1]: working -> aborted"]
    assert compact_diff({"x": 1}, {"x": 1}) == []
    assert compact_diff({"q": ["a", "b"]}, {"q": ["b", "a"]}) == ["q: [0] a -> b, [1] b -> a"]


def test_values_are_shown_bare_but_whole():
    # strings lose their JSON quotes only at the top: quotes and backslashes inside stay
    assert format_value('a<b&"c"') == 'a<b&"c"'
    assert format_value(['a<b&"c"', "x\\y", 1, None, True]) == '[a<b&"c", x\\y, 1, null, true]'
    assert format_value({"term": 2, "log": [[1, "v1"]]}) == "{term=2, log=[[1, v1]]}"


#: a plain spec (no actor layer) whose actions use words the actor layer's labels use
PLAIN_WORDS = '''
from modelcheck import Spec, invariant

class Words(Spec):
    def initial_states(self):
        return [0]

    def successors(self, s):
        steps = [("partition", "a", "b"), ("tick",), ("heal",), ("crash", "c")]
        return [(steps[s], s + 1)] if s < len(steps) else []

    @invariant
    def short(self, s):
        return s < 4
'''


def test_a_plain_specs_actions_are_plain_steps_whatever_their_words(tmp_path):
    """Found in review: a plain spec's action ("partition", "a", "b") was shown as a fault,
    drawn in Mermaid with invented participants a and b, and marked a fault in the page."""
    import json

    (tmp_path / "words.py").write_text(PLAIN_WORDS)
    r = modelcheck("explore", "./words.py", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "partition(a, b)" in r.stdout and "[fault]" not in r.stdout
    (saved,) = (tmp_path / "counterexamples").glob("*.json")
    text = modelcheck("show", saved, cwd=tmp_path).stdout
    assert "crash(c)" in text and "[fault]" not in text
    chart = modelcheck("show", saved, "--format", "mermaid", cwd=tmp_path).stdout
    participants_drawn = [line.split()[1] for line in chart.splitlines() if line.strip().startswith("participant")]
    assert participants_drawn == ["spec"] and "⚡" not in chart, chart
    page = tmp_path / "t.html"
    assert modelcheck("show", saved, "--format", "html", "-o", page, cwd=tmp_path).returncode == 0
    html = page.read_text()
    assert '"fault": false' in html and '"fault": true' not in html
    simulated = modelcheck("simulate", "./words.py", "--steps", "4", "--seed", "1", cwd=tmp_path).stdout
    assert "partition(a, b)" in simulated and "[fault]" not in simulated
