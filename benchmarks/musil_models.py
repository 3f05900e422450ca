"""The benchmark's models written for musil (PyPI), another Python model checker, run by benchmarks/tlc.py.

    python3.12 -m venv VENV312 && VENV312/bin/pip install -r benchmarks/requirements-musil.txt
    VENV312/bin/python benchmarks/musil_models.py twophase-7        # one JSON line
    python benchmarks/tlc.py --musil-python VENV312/bin/python     # beside modelcheck and TLC

musil (https://gitlab.com/cardona-oss/musil) checks a ``Model`` of guarded ``Action`` s
(name, enabled, apply) with ``musil.check``, a breadth-first search that returns the
shortest violation.  It needs Python 3.12 or later, while modelcheck runs on 3.11, so it
runs in its own interpreter.  The models are written as musil's documentation writes
them, one guarded action per TLA+ action and parameter (for raft-election, whose enabled
deliveries depend on the messages in flight, ``actions_fn``), with the semantics of
benchmarks/reference.py and the TLA+ twins in benchmarks/tla/: the same distinct-state
counts (tlc.py checks them).  Written anew rather than calling reference.py's code, so
that an equal count checks both, as the TLA+ twins do.  Deadlock is not checked (``terminal`` accepts every
state), as in modelcheck's and TLC's runs of these specs.

Prints one JSON object: distinct states (musil's ``states_explored``: the states it has
seen), the verdict, the counterexample's length, the search time and the process's
peak resident set.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from musil import Action, Model, check

#: musil's runaway guard, far above every workload here (3,408,944 states at most)
MAX_STATES = 100_000_000


def twophase(rms: int) -> Model:
    """TLA+ TwoPhase: state (rm states, TM state, TM's prepared set, messages ever sent)."""
    everyone = frozenset(range(rms))

    def set_rm(rm: tuple, r: int, value: str) -> tuple:
        return rm[:r] + (value,) + rm[r + 1:]

    actions = [
        Action("TMCommit", lambda s: s[1] == "init" and s[2] == everyone,
               lambda s: (s[0], "committed", s[2], s[3] | {"Commit"})),
        Action("TMAbort", lambda s: s[1] == "init", lambda s: (s[0], "aborted", s[2], s[3] | {"Abort"})),
    ]
    for r in range(rms):
        actions += [
            Action(f"TMRcvPrepared({r})", lambda s, r=r: s[1] == "init" and ("Prepared", r) in s[3]
                   and r not in s[2], lambda s, r=r: (s[0], s[1], s[2] | {r}, s[3])),
            Action(f"RMPrepare({r})", lambda s, r=r: s[0][r] == "working",
                   lambda s, r=r: (set_rm(s[0], r, "prepared"), s[1], s[2], s[3] | {("Prepared", r)})),
            Action(f"RMChooseToAbort({r})", lambda s, r=r: s[0][r] == "working",
                   lambda s, r=r: (set_rm(s[0], r, "aborted"), s[1], s[2], s[3])),
            Action(f"RMRcvCommitMsg({r})", lambda s: "Commit" in s[3],
                   lambda s, r=r: (set_rm(s[0], r, "committed"), s[1], s[2], s[3])),
            Action(f"RMRcvAbortMsg({r})", lambda s: "Abort" in s[3],
                   lambda s, r=r: (set_rm(s[0], r, "aborted"), s[1], s[2], s[3])),
        ]
    return Model(
        init=[(("working",) * rms, "init", frozenset(), frozenset())],  # a list: musil reads a tuple as several
        actions=actions,
        invariants={"consistent": lambda s: not ("committed" in s[0] and "aborted" in s[0])},
        terminal=lambda s: True,
    )


def raft_election(servers: int, max_term: int, no_voted_for_check: bool = False) -> Model:
    """Raft's leader election over an unordered network (benchmarks/tla/RaftElection.tla).

    State (servers, messages in flight as a sorted tuple, ghost set of (term, leader));
    a server is (term, votedFor, role, votes, election timer armed), a message
    (src, dst, kind, term, granted)."""
    names = tuple(f"n{i + 1}" for i in range(servers))
    majority = servers // 2 + 1
    none: frozenset = frozenset()

    def put(srvs: tuple, i: int, srv: tuple) -> tuple:
        return srvs[:i] + (srv,) + srvs[i + 1:]

    def send(bag: tuple, msgs: list) -> tuple:
        return tuple(sorted(bag + tuple(msgs)))

    def timeout(i: int):
        me = names[i]

        def apply(s: tuple) -> tuple:
            srvs, bag, ghost = s
            t, v, role, votes, _ = srvs[i]
            if role == "leader" or t >= max_term:  # nothing more to do: the timer is spent
                return put(srvs, i, (t, v, role, votes, False)), bag, ghost
            nt = t + 1
            if majority == 1:
                return put(srvs, i, (nt, me, "leader", frozenset({me}), False)), bag, ghost | {(nt, me)}
            asks = [(me, d, "RequestVote", nt, False) for d in names if d != me]
            return put(srvs, i, (nt, me, "candidate", frozenset({me}), nt < max_term)), send(bag, asks), ghost
        return Action(f"{me} timeout", lambda s: s[0][i][4], apply)

    timeouts = [timeout(i) for i in range(servers)]

    def deliver(k: int, msg: tuple) -> Action:
        src, dst, kind, term, granted = msg
        j = names.index(dst)

        def apply(s: tuple) -> tuple:
            srvs, bag, ghost = s
            rest = bag[:k] + bag[k + 1:]
            t, v, role, votes, timer = srvs[j]
            if term > t:  # step down to the newer term (a leader's timer, spent, is armed again)
                if role == "leader" or term >= max_term:
                    timer = term < max_term
                t, v, role, votes = term, None, "follower", none
            if kind == "RequestVote":
                grant = term == t and (v in (None, src) or no_voted_for_check)
                if grant:
                    v = src
                rest = send(rest, [(dst, src, "Vote", t, grant)])
            elif granted and role == "candidate" and term == t:
                votes = votes | {src}
                if len(votes) >= majority:
                    role, timer, ghost = "leader", False, ghost | {(t, dst)}
            return put(srvs, j, (t, v, role, votes, timer)), rest, ghost
        return Action(f"{dst} <- {kind}({src}, {term})", lambda s: True, apply)

    def actions(s: tuple) -> list:
        bag = s[1]
        return timeouts + [deliver(k, m) for k, m in enumerate(bag) if not (k and bag[k - 1] == m)]

    def election_safety(s: tuple) -> bool:
        terms = [term for term, _ in s[2]]
        return len(terms) == len(set(terms))

    start = (tuple((0, None, "follower", none, max_term > 0) for _ in names), (), none)
    return Model(init=[start], actions=[], actions_fn=actions, invariants={"election_safety": election_safety},
                 terminal=lambda s: True)


MODELS = {
    "twophase-5": lambda: twophase(5),
    "twophase-6": lambda: twophase(6),
    "twophase-7": lambda: twophase(7),
    "raft-election-3-t1": lambda: raft_election(3, 1),
    "raft-election-3-t2": lambda: raft_election(3, 2),
    "raft-election-3-bug": lambda: raft_election(3, 1, no_voted_for_check=True),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MODELS:
        print(f"usage: musil_models.py WORKLOAD (one of {', '.join(MODELS)})", file=sys.stderr)
        return 2
    model = MODELS[argv[0]]()
    t0 = time.perf_counter()
    result = check(model, max_states=MAX_STATES)
    search = time.perf_counter() - t0
    if result.truncated:
        verdict = "cut by max_states"
    else:
        verdict = "holds" if result.ok else f"violated: {result.invariant or result.kind}"
    steps = len(result.action_names) if not result.ok else None
    print(json.dumps(dict(distinct=result.states_explored, verdict=verdict, trace_length=steps, search=search,
                          peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
