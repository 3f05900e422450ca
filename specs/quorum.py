"""Dynamo-style quorum replication: DeCandia et al., "Dynamo: Amazon's Highly Available
Key-value Store" (SOSP 2007), section 4.5 ("Execution of get () and put () operations").

One key is replicated on ``n`` replicas ``r1 .. rN`` (its preference list).  A coordinator
``c`` serves the clients: for a ``put`` it gives the value a new version (here simply
1, 2, ...), sends it to the N replicas and reports success once ``w`` of them have
acknowledged storing it; for a ``get`` it asks the N replicas for their version and
returns the highest version once ``r`` distinct replicas have replied.  A replica keeps the highest version it
has seen.  "Setting R and W such that R + W > N yields a quorum-like system": every read
quorum then meets every write quorum, so a read sees every write that completed before it
started.  (Dynamo's coordinator is itself one of the N replicas and it reconciles
concurrent versions with vector clocks; here the coordinator is a separate node and
versions are totally ordered, which keeps the state space small and changes nothing
about quorum intersection.)

The network is unordered by default; faults are chosen per run (``--faults drop`` only
makes operations never complete, which is safe).  Replicas keep their version in memory
(the spec declares nothing ``durable``, as the coordinator and the replicas have
different states): under ``--faults crash=1`` a replica that acknowledged a write can
restart without it, and a read quorum then misses a completed write (read_your_writes
violated in 12 steps).  Dynamo's replicas write to a durable store (section 5), so that
trace shows what a volatile store would cost, not a flaw of Dynamo's quorums.  Client requests ``Put(v)`` (one per
write, ``writes`` of them) and one ``Get()`` may be issued at any moment.

Read-your-writes / no stale read: when a read starts, the coordinator notes the highest
version whose write had completed (``committed``); when it returns it records
``(must_see, returned)`` in the ghost history; the invariant asks returned >= must_see.

Stale reads: with ``r + w <= n`` (any parameters may be given, e.g. ``-p r=1``) the
checker finds a stale read; the bug variant ``no-overlap`` makes reads wait for only
``n - w`` replies, so R + W = N (with the defaults N=3, W=2: R=1), found by BFS in 8
steps.  With the defaults N=3, R=2, W=2 the invariant holds.
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import invariants
from modelcheck import Param, invariant, sometimes
from modelcheck.actors import Message, Protocol, broadcast, numbered, record, send

COORD = "c"


class Coordinator(NamedTuple):
    versions: int  # versions handed out so far (the last write's version)
    committed: int  # highest version whose write completed (W acks)
    acks: frozenset  # (version, replica) acknowledgements received
    must_see: int  # the read: committed when it started; -1 before it starts
    replies: frozenset  # the read: (replica, version) replies received (a replica may reply twice under dup)
    returned: int  # the read: the version returned; -1 until it returns


class Replica(NamedTuple):
    version: int  # highest version stored (0: the initial value)


class Put(Message):
    """Client request (to the coordinator): write a new version."""

    write: int


class Get(Message):
    """Client request (to the coordinator), and coordinator -> replica: read."""


class Store(Message):
    """Coordinator -> replica: store ``version``."""

    version: int


class Ack(Message):
    """Replica -> coordinator: ``version`` is stored."""

    version: int


class Value(Message):
    """Replica -> coordinator: the highest version this replica stores."""

    version: int


class Quorum(Protocol):
    """Dynamo N/R/W quorums (DeCandia et al. 2007, section 4.5): no stale read when R + W > N."""

    name = "quorum"
    n = Param(3, "replicas of the key (N)", min=1, max=5)
    r = Param(2, "replies a read waits for (R)", min=1, max=5)
    w = Param(2, "acknowledgements a write waits for (W)", min=1, max=5)
    writes = Param(1, "client writes, each of a new version", min=1, max=3)
    bugs = {"no-overlap": "reads wait for N - W replies, so R + W = N and quorums need not meet"}

    messages = (Store, Ack, Get, Value)

    def validate(self) -> None:
        from modelcheck import SpecError

        for name in ("r", "w"):
            if getattr(self, name) > self.n:
                raise SpecError(f"parameter {name}={getattr(self, name)} of spec 'quorum' must be <= n={self.n}")
        if self.bug == "no-overlap" and self.n - self.w < 1:
            raise SpecError("bug no-overlap needs w < n (reads wait for n - w >= 1 replies)")

    @property
    def read_quorum(self) -> int:
        return self.n - self.w if self.bug == "no-overlap" else self.r

    def node_names(self):
        return (COORD,) + numbered("r", self.n)

    def symmetry(self):
        """The replicas are interchangeable (``--symmetry``); the client is not."""
        return (self.node_names()[1:],)

    def requests(self):
        return tuple(Put(i + 1) for i in range(self.writes)) + (Get(),)

    # -- handlers ----------------------------------------------------------------------

    def init(self, node: str):
        if node == COORD:
            return Coordinator(0, 0, frozenset(), -1, frozenset(), -1)
        return Replica(0)

    def on_request(self, node: str, s, req):
        if node != COORD:
            return None
        if req.__class__ is Put:
            v = s.versions + 1
            return s._replace(versions=v), [broadcast(Store(v))]
        return s._replace(must_see=s.committed), [broadcast(Get())]

    def on_message(self, node: str, s, src: str, msg):
        cls = msg.__class__
        if cls is Store:
            return (Replica(msg.version), [send(src, Ack(msg.version))]) if msg.version > s.version \
                else (s, [send(src, Ack(msg.version))])
        if cls is Get:
            return s, [send(src, Value(s.version))]
        if cls is Ack:
            acks = s.acks | {(msg.version, src)}
            done = sum(1 for v, _ in acks if v == msg.version) >= self.w
            committed = max(s.committed, msg.version) if done else s.committed
            effects = [record(("written", msg.version))] if done and msg.version > s.committed else []
            return s._replace(acks=acks, committed=committed), effects
        # Value: a reply to the read
        if s.returned >= 0:
            return None  # the read already returned
        replies = s.replies | {(src, msg.version)}
        if len({replica for replica, _ in replies}) < self.read_quorum:  # R distinct replicas: a
            # duplicated Get makes one replica answer twice, and that is still one replica
            return s._replace(replies=replies), []
        got = max(v for _, v in replies)
        return s._replace(replies=replies, returned=got), [record(("read", s.must_see, got))]

    # -- properties --------------------------------------------------------------------

    @staticmethod
    def _reads(c):
        return [(must, got) for kind, *rest in c.ghost if kind == "read" for must, got in [rest]]

    @invariant
    def read_your_writes(self, c) -> bool:
        """A read that starts after a write completed returns that write's version or a newer one."""
        return invariants.read_your_writes(self._reads(c))

    def explain_read_your_writes(self, c) -> str:
        return invariants.explain_read_your_writes(self._reads(c))

    @sometimes
    def read_after_write(self, c) -> bool:
        """A read that started after a write completed returns."""
        return any(must > 0 for must, _ in self._reads(c))
