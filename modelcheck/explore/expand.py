"""The searches' per-transition loops: compiled (``_expand.c``) where it was built, else the
same loops in Python.

For every (action, state) pair a spec's ``successors`` gives, the searches count the
action under its kind (coverage), fingerprint the state and test it against what they
have seen: most of what a search does besides the spec's own code (twophase-7: 2.7
million transitions, the spec's successors about half of the time).  ``_expand.c`` does
exactly what the ``*_py`` functions here do, and returns what Python needs to go on (the
new states); ``setup.py`` builds it as an optional extension, so an install without a C
compiler runs these instead (twophase-7's search 15% slower: ``python benchmarks/reuse.py``).
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["expand", "shard_expand", "expand_py", "shard_expand_py", "pair_of", "COMPILED"]


def pair_of(item: Any) -> tuple:
    """An (action, state) pair unpacked as Python unpacks it (the same errors)."""
    action, state = item
    return action, state


def expand_py(successors, fp_of: Callable | None, seen: set, coverage: dict, kind_of: Callable,
              pair_of: Callable = pair_of) -> tuple[int, list]:
    """BFS (bfs.py): count each action under its kind in ``coverage`` (a string action, a
    tuple action's first item, else ``kind_of(action)``), add the fingerprints (``fp_of``,
    None: ``hash``) of the states not yet ``seen``, and return the number of transitions
    and the (index, state) of the new states, in order."""
    fp_of = fp_of or hash
    new = []
    k = -1
    for k, (a, t) in enumerate(successors):
        kind = a if a.__class__ is str else a[0] if a.__class__ is tuple and a else kind_of(a)
        coverage[kind] = coverage.get(kind, 0) + 1
        fp = fp_of(t)
        if fp not in seen:
            seen.add(fp)
            new.append((k, t))
    return k + 1, new


def shard_expand_py(successors, key_of: Callable | None, count: int, me: int, seen: set, sent: set,
                    coverage: dict, kind_of: Callable, pair_of: Callable, mine: dict, held: dict,
                    out: list, path: tuple) -> int:
    """A shard of the parallel search (parallel.py): coverage as in :func:`expand_py`; the
    key (``key_of``, None: ``hash``) picks the owner, ``key % count``.  A key this shard
    (``me``) owns and has not seen goes to ``seen`` and ``mine[key] = (path + (k,), state)``;
    another shard's key not yet ``sent`` goes to ``sent``, ``held[key]`` likewise and
    ``out[owner]`` as ``(key, path + (k,))``.  Returns the number of transitions."""
    key_of = key_of or hash
    k = -1
    for k, (a, t) in enumerate(successors):
        kind = a if a.__class__ is str else a[0] if a.__class__ is tuple and a else kind_of(a)
        coverage[kind] = coverage.get(kind, 0) + 1
        key = key_of(t)
        owner = key % count
        if owner == me:
            if key in seen:
                continue
            seen.add(key)
            mine[key] = (path + (k,), t)
        elif key not in sent:
            sent.add(key)
            p = path + (k,)
            held[key] = (p, t)
            out[owner].append((key, p))
    return k + 1


try:
    from ._expand import expand, shard_expand

    COMPILED = True
except ImportError:
    expand, shard_expand = expand_py, shard_expand_py
    COMPILED = False
