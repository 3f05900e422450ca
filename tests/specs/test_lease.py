"""lease: exact state counts against an independent BFS (and BFS == DFS), with and without
a crash, the no-grace bug's shortest counterexample under clock skew, the grace needed
(> 4 * skew) at the same bounds, and the recovery wait that keeps a restarted server from
granting the lease twice (the no-recovery-wait bug's shortest counterexample)."""

from __future__ import annotations

import pytest

import modelcheck
from modelcheck import SpecError, build
from modelcheck.actors import Faults
from modelcheck.specs.lease import Lease
from models import deliveries, explore_by_hand

# -- an independent BFS of the same model, written without the actor layer -----------------


def reference_lease_bfs(clients, lease, grace, skew, no_grace=False, crashes=0,
                        no_recovery_wait=False):
    """Distinct states of Gray-Cheriton leases in a timed run, by hand, without the actor
    layer, and whether at most one client held the lease in all of them.

    A client is (phase, ticks left on its expire timer or None); the server (holder,
    queue, ticks left on its free timer or None); each node's clock offset from real time
    lies in [-skew, skew]; a message is ("Request", client) or ("Grant", client) in a
    multiset; ``asked`` the clients whose Acquire was issued.  A timer with 0 ticks left
    fires before real time moves on; a real-time tick moves each clock by 0, 1 or 2.
    With ``crashes``, a node may crash (at most that many times): it forgets its state and
    timers, receives nothing and takes no request until it restarts; its clock runs on.  A
    restarted server first waits out any lease it may have granted: it is busy (its holder
    "recovering", so requests queue) until a free timer of one full server term fires;
    with ``no_recovery_wait`` it restarts free, as at the start.
    """
    C = [f"n{i + 1}" for i in range(clients)]
    hold_for = lease + (0 if no_grace else grace)

    def add(bag, msgs):
        return tuple(sorted(bag + tuple(msgs)))

    def grant(client, queue):
        return (client, queue, hold_for), [("Grant", client)]

    # (server=(holder, queue, free), clients=((phase, expire), ...), bag, offsets, asked, crashed, crashes)
    server0, client0 = ("", frozenset(), None), ("idle", None)
    recovering = server0 if no_recovery_wait else ("recovering", frozenset(), hold_for)
    start = (server0, (client0,) * clients, (), (0,) * (clients + 1), frozenset(), frozenset(), 0)

    def successors(state):
        srv, cls, bag, offs, asked, crashed, ncrash = state
        nexts = []
        for msg, rest in deliveries(bag):
            kind, who = msg
            if (who if kind == "Grant" else "server") in crashed:
                continue
            if kind == "Request":
                holder, q, free = srv
                if holder:
                    nexts.append(((holder, q | {who}, free), cls, rest, offs, asked, crashed, ncrash))
                else:
                    srv2, sends = grant(who, q)
                    nexts.append((srv2, cls, add(rest, sends), offs, asked, crashed, ncrash))
            else:
                i = C.index(who)
                phase, exp = cls[i]
                if phase == "waiting":
                    cls2 = cls[:i] + (("holding", exp),) + cls[i + 1:]
                    nexts.append((srv, cls2, rest, offs, asked, crashed, ncrash))
                else:
                    nexts.append((srv, cls, rest, offs, asked, crashed, ncrash))
        # due timers
        due = False
        for i, (phase, exp) in enumerate(cls):
            if exp == 0:
                due = True
                cls2 = cls[:i] + (("done", None),) + cls[i + 1:]
                nexts.append((srv, cls2, bag, offs, asked, crashed, ncrash))
        holder, q, free = srv
        if free == 0:
            due = True
            if q:
                nxt = min(q)
                srv2, sends = grant(nxt, q - {nxt})
                nexts.append((srv2, cls, add(bag, sends), offs, asked, crashed, ncrash))
            else:
                nexts.append((("", q, None), cls, bag, offs, asked, crashed, ncrash))
        # client requests: Acquire at its own client
        for i, c in enumerate(C):
            if c not in asked and c not in crashed:
                cls2 = cls[:i] + (("waiting", lease),) + cls[i + 1:]
                nexts.append((srv, cls2, add(bag, [("Request", c)]), offs, asked | {c}, crashed, ncrash))
        # real time moves on only when no timer is due
        if not due:
            options = [[o for o in (k - 1, k, k + 1) if -skew <= o <= skew] for k in offs]

            def product(opts):
                if not opts:
                    yield ()
                    return
                for o in opts[0]:
                    for tail in product(opts[1:]):
                        yield (o,) + tail

            for new in product(options):
                adv = [1 + o - k for o, k in zip(new, offs)]
                f2 = None if free is None else max(0, free - adv[0])
                cls2 = tuple((ph, None if e is None else max(0, e - adv[i + 1]))
                             for i, (ph, e) in enumerate(cls))
                nexts.append(((holder, q, f2), cls2, bag, new, asked, crashed, ncrash))
        for j, me in enumerate(["server"] + C):
            if me in crashed:
                srv2 = recovering if j == 0 else srv
                nexts.append((srv2, cls, bag, offs, asked, crashed - {me}, ncrash))
            elif ncrash < crashes:
                srv2, cls2 = (server0, cls) if j == 0 else (srv, cls[:j - 1] + (client0,) + cls[j:])
                nexts.append((srv2, cls2, bag, offs, asked, crashed | {me}, ncrash + 1))
        return nexts

    count, unsafe = explore_by_hand(start, successors, lambda s: sum(1 for ph, _ in s[1] if ph == "holding") > 1)
    return count, not unsafe


@pytest.mark.parametrize("params, faults, bug, expected, safe", [
    (dict(clients=2, lease=2, grace=5), "skew=1", None, 25_215, True),  # the defaults
    (dict(clients=2, lease=2, grace=4), "skew=1", None, 24_387, False),  # grace <= 4 * skew
    (dict(clients=2, lease=2, grace=5), "skew=1", "no-grace", 21_427, False),
    (dict(clients=1, lease=2, grace=0), "skew=1", None, 307, True),
    (dict(clients=2, lease=2, grace=1), "skew=0", None, 489, True),
    (dict(clients=2, lease=1, grace=2), "skew=0", None, 288, True),
    # the rule acts only on a restart: without crashes the bug changes nothing
    (dict(clients=2, lease=2, grace=5), "skew=1", "no-recovery-wait", 25_215, True),
    (dict(clients=2, lease=1, grace=2), "skew=0", "no-recovery-wait", 288, True),
    # a crash: a restarted server waits out a full term before it grants
    (dict(clients=1, lease=2, grace=0), "skew=1,crash=1", None, 1_345, True),
    (dict(clients=2, lease=2, grace=1), "skew=0,crash=1", None, 2_797, True),
    (dict(clients=2, lease=1, grace=2), "skew=0,crash=1", None, 1_772, True),
    (dict(clients=2, lease=2, grace=5), "skew=0,crash=1", None, 4_129, True),
    # the server's state is volatile: restarted without the wait, it grants the lease again
    # at once (one client cannot conflict with itself)
    (dict(clients=1, lease=2, grace=0), "skew=1,crash=1", "no-recovery-wait", 912, True),
    (dict(clients=2, lease=2, grace=1), "skew=0,crash=1", "no-recovery-wait", 2_261, False),
    (dict(clients=2, lease=1, grace=2), "skew=0,crash=1", "no-recovery-wait", 1_444, False),
    (dict(clients=2, lease=2, grace=5), "skew=0,crash=1", "no-recovery-wait", 3_109, False),
    # the defaults with a crash (what `modelcheck explore lease --faults skew=1,crash=1` runs)
    (dict(clients=2, lease=2, grace=5), "skew=1,crash=1", None, 141_419, True),
    (dict(clients=2, lease=2, grace=5), "skew=1,crash=1", "no-recovery-wait", 108_835, False),
])
def test_state_counts_match_an_independent_bfs(params, faults, bug, expected, safe):
    skew = int(faults.split(",")[0].split("=")[1])
    assert reference_lease_bfs(**params, skew=skew, no_grace=bug == "no-grace",
                               crashes=1 if "crash" in faults else 0,
                               no_recovery_wait=bug == "no-recovery-wait") == (expected, safe)
    result = modelcheck.explore(Lease(bug=bug, faults=faults, **params), "bfs", keep_going=True)
    assert result.complete and result.distinct_states == expected
    assert result.invariants == {"lease_safety": "holds" if safe else "violated"}


def test_defaults_to_a_timed_run_with_skew_1():
    assert Lease().faults == Faults(skew=1)
    assert build("lease").fault_summary() == {"network": "unordered", "skew": 1}
    assert Lease(faults="skew=0").faults == Faults(skew=0)


def test_default_run_holds_with_equal_bfs_and_dfs_counts():
    spec = Lease(faults="skew=1")
    bfs = modelcheck.explore(spec, "bfs")
    dfs = modelcheck.explore(spec, "dfs")
    assert (bfs.distinct_states, dfs.distinct_states) == (25_215, 25_215)
    assert bfs.transitions == dfs.transitions == 219_060
    assert bfs.params == {"clients": 2, "lease": 2, "grace": 5, "bug": None}
    assert bfs.ok and bfs.complete
    assert bfs.invariants == {"lease_safety": "holds"}
    assert bfs.reachability == {"lease_held": "reached", "lease_handed_over": "reached"}


def test_no_grace_gives_two_holders_under_skew_in_eight_steps():
    result = modelcheck.explore(Lease(bug="no-grace", faults="skew=1"), "bfs")
    trace = result.violations[0]
    assert trace.property == "lease_safety"
    assert trace.faults == {"network": "unordered", "skew": 1}
    assert [s.label for s in trace.steps] == [
        "client -> n1 Acquire(n1)",
        "server <- Request(from=n1)",
        "n1 <- Grant(from=server)",
        "client -> n2 Acquire(n2)",
        "server <- Request(from=n2)",
        "tick (server=+1)",  # the server's clock runs ahead: its 2 ticks end before n1's
        "server timeout free",
        "n2 <- Grant(from=server)",
    ]
    assert Lease().explain("lease_safety", trace.last_state) == "n1 and n2 both hold a valid lease"


def test_no_recovery_wait_grants_twice_after_a_server_restart_in_eight_steps():
    assert modelcheck.explore(Lease(bug="no-recovery-wait", faults="skew=1"), "bfs").ok
    result = modelcheck.explore(Lease(bug="no-recovery-wait", faults="skew=1,crash=1"), "bfs")
    trace = result.violations[0]
    assert trace.property == "lease_safety"
    assert trace.faults == {"network": "unordered", "crashes": 1, "skew": 1}
    labels = [s.label for s in trace.steps]
    assert labels == [
        "client -> n1 Acquire(n1)",
        "server <- Request(from=n1)",
        "n1 <- Grant(from=server)",
        "client -> n2 Acquire(n2)",
        "crash server",  # forgets that n1 holds the lease
        "restart server",
        "server <- Request(from=n2)",  # granted at once: n1's term is still running
        "n2 <- Grant(from=server)",
    ]
    assert len(trace) == 8 and "crash server" in labels and "restart server" in labels
    assert Lease().explain("lease_safety", trace.last_state) == "n1 and n2 both hold a valid lease"


def test_a_restarted_server_waits_a_full_term_before_granting():
    """The correct spec, on the bug's path: after the restart the server holds the lease
    itself and queues n2's request until its free timer (lease + grace) fires."""
    spec = Lease(faults="skew=1,crash=1")
    state = spec.initial_states()[0]
    for label in ["client -> n1 Acquire(n1)", "server <- Request(from=n1)", "n1 <- Grant(from=server)",
                  "client -> n2 Acquire(n2)", "crash server", "restart server",
                  "server <- Request(from=n2)"]:
        (state,) = [nxt for action, nxt in spec.successors(state) if spec.format_action(action) == label]
    assert spec.state_of(state, "server") == ("server", frozenset({"n2"}), True)
    assert state.timers.server == (("free", 7),)
    assert list(spec.in_flight(state)) == []  # n2's request queued, no Grant sent


@pytest.mark.parametrize("grace, states, steps", [
    (0, 10_357, 8), (2, 17_225, 10), (4, 20_086, 12),  # grace <= 4 * skew: violated
    (5, 25_215, None), (6, 26_403, None),  # grace > 4 * skew: holds
])
def test_grace_must_exceed_four_times_the_skew(grace, states, steps):
    result = modelcheck.explore(Lease(grace=grace, faults="skew=1"), "bfs")
    assert result.distinct_states == states
    if steps is None:
        assert result.ok and result.complete
    else:
        assert len(result.violations[0].steps) == steps


def test_without_skew_one_tick_of_grace_suffices():
    assert modelcheck.explore(Lease(grace=1, faults="skew=0"), "bfs").ok
    assert modelcheck.explore(Lease(grace=1, faults="skew=0"), "bfs").distinct_states == 489
    assert not modelcheck.explore(Lease(bug="no-grace", faults="skew=0"), "bfs").ok


def test_an_untimed_run_is_refused():
    with pytest.raises(SpecError, match="timed fault model"):
        Lease(faults="none")
    with pytest.raises(SpecError, match="grace"):
        Lease(grace=-1)
