"""The atomic-broadcast catalogue (Zab, section III): each property holds on a correct delivery
and fails, with a readable explanation, on the smallest delivery that breaks it."""

from modelcheck import invariants as inv

A1, A2, B1 = (1, 1, "v1"), (1, 2, "v2"), (2, 1, "v3")  # (epoch, counter, value)


def test_integrity_delivers_only_what_was_broadcast():
    assert inv.broadcast_integrity({"n1": (A1, A2), "n2": ()}, [A1, A2])
    assert not inv.broadcast_integrity({"n1": (A1,), "n2": ((1, 1, "v9"),)}, [A1])
    assert inv.explain_broadcast_integrity({"n2": ((1, 1, "v9"),), "n1": (A1,)}, [A1]) == \
        "n2 delivered (1, 1, 'v9'), which was never broadcast"


def test_prefix_agreement_allows_lagging_but_not_diverging():
    assert inv.prefix_agreement({"n1": (A1, A2, B1), "n2": (A1,), "n3": ()})
    assert not inv.prefix_agreement({"n1": (A1, A2), "n2": (A1, B1)})
    assert inv.explain_prefix_agreement({"n1": (A1, A2), "n2": (A1, B1), "n3": (A1,)}) == \
        "n1 delivered (1, 2, 'v2') and n2 delivered (2, 1, 'v3') at position 2"


def test_total_order_compares_the_order_of_common_transactions():
    assert inv.total_order({"n1": (A1, A2), "n2": (A1, A2, B1), "n3": ()})
    assert not inv.total_order({"n1": (A1, A2), "n2": (A2, A1)})
    assert not inv.total_order({"n1": (A1, A2), "n2": (A2,)})  # n2 delivered A2 without A1
    assert inv.total_order({"n1": (A1,), "n2": (B1,)})  # nothing in common: agreement's business
    assert inv.explain_total_order({"n1": (A1, A2), "n2": (A2,)}) == \
        "n1 delivered (1, 1, 'v1') before (1, 2, 'v2'), but n2 delivered (1, 2, 'v2') without (1, 1, 'v1') before it"


def test_local_primary_order_follows_each_primarys_broadcast_order():
    sent = {1: [A1, A2], 2: [B1]}
    assert inv.local_primary_order({"n1": (A1, A2, B1), "n2": (A1,), "n3": (B1,)}, sent)
    assert not inv.local_primary_order({"n1": (A2,)}, sent)
    assert not inv.local_primary_order({"n1": (A2, A1)}, sent)
    assert inv.explain_local_primary_order({"n1": (A2,)}, sent, primary_name=lambda e: f"of epoch {e}") == \
        "n1 delivered (1, 2, 'v2') without (1, 1, 'v1') before it, though primary of epoch 1 broadcast (1, 1, 'v1') first"


def test_global_primary_order_delivers_earlier_epochs_first():
    assert inv.global_primary_order({"n1": (A1, A2, B1), "n2": (B1,)})
    assert not inv.global_primary_order({"n1": (B1, A1)})
    assert inv.explain_global_primary_order({"n1": (B1, A1)}) == \
        "n1 delivered (2, 1, 'v3') (epoch 2) before (1, 1, 'v1') (epoch 1)"


def test_primary_integrity_needs_the_primary_to_deliver_earlier_epochs_first():
    # the primary of epoch 2 broadcast B1 after delivering A1; A2 was delivered somewhere later
    assert inv.primary_integrity({"n1": (A1, B1)}, [(B1, (A1,)), (A1, ()), (A2, (A1,))])
    assert not inv.primary_integrity({"n1": (A1, A2)}, [(B1, (A1,))])
    assert inv.primary_integrity({"n1": (A1, A2)}, [(A2, ())])  # same epoch: local order's business
    assert inv.explain_primary_integrity({"n1": (A1, A2)}, [(B1, (A1,))]) == \
        "(1, 2, 'v2') of epoch 1 was delivered, but the primary of epoch 2 broadcast (2, 1, 'v3') without delivering it first"


def test_every_function_of_the_family_is_exported_from_the_catalogue():
    from modelcheck.invariants import broadcast

    assert set(broadcast.__all__) <= set(inv.__all__)
    assert all(callable(getattr(inv, name)) for name in broadcast.__all__)
