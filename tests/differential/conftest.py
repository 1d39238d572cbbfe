"""The differential tests' shared world: one rich dataset per module (built through the API,
see dataset.py), a client whose every read runs on both paths, and the argument values the
generated documents draw from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.contrib.test import truncate_all_models

from models.seeding import seed_if_empty
from tests.conftest import Api, build_app
from tests.differential import dataset
from tests.differential.harness import AnswersDiffer, DifferentialTransport

ROLES = ("province", "city", "school", "initial", "anonymous")

POOL_QUERY = """
{ campaigns { id code }
  taskCatalog { id number children { id number } }
  organizations(first: 100) { edges { cursor node { id code users { id } } } } }"""

PROGRESS_CURSORS = """
{ declarationProgress { schools(first: 3) { edges { cursor } } } }"""


@dataclass
class World:
    api: Api
    data: dataset.Dataset
    pools: dict[str, list[Any]]

    async def post(self, role: str, query: str, variables: dict[str, Any]
                   ) -> tuple[httpx.Response | None, AnswersDiffer | None]:
        """A document as `role`, through both paths: the compiled answer, or the mismatch."""
        token = self.data.tokens[role]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self.api.client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers)
        except AnswersDiffer as mismatch:
            return None, mismatch
        return response, None


async def _pools(api: Api, data: dataset.Dataset) -> dict[str, list[Any]]:
    province = data.tokens["province"]
    found = await api.data(POOL_QUERY, token=province)
    interesting = {dataset.ZZ_SCHOOL_2, dataset.KF_SCHOOL, dataset.LY_SCHOOL, dataset.PROVINCE,
                   dataset.ZHENGZHOU, dataset.LUOYANG, dataset.HIGHER_SCHOOL}
    edges = found["organizations"]["edges"]
    org_ids = [e["node"]["id"] for e in edges if e["node"]["code"] in interesting]
    user_ids = [u["id"] for e in edges if e["node"]["code"] in interesting
                for u in e["node"]["users"]]
    entries = found["taskCatalog"]
    entry_ids = [entries[0]["id"], entries[3]["id"], *(c["id"] for c in entries[2]["children"])]
    progress = await api.data(PROGRESS_CURSORS, token=province)
    cursors = [e["cursor"] for e in edges[:3]] + [
        e["cursor"] for e in progress["declarationProgress"]["schools"]["edges"]]
    undertakings = list(data.undertakings.values())
    return {
        "code": [dataset.PROVINCE, dataset.ZHENGZHOU, dataset.LUOYANG, "410200",
                 dataset.ZZ_SCHOOL, dataset.ZZ_SCHOOL_2, dataset.ZZ_SCHOOL_3, dataset.KF_SCHOOL,
                 dataset.LY_SCHOOL, dataset.LY_SCHOOL_2, dataset.NX_SCHOOL,
                 dataset.HIGHER_SCHOOL, dataset.HIGHER_ZZ],
        "id": [*org_ids, *user_ids, *entry_ids, *undertakings[::3], *data.change_requests,
               *data.evidence, *data.notices, found["campaigns"][0]["id"]],
        "campaignCode": [c["code"] for c in found["campaigns"]],
        "year": [2021, 2022, 2023],
        "number": ["3.2", "3", "7.1", "11.1", "1", "34", "16"],
        "first": [1, 2, 5],
        "after": cursors,
        "search": ["郑州", "4199200", "学院", "演示"],
    }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(orm: str, reference_app: Starlette, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVIDENCE_DIR", str(tmp_path_factory.mktemp("evidence")))
        await truncate_all_models()
        await seed_if_empty(demo=True)
        transport = DifferentialTransport(build_app(compiled_reads=True), reference_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            api = Api(c)
            data = await dataset.build(api)
            yield World(api, data, await _pools(api, data))
        await truncate_all_models()
