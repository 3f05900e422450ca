"""``modelcheck simulate``: one seeded random execution, told as a timeline."""

import re
import shutil
from pathlib import Path

from modelcheck.simulate import simulate as run_simulation
from models import BadInvariant, Raises
from test_cli import MODELS, modelcheck

ELECTION = Path(__file__).parent / "trace" / "data" / "election.py"

SEED_7 = """\
./election.py(nodes=3, max_term=1, crashes=1): random execution, seed 7
  0 initial state
     nodes[0].term = 0
     nodes[0].role = follower
     nodes[0].voted_for = null
     nodes[0].votes = []
     nodes[1].term = 0
     nodes[1].role = follower
     nodes[1].voted_for = null
     nodes[1].votes = []
     nodes[2].term = 0
     nodes[2].role = follower
     nodes[2].voted_for = null
     nodes[2].votes = []
     network = []
     crashed = []
     crashes = 0
     leaders = []
  1 crash n2  [fault]
     crashed: +n2
     crashes: 0 -> 1
  2 n3 timeout election
     nodes[2]: term 0 -> 1, role follower -> candidate, voted_for null -> n3, votes +n3
     network: +[RequestVote, 1, n3, n1, null] +[RequestVote, 1, n3, n2, null]
  3 restart n2  [fault]
     crashed: -n2
  4 n1 <- RequestVote(term=1, from=n3)
     nodes[0]: term 0 -> 1, voted_for null -> n3
     network: +[Vote, 1, n1, n3, true] -[RequestVote, 1, n3, n1, null]
  5 n2 <- RequestVote(term=1, from=n3)
     nodes[1]: term 0 -> 1, voted_for null -> n3
     network: +[Vote, 1, n2, n3, true] -[RequestVote, 1, n3, n2, null]
  6 n3 <- Vote(term=1, from=n1, granted=True)
     nodes[2]: role candidate -> leader, votes +n1
     network: -[Vote, 1, n1, n3, true]
     leaders: +[1, n3]
     ★ reached: leader_elected — Some node becomes leader.
  7 n3 <- Vote(term=1, from=n2, granted=True)
     network: -[Vote, 1, n2, n3, true]
stopped after 7 steps: no transition is enabled
"""


def simulate(tmp_path, *args):
    if not (tmp_path / "election.py").exists():
        shutil.copy(ELECTION, tmp_path / "election.py")
    return modelcheck("simulate", "./election.py", *args, cwd=tmp_path)


def test_timeline_of_a_leader_election(tmp_path):
    r = simulate(tmp_path, "--seed", "7", "--steps", "40")
    assert r.returncode == 0, r.stderr
    assert r.stdout == SEED_7


def test_same_seed_same_run_in_any_process(tmp_path, monkeypatch):
    runs = []
    for hash_seed in ("1", "2"):  # string hashes, hence set orders, differ between these processes
        monkeypatch.setenv("PYTHONHASHSEED", hash_seed)
        runs.append(simulate(tmp_path, "--seed", "7", "--steps", "40").stdout)
    assert runs == [SEED_7, SEED_7]
    assert simulate(tmp_path, "--seed", "8", "--steps", "40").stdout != SEED_7


def test_a_fresh_seed_is_printed_and_replays(tmp_path):
    first = simulate(tmp_path, "--steps", "20")
    seed = re.search(r"random execution, seed (\d+)", first.stdout.splitlines()[0])[1]
    assert simulate(tmp_path, "--steps", "20", "--seed", seed).stdout == first.stdout


def test_step_budget(tmp_path):
    r = simulate(tmp_path, "--seed", "7", "--steps", "3")
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1] == "3 steps, no invariant violated (same seed, same run: --seed 7)"
    assert "  4 " not in r.stdout


def test_a_broken_invariant_stops_the_run_with_its_witnesses(tmp_path):
    r = simulate(tmp_path, "--seed", "14", "--steps", "40")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[lines.index("   7 restart n2  [fault]") + 3] == "      ☆ no longer: leader_elected"
    assert lines[-3:] == [
        "violated: election_safety — At most one leader is elected in each term.",
        "  term 1: n1 and n2 were both elected leader",
        "stopped after 12 steps: an invariant is violated (modelcheck explore finds the shortest such trace)",
    ]


def test_library_spec_stops_when_nothing_changes(tmp_path):
    r = modelcheck("simulate", "twophase", "--seed", "3", "-n", "10", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "  2 TMAbort\n     tm: init -> aborted\n     msgs: +[Abort]\n" in r.stdout
    assert r.stdout.splitlines()[-1] == ("stopped after 5 steps: nothing changes any more "
                                         "(every enabled transition leaves the state as it is)")


def test_usage_errors(tmp_path):
    r = modelcheck("simulate", "nosuch", cwd=tmp_path)
    assert r.returncode == 2 and "unknown spec 'nosuch'" in r.stderr
    r = modelcheck("simulate", "twophase", "--steps", "-1", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_an_invariant_that_raises_ends_the_run_there_with_exit_2(tmp_path):
    r = modelcheck("simulate", f"{MODELS}:BadInvariant", "--seed", "1", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
    lines = r.stdout.splitlines()
    assert lines[-4:-2] == ["  3 Step", "     state: 2 -> 3"]  # the timeline up to the state it raised on
    assert re.fullmatch(r"error: the spec raised while checking invariant fragile in the state after step 3: "
                        r"ValueError: invariant bug at 3 \(at models\.py:\d+ in fragile\)", lines[-2])
    assert lines[-1] == "stopped after 3 steps: the spec raised (same seed, same run: --seed 1)"


def test_successors_that_raise_end_the_run_there(tmp_path):
    r = modelcheck("simulate", f"{MODELS}:Raises", "--seed", "1", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
    assert re.search(r"\n  3 Step\n     state: 2 -> 3\nerror: the spec raised while computing the successors of "
                     r"the state after step 3: ZeroDivisionError: boom at 3 \(at models\.py:\d+ in successors\)\n",
                     r.stdout)


def test_a_spec_that_raises_is_an_error_simulation():
    sim = run_simulation(BadInvariant(at=3), 10, seed=1)
    assert sim.ended_by == "error" and sim.exit_code == 2 and len(sim.moments) == 3
    assert sim.moments[-1].state == 3 and sim.violated == ()
    assert "ValueError: invariant bug at 3" in sim.error
    start = run_simulation(BadInvariant(at=0), 10, seed=1)
    assert start.ended_by == "error" and start.moments == () and "in the initial state" in start.error
    sim = run_simulation(Raises(), 10, seed=1)
    assert sim.ended_by == "error" and len(sim.moments) == 3 and "ZeroDivisionError: boom at 3" in sim.error
