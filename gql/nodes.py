"""Global ids and `node(id:)`: every lookup goes through the type's scoped loader."""

from __future__ import annotations

from typing import Any

import strawberry
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


def compose(*ids: int) -> str:
    """The node id of an object identified by several rows (a declaration is its
    organisation and campaign): stable before the object's own row exists."""
    return ":".join(str(i) for i in ids)


def scoped_id(type_name: str, *ids: int) -> strawberry.ID:
    """The id of a computed row (a sum, a count): its type and the rows it is computed over,
    so two lists showing the same row give it the same id and different scopes never share
    one; a normalising client cache keeps them apart."""
    return strawberry.ID(relay.to_base64(type_name, compose(*ids)))


def decompose(value: str, parts: int) -> tuple[int, ...] | None:
    """The database ids inside a composed node id, or None when it cannot name rows."""
    ids = [db_id(p) for p in value.split(":")]
    if len(ids) != parts or any(i is None for i in ids):
        return None
    return tuple(i for i in ids if i is not None)


async def resolve_global_id(info: Any, global_id: str, types: dict[str, Any]) -> Any:
    """The node behind an opaque id, or None: malformed, unknown and out-of-scope ids look
    the same, so existence does not leak. A type identified by several rows loads from its
    composed key (`load_key`)."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
        node_type = types[parsed.type_name]
    except (relay.GlobalIDValueError, KeyError, ValueError):
        return None
    if hasattr(node_type, "load_key"):
        return await node_type.load_key(info, parsed.node_id)
    node_id = db_id(parsed.node_id)
    return await node_type.load(info, node_id) if node_id is not None else None


def decode_id(global_id: str, type_name: str) -> int | None:
    """The database id inside an opaque id of the expected type, or None."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
        return db_id(parsed.node_id) if parsed.type_name == type_name else None
    except (relay.GlobalIDValueError, ValueError):
        return None
