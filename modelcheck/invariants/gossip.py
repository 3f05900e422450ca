"""Gossip integrity: no node holds a rumour that was never sent (Demers et al. 1987)."""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping

__all__ = ["gossip_integrity", "explain_gossip_integrity"]


def gossip_integrity(held: Iterable[Hashable], sent: Iterable[Hashable]) -> bool:
    """No node holds a rumour that was never sent: every rumour ``held`` was originated
    (``sent``, usually the ghost history of the rumours originated, payload included)."""
    return set(held) <= set(sent)


def explain_gossip_integrity(held: Mapping[Hashable, Iterable[Hashable]], sent: Iterable[Hashable],
                             name=str) -> str:
    """``n3 holds ('r1', 'config v2.'), which was never sent`` for each such rumour held."""
    sent = set(sent)
    return "\n".join(f"{name(node)} holds {rumour!r}, which was never sent"
                     for node, rumours in held.items() for rumour in sorted(set(rumours) - sent))
