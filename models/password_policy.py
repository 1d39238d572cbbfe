"""The 等保 2.0 level 3 password and session rules, in one place.

- A new password has at least 8 characters of at least 3 of the 4 classes (lower case,
  upper case, digits, symbols), does not contain the user name, is not a well-known one,
  and is none of the user's last passwords: the current one and the `HISTORY` before it.
- A password is good for `max_age()` (90 days unless PASSWORD_MAX_AGE_DAYS says otherwise,
  0 switches the rule off); after that the account must change it before anything else, as
  after an initial password.
- A session ends after `idle_timeout()` without a request (30 minutes unless
  SESSION_IDLE_MINUTES says otherwise), besides its absolute lifetime (models/sessions.py).
"""

from __future__ import annotations

import asyncio
import os
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from models.account import PasswordHistory, User
from models.errors import Code, DomainError
from models.passwords import verify_password

MIN_LENGTH = 8
MIN_CLASSES = 3
# Previous passwords kept (as hashes) besides the current one; none of them comes back.
HISTORY = 5
CLASSES = (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
FORBIDDEN = {"123456", "12345678", "123456789", "password", "password1", "abc12345",
             "p@ssw0rd", "passw0rd!", "qwer1234!", "admin@123", "abc@1234"}


def max_age() -> timedelta | None:
    return _days(os.environ.get("PASSWORD_MAX_AGE_DAYS", "90"))


def idle_timeout() -> timedelta:
    return _minutes(os.environ.get("SESSION_IDLE_MINUTES", "30"))


# The settings' text read on every call (a test or an operator may change it), its value
# parsed once per text: both run on every request, twice for the idle rule.
@lru_cache(maxsize=16)
def _days(text: str) -> timedelta | None:
    days = float(text)
    return timedelta(days=days) if days > 0 else None


@lru_cache(maxsize=16)
def _minutes(text: str) -> timedelta:
    return timedelta(minutes=float(text))


def check_strength(username: str, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise _weak(f"密码至少{MIN_LENGTH}位")
    if sum(bool(re.search(c, password)) for c in CLASSES) < MIN_CLASSES:
        raise _weak("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    if username.lower() in password.lower():
        raise _weak("密码不能包含用户名")
    if password.lower() in FORBIDDEN or password.startswith("123456"):
        raise _weak("密码过于简单")


async def check_not_reused(user: User, password: str) -> None:
    """Refuse the current password and the last `HISTORY` ones (argon2 verifications run on
    the hashing pool, side by side)."""
    previous = await PasswordHistory.filter(user_id=user.id).order_by("-id").limit(HISTORY)
    hashes = [user.password_hash, *(p.password_hash for p in previous)]
    if any(await asyncio.gather(*(verify_password(h, password) for h in hashes))):
        raise DomainError(Code.PASSWORD_REUSED,
                          f"新密码不能与最近{HISTORY + 1}次使用过的密码相同", "newPassword")


async def retire(user: User, now: datetime) -> None:
    """Keep the password being replaced in the history, and only the last `HISTORY`."""
    await PasswordHistory.create(user_id=user.id, password_hash=user.password_hash,
                                 retired_at=now)
    keep = await PasswordHistory.filter(user_id=user.id).order_by("-id").limit(
        HISTORY).values_list("id", flat=True)
    await PasswordHistory.filter(user_id=user.id).exclude(id__in=list(keep)).delete()


class PasswordHolder(Protocol):
    """What the age rule reads of an account (a User, or a session's row)."""

    must_change_password: bool
    password_changed_at: datetime | None
    created_at: datetime


def is_expired(user: PasswordHolder, now: datetime) -> bool:
    """Whether the password in use is older than the set period (an initial or reset one
    must be changed anyway)."""
    age = max_age()
    if age is None or user.must_change_password:
        return False
    return (user.password_changed_at or user.created_at) + age <= now


async def require_change_if_expired(user_id: int, user: PasswordHolder, now: datetime
                                    ) -> None:
    """An expired password turns into one that must be changed, for every session at once:
    the flag is the same one an initial password sets, so one gate (permissions/classes.py)
    holds for both."""
    if is_expired(user, now):
        await User.filter(id=user_id, must_change_password=False).update(
            must_change_password=True)
        user.must_change_password = True


def _weak(message: str) -> DomainError:
    return DomainError(Code.WEAK_PASSWORD, message, "newPassword")
