"""The ASGI application: /graphql (GraphiQL in a browser), /healthz, /readyz, /metrics, the
exports and file downloads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise.contrib.starlette import RegisterTortoise

from gql import background, heap
from gql.compiled import fast_lane
from gql.compiled.execute import encode_response
from gql.context import NOT_LOOKED_UP, Context, bearer_token, build_context
from gql.exports.routes import routes as export_routes
from gql.http_limits import BodyLimit
from gql.http_security import PREFLIGHT_HEADERS, BrowserGuards, graphiql_csp
from gql.idempotency import idempotent
from gql.observability.logs import configure_logging
from gql.observability.metrics import metrics_endpoint
from gql.observability.middleware import Observe
from gql.outage import DatabaseGuard, is_unavailable, noticed, reached
from gql.schema import build_schema
from gql.settings import Settings
from gql.sockets import SessionSocket, SocketRules, authenticate_websocket
from models import status_feed
from models.config import tortoise_config
from models.evidence import max_bytes

log = logging.getLogger("gql")


STATIC = Path(__file__).parent / "static"
VENDOR_URL = "/static/vendor/"


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = SessionSocket
    socket_rules = SocketRules()

    def __init__(self, *args: Any, compiled_reads: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compiled_reads = compiled_reads

    @property
    def graphql_ide_html(self) -> str:
        # Government networks are often offline: GraphiQL's scripts are served from here (the
        # very files of the public CDN, so the page's integrity hashes still hold).
        return super().graphql_ide_html.replace("https://unpkg.com/", VENDOR_URL)

    async def render_graphql_ide(self, request: Any) -> HTMLResponse:
        html = self.graphql_ide_html
        return HTMLResponse(html, headers={"Content-Security-Policy": graphiql_csp(html)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # strawberry's own HTTP path, plus closing the request: a multipart upload refused
        # before any resolver ran (no token, invalid query) still frees its temporary file.
        request = Request(scope=scope, receive=receive)
        try:
            try:
                response = None
                if self.compiled_reads:  # a read answered from SQL before: again, directly
                    response, request.state.principal = await fast_lane.answer(
                        request, self.schema)
                if response is None:
                    response = await idempotent(request, lambda: self.run(request))
            except HTTPException as e:
                response = PlainTextResponse(e.reason, status_code=e.status_code)
        finally:
            await request.close()
        await response(scope, receive, send)

    async def get_context(self, request: Any, response: Any) -> Context:
        # The fast lane may have looked the caller up already: once per request.
        known = getattr(request.state, "principal", NOT_LOOKED_UP) if isinstance(
            request, Request) else NOT_LOOKED_UP
        context = await build_context(request, response, bearer_token(request.headers),
                                      known=known)
        context.compiled_reads = self.compiled_reads and isinstance(request, Request)
        return context

    def encode_json(self, data: object) -> str:
        # One canonical form for both read paths (compact, UTF-8 as it is), so the JSON text
        # a compiled read gets from the database is spliced in unchanged.
        return encode_response(data)

    async def on_ws_connect(self, context: Context) -> None:  # type: ignore[override]
        await authenticate_websocket(context)


async def healthz(request: Request) -> Response:
    """Alive: the process answers (the database is /readyz's business)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready for traffic: the database answers and every migration is applied."""
    from models.database import pending_migrations

    try:
        pending = await pending_migrations()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        noticed(exc)
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    reached()
    if pending:
        return JSONResponse({"status": "migrations pending", "pending": pending},
                            status_code=503)
    return JSONResponse({"status": "ready"})


async def prepare_database(settings: Settings) -> list[str] | None:
    """Migrate, then seed an empty database. Returns the seeding's lines for the operator."""
    from tortoise import Tortoise

    from models.database import migrate_database
    from models.seeding import seed_if_empty

    await migrate_database(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await seed_if_empty(demo=settings.demo_data)
    finally:
        await Tortoise.close_connections()


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """The app. `manage_database=False` leaves the ORM to the caller (the test suite)."""
    settings = settings or Settings()
    if manage_database:  # a server (the test suite keeps its own logging)
        configure_logging(settings.log_format, settings.log_level)
    # Multipart uploads (evidence files): authentication is a bearer header, never a
    # cookie, and BrowserGuards refuses a multipart request without a non-simple header.
    # Sockets speak graphql-transport-ws only: its handler is the one that re-checks the
    # session (gql/sockets.py).
    graphql = GraphQLApp(build_schema(production=settings.production,
                                      introspection=settings.introspection_on),
                         graphql_ide="graphiql" if settings.graphiql_on else None,
                         allowed_origins=settings.cors_origins,
                         allow_queries_via_get=False, multipart_uploads_enabled=True,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         compiled_reads=settings.compiled_reads)
    graphql.socket_rules = SocketRules(settings.ws_check_seconds, settings.ws_idle_seconds)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_database:
            yield
            return
        if settings.prepare_database:
            lines = await prepare_database(settings)
            print_banner(settings, lines)
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            # Reminders and the e-mail outbox, in every process: claims in the database
            # keep them from going out twice (gql/background.py).
            task = (asyncio.create_task(background.loop(settings))
                    if settings.background_seconds > 0 else None)
            heap.settle()  # the app and the ORM are up: what they built lives on
            try:
                yield
            finally:
                if task is not None:
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task
                await status_feed.stop()  # its own connection, outside the ORM's pool

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(settings.metrics_token)),
            *export_routes,
            Mount(VENDOR_URL.rstrip("/"), app=StaticFiles(directory=STATIC / "vendor")),
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(Observe),  # outermost: it sees every answer, 413 and 503 included
            Middleware(BrowserGuards),
            *([Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                          allow_methods=["GET", "POST"],
                          allow_headers=["Authorization", "Content-Type", "Idempotency-Key",
                                         *PREFLIGHT_HEADERS])]
              if settings.cors_origins else []),
            Middleware(BodyLimit, json_bytes=int(settings.max_body_mb * 1024 * 1024),
                       multipart_bytes=max_bytes() + 1024 * 1024),
            Middleware(DatabaseGuard),
        ],
    )


def print_banner(settings: Settings, lines: list[str] | None) -> None:
    out = [f"GraphiQL and the API: {settings.public_url}"]
    if lines:
        out += ["first start: catalog, city-level units" +
                (" and demo schools created" if settings.demo_data else " created"), *lines]
    else:
        out.append("existing database kept")
    print("\n".join(out), flush=True)
