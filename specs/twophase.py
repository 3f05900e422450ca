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
    rm: tuple[str, ...]  # rmState[r]
    tm: str  # tmState
    prepared: frozenset[int]  # tmPrepared
    msgs: frozenset[tuple]  # msgs: ("Prepared", r), ("Commit",), ("Abort",)


class TwoPhase(Spec):
    """Two-phase commit of one transaction over ``rms`` resource managers."""

    name = "twophase"
    rms = Param(3, "number of resource managers", min=1, max=12)
    bugs = {
        "early-commit": "the TM commits as soon as one RM is prepared, not all of them",
    }

    def initial_states(self):
        yield State((WORKING,) * self.rms, INIT, frozenset(), frozenset())

    def successors(self, s: State):
        out = []
        rm, tm, prepared, msgs = s
        n = self.rms
        # TMCommit: all RMs prepared (the bug: any one is enough)
        if tm == INIT and (len(prepared) == n or (self.bug == "early-commit" and prepared)):
            out.append((("TMCommit",), State(rm, COMMITTED, prepared, msgs | {COMMIT_MSG})))
        # TMAbort
        if tm == INIT:
            out.append((("TMAbort",), State(rm, ABORTED, prepared, msgs | {ABORT_MSG})))
        for r in range(n):
            st = rm[r]
            # TMRcvPrepared(r)
            if tm == INIT and r not in prepared and ("Prepared", r) in msgs:
                out.append((("TMRcvPrepared", r), State(rm, tm, prepared | {r}, msgs)))
            if st == WORKING:
                # RMPrepare(r)
                out.append((("RMPrepare", r),
                            State(rm[:r] + (PREPARED,) + rm[r + 1:], tm, prepared, msgs | {("Prepared", r)})))
                # RMChooseToAbort(r)
                out.append((("RMChooseToAbort", r),
                            State(rm[:r] + (ABORTED,) + rm[r + 1:], tm, prepared, msgs)))
            # RMRcvCommitMsg(r)
            if COMMIT_MSG in msgs:
                out.append((("RMRcvCommitMsg", r), State(rm[:r] + (COMMITTED,) + rm[r + 1:], tm, prepared, msgs)))
            # RMRcvAbortMsg(r)
            if ABORT_MSG in msgs:
                out.append((("RMRcvAbortMsg", r), State(rm[:r] + (ABORTED,) + rm[r + 1:], tm, prepared, msgs)))
        return out

    @invariant
    def consistent(self, s: State) -> bool:
        """No RM has committed while another has aborted (TCConsistent)."""
        return not (COMMITTED in s.rm and ABORTED in s.rm)

    def format_action(self, action) -> str:
        kind, *args = action
        return f"{kind}({', '.join(f'r{a + 1}' for a in args)})" if args else kind
