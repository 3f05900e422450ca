"""Practical Byzantine Fault Tolerance: Castro and Liskov, "Practical Byzantine Fault
Tolerance" (OSDI 1999), section 4.2 (normal-case operation) and section 4.4 (view changes).

Replicas ``n1 .. nN`` (``replicas``, default 4 = 3f + 1 with f = 1).  The primary of view
v is replica p = v mod N (section 4.1) with the replicas numbered so that the last node,
the one ``--faults byzantine=1`` makes Byzantine, is replica 0: ``n4`` is the primary of
view 0, ``n1`` of view 1.  Quorums are ``bft_quorum(N, f)`` = 2f + 1 replicas.  Client
values are ``a``, ``b`` (``values``); sequence numbers ``1 .. seqs`` (default 1); views
``0 .. views - 1`` (default 2: at most one view change).  A value is its own digest.
This spec defaults its fault model to ``byzantine=1`` (``PBFT()`` ==
``PBFT(faults="byzantine=1")``; ``modelcheck explore pbft`` without ``--faults`` uses it).

Normal case (4.2): a client request ``Request(v)`` is issued to the active primary of a
view, which gives it the lowest free sequence number s and multicasts
``PrePrepare(view, s, v)``.  A backup of that view with no pre-prepare for (view, s)
accepts it and multicasts ``Prepare(view, s, v)``.  A replica is *prepared* for
(view, s, v) with the pre-prepare and 2f prepares from distinct backups (a prepare from
the primary does not count): 2f + 1 replicas in all.  It then multicasts
``Commit(view, s, v)`` and keeps (view, v) as its prepared certificate for s.  It
*commits* v at s (committed-local) once prepared with 2f + 1 matching commits from
distinct replicas.  Messages of another view are ignored, as is anything for (view, s)
that disagrees with the pre-prepare accepted there.

View change (4.4): a replica's ``view-change`` timer runs while it waits: from accepting
a pre-prepare until it commits, and from a view change until NEW-VIEW (untimed, it may
fire at any moment while set).  On expiry the replica moves to view v + 1 and sends
``ViewChange(v + 1, P)`` to the new primary, P listing its latest prepared certificate
per sequence number as (seq, view, value); it then accepts only NEW-VIEW.  The primary of
v + 1, with view changes from 2f other replicas (plus its own, sent or not yet sent),
re-proposes per sequence number, up to the highest with a certificate, the value of the
certificate with the highest view (the null request ``null`` where none has one) and
multicasts ``NewView(v + 1, O)`` with these pre-prepares; a backup accepts it, enters the
view and prepares them.  Later requests take the sequence numbers after those in O.

Byzantine nodes (``--faults byzantine=K``, the last K) may send at any moment, to any
correct replica: a pre-prepare of any client value for a view they lead (equivocation),
prepares and commits of any value, and view changes carrying no certificate or any
certificate that exists (signatures cannot be forged: a certificate is held by a correct
replica, or is made of the pre-prepare of its view's primary and prepares from distinct
backups, 2f + 1 in all, that correct replicas (who keep the pre-prepares of the view
they left until they enter another) or the Byzantine node itself signed).

Not modelled, within the paper's assumptions: checkpoints, watermarks, replies, execution;
the f + 1 rule for joining a view change; view-change messages go to the new primary only,
and backups do not check O against them, which would only matter with a Byzantine new
primary: ``validate`` refuses bounds where one would lead a view (N = 4 with byzantine=1:
views <= 4).  A crash loses nothing (every field is durable: PBFT counts a replica that
forgets as faulty).  With more than two views a Byzantine node may show a certificate two
views old only if a correct replica still holds it (exact at the default two views).

Model reductions, each leaving the reachable node states and commits unchanged:
(1) a message its receiver will ignore forever (an earlier view; a disagreeing or no
longer needed prepare or commit of the current view) is taken out of the network at once
instead of waiting to be consumed in every possible order; (2) a Byzantine prepare,
commit or view change is taken only when it completes a certificate, a commit or the
new primary's 2f + 1 view changes (kept earlier it would only wait, and the Byzantine node
may send it again later); (3) in the last view, replicas forget their certificates, which
no view change can use any more.

Invariants: agreement (for each sequence number, no two correct replicas commit
different values, across views; each commit is kept in the ghost history as
``("committed", seq, view, value)``) and validity (a committed value other than the null
request is a client value: requests are signed, so a Byzantine primary can propose
nothing else).  ``value_committed`` and ``recommitted_in_new_view`` (a value committed in
one view is committed again in the next, re-proposed through NEW-VIEW) show the model is
not vacuous.

Bug variant ``small-quorum``: quorums of 2f replicas instead of 2f + 1 (prepared with the
pre-prepare and 2f - 1 prepares, committed with 2f commits).  The Byzantine primary n4
sends ``PrePrepare(0, 1, a)`` to n1 and ``PrePrepare(0, 1, b)`` to n2 and its own commit
for each value: n1 commits a and n2 commits b, found by BFS at the default bounds in 4
steps.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from modelcheck import Param, SpecError, invariant, invariants, sometimes
from modelcheck.actors import (
    Message,
    Protocol,
    bft_quorum,
    broadcast,
    cancel_timer,
    numbered,
    record,
    send,
    set_timer,
)
from modelcheck.actors.quorum import max_byzantine

NULL = "null"  # the null request a new primary proposes for a sequence number with no certificate
NONE: frozenset = frozenset()


class Request(Message):
    """Client request: execute ``value`` (section 4.1)."""

    value: str


class PrePrepare(Message):
    """Primary -> backups: ``value`` gets sequence number ``seq`` in ``view`` (4.2)."""

    view: int
    seq: int
    value: str


class Prepare(Message):
    """Backup -> all: it accepted the pre-prepare of ``value`` for (view, seq) (4.2)."""

    view: int
    seq: int
    value: str


class Commit(Message):
    """Replica -> all: it is prepared for ``value`` at (view, seq) (4.2)."""

    view: int
    seq: int
    value: str


class ViewChange(Message):
    """Replica -> primary of ``view``: it moved to ``view``; ``prepared`` holds its latest
    prepared certificate per sequence number, as (seq, view, value) (4.4)."""

    view: int
    prepared: tuple


class NewView(Message):
    """New primary -> backups: ``view`` starts with the pre-prepares ``preprepares``,
    (seq, value) pairs (4.4)."""

    view: int
    preprepares: tuple


class Replica(NamedTuple):
    view: int  # current view
    active: bool  # False from sending VIEW-CHANGE until NEW-VIEW is accepted
    preprepared: tuple  # per sequence number, the value pre-prepared in this view ("" none)
    prepares: frozenset  # (seq, backup, value) of the prepares received in this view
    commits: frozenset  # (seq, replica, value) of the commits received in this view
    prepared: tuple  # per sequence number, its latest prepared certificate (view, value); (-1, "") none
    viewchanges: frozenset  # as the primary of a later view: (replica, P) of its view changes received


class PBFT(Protocol):
    """PBFT normal case and one view change (OSDI 1999, 4.2 and 4.4): agreement and validity."""

    name = "pbft"
    default_faults = "byzantine=1"
    replicas = Param(4, "number of replicas N (tolerates f = (N - 1) // 3 Byzantine ones)", min=4, max=7)
    seqs = Param(1, "sequence numbers", min=1, max=3)
    views = Param(2, "views 0 .. views - 1 (2: at most one view change)", min=1, max=4)
    values = Param(2, "client values a, b, ...", min=1, max=3)
    bugs = {"small-quorum": "quorums of 2f replicas instead of 2f + 1"}

    timers = ("view-change",)
    messages = (PrePrepare, Prepare, Commit, ViewChange, NewView)
    durable = Replica._fields


    def node_names(self):
        return numbered("n", self.replicas)

    def validate(self) -> None:
        n = self.replicas
        self.f = max_byzantine(n)
        self.quorum = 2 * self.f if self.bug == "small-quorum" else bft_quorum(n, self.f)
        self.client_values = tuple("abc"[:self.values])
        names = self.node_names()
        self._primary = tuple(names[(v - 1) % n] for v in range(self.views))
        byzantine = set(names[n - self.faults.byzantine:]) if self.faults.byzantine else set()
        for v in range(1, self.views):
            if self._primary[v] in byzantine:
                raise SpecError(f"pbft: the primary of view {v}, {self._primary[v]}, would be Byzantine; "
                                "new-view messages of a Byzantine primary are not modelled (use fewer views)")
        self._leads = {self._primary[v]: v for v in range(1, self.views)}  # the new view a node leads
        self._seq_range = tuple(range(1, self.seqs + 1))
        # the values a pre-prepare may carry: null only arises with a gap below a certificate
        self._proposable = self.client_values + ((NULL,) if self.seqs > 1 else ())
        self._vocabulary: dict = {}  # byzantine_messages, by node and node states
        self._byzantine = frozenset(byzantine)
        self._no_certificates = ((-1, ""),) * self.seqs

    def primary(self, view: int) -> str:
        return self._primary[view]

    def requests(self):
        return tuple(Request(v) for v in self.client_values)

    # -- handlers ----------------------------------------------------------------------

    def init(self, node: str) -> Replica:
        return Replica(0, True, ("",) * self.seqs, NONE, NONE, self._no_certificates, NONE)

    def on_start(self, node: str, s: Replica):
        return s, [self._timer(s)]

    def on_request(self, node: str, s: Replica, req: Request):
        # 4.2: the primary assigns the request the lowest free sequence number
        if not s.active or self.primary(s.view) != node or "" not in s.preprepared:
            return None
        seq = s.preprepared.index("") + 1
        s = _accept(s, seq, req.value)
        return self._progress(node, s, seq, [broadcast(PrePrepare(s.view, seq, req.value))])

    def on_timer(self, node: str, s: Replica, timer: str):
        # 4.4: the replica suspects the primary and moves to the next view
        view = s.view + 1
        if view >= self.views:
            return None
        certificates = tuple((seq, pv, x) for seq, (pv, x) in zip(self._seq_range, s.prepared) if x)
        kept = s.viewchanges if self._leads.get(node, -1) >= view else NONE  # else stale
        # the pre-prepares of the view left stay, as the record of what this replica voted
        # for (Byzantine nodes may show certificates made of them); a second timeout forgets them
        voted = s.preprepared if s.active else ("",) * self.seqs
        s = Replica(view, False, voted, NONE, NONE, self._carried(view, s.prepared), kept)
        effects = [self._timer(s)]
        new_primary = self.primary(view)
        if new_primary != node:
            return s, effects + [send(new_primary, ViewChange(view, certificates))]
        return s._replace(viewchanges=s.viewchanges | {(node, certificates)}), effects

    def on_message(self, node: str, s: Replica, src: str, msg):
        cls = msg.__class__
        if cls is ViewChange:
            return self._view_change(node, s, src, msg)
        if cls is NewView:
            return self._new_view(node, s, src, msg)
        if msg.view != s.view or not s.active:
            return None
        seq, value = msg.seq, msg.value
        if cls is PrePrepare:
            if src != self.primary(s.view) or s.preprepared[seq - 1]:
                return None
            return self._preprepare(node, s, seq, value, [])
        mine = s.preprepared[seq - 1]
        if mine and value != mine:
            return None  # not the value pre-prepared in this view
        if cls is Prepare:
            if (src == self.primary(s.view) or (seq, src, value) in s.prepares
                    or s.prepared[seq - 1] == (s.view, value)):
                return None  # from the primary, a duplicate, or no longer needed
            after = s._replace(prepares=s.prepares | {(seq, src, value)})
        else:
            if (seq, src, value) in s.commits:
                return None
            after = s._replace(commits=s.commits | {(seq, src, value)})
        result = self._progress(node, after, seq, [])
        if src in self._byzantine and not self._advanced(s, result[0], seq):
            # Model reduction: a Byzantine prepare or commit is taken only when it completes
            # a certificate.  Kept earlier it would only wait in the log, and the Byzantine
            # node may send it again at any later moment: the same states are reached.
            return None
        return result

    def _carried(self, view: int, prepared: tuple) -> tuple:
        """The prepared certificates a replica carries into ``view``: in the last view no
        view change can use them any more, so they are forgotten (fewer states)."""
        return prepared if view + 1 < self.views else self._no_certificates

    def _advanced(self, before: Replica, after: Replica, seq: int) -> bool:
        """``after`` is newly prepared or newly committed at ``seq``."""
        return (after.prepared[seq - 1] != before.prepared[seq - 1]
                or (self._committed(after, seq) and not self._committed(before, seq)))

    def _preprepare(self, node: str, s: Replica, seq: int, value: str, effects: list):
        """A backup accepts the pre-prepare of ``value`` at ``seq`` and prepares it."""
        s = _accept(s, seq, value)
        s = s._replace(prepares=s.prepares | {(seq, node, value)})
        effects += [broadcast(Prepare(s.view, seq, value))]
        return self._progress(node, s, seq, effects)

    def _progress(self, node: str, s: Replica, seq: int, effects: list):
        """Prepared and committed-local (4.2) for ``seq`` after ``s`` changed."""
        value = s.preprepared[seq - 1]
        if not value:
            return s, effects
        view = s.view
        if s.prepared[seq - 1] != (view, value):
            backups = sum(1 for q, _, x in s.prepares if q == seq and x == value)
            if backups < self.quorum - 1:
                return s, effects + [self._timer(s)]
            s = s._replace(prepared=_put(s.prepared, seq, (view, value)), prepares=_keep(s.prepares, seq, None),
                           commits=s.commits | {(seq, node, value)})
            effects = effects + [broadcast(Commit(view, seq, value))]
        if self._committed(s, seq):
            effects = effects + [record(("committed", seq, view, value))]
        return s, effects + [self._timer(s)]

    def _committed(self, s: Replica, seq: int) -> bool:
        """Committed-local (4.2): prepared in this view and 2f + 1 matching commits."""
        value = s.preprepared[seq - 1]
        return (bool(value) and s.prepared[seq - 1] == (s.view, value)
                and sum(1 for q, _, x in s.commits if q == seq and x == value) >= self.quorum)

    def _timer(self, s: Replica) -> tuple:
        """4.4: a replica's view-change timer runs while it waits: for a request it
        pre-prepared to commit, or for NEW-VIEW (and only while a later view exists)."""
        waiting = not s.active or any(x and not self._committed(s, seq)
                                      for seq, x in zip(self._seq_range, s.preprepared))
        return set_timer("view-change") if waiting and s.view + 1 < self.views else cancel_timer("view-change")

    def _view_change(self, node: str, s: Replica, src: str, msg: ViewChange):
        """The primary of ``msg.view`` collects view changes; 2f from others start the view (4.4)."""
        view = msg.view
        if self.primary(view) != node or view < s.view or (view == s.view and s.active):
            return None
        entry = (src, msg.prepared)
        if entry in s.viewchanges:
            return None
        received = s.viewchanges | {entry}
        if len({q for q, _ in received if q != node}) < self.quorum - 1:
            if src in self._byzantine:
                return None  # model reduction, as for prepares: taken only when it completes V
            return s._replace(viewchanges=received), []
        if s.view < view:  # its own view change, not sent yet
            received |= {(node, tuple((q, pv, x) for q, (pv, x) in zip(self._seq_range, s.prepared) if x))}
        preprepares = _new_view_preprepares(received)
        pre = [""] * self.seqs
        for seq, value in preprepares:
            pre[seq - 1] = value
        s = Replica(view, True, tuple(pre), NONE, NONE, self._carried(view, s.prepared), NONE)
        effects = [broadcast(NewView(view, preprepares))]
        return s, effects + [self._timer(s)]

    def _new_view(self, node: str, s: Replica, src: str, msg: NewView):
        """A backup enters the new view and prepares its pre-prepares (4.4)."""
        view = msg.view
        if src != self.primary(view) or view < s.view or (view == s.view and s.active):
            return None
        s = Replica(view, True, ("",) * self.seqs, NONE, NONE, self._carried(view, s.prepared), s.viewchanges)
        effects = []
        for seq, value in msg.preprepares:
            s, effects = self._preprepare(node, s, seq, value, effects)
        return s, effects + [self._timer(s)]

    # -- obsolete messages ----------------------------------------------------------------

    def obsolete(self, node: str, s: Replica, src: str, msg) -> bool:
        """The actor layer's model reduction (Protocol.obsolete): True when replica ``node`` in
        state ``s`` ignores ``msg`` now and in every later state: it is for an earlier view (views only grow), or for the current view and
        ignored although a pre-prepare is fixed (its value cannot change in this view)."""
        view = msg.view
        if view != s.view:
            return view < s.view
        if not s.active:
            return False
        cls = msg.__class__
        if cls is ViewChange or cls is NewView:
            return True
        if not s.preprepared[msg.seq - 1]:
            return False
        return cls is PrePrepare or self.on_message(node, s, src, msg) is None

    # -- Byzantine nodes -------------------------------------------------------------------

    def byzantine_messages(self, node: str, cluster):
        """Equivocating pre-prepares (views it leads), any prepare and commit, and view
        changes with no certificate or with certificates that exist."""
        key = (node, cluster.nodes)
        found = self._vocabulary.get(key)
        if found is None:
            found = []
            values = self._proposable
            for view in range(self.views):
                kind = PrePrepare if self.primary(view) == node else Prepare
                found += [kind(view, seq, x) for seq in self._seq_range for x in values]
            found += [Commit(view, seq, x) for view in range(self.views) for seq in self._seq_range
                      for x in values]
            for view in range(1, self.views):
                found += [ViewChange(view, p) for p in self._claims(node, cluster, view)]
            self._vocabulary[key] = found = tuple(found)
        return found

    def _claims(self, node: str, c, view: int) -> list[tuple]:
        """Every P a Byzantine ``node`` can sign for a view change to ``view``: per sequence
        number nothing or one certificate of an earlier view that really exists."""
        options: list[list[tuple]] = []
        states = [s for _, s in self.node_states(c)]
        for seq in self._seq_range:
            mine = [()]
            for pv in range(view):
                for x in self._proposable:
                    if self._certificate_exists(states, pv, seq, x):
                        mine.append(((seq, pv, x),))
            options.append(mine)
        claims = [()]
        for mine in options:
            claims = [c + m for c in claims for m in mine]
        return claims

    def _certificate_exists(self, states: list, view: int, seq: int, value: str) -> bool:
        """A prepared certificate for ``value`` at (view, seq): a correct replica holds it,
        or the pre-prepare of ``view``'s primary and prepares from distinct backups, 2f + 1
        in all, are signed by correct replicas (their pre-prepare of that view, kept until
        they enter a later view) or by Byzantine nodes (who collude)."""
        if any(s.prepared[seq - 1] == (view, value) for s in states):
            return True
        signers = self._byzantine | {name for name, s in zip(self.correct_nodes, states)
                                     if s.preprepared[seq - 1] == value and s.view - (not s.active) == view}
        return self.primary(view) in signers and len(signers) >= self.quorum

    # -- properties ----------------------------------------------------------------------

    def committed(self, c, seq: int) -> dict[str, int]:
        """The values committed at ``seq`` by some correct replica, each with its lowest view."""
        out: dict[str, int] = {}
        for item in sorted(c.ghost):
            if item[0] == "committed" and item[1] == seq and item[3] not in out:
                out[item[3]] = item[2]
        return out

    @invariant
    def agreement(self, c) -> bool:
        """No two correct replicas commit different values for one sequence number (4.2, 4.4)."""
        return all(invariants.agreement(self.committed(c, seq)) for seq in self._seq_range)

    def explain_agreement(self, c) -> str:
        return "; ".join(f"seq {seq}: " + invariants.explain_agreement(self.committed(c, seq), "view")
                         for seq in self._seq_range if not invariants.agreement(self.committed(c, seq)))

    @invariant
    def validity(self, c) -> bool:
        """A committed value (other than the null request) was requested by a client."""
        chosen = [item[3] for item in c.ghost if item[0] == "committed" and item[3] != NULL]
        return invariants.validity(chosen, self.client_values)

    @sometimes
    def value_committed(self, c) -> bool:
        """Some correct replica commits a value."""
        return any(item[0] == "committed" for item in c.ghost)

    @sometimes
    def recommitted_in_new_view(self, c) -> bool:
        """A value committed in one view is committed again in a later one (4.4: the new
        primary re-proposes it from the prepared certificates)."""
        done = {(item[1], item[3]): item[2] for item in sorted(c.ghost, reverse=True) if item[0] == "committed"}
        return any((item[1], item[3]) in done and item[2] > done[item[1], item[3]]
                   for item in c.ghost if item[0] == "committed")


def _put(items: tuple, seq: int, value: Any) -> tuple:
    return items[:seq - 1] + (value,) + items[seq:]


def _accept(s: Replica, seq: int, value: str) -> Replica:
    """``s`` with ``value`` pre-prepared at ``seq``, forgetting prepares and commits of other values."""
    return s._replace(preprepared=_put(s.preprepared, seq, value), prepares=_keep(s.prepares, seq, value),
                      commits=_keep(s.commits, seq, value))


def _keep(entries: frozenset, seq: int, value: str | None) -> frozenset:
    """``entries`` (seq, replica, value) without those for ``seq`` of a value other than
    ``value`` (None: without any for ``seq``): what can no longer matter in this view."""
    return frozenset(e for e in entries if e[0] != seq or e[2] == value)


def _new_view_preprepares(viewchanges: frozenset) -> tuple:
    """O of NEW-VIEW (4.4): per sequence number up to the highest with a prepared
    certificate in the view changes, the value of the certificate with the highest view,
    else the null request."""
    best: dict[int, tuple[int, str]] = {}
    for _, certificates in viewchanges:
        for seq, view, value in certificates:
            if seq not in best or (view, value) > best[seq]:
                best[seq] = (view, value)
    if not best:
        return ()
    return tuple((seq, best[seq][1] if seq in best else NULL) for seq in range(1, max(best) + 1))
