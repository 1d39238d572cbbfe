"""Idempotent requests: the first answer to a change, kept under a key its client chose.

A client that lost the answer (the connection dropped, the server died after the commit)
sends the same request with the same key and gets the first answer again instead of a
CONFLICT. Keys belong to one user and expire after a day. The answer is stored in the same
transaction as the change it answers: either both are kept or neither.
"""

from __future__ import annotations

from datetime import timedelta

from tortoise import fields
from tortoise.models import Model

from models.account import User
from models.clock import now_utc
from models.errors import Code, DomainError

TTL = timedelta(hours=24)
MAX_KEY = 100


class IdempotentRequest(Model):
    """A request's first answer under its client's key, for one user, until it expires."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="idempotent_requests", on_delete=fields.CASCADE)
    user_id: int
    key = fields.CharField(max_length=MAX_KEY)
    # SHA-256 of the request body: the same key with another request is a client's mistake.
    request_hash = fields.CharField(max_length=64)
    status_code = fields.IntField()
    response = fields.TextField()
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotent_request"
        unique_together = (("user_id", "key"),)


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise DomainError(Code.BAD_USER_INPUT,
                          f"Idempotency-Key 须为1至{MAX_KEY}个可见的ASCII字符")
    return key


async def first_answer(user_id: int, key: str, request_hash: str
                       ) -> IdempotentRequest | None:
    """The answer kept under the key, or None; refused when the key named another request."""
    kept = await IdempotentRequest.get_or_none(user_id=user_id, key=key,
                                               expires_at__gt=now_utc())
    if kept is not None and kept.request_hash != request_hash:
        raise DomainError(Code.IDEMPOTENCY_KEY_REUSED,
                          "该 Idempotency-Key 已用于另一请求，请为新的修改使用新的键")
    return kept


async def keep_answer(user_id: int, key: str, request_hash: str, status_code: int,
                      response: str) -> None:
    """Keep the answer (inside the change's transaction); an expired one under the same key
    makes room."""
    now = now_utc()
    await IdempotentRequest.filter(user_id=user_id, expires_at__lte=now).delete()
    await IdempotentRequest.create(user_id=user_id, key=key, request_hash=request_hash,
                                   status_code=status_code, response=response,
                                   created_at=now, expires_at=now + TTL)
