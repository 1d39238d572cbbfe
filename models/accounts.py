"""Account operations: login, tokens, password changes, and the province's account upkeep."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from models import (
    audit,
    fixed_statements,
    initial_passwords,
    object_history,
    password_policy,
    throttle,
)
from models.account import AccessToken, User
from models.clock import now_utc
from models.enums import ROLE_OF_KIND, OrgKind, Role
from models.errors import Code, DomainError
from models.object_history import HistoryEvent, user_subject
from models.org import Organization
from models.passwords import hash_password, hash_password_sync, needs_rehash, verify_password
from models.sessions import Session, digest, end_sessions, session_of_login, token_ttl
from models.transaction import write_transaction

# Verified against when the user name is unknown, so that both answers take as long.
_DUMMY_HASH = hash_password_sync("not-a-real-password-0")


@dataclass(frozen=True)
class LoginResult:
    user: User
    token: str
    expires_at: datetime
    session: Session  # the session the token opens, as a lookup by it would find it


async def login(username: str, password: str, client: str | None, *,
                then: Callable[[Session], Awaitable[None]] | None = None) -> LoginResult:
    """A bearer token for the right password of an active account that is not locked.

    Guesses are limited per client, per account and per client at an account
    (models/throttle.py); while locked, not even the right password opens it. Every attempt
    is journalled with its client address. `then`: written with the login, in its
    transaction, given the session it opens (the operation log's record).
    """
    now = now_utc()
    user = await fixed_statements.first_with(User, "organization",
                                             username=username.strip()[:64])
    attempt = await throttle.start(username.strip(), user, client)
    if (refused := await throttle.refusal(attempt, user, now, counting_this=False)):
        await throttle.settle(attempt, "locked")
        raise refused
    right = await verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not right:
        await throttle.settle(attempt, "unknown_user" if user is None else "wrong_password")
        raise await throttle.refusal(attempt, user, now, counting_this=True) or _wrong()
    if not user.is_active:
        await throttle.settle(attempt, "disabled")
        raise DomainError(Code.ACCOUNT_DISABLED, "账号已停用，请联系上级主管部门", "username")
    try:
        initial_passwords.check_not_expired(user, now)
    except DomainError:
        await throttle.settle(attempt, "expired")
        raise
    token = secrets.token_urlsafe(32)
    expires_at = now + token_ttl()
    # A hash made with older parameters is replaced while the right password is at hand.
    fresh = {"password_hash": await hash_password(password)} if needs_rehash(
        user.password_hash) else {}
    cleared = {"failures_cleared_at": now, "locked_until": None, "last_login_at": now, **fresh}
    # BEGIN IMMEDIATE on SQLite (write_transaction): the ORM's own deferred BEGIN is two
    # round trips to the driver, and a login rush queues on the write lock.
    async with write_transaction():
        await fixed_statements.update(User, {"id": user.id}, cleared)
        opened = await fixed_statements.insert(AccessToken(
            user=user, token_hash=digest(token), expires_at=expires_at, last_seen_at=now,
            client_address=client))
        await throttle.settle(attempt, "ok", success=True)
        if then is not None:
            await then(session_of_login(user, opened))
    for name, value in cleared.items():  # as written: not read back
        setattr(user, name, value)
    await password_policy.require_change_if_expired(user.id, user, now)
    return LoginResult(user=user, token=token, expires_at=expires_at,
                       session=session_of_login(user, opened))


def _wrong() -> DomainError:
    # The same words whether or not the user name exists: they must not tell which.
    return DomainError(Code.INVALID_CREDENTIALS,
                       f"用户名或密码错误（连续{throttle.PER_CLIENT_AT_ACCOUNT}次错误将锁定"
                       f"{throttle.WINDOW.seconds // 60}分钟）", "password")


async def change_password(user_id: int, token_id: int, old: str, new: str,
                          client: str | None) -> User:
    """Change one's own password; other sessions of the user are logged out. A wrong old
    password counts as a failed login (a stolen session must not guess freely)."""
    now = now_utc()
    user = await User.get(id=user_id)
    attempt = await throttle.start(user.username, user, client)
    if (refused := await throttle.refusal(attempt, user, now, counting_this=False)):
        await throttle.settle(attempt, "locked")
        raise refused
    if not await verify_password(user.password_hash, old):
        await throttle.settle(attempt, "wrong_old_password")
        raise await throttle.refusal(attempt, user, now, counting_this=True) or DomainError(
            Code.INVALID_CREDENTIALS, "原密码不正确", "oldPassword")
    await throttle.settle(attempt, "old_password_ok", success=True)
    password_policy.check_strength(user.username, new)
    await password_policy.check_not_reused(user, new)
    new_hash = await hash_password(new)
    async with write_transaction():
        await password_policy.retire(user, now)
        user.password_hash = new_hash
        user.must_change_password = False
        user.password_changed_at = now
        user.one_time_password_expires_at = None
        await user.save(update_fields=["password_hash",
                                       "must_change_password", "password_changed_at",
                                       "one_time_password_expires_at"])
        await end_sessions(user.id, keep=token_id)
        await initial_passwords.forget(user.id)
    return user


async def create_account(org: Organization, username: str, display_name: str,
                         role: Role | None = None) -> tuple[User, str]:
    """An account with a one-time password (returned once) that must be replaced at first
    login; its role follows its organisation's kind unless given."""
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,64}", username):
        raise DomainError(Code.INVALID_VALUE, "用户名只能包含字母、数字和 _ . -，3至64位",
                          "username")
    if await User.exists(username=username):
        raise DomainError(Code.DUPLICATE, f"用户名 {username} 已存在", "username")
    password = initial_passwords.one_time_password()
    user = await User.create(username=username, display_name=display_name or org.name,
                             password_hash=await hash_password(password),
                             role=role or ROLE_OF_KIND[org.kind], organization=org,
                             must_change_password=True,
                             one_time_password_expires_at=initial_passwords.expiry())
    return user, password


async def create_auditor(username: str, display_name: str = "") -> tuple[User, str]:
    """An auditor (审计管理员) of the province office's unit: `taskplatform create-auditor`.
    Never through the API: administrators must not make the accounts that audit them."""
    org = await Organization.filter(kind=OrgKind.PROVINCE).first()
    if org is None:
        raise DomainError(Code.NOT_FOUND,
                          "还没有省教育厅单位：请先启动一次服务（taskplatform serve）")
    return await create_account(org, username, display_name or "审计管理员", Role.AUDITOR)


async def set_active(user: User, active: bool) -> User:
    """Disable or re-enable; a disabled user's tokens stop working at once, its history stays."""
    audit.note(f"User:{user.id}", {"is_active": user.is_active}, {"is_active": active})
    async with in_transaction():
        user.is_active = active
        await user.save(update_fields=["is_active"])
        if not active:
            await end_sessions(user.id)
    return user


async def reset_password(user: User) -> str:
    """Back to a one-time password that must be changed; unlocks; logs every session out."""
    password = initial_passwords.one_time_password()
    new_hash = await hash_password(password)
    async with in_transaction():
        # The password in use before the reset joins the history: it was forgotten or
        # leaked, and must not come back.
        now = now_utc()
        await password_policy.retire(user, now)
        user.password_hash = new_hash
        user.must_change_password = True
        user.failures_cleared_at = now
        user.locked_until = None
        user.one_time_password_expires_at = initial_passwords.expiry(now)
        await user.save(update_fields=["password_hash",
                                       "must_change_password", "failures_cleared_at",
                                       "locked_until", "one_time_password_expires_at"])
        await end_sessions(user.id)
        await initial_passwords.forget(user.id)
        await object_history.record(user_subject(user.id), HistoryEvent.PASSWORD_RESET)
    return password
