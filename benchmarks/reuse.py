"""The numbers behind seven of modelcheck's shortcuts and checks, each measured by running it.

    python benchmarks/reuse.py                       # all of them
    python benchmarks/reuse.py declaration_check     # one (by its function's name)

* **plain tuples**: what building a twophase-7 successor as a NamedTuple costs over a
  plain tuple (the reason specs/twophase.py searches tuples and names them with
  ``Spec.readable``), and what share of the spec's successor time that is;
* **handler results**: how many of raft-election's ``on_message`` calls (3 servers,
  max_term 2, the first 600,000 states) repeat an earlier (node, state, src, message),
  which the actor layer remembers;
* **orbit keys**: how many of ``--symmetry``'s key lookups on that model are answered
  from the keys remembered by fingerprint rather than computed;
* **compiled loop**: twophase-7's whole search with the compiled per-transition loop
  (``modelcheck/explore/_expand.c``) against its Python twin (``explore/expand.py``),
  alternating in one process, and the spec's own successor time for scale;
* **spot checks**: what ``--symmetry``'s checks of the declaration during the search
  (``SPOT_ALL``, ``SPOT_EVERY`` in explore/symmetry.py) cost: twophase-7 and raft-election
  max_term 2 (complete) with and without them, alternating, best of 2;
* **declaration check**: what ``--symmetry``'s check of the declaration before a search
  (``check_symmetry`` on the first 300 states) costs on raft-election, twophase (5 RMs)
  and paxos at their defaults, beside the whole ``--symmetry`` search of raft-election;
* **successor share**: what share of raft-election's complete ``--symmetry`` search
  (max_term 2) the spec's own successors are, called on the same states: the bound on
  what a faster search loop, orbit key or visited set could gain on that model.

Counts are exact; times are the best of 5 and vary with the machine's load.
"""

from __future__ import annotations

import importlib
import timeit
from typing import NamedTuple

from modelcheck import build, explore

STATES = 600_000


class _Record(NamedTuple):
    rm: tuple
    tm: str
    prepared: frozenset
    msgs: frozenset


def plain_tuples() -> str:
    """ns per state built: tuple, tuple.__new__ of a NamedTuple, its constructor; and the
    share of twophase-7's successor time the NamedTuple would add."""
    rm, tm, prepared, msgs = ("working",) * 7, "init", frozenset({1}), frozenset({("Prepared", 1)})
    make = tuple.__new__
    n = 1_000_000
    plain = min(timeit.repeat(lambda: (rm, tm, prepared, msgs), number=n, repeat=5)) / n * 1e9
    new = min(timeit.repeat(lambda: make(_Record, (rm, tm, prepared, msgs)), number=n, repeat=5)) / n * 1e9
    called = min(timeit.repeat(lambda: _Record(rm, tm, prepared, msgs), number=n, repeat=5)) / n * 1e9
    spec = build("twophase", {"rms": 7})
    states = [next(iter(spec.initial_states()))]
    seen = set(states)
    for s in states:  # every reachable state, then time successors over all of them
        for _, t in spec.successors(s):
            if t not in seen:
                seen.add(t)
                states.append(t)
    successors = spec.successors
    built = sum(len(successors(s)) for s in states)
    per_state = min(timeit.repeat(lambda: [successors(s) for s in states], number=1, repeat=5)) / built * 1e9
    return (f"plain tuples: a tuple {plain:.0f} ns, a NamedTuple {new - plain:+.0f} ns by tuple.__new__ "
            f"and {called - plain:+.0f} ns by its constructor; twophase-7 builds {built:,} successors "
            f"at {per_state:.0f} ns each, so a NamedTuple would add {(new - plain) / per_state:.0%} "
            f"to {(called - plain) / per_state:.0%}")


def handler_results() -> str:
    spec = build("raft-election", {"servers": 3, "max_term": 2})
    handler, handled = spec.on_message, spec._handled
    ran = [0]
    asked = [0]

    def running(*args):
        ran[0] += 1
        return handler(*args)

    def asking(memo, fn, args):
        if fn is running:
            asked[0] += 1
        return handled(memo, fn, args)

    spec.on_message, spec._handled = running, asking
    explore(spec, "bfs", max_states=STATES)
    return (f"handler results: raft-election, {STATES:,} states: {asked[0]:,} deliveries, on_message "
            f"ran {ran[0]:,} times ({1 - ran[0] / asked[0]:.2%} answered from memory)")


def orbit_keys() -> str:
    symmetry = importlib.import_module("modelcheck.explore.symmetry")
    orbit_key = symmetry._orbit_key
    computed = [0]

    def counting(*args, **kwargs):
        key = orbit_key(*args, **kwargs)

        def count(state):
            computed[0] += 1
            return key(state)
        return count

    symmetry._orbit_key = counting
    try:
        spec = build("raft-election", {"servers": 3, "max_term": 2})
        r = explore(spec, "bfs", symmetry=True, max_states=STATES)
    finally:
        symmetry._orbit_key = orbit_key
    lookups = r.transitions + 1  # every successor, and the initial state
    return (f"orbit keys: raft-election --symmetry, {r.distinct_states:,} orbits: {lookups:,} key "
            f"lookups, {computed[0]:,} computed ({1 - computed[0] / lookups:.0%} answered from memory)")


def compiled_loop() -> str:
    bfs = importlib.import_module("modelcheck.explore.bfs")
    loops = importlib.import_module("modelcheck.explore.expand")
    if not loops.COMPILED:
        return "compiled loop: not built here (no C compiler at install); nothing to compare"
    spec = build("twophase", {"rms": 7})
    best = {"compiled": float("inf"), "python": float("inf")}
    for _ in range(3):
        for name, loop in (("compiled", loops.expand), ("python", loops.expand_py)):
            bfs.expand = loop
            try:
                best[name] = min(best[name], timeit.timeit(lambda: explore(spec, "bfs"), number=1))
            finally:
                bfs.expand = loops.expand
    states = list(_states(spec))

    def successors_alone() -> None:
        successors = spec.successors
        for s in states:
            successors(s)

    successors = min(timeit.repeat(successors_alone, number=1, repeat=3))
    return (f"compiled loop: twophase-7 search {best['compiled']:.2f} s compiled, {best['python']:.2f} s with the "
            f"Python loop ({best['python'] / best['compiled'] - 1:.0%} slower); the spec's successors alone "
            f"{successors:.2f} s (best of 3 each)")


def spot_checks() -> str:
    symmetry = importlib.import_module("modelcheck.explore.symmetry")
    on = (symmetry.SPOT_ALL, symmetry.SPOT_EVERY)
    out = []
    for name, params in (("twophase", {"rms": 7}), ("raft-election", {"servers": 3, "max_term": 2})):
        spec = build(name, params)
        best = {"with": float("inf"), "without": float("inf")}
        for _ in range(2):
            for label, (first, every) in (("with", on), ("without", (0, 2**62))):
                symmetry.SPOT_ALL, symmetry.SPOT_EVERY = first, every
                try:
                    best[label] = min(best[label], timeit.timeit(lambda: explore(spec, "bfs", symmetry=True),
                                                                 number=1))
                finally:
                    symmetry.SPOT_ALL, symmetry.SPOT_EVERY = on
        out.append(f"{name} {best['with']:.2f} s with, {best['without']:.2f} s without")
    return "spot checks (--symmetry, best of 2 alternating): " + "; ".join(out)


def declaration_check() -> str:
    from modelcheck.explore.symmetry import check_symmetry

    out = []
    for name, params in (("raft-election", {}), ("twophase", {"rms": 5}), ("paxos", {})):
        spec = build(name, params)
        out.append(f"{name} {min(timeit.repeat(lambda: check_symmetry(spec), number=1, repeat=5)):.4f} s")
    spec = build("raft-election", {})
    whole = min(timeit.repeat(lambda: explore(spec, "bfs", symmetry=True), number=1, repeat=5))
    return (f"declaration check (check_symmetry, best of 5): {'; '.join(out)}; the whole raft-election "
            f"--symmetry search {whole:.4f} s")


def successor_share() -> str:
    spec = build("raft-election", {"servers": 3, "max_term": 2})
    search = min(timeit.repeat(lambda: explore(spec, "bfs", symmetry=True), number=1, repeat=2))
    expanded: list = []
    successors = spec.successors

    def recording(state):
        expanded.append(state)
        return successors(state)

    spec.successors = recording  # the search asks the instance, so this sees every state it asks for
    try:
        r = explore(spec, "bfs", symmetry=True)
    finally:
        del spec.successors

    def successors_alone() -> None:
        for s in expanded:
            successors(s)

    alone = min(timeit.repeat(successors_alone, number=1, repeat=2))
    return (f"successor share: raft-election max_term 2 --symmetry, {r.distinct_states:,} orbits: the search "
            f"{search:.2f} s; the spec's successors, called again on the {len(expanded):,} states it asked them for "
            f"(expanded states and the contract and symmetry checks' samples), {alone:.2f} s "
            f"({alone / search:.0%}; with everything else free the search would be {search / alone:.1f}x "
            f"faster); best of 2 each")


def _states(spec):
    """Every reachable state, by a plain BFS (for timing successors alone)."""
    from collections import deque

    initial = list(spec.initial_states())
    seen, queue = set(initial), deque(initial)
    while queue:
        s = queue.popleft()
        yield s
        for _, t in spec.successors(s):
            if t not in seen:
                seen.add(t)
                queue.append(t)


if __name__ == "__main__":
    import sys

    wanted = sys.argv[1:]  # e.g. declaration_check: only these measurements
    for measure in (plain_tuples, handler_results, orbit_keys, compiled_loop, spot_checks, declaration_check,
                    successor_share):
        if not wanted or measure.__name__ in wanted:
            print(measure(), flush=True)
