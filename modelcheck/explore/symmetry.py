"""Symmetry reduction: states equal up to renaming interchangeable names are visited once.

A spec declares groups of interchangeable names with :meth:`Spec.symmetry` (for an
actor protocol, usually its node names; for some specs also its values) and how a
renaming applies to a state with :meth:`Spec.permute` (the default renames the names
wherever they occur in nested tuples, frozensets and attrs records; actor protocols
also reorder their per-node records).  Two states in one orbit -- one renaming away
from each other -- then get the same *key*: the smallest fingerprint over the orbit
(TLC's approach: canonical form by enumeration), or the spec's own :meth:`canonical`
form when it has a cheaper one (e.g. sorting interchangeable records).

The explorers deduplicate on the key but keep exploring the state they found, never
the canonical one, so every trace they report is a real path of the spec and replays
(the bug Stateright once had was exploring the representative).

A wrong declaration silently hides states, so before a run :func:`key_function`
checks it on a sample of reachable states: every renaming tried must map successors
to successors and leave every invariant's verdict unchanged, and ``canonical`` must be
the same for a state and its renamings.  That sample is the first states of a
breadth-first search, and a symmetry may break only deeper (an invariant that names
one node, true of the renamed states found first), so during the search the states
whose keys are computed afresh (not remembered) are checked too, each under one random
renaming: all of them at first (:data:`SPOT_ALL`), then one in :data:`SPOT_EVERY`.  A
declaration that fails either check is refused (:class:`SymmetryError`) with the
renaming that shows it.  A sample cannot prove a symmetry: "every reachable state
checked" under ``--symmetry`` assumes the declaration.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import deque
from typing import Any, Callable, Hashable, Sequence

from ..spec import MEMO_LIMIT, Spec, SpecError, SymmetryError, rename

__all__ = ["rename", "renamings", "key_function", "check_symmetry", "describe", "SymmetryError"]

#: states of a short breadth-first search the declared symmetry is checked on
SAMPLE_STATES = 300
#: renamings tried on each sampled state (all of them when there are fewer)
SAMPLE_RENAMINGS = 24
#: during a search, the first SPOT_ALL key computations, then one in SPOT_EVERY, also check
#: their state under a random renaming
SPOT_ALL = 5_000
SPOT_EVERY = 128
#: one spot check in SPOT_WHOLE also compares successors, as the sample does (the others
#: compare the properties' verdicts, labels and canonical forms: far cheaper)
SPOT_WHOLE = 16

def renamings(groups: Sequence[Sequence[Hashable]]) -> list[dict]:
    """Every renaming that permutes each group within itself, but the identity."""
    per_group = [[dict(zip(g, p)) for p in itertools.permutations(g)] for g in groups]
    out = []
    for combo in itertools.product(*per_group):
        table: dict = {}
        for part in combo:
            table.update(part)
        if any(k != v for k, v in table.items()):
            out.append({k: v for k, v in table.items() if k != v})
    return out


def _groups(spec: Spec) -> list[tuple]:
    groups = [tuple(g) for g in spec.symmetry() if len(tuple(g)) > 1]
    flat = [x for g in groups for x in g]
    if len(set(flat)) != len(flat):
        raise SpecError(f"spec {spec.title!r}: its symmetry groups overlap or repeat a name")
    return groups


def describe(spec: Spec) -> str:
    """``n1 n2 n3 interchangeable (6 renamings)`` for the summary."""
    groups = _groups(spec)
    count = math.prod(math.factorial(len(g)) for g in groups)
    names = "; ".join(" ".join(map(str, g)) for g in groups)
    how = ("spec's canonical form" if _has_canonical(spec) else
           "smallest fingerprint over the renamings that sort the nodes" if _has_labels(spec) else
           "smallest fingerprint over the orbit")
    return f"{names} interchangeable ({count} renamings; {how})"


def _has_canonical(spec: Spec) -> bool:
    return type(spec).canonical is not Spec.canonical


def _has_labels(spec: Spec) -> bool:
    return type(spec).symmetry_labels is not Spec.symmetry_labels


def sorting_renamings(groups: Sequence[tuple], labels: dict) -> list[dict]:
    """The renamings that put each group's names in label order onto the group's own order
    (``g[0]`` gets the smallest label...), in every order among equal labels.  Labels move
    with a renaming, so a state and any renaming of it get the same set of candidates'
    images, and the smallest fingerprint among them is still the same for the orbit.
    A renaming lists only the names it moves (``{}`` is the identity)."""
    get = labels.get
    per_group = []
    for group in groups:
        ranked = sorted(group, key=lambda x: get(x, 0))
        if len({get(x, 0) for x in group}) == len(group):  # all labels differ: one way to sort
            per_group.append([{x: slot for x, slot in zip(ranked, group) if x != slot}])
            continue
        pos = 0
        for _, tied in itertools.groupby(ranked, key=lambda x: get(x, 0)):
            tied = list(tied)
            slots = group[pos:pos + len(tied)]
            pos += len(tied)
            per_group.append([{x: slot for x, slot in zip(order, slots) if x != slot}
                              for order in itertools.permutations(tied)])
    if len(per_group) == 1:
        return per_group[0]
    out = []
    for combo in itertools.product(*per_group):
        table: dict = {}
        for part in combo:
            table.update(part)
        out.append(table)
    return out


def key_function(spec: Spec, exact: bool = False, *, check: bool = True,
                 spot: bool = True) -> Callable[[Any], Hashable]:
    """The deduplication key under the spec's declared symmetry (checked first on a sample
    unless ``check`` is false, and on states it is computed for unless ``spot`` is false).

    Fingerprint mode: the 64-bit hash of the canonical form, or the smallest hash over
    the orbit.  ``exact``: the canonical state itself, or the whole orbit as a frozenset.
    """
    groups = _groups(spec)
    if not groups:
        raise SpecError(f"spec {spec.title!r} declares no symmetry (Spec.symmetry returns no group of "
                        "interchangeable names), so --symmetry cannot reduce it; run without it")
    if check:
        check_symmetry(spec)
    key = _orbit_key(spec, groups, exact)
    checker = _spot_checker(spec, groups) if spot else None
    if not exact:  # spot checks on the states whose keys are computed afresh
        return _remembered(_after(checker, key))
    if checker is None:
        return key
    # exact keys are never looked up by fingerprint; the states met afresh are found as in
    # fingerprint mode, but the hashes only pick what is checked (a collision skips a check)
    met = _remembered(_after(checker, lambda state: True))
    return _after(met, key)


def _after(first: Callable[[Any], Any] | None, fn: Callable[[Any], Hashable]) -> Callable[[Any], Hashable]:
    """``fn``, calling ``first`` on the state before it (``fn`` itself when there is none)."""
    if first is None:
        return fn

    def both(state: Any) -> Hashable:
        first(state)
        return fn(state)
    return both


def _spot_checker(spec: Spec, groups: list[tuple]) -> Callable[[Any], None]:
    """A function to call on each state whose key is computed afresh: it checks some of them
    under one random renaming each (seeded: the same run checks the same states), as
    :func:`check_symmetry` checks its sample: the first :data:`SPOT_ALL`, then one in
    :data:`SPOT_EVERY`."""
    rng = random.Random(0)
    props = list(spec.invariants()) + list(spec.reachability())
    canonical = spec.canonical if _has_canonical(spec) else None
    labels = spec.symmetry_labels if _has_labels(spec) else None
    memos: dict = {}  # per renaming (permute's parts recur), bounded
    calls = 0
    due = 0
    checks = 0

    def spot_check(state: Any) -> None:
        nonlocal calls, due, checks
        calls += 1
        if calls > due:
            due = calls + (0 if calls < SPOT_ALL else SPOT_EVERY - 1)
            table = _random_renaming(groups, rng, moving=True)
            if table:
                checks += 1
                whole = checks % SPOT_WHOLE == 0
                try:  # the spec's own errors on the state itself: the search meets them and reports them
                    succ = [t for _, t in spec.successors(state)] if whole else None
                    for _, prop in props:
                        prop(state)
                except Exception:
                    return
                if len(memos) > 64:
                    memos.clear()
                memo = memos.setdefault(tuple(table.items()), {})
                if len(memo) > MEMO_LIMIT:
                    memo.clear()
                _try_renaming(spec, state, table, memo, props, canonical, labels, succ)
    return spot_check


def _random_renaming(groups: Sequence[tuple], rng: random.Random, moving: bool = False) -> dict:
    """A renaming drawn uniformly, listing what it moves: any (the identity is ``{}``), or
    with ``moving`` any but the identity (there is one when a group has two names)."""
    while True:
        table: dict = {}
        for g in groups:
            table.update((a, b) for a, b in zip(g, rng.sample(g, len(g))) if a != b)
        if table or not moving or not groups:
            return table


#: fingerprints of recent states whose keys :func:`_remembered` keeps, per generation (two)
KEY_CACHE = 1 << 19


def _remembered(key: Callable[[Any], int]) -> Callable[[Any], int]:
    """``key`` with the keys of recently met states remembered by their own fingerprint.

    Most successors a search meets are states it met before (``benchmarks/reuse.py``
    counts them), and the orbit key costs far more than ``hash``.  Two generations of
    ``size`` entries: the older is dropped when the newer fills, so memory stays bounded
    and the states of the last levels stay in.  A lookup can only go wrong by a fingerprint
    collision, whose odds :func:`cache_collision_probability` adds to the result's.
    """
    recent: dict = {}
    older: dict = {}
    size = KEY_CACHE

    def remembered(state: Any) -> int:
        nonlocal recent, older
        h = hash(state)
        k = recent.get(h)
        if k is None:
            k = older.get(h)
            if k is None:
                k = key(state)
            if len(recent) >= size:
                older, recent = recent, {}
            recent[h] = k
        return k
    return remembered


def cache_collision_probability(transitions: int) -> float:
    """Bound on the chance that some lookup of :func:`_remembered` met another state's
    fingerprint: at most ``transitions`` lookups among at most ``2 * KEY_CACHE`` entries."""
    return transitions * min(transitions, 2 * KEY_CACHE) / float(2**64)


def _orbit_key(spec: Spec, groups: list[tuple], exact: bool) -> Callable[[Any], Hashable]:
    """The key itself (see :func:`key_function`), computed afresh for every state."""
    if _has_canonical(spec):
        canonical = spec.canonical
        if exact:
            return canonical
        return lambda state: hash(canonical(state))
    permute = spec.permute
    if _has_labels(spec) and not exact:
        labels_of = spec.symmetry_labels
        flat = [x for g in groups for x in g]
        memo_of: dict = {}  # one permute memo per renaming, by its images of ``flat``
        by_ranks: dict = {}  # the candidates, by the labels' pattern of ties and order

        def candidates(labels: dict) -> list:
            ranks = []  # per group, each name's dense rank among the group's labels
            for group in groups:
                values = [labels.get(x, 0) for x in group]
                dense = {v: i for i, v in enumerate(sorted(set(values)))}
                ranks += [dense[v] for v in values]
            ranks = tuple(ranks)
            found = by_ranks.get(ranks)
            if found is None:
                found = []
                for table in sorting_renamings(groups, labels):
                    if not table:
                        found.append((None, None))
                        continue
                    ident = tuple([table.get(x, x) for x in flat])
                    found.append((table, memo_of.setdefault(ident, {})))
                if len(by_ranks) > 10_000:  # patterns are few for a few nodes; bounded anyway
                    by_ranks.clear()
                by_ranks[ranks] = found
            return found

        def smallest_sorted(state):
            key = None
            for table, memo in candidates(labels_of(state) or {}):
                if table is None:
                    h = hash(state)
                else:
                    if len(memo) > MEMO_LIMIT:
                        memo.clear()
                    h = hash(permute(state, table, memo))
                if key is None or h < key:
                    key = h
            return key
        return smallest_sorted
    tables = renamings(groups)
    memos: list[dict] = [{} for _ in tables]
    pairs = list(zip(tables, memos))

    def trim() -> None:
        for memo in memos:
            memo.clear()

    if exact:
        def orbit(state):
            if len(memos[0]) > MEMO_LIMIT:
                trim()
            return frozenset([state, *(permute(state, t, m) for t, m in pairs)])
        return orbit

    def smallest(state):
        if len(memos[0]) > MEMO_LIMIT:
            trim()
        key = hash(state)
        for t, m in pairs:
            h = hash(permute(state, t, m))
            if h < key:
                key = h
        return key
    return smallest


def generators(groups: Sequence[tuple]) -> list[dict]:
    """Renamings that generate every renaming of the groups: per group, swapping its first
    two names and (with three or more) rotating it by one."""
    out = []
    for g in groups:
        out.append({g[0]: g[1], g[1]: g[0]})
        if len(g) > 2:
            out.append({x: g[(i + 1) % len(g)] for i, x in enumerate(g)})
    return out


def check_symmetry(spec: Spec, samples: int = SAMPLE_STATES, seed: int = 0) -> None:
    """Refuse a declared symmetry that some sampled state contradicts.

    On the first ``samples`` states of a breadth-first search, each renaming tried must
    turn the state's successors into the renamed state's successors, keep every
    invariant's and reachability property's verdict, move the labels along and (with
    ``canonical``) give the same canonical form.  Tried on each state: every renaming
    when there are few, else the generators and a fresh random sample.  (Generators
    alone would not do: they prove a symmetry only on a set of states closed under
    them, which a sample is not.)
    """
    groups = _groups(spec)
    rng = random.Random(seed)
    total = math.prod(math.factorial(len(g)) for g in groups)
    tables = renamings(groups) if total <= 4 * SAMPLE_RENAMINGS else None
    gens = generators(groups)

    def sample() -> list[dict]:
        out = list(gens)
        for _ in range(SAMPLE_RENAMINGS):
            table = _random_renaming(groups, rng)
            if table:
                out.append(table)
        return out
    props = list(spec.invariants()) + list(spec.reachability())
    canonical = spec.canonical if _has_canonical(spec) else None
    labels = spec.symmetry_labels if _has_labels(spec) else None
    seen: set = set()
    queue: deque = deque()
    for s in spec.initial_states():
        if s not in seen:
            seen.add(s)
            queue.append(s)
    # the sample and its successors first: a renamed sampled state is nearly always in the
    # sample too (99% on raft-election, twophase, paxos), whose successors are then known
    known: dict = {}
    while queue and len(known) < samples:
        s = queue.popleft()
        known[s] = succ = [t for _, t in spec.successors(s)]
        for t in succ:
            if t not in seen and len(seen) < 4 * samples:
                seen.add(t)
                queue.append(t)
    memos: dict = {}  # one per renaming (permute's parts recur across states); bounded below
    for s, succ in known.items():
        tried = sample() if tables is None else tables if len(tables) <= SAMPLE_RENAMINGS else \
            gens + rng.sample(tables, SAMPLE_RENAMINGS)
        for table in tried:
            memo = memos.setdefault(tuple(table.items()), {}) if len(memos) < 256 else {}
            _try_renaming(spec, s, table, memo, props, canonical, labels, succ, known)


def _try_renaming(spec: Spec, s: Any, table: dict, memo: dict, props: list, canonical: Any, labels: Any,
                  succ: list | None, known: dict | None = None) -> None:
    """:func:`_check_renaming` (``succ``: the successors of ``s``, which the spec computed
    without raising, or None not to compare successors; ``known``: successors already
    computed, by state), the spec's exceptions on the renamed state refused as
    SymmetryError."""
    how = ", ".join(f"{a}->{b}" for a, b in table.items())
    try:
        _check_renaming(spec, s, succ, table, memo, how, props, canonical, labels, known)
    except SpecError:
        raise
    except Exception as exc:  # a renamed state the spec cannot handle: not a symmetry
        raise SymmetryError(f"spec {spec.title!r}: the declared symmetry is not one: on a state renamed "
                            f"by {how} the spec raised {type(exc).__name__}: {exc}; fix Spec.symmetry "
                            "or run without --symmetry") from None


def _check_renaming(spec: Spec, s: Any, succ: list | None, table: dict, memo: dict, how: str, props: list,
                    canonical: Any, labels: Any, known: dict | None = None) -> None:
    """One reachable state against one renaming (see check_symmetry)."""
    p = spec.permute(s, table, memo)
    for name, prop in props:
        if bool(prop(s)) != bool(prop(p)):
            raise SymmetryError(f"spec {spec.title!r}: the declared symmetry is not one: renaming "
                                f"{how} changes the verdict of {name} on a reachable state; "
                                "fix Spec.symmetry or run without --symmetry")
    if labels is not None:
        mine_labels, theirs_labels = labels(s) or {}, labels(p) or {}
        if any(mine_labels[x] != theirs_labels.get(table.get(x, x)) for x in mine_labels):
            raise SymmetryError(f"spec {spec.title!r}: symmetry_labels() does not move with the "
                                f"renaming {how}; a name's label must follow it")
    if canonical is not None and canonical(p) != canonical(s):
        raise SymmetryError(f"spec {spec.title!r}: canonical() differs between a reachable state and "
                            f"its renaming {how}; it must be the same for the whole orbit")
    if succ is None:
        return
    mine = {spec.permute(t, table, memo) for t in succ}
    found = None if known is None else known.get(p)
    theirs = set(found) if found is not None else {t for _, t in spec.successors(p)}
    if mine != theirs:
        raise SymmetryError(f"spec {spec.title!r}: the declared symmetry is not one: renaming {how} "
                            "does not map a reachable state's successors to the renamed state's "
                            "successors; fix Spec.symmetry/permute or run without --symmetry")
