"""Message-passing protocols and the fault model.

Write a node's correct behaviour as pure handlers on a :class:`Protocol`; choose the
faults per run with :class:`Faults`; check it with :func:`modelcheck.explore` like any
spec::

    from modelcheck import explore
    from modelcheck.specs.raft_election import RaftElection

    result = explore(RaftElection(servers=3, faults="crash=1"), "bfs")
"""

from .faults import Faults
from .messages import Message, format_message, format_value
from .protocol import (
    Cluster,
    FaultState,
    Protocol,
    broadcast,
    cancel_timer,
    numbered,
    persist,
    record,
    send,
    set_timer,
)
from .quorum import bft_quorum, is_majority, majority, max_byzantine

__all__ = [
    "Cluster",
    "FaultState",
    "Faults",
    "Message",
    "Protocol",
    "bft_quorum",
    "broadcast",
    "cancel_timer",
    "format_message",
    "format_value",
    "is_majority",
    "majority",
    "numbered",
    "max_byzantine",
    "persist",
    "record",
    "send",
    "set_timer",
]
