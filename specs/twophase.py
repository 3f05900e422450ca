"""Two-phase commit, as in Gray and Lamport, "Consensus on Transaction Commit" (2006), section 3
and its TLA+ module TwoPhase.

Resource managers (RMs) are ``working``, ``prepared``, ``committed`` or ``aborted``;
the transaction manager (TM) is ``init``, ``committed`` or ``aborted`` and keeps the
set of RMs it knows are prepared.  All messages live in one shared set that only
grows (messages are never removed, so loss and duplication need no modelling).
Exactly as TwoPhase, so the state counts match other checkers': 288 distinct
states for 3 RMs, 1,568 for 4, 8,832 for 5, 50,816 for 6, 296,448 for 7.
"""

from __future__ import annotations

from typing import NamedTuple

from modelcheck import Param, Spec, invariant

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"
INIT = "init"
COMMIT_MSG, ABORT_MSG = ("Commit",), ("Abort",)


class State(NamedTuple):
    """How traces name the items of a state.  The search itself uses plain tuples in this
    order: twophase-7 builds 2.7 million successor states, and a NamedTuple would add 15%
    to 28% to the time it takes (``python benchmarks/reuse.py``)."""

    rm: tuple[str, ...]  # rmState[r]
    tm: str  # tmState
    prepared: frozenset[int]  # tmPrepared
    msgs: frozenset[tuple]  # msgs: ("Prepared", r), ("Commit",), ("Abort",)


_TM_COMMIT, _TM_ABORT = ("TMCommit",), ("TMAbort",)
_COMMIT_SET, _ABORT_SET = frozenset({COMMIT_MSG}), frozenset({ABORT_MSG})
_DECISIONS = _COMMIT_SET | _ABORT_SET


def _set(rm: tuple[str, ...], r: int, value: str) -> tuple[str, ...]:
    states = list(rm)
    states[r] = value
    return tuple(states)


class TwoPhase(Spec):
    """Two-phase commit of one transaction over ``rms`` resource managers."""

    name = "twophase"
    rms = Param(3, "number of resource managers", min=1, max=12)
    bugs = {
        "early-commit": "the TM commits as soon as one RM is prepared, not all of them",
    }

    def validate(self) -> None:
        # Built once: the actions and messages every state reuses (successors is the hot path).
        n = self.rms
        self._all = frozenset(range(n))
        self._prepared_msg = [("Prepared", r) for r in range(n)]
        self._sent_prepared = [frozenset({m}) for m in self._prepared_msg]
        self._acts = [[(kind, r) for r in range(n)] for kind in (
            "RMPrepare", "RMChooseToAbort", "RMRcvCommitMsg", "RMRcvAbortMsg", "TMRcvPrepared")]
        # msgs | {Prepared r} and prepared | {r}, by (set, r): the same few sets recur in
        # millions of states, and a set met again keeps its hash (a new one is hashed
        # anew, element by element). twophase-7's search: 1.17x -> 1.21x the hand loop
        # (`python benchmarks/tlc.py --only twophase-7 --repeat 3`). Two tables, since an
        # empty msgs and an empty prepared are equal keys.
        self._with_sent: dict = {}
        self._with_prepared: dict = {}

    def initial_states(self):
        yield ((WORKING,) * self.rms, INIT, frozenset(), frozenset())

    def successors(self, s: tuple):
        out = []
        add = out.append
        rm, tm, prepared, msgs = s
        prepare, choose_abort, rcv_commit, rcv_abort, rcv_prepared = self._acts
        if tm == INIT:
            # TMCommit: all RMs prepared (the bug: any one is enough)
            if prepared == self._all or (self.bug == "early-commit" and prepared):
                add((_TM_COMMIT, (rm, COMMITTED, prepared, msgs | _COMMIT_SET)))
            add((_TM_ABORT, (rm, ABORTED, prepared, msgs | _ABORT_SET)))
            with_prepared = self._with_prepared
            for r, msg in enumerate(self._prepared_msg):
                if msg in msgs and r not in prepared:
                    more = with_prepared.get((prepared, r))
                    if more is None:
                        more = with_prepared[prepared, r] = prepared | {r}
                    add((rcv_prepared[r], (rm, tm, more, msgs)))
        commit_sent = COMMIT_MSG in msgs
        abort_sent = ABORT_MSG in msgs
        sent_prepared = self._sent_prepared
        with_sent = self._with_sent
        for r, st in enumerate(rm):
            if st == WORKING:
                sent = with_sent.get((msgs, r))
                if sent is None:
                    sent = with_sent[msgs, r] = msgs | sent_prepared[r]
                add((prepare[r], (_set(rm, r, PREPARED), tm, prepared, sent)))
                add((choose_abort[r], (_set(rm, r, ABORTED), tm, prepared, msgs)))
            if commit_sent:
                add((rcv_commit[r], (_set(rm, r, COMMITTED), tm, prepared, msgs)))
            if abort_sent:
                add((rcv_abort[r], (_set(rm, r, ABORTED), tm, prepared, msgs)))
        return out

    # -- symmetry: the RMs are interchangeable (TLA+ TwoPhase's ``Symmetry == Permutations(RM)``)

    def symmetry(self):
        return (tuple(range(self.rms)),)

    def permute(self, s: tuple, renaming, memo=None) -> tuple:
        """RM r becomes RM renaming[r]: its slot in ``rm``, in ``prepared`` and in its Prepared message."""
        rms, tm, prepared, msgs = s
        to = [renaming.get(r, r) for r in range(self.rms)]
        rm = [""] * self.rms
        for r, st in enumerate(rms):
            rm[to[r]] = st
        msgs = frozenset(("Prepared", to[m[1]]) if m[0] == "Prepared" else m for m in msgs)
        return (tuple(rm), tm, frozenset(to[r] for r in prepared), msgs)

    def canonical(self, s: tuple) -> tuple:
        """RMs sorted by what can tell them apart: state, known prepared, Prepared sent."""
        rms, tm, prepared, msgs = s
        records = sorted((st, r in prepared, ("Prepared", r) in msgs) for r, st in enumerate(rms))
        return (tuple(st for st, _, _ in records), tm,
                frozenset(r for r, rec in enumerate(records) if rec[1]),
                frozenset(("Prepared", r) for r, rec in enumerate(records) if rec[2]) | (msgs & _DECISIONS))

    @invariant
    def consistent(self, s: tuple) -> bool:
        """No RM has committed while another has aborted (TCConsistent)."""
        rm = s[0]
        return not (COMMITTED in rm and ABORTED in rm)

    def readable(self, s: tuple) -> State:
        return State._make(s)

    def format_action(self, action) -> str:
        kind, *args = action
        return f"{kind}({', '.join(f'r{a + 1}' for a in args)})" if args else kind
