"""The actor layer itself: handlers and effects, labels, client requests, crash and
durable state, the fault model's plumbing, errors, and a deterministic successor order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import NamedTuple

import pytest
from models import reachable
from protocols import Data, Stream

import modelcheck
from modelcheck import Param, SpecError, build, invariant
from modelcheck.actors import Faults, Message, Protocol, persist, record, send, set_timer
from modelcheck.specs.raft_election import RaftElection, Vote
from modelcheck.trace.render import parse_label


class Put(Message):
    key: str
    value: int


class Copy(Message):
    value: int


class Cell(NamedTuple):
    value: int
    copies: int


class Register(Protocol):
    """n1 accepts client writes and copies each to n2; n2 refuses client writes."""

    nodes = Param(2, "number of nodes")
    durable = ("value",)
    messages = (Copy,)

    def init(self, node):
        return Cell(0, 0)

    def requests(self):
        return (Put("x", 1), Put("x", 2))

    def on_request(self, node, state, req):
        if node != "n1":
            return None
        return state._replace(value=req.value), [send("n2", Copy(req.value)), record(req.value)]

    def on_message(self, node, state, src, msg):
        return Cell(msg.value, state.copies + 1), ()

    @invariant
    def copies_are_writes(self, c) -> bool:
        """n2 never received more copies than writes were made."""
        return c.nodes[1].copies <= len(c.ghost)


def labels(spec, state):
    return [spec.format_action(a) for a, _ in spec.successors(state)]


def step(spec, state, label):
    return {spec.format_action(a): t for a, t in spec.successors(state)}[label]


def test_client_requests_go_to_any_node_that_accepts_them_once():
    spec = Register()
    (c,) = spec.initial_states()
    assert labels(spec, c) == ["client -> n1 Put(x, 1)", "client -> n1 Put(x, 2)"]  # n2 refuses
    c = step(spec, c, "client -> n1 Put(x, 1)")
    assert c.requests == {Put("x", 1)} and c.ghost == {1}
    assert labels(spec, c) == ["n2 <- Copy(value=1, from=n1)", "client -> n1 Put(x, 2)"]
    result = modelcheck.explore(spec, "bfs")
    # n1's value x n2's (value, copies) x requests issued x copies in flight, enumerated by hand:
    # 1 + 2 (one write) + 2 (and copied) + 2 (both written, none copied) + 4 (one copied)
    # + 4 (both copied)
    assert result.ok and result.distinct_states == 15
    assert set(result.coverage) == {"deliver Copy", "request Put"}


def test_equal_client_requests_are_refused_since_issued_ones_would_merge():
    """Found by a review: ``(Acquire(0),) * clients`` issued one request, not ``clients``
    (issued requests are a set), and a crash bug that needs two went unfound."""
    class Twice(Register):
        def requests(self):
            return (Put("x", 1), Put("x", 2), Put("x", 1))

    with pytest.raises(modelcheck.SpecError, match=r"requests\(\) gives Put\(key=x, value=1\) more than once"):
        Twice()


def test_a_handler_misspelt_is_refused_rather_than_never_called():
    class Misspelt(Register):
        def on_mesage(self, node, state, src, msg):
            return state, ()

    with pytest.raises(modelcheck.SpecError, match=r"defines on_mesage\(\), which the actor layer never calls: "
                                                   r"did you mean on_message\(\)\?"):
        Misspelt()

    class Helper(Register):  # helpers of other names are the protocol's own business (a review
        def on_other_message(self, node, state, src, msg):  # found on_restart refused)
            return state, ()

        def on_restart(self, node, state):
            return state, ()

        def on_messages(self, node, state):
            return state, ()

        on_state = "not a method"

    Helper()


def test_unhashable_client_requests_are_named():
    class Lists(Register):
        def requests(self):
            return ([1], [2])

    with pytest.raises(modelcheck.SpecError, match=r"requests\(\) gives \[1\], which cannot be hashed"):
        Lists()


def test_labels_read_as_the_trace_viewers_expect():
    spec = Register(faults="drop,dup,crash=1,partition=1,skew=1")
    c = step(spec, spec.initial_states()[0], "client -> n1 Put(x, 1)")
    got = labels(spec, c)
    assert got == [
        "n2 <- Copy(value=1, from=n1)",
        "dup n2 <- Copy(value=1, from=n1)",
        "drop n1 -> n2 Copy(value=1)",
        "client -> n1 Put(x, 2)",
        "crash n1",
        "crash n2",
        "partition {n1} | {n2}",
        "tick", "tick (n2=-1)", "tick (n2=+1)", "tick (n1=-1)", "tick (n1=-1, n2=-1)",
        "tick (n1=-1, n2=+1)", "tick (n1=+1)", "tick (n1=+1, n2=-1)", "tick (n1=+1, n2=+1)",
    ]
    kinds = [parse_label(label).kind for label in got[:7]]
    assert kinds == ["deliver", "duplicate", "drop", "send", "crash", "crash", "partition"]
    assert parse_label(got[0]).sender == "n1"
    assert parse_label("n2 <- " + RaftElection().format_message(Vote(2, True), "n3")).sender == "n3"
    assert RaftElection().format_message(Vote(2, True), "n3") == "Vote(term=2, from=n3, granted=True)"


def test_a_crash_resets_volatile_fields_drops_timers_and_blocks_delivery():
    spec = Register(faults="crash=1")
    c = step(spec, spec.initial_states()[0], "client -> n1 Put(x, 1)")
    c = step(spec, c, "n2 <- Copy(value=1, from=n1)")
    assert c.nodes == (Cell(1, 0), Cell(1, 1))
    down = step(spec, c, "crash n2")
    assert down.nodes == (Cell(1, 0), Cell(1, 0))  # value is durable, copies is not
    assert spec.crashed(down) == {"n2"} and down.faults.crashes == 1
    c = step(spec, down, "client -> n1 Put(x, 2)")
    assert labels(spec, c) == ["restart n2"]  # the copy waits: n2 is down
    assert labels(spec, step(spec, c, "restart n2")) == ["n2 <- Copy(value=2, from=n1)"]


class Disk(NamedTuple):
    value: int
    acked: bool


class Ack(Message):
    value: int


class FsyncLater(Protocol):
    """n1 writes 1, acknowledges to n2, and persists on a later ``fsync`` timer."""

    nodes = Param(2, "number of nodes")
    timers = ("write", "fsync")
    durable = ("value",)
    explicit_persistence = True

    def init(self, node):
        return Disk(0, False)

    def on_start(self, node, s):
        return s, [set_timer("write")] if node == "n1" and s.value == 0 else ()

    def on_timer(self, node, s, timer):
        if timer == "fsync":
            return s, [persist()]
        return Disk(1, s.acked), [send("n2", Ack(1)), set_timer("fsync")]

    def on_message(self, node, s, src, msg):
        return Disk(msg.value, True), ()

    @invariant
    def acked_writes_survive(self, c) -> bool:
        """A write acknowledged to n2 is not lost by n1."""
        return not c.nodes[1].acked or c.nodes[0].value == 1 or c.faults is None or "n1" in c.faults.crashed


def test_explicit_persistence_explores_a_crash_between_ack_and_fsync():
    assert modelcheck.explore(FsyncLater(), "bfs").ok
    result = modelcheck.explore(FsyncLater(faults="crash=1"), "bfs")
    assert [s.label for s in result.violations[0].steps] == [
        "n1 timeout write", "n2 <- Ack(value=1, from=n1)", "crash n1", "restart n1"]
    assert result.violations[0].last_state.disk == ((0,), (0,))


def test_params_faults_and_their_round_trips():
    spec = Stream(count=3, faults="fifo,crash=1")
    assert spec.params() == {"count": 3}
    assert spec.fault_summary() == {"network": "fifo", "crashes": 1}
    again = Stream(**spec.params(), faults=Faults(**spec.fault_summary()))
    assert again.faults == spec.faults and str(again.faults) == "fifo,crash=1"
    assert repr(spec) == "Stream(count=3, faults='fifo,crash=1')"
    assert Stream(faults={"network": "fifo"}).faults == Faults(network="fifo")
    result = modelcheck.explore(spec, "bfs")
    assert result.faults == {"network": "fifo", "crashes": 1} and result.params == {"count": 3}
    assert build("raft-election", {"servers": "2"}, faults="crash=1").faults == Faults(crashes=1)
    assert spec.action_kinds() == ("deliver Data", "crash", "restart")


def test_every_strategy_runs_a_protocol_unchanged():
    spec = RaftElection(faults="crash=1,partition=1")
    assert modelcheck.explore(spec, "dfs").distinct_states == modelcheck.explore(spec, "bfs").distinct_states
    walks = modelcheck.explore(RaftElection(bug="no-voted-for-check"), "random", walks=300, depth=20, seed=7)
    assert walks.invariants["election_safety"] == "violated"


class Broken(Protocol):
    """A protocol whose timer handler makes the mistake named by ``how``."""

    nodes = Param(2, "number of nodes")
    how = Param("state", "what goes wrong")
    timers = ("t",)

    def init(self, node):
        return Cell(0, 0)

    def on_start(self, node, s):
        return s, [set_timer("t")]

    def on_timer(self, node, s, timer):
        if self.how == "state":
            return s  # forgot the effects: a 2-field state must not pass for (state, effects)
        if self.how == "timer":
            return s, [set_timer("undeclared")]
        if self.how == "single":
            return s, send("n2", Data(1))
        if self.how == "number":
            return s, 3
        if self.how == "none":  # no effects: allowed, as []
            return s._replace(value=1), None
        if self.how == "stutter":  # the same values as a plain tuple: allowed
            return tuple(s), []
        return s, [send("n7", Data(1))]


class BadDurable(Broken):
    durable = ("nope",)


@pytest.mark.parametrize("how, message", [
    ("state", "handlers return (state, effects) or None"),
    ("timer", "add 'undeclared' to `timers`"),
    ("single", "effects are a list: [send(...)]"),
    ("dst", "to unknown node 'n7'"),
    # found in review: "TypeError: 'int' object is not iterable (at protocol.py:...)"
    ("number", "a handler of node n1 returned the effects 3; effects are a list, e.g. [send(...)], or [] for none"),
])
def test_mistakes_in_handlers_are_reported_with_the_trace(how, message):
    result = modelcheck.explore(Broken(how=how), "bfs")
    assert message in result.error.error
    assert result.error.steps == ()  # raised while expanding the initial state


def test_effects_none_are_no_effects():
    """Found in review: ``return state, None`` was a TypeError pointing into the library."""
    result = modelcheck.explore(Broken(how="none"), "bfs")
    assert result.error is None and result.distinct_states == 4  # each node's timer fired or not


def test_durable_fields_must_exist():
    with pytest.raises(SpecError, match="durable field 'nope' is not a field of the node state Cell"):
        BadDurable()


def test_messages_carry_their_kind():
    assert Vote(2, True) == ("Vote", 2, True) and Vote(term=2, granted=True).granted is True
    assert Vote(2, True)._replace(term=3) == Vote(3, True)
    assert Vote._fields == ("kind", "term", "granted")
    match Vote(2, False):
        case Vote(term, granted):
            assert (term, granted) == (2, False)
    from modelcheck.trace.format import encode_state

    assert encode_state(Vote(2, True)) == {"kind": "Vote", "term": 2, "granted": True}


SCRIPT = """
import json, modelcheck
from modelcheck.specs.raft_election import RaftElection
spec = RaftElection(faults="crash=1,partition=1,dup,drop")
frontier, out = spec.initial_states(), []
for _ in range(3):
    nxt = []
    for s in frontier:
        succ = spec.successors(s)
        out.append([spec.format_action(a) for a, _ in succ])
        nxt += [t for _, t in succ]
    frontier = nxt[:40]
r = modelcheck.explore(RaftElection(bug="volatile-voted-for", faults="crash=1"), "bfs")
out.append([s.index for s in r.violations[0].steps])
print(json.dumps(out))
"""


def test_successor_order_is_the_same_in_every_process():
    """Replay re-executes transitions by index, and str hashes differ between processes."""
    runs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                              check=True)
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1]
    assert len(runs[0]) > 40


def test_obsolete_messages_leave_the_network_at_once():
    # once the receiver has seen a message out of order it ignores every later one: those are
    # obsolete, and dropping them keeps every reachable node state while merging the states
    # that differ only by dead messages in flight
    class Pruned(Stream):
        def obsolete(self, node, state, src, msg):
            return state.bad is not None

    def node_states(spec):
        seen = reachable(spec)
        return len(seen), {(c.nodes, c.ghost) for c in seen}

    full, pruned = node_states(Stream(count=3)), node_states(Pruned(count=3))
    assert pruned[1] == full[1] and pruned[0] < full[0]
    a, b = modelcheck.explore(Stream(count=3), "bfs"), modelcheck.explore(Pruned(count=3), "bfs")
    assert [len(t) for t in a.violations] == [len(t) for t in b.violations]
    # on FIFO links nothing is taken out of order: the same states
    assert node_states(Pruned(count=3, faults="fifo"))[0] == node_states(Stream(count=3, faults="fifo"))[0]


def test_handlers_may_return_effects_as_any_iterable():
    """Handler results are remembered per (node, state, message): effects given as a
    generator must work every time the same call recurs, not only the first."""
    from protocols import Agreement

    from modelcheck import explore

    class Generating(Agreement):
        name = "agreement-generating"

        def on_message(self, node, state, src, msg):
            result = super().on_message(node, state, src, msg)
            return None if result is None else (result[0], (e for e in result[1]))

    for faults in ("byzantine=1", None):
        plain = explore(Agreement(faults=faults) if faults else Agreement(), "bfs")
        generating = explore(Generating(faults=faults) if faults else Generating(), "bfs")
        assert (generating.distinct_states, generating.transitions) == (plain.distinct_states, plain.transitions)
        assert generating.invariants == plain.invariants


class Idle(NamedTuple):
    x: int


class Busy(NamedTuple):
    x: int


class TwoClasses(Protocol):
    """Idle(0) --t--> Busy(1) --t--> Busy(0) --t--> records "bad": found in reviews to say "no
    violation", since Busy(0) == Idle(0) (equal tuples) merged the two states (and their
    handler results), whether or not one follows the other."""

    nodes = Param(1)
    timers = ("t",)

    def init(self, node):
        return Idle(0)

    def on_start(self, node, s):
        return s, [set_timer("t")]

    def on_timer(self, node, s, timer):
        if isinstance(s, Idle):
            return Busy(1), [set_timer("t")]
        if s.x:
            return Busy(0), [set_timer("t")]
        return s, [record("bad")]

    @invariant
    def never_bad(self, c):
        return "bad" not in c.ghost


def test_node_states_of_two_classes_with_equal_fields_are_refused():
    result = modelcheck.explore(TwoClasses(), "bfs")
    assert result.error is not None and not result.violations
    assert "node states Idle and Busy are named tuples of 1 field: with equal fields they are equal" in \
        result.error.error


def test_a_named_tuple_and_its_plain_tuple_are_one_state():
    """A no-op step from a named tuple to the equal plain tuple: one state either way, so fine."""
    result = modelcheck.explore(Broken(how="stutter"), "bfs")
    assert result.error is None and result.distinct_states == 4  # each node's timer set or spent
