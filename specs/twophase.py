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

from functools import partial
from typing import NamedTuple

from modelcheck import Param, Spec, invariant

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"
INIT = "init"
COMMIT_MSG, ABORT_MSG = ("Commit",), ("Abort",)


class State(NamedTuple):
    rm: tuple[str, ...]  # rmState[r]
    tm: str  # tmState
    prepared: frozenset[int]  # tmPrepared
    msgs: frozenset[tuple]  # msgs: ("Prepared", r), ("Commit",), ("Abort",)


_state = partial(tuple.__new__, State)  # State(...) without NamedTuple's Python-level __new__
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
        self._acts = [{kind: (kind, r) for kind in ("TMRcvPrepared", "RMPrepare", "RMChooseToAbort",
                                                  "RMRcvCommitMsg", "RMRcvAbortMsg")} for r in range(n)]

    def initial_states(self):
        yield State((WORKING,) * self.rms, INIT, frozenset(), frozenset())

    def successors(self, s: State):
        out = []
        add = out.append
        rm, tm, prepared, msgs = s
        acts = self._acts
        if tm == INIT:
            # TMCommit: all RMs prepared (the bug: any one is enough)
            if prepared == self._all or (self.bug == "early-commit" and prepared):
                add((_TM_COMMIT, _state((rm, COMMITTED, prepared, msgs | _COMMIT_SET))))
            add((_TM_ABORT, _state((rm, ABORTED, prepared, msgs | _ABORT_SET))))
            # TMRcvPrepared(r)
            for r, msg in enumerate(self._prepared_msg):
                if msg in msgs and r not in prepared:
                    add((acts[r]["TMRcvPrepared"], _state((rm, tm, prepared | {r}, msgs))))
        commit_sent = COMMIT_MSG in msgs
        abort_sent = ABORT_MSG in msgs
        for r, st in enumerate(rm):
            act = acts[r]
            if st == WORKING:
                add((act["RMPrepare"], _state((_set(rm, r, PREPARED), tm, prepared,
                                               msgs | {self._prepared_msg[r]}))))
                add((act["RMChooseToAbort"], _state((_set(rm, r, ABORTED), tm, prepared, msgs))))
            if commit_sent:
                add((act["RMRcvCommitMsg"], _state((_set(rm, r, COMMITTED), tm, prepared, msgs))))
            if abort_sent:
                add((act["RMRcvAbortMsg"], _state((_set(rm, r, ABORTED), tm, prepared, msgs))))
        return out

    # -- symmetry: the RMs are interchangeable (TLA+ TwoPhase's ``Symmetry == Permutations(RM)``)

    def symmetry(self):
        return (tuple(range(self.rms)),)

    def permute(self, s: State, renaming, memo=None) -> State:
        """RM r becomes RM renaming[r]: its slot in ``rm``, in ``prepared`` and in its Prepared message."""
        to = [renaming.get(r, r) for r in range(self.rms)]
        rm = [""] * self.rms
        for r, st in enumerate(s.rm):
            rm[to[r]] = st
        msgs = frozenset(("Prepared", to[m[1]]) if m[0] == "Prepared" else m for m in s.msgs)
        return _state((tuple(rm), s.tm, frozenset(to[r] for r in s.prepared), msgs))

    def canonical(self, s: State) -> State:
        """RMs sorted by what can tell them apart: state, known prepared, Prepared sent."""
        records = sorted((st, r in s.prepared, ("Prepared", r) in s.msgs) for r, st in enumerate(s.rm))
        return _state((tuple(st for st, _, _ in records), s.tm,
                       frozenset(r for r, rec in enumerate(records) if rec[1]),
                       frozenset(("Prepared", r) for r, rec in enumerate(records) if rec[2])
                       | (s.msgs & _DECISIONS)))

    @invariant
    def consistent(self, s: State) -> bool:
        """No RM has committed while another has aborted (TCConsistent)."""
        return not (COMMITTED in s.rm and ABORTED in s.rm)

    def format_action(self, action) -> str:
        kind, *args = action
        return f"{kind}({', '.join(f'r{a + 1}' for a in args)})" if args else kind
