"""Abuse limits that depend on the deployment: suggestions off in production, no batching."""

from __future__ import annotations

import httpx

from gql.app import create_app
from gql.settings import Settings
from tests.conftest import PROVINCE, Api

TYPO = "{ organizationz(first: 1) { totalCount } }"


async def _post(production: bool, body: object, token: str) -> httpx.Response:
    app = create_app(Settings(database_url="unused", production=production),
                     manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        return await client.post("/graphql", json=body,
                                 headers={"Authorization": f"Bearer {token}"})


async def test_field_suggestions_only_outside_production(api: Api) -> None:
    token = await api.token(PROVINCE)

    development = (await _post(False, {"query": TYPO}, token)).json()
    production = (await _post(True, {"query": TYPO}, token)).json()

    assert "Did you mean" in development["errors"][0]["message"]
    assert "Did you mean" not in production["errors"][0]["message"]
    assert "organizationz" in production["errors"][0]["message"]


async def test_batched_requests_are_refused(api: Api) -> None:
    token = await api.token(PROVINCE)

    batch = await _post(True, [{"query": "{ me { username } }"}] * 2, token)
    single = await _post(True, {"query": "{ me { username } }"}, token)

    assert batch.status_code == 400
    assert single.status_code == 200 and single.json()["data"]["me"]["username"] == PROVINCE
