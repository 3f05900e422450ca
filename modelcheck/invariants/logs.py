"""Replicated logs (Raft, Figure 3): log matching, leader completeness, state-machine safety.

A log is a sequence of entries ``(term, value)``; index 1 is its first entry.  A
commit is ``(index, term, value, committed_in)``: the entry at ``index`` of ``term``
carrying ``value``, which a server learnt is committed while its currentTerm was
``committed_in`` (a spec records one in its ghost history each time, so "ever committed"
is a plain invariant); a leader is ``(term, node, log)``.
"""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping, Sequence

__all__ = [
    "log_matching",
    "explain_log_matching",
    "leader_completeness",
    "explain_leader_completeness",
    "state_machine_safety",
    "explain_state_machine_safety",
]

Entry = tuple  # (term, value)


def _mismatch(a: Sequence[Entry], b: Sequence[Entry]) -> int | None:
    """The highest index at which ``a`` and ``b`` hold entries of one term but differ at
    or before it (None when they match)."""
    for i in range(min(len(a), len(b)), 0, -1):
        if a[i - 1][0] == b[i - 1][0]:
            return None if a[:i] == b[:i] else i
    return None


def log_matching(logs: Iterable[Sequence[Entry]]) -> bool:
    """If two logs contain an entry with the same index and term, the logs are identical
    in all entries up through that index (Raft, Figure 3, Log Matching)."""
    logs = list(logs)
    return all(_mismatch(a, b) is None for k, a in enumerate(logs) for b in logs[k + 1:])


def explain_log_matching(logs: Mapping[Hashable, Sequence[Entry]], name=str) -> str:
    """``n1 and n2 both hold a term-2 entry at index 2 but differ at or before it``."""
    out = []
    items = sorted(logs.items(), key=lambda kv: name(kv[0]))
    for k, (p, a) in enumerate(items):
        for q, b in items[k + 1:]:
            i = _mismatch(a, b)
            if i is not None:
                out.append(f"{name(p)} and {name(q)} both hold a term-{a[i - 1][0]} entry at index {i} "
                           "but differ at or before it")
    return "\n".join(out)


def _missing(committed: Iterable[tuple], leaders: Iterable[tuple]) -> list[tuple]:
    first: dict[tuple, int] = {}  # each entry with the earliest term it was committed in
    for index, term, value, when in committed:
        key = (index, term, value)
        first[key] = min(when, first.get(key, when))
    out = []
    for (index, term, value), when in sorted(first.items()):
        for lterm, leader, log in sorted(leaders, key=lambda x: (x[0], str(x[1]))):
            if lterm > when and (len(log) < index or tuple(log[index - 1]) != (term, value)):
                out.append((index, term, value, when, lterm, leader))
    return out


def leader_completeness(committed: Iterable[tuple], leaders: Iterable[tuple]) -> bool:
    """An entry committed in a term is in the log of every leader ``(term, node, log)``
    of a higher term (Raft, Figure 3, Leader Completeness); ``committed`` holds
    ``(index, term, value, committed_in)``."""
    return not _missing(committed, list(leaders))


def explain_leader_completeness(committed: Iterable[tuple], leaders: Iterable[tuple], name=str) -> str:
    """``entry 1 (term 1, v1), committed in term 3, is missing from the log of n3, leader of term 4``."""
    return "\n".join(f"entry {i} (term {t}, {v}), committed in term {w}, is missing from the log of "
                     f"{name(node)}, leader of term {lt}"
                     for i, t, v, w, lt, node in _missing(committed, list(leaders)))


def _conflicts(committed: Iterable[tuple]) -> dict[int, list[tuple]]:
    at: dict[int, set] = {}
    for index, term, value, *_ in committed:
        at.setdefault(index, set()).add((term, value))
    return {i: sorted(es) for i, es in sorted(at.items()) if len(es) > 1}


def state_machine_safety(committed: Iterable[tuple]) -> bool:
    """No two different entries are committed (applied) at the same index, ever (Raft,
    Figure 3, State Machine Safety), over every commit ``(index, term, value, ...)``."""
    seen: dict[int, tuple] = {}
    for index, term, value, *_ in committed:
        if seen.setdefault(index, (term, value)) != (term, value):
            return False
    return True


def explain_state_machine_safety(committed: Iterable[tuple]) -> str:
    """``index 1: (term 1, v1) and (term 2, v2) were both committed``."""
    return "\n".join(f"index {i}: " + " and ".join(f"(term {t}, {v})" for t, v in es) + " were both committed"
                     for i, es in _conflicts(committed).items())
