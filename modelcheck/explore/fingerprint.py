"""Fingerprints: the 64-bit numbers the visited set stores instead of whole states.

The fingerprint is CPython's own ``hash()`` of the state, computed in C for tuples,
frozensets, strings and ints, which makes it the cheapest sound-in-practice choice:
equal states always have equal fingerprints, and two different states share one
only by collision, which loses the second state (as in TLC). The odds are reported
with every result.

Caveats, documented because they are not random collisions:

* ``hash(-1) == hash(-2)`` in CPython, so two states that differ only by a -1 where
  the other has a -2 collide.  Specs in the library avoid negative sentinels; use
  ``None`` for "no value".  ``exact=True`` (``--exact``) stores whole states instead.
* ``hash()`` of strings is salted per process (PYTHONHASHSEED), so fingerprints are
  stable within one run (and in processes forked from it), not across runs.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable

__all__ = ["fingerprint_function", "collision_probability"]


def _whole(state: Hashable) -> Hashable:
    return state


def fingerprint_function(exact: bool) -> Callable[[Any], Hashable]:
    """``hash`` (64-bit fingerprints) or identity (store whole states)."""
    return _whole if exact else hash


def collision_probability(n: int, bits: int = 64) -> float:
    """Chance that n uniformly random fingerprints hold a collision (TLC's estimate)."""
    return n * (n - 1) / 2 / float(2**bits)
