"""What a hand-written statement of models/ needs on both databases."""

from __future__ import annotations


def placeholder(number: int, postgres: bool) -> str:
    """The `number`-th bound value: `$n` on asyncpg, `?n` on SQLite. Numbered on both, so
    that one value can stand in several places of a statement."""
    return f"${number}" if postgres else f"?{number}"
