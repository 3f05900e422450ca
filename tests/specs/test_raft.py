"""raft: exact state counts against an independent BFS (and BFS == DFS), the bug
variants' shortest counterexamples, and the correct spec at the same bounds."""

from __future__ import annotations

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.actors import Faults
from modelcheck.specs.raft import Raft
from models import explore_by_hand

# -- an independent BFS of the same model, written without the actor layer -----------------


def reference_raft_bfs(servers: int, candidates: int, max_term: int, values: int, fifo: bool) -> int:
    """Distinct states of the raft model by hand, read from Figure 2 and the reductions
    the spec's docstring lists; asserts the four invariants in every state.

    A server is (term, votedFor, role, votes, log, commitIndex, nextIndex, matchIndex,
    waiting, election timer armed; only the first ``candidates`` servers ever arm it); a
    message is (kind, term, ...) sent from src to dst;
    the network is a sorted tuple of (src, dst, message) (a bag) or, when ``fifo``, of
    (src, dst, queue) per link.  The ghost holds (term, leader) per election and
    (index, entry term, value, currentTerm) per commit.
    """
    names = tuple(f"n{i + 1}" for i in range(servers))
    none: frozenset = frozenset()

    def majority(k):
        return 2 * k > servers

    def send(net, src, dst, msg):
        if not fifo:
            return tuple(sorted(net + ((src, dst, msg),)))
        links = dict(((a, b), q) for a, b, q in net)
        links[src, dst] = links.get((src, dst), ()) + (msg,)
        return tuple(sorted((a, b, q) for (a, b), q in links.items()))

    def deliverable(net):
        """(src, dst, msg, network without it) for each distinct next delivery."""
        out = []
        for k, item in enumerate(net):
            if fifo:
                a, b, q = item
                rest = net[:k] + (((a, b, q[1:]),) if len(q) > 1 else ()) + net[k + 1:]
                out.append((a, b, q[0], rest))
            elif not k or net[k - 1] != item:
                out.append((item[0], item[1], item[2], net[:k] + net[k + 1:]))
        return out

    def lterm(log):
        return log[-1][0] if log else 0

    def commits(log, old, new, term):
        return {(i, log[i - 1][0], log[i - 1][1], term) for i in range(old + 1, new + 1)}

    def leader_commit(me, srv, ghost):
        term, vf, role, votes, log, commit, nxt, match, waiting, timer = srv
        for n in range(len(log), commit, -1):
            if log[n - 1][0] != term:
                break
            if majority(1 + sum(1 for j in range(servers) if j != me and match[j] >= n)):
                srv = (term, vf, role, votes, log, n, nxt, match, waiting, timer)
                return srv, ghost | commits(log, commit, n, term)
        return srv, ghost

    def append_entries(srv, nxt_j):
        term, log, commit = srv[0], srv[4], srv[5]
        prev = nxt_j - 1
        return ("AppendEntries", term, prev, log[prev - 1][0] if prev else 0, log[prev:], commit)

    def elected(me, srv, net, ghost):
        term, vf, role, votes, log, commit, _, _, _, _ = srv
        n = len(log)
        waiting = none
        if n:
            for j in range(servers):
                if j != me:
                    net = send(net, names[me], names[j], ("AppendEntries", term, n, lterm(log), (), commit))
            waiting = frozenset(names) - {names[me]}
        srv = (term, vf, "leader", votes, log, commit, (n + 1,) * servers, (0,) * servers, waiting, False)
        return srv, net, ghost | {(term, names[me])}

    def check(srvs, ghost):
        pairs = [g for g in ghost if len(g) == 2]
        assert len({t for t, _ in pairs}) == len(pairs), "election safety"
        done = [g for g in ghost if len(g) == 4]
        at = {}
        for i, t, v, _ in done:
            assert at.setdefault(i, (t, v)) == (t, v), "state-machine safety"
        for a in srvs:
            for b in srvs:
                for i in range(min(len(a[4]), len(b[4]))):
                    if a[4][i][0] == b[4][i][0]:
                        assert a[4][:i + 1] == b[4][:i + 1], "log matching"
        for i, t, v, when in done:
            for s in srvs:
                if s[2] == "leader" and s[0] > when:
                    assert s[4][i - 1:i] == ((t, v),), "leader completeness"

    start = (tuple((0, None, "follower", none, (), 0, (), (), none, i < candidates) for i in range(servers)),
             (), none, none)

    def successors(state):
        srvs, net, ghost, issued = state
        nexts = []
        for src, dst, msg, rest in deliverable(net):
            me = names.index(dst)
            term, vf, role, votes, log, commit, nxt, match, waiting, timer = srvs[me]
            g, n2 = ghost, rest
            kind, mterm = msg[0], msg[1]
            if mterm > term:
                if role in ("leader", "candidate") or mterm >= max_term:
                    timer = mterm < max_term and me < candidates
                term, vf, role, votes, nxt, match, waiting = mterm, None, "follower", none, (), (), none
            if kind == "RequestVote":
                if mterm == term and vf in (None, src) and (msg[2], msg[3]) >= (lterm(log), len(log)):
                    vf = src
                    n2 = send(n2, dst, src, ("Vote", term, True))
            elif kind == "Vote":
                if role == "candidate" and mterm == term:
                    votes = votes | {src}
            elif kind == "AppendEntries" and mterm == term:
                _, _, prev, pterm, ents, lc = msg
                if role == "candidate":
                    role, votes, timer = "follower", none, term < max_term and me < candidates
                if prev > len(log) or (prev and log[prev - 1][0] != pterm):
                    n2 = send(n2, dst, src, ("AppendReply", term, False, prev))
                else:
                    new = list(log[:prev])
                    new += ents
                    if log[:len(new)] == tuple(new):  # nothing conflicts: keep what follows too
                        new = list(log) if len(log) > len(new) else new
                    log = tuple(new)
                    last = prev + len(ents)
                    if lc > commit and min(lc, last) > commit:
                        g = g | commits(log, commit, min(lc, last), term)
                        commit = min(lc, last)
                    n2 = send(n2, dst, src, ("AppendReply", term, True, last))
            elif kind == "AppendReply" and role == "leader" and mterm == term:
                _, _, ok, idx = msg
                j = names.index(src)
                waiting = waiting - {src}
                if ok and idx > match[j]:
                    match = match[:j] + (idx,) + match[j + 1:]
                    nxt = nxt[:j] + (idx + 1,) + nxt[j + 1:]
                elif not ok and nxt[j] == idx + 1:
                    nxt = nxt[:j] + (idx,) + nxt[j + 1:]
            srv = (term, vf, role, votes, log, commit, nxt, match, waiting, timer)
            if kind == "Vote" and role == "candidate" and majority(len(votes)):
                srv, n2, g = elected(me, srv, n2, g)
            if kind == "AppendReply" and role == "leader" and mterm == term:
                srv, g = leader_commit(me, srv, g)
                j = names.index(src)
                if srv[6][j] <= len(srv[4]) and src not in srv[8]:
                    n2 = send(n2, dst, src, append_entries(srv, srv[6][j]))
                    srv = srv[:8] + (srv[8] | {src},) + srv[9:]
            nexts.append((srvs[:me] + (srv,) + srvs[me + 1:], n2, g, issued))
        for me, name in enumerate(names):
            term, vf, role, votes, log, commit, nxt, match, waiting, timer = srvs[me]
            if not timer:
                continue
            if role == "leader" or term >= max_term:
                srv = (term, vf, role, votes, log, commit, nxt, match, waiting, False)
                nexts.append((srvs[:me] + (srv,) + srvs[me + 1:], net, ghost, issued))
                continue
            t = term + 1
            srv = (t, name, "candidate", frozenset({name}), log, commit, nxt, match, waiting, False)
            n2, g = net, ghost
            for j in range(servers):
                if j != me:
                    n2 = send(n2, name, names[j], ("RequestVote", t, lterm(log), len(log)))
            if majority(1):
                srv, n2, g = elected(me, srv, n2, g)
            nexts.append((srvs[:me] + (srv,) + srvs[me + 1:], n2, g, issued))
        for v in (f"v{i + 1}" for i in range(values)):
            if v in issued:
                continue
            for me, name in enumerate(names):
                srv = srvs[me]
                if srv[2] != "leader":
                    continue
                term, vf, role, votes, log, commit, nxt, match, waiting, timer = srv
                srv = (term, vf, role, votes, log + ((term, v),), commit, nxt, match, waiting, timer)
                srv, g = leader_commit(me, srv, ghost)
                n2 = net
                for j in range(servers):
                    if j != me and names[j] not in waiting:
                        n2 = send(n2, name, names[j], append_entries(srv, srv[6][j]))
                srv = srv[:8] + (frozenset(names) - {name},) + srv[9:]
                nexts.append((srvs[:me] + (srv,) + srvs[me + 1:], n2, g, issued | {v}))
        return nexts

    return explore_by_hand(start, successors, lambda s: check(s[0], s[2]) or False)[0]  # check raises


ALL_HOLD = {"election_safety": "holds", "log_matching": "holds", "leader_completeness": "holds",
            "state_machine_safety": "holds"}


@pytest.mark.parametrize("servers, candidates, max_term, values, fifo, expected", [
    (1, 1, 3, 2, True, 6),
    (2, 2, 3, 2, True, 659),
    (3, 3, 1, 2, False, 5_867),
    (2, 2, 4, 2, False, 18_695),
    (3, 2, 3, 1, True, 10_817),
    (3, 2, 2, 2, True, 18_145),
])
def test_state_counts_match_an_independent_bfs_and_dfs(servers, candidates, max_term, values, fifo, expected):
    assert reference_raft_bfs(servers, candidates, max_term, values, fifo) == expected
    network = Faults(network="fifo" if fifo else "unordered")
    spec = Raft(servers=servers, candidates=candidates, max_term=max_term, values=values, faults=network)
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (expected, expected)
    assert bfs.transitions == dfs.transitions
    assert bfs.invariants == ALL_HOLD
    assert bfs.reachability == {"leader_elected": "reached", "value_committed": "reached"}


def test_default_run_is_safe():
    # reference_raft_bfs(3, 2, 4, 2, True) == 991_613 too (about 160 s, so not run here)
    result = modelcheck.explore(build("raft"), "bfs")
    assert result.params == {"servers": 3, "candidates": 2, "max_term": 4, "values": 2, "timeout": 2,
                             "bug": None}
    assert result.faults == {"network": "fifo"}
    assert (result.distinct_states, result.transitions) == (991_613, 3_256_376)
    assert result.ok and result.complete
    assert set(result.coverage) == {"deliver RequestVote", "deliver Vote", "deliver AppendEntries",
                                    "deliver AppendReply", "timeout election", "request ClientRequest"}


def test_without_client_values_nothing_is_committed():
    result = modelcheck.explore(Raft(values=0), "bfs")
    assert result.ok and result.reachability["value_committed"] == "not reached"


def labels_of(spec):
    return [s.label for s in modelcheck.explore(spec, "bfs").violations[0].steps]


def test_no_log_check_elects_a_leader_without_a_committed_entry():
    result = modelcheck.explore(Raft(bug="no-log-check"), "bfs")
    trace = result.violations[0]
    assert trace.property == "leader_completeness"
    assert [s.label for s in trace.steps] == [
        "n1 timeout election",
        "n2 <- RequestVote(term=1, from=n1, last_term=0, last_index=0)",
        "n3 <- RequestVote(term=1, from=n1, last_term=0, last_index=0)",
        "n1 <- Vote(term=1, from=n3, granted=True)",
        "n2 timeout election",
        "client -> n1 ClientRequest(v1)",
        "n3 <- AppendEntries(term=1, from=n1, prev_index=0, prev_term=0, entries=((1, v1)), commit=0)",
        "n3 <- RequestVote(term=2, from=n2, last_term=0, last_index=0)",  # n3's log is longer
        "n1 <- AppendReply(term=1, from=n3, success=True, index=1)",  # v1 committed in term 1
        "n2 <- Vote(term=2, from=n3, granted=True)",
    ]
    assert Raft().explain("leader_completeness", trace.last_state) == \
        "entry 1 (term 1, v1), committed in term 1, is missing from the log of n2, leader of term 2"


def test_volatile_voted_for_votes_twice_after_a_restart():
    assert modelcheck.explore(Raft(bug="volatile-voted-for", max_term=2), "bfs").ok  # safe without crashes
    result = modelcheck.explore(Raft(bug="volatile-voted-for", faults="fifo,crash=1"), "bfs")
    trace = result.violations[0]
    assert trace.property == "election_safety"
    labels = [s.label for s in trace.steps]
    assert len(labels) == 8 and labels[4:7] == [
        "crash n3", "restart n3", "n3 <- RequestVote(term=1, from=n2, last_term=0, last_index=0)"]
    assert trace.faults == {"network": "fifo", "crashes": 1}


def test_durable_state_is_safe_with_a_crash():
    result = modelcheck.explore(Raft(max_term=1, values=2, faults="fifo,crash=1"), "bfs")
    assert result.ok and result.complete and result.distinct_states == 7_819
    assert {"crash", "restart"} <= set(result.coverage)


# Figure 8 with three servers: v1 of term 1 is on n1; n1, leader of term 3, puts it on n3
# and (the bug) counts it committed; n2, still leader of term 2, appends v2; n3 elects
# n2 in term 4, since its last entry's term 2 beats v1's term 1.
FIGURE_8 = [
    "n1 timeout election",
    "n2 <- RequestVote(term=1, from=n1, last_term=0, last_index=0)",
    "n1 <- Vote(term=1, from=n2, granted=True)",
    "n2 timeout election",
    "n3 <- RequestVote(term=2, from=n2, last_term=0, last_index=0)",
    "n3 <- RequestVote(term=1, from=n1, last_term=0, last_index=0)",
    "n2 <- Vote(term=2, from=n3, granted=True)",
    "client -> n1 ClientRequest(v1)",
    "n2 <- AppendEntries(term=1, from=n1, prev_index=0, prev_term=0, entries=((1, v1)), commit=0)",
    "n3 <- AppendEntries(term=1, from=n1, prev_index=0, prev_term=0, entries=((1, v1)), commit=0)",
    "n1 <- RequestVote(term=2, from=n2, last_term=0, last_index=0)",
    "n1 timeout election",
    "n3 <- RequestVote(term=3, from=n1, last_term=1, last_index=1)",
    "n1 <- Vote(term=3, from=n3, granted=True)",
    "n3 <- AppendEntries(term=3, from=n1, prev_index=1, prev_term=1, entries=(), commit=0)",
    "n1 <- AppendReply(term=3, from=n3, success=False, index=1)",
    "n3 <- AppendEntries(term=3, from=n1, prev_index=0, prev_term=0, entries=((1, v1)), commit=0)",
    "n1 <- AppendReply(term=3, from=n3, success=True, index=1)",  # v1 on n1 and n3
    "client -> n2 ClientRequest(v2)",
    "n2 <- RequestVote(term=3, from=n1, last_term=1, last_index=1)",
    "n3 <- AppendEntries(term=2, from=n2, prev_index=0, prev_term=0, entries=((2, v2)), commit=0)",
    "n2 timeout election",
    "n3 <- RequestVote(term=4, from=n2, last_term=2, last_index=1)",
    "n2 <- Vote(term=4, from=n3, granted=True)",
]


def walk(spec, labels):
    c = spec.initial_states()[0]
    states = [c]
    for label in labels:
        c = {spec.format_action(a): t for a, t in spec.successors(c)}[label]
        states.append(c)
    return states


def test_commit_old_term_is_figure_8():
    result = modelcheck.explore(Raft(bug="commit-old-term"), "bfs")
    trace = result.violations[0]
    assert trace.property == "leader_completeness"
    assert [s.label for s in trace.steps] == FIGURE_8
    assert (1, 1, "v1", 3) in trace.steps[17].state.ghost  # counted committed in term 3
    assert Raft().explain("leader_completeness", trace.last_state) == \
        "entry 1 (term 1, v1), committed in term 3, is missing from the log of n2, leader of term 4"
    correct = Raft()
    fine = walk(correct, FIGURE_8)  # the same steps are possible, but nothing is committed
    assert not correct.value_committed(fine[-1]) and correct.leader_completeness(fine[-1])
    assert modelcheck.explore(Raft(bug="commit-old-term", max_term=3), "bfs").ok  # it takes four terms


def test_parameters_and_faults_are_checked():
    with pytest.raises(SpecError, match="servers"):
        Raft(servers=0)
    with pytest.raises(SpecError, match="candidates=3 exceeds servers=2"):
        Raft(servers=2, candidates=3)
    with pytest.raises(SpecError, match="no byzantine_messages"):
        Raft(faults="byzantine=1")
