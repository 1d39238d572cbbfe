"""The status feed's notification travels with its transaction (PostgreSQL only): it is
delivered at the commit, and never for a transaction rolled back."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from models import status_feed


async def test_a_notification_fires_at_commit_and_never_on_rollback(db: None) -> None:
    if not status_feed.on_postgres():
        pytest.skip("SQLite has no LISTEN/NOTIFY: its subscriptions poll")
    client = connections.get("default")
    listener = await asyncpg.connect(host=client.host, port=client.port, user=client.user,
                                     password=client.password, database=client.database)
    received: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(status_feed.CHANNEL,
                                lambda *args: received.put_nowait(str(args[-1])))
    try:
        # A transaction that notifies, then waits before committing
        async with in_transaction():
            await status_feed.notify(41)
            await asyncio.sleep(0.3)
            before_commit = received.qsize()
        at_commit = await asyncio.wait_for(received.get(), 5)

        # A transaction that notifies, then fails
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await status_feed.notify(42)
                raise RuntimeError("rolled back")
        await asyncio.sleep(0.3)

        assert before_commit == 0 and at_commit == "41"
        assert received.empty()
    finally:
        await listener.close()


async def test_the_listener_comes_back_after_its_connection_is_killed(db: None) -> None:
    if not status_feed.on_postgres():
        pytest.skip("SQLite has no LISTEN/NOTIFY: its subscriptions poll")
    # Given a subscription of this process, its listener connected
    live = status_feed.feed()
    wake = live.subscribe()
    try:
        await asyncio.wait_for(live.listening.wait(), 5)
        wake.clear()

        # When the database ends the listening connection (a restart, an admin, a failover)
        client = connections.get("default")
        _, rows = await client.execute_query(
            "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()")
        assert [r["ended"] for r in rows] == [True]
        seen = False
        for _ in range(250):  # the loss is seen
            if not live.listening.is_set():
                seen = True
                break
            await asyncio.sleep(0.02)
        assert seen, "the feed did not notice its connection was ended"

        # Then it listens again by itself, and a change committed after that wakes it
        await asyncio.wait_for(live.listening.wait(), 10)
        wake.clear()
        async with in_transaction():
            await status_feed.notify(43)
        await asyncio.wait_for(wake.wait(), 5)
    finally:
        live.unsubscribe(wake)
        await status_feed.stop()
