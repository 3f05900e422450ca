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
