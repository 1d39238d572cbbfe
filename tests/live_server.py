"""The app served by a real uvicorn on a loopback port, in the test's event loop, over the
test's database: for clients that are not Python (Node's Apollo Client) and for sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from gql.app import create_app
from gql.settings import Settings


@asynccontextmanager
async def served(settings: Settings | None = None) -> AsyncIterator[str]:
    """Yields the base URL; the ORM stays the test suite's (manage_database=False)."""
    app = create_app(settings or Settings(database_url="unused", demo_data=True),
                     manage_database=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "server did not start"
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
