"""The e-mail outbox: requests and reminders add rows; a worker delivers them.

A request never waits for the SMTP server. A worker leases a due row (UPDATE ... WHERE the
lease is free, checked by its row count) before sending, so two processes never send one
message at the same time; a failure records the attempt and its error and retries later,
each wait twice the last, until MAX_ATTEMPTS. A process that dies while holding a lease
leaves a lease that runs out: the message is tried again (at least once, rarely twice, as
any mail relay: the SMTP server may have taken it just before the crash).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from tortoise.expressions import Q

from models.notice import OutboxEmail

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=2)
LEASE = timedelta(minutes=2)
BATCH = 20

Send = Callable[[OutboxEmail], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s, 1 min, 2 min, ... at most two hours."""
    # The exponent is capped: timedelta overflows long before a large attempt count.
    return min(FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 16)), MAX_RETRY)


async def deliver_due(worker: str, now: datetime, send: Send) -> int:
    """Try every message due by `now` that no other process holds; the number sent."""
    due = await OutboxEmail.filter(sent_at__isnull=True, failed_at__isnull=True,
                                   next_attempt_at__lte=now).order_by("id").limit(BATCH)
    sent = 0
    for message in due:
        leased = await OutboxEmail.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now), id=message.id,
            sent_at__isnull=True).update(leased_by=worker, lease_until=now + LEASE)
        if not leased:
            continue  # another process has it
        try:
            await send(message)
        except Exception as exc:  # any failure of the SMTP exchange: recorded, retried
            attempts = message.attempts + 1
            error = f"{type(exc).__name__}: {exc}"[:2000]
            await OutboxEmail.filter(id=message.id).update(
                attempts=attempts, last_error=error, lease_until=None, leased_by=None,
                next_attempt_at=now + backoff(attempts),
                failed_at=now if attempts >= MAX_ATTEMPTS else None)
            continue
        await OutboxEmail.filter(id=message.id).update(
            attempts=message.attempts + 1, sent_at=now, lease_until=None)
        sent += 1
    return sent
