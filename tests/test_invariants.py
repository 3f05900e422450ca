from modelcheck import invariants as inv


def test_election_safety_over_the_history_of_elections():
    assert inv.election_safety([(1, "n1"), (2, "n2"), (1, "n1")])
    assert not inv.election_safety([(1, "n1"), (2, "n2"), (1, "n3")])
    assert inv.explain_election_safety([(1, "n3"), (1, "n1"), (2, "n2")]) == \
        "term 1: n1 and n3 were both elected leader"


def test_chosen_needs_a_majority_in_one_ballot():
    # 3 acceptors: two acceptances of (2, "a") choose a; (1, "b") and (3, "b") do not add up
    accepted = [(2, "a"), (1, "b"), (2, "a"), (3, "b"), (10, "a"), (10, "a")]
    assert inv.chosen_by_majority(accepted, 3) == {"a": 2}
    assert inv.chosen_by_majority([(1, "b"), (1, "b"), (2, "a"), (2, "a")], 3) == {"b": 1, "a": 2}


def test_agreement_and_validity():
    assert inv.agreement({"a": 1}) and inv.agreement({})
    assert not inv.agreement({"a": 1, "b": 2})
    assert inv.explain_agreement({"b": 2, "a": 1}) == "a chosen in ballot 1 and b chosen in ballot 2"
    assert inv.validity(["a"], ["a", "b"]) and not inv.validity(["c"], ["a", "b"])


def test_lease_safety():
    assert inv.lease_safety([]) and inv.lease_safety(["c1"]) and inv.lease_safety(["c1", "c1"])
    assert not inv.lease_safety(["c2", "c1"])
    assert inv.explain_lease_safety(["c2", "c1"]) == "c1 and c2 both hold a valid lease"


def test_read_your_writes():
    assert inv.read_your_writes([]) and inv.read_your_writes([(0, 0), (1, 1), (1, 2)])
    assert not inv.read_your_writes([(1, 1), (2, 1)])
    assert inv.explain_read_your_writes([(1, 1), (2, 1)]) == (
        "stale read: returned version 1 although version 2 was written before the read started")
