"""How many password guesses a client, an account, and one client at one account get.

Counted from the login journal (LoginAttempt) over a sliding window of 15 minutes:
- one client at one account: 5 failures, then that client is locked out of that account;
- one account from all clients together: 20 (a guess spread over many addresses);
- one client over all accounts: 30 (spraying a password over the public school codes).
So one client can no longer lock a school out: the school logs in from its own address while
the guesser is refused. The counts go by the user name as typed, never by whether it exists,
so an unknown name locks exactly like a real one: the answer tells nothing about existence.

An attempt is journalled as "checking" *before* its password is verified, and counts as a
failure until it is settled: of a burst sent at once, no more than the limit reach the check.
A successful login and a password reset start the account's counts afresh
(`User.failures_cleared_at`); the journal itself is never rewritten but for its outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from models import fixed_statements
from models.account import LoginAttempt, User
from models.clock import beijing
from models.errors import Code, DomainError
from models.raw_sql import placeholder

WINDOW = timedelta(minutes=15)
PER_CLIENT_AT_ACCOUNT = 5
PER_ACCOUNT = 20
PER_CLIENT = 30
# Outcomes that count as a guess: failed, or not settled yet.
GUESSES = ("checking", "unknown_user", "wrong_password", "wrong_old_password")
REFUSED = ("locked",)


async def start(username: str, user: User | None, client: str | None) -> LoginAttempt:
    """Journal an attempt (login or changePassword) before anything is checked."""
    return await fixed_statements.insert(LoginAttempt(
        username=username[:64], user=user, success=False, reason="checking",
        client_address=client))


async def settle(attempt: LoginAttempt, reason: str, *, success: bool = False) -> None:
    attempt.reason, attempt.success = reason, success
    await fixed_statements.update(LoginAttempt, {"id": attempt.id},
                                  {"reason": reason, "success": success})


async def refusal(attempt: LoginAttempt, user: User | None, now: datetime, *,
                  counting_this: bool) -> DomainError | None:
    """Why this attempt is refused (locked, too many attempts), or None.

    Before the check (`counting_this=False`) the other guesses in the window decide; after a
    failed check the attempt counts too, so that the guess that uses up the limit is told
    so at once."""
    client, everyone, mine_here = await _lock_ends(attempt, user, now, counting_this)
    if client is not None:
        return DomainError(Code.TOO_MANY_ATTEMPTS, f"登录尝试过于频繁，请于 {beijing(client)}"
                           "（北京时间）后再试", "username", locked_until=client)
    if everyone is not None and user is not None:
        # Shown to the province and the city (User.lockedUntil); a reset lifts it.
        await User.filter(id=user.id).update(locked_until=everyone)
    ends = [mine_here, everyone]
    if (until := max((e for e in ends if e is not None), default=None)) is not None:
        return DomainError(Code.ACCOUNT_LOCKED, f"密码错误次数过多，账号已锁定至 "
                           f"{beijing(until)}（北京时间）", "username", locked_until=until)
    return None


async def _lock_ends(attempt: LoginAttempt, user: User | None, now: datetime,
                     counting_this: bool) -> tuple[datetime | None, ...]:
    """When each limit's limit-th newest guess leaves the window (None: fewer guesses):
    the client's over all accounts, the account's from everyone, the client's at the
    account. One statement, as every login asks all three."""
    connection = connections.get("default")
    params = _Params(connection.capabilities.dialect == "postgres")
    recent = f"at > {params.time(now - WINDOW)}"
    if not counting_this:
        recent += f" AND id <> {params(attempt.id)}"
    # A client that keeps trying while refused stays refused (also the rest of a burst);
    # those refusals never count against the account for everyone else.
    guesses = f"reason IN ({', '.join(params(r) for r in GUESSES)})"
    tries = f"reason IN ({', '.join(params(r) for r in (*GUESSES, *REFUSED))})"
    mine = ("client_address IS NULL" if attempt.client_address is None
            else f"client_address = {params(attempt.client_address)}")
    account = f"username = {params(attempt.username)}"
    if user is not None and user.failures_cleared_at is not None:
        account += f" AND at > {params.time(user.failures_cleared_at)}"
    _, rows = await connection.execute_query("SELECT " + ", ".join(
        f"(SELECT at FROM login_attempt WHERE {recent} AND {where} ORDER BY at DESC, id DESC"
        f" LIMIT 1 OFFSET {limit - 1})" for where, limit in (
            (f"{tries} AND {mine}", PER_CLIENT),
            (f"{guesses} AND {account}", PER_ACCOUNT),
            (f"{tries} AND {mine} AND {account}", PER_CLIENT_AT_ACCOUNT))), params.values)
    at = LoginAttempt._meta.fields_map["at"]
    return tuple(None if v is None else at.to_python_value(v) + WINDOW for v in rows[0])


class _Params:
    """Values of a statement in order, each written as the dialect's placeholder."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)  # (the three counts share their conditions' text)
        return placeholder(len(self.values), self.postgres)

    def time(self, value: datetime) -> str:
        return self(LoginAttempt._meta.fields_map["at"].to_db_value(value, LoginAttempt))
