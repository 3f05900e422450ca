"""tutorial: the article's leader-election simulator, checked against the article's own
code run step by step, and its shortest double-leader counterexample."""

from __future__ import annotations

import copy
from collections import deque

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.specs.tutorial import ArticleAcceptor, Node, SimState, TutorialElection, TutorialPaxos

# -- the article's code (shared/seed/000_*.txt, "Mini Project"), verbatim but for the random
# timeout and the print, driven by an independent BFS ------------------------------------------


class RaftSimulator:
    fixed = False  # True: the spec's default, a granting peer adopts the candidate's term

    def __init__(self, num_nodes=5):
        self.nodes = {
            i: {
                "state": "follower",
                "term": 0,
                "voted_for": None,
                "leader": None,
            }
            for i in range(num_nodes)
        }
        self.running = True

    def run_election(self, node_id):
        node = self.nodes[node_id]
        node["state"] = "candidate"
        node["term"] += 1
        node["voted_for"] = node_id
        votes = 1
        for peer_id in self.nodes:
            if peer_id != node_id:
                peer = self.nodes[peer_id]
                if peer["term"] < node["term"] and peer["state"] != "candidate":
                    peer["voted_for"] = node_id
                    if self.fixed:
                        peer["term"] = node["term"]
                    votes += 1
        if votes > len(self.nodes) // 2:
            node["state"] = "leader"
            node["leader"] = node_id
            for peer_id in self.nodes:
                self.nodes[peer_id]["leader"] = node_id
            return True
        node["state"] = "follower"
        return False


def as_state(sim: RaftSimulator, ghost: frozenset) -> SimState:
    def opt(x):
        return -1 if x is None else x
    return SimState(tuple(Node(n["state"], n["term"], opt(n["voted_for"]), opt(n["leader"]))
                          for _, n in sorted(sim.nodes.items())), ghost)


def reference_bfs(num_nodes: int, max_term: int, fixed: bool = False) -> tuple[int, int, int | None]:
    """Distinct states and transitions of the article's simulator, each run_election call a
    step, and the depth of the first state with two leaders in one term (None: none)."""
    start = RaftSimulator(num_nodes)
    start.fixed = fixed
    first = as_state(start, frozenset())
    seen = {first}
    queue = deque([(start, frozenset(), 0)])
    transitions = 0
    double = None
    while queue:
        sim, ghost, depth = queue.popleft()
        for node_id in sim.nodes:
            if sim.nodes[node_id]["term"] >= max_term:
                continue
            nxt = copy.deepcopy(sim)
            g = ghost | {(nxt.nodes[node_id]["term"] + 1, node_id)} if nxt.run_election(node_id) else ghost
            transitions += 1
            state = as_state(nxt, g)
            if state not in seen:
                if double is None and len({t for t, _ in g}) < len(g):
                    double = depth + 1
                seen.add(state)
                queue.append((nxt, g, depth + 1))
    return len(seen), transitions, double


@pytest.mark.parametrize("bug", ["article-code", None])
def test_each_step_is_the_articles_run_election(bug):
    spec = TutorialElection(nodes=3, max_term=3, bug=bug)
    sim = RaftSimulator(3)
    sim.fixed = bug is None
    state = next(iter(spec.initial_states()))
    for node_id in (0, 1, 2, 2, 0, 1):
        elected = sim.run_election(node_id)
        state = spec.run_election(state, node_id)
        assert state.nodes == as_state(sim, frozenset()).nodes
        assert ((sim.nodes[node_id]["term"], node_id) in state.ghost) == elected


@pytest.mark.parametrize("bug, nodes, max_term, states, transitions", [
    ("article-code", 1, 3, 4, 3),
    ("article-code", 2, 2, 17, 18),  # two nodes need both votes: safe
    ("article-code", 3, 2, 100, 150),  # the default bounds
    ("article-code", 3, 3, 415, 720),
    ("article-code", 5, 1, 146, 205),
    (None, 3, 2, 13, 12),  # the defaults
    (None, 3, 3, 40, 39),
    (None, 5, 2, 31, 30),
])
def test_state_counts_match_the_articles_code_in_bfs_and_dfs(bug, nodes, max_term, states, transitions):
    assert reference_bfs(nodes, max_term, fixed=bug is None)[:2] == (states, transitions)
    spec = TutorialElection(nodes=nodes, max_term=max_term, bug=bug)
    bfs = modelcheck.explore(spec, "bfs", keep_going=True)
    dfs = modelcheck.explore(spec, "dfs", keep_going=True)
    assert (bfs.distinct_states, dfs.distinct_states) == (states, states)
    assert (bfs.transitions, dfs.transitions) == (transitions, transitions)
    assert bfs.complete and dfs.complete
    assert bfs.reachability == {"leader_elected": "reached"}


def test_the_fixed_simulator_is_safe_at_the_defaults():
    assert reference_bfs(3, 2, fixed=True)[2] is None
    result = modelcheck.explore(build("tutorial"), "bfs")
    assert result.params == {"nodes": 3, "max_term": 2, "bug": None}
    assert result.ok and result.complete and result.distinct_states == 13
    assert result.invariants == {"election_safety": "holds"}
    assert result.reachability == {"leader_elected": "reached"}


def test_the_articles_simulator_elects_two_leaders_in_term_one_in_two_steps():
    assert reference_bfs(3, 2)[2] == 2
    result = modelcheck.explore(build("tutorial", {"bug": "article-code"}), "bfs")
    assert result.params == {"nodes": 3, "max_term": 2, "bug": "article-code"}
    assert result.invariants == {"election_safety": "violated"}
    trace = result.violations[0]
    assert trace.property == "election_safety"
    assert [s.label for s in trace.steps] == ["run_election(0)", "run_election(1)"]
    assert TutorialElection().explain("election_safety", trace.last_state) == \
        "term 1: node 0 and node 1 were both elected leader"
    last = trace.last_state
    assert [n.state for n in last.nodes] == ["leader", "leader", "follower"]
    assert [n.term for n in last.nodes] == [1, 1, 0]  # node 2 never adopted term 1


def test_the_articles_five_node_cluster_fails_the_same_way():
    result = modelcheck.explore(TutorialElection(nodes=5, bug="article-code"), "bfs")
    assert [s.label for s in result.violations[0].steps] == ["run_election(0)", "run_election(1)"]


def test_a_single_node_is_safe():
    result = modelcheck.explore(TutorialElection(nodes=1, max_term=3), "bfs")
    assert result.ok and result.complete and result.distinct_states == 4


def test_parameters_are_checked():
    with pytest.raises(SpecError, match="nodes"):
        TutorialElection(nodes=0)
    with pytest.raises(SpecError, match="max_term"):
        TutorialElection(max_term=0)


# -- (b) the article's Paxos acceptor under competing proposers --------------------------------

class Acceptor:  # the article's code, verbatim
    def __init__(self):
        self.min_proposal = 0
        self.accepted_proposal = None
        self.accepted_value = None

    def prepare(self, proposal_id: int):
        if proposal_id <= self.min_proposal:
            return ("reject", self.min_proposal)
        self.min_proposal = proposal_id
        return ("promise", self.accepted_proposal, self.accepted_value)

    def accept(self, proposal_id: int, value: str):
        if proposal_id < self.min_proposal:
            return ("reject", self.min_proposal)
        self.min_proposal = proposal_id
        self.accepted_proposal = proposal_id
        self.accepted_value = value
        return ("accepted",)


def test_the_acceptor_behaves_as_the_articles_on_every_short_call_sequence():
    calls = [("prepare", n) for n in (1, 2, 3)] + [("accept", n, v) for n in (1, 2, 3) for v in ("a", "b")]
    sequences = [[]]
    for _ in range(4):
        sequences = [seq + [c] for seq in sequences for c in calls]
        for seq in sequences:
            theirs, ours = Acceptor(), ArticleAcceptor(0, None, None)
            for kind, *args in seq:
                reply = getattr(theirs, kind)(*args)
                ours, our_reply = getattr(ours, kind)(*args)
                assert our_reply == reply
                assert tuple(ours) == (theirs.min_proposal, theirs.accepted_proposal, theirs.accepted_value)


@pytest.mark.parametrize("params, states, transitions", [
    (dict(), 949, 2_874),  # the defaults: 2 proposers, 3 acceptors
    (dict(proposers=1), 23, 42),
])
def test_paxos_acceptor_is_safe_with_a_paxos_proposer(params, states, transitions):
    spec = TutorialPaxos(**params)
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (states, states)
    assert (bfs.transitions, dfs.transitions) == (transitions, transitions)
    assert bfs.ok and bfs.complete
    assert bfs.invariants == {"agreement": "holds", "validity": "holds"}
    assert bfs.reachability == {"value_chosen": "reached"}


def test_the_articles_driver_chooses_two_values_in_eight_steps():
    result = modelcheck.explore(build("tutorial-paxos", {"bug": "article-driver"}), "bfs")
    trace = result.violations[0]
    assert trace.property == "agreement"
    assert [s.label for s in trace.steps] == [
        "accs[0].prepare(1)", "accs[1].prepare(1)",
        'accs[0].accept(1, "x=1")', 'accs[1].accept(1, "x=1")',  # x=1 chosen
        "accs[0].prepare(2)", "accs[1].prepare(2)",  # accs[1] reports (1, "x=1"): ignored
        'accs[0].accept(2, "x=2")', 'accs[1].accept(2, "x=2")',
    ]
    assert TutorialPaxos().explain("agreement", trace.last_state) == \
        "x=1 chosen in proposal 1 and x=2 chosen in proposal 2"
    full = modelcheck.explore(TutorialPaxos(bug="article-driver"), "dfs", keep_going=True)
    assert full.distinct_states == modelcheck.explore(
        TutorialPaxos(bug="article-driver"), "bfs", keep_going=True).distinct_states == 913
