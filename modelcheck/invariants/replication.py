"""Leases and quorum reads: lease safety (one valid lease at any real time) and read-your-writes."""

from __future__ import annotations

from typing import Hashable, Iterable

__all__ = ["lease_safety", "explain_lease_safety", "read_your_writes", "explain_read_your_writes"]


def lease_safety(holders: Iterable[Hashable]) -> bool:
    """At most one node holds a valid lease at any real time (Gray and Cheriton 1989), given
    the nodes whose lease is valid now by real time, not by their own clocks."""
    return len(set(holders)) <= 1


def explain_lease_safety(holders: Iterable[Hashable], name=str) -> str:
    """``c1 and c2 both hold a valid lease``."""
    return f"{' and '.join(map(name, sorted(set(holders))))} both hold a valid lease"


def read_your_writes(reads: Iterable[tuple[int, int]]) -> bool:
    """Every completed read returns at least the version that had been written (acknowledged)
    before it started: ``reads`` holds one ``(version written before, version returned)``
    per completed read (Terry et al. 1994, session guarantees)."""
    return all(got >= must for must, got in reads)


def explain_read_your_writes(reads: Iterable[tuple[int, int]]) -> str:
    return "\n".join(f"stale read: returned version {got} although version {must} was written before "
                     "the read started" for must, got in reads if got < must)
