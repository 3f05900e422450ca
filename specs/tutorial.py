"""The toy code of the article the project started from ("Distributed Consensus: Paxos,
Raft & Leader Election Explained", shared/seed/000_*.txt), ported faithfully.

Its "Mini Project", ``RaftSimulator.run_election(node_id)``, elects a leader in shared
memory: the node becomes candidate, increments its term and votes for itself; then
every peer whose term is *lower* than the candidate's and which is not a candidate
grants its vote (sets ``voted_for``) -- but never adopts the candidate's term; with
votes from a majority the node becomes leader and every node's ``leader`` is set to it,
otherwise it goes back to follower.  Here each call of ``run_election(i)`` is one atomic
step (the simulator runs it in one thread, without yielding), on any node whose term is
below ``max_term`` (the bound that keeps the model finite).  The node's random
``timeout`` is not used by ``run_election`` and is left out.

Election safety (Raft, Figure 3): at most one leader per term, ever -- a ghost history
keeps every ``(term, leader)`` elected.  The article's code breaks it: as peers never
adopt the candidate's term, a second node reaches the same term, finds the peers' terms
still lower, and is elected too.  Like every library spec, the default variant is
correct and the defect is a bug variant, so the library-wide checks (correct variants
hold, bug variants are found) apply:

* default: the article's code plus the one-line fix -- a peer that grants its vote also
  adopts the candidate's term (``peer["term"] = node["term"]``), so it votes once per
  term; safe (13 states at the defaults; 100 with the bug, explored to the end).
* ``bug=article-code``: the article's ``run_election`` exactly as written; BFS finds two
  leaders of term 1 in 2 steps: ``run_election(0)``, ``run_election(1)``.

The second spec here, ``tutorial-paxos`` (:class:`TutorialPaxos`), runs the article's
Paxos ``Acceptor`` class under competing proposers.
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import invariants
from modelcheck import Param, Spec, invariant, sometimes
from modelcheck.actors import is_majority

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"


class Node(NamedTuple):
    """One entry of ``RaftSimulator.nodes`` (without the unused random ``timeout``)."""

    state: str  # follower | candidate | leader
    term: int
    voted_for: int  # -1: None (node ids are 0 .. n-1, as in the article)
    leader: int  # -1: None


class SimState(NamedTuple):
    nodes: tuple  # Node per node id
    ghost: frozenset  # (term, leader) of every election won, ever


class TutorialElection(Spec):
    """The article's RaftSimulator.run_election (bug=article-code), each call an atomic step."""

    name = "tutorial"
    nodes = Param(3, "number of nodes (the article simulates 5)", min=1, max=7)
    max_term = Param(2, "a node whose term reached this runs no further election", min=1, max=6)
    bugs = {
        "article-code": "the article's code as written: a peer grants its vote but never adopts "
                        "the candidate's term",
    }

    def initial_states(self):
        yield SimState(tuple(Node(FOLLOWER, 0, -1, -1) for _ in range(self.nodes)), frozenset())

    def successors(self, s: SimState):
        out = []
        for node_id in range(self.nodes):
            if s.nodes[node_id].term < self.max_term:
                out.append((("run_election", node_id), self.run_election(s, node_id)))
        return out

    def run_election(self, s: SimState, node_id: int) -> SimState:
        """``RaftSimulator.run_election(node_id)``, line by line, on an immutable state
        (with the fix unless ``bug=article-code``)."""
        nodes = list(s.nodes)
        node = nodes[node_id]
        node = node._replace(state=CANDIDATE, term=node.term + 1, voted_for=node_id)
        nodes[node_id] = node
        votes = 1
        for peer_id in range(self.nodes):
            if peer_id != node_id:
                peer = nodes[peer_id]
                if peer.term < node.term and peer.state != CANDIDATE:
                    peer = peer._replace(voted_for=node_id)
                    if self.bug != "article-code":  # the fix: adopt the candidate's term
                        peer = peer._replace(term=node.term)
                    nodes[peer_id] = peer
                    votes += 1
        if votes > len(nodes) // 2:
            nodes[node_id] = nodes[node_id]._replace(state=LEADER, leader=node_id)
            for peer_id in range(self.nodes):
                nodes[peer_id] = nodes[peer_id]._replace(leader=node_id)
            return SimState(tuple(nodes), s.ghost | {(node.term, node_id)})
        nodes[node_id] = nodes[node_id]._replace(state=FOLLOWER)
        return SimState(tuple(nodes), s.ghost)

    @invariant
    def election_safety(self, s: SimState) -> bool:
        """At most one leader is elected in each term, ever (Raft, Figure 3)."""
        return invariants.election_safety(s.ghost)

    def explain_election_safety(self, s: SimState) -> str:
        return invariants.explain_election_safety(s.ghost, name=lambda n: f"node {n}")

    @sometimes
    def leader_elected(self, s: SimState) -> bool:
        """Some node is elected leader."""
        return bool(s.ghost)


# -- (b) the article's Paxos acceptor, driven by competing proposers --------------------------

class ArticleAcceptor(NamedTuple):
    """The article's ``Acceptor`` object, as an immutable value."""

    min_proposal: int
    accepted_proposal: int | None
    accepted_value: str | None

    # the article's methods, returning (new acceptor, reply) instead of mutating self
    def prepare(self, proposal_id: int):
        if proposal_id <= self.min_proposal:
            return self, ("reject", self.min_proposal)
        new = self._replace(min_proposal=proposal_id)
        return new, ("promise", new.accepted_proposal, new.accepted_value)

    def accept(self, proposal_id: int, value: str):
        if proposal_id < self.min_proposal:
            return self, ("reject", self.min_proposal)
        return ArticleAcceptor(proposal_id, proposal_id, value), ("accepted",)


class Driver(NamedTuple):
    """A proposer calling the acceptors one at a time (its proposal id is its index + 1)."""

    phase: str  # prepare | accept
    called: frozenset  # acceptors already called in this phase
    promises: frozenset  # (acceptor, accepted_proposal, accepted_value) of each promise
    value: str | None  # the value sent with accept()


class PaxosState(NamedTuple):
    acceptors: tuple  # ArticleAcceptor per acceptor
    proposers: tuple  # Driver per proposer
    ghost: frozenset  # ("accepted", proposal_id, value, acceptor) and ("proposed", proposal_id, value)


class TutorialPaxos(Spec):
    """The article's Paxos ``Acceptor`` class, called by competing proposers.

    The article calls ``prepare(1)`` then ``accept(1, "x=5")`` on three acceptors from one
    proposer.  Here ``proposers`` proposers, proposer ``i`` with proposal id ``i + 1`` and
    its own value ``x=i+1``, call ``prepare`` on the acceptors one at a time, in any order
    and interleaved with each other (each call an atomic step, as in the article); once a
    majority has promised, a proposer calls ``accept`` with the value of the highest
    accepted proposal among the promises, or its own (Paxos Made Simple, 2.2).  A value is
    chosen when a majority of acceptors accepted it under one proposal id.

    The article's acceptor is safe under this driver.  Its own test driver, though, sends
    its value without looking at the promises (``accept(1, "x=5")`` after "All 3 promised");
    with competing proposers that driver (``bug=article-driver``) chooses two values.
    """

    name = "tutorial-paxos"
    proposers = Param(2, "number of competing proposers", min=1, max=4)
    acceptors = Param(3, "number of acceptors (the article uses 3)", min=1, max=5)
    bugs = {
        "article-driver": "the proposer sends its own value, ignoring the promises (the article's test)",
    }

    def initial_states(self):
        idle = Driver("prepare", frozenset(), frozenset(), None)
        yield PaxosState(tuple(ArticleAcceptor(0, None, None) for _ in range(self.acceptors)),
                         (idle,) * self.proposers, frozenset())

    def successors(self, s: PaxosState):
        out = []
        for p, d in enumerate(s.proposers):
            pid = p + 1
            for a in range(self.acceptors):
                if a in d.called:
                    continue
                acc = s.acceptors[a]
                if d.phase == "prepare":
                    acc, reply = acc.prepare(pid)
                    promises = d.promises | {(a, reply[1], reply[2])} if reply[0] == "promise" else d.promises
                    d2, ghost = Driver("prepare", d.called | {a}, promises, None), s.ghost
                    if is_majority(promises, self.acceptors):  # a majority promised: phase 2
                        value = self._value(pid, promises)
                        d2 = Driver("accept", frozenset(), frozenset(), value)
                        ghost = ghost | {("proposed", pid, value)}
                    action = ("prepare", pid, a)
                else:
                    acc, reply = acc.accept(pid, d.value)
                    d2 = d._replace(called=d.called | {a})
                    ghost = s.ghost | {("accepted", pid, d.value, a)} if reply[0] == "accepted" else s.ghost
                    action = ("accept", pid, a, d.value)
                out.append((action, PaxosState(s.acceptors[:a] + (acc,) + s.acceptors[a + 1:],
                                               s.proposers[:p] + (d2,) + s.proposers[p + 1:], ghost)))
        return out

    def _value(self, pid: int, promises: frozenset) -> str:
        accepted = [(n, v) for _, n, v in promises if n is not None]
        if accepted and self.bug != "article-driver":
            return max(accepted)[1]
        return f"x={pid}"

    def format_action(self, action) -> str:
        """As the article calls them: ``accs[0].prepare(1)``, ``accs[0].accept(1, "x=1")``."""
        if action[0] == "prepare":
            return f"accs[{action[2]}].prepare({action[1]})"
        return f'accs[{action[2]}].accept({action[1]}, "{action[3]}")'

    def chosen(self, s: PaxosState) -> dict[str, int]:
        """Each chosen value with the lowest proposal id a majority accepted it under."""
        return invariants.chosen_by_majority(
            ((item[1], item[2]) for item in s.ghost if item[0] == "accepted"), self.acceptors)

    @invariant
    def agreement(self, s: PaxosState) -> bool:
        """At most one value is chosen."""
        return invariants.agreement(self.chosen(s))

    def explain_agreement(self, s: PaxosState) -> str:
        return invariants.explain_agreement(self.chosen(s), "proposal")

    @invariant
    def validity(self, s: PaxosState) -> bool:
        """Only a proposed value is chosen."""
        return invariants.validity(self.chosen(s), (item[2] for item in s.ghost if item[0] == "proposed"))

    @sometimes
    def value_chosen(self, s: PaxosState) -> bool:
        """Some value is chosen."""
        return bool(self.chosen(s))
