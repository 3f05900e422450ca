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

import enum
import sys
from typing import Any, Callable, Hashable

from ..spec import SpecError

__all__ = ["fingerprint_function", "stable_fingerprint", "portable_hash", "visited_key", "visited_stats",
           "collision_probability"]


def _whole(state: Hashable) -> Hashable:
    return state


def fingerprint_function(exact: bool) -> Callable[[Any], Hashable]:
    """``hash`` (64-bit fingerprints) or identity (store whole states)."""
    return _whole if exact else hash


def collision_probability(n: int, bits: int = 64) -> float:
    """Chance that n uniformly random fingerprints hold a collision (TLC's estimate)."""
    return n * (n - 1) / 2 / float(2**bits)


#: whether plain ``hash()`` of a state is the same in another process with the same
#: PYTHONHASHSEED: not before Python 3.12, which hashes None by its memory address
portable_hash = sys.version_info >= (3, 12)


def stable_fingerprint(x: Any) -> int:
    """A fingerprint equal in every process started with the same PYTHONHASHSEED: ``hash()``
    with None, enums and records hashed by value instead of by address (a walk in Python, so
    it is computed once per state a shard meets; see Shard.share_keys)."""
    cls = x.__class__
    if cls is str or cls is int or cls is bool or cls is float or cls is bytes:
        return hash(x)
    if x is None:
        return 0x6E6F6E65
    if isinstance(x, tuple):
        return hash(tuple(map(stable_fingerprint, x)))
    if isinstance(x, frozenset):
        return hash(frozenset(map(stable_fingerprint, x)))
    if isinstance(x, enum.Enum):
        return hash((cls.__qualname__, x.name))
    fields = getattr(cls, "__attrs_attrs__", None)
    if fields is not None:
        return hash((cls.__qualname__, *(stable_fingerprint(getattr(x, f.name)) for f in fields)))
    fields = getattr(cls, "__dataclass_fields__", None)
    if fields is not None:
        return hash((cls.__qualname__, *(stable_fingerprint(getattr(x, name)) for name in fields)))
    return hash(x)


def visited_key(spec: Any, options: Any, exact: bool, *, portable: bool = False) -> Callable[[Any], Hashable]:
    """What the visited set stores for a state: its fingerprint (or itself, ``exact``), or
    with ``options.symmetry`` the same for its whole orbit (see symmetry.py).  ``portable``:
    fingerprints another process can recompute (checkpoints), :func:`stable_fingerprint`
    where plain ``hash()`` is not."""
    if portable and not exact and not portable_hash:
        if options.symmetry:
            raise SpecError("--checkpoint/--resume with --symmetry need Python 3.12 or newer (older "
                            "versions hash None by address) or --exact")
        return stable_fingerprint
    if options.symmetry:
        from .symmetry import key_function

        return key_function(spec, exact)
    return fingerprint_function(exact)


def visited_stats(spec: Any, options: Any, n: int, exact: bool, transitions: int = 0) -> dict:
    """The result's notes on the visited set: how states are stored, collision odds, symmetry."""
    stats: dict = {"visited_store": "exact states"} if exact else {
        "visited_store": "64-bit fingerprints",
        "fingerprint_collision_probability": collision_probability(n),
    }
    if not exact and not portable_hash and (options.checkpoint or options.resume):
        stats["visited_store"] = ("64-bit fingerprints computed field by field, which a resumed process "
                                  "can recompute (several times slower before Python 3.12; --exact is not)")
    if options.symmetry:
        from .symmetry import cache_collision_probability, describe

        stats["symmetry"] = describe(spec)
        if not exact:  # the orbit keys of recent states are looked up by their own fingerprint
            stats["fingerprint_collision_probability"] += cache_collision_probability(transitions)
    return stats
