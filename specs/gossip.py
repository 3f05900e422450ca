"""Push gossip (rumour mongering): Demers et al., "Epidemic Algorithms for Replicated
Database Maintenance" (PODC 1987), section 3 ("Rumor Mongering"), with the bounded
fanout of the article's ``GossipNode``: a node that learns a rumour for the first time
keeps it in its seen set and pushes it to ``fanout`` of its peers; a rumour it has
already seen it ignores.

Which peers is left to the checker: while a node still has a rumour to push it has a
``push_<peer>`` timer armed for every peer it has not yet pushed that rumour to, and each
firing pushes to that one peer, until the rumour has gone to ``fanout`` peers (the
article samples them at random; every sample, in every order, is explored).  A peer may
be the node the rumour came from, as in the article.  Client requests ``Originate``
inject ``rumours`` rumours (``r1``, ``r2``, ...), each at any one node the run chooses;
the ghost history records every rumour originated, with its payload.

Gossip integrity (no node holds a rumour that was never sent): every (rumour, payload)
any node holds was originated.  Messages travel over the network the run chooses
(unordered by default); ``--faults drop`` and ``--faults dup`` lose or repeat pushes,
which only delays or stops the spreading.  Seen sets are volatile: a node that crashes
forgets its rumours (and may learn them again).

Bug variant:

* ``corrupt-forward``: a relay re-encodes the payload when it forwards a rumour and
  drops its last character (an off-by-one in the forwarding buffer), so its peers learn
  a rumour nobody sent: with the defaults, found by BFS in 5 steps (originate, push,
  deliver, relay push, deliver).
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import invariants
from modelcheck import Param, SpecError, invariant, sometimes
from modelcheck.actors import Message, Protocol, cancel_timer, record, send, set_timer


class Node(NamedTuple):
    seen: frozenset  # the (rumour, payload) pairs this node holds
    pushing: tuple  # sorted (rumour, payload to forward, peers pushed to) still short of fanout


class Originate(Message):
    """Client request: start the rumour ``rumour`` with ``payload`` at the receiving node."""

    rumour: str
    payload: str


class Push(Message):
    """A node pushes a rumour it learned to one of its peers."""

    rumour: str
    payload: str


def _payload(k: int) -> str:
    return f"config v2.{k}"  # the article gossips "new config v2.1"


class Gossip(Protocol):
    """Push gossip with a fanout (Demers et al. 1987, section 3): gossip integrity."""

    name = "gossip"
    nodes = Param(3, "number of nodes", min=2, max=6)
    fanout = Param(2, "peers a node pushes each new rumour to (at most nodes - 1)", min=1, max=5)
    rumours = Param(1, "rumours injected by clients, each at a node of the run's choice (2: 161k states)", min=1, max=3)
    bugs = {"corrupt-forward": "a relay truncates the payload of every rumour it forwards"}

    messages = (Push,)

    def validate(self) -> None:
        if self.fanout > self.nodes - 1:
            raise SpecError(f"parameter fanout={self.fanout} of spec 'gossip' must be <= nodes - 1 "
                            f"= {self.nodes - 1}")
        # one push timer per peer: firing push_n2 is the choice "push to n2 next"
        self.timers = tuple(f"push_{p}" for p in self.node_names())

    def requests(self):
        return tuple(Originate(f"r{k}", _payload(k)) for k in range(1, self.rumours + 1))

    # -- handlers ----------------------------------------------------------------------

    def init(self, node: str) -> Node:
        return Node(frozenset(), ())

    def on_request(self, node: str, s: Node, req: Originate):
        result = self._learn(node, s, req.rumour, req.payload, req.payload)
        if result is None:
            return None
        s, effects = result
        return s, [record((req.rumour, req.payload))] + effects

    def on_message(self, node: str, s: Node, src: str, msg: Push):
        forward = msg.payload[:-1] if self.bug == "corrupt-forward" else msg.payload
        return self._learn(node, s, msg.rumour, msg.payload, forward)

    def on_timer(self, node: str, s: Node, timer: str):
        peer = timer[len("push_"):]
        effects = []
        pushing = []
        for rumour, payload, sent in s.pushing:
            if peer not in sent:
                effects.append(send(peer, Push(rumour, payload)))
                sent = sent | {peer}
            if len(sent) < self.fanout:
                pushing.append((rumour, payload, sent))
        s = s._replace(pushing=tuple(pushing))
        return s, effects + self._push_timers(node, s)

    # -- helpers -----------------------------------------------------------------------

    def _learn(self, node: str, s: Node, rumour: str, payload: str, forward: str):
        """First sight of a rumour: keep it and start pushing ``forward`` to fanout peers."""
        if (rumour, payload) in s.seen:
            return None
        s = Node(s.seen | {(rumour, payload)}, tuple(sorted(s.pushing + ((rumour, forward, frozenset()),))))
        return s, self._push_timers(node, s)

    def _push_timers(self, node: str, s: Node) -> list:
        """A push_<peer> timer armed exactly for the peers some rumour may still go to."""
        wanted = {p for _, _, sent in s.pushing for p in self.names if p != node and p not in sent}
        return [set_timer(f"push_{p}") if p in wanted else cancel_timer(f"push_{p}")
                for p in self.names if p != node]

    # -- properties --------------------------------------------------------------------

    @invariant
    def gossip_integrity(self, c) -> bool:
        """Every rumour a node holds was originated, with that payload (no rumour appears from nowhere)."""
        return invariants.gossip_integrity((r for _, s in self.node_states(c) for r in s.seen), c.ghost)

    def explain_gossip_integrity(self, c) -> str:
        return invariants.explain_gossip_integrity({n: s.seen for n, s in self.node_states(c)}, c.ghost)

    @sometimes
    def all_informed(self, c) -> bool:
        """Every node has learned some originated rumour."""
        return any(all(r in s.seen for _, s in self.node_states(c)) for r in c.ghost)
