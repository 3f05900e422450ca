"""Atomic broadcast (Zab, Junqueira et al. 2011, section III): primary order and integrity."""

from __future__ import annotations

__all__: list[str] = []
