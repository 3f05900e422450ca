"""The replicated-log family of the catalogue (Raft, Figure 3): each property holds on the
logs Raft allows and fails, with a readable explanation, on the ones it forbids."""

from modelcheck import invariants as inv

A, B = (1, "v1"), (2, "v2")  # entries (term, value)


def test_log_matching_compares_logs_up_to_an_entry_they_share():
    assert inv.log_matching([(), (A,), (A, B), (A, (3, "v3"))])
    assert inv.log_matching([(A,), (B,)])  # different terms at index 1: nothing shared
    # both hold a term-2 entry at index 2, but disagree at index 1
    assert not inv.log_matching([(A, B), ((2, "v9"), B)])
    # same index and term, different values
    assert not inv.log_matching([(A,), ((1, "v9"),)])
    assert inv.explain_log_matching({"n2": ((2, "v9"), B), "n1": (A, B), "n3": ()}) == \
        "n1 and n2 both hold a term-2 entry at index 2 but differ at or before it"
    assert inv.explain_log_matching({"n1": (A,), "n2": (A, B)}) == ""


def test_leader_completeness_counts_from_the_term_an_entry_was_committed_in():
    committed = [(1, 1, "v1", 3)]  # entry 1 (term 1) committed by the leader of term 3
    assert inv.leader_completeness(committed, [(3, "n1", (A,)), (4, "n2", (A, B))])
    assert inv.leader_completeness(committed, [(2, "n3", ())])  # term 2 is not after term 3
    assert not inv.leader_completeness(committed, [(4, "n3", (B,))])
    assert not inv.leader_completeness(committed, [(4, "n3", ())])
    # committed again later: the earliest term counts
    assert not inv.leader_completeness(committed + [(1, 1, "v1", 5)], [(4, "n3", ())])
    assert inv.explain_leader_completeness(committed, [(4, "n3", (B,)), (5, "n1", (A,))]) == \
        "entry 1 (term 1, v1), committed in term 3, is missing from the log of n3, leader of term 4"
    assert inv.leader_completeness([], [(4, "n3", ())])


def test_state_machine_safety_allows_one_entry_per_index():
    assert inv.state_machine_safety([(1, 1, "v1", 1), (1, 1, "v1", 3), (2, 2, "v2", 2)])
    assert not inv.state_machine_safety([(1, 1, "v1", 3), (1, 2, "v2", 4)])
    assert not inv.state_machine_safety([(1, 1, "v1", 1), (1, 1, "v2", 1)])
    assert inv.explain_state_machine_safety([(1, 2, "v2", 4), (1, 1, "v1", 3), (2, 2, "v2", 4)]) == \
        "index 1: (term 1, v1) and (term 2, v2) were both committed"
    assert inv.state_machine_safety([])
