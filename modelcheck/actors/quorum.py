"""Quorum arithmetic, written once for every protocol in the library.

Crash-fault protocols (Paxos, Raft) use majorities: any two majorities of n nodes
intersect.  Byzantine protocols (PBFT, Castro and Liskov 1999, section 4) need any two
quorums to intersect in at least f + 1 nodes, so in at least one correct node.
"""

from __future__ import annotations

from typing import Sized

__all__ = ["majority", "is_majority", "bft_quorum", "max_byzantine"]


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
