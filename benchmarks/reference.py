"""Hand-written breadth-first searches: the baseline benchmarks/engine.py compares modelcheck to.

Each model here is written the way a person would write it without any framework: a
state is a plain tuple, the visited set is a Python ``set`` of whole states, the queue
is a ``collections.deque``, and the invariant is checked on every new state.  Nothing
is imported from modelcheck or from specs/: the semantics are re-derived from the
protocol (Gray & Lamport's TLA+ module TwoPhase), so an equal distinct-state count is
an independent check of the spec as well as a speed baseline.

Each ``*_bfs`` function returns the number of distinct reachable states and raises
:class:`InvariantViolated` if a reachable state breaks the invariant.
"""

from __future__ import annotations

from collections import deque

__all__ = ["InvariantViolated", "bfs", "twophase_bfs", "REFERENCES"]


class InvariantViolated(AssertionError):
    pass


def bfs(initial, successors, invariant, name: str = "invariant") -> int:
    """Plain BFS over whole states; returns the number of distinct reachable states."""
    seen = set()
    queue = deque()
    for s in initial:
        if s not in seen:
            if not invariant(s):
                raise InvariantViolated(f"{name} violated in initial state {s!r}")
            seen.add(s)
            queue.append(s)
    while queue:
        s = queue.popleft()
        for t in successors(s):
            if t not in seen:
                if not invariant(t):
                    raise InvariantViolated(f"{name} violated in {t!r}")
                seen.add(t)
                queue.append(t)
    return len(seen)


# -- two-phase commit (TLA+ TwoPhase) ---------------------------------------------
#
# state = (rm_states, tm_state, tm_prepared, msgs)
#   rm_states   tuple of "working" | "prepared" | "committed" | "aborted", one per RM
#   tm_state    "init" | "committed" | "aborted"
#   tm_prepared frozenset of RM numbers the TM has heard "Prepared" from
#   msgs        frozenset of the messages ever sent: ("Prepared", r), "Commit", "Abort"


def twophase_bfs(rms: int) -> int:
    all_rms = frozenset(range(rms))
    prepared_msg = [("Prepared", r) for r in range(rms)]

    def set_rm(rm_states, r, value):
        lst = list(rm_states)
        lst[r] = value
        return tuple(lst)

    def successors(state):
        rm_states, tm_state, tm_prepared, msgs = state
        out = []
        if tm_state == "init":
            # TMRcvPrepared(r)
            for r in range(rms):
                if prepared_msg[r] in msgs and r not in tm_prepared:
                    out.append((rm_states, tm_state, tm_prepared | {r}, msgs))
            # TMCommit
            if tm_prepared == all_rms:
                out.append((rm_states, "committed", tm_prepared, msgs | {"Commit"}))
            # TMAbort
            out.append((rm_states, "aborted", tm_prepared, msgs | {"Abort"}))
        commit_sent = "Commit" in msgs
        abort_sent = "Abort" in msgs
        for r in range(rms):
            if rm_states[r] == "working":
                # RMPrepare(r)
                out.append((set_rm(rm_states, r, "prepared"), tm_state, tm_prepared,
                            msgs | {prepared_msg[r]}))
                # RMChooseToAbort(r)
                out.append((set_rm(rm_states, r, "aborted"), tm_state, tm_prepared, msgs))
            # RMRcvCommitMsg(r)
            if commit_sent:
                out.append((set_rm(rm_states, r, "committed"), tm_state, tm_prepared, msgs))
            # RMRcvAbortMsg(r)
            if abort_sent:
                out.append((set_rm(rm_states, r, "aborted"), tm_state, tm_prepared, msgs))
        return out

    def consistent(state):
        # TCConsistent: no RM committed while another aborted
        rm_states = state[0]
        return not ("committed" in rm_states and "aborted" in rm_states)

    initial = [(("working",) * rms, "init", frozenset(), frozenset())]
    return bfs(initial, successors, consistent, "consistent")


#: name -> reference function, for running this file on its own
REFERENCES = {
    "twophase-5": lambda: twophase_bfs(5),
    "twophase-6": lambda: twophase_bfs(6),
    "twophase-7": lambda: twophase_bfs(7),
}


if __name__ == "__main__":
    import sys
    import time

    for name in sys.argv[1:] or list(REFERENCES):
        t0 = time.perf_counter()
        count = REFERENCES[name]()
        print(f"{name}: {count:,} distinct states in {time.perf_counter() - t0:.2f}s")


def raft_election_bfs(servers: int, max_term: int) -> int:
    """Distinct states of Raft election over an unordered multiset network, by hand.

    A server is (term, votedFor, role, votes, election timer armed); a message is
    (src, dst, kind, term, granted); the ghost is the set of (term, leader) elected.
    Raises AssertionError if two leaders are elected in one term.
    """
    names = tuple(f"n{i + 1}" for i in range(servers))
    majority = servers // 2 + 1
    none: frozenset = frozenset()

    def step_down(srv, term):
        t, v, role, votes, timer = srv
        if role == "leader" or term >= max_term:
            timer = term < max_term
        return (term, None, "follower", none, timer)

    def bag_add(bag, msgs):
        return tuple(sorted(bag + tuple(msgs)))

    start = (tuple((0, None, "follower", none, max_term > 0) for _ in names), (), none)
    seen = {start}
    queue = deque([start])
    while queue:
        srvs, bag, ghost = queue.popleft()
        nexts = []
        for i, me in enumerate(names):
            t, v, role, votes, timer = srvs[i]
            if not timer:
                continue
            if role == "leader" or t >= max_term:
                nexts.append((srvs[:i] + ((t, v, role, votes, False),) + srvs[i + 1:], bag, ghost))
                continue
            nt = t + 1
            if 1 >= majority:
                new, g = (nt, me, "leader", frozenset({me}), False), ghost | {(nt, me)}
            else:
                new, g = (nt, me, "candidate", frozenset({me}), nt < max_term), ghost
            asks = [(me, d, "RequestVote", nt, False) for d in names if d != me]
            nexts.append((srvs[:i] + (new,) + srvs[i + 1:], bag_add(bag, asks), g))
        for k, msg in enumerate(bag):
            if k and bag[k - 1] == msg:
                continue
            src, dst, kind, term, granted = msg
            rest = bag[:k] + bag[k + 1:]
            j = names.index(dst)
            srv = srvs[j]
            if term > srv[0]:
                srv = step_down(srv, term)
            t, v, role, votes, timer = srv
            g = ghost
            if kind == "RequestVote":
                grant = term == t and v in (None, src)
                if grant:
                    v = src
                rest = bag_add(rest, [(dst, src, "Vote", t, grant)])
            elif granted and role == "candidate" and term == t:
                votes = votes | {src}
                if len(votes) >= majority:
                    role, timer, g = "leader", False, ghost | {(t, dst)}
            nexts.append((srvs[:j] + ((t, v, role, votes, timer),) + srvs[j + 1:], rest, g))
        for nxt in nexts:
            if nxt not in seen:
                terms = [term for term, _ in nxt[2]]
                assert len(terms) == len(set(terms)), f"two leaders in one term: {sorted(nxt[2])}"
                seen.add(nxt)
                queue.append(nxt)
    return len(seen)
