"""Small actor protocols, each safe in a perfect world and broken by exactly one fault.

* :class:`Stream`: a sender sends numbered messages and the receiver assumes they arrive
  exactly once and in order (no sequence-number checks).  Safe on a FIFO network;
  broken by reordering (unordered network), loss (drop) and duplication (dup).
* :class:`LeaderLease`: n1 holds a lease for ``lease`` ticks from time 0; n2 takes over
  once the lease has expired on its own clock plus ``grace``.  Safe with exact clocks and
  grace >= 1; with clocks off by up to D ticks each, it needs grace > 2D.
* :class:`Agreement`: a one-shot Byzantine agreement in the style of PBFT's pre-prepare
  and prepare phases (Castro and Liskov, OSDI 1999, section 4.2): the leader proposes, every
  replica echoes the first proposal it receives, and a replica decides a value echoed by
  a quorum.  With n = 3f + 1 and quorum 2f + 1 it keeps agreement even when the leader is
  Byzantine; the ``small-quorum`` bug (quorum n - f computed as if n were 3f) is caught.
* :class:`Commit`: a single-term leader election followed by one replicated commit, on
  five nodes, for partitions: the majority side of a 3|2 split can elect and commit, the
  minority side cannot.
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import Param, invariant, sometimes
from modelcheck.actors import (
    Message,
    Protocol,
    bft_quorum,
    broadcast,
    is_majority,
    record,
    send,
    set_timer,
)

# -- Stream: exactly-once, in-order delivery assumed ----------------------------------


class Data(Message):
    seq: int


class Receiver(NamedTuple):
    expected: int  # the sequence number the receiver assumes comes next
    bad: int | None  # the first out-of-place sequence number received, if any


class Stream(Protocol):
    """n1 sends Data(1) .. Data(count) to n2 at start; n2 assumes they arrive once, in order."""

    name = "stream"
    count = Param(2, "messages sent", min=1, max=5)
    messages = (Data,)

    def node_names(self):
        return ("n1", "n2")

    def init(self, node):
        return Receiver(1, None)

    def on_start(self, node, state):
        if node == "n1":
            return state, [send("n2", Data(k)) for k in range(1, self.count + 1)]
        return state, ()

    def on_message(self, node, state, src, msg):
        if state.bad is not None:
            return None
        if msg.seq == state.expected:
            return Receiver(state.expected + 1, None), ()
        return Receiver(state.expected, msg.seq), ()

    @invariant
    def in_order(self, c) -> bool:
        """The receiver got each message once, in the order sent."""
        return c.nodes[1].bad is None


# -- LeaderLease: clock skew ------------------------------------------------------------


class Holder(NamedTuple):
    holds: bool  # this node believes it holds the lease


class LeaderLease(Protocol):
    """n1 holds a lease from time 0 for ``lease`` ticks of its clock; n2 takes over after
    ``lease + grace`` ticks of its own clock.  Needs a timed run (``skew=D``)."""

    name = "leader-lease"
    lease = Param(2, "lease length in ticks", min=1)
    grace = Param(1, "extra ticks n2 waits before taking over", min=0)
    timers = ("expire", "takeover")

    def node_names(self):
        return ("n1", "n2")

    def init(self, node):
        return Holder(node == "n1")

    def on_start(self, node, state):
        if node == "n1":
            return state, [set_timer("expire", self.lease)]
        return state, [set_timer("takeover", self.lease + self.grace)]

    def on_timer(self, node, state, timer):
        return Holder(timer == "takeover"), ()

    @invariant
    def lease_safety(self, c) -> bool:
        """At no moment do two nodes both believe they hold the lease."""
        return sum(s.holds for _, s in self.node_states(c)) <= 1


# -- Agreement: Byzantine nodes ---------------------------------------------------------


class Propose(Message):
    v: str


class Prepare(Message):
    v: str


class Replica(NamedTuple):
    prepared: str  # the value this replica echoed ("" before the leader's proposal)
    echoes: frozenset  # (node, value) pairs of the Prepare messages received
    decided: str  # "" until decided


VALUES = ("a", "b")


class Agreement(Protocol):
    """One-shot agreement among ``nodes`` replicas; the last node is the leader and
    proposes ``a``.  With ``byzantine=1`` the leader is the Byzantine node."""

    name = "agreement"
    nodes = Param(4, "number of replicas (n = 3f + 1)", min=4, max=7)
    bugs = {"small-quorum": "decide on n - f echoes computed as if n were 3f (too small)"}
    messages = (Propose, Prepare)

    def validate(self):
        n = self.nodes
        f = (n - 1) // 3
        self.leader = f"n{n}"
        self.quorum = 3 * f - f if self.bug == "small-quorum" else bft_quorum(n, f)

    def init(self, node):
        return Replica("", frozenset(), "")

    def on_start(self, node, state):
        if node == self.leader:
            return self._prepare(node, state, "a", [broadcast(Propose("a"))])
        return state, ()

    def on_message(self, node, state, src, msg):
        if isinstance(msg, Propose):
            if src != self.leader or state.prepared:
                return None
            return self._prepare(node, state, msg.v, [])
        return self._echoed(node, state, src, msg.v), ()

    def byzantine_messages(self, node, cluster):
        return [kind(v) for kind in (Propose, Prepare) for v in VALUES]

    def _prepare(self, node, state, v, effects):
        state = self._echoed(node, state._replace(prepared=v), node, v)
        return state, effects + [broadcast(Prepare(v))]

    def _echoed(self, node, state, src, v):
        echoes = state.echoes | {(src, v)}
        decided = state.decided
        if not decided and sum(1 for _, w in echoes if w == v) >= self.quorum:
            decided = v
        return Replica(state.prepared, echoes, decided)

    @invariant
    def agreement(self, c) -> bool:
        """No two correct replicas decide different values."""
        return len({s.decided for _, s in self.node_states(c) if s.decided}) <= 1


# -- Commit: partitions -------------------------------------------------------------------


class Ask(Message):
    pass


class Grant(Message):
    pass


class Append(Message):
    pass


class Ack(Message):
    pass


class Member(NamedTuple):
    role: str  # follower | candidate | leader
    voted: bool  # has granted its single vote
    votes: frozenset  # candidate/leader: who granted it their vote
    acks: frozenset  # leader: who acknowledged its entry
    committed: bool


class Commit(Protocol):
    """Five nodes; ``candidates`` may stand for election (one term, one vote per node); a
    leader appends one entry and commits it once a majority acknowledged it."""

    name = "commit"
    nodes = Param(5, "number of nodes", min=3, max=7)
    candidates = Param("n1,n4", "the nodes that may stand for election")
    timers = ("election",)
    messages = (Ask, Grant, Append, Ack)

    def validate(self):
        self.may_stand = frozenset(self.candidates.split(","))

    def init(self, node):
        return Member("follower", False, frozenset(), frozenset(), False)

    def on_start(self, node, state):
        return state, [set_timer("election")] if node in self.may_stand else ()

    def on_timer(self, node, s, timer):
        if s.voted:
            return None
        return s._replace(role="candidate", voted=True, votes=frozenset({node})), [broadcast(Ask())]

    def on_message(self, node, s, src, msg):
        if isinstance(msg, Ask):
            if s.voted:
                return None
            return s._replace(voted=True), [send(src, Grant())]
        if isinstance(msg, Grant):
            votes = s.votes | {src}
            if s.role == "candidate" and is_majority(votes, self.nodes):
                acks = frozenset({node})
                return s._replace(role="leader", votes=votes, acks=acks), [
                    record(("leader", node)), broadcast(Append())]
            return s._replace(votes=votes), ()
        if isinstance(msg, Append):
            return s, [send(src, Ack())]
        acks = s.acks | {src}
        if not s.committed and is_majority(acks, self.nodes):
            return s._replace(acks=acks, committed=True), [record(("commit", node))]
        return s._replace(acks=acks), ()

    def minority(self, c) -> frozenset:
        """The nodes on the smaller side of the cut (empty when not partitioned)."""
        cut = c.faults.cut if c.faults is not None else None
        if cut is None:
            return frozenset()
        return min(cut, key=len)

    @invariant
    def minority_cannot_lead(self, c) -> bool:
        """While partitioned, no node on the minority side is leader or has committed."""
        side = self.minority(c)
        return not any(node in side for _, node in c.ghost)

    @sometimes
    def majority_commits(self, c) -> bool:
        """While partitioned, a node on the majority side has committed."""
        side = self.minority(c)
        return bool(side) and any(kind == "commit" and node not in side for kind, node in c.ghost)
