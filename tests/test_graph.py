"""``modelcheck graph``: the reachable state graph, exported as DOT, GraphML or JSON."""

import json
import re
import shutil
from pathlib import Path

import networkx as nx
import pytest

from modelcheck import SpecError
from modelcheck.graph import state_graph
from models import BadInvariant, Raises
from test_cli import MODELS, modelcheck

ELECTION = Path(__file__).parent / "trace" / "data" / "election.py"


def graph_json(tmp_path, *args):
    r = modelcheck("graph", *args, "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def test_twophase_graph_has_the_conformance_numbers(tmp_path):
    data, summary = graph_json(tmp_path, "twophase", "-p", "rms=3")
    assert len(data["nodes"]) == 288  # as TLC and the explorer count
    assert len(data["edges"]) == 1097  # every enabled transition, as explore counts transitions
    assert data["stats"] == {"states": 288, "edges": 1097, "initial_states": 1, "violating_states": 0,
                             "deadlock_states": 0, "strongly_connected_components": 288,
                             "largest_component": 1, "depth": 10}
    first = data["nodes"][0]
    assert first["initial"] and first["depth"] == 0
    assert first["state"] == {"rm": ["working"] * 3, "tm": "init", "prepared": [], "msgs": []}
    assert len({json.dumps(n["state"], sort_keys=True) for n in data["nodes"]}) == 288
    assert {"source": 0, "target": 1, "action": "TMAbort", "index": 0} in data["edges"]
    assert summary.startswith("twophase(rms=3): 288 states (1 initial, 0 violating")
    assert "depth 10 (longest shortest path from an initial state)" in summary


def test_violating_states_are_marked(tmp_path):
    data, _ = graph_json(tmp_path, "twophase", "-p", "bug=early-commit")
    bad = [n for n in data["nodes"] if n["violates"]]
    assert len(bad) == data["stats"]["violating_states"] == 48
    for node in bad:
        assert node["violates"] == ["consistent"]
        assert "committed" in node["state"]["rm"] and "aborted" in node["state"]["rm"]
    assert min(n["depth"] for n in bad) == 5  # the shortest counterexample has 5 steps


def test_dot_marks_initial_and_violating_states(tmp_path):
    r = modelcheck("graph", "twophase", "-p", "bug=early-commit", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    dot = r.stdout
    assert dot.startswith('digraph "twophase" {\n') and dot.endswith("}\n")
    assert dot.count("peripheries=2") == 1
    assert dot.count('fillcolor="#f8c4c4"') == 48
    assert dot.count(" -> ") == 1907
    assert '  0 [label="rm=[working, working, working]\\ltm=init\\lprepared=[]\\lmsgs=[]\\l", peripheries=2];' in dot


def test_graphml_reads_back_into_networkx(tmp_path):
    r = modelcheck("graph", "twophase", "-p", "rms=2", "--format", "graphml", "--output", "g.graphml",
                   cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "twophase(rms=2): 56 states" in r.stdout and "wrote g.graphml" in r.stdout
    g = nx.read_graphml(tmp_path / "g.graphml")
    assert g.number_of_nodes() == 56 and g.number_of_edges() == 145
    assert g.nodes["0"]["initial"] is True and json.loads(g.nodes["0"]["state"])["tm"] == "init"


def test_actor_labels_become_edge_labels(tmp_path):
    shutil.copy(ELECTION, tmp_path / "election.py")
    data, _ = graph_json(tmp_path, "./election.py", "-p", "nodes=2")
    actions = {e["action"] for e in data["edges"]}
    assert {"n1 timeout election", "crash n2", "restart n2", "n2 <- RequestVote(term=1, from=n1)"} <= actions
    assert data["stats"]["states"] == 102


RING = """
from modelcheck import Param, Spec


class Ring(Spec):
    n = Param(4)

    def initial_states(self):
        return [0]

    def successors(self, s):
        return [("Next", (s + 1) % self.n), ("Stay", s)]
"""


def test_cycles_make_one_strongly_connected_component(tmp_path):
    (tmp_path / "ring.py").write_text(RING)
    data, _ = graph_json(tmp_path, "./ring.py", "-p", "n=4")
    assert data["stats"] == {"states": 4, "edges": 8, "initial_states": 1, "violating_states": 0,
                             "deadlock_states": 0, "strongly_connected_components": 1,
                             "largest_component": 4, "depth": 3}


def test_state_budget(tmp_path):
    r = modelcheck("graph", "twophase", "-p", "rms=5", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == ("error: the state graph of twophase(rms=5) has more than 5,000 states; raise "
                                "--max-states or choose smaller parameters (the graph is meant for small models)")
    assert modelcheck("graph", "twophase", "--max-states", "287", cwd=tmp_path).returncode == 2
    assert modelcheck("graph", "twophase", "--max-states", "288", cwd=tmp_path).returncode == 0


def test_usage_errors(tmp_path):
    r = modelcheck("graph", "twophase", "-p", "nodes=3", cwd=tmp_path)
    assert r.returncode == 2 and "unknown parameter 'nodes'" in r.stderr and "Traceback" not in r.stderr
    r = modelcheck("graph", "twophase", "--format", "png", cwd=tmp_path)
    assert r.returncode == 2 and "'png' is not one of" in r.stderr


def test_a_spec_that_raises_is_one_line_naming_the_path_to_the_state(tmp_path):
    r = modelcheck("graph", f"{MODELS}:Raises", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert re.fullmatch(r"error: the spec raised while computing the successors of the state reached from initial "
                        r"state #0 by Step, Step, Step: ZeroDivisionError: boom at 3 \(at models\.py:\d+ in "
                        r"successors\)\n", r.stderr)
    r = modelcheck("graph", f"{MODELS}:BadInvariant", "-p", "at=2", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert re.fullmatch(r"error: the spec raised while checking invariant fragile on the state reached from initial "
                        r"state #0 by Step, Step: ValueError: invariant bug at 2 \(at models\.py:\d+ in fragile\)\n",
                        r.stderr)


def test_state_graph_of_a_spec_that_raises_is_a_spec_error():
    with pytest.raises(SpecError, match="checking invariant fragile on initial state #0: ValueError"):
        state_graph(BadInvariant(at=0))
    with pytest.raises(SpecError, match="successors of the state reached from initial state #0 by Step, Step, Step"):
        state_graph(Raises())


def test_output_is_refused_when_it_is_the_spec_file_and_errors_name_the_path_given(tmp_path):
    """Found by a review: ``graph ./counter.py -o counter.py`` replaced the spec with DOT text;
    a failed write named the temporary file beside the output."""
    shutil.copy(MODELS, tmp_path / "mine.py")
    r = modelcheck("graph", "./mine.py:Diamond", "-p", "n=2", "-o", "mine.py", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr == "error: -o 'mine.py' is the spec file itself; write the graph elsewhere\n"
    assert (tmp_path / "mine.py").read_text() == MODELS.read_text()
    (tmp_path / "taken").write_text("")
    r = modelcheck("graph", "./mine.py:Diamond", "-p", "n=2", "-o", "taken/g.dot", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: cannot write 'taken/g.dot': ")
    assert r.stderr.rstrip().endswith("Not a directory: '" + str((tmp_path / "taken").resolve()) + "'")
