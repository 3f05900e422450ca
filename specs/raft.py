"""Raft: Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm"
(USENIX ATC 2014), sections 5.2-5.4, Figures 2, 3 and 8.

Servers ``n1 .. nN`` elect leaders with the logic of ``raft-election``
(specs/raft_election.py, which this spec extends), with the log added:

* Election (5.2, 5.4.1): RequestVote carries the candidate's last log term and index; a
  server grants its vote only if votedFor allows it and the candidate's log is at least
  as up-to-date as its own (last terms compared, then lengths).
* Replication (5.3): a client request appends ``(term, value)`` to the leader's log.  The
  leader keeps nextIndex and matchIndex per follower (Figure 2: nextIndex starts at its
  last log index + 1) and sends AppendEntries(prevLogIndex, prevLogTerm, the entries from
  nextIndex, leaderCommit).  A follower whose log has no entry at prevLogIndex with
  prevLogTerm refuses, and the leader decrements nextIndex and retries; otherwise the
  follower deletes a conflicting entry and all that follow it, appends the new entries,
  sets commitIndex = min(leaderCommit, index of its last new entry), and answers with
  the index it now matches.
* Commitment (5.3, 5.4.2): the leader sets commitIndex to the highest N stored on a
  majority (matchIndex) such that log[N] is of its current term.
* currentTerm, votedFor and the log are durable (Figure 2), so ``--faults crash=K`` keeps
  them; commitIndex, nextIndex and matchIndex are volatile.

The model keeps the state space small (each is a behaviour Raft allows, so every
violation found is real; "holds" is for these behaviours):

* The network is FIFO per link by default (``Raft()`` is ``Raft(faults="fifo")``); Raft
  does not need FIFO, it only keeps the state space small.  A fault model given
  explicitly starts from the unordered bag (``--faults unordered``, ``--faults crash=1``);
  ``--faults fifo,crash=1`` keeps FIFO.
* A refused RequestVote and an AppendEntries of a stale term get no answer (as if the
  answer were lost); the stale sender learns the higher term from other messages.
* A candidate does not start a second election when its timer fires again (no split-vote
  retries): it waits for a higher term or its term's leader, then its timer is armed again.
* A leader has at most one AppendEntries in flight per follower (as etcd's "probe"
  state); it sends one when elected with a non-empty log (the heartbeat that finds
  nextIndex), on a client request, and on each answer while the follower lacks entries.
  (Under ``drop`` a lost AppendEntries or answer ends replication to that follower for
  the term.)
* Only the first ``candidates`` servers ever time out (the others' election timeouts
  outlast the run: Raft randomizes them); the rest vote and replicate.
* Terms are bounded by ``max_term`` (no election for a higher term) and the clients send
  ``values`` values, each once, to whichever server is leader.

The defaults (3 servers of which 2 candidates, 4 terms, 2 values) are the smallest at
which Figure 8 happens (see ``commit-old-term``): 991,613 states, about 30 s of BFS.
``-p max_term=2 -p values=1`` (1,885 states) is a quick run.  The unordered network at
the defaults is beyond a one-minute BFS.

Invariants (Figure 3): election safety (at most one leader per term, ever, from the ghost
history of elections as in raft-election); log matching (two logs with an entry of the same
index and term are identical up to it, over the logs of all servers); leader completeness
(an entry committed in term T is in the log of every current leader of a term above T);
state-machine safety (no two different entries are ever committed at one index).  Each
time a server's commitIndex advances, the ghost history records ``(index, entry term,
value, currentTerm)`` for every newly committed entry.  ``value_committed`` shows the model
is not vacuous.

Bug variants (found by BFS at the defaults, at which the correct spec holds):

* ``no-log-check``: votes are granted without the up-to-date check (5.4.1): v1 is
  committed in term 1 on n1 and n3, then n3 elects n2, whose log is empty, in term 2
  (leader completeness, 10 steps).
* ``volatile-voted-for``: votedFor is not durable; with ``crash=1`` a restarted server
  votes twice in term 1 (election safety, 8 steps with ``--faults fifo,crash=1``).
* ``commit-old-term``: a leader commits an entry of an earlier term once it is on a
  majority (Figure 8): n1, leader of term 3, puts v1 (term 1) on n3 and counts it
  committed; n2, still leader of term 2, appends v2 and is elected in term 4 by n3,
  since its last entry's term 2 beats v1's term 1 (leader completeness, 24 steps).  It
  needs four terms and two values, for any number of servers: an entry e1 of term T1,
  counted committed by the leader of a later term T3, is lost only if a server holding a
  conflicting entry e2 at the same index is elected in some term T4; a holder of e1 votes
  for it (majorities intersect), so e2's term T2 is above T1; T2 is not T4 (e2 is
  appended after its leader's election) and T3 is neither (that leader holds e1 there).
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import invariants
from modelcheck import Param, SpecError, invariant, sometimes
from modelcheck.actors import Message, cancel_timer, is_majority, numbered, record, send

from .raft_election import CANDIDATE, FOLLOWER, LEADER, NO_VOTES, RaftElection, Vote

EMPTY_LOG: tuple = ()


class Server(NamedTuple):
    term: int  # currentTerm (durable)
    voted_for: str | None  # votedFor (durable)
    role: str  # follower | candidate | leader
    votes: frozenset  # candidate: the servers that granted it their vote in term
    log: tuple  # ((term, value), ...), index 1 first (durable)
    commit: int  # commitIndex
    next: tuple  # leader: nextIndex of each server, in node order (() otherwise)
    match: tuple  # leader: matchIndex of each server, in node order (() otherwise)
    waiting: frozenset  # leader: the followers with an AppendEntries of this leader in flight


class RequestVote(Message):
    """A candidate (the sender) asks for a vote, with its last log entry's term and index (5.4.1)."""

    term: int
    last_term: int
    last_index: int


class AppendEntries(Message):
    """The leader (sender) sends the entries after ``prev_index`` (5.3) and its commitIndex."""

    term: int
    prev_index: int
    prev_term: int
    entries: tuple
    commit: int


class AppendReply(Message):
    """A follower's answer: success with the index it now matches, or failure at ``index``
    (the ``prev_index`` it did not hold)."""

    term: int
    success: bool
    index: int


class ClientRequest(Message):
    """A client asks the leader to append ``value`` to the log."""

    value: str


def last_term(log: tuple) -> int:
    return log[-1][0] if log else 0


class Raft(RaftElection):
    """Raft (sections 5.2-5.4): election safety, log matching, leader completeness and
    state-machine safety under the run's faults."""

    name = "raft"
    default_faults = "fifo"
    servers = Param(3, "number of servers", min=1, max=5)
    candidates = Param(2, "servers n1 .. nK whose election timer may fire (the others' outlast the run)",
                       min=1, max=5)
    max_term = Param(4, "highest term a server may start an election for", min=1, max=9)
    values = Param(2, "client values v1 .. vN, each appended once to some leader's log", min=0, max=3)
    bugs = {
        "no-log-check": "a server grants its vote without the log up-to-date check (5.4.1)",
        "commit-old-term": "a leader commits an entry of an earlier term by counting replicas (Figure 8)",
        "volatile-voted-for": "votedFor is not durable: a restarted server forgets its vote",
    }

    timers = ("election",)
    durable = ("term", "voted_for", "log")
    messages = (RequestVote, Vote, AppendEntries, AppendReply)
    deny_replies = False
    retry_elections = False


    def validate(self) -> None:
        if self.candidates > self.servers:
            raise SpecError(f"candidates={self.candidates} exceeds servers={self.servers}")
        if self.bug == "volatile-voted-for":
            self.durable = ("term", "log")
        self._n = self.servers
        names = self.node_names()
        self._peers = {x: frozenset(names) - {x} for x in names}
        self._others_idx = {x: tuple(j for j in range(self.servers) if j != i) for i, x in enumerate(names)}


    def symmetry(self):
        """None declared: with only n1 .. nK timing out the servers are not interchangeable
        (declaring the candidates so is refused by --symmetry's check, rightly)."""
        return ()
    def election_timer(self, node: str, term: int):
        if self._index[node] >= self.candidates:
            return cancel_timer("election")
        return super().election_timer(node, term)

    def init(self, node: str) -> Server:
        return Server(0, None, FOLLOWER, NO_VOTES, EMPTY_LOG, 0, (), (), NO_VOTES)

    def requests(self):
        return tuple(map(ClientRequest, numbered("v", self.values)))

    # -- election (raft_election) with logs ------------------------------------------

    def request_vote(self, s: Server) -> RequestVote:
        return RequestVote(s.term, last_term(s.log), len(s.log))

    def log_ok(self, s: Server, msg: RequestVote) -> bool:
        """5.4.1: the candidate's log is at least as up-to-date as the voter's."""
        if self.bug == "no-log-check":
            return True
        return (msg.last_term, msg.last_index) >= (last_term(s.log), len(s.log))

    def step_down(self, s: Server, term: int) -> Server:
        return s._replace(term=term, voted_for=None, role=FOLLOWER, votes=NO_VOTES,
                          next=(), match=(), waiting=NO_VOTES)

    def become_leader(self, node: str, s: Server, effects: list) -> Server:
        """Figure 2, leaders: nextIndex = last log index + 1, matchIndex = 0; send heartbeats."""
        n = len(s.log)
        s = s._replace(next=(n + 1,) * self._n, match=(0,) * self._n)
        if not n:
            return s  # nothing to replicate yet
        heartbeat = AppendEntries(s.term, n, last_term(s.log), (), s.commit)
        for j in self._others_idx[node]:
            effects.append(send(self.names[j], heartbeat))
        return s._replace(waiting=self._peers[node])

    # -- log replication ---------------------------------------------------------------

    def on_request(self, node: str, s: Server, request: ClientRequest):
        if s.role != LEADER:
            return None
        s = s._replace(log=s.log + ((s.term, request.value),))
        effects: list = []
        s = self._advance_commit(node, s, effects)
        for j in self._others_idx[node]:
            if self.names[j] not in s.waiting:
                effects.append(send(self.names[j], self._append_entries(s, s.next[j])))
        return s._replace(waiting=self._peers[node]), effects

    def _append_entries(self, s: Server, next_index: int) -> AppendEntries:
        prev = next_index - 1
        return AppendEntries(s.term, prev, s.log[prev - 1][0] if prev else 0, s.log[prev:], s.commit)

    def on_other_message(self, node: str, s: Server, src: str, msg, effects: list, durable_changed: bool):
        if msg.__class__ is AppendEntries:
            return self._on_append(node, s, src, msg, effects)
        # AppendReply
        if s.role != LEADER or msg.term != s.term:
            return (s, effects) if durable_changed else None
        j = self._index[src]
        waiting = s.waiting - {src}
        if msg.success:
            if msg.index > s.match[j]:
                s = s._replace(match=_put(s.match, j, msg.index), next=_put(s.next, j, msg.index + 1))
                s = self._advance_commit(node, s, effects)
        elif s.next[j] == msg.index + 1:
            # Figure 2: after a rejection, decrement nextIndex and retry
            s = s._replace(next=_put(s.next, j, msg.index))
        if s.next[j] <= len(s.log) and src not in waiting:  # entries the follower still lacks
            effects.append(send(src, self._append_entries(s, s.next[j])))
            waiting = waiting | {src}
        return s._replace(waiting=waiting), effects

    def _on_append(self, node: str, s: Server, src: str, msg: AppendEntries, effects: list):
        """Figure 2, AppendEntries receiver."""
        if msg.term < s.term:  # a stale leader: ignored (as if lost), it learns the term otherwise
            return None
        if s.role == CANDIDATE:  # 5.2: a leader of its term exists
            s = s._replace(role=FOLLOWER, votes=NO_VOTES)
            effects.append(self.election_timer(node, s.term))
        log, prev = s.log, msg.prev_index
        if prev > len(log) or (prev and log[prev - 1][0] != msg.prev_term):
            effects.append(send(src, AppendReply(s.term, False, prev)))
            return s, effects
        # keep the entries that agree; from the first conflict on, the leader's entries
        i = prev
        for entry in msg.entries:
            if i < len(log) and log[i] != entry:
                log = log[:i]
            if i >= len(log):
                log = log + (entry,)
            i += 1
        last_new = prev + len(msg.entries)
        # Figure 2: commitIndex = min(leaderCommit, index of last new entry), never lowered
        commit = max(s.commit, min(msg.commit, last_new))
        if commit > s.commit:
            effects += self._commits(log, s.commit, commit, s.term)
        s = s._replace(log=log, commit=commit)
        effects.append(send(src, AppendReply(s.term, True, last_new)))
        return s, effects

    def _advance_commit(self, node: str, s: Server, effects: list) -> Server:
        """Figure 2, leaders: commitIndex = the highest N stored on a majority with
        log[N].term == currentTerm (5.4.2; the bug counts replicas of any term)."""
        me = self._index[node]
        for n in range(len(s.log), s.commit, -1):
            if s.log[n - 1][0] != s.term and self.bug != "commit-old-term":
                break  # earlier entries are of earlier terms too
            count = 1 + sum(1 for j, m in enumerate(s.match) if j != me and m >= n)
            if is_majority(count, self._n):
                effects += self._commits(s.log, s.commit, n, s.term)
                return s._replace(commit=n)
        return s

    @staticmethod
    def _commits(log: tuple, old: int, new: int, term: int) -> list:
        """Ghost records of the entries newly committed in ``term``: ``(index, term, value, term)``."""
        return [record((i, log[i - 1][0], log[i - 1][1], term)) for i in range(old + 1, new + 1)]

    # -- properties ------------------------------------------------------------------

    @staticmethod
    def _elected(c):
        return [g for g in c.ghost if len(g) == 2]

    @staticmethod
    def _committed(c):
        return [g for g in c.ghost if len(g) == 4]

    def _logs(self, c):
        return {node: s.log for node, s in self.node_states(c)}

    def _leaders(self, c):
        return [(s.term, node, s.log) for node, s in self.node_states(c) if s.role == LEADER]

    @invariant
    def election_safety(self, c) -> bool:
        """At most one leader is elected in each term, ever (Figure 3, Election Safety)."""
        return invariants.election_safety(self._elected(c))

    def explain_election_safety(self, c) -> str:
        return invariants.explain_election_safety(self._elected(c))

    @invariant
    def log_matching(self, c) -> bool:
        """Two logs with an entry of the same index and term agree up to it (Figure 3)."""
        return invariants.log_matching(self._logs(c).values())

    def explain_log_matching(self, c) -> str:
        return invariants.explain_log_matching(self._logs(c))

    @invariant
    def leader_completeness(self, c) -> bool:
        """Every committed entry is in the log of every leader of a later term (Figure 3)."""
        return invariants.leader_completeness(self._committed(c), self._leaders(c))

    def explain_leader_completeness(self, c) -> str:
        return invariants.explain_leader_completeness(self._committed(c), self._leaders(c))

    @invariant
    def state_machine_safety(self, c) -> bool:
        """No two different entries are ever committed at one index (Figure 3)."""
        return invariants.state_machine_safety(self._committed(c))

    def explain_state_machine_safety(self, c) -> str:
        return invariants.explain_state_machine_safety(self._committed(c))

    @sometimes
    def value_committed(self, c) -> bool:
        """Some client value is committed."""
        return bool(self._committed(c))


def _put(items: tuple, j: int, value: int) -> tuple:
    return items[:j] + (value,) + items[j + 1:]

