"""Quorum arithmetic, written once for every protocol in the library.

Crash-fault protocols (Paxos, Raft) use majorities: any two majorities of n nodes
intersect.  Byzantine protocols (PBFT, Castro and Liskov 1999, section 4) need any two
quorums to intersect in at least f + 1 nodes, so in at least one correct node.  Fast
Paxos (Lamport 2006, section 3) adds fast quorums, which must meet any classic quorum and
any other fast quorum pairwise-together.
"""

from __future__ import annotations

from typing import Sized

__all__ = ["majority", "is_majority", "bft_quorum", "max_byzantine", "fast_quorum", "fast_quorums_intersect",
           "fast_recovery_votes"]


def majority(n: int) -> int:
    """The size of the smallest majority of ``n`` nodes: ``n // 2 + 1``."""
    return n // 2 + 1


def is_majority(voters: Sized | int, n: int) -> bool:
    """True when ``voters`` (a collection or a count) are more than half of ``n`` nodes."""
    count = voters if isinstance(voters, int) else len(voters)
    return 2 * count > n


def bft_quorum(n: int, f: int) -> int:
    """The smallest quorum of ``n`` nodes such that two quorums share f + 1 nodes:
    ``ceil((n + f + 1) / 2)``; 2f + 1 when n = 3f + 1."""
    return (n + f + 2) // 2


def max_byzantine(n: int) -> int:
    """How many Byzantine nodes ``n`` nodes tolerate: the largest f with n >= 3f + 1."""
    return (n - 1) // 3


def fast_quorum(n: int, classic: int) -> int:
    """The smallest fast quorum of ``n`` acceptors such that any classic quorum of
    ``classic`` acceptors and any two fast quorums intersect (Fast Paxos, section 3):
    ``classic + 2 * fast > 2 * n``, and three fast quorums intersect too."""
    return max((2 * n - classic) // 2 + 1, 2 * n // 3 + 1)


def fast_quorums_intersect(n: int, classic: int, fast: int) -> bool:
    """The Quorum Requirement of Fast Paxos (section 3) in sizes: two classic quorums, a classic
    quorum and two fast quorums, and three fast quorums of ``n`` acceptors always share an
    acceptor."""
    return 2 * classic > n and classic + 2 * fast > 2 * n and 3 * fast > 2 * n


def fast_recovery_votes(n: int, quorum: int, reported: int) -> int:
    """How many of ``reported`` phase-1b reports must show (k, v) for a ``quorum``-sized
    quorum R of round k to exist with every acceptor of R among them voting v in k (O4(v),
    Fast Paxos 3.3): the least R and the reporters can share, ``quorum + reported - n``."""
    return quorum + reported - n
