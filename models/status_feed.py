"""Instant word of declaration status changes, between server processes, on PostgreSQL.

A status change sends `NOTIFY declaration_status, '<event id>'` in the transaction that
writes it, so PostgreSQL delivers it at the commit (and never for a rollback). Each server
process holds one dedicated connection that LISTENs (asyncpg's add_listener, outside the
ORM's pool, whose connections are shared) and wakes every live subscription of the process
at once; each subscription then reads the journal as before, within its caller's scope. The
notification carries no data a subscriber relies on: the journal stays the truth, so a
missed notification delays an event, it never loses one.

SQLite has no such thing: its subscriptions keep polling the journal (LIVE_POLL_SECONDS). On
PostgreSQL they also look every FALLBACK_SECONDS, and every LIVE_POLL_SECONDS while the
listening connection is down (it reconnects by itself).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import asyncpg
from tortoise import connections

CHANNEL = "declaration_status"
FALLBACK_SECONDS = 30.0
RECONNECT_SECONDS = 2.0

log = logging.getLogger("models.status_feed")


def _client() -> Any:
    return connections.get("default")


def on_postgres() -> bool:
    return bool(_client().capabilities.dialect == "postgres")


async def notify(event_id: int) -> None:
    """Within the writing transaction: tell every process at the commit."""
    if on_postgres():
        await _client().execute_query("SELECT pg_notify($1, $2)", [CHANNEL, str(event_id)])


class StatusFeed:
    """One process's listener and its subscribers (one asyncio.Event each)."""

    def __init__(self) -> None:
        self.subscribers: set[asyncio.Event] = set()
        self.listening = asyncio.Event()
        self._down = False
        self._task: asyncio.Task[None] | None = None

    def subscribe(self) -> asyncio.Event:
        self._start()
        wake = asyncio.Event()
        self.subscribers.add(wake)
        return wake

    def unsubscribe(self, wake: asyncio.Event) -> None:
        self.subscribers.discard(wake)

    def _wake_all(self, *_: object) -> None:
        for wake in self.subscribers:
            wake.set()

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        client = _client()
        while True:
            connection: asyncpg.Connection | None = None
            lost = asyncio.Event()
            try:
                connection = await asyncpg.connect(
                    host=client.host, port=client.port, user=client.user,
                    password=client.password, database=client.database)
                connection.add_termination_listener(lambda _, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, self._wake_all)
                self.listening.set()
                if self._down:
                    log.warning("live feed: listening again")
                    self._down = False
                self._wake_all()  # changes made while it was down: look now
                await lost.wait()
                log.warning("live feed: the listening connection was lost, reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is down: poll meanwhile, try again
                if not self._down:  # once per outage, not every RECONNECT_SECONDS
                    log.warning("live feed: cannot listen (%s: %s), polling meanwhile",
                                type(exc).__name__, exc)
                self._down = True
            finally:
                self.listening.clear()
                if connection is not None and not connection.is_closed():
                    with suppress(Exception):
                        await connection.close()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None


_feeds: dict[asyncio.AbstractEventLoop, StatusFeed] = {}


def feed() -> StatusFeed:
    """This process's feed (one per event loop: the test suite runs several)."""
    loop = asyncio.get_running_loop()
    if loop not in _feeds:
        for old in [other for other in _feeds if other.is_closed()]:
            del _feeds[old]
        _feeds[loop] = StatusFeed()
    return _feeds[loop]


async def stop() -> None:
    """At shutdown: close this process's listening connection."""
    loop = asyncio.get_running_loop()
    if loop in _feeds:
        await _feeds.pop(loop).stop()


async def wait_for_change(wake: asyncio.Event | None, poll_seconds: float) -> None:
    """Until the next notification, or the time to look anyway."""
    if wake is None:
        await asyncio.sleep(poll_seconds)
        return
    timeout = FALLBACK_SECONDS if feed().listening.is_set() else poll_seconds
    with suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout)
    wake.clear()
