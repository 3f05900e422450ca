"""Multi-Paxos: Lamport, "Paxos Made Simple" (2001), section 3 "Implementing a State
Machine", with the separate leader and acceptor roles of van Renesse and Altinbuken,
"Paxos Made Moderately Complex" (ACM Computing Surveys 2015; PMMC below).

The state machine's commands go into a log of ``slots`` slots, one instance of Paxos
per slot.  Leaders ``l1 .. lL`` and acceptors ``a1 .. aA`` exchange messages over the
run's network (unordered by default).  Leader ``li`` owns ballots ``i, i + L, ...`` and
may start at most ``ballots`` of them (its ``propose`` timer fires once per ballot).
Clients submit ``values`` distinct commands ``v1 .. vV``, each once; command ``vk`` goes
to leader ``l((k - 1) mod L + 1)`` (each leader gets its own commands, so the model does not
also branch on which leader a command reaches), which takes it once it is active.  The
model is a log of client commands; executing them on a state machine adds nothing to safety.

Phase 1, once per ballot for every slot at once (section 3: one proposal number serves
all instances, so phase 1 for infinitely many instances is one short message; PMMC's
scout): the leader sends Prepare(b) to every acceptor; an acceptor that has promised
nothing at or above b promises b and replies Promise(b, accepted) with the (slot,
ballot, value) it last accepted in each slot.

Recovery (section 3, a new leader taking over; PMMC's pmax on adoption): once promises
from a majority arrive the leader is active.  For every slot up to the highest slot any
promise reports, it re-proposes the value of the highest-ballot proposal reported for
that slot, or the no-op command ``noop`` to fill a gap, and puts the next client
commands after them.

Phase 2 only, per slot (the stable leader; PMMC's commander): an active leader puts each
client command it receives into its next free slot and sends Accept(b, slot, v) to every
acceptor, with no further phase 1.  An acceptor accepts unless it has promised a ballot
above b.

Learning: a value is chosen for a slot when a majority of acceptors accepted it there
in one ballot.  The ghost history keeps every acceptance as ``("accepted", slot, ballot,
value, acceptor)`` and every phase 2a proposal as ``("proposed", slot, ballot, value)``
(no learner or replica nodes: the ghost plays the learner, as in specs/paxos.py).  Not
modelled: Preempted/nack messages (a leader simply starts its next ballot on its timer),
replicas re-submitting a command that lost its slot, and crashes (refused, as in
specs/paxos.py: acceptor state must be durable but the actor layer keeps one durable
field list for both roles).

Invariants, per slot, from modelcheck.invariants.consensus: agreement (at most one value
chosen in each slot) and validity (only a value proposed in a slot is chosen there);
``every_slot_chosen`` and ``recovered`` (a later ballot re-proposes a slot's value) show
the model is not vacuous.

Bug variant (found by BFS at the default bounds, at which the correct spec is safe):

* ``skip-recovery``: a new leader ignores the proposals reported in the promises and
  puts client commands from slot 1 on; v1 is chosen in slot 1 under l1's ballot 1, then
  l2's ballot 2 chooses v2 in slot 1 (16 steps, no faults).
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from modelcheck import invariants
from modelcheck import Param, invariant, sometimes
from modelcheck.actors import Message, Protocol, is_majority, numbered, record, send, set_timer

IDLE, PREPARING, ACTIVE = "idle", "preparing", "active"
NOOP = "noop"
NO_PROMISES: frozenset = frozenset()


class Leader(NamedTuple):
    started: int  # how many ballots this leader has started
    ballot: int  # its current ballot (0 before the first)
    phase: str  # idle | preparing (phase 1 sent) | active (adopted: phase 2 only)
    promises: frozenset  # phase 1: (acceptor, accepted) of each promise for ballot
    next_slot: int  # active: the slot its next client command goes to (slots + 1: log full)


class Acceptor(NamedTuple):
    promised: int  # highest ballot it responded to (prepare or accept); 0: none
    accepted: tuple  # (slot, ballot, value) of the last proposal it accepted in each slot, by slot


class Request(Message):
    """Client command: put ``value`` into the log."""

    value: str


class Prepare(Message):
    """Phase 1a: the leader (sender) asks for promises for ``ballot``, for every slot."""

    ballot: int


class Promise(Message):
    """Phase 1b: the acceptor (sender) promises ``ballot`` and reports the (slot, ballot,
    value) it last accepted in each slot (PMMC's pvalues; empty when it accepted nothing)."""

    ballot: int
    accepted: tuple


class Accept(Message):
    """Phase 2a: the leader (sender) asks the acceptors to accept ``value`` in ``slot`` in ``ballot``."""

    ballot: int
    slot: int
    value: str


def recover(reports: Iterable[tuple]) -> tuple[str, ...]:
    """The values a new leader must re-propose, slot 1 on: for each slot up to the highest
    slot any report names, the value of the highest-ballot proposal reported there, else
    ``noop`` for a gap (Paxos Made Simple section 3; PMMC's pmax).  ``reports`` holds the
    ``accepted`` (slot, ballot, value) items of every promise."""
    best: dict[int, tuple[int, str]] = {}
    for accepted in reports:
        for slot, ballot, value in accepted:
            best[slot] = max(best.get(slot, (0, NOOP)), (ballot, value))
    return tuple(best.get(slot, (0, NOOP))[1] for slot in range(1, max(best, default=0) + 1))


class MultiPaxos(Protocol):
    """Multi-Paxos (Paxos Made Simple, section 3): agreement and validity in every slot."""

    name = "multipaxos"
    leaders = Param(2, "number of leaders (distinguished proposers)", min=1, max=4)
    acceptors = Param(3, "number of acceptors", min=1, max=5)
    slots = Param(2, "log slots", min=1, max=4)
    ballots = Param(1, "ballots each leader may start (ballot numbers up to leaders * ballots; "
                       "2: 680k+ states)", min=1, max=4)
    values = Param(2, "client commands v1 .. vV, vk submitted once to leader l((k-1) mod leaders + 1) "
                      "(3: 650k+ states)", min=1, max=4)
    bugs = {
        "skip-recovery": "a new leader skips recovery: it proposes fresh commands in slots that may "
                         "already hold a chosen value",
    }

    timers = ("propose",)
    durable = ()  # crashes are refused (crashes_unsupported)
    messages = (Prepare, Promise, Accept)
    # acceptors must keep their promises and votes across a crash, proposers differ, and the
    # layer has one list of durable fields for every node: refused rather than checked wrongly
    crashes_unsupported = "acceptor state must be durable"

    def node_names(self):
        return (numbered("l", self.leaders)
                + numbered("a", self.acceptors))

    def symmetry(self):
        """The acceptors are interchangeable (``--symmetry``); the proposing nodes are not,
        each owning its ballots and values."""
        return (self._acceptor_names,)

    def validate(self) -> None:
        self._acceptor_names = numbered("a", self.acceptors)

    def requests(self):
        return tuple(Request(f"v{k}") for k in range(1, self.values + 1))

    def leader_of(self, value: str) -> str:
        """The leader a client submits command ``vk`` to: ``l((k-1) mod leaders + 1)``."""
        return f"l{(int(value[1:]) - 1) % self.leaders + 1}"

    def is_leader(self, node: str) -> bool:
        return node[0] == "l"

    # -- handlers --------------------------------------------------------------------

    def init(self, node: str):
        if self.is_leader(node):
            return Leader(0, 0, IDLE, NO_PROMISES, 1)
        return Acceptor(0, ())

    def on_start(self, node: str, s):
        if self.is_leader(node) and s.started < self.ballots:
            return s, [set_timer("propose")]
        return s, ()

    def on_timer(self, node: str, s: Leader, timer: str):
        # Phase 1a for every slot at once: a new ballot of this leader's own.
        if s.started >= self.ballots:
            return None
        ballot = s.started * self.leaders + int(node[1:])
        started = s.started + 1
        effects = [send(a, Prepare(ballot)) for a in self._acceptor_names]
        if started < self.ballots:
            effects.append(set_timer("propose"))
        return Leader(started, ballot, PREPARING, NO_PROMISES, 1), effects

    def on_request(self, node: str, s, req: Request):
        # Phase 2a only (the stable leader): the command goes to the next free slot.
        if node != self.leader_of(req.value) or s.phase != ACTIVE or s.next_slot > self.slots:
            return None
        return s._replace(next_slot=s.next_slot + 1), self._propose(s.ballot, s.next_slot, req.value)

    def on_message(self, node: str, s, src: str, msg):
        cls = msg.__class__
        if cls is Prepare:  # Phase 1b
            if msg.ballot <= s.promised:
                return None
            return Acceptor(msg.ballot, s.accepted), [send(src, Promise(msg.ballot, s.accepted))]
        if cls is Accept:  # Phase 2b
            if msg.ballot < s.promised:
                return None
            accepted = tuple(sorted([p for p in s.accepted if p[0] != msg.slot]
                                    + [(msg.slot, msg.ballot, msg.value)]))
            return (Acceptor(msg.ballot, accepted),
                    [record(("accepted", msg.slot, msg.ballot, msg.value, node))])
        # Promise, at a leader: counts only for its current ballot while in phase 1
        if s.phase != PREPARING or msg.ballot != s.ballot:
            return None
        promises = s.promises | {(src, msg.accepted)}
        if not is_majority(promises, self.acceptors):
            return s._replace(promises=promises), ()
        # Adopted: recover every slot the promises report, then phase 2 only.
        if self.bug == "skip-recovery":
            recovered = ()
        else:
            recovered = recover(accepted for _, accepted in promises)
        effects = []
        for slot, value in enumerate(recovered, 1):
            effects += self._propose(s.ballot, slot, value)
        return Leader(s.started, s.ballot, ACTIVE, NO_PROMISES, len(recovered) + 1), effects

    def _propose(self, ballot: int, slot: int, value: str) -> list:
        """Phase 2a for one slot: Accept to every acceptor, and the proposal in the ghost."""
        effects = [send(a, Accept(ballot, slot, value)) for a in self._acceptor_names]
        effects.append(record(("proposed", slot, ballot, value)))
        return effects

    # -- properties ------------------------------------------------------------------

    def chosen(self, c) -> dict[int, dict[str, int]]:
        """Per slot (those with a chosen value), the chosen values, each with the lowest
        ballot in which a majority of acceptors accepted it there."""
        by_slot: dict[int, list] = {}
        for item in c.ghost:
            if item[0] == "accepted":
                by_slot.setdefault(item[1], []).append((item[2], item[3]))
        out = {}
        for slot, accepted in sorted(by_slot.items()):
            chosen = invariants.chosen_by_majority(accepted, self.acceptors)
            if chosen:
                out[slot] = chosen
        return out

    def proposed(self, c, slot: int) -> set:
        return {item[3] for item in c.ghost if item[0] == "proposed" and item[1] == slot}

    @invariant
    def agreement(self, c) -> bool:
        """No two different values are chosen for the same slot (Paxos Made Simple, section 3)."""
        return all(invariants.agreement(chosen) for chosen in self.chosen(c).values())

    def explain_agreement(self, c) -> str:
        return "\n".join(f"slot {slot}: {invariants.explain_agreement(chosen)}"
                         for slot, chosen in self.chosen(c).items() if not invariants.agreement(chosen))

    @invariant
    def validity(self, c) -> bool:
        """Only a value proposed for a slot (phase 2a) is chosen there."""
        return all(invariants.validity(chosen, self.proposed(c, slot))
                   for slot, chosen in self.chosen(c).items())

    @sometimes
    def every_slot_chosen(self, c) -> bool:
        """Every slot of the log has a chosen value."""
        return len(self.chosen(c)) == self.slots

    @sometimes
    def recovered(self, c) -> bool:
        """A new leader re-proposed a value proposed in the same slot under an earlier ballot."""
        first: dict = {}
        for item in c.ghost:
            if item[0] == "proposed":
                key = (item[1], item[3])
                if first.setdefault(key, item[2]) != item[2]:
                    return True
        return False
