"""Production mode and browser protections: introspection and GraphiQL off by default with
APP_ENV=production (settings turn them on), security headers on every response, a CSP on
the GraphiQL page that lets its vendored scripts run, multipart only with a non-simple
header (CSRF), a CORS allow-list for HTTP and websockets."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from gql.app import create_app
from gql.settings import Settings
from tests.conftest import PROVINCE, Api

INTROSPECTION = "{ __schema { queryType { name } } }"
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "referrer-policy": "no-referrer"}


def settings(**overrides: object) -> Settings:
    return Settings(database_url="unused", **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def client_for(db: None) -> AsyncIterator[object]:
    clients: list[httpx.AsyncClient] = []

    def make(**overrides: object) -> httpx.AsyncClient:
        app = create_app(settings(**overrides), manage_database=False)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def graphiql_page(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/graphql", headers={"accept": "text/html"})


async def test_production_hides_introspection_and_graphiql(client_for: object) -> None:
    production = client_for(production=True)  # type: ignore[operator]
    development = client_for(production=False)  # type: ignore[operator]

    hidden = (await production.post("/graphql", json={"query": INTROSPECTION})).json()
    shown = (await development.post("/graphql", json={"query": INTROSPECTION})).json()
    page_hidden = await graphiql_page(production)
    page_shown = await graphiql_page(development)

    assert hidden.get("data") is None and "introspection" in hidden["errors"][0]["message"]
    assert shown == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert page_hidden.status_code == 404 and "graphiql" not in page_hidden.text.lower()
    assert page_shown.status_code == 200 and "graphiql" in page_shown.text.lower()


async def test_the_intranet_turns_them_back_on(client_for: object) -> None:
    intranet = client_for(production=True, introspection=True, graphiql=True)  # type: ignore[operator]

    shown = (await intranet.post("/graphql", json={"query": INTROSPECTION})).json()
    page = await graphiql_page(intranet)

    assert shown["data"]["__schema"]["queryType"]["name"] == "Query"
    assert page.status_code == 200


async def test_every_response_carries_the_security_headers(api: Api) -> None:
    token = await api.token(PROVINCE)
    responses = [
        await api.client.post("/graphql", json={"query": "{ me { username } }"},
                              headers={"Authorization": f"Bearer {token}"}),
        await api.client.post("/graphql", json={"query": "{ nope }"}),
        await api.client.get("/healthz"),
        await api.client.get("/exports/summary.xlsx"),  # 401
        await api.client.get("/static/vendor/graphiql@3.8.3/graphiql.min.css"),
        await api.client.post("/graphql", content=b"x",
                              headers={"content-length": str(10**9)}),  # 413
    ]

    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.url, response.status_code)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_the_graphiql_page_csp_allows_exactly_its_own_scripts(api: Api) -> None:
    page = await graphiql_page(api.client)
    csp = dict(part.strip().split(" ", 1) for part in
               page.headers["content-security-policy"].split(";"))
    inline = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page.text)

    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp["script-src"].split()
    assert "'unsafe-inline'" not in csp["script-src"]
    assert csp["default-src"] == "'none'" and csp["connect-src"] == "'self'"
    for source in sources:  # served from here (offline networks), so 'self' covers them
        assert source.startswith("/static/vendor/")
        assert (await api.client.get(source)).status_code == 200


UPLOAD = ("mutation($f: Upload!) { uploadEvidence(undertakingId: \"x\", year: 2021, file: $f)"
          " { errors { code } } }")


def multipart() -> dict[str, tuple[str | None, str | bytes]]:
    return {"operations": (None, json.dumps({"query": UPLOAD, "variables": {"f": None}})),
            "map": (None, '{"0": ["variables.f"]}'), "0": ("a.pdf", b"%PDF-1.4\n")}


async def test_a_multipart_request_needs_a_header_no_simple_request_has(api: Api) -> None:
    cross_site = await api.client.post("/graphql", files=multipart())
    preflighted = await api.client.post("/graphql", files=multipart(),
                                        headers={"Apollo-Require-Preflight": "true"})
    token = await api.token(PROVINCE)
    with_token = await api.client.post("/graphql", files=multipart(),
                                       headers={"Authorization": f"Bearer {token}"})

    assert cross_site.status_code == 400
    assert cross_site.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
    assert preflighted.status_code == 200
    assert preflighted.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert with_token.status_code == 200
    assert with_token.json()["data"]["uploadEvidence"]["errors"]  # reached the resolver


async def test_cors_answers_only_the_allowed_origins(client_for: object) -> None:
    closed = client_for()  # type: ignore[operator]
    portal = client_for(cors_origins=("https://portal.example",))  # type: ignore[operator]
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "authorization,content-type"}

    by_default = await closed.options("/graphql", headers={
        "origin": "https://portal.example", **preflight})
    allowed = await portal.options("/graphql", headers={
        "origin": "https://portal.example", **preflight})
    other = await portal.options("/graphql", headers={
        "origin": "https://evil.example", **preflight})

    assert "access-control-allow-origin" not in by_default.headers
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example"
    assert "access-control-allow-origin" not in other.headers


async def first_socket_message(app: object, origin: str | None) -> dict[str, object]:
    """What the app sends first to a websocket opened with this Origin (plain ASGI)."""
    headers = [(b"host", b"testserver")] + ([(b"origin", origin.encode())] if origin else [])
    scope = {"type": "websocket", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "headers": headers, "scheme": "ws",
             "subprotocols": ["graphql-transport-ws"], "server": ("testserver", 80),
             "client": ("203.0.113.7", 5000), "root_path": "", "asgi": {"version": "3.0"}}
    incoming = [{"type": "websocket.connect"}]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[operator]
    return sent[0]


async def test_a_websocket_from_a_foreign_origin_is_refused(db: None) -> None:
    app = create_app(settings(cors_origins=("https://portal.example",)),
                     manage_database=False)

    refused = await first_socket_message(app, "https://evil.example")
    allowed = [await first_socket_message(app, origin)
               for origin in ("http://testserver", "https://portal.example", None)]

    assert refused["type"] == "websocket.close"  # before accept: the handshake answers 403
    assert [m["type"] for m in allowed] == ["websocket.accept"] * 3, allowed
