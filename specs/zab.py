"""Zab, ZooKeeper's atomic broadcast: Junqueira, Reed and Serafini, "Zab: High-performance
broadcast for primary-backup systems" (DSN 2011), section IV (phases 1-3) checked against
the properties of section III.

Nodes ``n1 .. nN`` talk over FIFO links (Zab assumes TCP): this spec defaults its fault
model to ``fifo`` (``Zab()`` == ``Zab(faults="fifo")``; ``modelcheck explore zab`` without
``--faults`` uses it).  A transaction is ``(epoch, counter, value)``; its zxid is
``(epoch, counter)``.  Each node keeps its accepted epoch ``p``, current epoch ``a``,
history ``h`` (accepted transactions in zxid order) and what it delivered; all four are
durable (a crash keeps them; ZooKeeper re-delivers its committed log on recovery, so a
restarted process has delivered what it had delivered before).  A prospective leader
acts as a follower of itself.

Phase 0, leader election, is simplified: the ``elect`` timer makes a node a prospective
leader; it sends ``Elect`` to every other node, and a node that receives it goes back to
phase 0 and follows the sender (whatever it was doing, leading included).  ``n1``'s
timer is set at start; any other node's once it is a follower of an established leader
(it may suspect that leader later), and each node starts at most one election.  Safety
still means what the paper means: Zab's safety does not rest on which leader phase 0
picks or when (in section IV a process may go back to phase 0 and follow another
prospective leader at any time; the argument rests on discovery choosing an epoch above
every epoch a quorum accepted, and on synchronisation), so electing arbitrary
prospective leaders at arbitrary moments covers what a real election may do, within the
bound.  The bound is what the simplification buys: one election per node, and first
elections only by followers of an established leader, keep the model small and make the
second epoch (where the bugs live) likely enough for fuzzing to reach.

Phase 1, discovery: a follower sends ``CEpoch(p)``; on those of a quorum Q (itself
included) the prospective leader picks ``e' = max p + 1`` (it gives up when
``e' > epochs``) and sends ``NewEpoch(e')`` to Q; a follower with ``e' > p`` sets
``p = e'`` and replies ``AckEpoch(a, h)`` (else it goes back to phase 0).  Phase 2,
synchronisation: once every member of Q acknowledged, the leader takes as initial history
the ``h`` of the member with the highest ``(a, last zxid)``, makes it its own, and sends
``NewLeader(e', h)``; a follower with ``p = e'`` sets ``a = e'``, ``h`` to that history and
replies ``AckLeader``; on a quorum of those the leader delivers the history and sends
``CommitLeader``, and a follower delivers its history too.  Phase 3, broadcast: the
established leader takes client values ``v1 .. vK`` (each once), proposes
``Propose(e', c, v)`` with the next counter, a follower of epoch ``e'`` appends it and
``Ack``s, and the leader on a quorum of acks delivers it (in zxid order) and sends
``Commit``, on which a follower delivers its history up to that zxid.

Also simplified: the leader talks to Q only (a node that joins an established leader
later, section IV's last paragraph, stays out of this epoch), and Q is the first quorum
of ``CEpoch`` replies.  Bounds: ``epochs`` (the highest epoch) and ``values`` (client
values).  Defaults (3 nodes, 2 epochs, 2 values): 18,853 states, about a second.

Invariants (section III): broadcast integrity, prefix agreement (total order and
agreement: the delivered sequences are prefixes of one another), local and global
primary order, primary integrity, and one primary per epoch (``election_safety`` of the
catalogue over the epochs whose NEWEPOCH a whole quorum acknowledged).  ``value_committed``
(a value is delivered) and ``second_epoch`` (a leader of epoch 2 is established with a
value of epoch 1 in its initial history) show the model is not vacuous.

Bug variants, found by BFS at the default bounds with the default faults (fifo; no crash
is needed, leader change comes from elections):

* ``old-epoch-proposal``: a node that acknowledged NEWEPOCH(e) still accepts (and
  acknowledges) proposals of epochs below e from their old leader.  Shortest trace: n2,
  follower of n1 in epoch 1, leads epoch 2 with n3 and fixes its initial history (empty);
  meanwhile it takes n1's proposals of v1 and v2, loses v1 when it adopts the initial
  history, keeps v2 and delivers it without v1 (local primary order, 19 steps).
* ``broadcast-before-sync``: a new leader starts phase 3 once discovery ends, without
  NEWLEADER (it delivers its initial history at once), and its followers accept its
  proposals onto their own histories.  Shortest trace: n2 holds v1 of epoch 1, leads
  epoch 2 with n3, which never received v1, and n3 delivers v2 first (prefix agreement,
  16 steps).
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import Param, SpecError, invariant, invariants, sometimes
from modelcheck.actors import Message, Protocol, is_majority, numbered, record, send, set_timer

LOOKING, DISCOVERY, SYNC, BROADCAST = "looking", "discovery", "sync", "broadcast"
NONE: frozenset = frozenset()


class Node(NamedTuple):
    accepted: int  # p: the last epoch whose NEWEPOCH it acknowledged (durable)
    current: int  # a: the last epoch whose NEWLEADER it acknowledged (durable)
    history: tuple  # h: accepted transactions (epoch, counter, value), in zxid order (durable)
    delivered: tuple  # transactions delivered, in order (durable)
    led: bool  # it started its one election (durable)
    phase: str  # looking | discovery | sync | broadcast
    leader: str  # the node it follows (itself when leading), "" while looking
    quorum: frozenset  # leader: Q, once NEWEPOCH is sent
    acks: frozenset  # leader: replies of the current phase (see the handlers)


class Elect(Message):
    """Phase 0's outcome, simplified: the sender is a prospective leader."""


class CEpoch(Message):
    """Phase 1: a follower's accepted epoch, to its prospective leader."""

    accepted: int


class NewEpoch(Message):
    """Phase 1: the new epoch the prospective leader picked."""

    epoch: int


class AckEpoch(Message):
    """Phase 1: a follower acknowledges NEWEPOCH with its current epoch and history."""

    current: int
    history: tuple


class NewLeader(Message):
    """Phase 2: the leader's initial history for ``epoch``."""

    epoch: int
    history: tuple


class AckLeader(Message):
    """Phase 2: a follower accepted the initial history of ``epoch``."""

    epoch: int


class CommitLeader(Message):
    """Phase 2: a quorum has the initial history of ``epoch``; deliver it."""

    epoch: int


class Propose(Message):
    """Phase 3: the transaction ``(epoch, counter, value)``."""

    epoch: int
    counter: int
    value: str


class Ack(Message):
    """Phase 3: a follower accepted the proposal with zxid ``(epoch, counter)``."""

    epoch: int
    counter: int


class Commit(Message):
    """Phase 3: deliver up to the transaction with zxid ``(epoch, counter)``."""

    epoch: int
    counter: int


class ClientValue(Message):
    """Client request: broadcast ``value`` (each value once)."""

    value: str


def _deliver(s: Node, upto: int) -> tuple:
    """``s.delivered`` extended with the transactions of ``s.history[:upto]`` not yet delivered."""
    new = tuple(t for t in s.history[:upto] if t not in s.delivered)
    return s.delivered + new if new else s.delivered


def _last_zxid(history: tuple) -> tuple:
    return history[-1][:2] if history else (0, 0)


class Zab(Protocol):
    """Zab (DSN 2011, section IV) over FIFO links: section III's properties."""

    name = "zab"
    default_faults = "fifo"
    nodes = Param(3, "number of nodes", min=2, max=5)
    epochs = Param(2, "the highest epoch a prospective leader may pick", min=1, max=5)
    values = Param(2, "client values v1 .. vK, each broadcast at most once", min=0, max=4)
    bugs = {
        "old-epoch-proposal": "a follower accepts a proposal from an older epoch",
        "broadcast-before-sync": "a new leader broadcasts before synchronising its followers",
    }

    timers = ("elect",)
    durable = ("accepted", "current", "history", "delivered", "led")
    messages = (Elect, CEpoch, NewEpoch, AckEpoch, NewLeader, AckLeader, CommitLeader, Propose, Ack, Commit)


    def validate(self) -> None:
        if self.faults.network != "fifo":
            raise SpecError("spec 'zab' assumes FIFO links (Zab runs over TCP, section III): keep fifo in "
                            "--faults, e.g. --faults fifo,crash=1")

    def requests(self):
        return tuple(map(ClientValue, numbered("v", self.values)))

    # -- phase 0 -------------------------------------------------------------------------

    def init(self, node: str) -> Node:
        return Node(0, 0, (), (), False, LOOKING, "", NONE, NONE)

    def on_start(self, node: str, s: Node):
        return s, ([set_timer("elect")] if node == self.names[0] and not s.led else [])

    def _suspect(self, s: Node) -> list:
        """A follower that has an established leader may later suspect it and start an election,
        once, while a higher epoch is within the bound."""
        return [set_timer("elect")] if not s.led and s.accepted < self.epochs else []

    def on_timer(self, node: str, s: Node, timer: str):
        s = Node(s.accepted, s.current, s.history, s.delivered, True, DISCOVERY, node, NONE,
                 frozenset({(node, s.accepted)}))
        return s, [send(n, Elect()) for n in self.names if n != node]

    # -- handlers ------------------------------------------------------------------------

    def on_message(self, node: str, s: Node, src: str, msg):
        cls = msg.__class__
        if cls is Elect:  # back to phase 0, follow the sender: CEPOCH(p)
            return (Node(s.accepted, s.current, s.history, s.delivered, s.led, DISCOVERY, src, NONE, NONE),
                    [send(src, CEpoch(s.accepted))])
        if cls is Propose and self.bug == "old-epoch-proposal":
            if msg.epoch < s.accepted:  # the bug: from the leader of an epoch it has left
                txn = (msg.epoch, msg.counter, msg.value)
                return s._replace(history=s.history + (txn,)), [send(src, Ack(msg.epoch, msg.counter))]
        if s.leader == node:
            return self._at_leader(node, s, src, msg)
        if src == s.leader:
            return self._at_follower(node, s, src, msg)
        return None

    def _at_follower(self, node: str, s: Node, src: str, msg):
        cls = msg.__class__
        if cls is NewEpoch:
            if s.phase != DISCOVERY:
                return None
            if msg.epoch <= s.accepted:
                return self._looking(s)
            s = s._replace(accepted=msg.epoch, phase=SYNC)
            return s, [send(src, AckEpoch(s.current, s.history))]
        if cls is NewLeader:
            if s.phase != SYNC or s.current == msg.epoch:
                return None
            if msg.epoch != s.accepted:
                return self._looking(s)
            return s._replace(current=msg.epoch, history=msg.history), [send(src, AckLeader(msg.epoch))]
        if cls is CommitLeader:
            if s.phase != SYNC or s.current != msg.epoch:
                return None
            return s._replace(phase=BROADCAST, delivered=_deliver(s, len(s.history))), self._suspect(s)
        if cls is Propose:
            if s.phase == SYNC and self.bug == "broadcast-before-sync" and msg.epoch == s.accepted:
                s = s._replace(current=msg.epoch, phase=BROADCAST)  # the bug: unsynchronised
                arm = self._suspect(s)
            else:
                arm = []
            # in zxid order (FIFO links keep it; a duplicated proposal is not appended twice)
            if s.phase != BROADCAST or msg.epoch != s.current or (msg.epoch, msg.counter) <= _last_zxid(s.history):
                return None
            txn = (msg.epoch, msg.counter, msg.value)
            return s._replace(history=s.history + (txn,)), [send(src, Ack(msg.epoch, msg.counter))] + arm
        if cls is Commit:
            if s.phase != BROADCAST or msg.epoch != s.current:
                return None
            zxid = (msg.epoch, msg.counter)
            upto = next((k + 1 for k, t in enumerate(s.history) if t[:2] == zxid), 0)
            return s._replace(delivered=_deliver(s, upto)), []
        return None

    def _at_leader(self, node: str, s: Node, src: str, msg):
        cls = msg.__class__
        if cls is CEpoch:
            if s.phase != DISCOVERY or s.quorum:
                return None
            return self._epoch_quorum(node, s._replace(acks=s.acks | {(src, msg.accepted)}))
        if cls is AckEpoch:
            if s.phase != DISCOVERY or src not in s.quorum:
                return None
            acks = s.acks | {(src, msg.current, msg.history)}
            if len(acks) < len(s.quorum):
                return s._replace(acks=acks), []
            # Phase 2: the history of the member with the highest (current epoch, last zxid);
            # a tie between different histories (a bug or a crash can make one) goes to the
            # lowest node name, not to whichever the set happens to iterate first
            _, _, initial = max(sorted(acks), key=lambda a: (a[1], _last_zxid(a[2])))
            epoch = s.accepted
            out = [record(("primary", epoch, node))]
            if self.bug == "broadcast-before-sync":  # the bug: straight to phase 3
                s = s._replace(current=epoch, history=initial, phase=BROADCAST, acks=NONE)
                return s._replace(delivered=_deliver(s, len(initial))), out
            out += [send(n, NewLeader(epoch, initial)) for n in sorted(s.quorum) if n != node]
            return s._replace(current=epoch, history=initial, phase=SYNC, acks=frozenset({node})), out
        if cls is AckLeader:
            if s.phase != SYNC or msg.epoch != s.current:
                return None
            acks = s.acks | {src}
            if not is_majority(acks, self.nodes):
                return s._replace(acks=acks), []
            s = s._replace(phase=BROADCAST, acks=NONE, delivered=_deliver(s, len(s.history)))
            return s, [send(n, CommitLeader(s.current)) for n in sorted(s.quorum) if n != node]
        if cls is Ack:
            if s.phase != BROADCAST or msg.epoch != s.current:
                return None
            acks = s.acks | {(msg.counter, src)}
            out = []
            # deliver in zxid order each next transaction a quorum (the leader included) accepted
            for k, t in enumerate(s.history):
                if t in s.delivered:
                    continue
                epoch, counter, _ = t
                votes = 1 + sum(1 for c, _ in acks if c == counter)
                if epoch != s.current or not is_majority(votes, self.nodes):
                    break
                acks = frozenset(a for a in acks if a[0] != counter)
                s = s._replace(delivered=_deliver(s, k + 1))
                out += [send(n, Commit(epoch, counter)) for n in sorted(s.quorum) if n != node]
            return s._replace(acks=acks), out
        return None

    def _epoch_quorum(self, node: str, s: Node):
        """Phase 1: on CEPOCH from a quorum, pick e' above every accepted epoch and send NEWEPOCH."""
        if not is_majority(s.acks, self.nodes):
            return s, []
        epoch = max(p for _, p in s.acks) + 1
        if epoch > self.epochs:  # beyond the bound: this election goes nowhere
            return self._looking(s)
        quorum = frozenset(n for n, _ in s.acks)
        s = s._replace(accepted=epoch, quorum=quorum, acks=frozenset({(node, s.current, s.history)}))
        return s, [send(n, NewEpoch(epoch)) for n in sorted(quorum) if n != node]

    def _looking(self, s: Node):
        return s._replace(phase=LOOKING, leader="", quorum=NONE, acks=NONE), []

    def on_request(self, node: str, s: Node, req: ClientValue):
        if s.phase != BROADCAST or s.leader != node:
            return None
        counter = sum(1 for t in s.history if t[0] == s.current) + 1
        txn = (s.current, counter, req.value)
        out = [send(n, Propose(*txn)) for n in sorted(s.quorum) if n != node]
        out.append(record(("broadcast", txn, s.delivered)))
        return s._replace(history=s.history + (txn,)), out

    # -- properties ----------------------------------------------------------------------

    def delivered(self, c) -> dict[str, tuple]:
        return {n: s.delivered for n, s in self.node_states(c)}

    def broadcasts(self, c) -> list[tuple[tuple, tuple]]:
        """``(transaction, what its primary had delivered when it broadcast it)``, from the ghost."""
        return [(g[1], g[2]) for g in c.ghost if g[0] == "broadcast"]

    def by_primary(self, c) -> dict[int, list[tuple]]:
        """Each epoch's broadcasts in the order its primary sent them (counter order)."""
        out: dict[int, list[tuple]] = {}
        for t, _ in sorted(self.broadcasts(c)):
            out.setdefault(t[0], []).append(t)
        return out

    @invariant
    def integrity(self, c) -> bool:
        """A process delivers only transactions that were broadcast (section III, integrity)."""
        return invariants.broadcast_integrity(self.delivered(c), (t for t, _ in self.broadcasts(c)))

    def explain_integrity(self, c) -> str:
        return invariants.explain_broadcast_integrity(self.delivered(c), (t for t, _ in self.broadcasts(c)))

    @invariant
    def prefix_agreement(self, c) -> bool:
        """Delivered sequences are prefixes of one another (section III, total order and agreement)."""
        return invariants.prefix_agreement(self.delivered(c))

    def explain_prefix_agreement(self, c) -> str:
        return invariants.explain_prefix_agreement(self.delivered(c))

    @invariant
    def local_primary_order(self, c) -> bool:
        """A primary's transactions are delivered in the order it broadcast them (section III)."""
        return invariants.local_primary_order(self.delivered(c), self.by_primary(c))

    def explain_local_primary_order(self, c) -> str:
        return invariants.explain_local_primary_order(self.delivered(c), self.by_primary(c),
                                                      primary_name=lambda e: f"of epoch {e}")

    @invariant
    def global_primary_order(self, c) -> bool:
        """An earlier epoch's transactions are delivered before a later one's (section III)."""
        return invariants.global_primary_order(self.delivered(c))

    def explain_global_primary_order(self, c) -> str:
        return invariants.explain_global_primary_order(self.delivered(c))

    @invariant
    def primary_integrity(self, c) -> bool:
        """A primary delivers every delivered transaction of earlier epochs before it broadcasts
        (section III, primary integrity)."""
        return invariants.primary_integrity(self.delivered(c), self.broadcasts(c))

    def explain_primary_integrity(self, c) -> str:
        return invariants.explain_primary_integrity(self.delivered(c), self.broadcasts(c))

    def primaries(self, c) -> list[tuple[int, str]]:
        return [(g[1], g[2]) for g in c.ghost if g[0] == "primary"]

    @invariant
    def one_primary_per_epoch(self, c) -> bool:
        """At most one leader completes discovery for an epoch (a primary is its epoch, section III)."""
        return invariants.election_safety(self.primaries(c))

    def explain_one_primary_per_epoch(self, c) -> str:
        return invariants.explain_election_safety(self.primaries(c), round_name="epoch")

    @sometimes
    def value_committed(self, c) -> bool:
        """Some process delivered a value broadcast in phase 3."""
        return any(s.delivered for _, s in self.node_states(c))

    @sometimes
    def second_epoch(self, c) -> bool:
        """A leader of epoch 2 delivered its initial history, which holds a value of epoch 1."""
        return any(s.current == 2 and s.leader == n and s.phase == BROADCAST and s.history
                   and s.history[0][0] == 1 for n, s in self.node_states(c))
