"""One-time initial passwords: random per account, expiring unused, handed out once.

The notice published one initial password (123456) for every school, and school codes are
public: whoever logged in first would own the school. So every account made by
`taskplatform import-orgs` or by the province (`createUser`, `resetPassword`) gets a random
one-time password of its own, which allows nothing but the password change and expires
after `INITIAL_PASSWORD_DAYS` unused. Only the demo data keeps the notice's 123456.

The import's passwords are the one secret kept in clear, and only until the province office
downloads the sheet of one city-level unit: the download wipes them and records who fetched
them and when.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from models.account import InitialCredential, User
from models.clock import now_utc
from models.enums import ROLE_OF_KIND
from models.errors import Code, DomainError
from models.org import Organization
from models.passwords import hash_password

# Letters and digits that cannot be mistaken for each other on paper (no 0 O 1 l I).
ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 12  # about 70 bits


def valid_days() -> int:
    return int(os.environ.get("INITIAL_PASSWORD_DAYS", "14"))


def one_time_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def expiry(now: datetime | None = None) -> datetime:
    return (now or now_utc()) + timedelta(days=valid_days())


def check_not_expired(user: User, now: datetime) -> None:
    """An unused one-time password past its date no longer opens the account."""
    if user.must_change_password and user.one_time_password_expires_at is not None \
            and user.one_time_password_expires_at <= now:
        raise DomainError(Code.PASSWORD_EXPIRED, "一次性初始密码已过期，请联系上级主管部门重置"
                          "密码", "password")


async def create_accounts(orgs: list[Organization]) -> None:
    """An account per organisation (user name = its code), each with its own one-time
    password, kept for the province office's download."""
    passwords = [one_time_password() for _ in orgs]
    # argon2 runs in threads and releases the GIL: hash the batch side by side.
    hashes = await asyncio.gather(*(hash_password(p) for p in passwords))
    expires = expiry()
    for org, password, password_hash in zip(orgs, passwords, hashes, strict=True):
        user = await User.create(username=org.code, display_name=org.name,
                                 password_hash=password_hash, role=ROLE_OF_KIND[org.kind],
                                 organization=org, must_change_password=True,
                                 one_time_password_expires_at=expires)
        await InitialCredential.create(user=user, password=password)


@dataclass(frozen=True)
class HandedOut:
    username: str
    name: str
    password: str
    expires_at: datetime


async def hand_out(unit: Organization, by_user_id: int) -> list[HandedOut]:
    """The waiting passwords of the accounts of the organisations directly under `unit`
    (a city's schools; for the province office, the schools directly under it), wiped from
    the database as they are returned. Expired and already used ones are left out."""
    now = now_utc()
    async with in_transaction():
        waiting = await InitialCredential.filter(
            user__organization__parent_id=unit.id, password__isnull=False,
            user__must_change_password=True, user__one_time_password_expires_at__gt=now,
        ).select_related("user").order_by("user__username")
        # Conditional on the password still being there: of two downloads at once, one
        # gets the rows and the other a conflict, never both the passwords.
        taken = await InitialCredential.filter(
            id__in=[c.id for c in waiting], password__isnull=False
        ).update(password=None, handed_out_at=now, handed_out_by_id=by_user_id)
        if taken != len(waiting):
            raise DomainError(Code.CONFLICT, "另一次下载正在进行，请稍后查看下载记录")
    return [HandedOut(c.user.username, c.user.display_name, c.password or "",
                      c.user.one_time_password_expires_at or now) for c in waiting]


async def last_handed_out(unit: Organization) -> InitialCredential | None:
    return await InitialCredential.filter(
        user__organization__parent_id=unit.id, handed_out_at__isnull=False,
    ).order_by("-handed_out_at").select_related("handed_out_by").first()


async def forget(user_id: int) -> None:
    """A password no longer waiting (replaced, reset): nothing is kept in clear."""
    await InitialCredential.filter(user_id=user_id, password__isnull=False).update(
        password=None)
