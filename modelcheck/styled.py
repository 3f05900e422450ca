"""Styled text that needs no rich to build: what the renderers produce.

A :class:`Line` is a row of ``(text, style)`` parts, the styles named as rich names
them ("bold red", "dim").  :mod:`modelcheck.console` prints a line in colour on a
terminal (click.style) and as its plain text in a pipe or a file; rich is not
imported for it: on the small models most runs check, start-up is most of a command's
time, and rich's import was a fifth of it (``benchmarks/startup.py``: 0.080 -> 0.065 s).
"""

from __future__ import annotations

__all__ = ["Line"]


class Line:
    """One line of text in styled parts: ``Line("a ", ("b", "bold"))``, or
    ``Line("all red", style="red")`` (``style`` is that of the parts given as plain
    strings; a ``(text, style)`` part keeps its own)."""

    __slots__ = ("parts",)

    def __init__(self, *parts: str | tuple[str, str], style: str = "") -> None:
        self.parts = tuple((p, style) if isinstance(p, str) else p for p in parts)

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"Line{self.parts!r}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Line) and other.parts == self.parts

    __hash__ = None  # type: ignore[assignment]  # compared, never a key
