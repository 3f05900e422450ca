"""Replicated logs (Raft, Figure 3): log matching, leader completeness, state-machine safety."""

from __future__ import annotations

__all__: list[str] = []
