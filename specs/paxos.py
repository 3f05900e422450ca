"""Single-decree (Basic) Paxos: Lamport, "Paxos Made Simple" (2001), sections 2.2 and 2.3.

Proposers ``p1 .. pP`` and acceptors ``a1 .. aA`` exchange messages over the run's
network (unordered by default; a message may also never be delivered, which is how a
proposer "sends to some majority").  Each proposer owns disjoint ballot numbers:
``pi`` uses ``i, i + P, i + 2P, ...`` and may start at most ``ballots`` of them (its
``propose`` timer fires once per ballot; a later ballot abandons the earlier one).  Each
proposer's own input value is one of a small set (``values``: ``p1`` proposes ``v1``,
``p2`` proposes ``v2``, wrapping around).

Phase 1 (section 2.2, "Phase 1"): (a) a proposer selects ballot n and sends Prepare(n)
to the acceptors; (b) an acceptor that receives Prepare(n) with n greater than any
prepare it already responded to promises to accept no ballot below n and replies
Promise(n, vbal, vval) with the highest-numbered proposal it has accepted (0, "" if none).

Phase 2: (a) a proposer with promises for n from a majority of acceptors sends
Accept(n, v) where v is the value of the highest-numbered proposal among the promises,
or its own value if the promises report none; (b) an acceptor accepts Accept(n, v)
unless it has already responded to a prepare numbered greater than n.

Learning (section 2.3): a value is chosen when a majority of acceptors have accepted
it in the same ballot.  Every acceptance is kept in the ghost history as
``("accepted", ballot, value, acceptor)`` and every proposal sent in phase 2 as
``("proposed", ballot, value)``; the chosen values are derived from them, so "ever
chosen" is a plain invariant.  (No learner nodes are modelled: the ghost history plays
the distinguished learner that is told of every acceptance.)

Invariants: agreement (at most one value is chosen) and validity (only a value a
proposer proposed is chosen); ``value_chosen`` checks the model is not vacuous.

Bug variants (found by BFS at the default bounds, at which the correct spec is safe):

* ``ignore-promised-values``: in phase 2 a proposer always proposes its own value,
  ignoring the values reported in the promises; v1 is chosen in ballot 1, then p2's
  ballot 2 chooses v2 (14 steps).
* ``accept-lower-ballot``: an acceptor accepts Accept(n, v) even after promising a
  ballot above n; a stale Accept of ballot 1 reaches an acceptor that already promised
  ballot 2, so v1 is chosen in ballot 1 while p2, whose promises reported nothing,
  gets v2 chosen in ballot 2 (14 steps).
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import invariants
from modelcheck import Param, invariant, sometimes
from modelcheck.actors import Message, Protocol, is_majority, numbered, record, send, set_timer

IDLE, PREPARING, ACCEPTING = "idle", "preparing", "accepting"
NO_PROMISES: frozenset = frozenset()


class Proposer(NamedTuple):
    started: int  # how many ballots this proposer has started
    ballot: int  # its current ballot (0 before the first)
    phase: str  # idle | preparing (phase 1) | accepting (phase 2 sent)
    promises: frozenset  # phase 1: (acceptor, vbal, vval) of each promise for ballot
    value: str  # phase 2: the value it sent in Accept ("" before)


class Acceptor(NamedTuple):
    promised: int  # highest ballot it responded to (prepare or accept); 0: none
    vbal: int  # ballot of the proposal it accepted last; 0: none
    vval: str  # value of that proposal; "": none


class Prepare(Message):
    """Phase 1a: the proposer (sender) asks for promises for ``ballot``."""

    ballot: int


class Promise(Message):
    """Phase 1b: the acceptor (sender) promises ``ballot`` and reports its last accepted proposal."""

    ballot: int
    vbal: int
    vval: str


class Accept(Message):
    """Phase 2a: the proposer (sender) asks the acceptors to accept ``value`` in ``ballot``."""

    ballot: int
    value: str


class Paxos(Protocol):
    """Single-decree Paxos (Paxos Made Simple, 2.2-2.3): agreement and validity."""

    name = "paxos"
    proposers = Param(2, "number of proposers", min=1, max=5)
    acceptors = Param(3, "number of acceptors", min=1, max=7)
    ballots = Param(1, "ballots each proposer may start (ballot numbers up to proposers * ballots)",
                    min=1, max=5)
    values = Param(2, "distinct input values: proposer pi proposes v((i-1) mod values + 1)", min=1, max=5)
    bugs = {
        "ignore-promised-values": "a proposer ignores the values reported in promises and proposes its own",
        "accept-lower-ballot": "an acceptor accepts a ballot lower than the one it promised",
    }

    timers = ("propose",)
    # Acceptors must keep promised/vbal/vval across a crash (2.2), but the actor layer keeps
    # one list of durable fields for every node and proposers and acceptors differ, so
    # crash faults are refused rather than checked wrongly.
    durable = ()
    messages = (Prepare, Promise, Accept)
    crashes_unsupported = "acceptor state must be durable"

    def node_names(self):
        return (numbered("p", self.proposers)
                + numbered("a", self.acceptors))

    def symmetry(self):
        """The acceptors are interchangeable (``--symmetry``); the proposing nodes are not,
        each owning its ballots and values."""
        return (self._acceptor_names,)

    def validate(self) -> None:
        self._acceptor_names = numbered("a", self.acceptors)

    def input_value(self, proposer: str) -> str:
        """The value a proposer proposes when the promises report none."""
        return f"v{(int(proposer[1:]) - 1) % self.values + 1}"

    def is_proposer(self, node: str) -> bool:
        return node[0] == "p"

    # -- handlers --------------------------------------------------------------------

    def init(self, node: str):
        if self.is_proposer(node):
            return Proposer(0, 0, IDLE, NO_PROMISES, "")
        return Acceptor(0, 0, "")

    def on_start(self, node: str, s):
        if self.is_proposer(node) and s.started < self.ballots:
            return s, [set_timer("propose")]
        return s, ()

    def on_timer(self, node: str, s: Proposer, timer: str):
        # Phase 1a: a new ballot of this proposer's own, Prepare to every acceptor.
        if s.started >= self.ballots:
            return None
        ballot = s.started * self.proposers + int(node[1:])
        started = s.started + 1
        effects = [send(a, Prepare(ballot)) for a in self._acceptor_names]
        if started < self.ballots:
            effects.append(set_timer("propose"))
        return Proposer(started, ballot, PREPARING, NO_PROMISES, ""), effects

    def on_message(self, node: str, s, src: str, msg):
        cls = msg.__class__
        if cls is Prepare:  # Phase 1b
            if msg.ballot <= s.promised:
                return None
            return (Acceptor(msg.ballot, s.vbal, s.vval),
                    [send(src, Promise(msg.ballot, s.vbal, s.vval))])
        if cls is Accept:  # Phase 2b
            if msg.ballot < s.promised and self.bug != "accept-lower-ballot":
                return None
            promised = max(s.promised, msg.ballot)
            return (Acceptor(promised, msg.ballot, msg.value),
                    [record(("accepted", msg.ballot, msg.value, node))])
        # Promise, at a proposer: counts only for its current ballot while in phase 1
        if s.phase != PREPARING or msg.ballot != s.ballot:
            return None
        promises = s.promises | {(src, msg.vbal, msg.vval)}
        if not is_majority(promises, self.acceptors):
            return s._replace(promises=promises), ()
        # Phase 2a: the value of the highest-numbered proposal reported, else its own
        vbal, vval = max((vb, vv) for _, vb, vv in promises)
        value = vval if vbal and self.bug != "ignore-promised-values" else self.input_value(node)
        effects = [send(a, Accept(s.ballot, value)) for a in self._acceptor_names]
        effects.append(record(("proposed", s.ballot, value)))
        return Proposer(s.started, s.ballot, ACCEPTING, NO_PROMISES, value), effects

    # -- properties ------------------------------------------------------------------

    def chosen(self, c) -> dict[str, int]:
        """The chosen values, each with the lowest ballot in which a majority accepted it."""
        return invariants.chosen_by_majority(
            ((item[1], item[2]) for item in c.ghost if item[0] == "accepted"), self.acceptors)

    @invariant
    def agreement(self, c) -> bool:
        """At most one value is chosen (Paxos Made Simple 2.1, safety)."""
        return invariants.agreement(self.chosen(c))

    def explain_agreement(self, c) -> str:
        return invariants.explain_agreement(self.chosen(c))

    @invariant
    def validity(self, c) -> bool:
        """Only a value that has been proposed may be chosen."""
        return invariants.validity(self.chosen(c), (item[2] for item in c.ghost if item[0] == "proposed"))

    @sometimes
    def value_chosen(self, c) -> bool:
        """Some value is chosen."""
        return bool(self.chosen(c))
