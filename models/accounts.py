"""Account operations: login, tokens, password changes, and the province's account upkeep."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from models import initial_passwords
from models.account import AccessToken, LoginAttempt, User
from models.clock import beijing, now_utc
from models.enums import ROLE_OF_KIND
from models.errors import Code, DomainError
from models.org import Organization
from models.passwords import hash_password, hash_password_sync, needs_rehash, verify_password
from models.sessions import digest, end_sessions, token_ttl

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
FORBIDDEN_PASSWORDS = {"123456", "12345678", "123456789", "password", "password1", "abc12345"}
# Verified against when the user name is unknown, so that both answers take as long.
_DUMMY_HASH = hash_password_sync("not-a-real-password-0")


@dataclass(frozen=True)
class LoginResult:
    user: User
    token: str
    expires_at: datetime


async def _journal(username: str, user: User | None, success: bool, reason: str,
                   client: str | None) -> None:
    await LoginAttempt.create(username=username[:64], user=user, success=success, reason=reason,
                              client_address=client)


async def login(username: str, password: str, client: str | None) -> LoginResult:
    """A bearer token for the right password of an active, unlocked account.

    Five wrong passwords in a row lock the account for 15 minutes; while locked, not even the
    right password opens it. Every attempt is journalled with its client address.
    """
    now = now_utc()
    user = await User.get_or_none(username=username.strip())
    if user is None:
        await verify_password(_DUMMY_HASH, password)
        await _journal(username, None, False, "unknown_user", client)
        raise _wrong()
    # Charge the attempt before checking the password: of a burst of guesses sent at once,
    # only the first MAX_FAILED_LOGINS reach the check.
    charged = await User.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        id=user.id, failed_login_count__lt=MAX_FAILED_LOGINS,
    ).update(failed_login_count=F("failed_login_count") + 1)
    if not charged:
        await _journal(username, user, False, "locked", client)
        raise _locked(await _lock(user, now))
    if not await verify_password(user.password_hash, password):
        await _journal(username, user, False, "wrong_password", client)
        await user.refresh_from_db(fields=["failed_login_count"])
        if user.failed_login_count >= MAX_FAILED_LOGINS:
            raise _locked(await _lock(user, now))
        raise _wrong()
    if not user.is_active:
        await User.filter(id=user.id).update(failed_login_count=0)
        await _journal(username, user, False, "disabled", client)
        raise DomainError(Code.ACCOUNT_DISABLED, "账号已停用，请联系上级主管部门", "username")
    try:
        initial_passwords.check_not_expired(user, now)
    except DomainError:
        await User.filter(id=user.id).update(failed_login_count=0)
        await _journal(username, user, False, "expired", client)
        raise
    token = secrets.token_urlsafe(32)
    expires_at = now + token_ttl()
    # A hash made with older parameters is replaced while the right password is at hand.
    fresh = {"password_hash": await hash_password(password)} if needs_rehash(
        user.password_hash) else {}
    async with in_transaction():
        await User.filter(id=user.id).update(failed_login_count=0, locked_until=None,
                                             last_login_at=now, **fresh)
        await AccessToken.create(user=user, token_hash=digest(token), expires_at=expires_at,
                                 client_address=client)
        await _journal(username, user, True, "ok", client)
    await user.refresh_from_db()
    return LoginResult(user=user, token=token, expires_at=expires_at)


def _wrong() -> DomainError:
    # The same words whether or not the user name exists: they must not tell which.
    return DomainError(Code.INVALID_CREDENTIALS,
                       f"用户名或密码错误（连续{MAX_FAILED_LOGINS}次错误将锁定15分钟）", "password")


async def _lock(user: User, now: datetime) -> datetime:
    """The account's lock end, setting the lock if the attempts are used up."""
    await User.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now), id=user.id,
                      failed_login_count__gte=MAX_FAILED_LOGINS).update(
        locked_until=now + LOCK_DURATION, failed_login_count=0)
    await user.refresh_from_db(fields=["locked_until"])
    return user.locked_until or now + LOCK_DURATION


def _locked(until: datetime) -> DomainError:
    return DomainError(Code.ACCOUNT_LOCKED,
                       f"密码错误次数过多，账号已锁定至 {beijing(until)}（北京时间）",
                       "username", locked_until=until)


def check_policy(username: str, password: str) -> None:
    """A password fit for a government system: 8+ characters, letters and digits, not the
    user name, not a well-known one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(Code.WEAK_PASSWORD, "密码至少8位", "newPassword")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise DomainError(Code.WEAK_PASSWORD, "密码必须同时包含字母和数字", "newPassword")
    if username.lower() in password.lower():
        raise DomainError(Code.WEAK_PASSWORD, "密码不能包含用户名", "newPassword")
    if password.lower() in FORBIDDEN_PASSWORDS or password.startswith("123456"):
        raise DomainError(Code.WEAK_PASSWORD, "密码过于简单", "newPassword")


async def change_password(user_id: int, token_id: int, old: str, new: str) -> User:
    """Change one's own password; other sessions of the user are logged out."""
    user = await User.get(id=user_id)
    if not await verify_password(user.password_hash, old):
        raise DomainError(Code.INVALID_CREDENTIALS, "原密码不正确", "oldPassword")
    check_policy(user.username, new)
    if old == new or (user.previous_password_hash
                      and await verify_password(user.previous_password_hash, new)):
        raise DomainError(Code.PASSWORD_REUSED, "新密码不能与之前使用的密码相同", "newPassword")
    async with in_transaction():
        user.previous_password_hash = user.password_hash
        user.password_hash = await hash_password(new)
        user.must_change_password = False
        user.password_changed_at = now_utc()
        user.one_time_password_expires_at = None
        await user.save(update_fields=["previous_password_hash", "password_hash",
                                       "must_change_password", "password_changed_at",
                                       "one_time_password_expires_at"])
        await end_sessions(user.id, keep=token_id)
        await initial_passwords.forget(user.id)
    return user


async def create_account(org: Organization, username: str, display_name: str) -> tuple[User, str]:
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,64}", username):
        raise DomainError(Code.INVALID_VALUE, "用户名只能包含字母、数字和 _ . -，3至64位",
                          "username")
    if await User.exists(username=username):
        raise DomainError(Code.DUPLICATE, f"用户名 {username} 已存在", "username")
    password = initial_passwords.one_time_password()
    user = await User.create(username=username, display_name=display_name or org.name,
                             password_hash=await hash_password(password),
                             role=ROLE_OF_KIND[org.kind], organization=org,
                             must_change_password=True,
                             one_time_password_expires_at=initial_passwords.expiry())
    return user, password


async def set_active(user: User, active: bool) -> User:
    """Disable or re-enable; a disabled user's tokens stop working at once, its history stays."""
    async with in_transaction():
        user.is_active = active
        await user.save(update_fields=["is_active"])
        if not active:
            await end_sessions(user.id)
    return user


async def reset_password(user: User) -> str:
    """Back to a one-time password that must be changed; unlocks; logs every session out."""
    password = initial_passwords.one_time_password()
    async with in_transaction():
        # The password in use before the reset counts as the previous one: it was forgotten
        # or leaked, and must not come back.
        user.previous_password_hash = user.password_hash
        user.password_hash = await hash_password(password)
        user.must_change_password = True
        user.failed_login_count = 0
        user.locked_until = None
        user.one_time_password_expires_at = initial_passwords.expiry()
        await user.save(update_fields=["previous_password_hash", "password_hash",
                                       "must_change_password", "failed_login_count",
                                       "locked_until", "one_time_password_expires_at"])
        await end_sessions(user.id)
        await initial_passwords.forget(user.id)
    return password
