"""``modelcheck show FILE --format mermaid``: the Mermaid sequenceDiagram of a counterexample."""

import json
import shutil
from pathlib import Path

from test_cli import modelcheck

ELECTION = Path(__file__).parent / "data" / "election.py"


def found(tmp_path, *args):
    """Explore through the CLI and return the one saved counterexample."""
    r = modelcheck("explore", *args, "-q", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    (saved,) = (tmp_path / "counterexamples").glob("*.json")
    return saved


def election_trace(tmp_path):
    shutil.copy(ELECTION, tmp_path / "election.py")
    return found(tmp_path, "./election.py")


def test_twophase_early_commit_is_notes_over_spec_with_the_changes(tmp_path):
    saved = found(tmp_path, "twophase", "-p", "bug=early-commit")
    r = modelcheck("show", saved, "--format", "mermaid", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == ["sequenceDiagram", "    title twophase(rms=3, bug=early-commit)", "    participant spec"]
    assert "    Note over spec: 1. RMPrepare(r1)<br/>rm[0]: working -> prepared<br/>msgs: +[Prepared, 0]" in lines
    assert "    Note over spec: 3. TMCommit<br/>tm: init -> committed<br/>msgs: +[Commit]" in lines
    assert "    Note over spec: 5. RMChooseToAbort(r2)<br/>rm[1]: working -> aborted" in lines
    assert lines[-1] == ("    Note over spec: ✗ violated: consistent — "
                         "No RM has committed while another has aborted (TCConsistent).")
    assert len(lines) == 3 + 5 + 1


def test_actor_trace_draws_messages_between_nodes_and_faults_as_notes(tmp_path):
    saved = election_trace(tmp_path)
    r = modelcheck("show", saved, "--format", "mermaid", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[2:] == [
        "    participant n1",
        "    participant n2",
        "    participant n3",
        "    Note over n1: 1. n1 timeout election",
        "    Note over n2: 2. n2 timeout election",
        "    n1->>n3: 3. RequestVote(term=1)",
        "    Note over n3: 4. ⚡ crash n3",
        "    Note over n3: 5. ⚡ restart n3",
        "    n2->>n3: 6. RequestVote(term=1)",
        "    n3->>n1: 7. Vote(term=1, granted=True)",
        "    n3->>n2: 8. Vote(term=1, granted=True)",
        "    Note over n1,n3: ✗ violated: election_safety — At most one leader is elected in each term.",
        # the spec's explain_election_safety names the witnesses
        "    Note over n1,n3: term 1: n1 and n2 were both elected leader",
    ]


def test_every_label_shape_and_labels_of_no_known_shape(tmp_path):
    labels = {
        "n1 -> n2 RequestVote(term=2)": "    n1-)n2: 1. RequestVote(term=2)",
        "n2 <- Vote(term=2, from=n3, granted=True)": "    n3->>n2: 2. Vote(term=2, granted=True)",
        "n1 timeout election": "    Note over n1: 3. n1 timeout election",
        "crash n2": "    Note over n2: 4. ⚡ crash n2",
        "partition {n1,n2} | {n3}": "    Note over n1,n3: 5. ⚡ partition {n1,n2} | {n3}",
        "heal": "    Note over client,n4: 6. ⚡ heal",
        "tick (n1=+1, n3=-1)": "    Note over n1,n3: 7. tick (n1=+1, n3=-1)",
        "n4 (byzantine) -> n1 Prepare(v=b)": "    n4-)n1: 8. ⚡ (byzantine) Prepare(v=b)",
        "client -> n1 Put(x, 1)": "    client-)n1: 9. Put(x, 1)",
        "n2 <- Ping": "    Note over n2: 10. receives Ping",
        "RMPrepare(r1)": "    Note over spec: 11. RMPrepare(r1)<br/>x: 10 -> 11",
        "odd; label #1 <b>": "    Note over spec: 12. odd#59; label #35;1 #lt;b><br/>x: 11 -> 12",
    }
    steps = [{"action": label, "index": 0, "state": {"x": i}} for i, label in enumerate(labels, 1)]
    trace = {"format": "modelcheck.trace", "version": 1, "spec": "not-installed", "params": {}, "faults": {},
             "kind": "invariant", "property": "safe", "initial": {"index": 0, "state": {"x": 0}},
             "steps": steps}
    (tmp_path / "t.json").write_text(json.dumps(trace))
    r = modelcheck("show", "t.json", "--format", "mermaid", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[2:8] == [f"    participant {p}" for p in ("client", "n1", "n2", "n3", "n4", "spec")]
    assert lines[8:-1] == list(labels.values())
    assert lines[-1] == "    Note over client,n4: ✗ violated: safe"


def test_output_file_is_written_and_named(tmp_path):
    saved = found(tmp_path, "twophase", "-p", "bug=early-commit")
    r = modelcheck("show", saved, "--format", "mermaid", "--output", "diagram.mmd", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == ""
    assert "wrote diagram.mmd" in r.stderr
    text = (tmp_path / "diagram.mmd").read_text()
    assert text.startswith("sequenceDiagram\n") and "TMCommit" in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
