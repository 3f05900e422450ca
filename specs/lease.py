"""Leases with a grace period under clock skew: Gray and Cheriton, "Leases: An Efficient
Fault-Tolerant Mechanism for Distributed File Cache Consistency" (SOSP 1989), sections 2
and 3 (a lease is a time-bounded grant; the server must allow for clock skew, epsilon, so
that it never grants a conflicting lease while a holder may still believe its lease
valid).  The seed article lists the same error as "Lease expiration without grace".

A lease ``server`` grants an exclusive lease to the clients ``n1 .. nN`` one at a time.
A client (on a client request ``Acquire``) sends ``Request`` to the server and starts its
own ``expire`` timer for ``lease`` ticks *at the moment it sends the request* (the
conservative rule of section 2: the term is measured from before the request, so message
delay only shortens the holder's view of it).  When ``Grant`` arrives before that timer
fired, the client holds the lease until the timer fires; a late ``Grant`` is ignored.
The server grants at once when free, else queues the requester; after granting it sets
its ``free`` timer for ``lease + grace`` ticks of its own clock, and when that fires it
grants to a queued client (the smallest name) or becomes free.

Time needs the timed mode of the fault model: a real-time ``tick`` moves each node's
clock by 0, 1 or 2 while keeping it within ``skew`` of real time (see
``modelcheck/actors/faults.py``).  This spec therefore defaults its fault model to
``skew=1`` (``Lease()`` == ``Lease(faults="skew=1")``; ``modelcheck explore lease``
without ``--faults`` uses it); give ``faults=`` explicitly for other skews.  Untimed runs
are refused (any timer could fire at any moment, so no lease could be safe).

Lease safety: at most one node holds a valid lease at any real time (every state is a
moment of real time, so a plain invariant).

How much grace is needed: a clock's offset may move from ``+D`` to ``-D`` while a term is
being measured, so the holder's ``lease`` ticks may last up to ``lease + 2D`` real ticks
and the server's ``lease + grace`` ticks as little as ``lease + grace - 2D``; the two
measurements may thus differ by ``4D`` (not only by the ``2D`` two clocks may disagree at
one instant, which suffices only when both start at the same clock reading).  Checked:
with ``skew=1`` and ``lease=2``, grace 0..4 are violated and ``grace=5`` (> 4D) holds;
with ``skew=0`` grace >= 1 holds (grace 0 lets the server's ``free`` and the holder's
``expire`` fall due at the same instant and fire in either order).

Crashes (``--faults skew=1,crash=1``): a node's state is volatile, so a restarted server
has forgotten whom it granted the lease and its queue.  Gray and Cheriton, section 2:
"When a server is recovering after crashing, it must honor the leases it granted before it
crashed"; the simple way they give is to remember the longest term granted and delay for
that long after recovering.  Here every term is ``lease + grace`` ticks of the server's
clock, so a *restarted* server holds the lease itself (``holder == "server"``) and sets its
``free`` timer for ``lease + grace`` ticks, queuing the requests that arrive meanwhile;
when it fires, it grants to a queued client or becomes free, as after any term.  The
server's wait starts after its crash, which came after every grant it made, so it ends
after the holder's term for the same reason as a term ended by ``free``.  To tell a
restart from the first start every node keeps one durable field, ``booted``, set at its
first start (the actor layer keeps the same durable fields for every role, so clients
have it too; a restarted client does nothing special).  It is true in every reachable
state, so without crashes the state counts are unchanged.  Checked: with ``crash=1`` the
defaults hold under ``skew=1`` (141,419 states) and ``skew=0``.

Bug variants:

* ``no-grace``: the server reuses the lease after ``lease`` ticks of its own clock (grace
  ignored, after a restart too); found under ``skew=1`` by BFS in 8 steps.
* ``no-recovery-wait``: a restarted server grants at once, having forgotten the lease it
  granted before the crash; not found without crashes (the rule only acts on a restart);
  found under ``skew=1,crash=1`` (and ``skew=0,crash=1``) by BFS in 8 steps: n1 holds the
  lease, the server crashes and restarts, and grants it to n2.
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import invariants
from modelcheck import Param, SpecError, invariant, sometimes
from modelcheck.actors import Message, Protocol, numbered, send, set_timer

SERVER = "server"
IDLE, WAITING, HOLDING, DONE = "idle", "waiting", "holding", "done"


class Client(NamedTuple):
    phase: str  # idle | waiting (request sent, term running) | holding | done (term over)
    booted: bool  # durable: started before (unused: every role has the same durable fields)


class Server(NamedTuple):
    holder: str  # the client granted the current lease, "server" while recovering, "" when free
    queue: frozenset  # clients whose request waits for the lease
    booted: bool  # durable: the server has started before, so a start is a restart


class Acquire(Message):
    """Client request: ``who`` asks the server for the lease."""

    who: str


class Request(Message):
    """Client -> server: grant me the lease."""


class Grant(Message):
    """Server -> client: the lease is yours (for ``lease`` ticks from your request)."""


class Lease(Protocol):
    """Leader leases with a grace period (Gray and Cheriton 1989): lease safety under skew."""

    name = "lease"
    default_faults = "skew=1"
    clients = Param(2, "number of clients competing for the lease", min=1, max=4)
    lease = Param(2, "lease term in ticks of the holder's clock", min=1, max=9)
    grace = Param(5, "extra ticks the server waits before reusing the lease (needs > 4*skew)",
                  min=0, max=20)
    bugs = {"no-grace": "the server reuses the lease after `lease` ticks, with no grace period",
            "no-recovery-wait": "a restarted server grants at once, forgetting its granted lease"}

    timers = ("expire", "free")
    durable = ("booted",)
    messages = (Request, Grant)


    def validate(self) -> None:
        if not self.faults.timed:
            raise SpecError("spec 'lease' needs a timed fault model (e.g. --faults skew=1): "
                            "a lease relies on clocks")

    def node_names(self):
        return (SERVER,) + numbered("n", self.clients)

    def requests(self):
        return tuple(Acquire(n) for n in self.node_names()[1:])

    # -- handlers ----------------------------------------------------------------------

    def init(self, node: str):
        return Server("", frozenset(), False) if node == SERVER else Client(IDLE, False)

    def on_start(self, node: str, s):
        if not s.booted:  # the first start: no lease was granted before it
            return s._replace(booted=True), []
        if node == SERVER and self.bug != "no-recovery-wait":
            # a restart (section 2): honour any lease granted before the crash by holding
            # the lease itself for the longest term the server grants
            return s._replace(holder=SERVER), [set_timer("free", self._term())]
        return s, []

    def on_request(self, node: str, s, req: Acquire):
        if node != req.who:
            return None
        return s._replace(phase=WAITING), [send(SERVER, Request()), set_timer("expire", self.lease)]

    def on_message(self, node: str, s, src: str, msg):
        if node == SERVER:
            if s.holder:  # a client's term, or the wait after a restart, is running
                return s._replace(queue=s.queue | {src}), []
            return self._grant(src, s.queue)
        if s.phase == WAITING:  # a Grant before the term ran out
            return s._replace(phase=HOLDING), []
        return None  # late Grant: the term measured from the request is over

    def on_timer(self, node: str, s, timer: str):
        if timer == "expire":
            return s._replace(phase=DONE), []
        if s.queue:  # "free": the lease may be reused
            nxt = min(s.queue)
            return self._grant(nxt, s.queue - {nxt})
        return Server("", s.queue, True), []

    def _term(self) -> int:
        """The server's term of a lease, in ticks of its own clock."""
        return self.lease + (0 if self.bug == "no-grace" else self.grace)

    def _grant(self, client: str, queue: frozenset):
        return Server(client, queue, True), [send(client, Grant()), set_timer("free", self._term())]

    # -- properties --------------------------------------------------------------------

    def holders(self, c) -> list[str]:
        return [n for n, s in self.node_states(c) if n != SERVER and s.phase == HOLDING]

    @invariant
    def lease_safety(self, c) -> bool:
        """At most one node holds a valid lease at any real time (Gray and Cheriton 1989)."""
        return invariants.lease_safety(self.holders(c))

    def explain_lease_safety(self, c) -> str:
        return invariants.explain_lease_safety(self.holders(c))

    @sometimes
    def lease_held(self, c) -> bool:
        """Some client holds the lease."""
        return bool(self.holders(c))

    @sometimes
    def lease_handed_over(self, c) -> bool:
        """A second client holds the lease after the first one's term ended."""
        return any(s.phase == HOLDING for n, s in self.node_states(c) if n != SERVER) and \
            any(s.phase == DONE for n, s in self.node_states(c) if n != SERVER)
