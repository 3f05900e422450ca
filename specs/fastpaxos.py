"""Fast Paxos: Lamport, "Fast Paxos", Distributed Computing 19(2), 2006, sections 2 and 3.

Nodes: one coordinator ``c``, proposers ``p1 .. pP`` and acceptors ``a1 .. aN``, over the
run's network (unordered by default).  The coordinator starts round 1 at once and may
start rounds ``2 .. rounds`` in order, each once the previous round's phase 2a is sent
(its ``round`` timer; a later round abandons the earlier one).  Odd rounds are fast and
even rounds classic, so the default ``rounds=2`` is a fast round followed by a classic
round that can recover from a collision.  Proposer ``pi`` proposes one value (``v1``,
``v2``, ... wrapping around ``values``) and sends Propose(v) to every acceptor at once
(a delay before sending is a delay in the network).  In a classic round in which the rule
leaves it free and no vote was reported, the coordinator proposes ``v1`` itself, as a
Basic Paxos proposer proposes its own value.

Quorums (section 3, the Quorum Requirement): with N acceptors, a classic quorum has
``C = N // 2 + 1`` acceptors and a fast quorum the fewest ``F`` such that any classic quorum
and any two fast quorums intersect, ``C + 2F > 2N`` (and any three fast quorums,
``3F > 2N``): N=3 gives C=2, F=3; N=4 gives C=3, F=3.  Round r uses its own size,
``quorum(r)``, for phase 1 and for choosing.

Rounds (section 2 for the phases, section 3 for fast rounds):

* 1a: the coordinator starts round i and sends Prepare(i) to every acceptor.
* 1b: an acceptor with rnd < i sets rnd = i and replies Promise(i, vrnd, vval).
* 2a: with promises for i from quorum(i) acceptors the coordinator applies the rule
  below.  If it is free to pick any value, in a fast round it sends Any(i) to every
  acceptor, and in a classic round Accept(i, v) with v the least value reported (else
  its own).  Otherwise it sends Accept(i, v) for the value the rule forces, in either
  kind of round.
* 2b: an acceptor with rnd <= i that has not voted in round i votes for Accept(i, v);
  Any(i) only moves it to round i in fast mode, after which it votes for the first
  Propose(v) it receives (a proposer's value, straight to the acceptors).  Any other
  Propose is ignored (consumed).

The coordinator's rule (section 3.3): let Q be the quorum of promises, k the highest vrnd
reported and V the values reported with vrnd = k.  If k = 0 the coordinator is free.  If V
is a single value it picks it.  Otherwise (k was a fast round with a collision) it picks v
in V if O4(v): some k-quorum R has every acceptor of R and Q reporting (k, v); in sizes,
at least ``quorum(k) + |Q| - N`` of Q report (k, v) (:func:`fast_recovery_votes`).  If no
value passes, it is free.  Two values can pass only when the Quorum Requirement fails; the
coordinator then takes the least.

Learning: every vote is kept in the ghost history as ``("accepted", round, value,
acceptor)`` and every proposal as ``("proposed", value)``; a value is chosen in round r
when quorum(r) acceptors voted for it in r (``chosen_by_quorum`` with the fast size for
fast rounds and the classic size for classic rounds).

Invariants: agreement (at most one value is chosen) and validity (only a proposed value
is chosen).  ``chosen_in_fast_round`` and ``recovered_after_collision`` (a value chosen in
a classic round after two values were voted for in an earlier fast round) must be
reached, so the model is not vacuous.

Crash faults are refused (as in ``paxos``): acceptor state must survive a crash but the
actor layer keeps one list of durable fields for every node, and the nodes differ.

Bug variant (found by BFS at the default bounds, at which the correct spec is safe):

* ``majority-fast-quorum``: fast quorums are simple majorities (2 of 3), so a classic
  quorum and two fast quorums need not intersect.  In fast round 1, a2 and a3 vote for
  v2 (chosen) and a1 for v1; round 2's promises from a1 and a2 report both values, each
  passing O4, and the coordinator, taking the least, gets v1 chosen in round 2 (17 steps,
  no faults).
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import invariants
from modelcheck import Param, invariant, sometimes
from modelcheck.actors import Message, Protocol, majority, numbered, record, send, set_timer
from modelcheck.actors.quorum import fast_quorum, fast_recovery_votes

IDLE, PREPARING, ACCEPTING = "idle", "preparing", "accepting"
COORDINATOR_VALUE = "v1"  # what the coordinator proposes in a classic round when it is free
NOTHING: frozenset = frozenset()


# -- quorum arithmetic (generic; a candidate for modelcheck/actors/quorum.py) -------------

# -- nodes and messages ----------------------------------------------------------------

class Coordinator(NamedTuple):
    started: int  # rounds started so far; crnd = started
    phase: str  # idle | preparing (1a sent) | accepting (2a sent)
    promises: frozenset  # phase 1: (acceptor, vrnd, vval) of each promise for the current round


class Proposer(NamedTuple):
    value: str  # the value it proposes, to every acceptor when it starts


class Acceptor(NamedTuple):
    rnd: int  # highest round it joined; 0: none
    vrnd: int  # round of its last vote; 0: none
    vval: str  # value of its last vote; "": none
    fast: bool  # it received Any(rnd): it votes for the first proposal it receives


class Prepare(Message):
    """Phase 1a: the coordinator starts ``round``."""

    round: int


class Promise(Message):
    """Phase 1b: the acceptor (sender) joins ``round`` and reports its last vote."""

    round: int
    vrnd: int
    vval: str


class Any(Message):
    """Phase 2a "any" (section 3): in fast ``round`` the acceptors may vote for any proposer's value."""

    round: int


class Accept(Message):
    """Phase 2a: the coordinator asks the acceptors to vote for ``value`` in ``round``."""

    round: int
    value: str


class Propose(Message):
    """A proposer's value, sent straight to the acceptors (voted for in fast rounds)."""

    value: str


class FastPaxos(Protocol):
    """Fast Paxos (Lamport 2006, 2-3): fast and classic rounds, recovery from collisions."""

    name = "fastpaxos"
    proposers = Param(2, "number of proposers", min=1, max=4)
    acceptors = Param(3, "number of acceptors", min=1, max=6)
    rounds = Param(2, "rounds the coordinator may start; odd rounds are fast, even rounds classic",
                   min=1, max=4)
    values = Param(2, "distinct values: proposer pi proposes v((i-1) mod values + 1)", min=1, max=4)
    bugs = {
        "majority-fast-quorum": "fast quorums are simple majorities, so a classic quorum and two fast "
                                "quorums may not intersect",
    }

    timers = ("round",)
    durable = ()  # crash faults are refused (crashes_unsupported)
    messages = (Prepare, Promise, Any, Accept, Propose)
    # acceptors must keep their promises and votes across a crash, proposers differ, and the
    # layer has one list of durable fields for every node: refused rather than checked wrongly
    crashes_unsupported = "acceptor state must be durable"

    def node_names(self):
        return (("c",) + numbered("p", self.proposers)
                + numbered("a", self.acceptors))

    def symmetry(self):
        """The acceptors are interchangeable (``--symmetry``); the proposing nodes are not,
        each owning its ballots and values."""
        return (self._acceptor_names,)

    def validate(self) -> None:
        n = self.acceptors
        self.classic_size = majority(n)
        self.fast_size = majority(n) if self.bug == "majority-fast-quorum" else fast_quorum(n, majority(n))
        self._acceptor_names = numbered("a", n)
        self._chosen: dict = {}

    def is_fast(self, rnd: int) -> bool:
        """Odd rounds are fast, even rounds classic."""
        return rnd % 2 == 1

    def quorum(self, rnd: int) -> int:
        """The quorum size of round ``rnd``."""
        return self.fast_size if self.is_fast(rnd) else self.classic_size

    # -- handlers --------------------------------------------------------------------

    def init(self, node: str):
        if node == "c":
            return Coordinator(0, IDLE, NOTHING)
        if node[0] == "p":
            return Proposer(f"v{(int(node[1:]) - 1) % self.values + 1}")
        return Acceptor(0, 0, "", False)

    def on_start(self, node: str, s):
        # The coordinator starts round 1 and each proposer sends its value at once: a delay
        # before sending is already a delay in the network.
        if node == "c":
            return self.phase1a(s)
        if node[0] == "p":
            effects = [send(a, Propose(s.value)) for a in self._acceptor_names]
            return s, effects + [record(("proposed", s.value))]
        return s, ()

    def on_timer(self, node: str, s: Coordinator, timer: str):
        return self.phase1a(s) if s.started < self.rounds else None

    def phase1a(self, s: Coordinator):
        """The coordinator starts its next round: Prepare to every acceptor."""
        rnd = s.started + 1
        return Coordinator(rnd, PREPARING, NOTHING), [send(a, Prepare(rnd)) for a in self._acceptor_names]

    def on_message(self, node: str, s, src: str, msg):
        cls = msg.__class__
        if node == "c":
            return self.coordinate(s, src, msg)
        if cls is Prepare:  # Phase 1b
            if msg.round <= s.rnd:
                return None
            return (Acceptor(msg.round, s.vrnd, s.vval, False),
                    [send(src, Promise(msg.round, s.vrnd, s.vval))])
        if cls is Accept:  # Phase 2b, classic
            if msg.round < s.rnd or s.vrnd == msg.round:
                return None
            return self.vote(node, msg.round, msg.value)
        if cls is Any:  # Phase 2a "any" received: wait for a proposal in this round
            if msg.round < s.rnd or s.vrnd == msg.round:
                return None
            return Acceptor(msg.round, s.vrnd, s.vval, True), ()
        # Propose: Phase 2b of a fast round (section 3), when in fast mode and not yet voted in this round
        if not s.fast or s.vrnd == s.rnd:
            return None
        return self.vote(node, s.rnd, msg.value)

    def vote(self, node: str, rnd: int, value: str):
        return Acceptor(rnd, rnd, value, False), [record(("accepted", rnd, value, node))]

    def coordinate(self, s: Coordinator, src: str, msg):
        # Promise: counts only for the current round while in phase 1
        if s.phase != PREPARING or msg.round != s.started:
            return None
        promises = s.promises | {(src, msg.vrnd, msg.vval)}
        if len(promises) < self.quorum(s.started):
            return s._replace(promises=promises), ()
        value = self.pick(promises)
        if value is not None:
            return self.phase2a(s, Accept(s.started, value))
        if self.is_fast(s.started):
            return self.phase2a(s, Any(s.started))
        reported = [vval for _, vrnd, vval in promises if vrnd]
        if reported:  # a collision with no value forced: any proposed value; the least reported
            return self.phase2a(s, Accept(s.started, min(reported)))
        return self.phase2a(s, Accept(s.started, COORDINATOR_VALUE), record(("proposed", COORDINATOR_VALUE)))

    def phase2a(self, s: Coordinator, msg: Message, *effects):
        """Send ``msg`` (Any or Accept) to every acceptor; the next round may start after this one's 2a."""
        effects = [send(a, msg) for a in self._acceptor_names] + list(effects)
        if s.started < self.rounds:
            effects.append(set_timer("round"))
        return Coordinator(s.started, ACCEPTING, NOTHING), effects

    def pick(self, promises: frozenset) -> str | None:
        """The value the rule of section 3.3 forces on the coordinator, or None when it is free."""
        k = max(vrnd for _, vrnd, _ in promises)
        if k == 0:
            return None
        reported = [vval for _, vrnd, vval in promises if vrnd == k]
        if len(set(reported)) == 1:
            return reported[0]
        need = fast_recovery_votes(self.acceptors, self.quorum(k), len(promises))
        passing = sorted(v for v in set(reported) if reported.count(v) >= need)
        return passing[0] if passing else None

    # -- properties ------------------------------------------------------------------

    def votes(self, c) -> list[tuple[int, str]]:
        """Every vote, as (round, value), once per acceptor that cast it."""
        return [(item[1], item[2]) for item in c.ghost if item[0] == "accepted"]

    def chosen_by_kind(self, c) -> tuple[dict[str, int], dict[str, int]]:
        """The values chosen in fast rounds (by a fast quorum) and in classic rounds (by a
        classic quorum), each with its lowest such round.  Cached per ghost history: many
        states share one, and the invariants read it in every state."""
        found = self._chosen.get(c.ghost)
        if found is None:
            votes = self.votes(c)
            found = (invariants.chosen_by_quorum((v for v in votes if self.is_fast(v[0])), self.fast_size),
                     invariants.chosen_by_quorum((v for v in votes if not self.is_fast(v[0])),
                                                 self.classic_size))
            self._chosen[c.ghost] = found
        return found

    def chosen(self, c) -> dict[str, int]:
        """The chosen values, each with the lowest round in which a quorum of that round voted for it."""
        fast, classic = self.chosen_by_kind(c)
        both = dict(classic)
        for v, r in fast.items():
            both[v] = min(r, both.get(v, r))
        return both

    @invariant
    def agreement(self, c) -> bool:
        """At most one value is chosen (Fast Paxos 2.1, consistency)."""
        return invariants.agreement(self.chosen(c))

    def explain_agreement(self, c) -> str:
        return invariants.explain_agreement(self.chosen(c), "round")

    @invariant
    def validity(self, c) -> bool:
        """Only a value that some proposer proposed may be chosen (Fast Paxos 2.1, nontriviality)."""
        return invariants.validity(self.chosen(c), (item[1] for item in c.ghost if item[0] == "proposed"))

    @sometimes
    def chosen_in_fast_round(self, c) -> bool:
        """A value is chosen in a fast round (by a fast quorum)."""
        return bool(self.chosen_by_kind(c)[0])

    @sometimes
    def recovered_after_collision(self, c) -> bool:
        """A value is chosen in a classic round after a collision (votes for two values) in an
        earlier fast round."""
        votes = self.votes(c)
        collided = [r for r in {r for r, _ in votes} if self.is_fast(r)
                    and len({v for rr, v in votes if rr == r}) > 1]
        if not collided:
            return False
        return any(r > min(collided) for r in self.chosen_by_kind(c)[1].values())
