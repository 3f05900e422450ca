"""Raft leader election: Ongaro and Ousterhout, "In Search of an Understandable Consensus
Algorithm" (USENIX ATC 2014), section 5.2 and the RequestVote RPC of Figure 2.

Each server is a follower, candidate or leader in a term.  When its election timer
fires, a follower (or a candidate whose election went nowhere) starts a new term:
it becomes candidate, votes for itself and asks every other server for its vote
(RequestVote).  A server grants at most one vote per term, to the first candidate
that asks (votedFor), and any server that sees a higher term adopts it and becomes
a follower.  A candidate with votes from a majority becomes leader.  ``currentTerm``
and ``votedFor`` are durable ("updated on stable storage before responding to RPCs",
Figure 2).  There is no log, so every candidate's log is "at least as up-to-date".

Election Safety (Figure 3): at most one leader can be elected in a given term.  A ghost
history keeps every ``(term, leader)`` ever elected, so "ever" is a plain invariant.

Terms are bounded by ``max_term``: a server whose term reached it starts no further
election (its timer is cancelled).  Messages travel over the network the run chooses
(unordered by default), and faults are chosen per run (``--faults crash=1``).
``raft`` (specs/raft.py) extends this spec with the log, through the hooks at the end of
the class (request_vote, log_ok, step_down, become_leader, on_other_message).

Bug variants:

* ``no-voted-for-check``: a server grants every request of the current term; two
  leaders in one term after 6 steps (3 servers).
* ``volatile-voted-for``: votedFor is not durable; with ``crash=1`` a server votes
  again in the same term after a restart (8 steps); with votedFor durable, safe.
* ``vote-before-fsync``: the vote is sent before votedFor reaches disk (acknowledge
  before fsync; the write happens later, on an ``fsync`` timer); with ``crash=1``
  the same double vote.
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import invariants
from modelcheck import Param, invariant, sometimes
from modelcheck.actors import (
    Message,
    Protocol,
    broadcast,
    cancel_timer,
    is_majority,
    numbered,
    persist,
    record,
    send,
    set_timer,
)

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"
NO_VOTES: frozenset = frozenset()


class Server(NamedTuple):
    term: int  # currentTerm (durable)
    voted_for: str | None  # votedFor: the candidate that received this server's vote in term (durable)
    role: str  # follower | candidate | leader
    votes: frozenset  # candidate: the servers that granted it their vote in term


class RequestVote(Message):
    """Invoked by candidates to gather votes; the candidate is the sender."""

    term: int


class Vote(Message):
    """The reply to RequestVote: the voter's currentTerm and whether it granted its vote."""

    term: int
    granted: bool


class RaftElection(Protocol):
    """Raft leader election (section 5.2): election safety under the run's faults."""

    name = "raft-election"
    servers = Param(3, "number of servers", min=1, max=7)
    max_term = Param(1, "highest term a server may start an election for (2: 3.4M states)", min=1, max=9)
    timeout = Param(2, "election timeout in ticks of the server's clock (timed runs only)", min=1, max=9)
    bugs = {
        "no-voted-for-check": "a server grants its vote without checking votedFor",
        "volatile-voted-for": "votedFor is not durable: a restarted server forgets its vote",
        "vote-before-fsync": "the vote is sent before votedFor is written to disk",
    }

    timers = ("election", "fsync")
    durable = ("term", "voted_for")
    messages = (RequestVote, Vote)

    def validate(self) -> None:
        if self.bug == "volatile-voted-for":
            self.durable = ("term",)
        self.explicit_persistence = self.bug == "vote-before-fsync"

    def node_names(self):
        return numbered("n", self.servers)

    def symmetry(self):
        """The servers are interchangeable (``--symmetry``)."""
        return (self.correct_nodes,)

    # -- handlers --------------------------------------------------------------------

    def init(self, node: str) -> Server:
        return Server(0, None, FOLLOWER, NO_VOTES)

    def on_start(self, node: str, s: Server):
        return s, [self.election_timer(node, s.term)]

    def on_timer(self, node: str, s: Server, timer: str):
        if timer == "fsync":
            return s, [persist()]
        if s.role == LEADER or s.term >= self.max_term:
            return None
        # Section 5.2: increment currentTerm, vote for self, send RequestVote to all others.
        term = s.term + 1
        s = s._replace(term=term, voted_for=node, role=CANDIDATE, votes=NO_VOTES)
        effects = [persist(), broadcast(self.request_vote(s))]
        s = self._count_vote(node, s, node, effects)
        if s.role != LEADER:  # another election may follow a split vote (5.2)
            effects.append(self.election_timer(node, term) if self.retry_elections
                           else cancel_timer("election"))
        return s, effects

    def on_message(self, node: str, s: Server, src: str, msg):
        effects = []
        durable_changed = False
        if msg.term > s.term:  # Figure 2, all servers: adopt the higher term, become follower
            if s.role == LEADER or msg.term >= self.max_term or (
                    s.role == CANDIDATE and not self.retry_elections):
                effects.append(self.election_timer(node, msg.term))
            s = self.step_down(s, msg.term)
            durable_changed = True
        if msg.__class__ is Vote:
            if durable_changed:
                effects.append(persist())
            # a Vote counts only for a candidate in the same term
            if msg.granted and s.role == CANDIDATE and msg.term == s.term:
                return self._count_vote(node, s, src, effects), effects
            return (s, effects) if durable_changed else None
        if msg.kind == "RequestVote":
            # Figure 2, RequestVote receiver: grant if votedFor is null or candidateId.
            grant = msg.term == s.term and (
                s.voted_for is None or s.voted_for == src or self.bug == "no-voted-for-check"
            ) and self.log_ok(s, msg)
            if grant and s.voted_for != src:
                s = s._replace(voted_for=src)
                durable_changed = True
            if durable_changed:  # on stable storage before responding (the bug: after)
                effects.append(set_timer("fsync") if self.bug == "vote-before-fsync" else persist())
            if grant or self.deny_replies:
                effects.append(send(src, Vote(s.term, grant)))
            return s, effects
        return self.on_other_message(node, s, src, msg, effects, durable_changed)

    # -- helpers ---------------------------------------------------------------------

    def _count_vote(self, node: str, s: Server, voter: str, effects: list) -> Server:
        """``s`` with ``voter``'s vote counted; on a majority it is leader (appends to ``effects``)."""
        votes = s.votes | {voter}
        if not is_majority(votes, self.servers):
            return s._replace(votes=votes)
        effects += [record((s.term, node)), cancel_timer("election")]
        return self.become_leader(node, s._replace(role=LEADER, votes=votes), effects)

    # -- what a replicated log (specs/raft.py) extends ------------------------------------

    #: answer a refused RequestVote (Figure 2 always answers); False: as if the answer were lost
    deny_replies = True
    #: a candidate whose election timer fires starts another election (5.2, split votes);
    #: False: it waits for a higher term or a leader, its timer off meanwhile
    retry_elections = True

    def request_vote(self, s: Server) -> Message:
        """The RequestVote a new candidate ``s`` broadcasts."""
        return RequestVote(s.term)

    def log_ok(self, s: Server, msg) -> bool:
        """Whether the candidate's log is at least as up-to-date (5.4.1); no log here."""
        return True

    def step_down(self, s: Server, term: int) -> Server:
        """``s`` in a higher ``term``: a follower that has not voted."""
        return s._replace(term=term, voted_for=None, role=FOLLOWER, votes=NO_VOTES)

    def become_leader(self, node: str, s: Server, effects: list) -> Server:
        """A new leader's state; it may append effects (e.g. heartbeats)."""
        return s

    def on_other_message(self, node: str, s: Server, src: str, msg, effects: list, durable_changed: bool):
        return (s, effects) if durable_changed else None

    def election_timer(self, node: str, term: int):
        """Armed while another election may follow; cancelled once max_term is reached."""
        return set_timer("election", self.timeout) if term < self.max_term else cancel_timer("election")

    # -- properties ------------------------------------------------------------------

    @invariant
    def election_safety(self, c) -> bool:
        """At most one leader is elected in each term, ever (Figure 3, Election Safety)."""
        return invariants.election_safety(c.ghost)

    def explain_election_safety(self, c) -> str:
        return invariants.explain_election_safety(c.ghost)

    @sometimes
    def leader_elected(self, c) -> bool:
        """Some server is elected leader."""
        return bool(c.ghost)
