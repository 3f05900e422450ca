"""Actor protocols: a node is a set of pure handlers; the layer makes nodes, network and
faults into an ordinary :class:`~modelcheck.Spec`, so every strategy works unchanged.

A protocol author writes only a node's correct behaviour::

    class Ping(Protocol):
        name = "ping"
        nodes = Param(2, "number of nodes")
        timers = ("retry",)
        durable = ("sent",)               # survives a crash; the rest is re-initialised

        def init(self, node):              # a node's state when it (re)starts
            return PingState(sent=0, got=0)

        def on_start(self, node, state):   # at start and after each restart
            return state, [set_timer("retry")]

        def on_timer(self, node, state, timer):
            return state._replace(sent=state.sent + 1), [broadcast(Ping())]

        def on_message(self, node, state, src, msg):
            return state._replace(got=state.got + 1), []

A handler returns ``(new_state, effects)`` (effects None: none), or None to do nothing
(the message is still consumed, the timer is spent; a refused client request is not a
step at all).  Effects are :func:`send`, :func:`broadcast`, :func:`set_timer`,
:func:`cancel_timer`, :func:`record` (ghost history) and :func:`persist`.

The global state is a :class:`Cluster`: node states, timers, messages in flight, ghost
history, and what the faults did.  Invariants read it (``self.node_states(c)``,
``self.in_flight(c)``, ``c.ghost``).  The fault model is not part of the protocol: it
is a :class:`~modelcheck.actors.Faults` given per run (``Ping(faults="drop,crash=1")``).

Deterministic successor order (replay re-executes transitions by index): deliveries in
network order, then timers (node order, declared timer order), client requests,
Byzantine sends, crashes and restarts, partitions and heal, and ticks.
"""

from __future__ import annotations

import itertools
import keyword
from collections import namedtuple
from typing import Any, ClassVar, Hashable, Iterable, Iterator, NamedTuple, Sequence

import attrs

from ..spec import MEMO_LIMIT, Spec, SpecError, find_unhashable, rename
from .faults import Faults, format_split, parse_split
from .messages import comparable, format_call, format_message, has_frozenset, message_kind
from .network import network_for

__all__ = [
    "Protocol",
    "Cluster",
    "FaultState",
    "send",
    "broadcast",
    "set_timer",
    "cancel_timer",
    "record",
    "persist",
    "numbered",
]

# -- effects ---------------------------------------------------------------------------

_SEND, _BROADCAST, _SET_TIMER, _CANCEL_TIMER, _RECORD, _PERSIST = (
    "send", "broadcast", "set_timer", "cancel_timer", "record", "persist")


def send(dst: str, msg: Hashable) -> tuple:
    """Effect: send ``msg`` to node ``dst``."""
    return (_SEND, dst, msg)


def broadcast(msg: Hashable) -> tuple:
    """Effect: send ``msg`` to every other node."""
    return (_BROADCAST, msg)


def set_timer(name: str, after: int = 1) -> tuple:
    """Effect: (re)set timer ``name``.  Untimed runs ignore ``after``; timed runs fire it
    when the node's own clock has advanced ``after`` ticks."""
    return (_SET_TIMER, name, after)


def cancel_timer(name: str) -> tuple:
    """Effect: cancel timer ``name`` (nothing happens if it is not set)."""
    return (_CANCEL_TIMER, name)


def record(item: Hashable) -> tuple:
    """Effect: add ``item`` to the ghost history (e.g. ``(term, node)`` when elected), so
    that "ever" properties are plain invariants over ``cluster.ghost``."""
    return (_RECORD, item)


_PERSIST_EFFECT = (_PERSIST,)


def persist() -> tuple:
    """Effect: write the node's durable fields to disk now.  Only protocols with
    ``explicit_persistence`` need it (a crash restores what was last persisted); for
    the others every write is durable at once and this does nothing."""
    return _PERSIST_EFFECT


# -- the global state ------------------------------------------------------------------

class FaultState(NamedTuple):
    """What the faults have done so far (present when crashes, partitions or time are on)."""

    crashed: frozenset  # names of the nodes that are down
    crashes: int  # crashes so far (bounded by Faults.crashes)
    cut: tuple | None  # (side, other side) as frozensets while partitioned
    partitions: int  # partitions so far (bounded by Faults.partitions)
    clocks: tuple | None  # timed runs: each node's clock minus real time ("+1", "0", "-1")


class Cluster(NamedTuple):
    """The global state of an actor protocol: an immutable, hashable value."""

    nodes: tuple  # node states, in node order (None for a Byzantine node)
    timers: tuple  # per node: untimed, the names of set timers; timed, (name, ticks left) pairs
    network: tuple  # messages in flight, (src, dst, msg) envelopes (see network.py)
    ghost: frozenset  # ghost history recorded with record()
    faults: FaultState | None  # None when the fault model has no crash, partition or time
    disk: tuple | None  # explicit persistence: per node, the durable values last persisted
    requests: frozenset | None  # client requests already issued (None: the protocol has none)


_new = tuple.__new__
_EMPTY = frozenset()
_NODE_RECORDS: dict[tuple[str, ...], type] = {}
_MOVED = ("modelcheck", "moved per-node records")  # a memo's sub-cache for whole records
#: handler results remembered per protocol (each kind), cleared when full
HANDLER_MEMO = 100_000


def nodes_record(names: tuple[str, ...]) -> type:
    """The per-node record class for these node names (``nodes.n2``), one per name tuple so
    states pickle (multiprocess search, checkpoints) and compare across protocol instances."""
    cls = _NODE_RECORDS.get(names)
    if cls is None:
        cls = namedtuple("Nodes", names)
        cls.__reduce__ = lambda self: (_rebuild_nodes, (self._fields, tuple(self)))
        _NODE_RECORDS[names] = cls
    return cls


def _rebuild_nodes(names: tuple[str, ...], values: tuple) -> tuple:
    return _new(nodes_record(names), values)
_KEYWORDS = frozenset(keyword.kwlist)


def _offset_text(k: int) -> str:
    return f"{k:+d}" if k else "0"


# -- the protocol ----------------------------------------------------------------------

#: the handlers a protocol defines for the layer to call on events
HANDLERS = ("on_start", "on_message", "on_timer", "on_request")


def _check_handler_names(protocol: "Protocol") -> None:
    """Refuse a method named one slip away from a handler (``on_mesage``, ``on_timre``): the
    layer would never call it, and the base class's default (ignore the message) would
    run silently.  Helpers named otherwise (``on_restart``, ``on_messages``,
    ``on_other_message``) are the protocol's own business."""
    for name in dir(type(protocol)):
        if not name.startswith("on_") or hasattr(Protocol, name) or not callable(getattr(type(protocol), name)):
            continue
        for handler in HANDLERS:
            if _one_slip(name, handler) and not (name.startswith(handler) or handler.startswith(name)):
                raise SpecError(f"protocol {protocol.title!r} defines {name}(), which the actor layer never "
                                f"calls: did you mean {handler}()?")


def _one_slip(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with one letter left out, added, changed or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:])
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]


def numbered(prefix: str, count: int) -> tuple[str, ...]:
    """``prefix1 .. prefixN``: the names of ``count`` nodes (or values) of one role."""
    return tuple(f"{prefix}{i + 1}" for i in range(count))


class Protocol(Spec):
    """Base class of actor protocols (see the module docstring).

    Declare ``timers`` (the timer names), ``durable`` (the node-state fields a crash
    keeps), optionally ``messages`` (message classes, for coverage reports) and
    ``explicit_persistence`` (durable fields reach disk only through :func:`persist`, so
    "acknowledge before fsync" can be explored).  Node states should be named tuples
    (or frozen attrs classes) so durable fields can be named.

    Once built, ``self.faults`` is the run's :class:`Faults`, ``self.names`` the nodes,
    ``self.correct_nodes`` and ``self.byzantine_nodes`` (the last ``faults.byzantine``
    nodes) split them.  ``validate()`` runs before the model is compiled, so it may set
    ``durable`` or ``explicit_persistence`` per instance (bug variants do).
    """

    supports_faults: ClassVar[bool] = True
    timers: ClassVar[tuple[str, ...]] = ()
    durable: ClassVar[tuple[str, ...]] = ()
    messages: ClassVar[tuple[type, ...]] = ()
    explicit_persistence: ClassVar[bool] = False
    #: why crash faults cannot be checked yet (e.g. roles whose durable state differs): when
    #: set, ``crash=K`` is refused with this reason rather than checked wrongly
    crashes_unsupported: ClassVar[str | None] = None
    #: the fault model of a run that names none (``--faults``), e.g. "fifo" for a protocol
    #: that assumes TCP links, "skew=1" for one that relies on clocks
    default_faults: ClassVar[str | None] = None

    def __init__(self, faults: Faults | str | dict | None = None, **params: Any) -> None:
        self.faults = Faults.coerce(self.default_faults if faults is None else faults)
        if self.faults.crashes and self.crashes_unsupported:
            raise SpecError(f"{self.title} does not support crash faults yet "
                            f"({self.crashes_unsupported}); use drop, dup or partition")
        super().__init__(**params)
        self._compile()

    # -- what the author writes --------------------------------------------------------

    def node_names(self) -> Sequence[str]:
        """The nodes: ``n1 .. nN`` for a ``nodes`` parameter; override to name them otherwise."""
        count = getattr(self, "nodes", None)
        if not isinstance(count, int):
            raise SpecError(f"protocol {self.title!r} must define a `nodes` "
                            "parameter or override node_names()")
        return numbered("n", count)

    def init(self, node: str) -> Any:
        """The state of ``node`` when it starts, and the volatile part after a restart."""
        raise NotImplementedError

    def on_start(self, node: str, state: Any) -> tuple[Any, Iterable[tuple]]:
        """Effects when ``node`` starts or restarts (e.g. set its election timer)."""
        return state, ()

    def on_message(self, node: str, state: Any, src: str, msg: Any) -> tuple[Any, Iterable[tuple]] | None:
        return None

    def on_timer(self, node: str, state: Any, timer: str) -> tuple[Any, Iterable[tuple]] | None:
        return None

    def requests(self) -> Sequence[Hashable]:
        """The finite set of client requests, all distinct; each may be issued once, to any correct node."""
        return ()

    def on_request(self, node: str, state: Any, request: Any) -> tuple[Any, Iterable[tuple]] | None:
        """Handle a client request; None refuses it (it stays available for another node)."""
        return None

    def obsolete(self, node: str, state: Any, src: str, msg: Hashable) -> bool:
        """Optional model reduction: True when ``node`` in ``state`` ignores ``msg`` now and in
        every state it can reach (e.g. a message of an earlier view).  Such messages are taken
        out of an unordered network at once: delivering one changes nothing, and a message may
        stay in flight forever anyway, so the reachable node states and ghost histories are
        the same; only the many orders in which dead messages could be consumed are gone."""
        return False

    def byzantine_messages(self, node: str, cluster: Cluster) -> Iterable[Hashable] | None:
        """The messages a Byzantine ``node`` may send to any correct node, in a fixed order.

        None (the default) means the protocol declares no vocabulary and cannot be run with
        Byzantine nodes.  A Byzantine node cannot forge messages of correct nodes: its
        messages always arrive with itself as sender.
        """
        return None

    def format_message(self, msg: Any, sender: str | None = None) -> str:
        return format_message(msg, sender)

    # -- views for invariants ------------------------------------------------------------

    def node_states(self, cluster: Cluster) -> Iterator[tuple[str, Any]]:
        """``(node, state)`` for every correct node (crashed ones show their durable state)."""
        nodes = cluster.nodes
        for j in self._correct_idx:
            yield self.names[j], nodes[j]

    def state_of(self, cluster: Cluster, node: str) -> Any:
        return cluster.nodes[self._index[node]]

    def in_flight(self, cluster: Cluster) -> Iterator[tuple[str, str, Any]]:
        """``(src, dst, msg)`` for every message in flight (each copy)."""
        return self._net.in_flight(cluster.network)

    def crashed(self, cluster: Cluster) -> frozenset:
        return cluster.faults.crashed if cluster.faults is not None else _EMPTY

    def is_byzantine(self, node: str) -> bool:
        return node in self.byzantine_nodes

    def fault_summary(self) -> dict[str, Any]:
        """The fault model of this run (recorded in results and counterexamples)."""
        return self.faults.summary()

    # -- compiling the model -------------------------------------------------------------

    def _compile(self) -> None:
        """Check the protocol against the fault model and precompute the hot-path tables."""
        faults = self.faults
        spec = self.title
        _check_handler_names(self)
        names = tuple(self.node_names())
        if not names:
            raise SpecError(f"protocol {spec!r} has no nodes")
        for name in names:
            if (not isinstance(name, str) or not name.isidentifier() or name.startswith("_")
                    or name in _KEYWORDS or name == "client"):
                raise SpecError(f"protocol {spec!r}: node name {name!r} is not a plain name like n1")
        if len(set(names)) != len(names):
            raise SpecError(f"protocol {spec!r}: node names repeat: {', '.join(names)}")
        n = len(names)
        self.names = names
        self._index = {name: j for j, name in enumerate(names)}
        k = faults.byzantine
        if k:
            if k >= n:
                raise SpecError(f"fault model byzantine={k} needs more than {k} nodes; {spec!r} has {n}")
            if type(self).byzantine_messages is Protocol.byzantine_messages:
                raise SpecError(f"protocol {spec!r} declares no byzantine_messages() vocabulary, "
                                "so it cannot be run with byzantine nodes")
        self.byzantine_nodes = names[n - k:] if k else ()
        self.correct_nodes = names[:n - k]
        self._correct_idx = tuple(range(n - k))
        self._others = tuple(tuple(d for d in self.correct_nodes if d != me) for me in names)
        self._receivers = frozenset(self.correct_nodes)
        self._net = network_for(faults.network, unique=faults.dup)
        self._unordered = faults.network == "unordered"
        self._timed = faults.timed
        self._timer_names = tuple(self.timers)
        self._timer_tables: dict = {}
        self._timeout_kind = {t: f"timeout {t}" for t in self._timer_names}
        self._kinds: dict = {}
        self._requests = tuple(self.requests())
        try:
            distinct = len(set(self._requests))
        except TypeError:
            bad = next(r for r in self._requests if find_unhashable(r, "request") is not None)
            raise SpecError(f"protocol {self.title!r}: requests() gives {bad!r}, which cannot be hashed "
                            f"({find_unhashable(bad, 'request')}); make requests tuples or messages") from None
        if distinct != len(self._requests):  # issued ones are a set: equal ones would merge
            twice = next(r for i, r in enumerate(self._requests) if r in self._requests[:i])
            raise SpecError(f"protocol {self.title!r}: requests() gives {twice!r} more than once; each request "
                            "is issued once, so make equal ones distinct (e.g. number them: numbered())")
        self._explicit = bool(self.explicit_persistence)
        # per-node records (states, timers, disk, clocks) are named tuples keyed by node name,
        # so a counterexample reads nodes.n2.term rather than nodes[1].term
        self._Nodes = nodes_record(names)
        # crash/restart: a crashed node is its initial state with the durable fields kept
        self._fresh = self._per_node(self.init(name) if j < n - k else None for j, name in enumerate(names))
        self._durable = tuple(self.durable)
        if self._durable and self._fresh[0] is not None:
            sample = self._fresh[0]
            fields = _field_names(sample)
            missing = [f for f in self._durable if f not in fields]
            if missing:
                raise SpecError(f"protocol {spec!r}: durable field {missing[0]!r} is not a field of the "
                                f"node state {type(sample).__name__} ({', '.join(fields) or 'no named fields'})")
        # partitions
        self._splits: tuple = ()
        if faults.partitions:
            splits = [parse_split(s) for s in faults.splits] or list(_all_splits(names))
            checked = []
            for a, b in splits:
                unknown = [x for x in a + b if x not in self._index]
                if unknown:
                    raise SpecError(f"split {format_split((a, b))} names unknown node {unknown[0]!r}; "
                                    f"nodes are {', '.join(names)}")
                if len(set(a + b)) != len(a + b) or len(a + b) != n:
                    raise SpecError(f"split {format_split((a, b))} must put each of {', '.join(names)} "
                                    "on exactly one side")
                a = tuple(x for x in names if x in a)
                b = tuple(x for x in names if x in b)
                checked.append((a, b, (frozenset(a), frozenset(b))))
            self._splits = tuple(checked)
        self._cuts = frozenset(cut for _, _, cut in self._splits)
        self._has_fault_state = bool(faults.crashes or faults.partitions or faults.timed)
        self._tick_table: dict = {}
        # handlers are pure, and the same (node state, message) pairs recur in many states
        self._message_memo: dict = {}
        self._state_classes: dict[int, type] = {}  # node states' named-tuple classes, by size
        self._timer_memo: dict = {}
        # obsolete(): only where a protocol defines it, on unordered networks
        self._prunes = type(self).obsolete is not Protocol.obsolete and self._unordered
        self._obsolete_memo: dict = {}  # obsolete(), by receiver state and envelope

    # -- the state machine ---------------------------------------------------------------

    def initial_states(self) -> list[Cluster]:
        fstate = None
        if self._has_fault_state:
            clocks = self._per_node("0" for _ in self.names) if self._timed else None
            fstate = FaultState(_EMPTY, 0, None, 0, clocks)
        disk = None
        if self._explicit:
            disk = self._per_node(self._durable_values(s) if s is not None else None for s in self._fresh)
        c = Cluster(self._fresh, self._per_node(() for _ in self.names), self._net.empty, _EMPTY, fstate, disk,
                    _EMPTY if self._requests else None)
        for j in self._correct_idx:
            c = self._apply(c, j, self._outcome(j, self.on_start(self.names[j], c.nodes[j]), c.nodes[j]), c.network,
                            c.timers[j])
        return [c]

    def successors(self, c: Cluster) -> list[tuple[tuple, Cluster]]:
        out: list = []
        append = out.append
        nodes, timers, net, ghost, fstate, disk, issued = c
        names = self.names
        index = self._index
        crashed = fstate.crashed if fstate is not None else _EMPTY
        cut = fstate.cut if fstate is not None else None
        side = cut[0] if cut is not None else None
        faults = self.faults
        dup = faults.dup
        apply = self._apply
        handled = self._handled
        on_message, message_memo = self.on_message, self._message_memo
        network = self._net
        kinds = self._kinds

        # messages
        if self._unordered:  # the common case, inlined: Unordered.deliverable and .consume
            prev = None
            for pos, env in enumerate(net):
                if env == prev:
                    continue  # an equal copy: the same transition
                prev = env
                src, dst, msg = env
                if crashed and dst in crashed:
                    continue
                if side is not None and (src in side) != (dst in side):
                    continue
                kind = kinds.get(msg.__class__) or self._kinds_of(msg)
                j = index[dst]
                result = handled(message_memo, on_message, (dst, nodes[j], src, msg))
                append(((kind[0], src, dst, msg), apply(c, j, result, net[:pos] + net[pos + 1:], timers[j])))
                if dup:
                    append(((kind[1], src, dst, msg), apply(c, j, result, net, timers[j])))
        else:
            for src, dst, msg, pos in network.deliverable(net):
                if crashed and dst in crashed:
                    continue
                if side is not None and (src in side) != (dst in side):
                    continue
                kind = kinds.get(msg.__class__) or self._kinds_of(msg)
                j = index[dst]
                result = handled(message_memo, on_message, (dst, nodes[j], src, msg))
                append(((kind[0], src, dst, msg), apply(c, j, result, network.consume(net, pos), timers[j])))
                if dup:
                    append(((kind[1], src, dst, msg), apply(c, j, result, net, timers[j])))
        if faults.drop:
            for src, dst, msg, pos in network.losable(net):
                kind = kinds.get(msg.__class__) or self._kinds_of(msg)
                append(((kind[2], src, dst, msg), _new(Cluster, (nodes, timers, network.lose(net, pos),
                                                                 ghost, fstate, disk, issued))))
        # timers
        timed = self._timed
        for j in self._correct_idx:
            mine = timers[j]
            if not mine:
                continue
            me = names[j]
            for t in mine:
                if timed:
                    t, left = t
                    if left:
                        continue
                result = handled(self._timer_memo, self.on_timer, (me, nodes[j], t))
                append(((self._timeout_kind[t], me, t), apply(c, j, result, net, self._cancel(mine, t))))
        # client requests
        if self._requests:
            for req in self._requests:
                if req in issued:
                    continue
                after = c._replace(requests=issued | {req})
                for j in self._correct_idx:
                    me = names[j]
                    if me in crashed:
                        continue
                    result = self.on_request(me, nodes[j], req)
                    if result is not None:
                        append((("request " + message_kind(req), me, req),
                                apply(after, j, self._outcome(j, result, nodes[j]), net, timers[j])))
        # Byzantine nodes
        for b in self.byzantine_nodes:
            for msg in self.byzantine_messages(b, c) or ():
                kind = kinds.get(msg.__class__) or self._kinds_of(msg)
                for j in self._correct_idx:
                    dst = names[j]
                    if dst in crashed or (side is not None and (b in side) != (dst in side)):
                        continue
                    result = handled(message_memo, on_message, (dst, nodes[j], b, msg))
                    if result is not None:
                        append(((kind[3], b, dst, msg), apply(c, j, result, net, timers[j])))
        if fstate is not None:
            self._nemesis(c, append)
        if self._prunes:
            return [(action, self._without_obsolete(nxt)) for action, nxt in out]
        return out

    def _without_obsolete(self, c: Cluster) -> Cluster:
        """``c`` without the messages their receivers will ignore forever (see obsolete)."""
        net = c.network
        if not net:
            return c
        nodes, index, known = c.nodes, self._index, self._obsolete_memo
        if len(known) > 200_000:
            known.clear()
        keep = []
        for env in net:
            key = (nodes[index[env[1]]], env)
            dead = known.get(key)
            if dead is None:
                dead = known[key] = self.obsolete(env[1], key[0], env[0], env[2])
            if not dead:
                keep.append(env)
        return c if len(keep) == len(net) else c._replace(network=tuple(keep))

    def _nemesis(self, c: Cluster, append) -> None:
        """Crash, restart, partition, heal, tick: the faults' own transitions."""
        nodes, timers, net, ghost, fstate, disk, issued = c
        faults = self.faults
        names = self.names
        crashed = fstate.crashed
        if fstate.crashes < faults.crashes:
            for j in self._correct_idx:
                me = names[j]
                if me in crashed:
                    continue
                values = disk[j] if self._explicit else None
                state = self._restore(j, nodes[j], values)
                fs = fstate._replace(crashed=crashed | {me}, crashes=fstate.crashes + 1)
                append((("crash", me), _new(Cluster, (self._put(nodes, j, state), self._put(timers, j, ()), net,
                                                       ghost, fs, disk, issued))))
        for j in self._correct_idx:
            me = names[j]
            if me in crashed:
                after = c._replace(faults=fstate._replace(crashed=crashed - {me}))
                append((("restart", me), self._apply(after, j, self._outcome(j, self.on_start(me, nodes[j]), nodes[j]),
                                                      net, ())))
        if fstate.cut is None:
            if fstate.partitions < faults.partitions:
                for a, b, cut in self._splits:
                    fs = fstate._replace(cut=cut, partitions=fstate.partitions + 1)
                    append((("partition", a, b), c._replace(faults=fs)))
        else:
            append((("heal",), c._replace(faults=fstate._replace(cut=None))))
        if self._timed:
            for mine in timers:
                for _, left in mine:
                    if not left:
                        return  # a due timer fires before time moves on
            for clocks, label, advance in self._ticks(fstate.clocks):
                new_timers = self._per_node(
                    tuple((t, left - adv if left > adv else 0) for t, left in mine) if mine else mine
                    for mine, adv in zip(timers, advance))
                append((("tick", label), _new(Cluster, (nodes, new_timers, net, ghost,
                                                        fstate._replace(clocks=clocks), disk, issued))))

    def _ticks(self, clocks: tuple) -> list:
        """For a clock vector, every next one: each node's clock advances 0, 1 or 2 ticks
        while staying within ``skew`` of real time.  ``(clocks, label, advances)``."""
        found = self._tick_table.get(clocks)
        if found is None:
            skew = self.faults.skew
            now = [int(x) for x in clocks]
            options = [[o for o in (k, k - 1, k + 1) if -skew <= o <= skew] for k in now]
            found = []
            for new in itertools.product(*options):
                label = tuple(f"{self.names[j]}={_offset_text(o)}" for j, o in enumerate(new) if o)
                advance = tuple(1 + o - k for o, k in zip(new, now))
                found.append((self._per_node(_offset_text(o) for o in new), label, advance))
            self._tick_table[clocks] = found
        return found

    # -- calling the handlers -------------------------------------------------------------

    def _handled(self, memo: dict, handler: Any, args: tuple) -> Any:
        """``handler(*args)`` (``args[0]`` the node) as :meth:`_outcome`, remembered in
        ``memo``: handlers are pure functions of their arguments, and the same node state
        meets the same message or timer in many cluster states (``benchmarks/reuse.py``
        counts them on raft-election)."""
        try:
            found = memo.get(args, memo)
        except TypeError:  # an unhashable node state: reported where the state is hashed
            return self._outcome(self._index[args[0]], handler(*args), args[1])
        if found is memo:
            found = self._outcome(self._index[args[0]], handler(*args), args[1])
            if len(memo) >= HANDLER_MEMO:
                memo.clear()
            memo[args] = found
        return found

    # -- applying a handler's result ----------------------------------------------------

    def _one_class_per_size(self, state: Any) -> None:
        """Refuse node states of two named-tuple classes with as many fields: equal fields make
        them equal tuples (a class is not part of a tuple's value), so the search would take
        ``Idle(0)`` and ``Busy(0)`` for one state, and one's handler results for the other's."""
        fields = getattr(state.__class__, "_fields", None)
        if fields is None or not isinstance(state, tuple):
            return
        other = self._state_classes.setdefault(len(fields), state.__class__)
        if other is not state.__class__:
            size = f"{len(fields)} field" + "s" * (len(fields) != 1)
            raise SpecError(f"node states {other.__name__} and {state.__class__.__name__} are named tuples of "
                            f"{size}: with equal fields they are equal tuples (a class is not part "
                            "of a tuple's value), so the search would take one for the other; use one class "
                            "with a field telling them apart (e.g. role)")

    def _outcome(self, j: int, result: Any, old: Any) -> tuple | None:
        """Node ``j``'s handler result ``(state, effects)`` (or None) checked and sorted out
        once, so that applying it again in other clusters does no work twice:
        ``(state, envelopes sent, timer changes, ghost items, persist?)``; ``old`` is the
        state the handler was given."""
        if result is None:
            return None
        if result.__class__ is not tuple or len(result) != 2:
            raise SpecError(f"a handler of node {self.names[j]} returned {result!r}; "
                            "handlers return (state, effects) or None")
        state, effects = result
        me = self.names[j]
        if state.__class__ is not old.__class__:
            for value in (old, state):
                self._one_class_per_size(value)
        if effects is None:  # (state, None): a new state and nothing else
            effects = ()
        elif not hasattr(effects, "__iter__"):
            raise SpecError(f"a handler of node {me} returned the effects {effects!r}; effects are a list, "
                            "e.g. [send(...)], or [] for none")
        sends: list = []
        timer_changes: list = []
        records: list = []
        persists = False
        for e in effects:  # the most frequent effects first
            op = e[0]
            if op is _SEND:
                dst = e[1]
                if dst in self._receivers:
                    sends.append((me, dst, e[2]))
                elif dst not in self._index:
                    raise SpecError(f"node {me} sent {self.format_message(e[2])} "
                                    f"to unknown node {dst!r}")
            elif op is _PERSIST:
                persists = True
            elif op is _SET_TIMER:
                timer_changes.append(e)
            elif op is _BROADCAST:
                sends += [(me, dst, e[1]) for dst in self._others[j]]
            elif op is _CANCEL_TIMER:
                timer_changes.append(e)
            elif op is _RECORD:
                records.append(e[1])
            elif isinstance(e, str):
                raise SpecError(f"node {me} returned the effect {effects!r} alone; "
                                "effects are a list: [send(...)]")
            else:
                raise SpecError(f"node {me} returned an unknown effect {e!r}; use send, "
                                "broadcast, set_timer, cancel_timer, record or persist")
        if sends:  # sets in a message get a total order: the network keeps messages sorted
            sends = [env if not has_frozenset(env[2]) else (env[0], env[1], comparable(env[2])) for env in sends]
        return (state, tuple(sends), tuple(timer_changes), frozenset(records) if records else None,
                persists and self._explicit)

    def _apply(self, c: Cluster, j: int, outcome: tuple | None, net: tuple, mine: tuple) -> Cluster:
        """The cluster after node ``j`` handled an event: ``outcome`` is the handler's result
        as :meth:`_outcome` made it, ``net`` the network once the event is consumed,
        ``mine`` the node's timers once a fired timer is spent."""
        if outcome is None:
            timers = c[1]
            if mine is not timers[j]:
                timers = self._put(timers, j, mine)
            return _new(Cluster, (c[0], timers, net, c[3], c[4], c[5], c[6]))
        state, sends, timer_changes, records, persists = outcome
        nodes, timers, _, ghost, fstate, disk, issued = c
        if state is not nodes[j]:
            nodes = list(nodes)
            nodes[j] = state
            nodes = _new(self._Nodes, nodes)
        for e in timer_changes:
            mine = self._set(mine, e[1], e[2]) if e[0] is _SET_TIMER else self._cancel(mine, e[1])
        if mine is not timers[j]:
            timers = self._put(timers, j, mine)
        if sends:
            net = self._net.add(net, sends)
        if records is not None:
            ghost = ghost | records
        if persists:  # explicit persistence only: otherwise every write is durable at once
            disk = self._put(disk, j, self._durable_values(state))
        return _new(Cluster, (nodes, timers, net, ghost, fstate, disk, issued))

    # -- timers: untimed, a tuple of names; timed, (name, ticks left) pairs; declared order

    def _set(self, mine: tuple, name: str, after: int) -> tuple:
        key = (mine, name, after if self._timed else 0)
        found = self._timer_tables.get(key)
        if found is None:
            if name not in self._timeout_kind:
                raise SpecError(f"set_timer({name!r}): protocol {self.title!r} declares timers "
                                f"{self._timer_names}; add {name!r} to `timers`")
            if self._timed:
                if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                    raise SpecError(f"set_timer({name!r}, after={after!r}): after must be a whole number >= 0")
                left = dict(mine)
                left[name] = after
                found = tuple((t, left[t]) for t in self._timer_names if t in left)
            else:
                found = tuple(t for t in self._timer_names if t in mine or t == name)
            self._timer_tables[key] = found
        return found

    def _cancel(self, mine: tuple, name: str) -> tuple:
        key = (mine, name)
        found = self._timer_tables.get(key)
        if found is None:
            if name not in self._timeout_kind:
                raise SpecError(f"cancel_timer({name!r}): protocol {self.title!r} declares no such timer")
            if self._timed:
                found = tuple(p for p in mine if p[0] != name)
            else:
                found = tuple(t for t in mine if t != name)
            self._timer_tables[key] = found
        return found

    def permute(self, c: Cluster, renaming: Any, memo: dict | None = None) -> Cluster:
        """``c`` with nodes (and any other declared names) renamed, for ``--symmetry``:
        per-node records move to their new node's place, names inside states, messages
        and the ghost history are renamed, and the network is sorted again.  ``memo``
        (one per renaming) caches renamed parts, whole records included."""
        if not renaming:
            return c
        index = self._index
        to = [index[renaming.get(name, name)] for name in self.names]
        moved = None if memo is None else memo.setdefault(_MOVED, {})
        if moved is not None and len(moved) > MEMO_LIMIT:  # whole records: bounded
            moved.clear()

        def move(record: tuple | None) -> tuple | None:
            if record is None:
                return None
            if moved is not None:
                out = moved.get(record)
                if out is not None and out.__class__ is record.__class__:
                    return out
            slots: list = [None] * len(to)
            for j, value in enumerate(record):
                slots[to[j]] = rename(value, renaming, memo)
            out = self._per_node(slots)
            if moved is not None:
                moved[record] = out
            return out

        nodes, timers, net, ghost, fstate, disk, issued = c
        if fstate is not None:
            cut = fstate.cut
            if cut is not None:
                cut = (rename(cut[0], renaming, memo), rename(cut[1], renaming, memo))
                if cut not in self._cuts and cut[::-1] in self._cuts:
                    cut = cut[::-1]
            fstate = FaultState(rename(fstate.crashed, renaming, memo), fstate.crashes, cut,
                                fstate.partitions, move(fstate.clocks))
        if memo is None:
            network = tuple(sorted(rename(env, renaming) for env in net))
        else:  # networks seldom recur whole, but their envelopes do: look each one up (rename's
            # own memo lookup, inlined: this runs for every envelope of every orbit key computed)
            get = memo.get
            items = []
            for env in net:
                out = get(env)
                if out is None or out.__class__ is not env.__class__:
                    out = rename(env, renaming, memo)
                items.append(out)
            items.sort()
            network = tuple(items)
        return Cluster(move(nodes), move(timers), network, rename(ghost, renaming, memo), fstate, move(disk),
                       None if issued is None else rename(issued, renaming, memo))

    def symmetry_labels(self, c: Cluster) -> dict | None:
        """Each interchangeable node's own part of the state (node state, timers, disk,
        crashed, clock) with its own name blanked to ``@self`` and the other
        interchangeable names to ``@node``, and how many messages it has in flight to and
        from it: unchanged by any renaming of the nodes, so the explorer only tries the
        renamings that sort these labels."""
        tables = getattr(self, "_label_tables", None)
        if tables is None:
            names = [x for group in self.symmetry() for x in group]
            tables = self._label_tables = {
                x: ({y: "@node" for y in names if y != x} | {x: "@self"}, {}) for x in names if x in self._index}
        nodes, timers, net, _, fstate, disk, _ = c
        crashed = fstate.crashed if fstate is not None else _EMPTY
        clocks = fstate.clocks if fstate is not None else None
        sent: dict = {}
        received: dict = {}
        for src, dst, _ in self._net.in_flight(net):
            sent[src] = sent.get(src, 0) + 1
            received[dst] = received.get(dst, 0) + 1
        labels = {}
        for x, (table, memo) in tables.items():
            if len(memo) > MEMO_LIMIT:
                memo.clear()
            j = self._index[x]
            local = (nodes[j], timers[j], None if disk is None else disk[j], x in crashed,
                     None if clocks is None else clocks[j])
            own = memo.get(local)
            if own is None:
                own = memo[local] = hash(rename(local, table))
            labels[x] = hash((own, sent.get(x, 0), received.get(x, 0)))
        return labels

    def _per_node(self, values: Iterable[Any]) -> tuple:
        return _new(self._Nodes, values)

    def _put(self, items: tuple, j: int, value: Any) -> tuple:
        """``items`` (a per-node record) with node ``j``'s entry replaced."""
        changed = list(items)
        changed[j] = value
        return _new(self._Nodes, changed)

    # -- durable state -------------------------------------------------------------------

    def _durable_values(self, state: Any) -> tuple:
        return tuple(getattr(state, f) for f in self._durable)

    def _restore(self, j: int, state: Any, values: tuple | None) -> Any:
        """A crashed node: its initial state with the durable fields of ``state`` (or of
        ``values``, what was last persisted)."""
        fresh = self._fresh[j]
        if not self._durable:
            return fresh
        if values is None:
            values = self._durable_values(state)
        changes = dict(zip(self._durable, values))
        if hasattr(fresh, "_replace"):
            return fresh._replace(**changes)
        return attrs.evolve(fresh, **changes)

    # -- presentation --------------------------------------------------------------------

    def _kinds_of(self, msg: Any) -> tuple[str, str, str, str]:
        kind = message_kind(msg)
        found = (f"deliver {kind}", f"dup {kind}", f"drop {kind}", f"byzantine {kind}")
        if msg.__class__ not in (tuple, str):
            self._kinds[msg.__class__] = found
        return found

    def action_kinds(self) -> tuple[str, ...]:
        """Every kind of action this run may take (the CLI lists those that never fired)."""
        faults = self.faults
        out = []
        for cls in self.messages:
            kind = cls.__name__
            out.append(f"deliver {kind}")
            if faults.dup:
                out.append(f"dup {kind}")
            if faults.drop:
                out.append(f"drop {kind}")
        if faults.byzantine:
            out += [f"byzantine {cls.__name__}" for cls in self.messages]
        out += [f"timeout {t}" for t in self._timer_names]
        out += list(dict.fromkeys(f"request {message_kind(r)}" for r in self._requests))
        if faults.crashes:
            out += ["crash", "restart"]
        if faults.partitions:
            out += ["partition", "heal"]
        if faults.timed:
            out.append("tick")
        return tuple(out)

    def format_action(self, action: Any) -> str:
        """``n2 <- Vote(term=2, from=n3, granted=True)``, ``n1 timeout election``, ``crash n2``..."""
        if isinstance(action, str):
            return action
        kind = action[0]
        head = kind.split(" ", 1)[0]
        if head in ("deliver", "dup", "drop", "byzantine") and len(action) == 4:
            _, src, dst, msg = action
            if head == "deliver":
                return f"{dst} <- {self.format_message(msg, src)}"
            if head == "dup":
                return f"dup {dst} <- {self.format_message(msg, src)}"
            if head == "drop":
                return f"drop {src} -> {dst} {self.format_message(msg)}"
            return f"{src} (byzantine) -> {dst} {self.format_message(msg)}"
        if head == "timeout":
            return f"{action[1]} timeout {action[2]}"
        if head == "request":
            return f"client -> {action[1]} {format_call(action[2])}"
        if head in ("crash", "restart"):
            return f"{head} {action[1]}"
        if head == "partition":
            return "partition " + format_split(action[1:])
        if head == "heal":
            return "heal"
        if head == "tick":
            return f"tick ({', '.join(action[1])})" if action[1] else "tick"
        return super().format_action(action)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args}{', ' if args else ''}faults={str(self.faults)!r})"




def _field_names(state: Any) -> tuple[str, ...]:
    fields = getattr(state, "_fields", None)
    if fields is not None:
        return tuple(fields)
    attrs_fields = getattr(type(state), "__attrs_attrs__", None)
    if attrs_fields is not None:
        return tuple(f.name for f in attrs_fields)
    return ()


def _all_splits(names: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every two-sided split, the first node's side first; smaller other side first."""
    rest = names[1:]
    for size in range(1, len(names)):
        for other in itertools.combinations(rest, size):
            a = tuple(x for x in names if x not in other)
            yield a, other
