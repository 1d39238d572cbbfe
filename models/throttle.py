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

from tortoise.queryset import QuerySet

from models.account import LoginAttempt, User
from models.clock import beijing
from models.errors import Code, DomainError

WINDOW = timedelta(minutes=15)
PER_CLIENT_AT_ACCOUNT = 5
PER_ACCOUNT = 20
PER_CLIENT = 30
# Outcomes that count as a guess: failed, or not settled yet.
GUESSES = ("checking", "unknown_user", "wrong_password", "wrong_old_password")
REFUSED = ("locked",)


async def start(username: str, user: User | None, client: str | None) -> LoginAttempt:
    """Journal an attempt (login or changePassword) before anything is checked."""
    return await LoginAttempt.create(username=username[:64], user=user, success=False,
                                     reason="checking", client_address=client)


async def settle(attempt: LoginAttempt, reason: str, *, success: bool = False) -> None:
    attempt.reason, attempt.success = reason, success
    await attempt.save(update_fields=["reason", "success"])


async def refusal(attempt: LoginAttempt, user: User | None, now: datetime, *,
                  counting_this: bool) -> DomainError | None:
    """Why this attempt is refused (locked, too many attempts), or None.

    Before the check (`counting_this=False`) the other guesses in the window decide; after a
    failed check the attempt counts too, so that the guess that uses up the limit is told
    so at once."""
    recent = LoginAttempt.filter(at__gt=now - WINDOW)
    if not counting_this:
        recent = recent.exclude(id=attempt.id)
    others = recent.filter(reason__in=GUESSES)
    # A client that keeps trying while refused stays refused (also the rest of a burst);
    # those refusals never count against the account for everyone else.
    mine = recent.filter(reason__in=(*GUESSES, *REFUSED), client_address=attempt.client_address)
    client = mine
    if (until := await _lock_end(client, PER_CLIENT)) is not None:
        return DomainError(Code.TOO_MANY_ATTEMPTS, f"登录尝试过于频繁，请于 {beijing(until)}"
                           "（北京时间）后再试", "username", locked_until=until)
    account = others.filter(username=attempt.username)
    if user is not None and user.failures_cleared_at is not None:
        account = account.filter(at__gt=user.failures_cleared_at)
    everyone = await _lock_end(account, PER_ACCOUNT)
    if everyone is not None and user is not None:
        # Shown to the province and the city (User.lockedUntil); a reset lifts it.
        await User.filter(id=user.id).update(locked_until=everyone)
    mine_here = mine.filter(username=attempt.username)
    if user is not None and user.failures_cleared_at is not None:
        mine_here = mine_here.filter(at__gt=user.failures_cleared_at)
    ends = [await _lock_end(mine_here, PER_CLIENT_AT_ACCOUNT), everyone]
    if (until := max((e for e in ends if e is not None), default=None)) is not None:
        return DomainError(Code.ACCOUNT_LOCKED, f"密码错误次数过多，账号已锁定至 "
                           f"{beijing(until)}（北京时间）", "username", locked_until=until)
    return None


async def _lock_end(guesses: QuerySet[LoginAttempt], limit: int) -> datetime | None:
    """When the limit-th newest guess leaves the window (None: fewer than `limit`)."""
    nth = await guesses.order_by("-at", "-id").offset(limit - 1).first()
    return nth.at + WINDOW if nth else None
