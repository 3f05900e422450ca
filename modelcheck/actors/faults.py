"""The fault model: what the environment may do to a protocol, chosen per run.

A protocol is written for a perfect world; :class:`Faults` says which imperfections the
explorer may add (the "nemesis", as Jepsen calls it).  The same spec is checked under
many fault models, from Python::

    RaftElection(servers=3, faults=Faults(crashes=1))
    RaftElection(servers=3, faults="drop,dup,crash=1,partition=1,skew=2,fifo")

or from the command line (``--faults drop,crash=1``).  Budgets (crashes, partitions)
keep the state space finite.  :meth:`Faults.summary` (recorded in every result and
counterexample) and ``Faults(**summary)`` round-trip, as does ``Faults.parse(str(f))``.

What each fault does (every one is a step of its own in traces, except where noted):

* network ``unordered``: any message in flight may be delivered next (a multiset);
  ``fifo``: per directed link, in the order sent.
* ``drop``: ``drop n1 -> n2 Msg(...)`` loses any one message in flight.
* ``dup``: ``dup n2 <- Msg(...)`` delivers a message and leaves it in flight.
* ``crash=K``: ``crash n2`` (at most K in a run) resets the node to ``init()`` with its
  durable fields kept and its timers cancelled; ``restart n2`` runs ``on_start`` again.
  Messages to a crashed node wait in flight and may be delivered after the restart (a
  message that never arrives is a ``drop``).
* ``partition=K``: ``partition {n1,n2} | {n3}`` (at most K in a run) stops delivery across
  the cut until ``heal``; the messages wait in flight.
* ``skew=D``: timed run.  ``tick`` moves real time by one; each node's clock moves by 0, 1
  or 2 while staying within D of real time (the label shows the clocks that are off,
  ``tick (n1=+1, n3=-1)``); a timer set for ``after`` ticks fires when its node's clock
  has advanced that much, and a due timer fires before time moves on.  Two clocks may
  disagree by 2D.  Without ``skew`` any set timer may fire at any moment (sound for
  safety, but a protocol that relies on time, such as a lease, needs a timed run).
* ``byzantine=K``: the last K nodes are Byzantine: no state, no timers, never crash;
  ``n4 (byzantine) -> n1 Msg(...)`` delivers any message of the protocol's
  ``byzantine_messages()`` vocabulary to any correct node at any moment, with n4 as
  sender (so it may equivocate or stay silent, but cannot forge).  Messages sent to a
  Byzantine node are discarded.  ``Protocol.node_states()`` yields correct nodes only.
"""

from __future__ import annotations

from typing import Any, Iterable

import attrs

from ..spec import SpecError

__all__ = ["Faults", "NETWORKS", "parse_split", "format_split"]

#: unordered: any in-flight message may be delivered next (a multiset, "bag" in TLA+);
#: fifo: messages on one directed link are delivered in the order sent (TCP)
NETWORKS = ("unordered", "fifo")


def _split_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen
class Faults:
    """A fault model.

    ``network``: ``unordered`` (default) or ``fifo``.  ``drop``: any in-flight message
    may be lost.  ``dup``: a delivered message may stay in flight and be delivered
    again.  ``crashes``: how many times the nemesis may crash a node (a crashed node
    keeps only its durable fields and may restart).  ``partitions``: how many times it
    may split the nodes into two sides (``splits``: the allowed splits, written
    ``n1+n2|n3``; empty: any two-sided split) and later heal.  ``skew``: None runs
    untimed (any set timer may fire at any moment); an integer D runs timed, with a
    global ``tick`` and node clocks within D ticks of real time.  ``byzantine``: how
    many nodes (the last ones) are Byzantine.
    """

    network: str = "unordered"
    drop: bool = False
    dup: bool = False
    crashes: int = 0
    partitions: int = 0
    splits: tuple[str, ...] = attrs.field(default=(), converter=_split_tuple)
    skew: int | None = None
    byzantine: int = 0

    def __attrs_post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise SpecError(f"fault model: network must be one of {', '.join(NETWORKS)}, not {self.network!r}")
        for name in ("drop", "dup"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"fault model: {name} must be true or false, not {getattr(self, name)!r}")
        for name in ("crashes", "partitions", "byzantine"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SpecError(f"fault model: {name} must be a whole number >= 0, not {value!r}")
        if self.skew is not None and (isinstance(self.skew, bool) or not isinstance(self.skew, int)
                                      or self.skew < 0):
            raise SpecError(f"fault model: skew must be a whole number >= 0 (or absent), not {self.skew!r}")
        for split in self.splits:
            parse_split(split)
        if self.splits and not self.partitions:
            raise SpecError("fault model: splits are given but partitions=0; allow at least one partition")

    # -- text form ---------------------------------------------------------

    @classmethod
    def parse(cls, text: str | None) -> "Faults":
        """Read ``drop,dup,crash=1,partition=1,skew=2,byzantine=1,fifo`` (order free).

        Items: ``unordered``, ``fifo``, ``drop``, ``dup``, ``crash[=K]`` (also
        ``crashes``), ``partition[=K]`` (also ``partitions``), ``split=n1+n2|n3``
        or ``split={n1,n2}|{n3}`` (repeatable; implies ``partition=1`` unless given),
        ``skew=D``, ``timed`` (``skew=0``), ``byzantine[=K]``, and ``none``.  Raises
        SpecError on bad input.
        """
        fields: dict[str, Any] = {}
        splits: list[str] = []
        items = [raw.strip() for raw in _items(text or "") if raw.strip()]
        if "none" in items and len(items) > 1:
            raise SpecError(f"fault model {text!r}: 'none' means no faults; drop it or the other items")
        for item in items:
            if item == "none":
                continue
            key, eq, value = (p.strip() for p in item.partition("="))
            key = key.lower()
            if key in NETWORKS and not eq:
                _once(fields, "network", key, item)
            elif key in ("drop", "dup") and not eq:
                _once(fields, key, True, item)
            elif key in ("crash", "crashes"):
                _once(fields, "crashes", _count(key, value, eq), item)
            elif key in ("partition", "partitions"):
                _once(fields, "partitions", _count(key, value, eq), item)
            elif key == "byzantine":
                _once(fields, "byzantine", _count(key, value, eq), item)
            elif key == "skew" and eq:
                _once(fields, "skew", _count(key, value, eq), item)
            elif key == "timed" and not eq:
                _once(fields, "skew", 0, item)
            elif key == "split" and eq:
                parse_split(value)
                splits.append(value)
            else:
                raise SpecError(
                    f"unknown fault {item!r} in {text!r}; faults are: unordered, fifo, drop, dup, "
                    "crash=K, partition=K, split=n1+n2|n3, skew=D, timed, byzantine=K"
                )
        if splits:
            fields["splits"] = tuple(splits)
            fields.setdefault("partitions", 1)
        return cls(**fields)

    @classmethod
    def coerce(cls, value: "Faults | str | dict | None") -> "Faults":
        """A Faults from a Faults, its text form, its summary dict, or None (no faults)."""
        if value is None:
            return cls()
        if isinstance(value, Faults):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, dict):
            known = {f.name for f in attrs.fields(cls)}
            unknown = sorted(set(value) - known)
            if unknown:
                raise SpecError(f"unknown fault {unknown[0]!r}; faults are: {', '.join(sorted(known))}")
            return cls(**value)
        raise SpecError(f"a fault model is a Faults, its text form or a dict, not {type(value).__name__}")

    def summary(self) -> dict[str, Any]:
        """The active faults as plain values (the network always): ``Faults(**summary)`` rebuilds it."""
        out: dict[str, Any] = {"network": self.network}
        for f in attrs.fields(Faults):
            value = getattr(self, f.name)
            if f.name != "network" and value != f.default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def __str__(self) -> str:
        items = [] if self.network == "unordered" else [self.network]
        items += [name for name in ("drop", "dup") if getattr(self, name)]
        if self.crashes:
            items.append(f"crash={self.crashes}")
        if self.partitions:
            items.append(f"partition={self.partitions}")
        items += [f"split={s}" for s in self.splits]
        if self.skew is not None:
            items.append(f"skew={self.skew}")
        if self.byzantine:
            items.append(f"byzantine={self.byzantine}")
        return ",".join(items) or "none"

    @property
    def timed(self) -> bool:
        return self.skew is not None


def _items(text: str) -> list[str]:
    """``text`` split at the commas outside braces, so a split written as traces show it,
    ``split={n1,n2}|{n3}``, is one item."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


def _once(fields: dict[str, Any], name: str, value: Any, item: str) -> None:
    if name in fields:
        raise SpecError(f"fault {item!r} given twice (or conflicts with another item)")
    fields[name] = value


def _count(key: str, value: str, eq: str) -> int:
    if not eq:
        return 1
    try:
        n = int(value)
    except ValueError:
        raise SpecError(f"fault {key}={value} needs a whole number, e.g. {key}=1") from None
    if n < 0:
        raise SpecError(f"fault {key}={value} must be >= 0")
    return n


def parse_split(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``n1+n2|n3`` (or ``{n1,n2} | {n3}``) -> (("n1", "n2"), ("n3",))."""
    sides = text.split("|")
    if len(sides) != 2:
        raise SpecError(f"a split has two sides separated by '|', e.g. n1+n2|n3, not {text!r}")
    out = []
    for side in sides:
        names = tuple(n for n in side.strip().strip("{}").replace("+", " ").replace(",", " ").split() if n)
        if not names:
            raise SpecError(f"each side of split {text!r} must name at least one node")
        out.append(names)
    return out[0], out[1]


def format_split(sides: Iterable[Iterable[str]]) -> str:
    """``partition`` labels: ``{n1,n2} | {n3}``."""
    return " | ".join("{" + ",".join(side) + "}" for side in sides)
