"""A toy leader election written with the actor layer's wording, to exercise the viewers.

Three nodes time out, ask for votes and become leader with a majority; the nemesis
may crash and restart one node.  The bug: ``voted_for`` is not kept across a
restart, so a restarted node votes twice in one term and two leaders are elected
in the same term.  Action labels read like the actor layer's (``n1 timeout
election``, ``n2 <- RequestVote(term=1, from=n1)``, ``crash n2``), states hold
one record per node, the in-flight messages and the ghost history of leaders.
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import Param, Spec, invariant, sometimes


class Node(NamedTuple):
    term: int
    role: str  # follower | candidate | leader
    voted_for: str | None
    votes: frozenset


class State(NamedTuple):
    nodes: tuple[Node, ...]
    network: frozenset  # (kind, term, src, dst, granted)
    crashed: frozenset
    crashes: int
    leaders: frozenset  # ghost: every (term, node) ever elected


class Election(Spec):
    """Toy leader election; voted_for is lost on restart."""

    name = "toy-election"
    nodes = Param(3, "number of nodes", min=1, max=5)
    max_term = Param(1, "highest term a node may start")
    crashes = Param(1, "how many crashes the nemesis may cause")

    def names(self):
        return [f"n{i + 1}" for i in range(self.nodes)]

    def initial_states(self):
        node = Node(0, "follower", None, frozenset())
        return [State((node,) * self.nodes, frozenset(), frozenset(), 0, frozenset())]

    def successors(self, s: State):
        names = self.names()
        out = []
        for i, me in enumerate(names):
            n = s.nodes[i]
            if me in s.crashed:
                out.append((f"restart {me}", s._replace(
                    nodes=_put(s.nodes, i, Node(n.term, "follower", None, frozenset())),
                    crashed=s.crashed - {me})))
                continue
            if n.role != "leader" and n.term < self.max_term:
                asks = frozenset(("RequestVote", n.term + 1, me, peer, None) for peer in names if peer != me)
                out.append((f"{me} timeout election", s._replace(
                    nodes=_put(s.nodes, i, Node(n.term + 1, "candidate", me, frozenset({me}))),
                    network=s.network | asks)))
            if s.crashes < self.crashes:
                out.append((f"crash {me}", s._replace(crashed=s.crashed | {me}, crashes=s.crashes + 1)))
        for msg in sorted(s.network, key=repr):
            kind, term, src, dst, granted = msg
            j = names.index(dst)
            if dst in s.crashed:
                continue
            n, rest = s.nodes[j], s.network - {msg}
            if term > n.term:
                n = Node(term, "follower", None, frozenset())
            if kind == "RequestVote":
                grant = term == n.term and n.voted_for in (None, src)
                if grant:
                    n = n._replace(voted_for=src)
                label = f"{dst} <- RequestVote(term={term}, from={src})"
                reply = ("Vote", term, dst, src, grant)
                out.append((label, s._replace(nodes=_put(s.nodes, j, n), network=rest | {reply})))
            else:
                label = f"{dst} <- Vote(term={term}, from={src}, granted={granted})"
                leaders = s.leaders
                if n.role == "candidate" and term == n.term and granted:
                    n = n._replace(votes=n.votes | {src})
                    if 2 * len(n.votes) > self.nodes:
                        n = n._replace(role="leader")
                        leaders = leaders | {(term, dst)}
                out.append((label, s._replace(nodes=_put(s.nodes, j, n), network=rest, leaders=leaders)))
        return out

    @invariant
    def election_safety(self, s: State) -> bool:
        """At most one leader is elected in each term."""
        terms = [t for t, _ in s.leaders]
        return len(terms) == len(set(terms))

    def explain_election_safety(self, s: State) -> str:
        by_term: dict[int, list[str]] = {}
        for term, node in sorted(s.leaders):
            by_term.setdefault(term, []).append(node)
        return "\n".join(f"term {t}: {' and '.join(ns)} were both elected leader"
                         for t, ns in by_term.items() if len(ns) > 1)

    @sometimes
    def leader_elected(self, s: State) -> bool:
        """Some node becomes leader."""
        return any(n.role == "leader" for n in s.nodes)


def _put(nodes, i, node):
    return nodes[:i] + (node,) + nodes[i + 1:]
