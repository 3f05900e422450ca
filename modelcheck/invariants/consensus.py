"""Consensus properties: election safety, agreement, validity, and which values a quorum chose."""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping


__all__ = [
    "election_safety",
    "explain_election_safety",
    "chosen_by_quorum",
    "chosen_by_majority",
    "agreement",
    "explain_agreement",
    "validity",
]


def _leaders_by_term(elected: Iterable[tuple[int, Hashable]]) -> dict[int, list[Hashable]]:
    by_term: dict[int, list[Hashable]] = {}
    for term, leader in sorted(elected):
        by_term.setdefault(term, []).append(leader)
    return by_term


def election_safety(elected: Iterable[tuple[int, Hashable]]) -> bool:
    """At most one leader per term, ever (Raft, Figure 3), over every (term, leader) elected."""
    pairs = list(elected)
    return len({term for term, _ in pairs}) == len(set(pairs))


def explain_election_safety(elected: Iterable[tuple[int, Hashable]], name=str, round_name: str = "term") -> str:
    """``term 1: n1 and n3 were both elected leader`` for each term (or epoch...) with two leaders."""
    return "\n".join(f"{round_name} {t}: {' and '.join(map(name, ls))} were both elected leader"
                     for t, ls in sorted(_leaders_by_term(elected).items()) if len(ls) > 1)


def chosen_by_quorum(accepted: Iterable[tuple[int, Hashable]], quorum: int) -> dict[Hashable, int]:
    """Values accepted by at least ``quorum`` acceptors in one ballot, each with its lowest such ballot.

    ``accepted`` holds one (ballot, value) item per acceptance (Paxos Made Simple, 2.2);
    Fast Paxos and Byzantine protocols pass their own quorum sizes.
    """
    votes: dict[tuple[int, Hashable], int] = {}
    for key in accepted:
        votes[key] = votes.get(key, 0) + 1
    chosen: dict[Hashable, int] = {}
    for (ballot, value), count in sorted(votes.items()):
        if count >= quorum and value not in chosen:
            chosen[value] = ballot
    return chosen


def chosen_by_majority(accepted: Iterable[tuple[int, Hashable]], acceptors: int) -> dict[Hashable, int]:
    """Values a majority of ``acceptors`` accepted in one ballot (see chosen_by_quorum)."""
    return chosen_by_quorum(accepted, acceptors // 2 + 1)


def agreement(chosen: Iterable[Hashable]) -> bool:
    """At most one value is chosen (consensus agreement)."""
    return len(set(chosen)) <= 1


def explain_agreement(chosen: Mapping[Hashable, int], round_name: str = "ballot") -> str:
    return " and ".join(f"{v} chosen in {round_name} {b}" for v, b in sorted(chosen.items()))


def validity(chosen: Iterable[Hashable], proposed: Iterable[Hashable]) -> bool:
    """Only a value that was proposed may be chosen (consensus validity)."""
    return set(chosen) <= set(proposed)
