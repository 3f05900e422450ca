"""The spec's contract, checked where breaking it would give a wrong verdict silently.

A search relies on successors being a function of the state that leaves the state as it
is, and, where it keeps a visited set, on states that are equal (``==``) and hash alike
when they are the same; the base class's defaults would hide a misspelt method.  These
checks run on a few states (the first initial states, one state per progress tick of
BFS and DFS): cheap, and a sample, not a proof.
"""

from __future__ import annotations

from typing import Any

from ..spec import Spec, SpecError, find_difference

__all__ = ["check_contract", "check_properties", "returned_none", "undefined_method", "NONE_GIVEN", "PROBED"]


def undefined_method(spec: Spec, name: str) -> str:
    """``spec 'x' does not define successors() (it defines sucessors(): a typo?)``: what a typo in a
    method's name gives, where the base class's default would otherwise run silently or
    raise NotImplementedError."""
    import difflib  # only on this error

    own = [n for n in dir(type(spec)) if not n.startswith("_") and not hasattr(Spec, n)  # the user's
           and callable(getattr(type(spec), n, None))]
    close = difflib.get_close_matches(name, own, n=1, cutoff=0.75)
    hint = f" (it defines {close[0]}(): a typo?)" if close else ""
    return f"spec {spec.title!r} does not define {name}(){hint}"


#: initial states :func:`check_contract` probes (each costs two calls of successors)
PROBED = 8


NONE_GIVEN = ("spec {title!r}: successors() returned None (a missing return?); return a list of "
              "(action, state) pairs, an empty one where nothing is enabled")


def returned_none(kind: str, name: str) -> SpecError:
    """What a property that returned None (most likely a forgotten ``return``) gives: read as
    false it would be a violation that is not one, or a sometimes-property never met."""
    what = ("an invariant returns whether the state is good" if kind == "invariant"
            else "a sometimes-property returns whether the state is one it looks for")
    return SpecError(f"{kind} {name} returned None, not True or False (a missing return?); {what}")


def check_properties(spec: Spec, state: Any) -> None:
    """Refuse a property that returns None on ``state`` (every mode reads it as false, so a
    missing return would be a made-up violation or a model called vacuous).  An exception
    is left for the search to report with its trace."""
    for kind, props in (("invariant", spec.invariants()), ("sometimes-property", spec.reachability())):
        for name, prop in props:
            try:
                verdict = prop(state)
            except Exception:
                continue
            if verdict is None:
                raise returned_none(kind, name)


def check_contract(spec: Spec, state: Any, *, visited: bool = True) -> None:
    """Refuse, before a search, a spec that breaks what the search relies on, which would
    otherwise give a wrong verdict silently: successors computed twice from ``state`` must
    leave it unchanged and give the same states (a trace is rebuilt by re-executing);
    with a ``visited`` set, also equal (``==``; objects compared by identity, such as
    instances of a plain class or ``@dataclass(eq=False)``, never are: the search would
    count each as new, and Python reuses their ids; nor is a NaN) with equal hashes.
    An exception is left for the search to report with its trace."""
    try:
        before = hash(state)
        given = spec.successors(state)
        first = None if given is None else [pair[1] for pair in given]
        second = [pair[1] for pair in spec.successors(state)] if given is not None else None
        after = hash(state)
    except Exception:  # unhashable, not pairs, or the spec raising: reported where met, with the trace
        return
    if first is None:
        raise SpecError(NONE_GIVEN.format(title=spec.title))
    if after != before:
        raise SpecError(f"spec {spec.title!r}: successors() changed the state it was given; return new "
                        "states and never modify the one given (use tuples, frozensets and frozen "
                        "attrs classes or dataclasses)")
    if len(first) != len(second):
        raise SpecError(f"spec {spec.title!r}: successors() is not a function of the state: computed twice "
                        f"from one state it gave {len(first)} and then {len(second)} transitions")
    for n, (a, b) in enumerate(zip(first, second)):
        try:
            found = find_difference(a, b)
        except Exception:  # a state's own == raising: met (and reported) by the search
            return
        if found is not None:
            where, why = found
            if why == "value":
                raise SpecError(f"spec {spec.title!r}: successors() is not a function of the state: computed "
                                f"twice from one state, its transition #{n} led to states that differ at {where}")
            if not visited:  # nothing is deduplicated: equal-by-value is not needed
                continue
            if why == "identity":
                raise SpecError(f"spec {spec.title!r}: {where} compares by identity, so equal states are never "
                                "equal (==) and the search would visit them again and again; define equality "
                                "by value (frozen attrs classes, @dataclass(frozen=True), named tuples)")
            raise SpecError(f"spec {spec.title!r}: {where} is NaN, which is not equal to itself, so states "
                            "holding it are never visited once; use None or a flag instead")
        if not visited:
            continue
        if (a.__class__ is not state.__class__ and hasattr(a, "_fields") and hasattr(state, "_fields")
                and isinstance(a, tuple) and isinstance(state, tuple) and a == state):
            raise SpecError(f"spec {spec.title!r}: its transition #{n} goes from {state!r} to {a!r}, which are "
                            "equal: a state's class is not part of what it is (two named tuples with equal "
                            "fields are equal tuples), so the search would take them for one state; tell "
                            "them apart by a field")
        try:
            if hash(a) != hash(b):
                raise SpecError(f"spec {spec.title!r}: two equal states have different hashes: "
                                f"{type(a).__name__}.__hash__ disagrees with its ==; use frozen attrs "
                                "classes or dataclasses, which define both")
        except TypeError:  # unhashable: reported where the search meets it
            return
