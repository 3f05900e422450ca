"""Leases and quorum reads: lease safety (one valid lease at any real time) and read-your-writes."""

from __future__ import annotations

__all__: list[str] = []
