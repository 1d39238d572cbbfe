"""Global ids and `node(id:)`: every lookup goes through the type's scoped loader."""

from __future__ import annotations

from typing import Any

from strawberry import relay

# Database ids are 32-bit integers: a larger one cannot exist (and would fail the query).
MAX_ID = 2**31 - 1


def db_id(value: str) -> int | None:
    """A database id from text, or None when it cannot name a row."""
    try:
        pk = int(value)
    except ValueError:
        return None
    return pk if 0 < pk <= MAX_ID else None


async def resolve_global_id(info: Any, global_id: str, types: dict[str, Any]) -> Any:
    """The node behind an opaque id, or None: malformed, unknown and out-of-scope ids look
    the same, so existence does not leak."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
        node_type = types[parsed.type_name]
        node_id = db_id(parsed.node_id)
    except (relay.GlobalIDValueError, KeyError, ValueError):
        return None
    return await node_type.load(info, node_id) if node_id is not None else None


def decode_id(global_id: str, type_name: str) -> int | None:
    """The database id inside an opaque id of the expected type, or None."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
        return db_id(parsed.node_id) if parsed.type_name == type_name else None
    except (relay.GlobalIDValueError, ValueError):
        return None
