"""Delivery semantics: how the messages in flight are kept and which may be delivered next.

Both networks are immutable values inside the global state, kept sorted so that the
successor order is the same in every process (replay re-executes transitions by
their index), and both hold *envelopes* ``(src, dst, msg)``.

* :class:`Unordered` is a multiset ("bag", as in the TLA+ Raft spec): a sorted tuple
  of envelopes in which equal envelopes repeat.  Any envelope may be delivered next and
  delivery consumes one copy.  A multiset rather than a set, so that a protocol which
  sends the same message twice really has two in flight (a set would silently merge
  them and hide exactly-once bugs).  Equal copies are delivered by one transition only.
* :class:`Fifo` keeps one queue per directed link, ``(src, dst, (m1, m2, ...))`` sorted
  by link; only the head of a queue may be delivered (TCP, as Zab assumes).

The fault ``drop`` loses any one message in flight (for FIFO, any position of a
queue, so later messages overtake the lost one); ``dup`` is applied by the protocol
layer (a delivery that leaves the message in flight).  Under ``dup`` equal copies are
kept once (``unique=True``): two copies of a message that may be delivered again anyway
allow exactly the same behaviours as one, and without this every duplicated request
would add one more reply copy and the state space would be infinite.  The unordered
network is then a set (Stateright's ``UnorderedDuplicating``); a FIFO queue collapses
equal neighbours.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, Iterator

__all__ = ["Unordered", "Fifo", "network_for"]

# Envelopes are plain tuples: named records (a tuple subclass) cost 10% of raft-election's
# throughput, measured, and the action labels already say who sent what to whom.


class Unordered:
    """Any in-flight message may be delivered next; a sorted tuple of envelopes (a multiset,
    or a set when ``unique``)."""

    name = "unordered"
    empty: tuple = ()

    def __init__(self, unique: bool = False) -> None:
        self.unique = unique

    def add(self, net: tuple, envelopes: list) -> tuple:
        if len(envelopes) == 1:
            env = envelopes[0]
            i = bisect_right(net, env)
            if self.unique and i and net[i - 1] == env:
                return net
            return net[:i] + (env,) + net[i:]
        if self.unique:
            return tuple(sorted(set(net).union(envelopes)))
        merged = list(net)
        merged += envelopes
        merged.sort()
        return tuple(merged)

    @staticmethod
    def deliverable(net: tuple) -> Iterator[tuple[Any, Any, Any, int]]:
        """Each distinct envelope once, with its position: ``(src, dst, msg, position)``."""
        prev = None
        for i, env in enumerate(net):
            if env != prev:
                prev = env
                yield env[0], env[1], env[2], i

    @staticmethod
    def consume(net: tuple, position: int) -> tuple:
        return net[:position] + net[position + 1:]

    # in a bag, any message may be lost: the same positions as delivery
    losable = deliverable
    lose = consume

    @staticmethod
    def in_flight(net: tuple) -> Iterator[tuple[Any, Any, Any]]:
        return iter(net)


class Fifo:
    """Messages on one directed link arrive in the order sent; ``(src, dst, queue)`` per link
    (equal neighbours in a queue collapse when ``unique``)."""

    name = "fifo"
    empty: tuple = ()

    def __init__(self, unique: bool = False) -> None:
        self.unique = unique

    def add(self, net: tuple, envelopes: list) -> tuple:
        links = {(s, d): q for s, d, q in net}
        for src, dst, msg in envelopes:
            queue = links.get((src, dst), ())
            if not (self.unique and queue and queue[-1] == msg):
                links[(src, dst)] = queue + (msg,)
        return tuple(sorted((s, d, q) for (s, d), q in links.items()))

    @staticmethod
    def deliverable(net: tuple) -> Iterator[tuple[Any, Any, Any, int]]:
        for i, (src, dst, queue) in enumerate(net):
            yield src, dst, queue[0], i

    @staticmethod
    def consume(net: tuple, position: int) -> tuple:
        src, dst, queue = net[position]
        if len(queue) == 1:
            return net[:position] + net[position + 1:]
        return net[:position] + ((src, dst, queue[1:]),) + net[position + 1:]

    @staticmethod
    def losable(net: tuple) -> Iterator[tuple[Any, Any, Any, tuple[int, int]]]:
        for i, (src, dst, queue) in enumerate(net):
            prev = None
            for k, msg in enumerate(queue):
                if k == 0 or msg != prev:  # losing either of two equal neighbours: same queue
                    yield src, dst, msg, (i, k)
                prev = msg

    def lose(self, net: tuple, position: tuple[int, int]) -> tuple:
        i, k = position
        src, dst, queue = net[i]
        if len(queue) == 1:
            return net[:i] + net[i + 1:]
        rest = queue[k + 1:]
        if self.unique and k and rest and queue[k - 1] == rest[0]:
            rest = rest[1:]  # the neighbours the lost message kept apart are equal: they collapse
        return net[:i] + ((src, dst, queue[:k] + rest),) + net[i + 1:]

    @staticmethod
    def in_flight(net: tuple) -> Iterator[tuple[Any, Any, Any]]:
        for src, dst, queue in net:
            for msg in queue:
                yield src, dst, msg


def network_for(name: str, unique: bool = False) -> Unordered | Fifo:
    """The network called ``name``; ``unique`` keeps equal copies once (the ``dup`` fault)."""
    return {"unordered": Unordered, "fifo": Fifo}[name](unique)
