"""Atomic broadcast (Zab: Junqueira, Reed and Serafini, DSN 2011, section III): integrity,
prefix agreement (total order and agreement), local and global primary order, primary integrity.

A *transaction* is a tuple whose first item is the epoch of the primary that broadcast
it (Zab's ``(epoch, counter, value)``: the zxid is the first two items).  ``delivered``
maps each process to the sequence of transactions it delivered, in delivery order.
Section III states the properties over whole runs; here each is checked in every state
of a run, over what has been delivered so far, which is what a safety checker can see
(and what "eventually" properties such as agreement reduce to at a state: two processes
never disagree on what they delivered, so one's sequence is a prefix of the other's).
"""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping, Sequence

__all__ = [
    "broadcast_integrity",
    "explain_broadcast_integrity",
    "prefix_agreement",
    "explain_prefix_agreement",
    "total_order",
    "explain_total_order",
    "local_primary_order",
    "explain_local_primary_order",
    "global_primary_order",
    "explain_global_primary_order",
    "primary_integrity",
    "explain_primary_integrity",
]

Delivered = Mapping[Hashable, Sequence[tuple]]


# -- integrity ---------------------------------------------------------------------------

def broadcast_integrity(delivered: Delivered, broadcast: Iterable[tuple]) -> bool:
    """Integrity: a process delivers only transactions that some process broadcast."""
    sent = set(broadcast)
    return all(t in sent for seq in delivered.values() for t in seq)


def explain_broadcast_integrity(delivered: Delivered, broadcast: Iterable[tuple], name=str) -> str:
    """``n2 delivered (1, 1, 'v9'), which was never broadcast`` for each such delivery."""
    sent = set(broadcast)
    return "\n".join(f"{name(p)} delivered {t!r}, which was never broadcast"
                     for p, seq in sorted(delivered.items()) for t in seq if t not in sent)


# -- total order and agreement -------------------------------------------------------------

def _prefix_conflicts(delivered: Delivered) -> Iterable[tuple[Hashable, Hashable, int]]:
    """(p, q, k) for two processes whose sequences first differ at position k."""
    items = sorted(delivered.items())
    for i, (p, a) in enumerate(items):
        for q, b in items[i + 1:]:
            n = min(len(a), len(b))
            if tuple(a[:n]) != tuple(b[:n]):
                k = next(k for k in range(n) if a[k] != b[k])
                yield p, q, k


def prefix_agreement(delivered: Delivered) -> bool:
    """Of any two processes, one delivered a prefix of what the other delivered.

    Together, section III's total order and agreement say this of every state: the
    processes deliver one sequence, each as far as it got.
    """
    return next(iter(_prefix_conflicts(delivered)), None) is None


def explain_prefix_agreement(delivered: Delivered, name=str) -> str:
    """``n1 delivered (1, 1, 'v1') and n3 delivered (2, 1, 'v2') at position 1``, per pair."""
    return "\n".join(f"{name(p)} delivered {delivered[p][k]!r} and {name(q)} delivered {delivered[q][k]!r} "
                     f"at position {k + 1}" for p, q, k in _prefix_conflicts(delivered))


def _order_breaks(delivered: Delivered) -> Iterable[tuple[Hashable, tuple, tuple, Hashable]]:
    """(p, a, b, q): p delivered a before b, q delivered b but not a before it."""
    position = {p: {t: k for k, t in reversed(list(enumerate(seq)))} for p, seq in delivered.items()}
    for p, seq in sorted(delivered.items()):
        for j, b in enumerate(seq):
            for a in seq[:j]:
                for q, where in sorted(position.items()):
                    if b in where and not (a in where and where[a] < where[b]):
                        yield p, a, b, q


def total_order(delivered: Delivered) -> bool:
    """Total order: if a process delivers a before b, any process that delivers b delivers a
    before b (section III)."""
    return next(iter(_order_breaks(delivered)), None) is None


def explain_total_order(delivered: Delivered, name=str) -> str:
    return "\n".join(f"{name(p)} delivered {a!r} before {b!r}, but {name(q)} delivered {b!r} without {a!r} before it"
                     for p, a, b, q in _order_breaks(delivered))


# -- primary order -----------------------------------------------------------------------

def _local_breaks(delivered: Delivered, broadcasts: Mapping[Hashable, Sequence[tuple]]):
    """(process, earlier, later, primary): the process delivered ``later`` without ``earlier`` before it."""
    for p, seq in sorted(delivered.items()):
        where = {t: k for k, t in reversed(list(enumerate(seq)))}
        for primary, sent in sorted(broadcasts.items()):
            for j, later in enumerate(sent):
                if later not in where:
                    continue
                for earlier in sent[:j]:
                    if not (earlier in where and where[earlier] < where[later]):
                        yield p, earlier, later, primary


def local_primary_order(delivered: Delivered, broadcasts: Mapping[Hashable, Sequence[tuple]]) -> bool:
    """Local primary order: if a primary broadcasts a before b, a process that delivers b
    delivers a before b.  ``broadcasts`` maps each primary to its broadcasts, in order."""
    return next(iter(_local_breaks(delivered, broadcasts)), None) is None


def explain_local_primary_order(delivered: Delivered, broadcasts: Mapping[Hashable, Sequence[tuple]],
                                name=str, primary_name=str) -> str:
    """``n2 delivered (1, 2, 'v2') without (1, 1, 'v1') before it, though primary 1 broadcast
    (1, 1, 'v1') first``."""
    return "\n".join(f"{name(p)} delivered {later!r} without {earlier!r} before it, "
                     f"though primary {primary_name(primary)} broadcast {earlier!r} first"
                     for p, earlier, later, primary in _local_breaks(delivered, broadcasts))


def _global_breaks(delivered: Delivered):
    for p, seq in sorted(delivered.items()):
        for j, b in enumerate(seq):
            for a in seq[:j]:
                if a[0] > b[0]:
                    yield p, a, b


def global_primary_order(delivered: Delivered) -> bool:
    """Global primary order: a process that delivers transactions of two primaries delivers
    those of the earlier epoch first (the epochs of each delivered sequence never decrease)."""
    return next(iter(_global_breaks(delivered)), None) is None


def explain_global_primary_order(delivered: Delivered, name=str) -> str:
    return "\n".join(f"{name(p)} delivered {a!r} (epoch {a[0]}) before {b!r} (epoch {b[0]})"
                     for p, a, b in _global_breaks(delivered))


def _integrity_breaks(delivered: Delivered, broadcasts: Iterable[tuple[tuple, Iterable[tuple]]]):
    everywhere = {t for seq in delivered.values() for t in seq}
    for t, before in sorted((t, frozenset(before)) for t, before in broadcasts):
        for d in sorted(everywhere):
            if d[0] < t[0] and d not in before:
                yield t, d


def primary_integrity(delivered: Delivered, broadcasts: Iterable[tuple[tuple, Iterable[tuple]]]) -> bool:
    """Primary integrity: if the primary of epoch e broadcasts t and some process delivers d
    of an earlier epoch, the primary delivered d before it broadcast t.

    ``broadcasts`` holds ``(t, delivered_before)``: each broadcast transaction with what
    its primary had delivered when it broadcast it.
    """
    return next(iter(_integrity_breaks(delivered, broadcasts)), None) is None


def explain_primary_integrity(delivered: Delivered, broadcasts: Iterable[tuple[tuple, Iterable[tuple]]]) -> str:
    return "\n".join(f"{d!r} of epoch {d[0]} was delivered, but the primary of epoch {t[0]} broadcast {t!r} "
                     f"without delivering it first" for t, d in _integrity_breaks(delivered, broadcasts))
