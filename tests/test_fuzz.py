"""Generated operations (hypothesis-graphql) for every root query and mutation, as every
role: no HTTP 5xx, no "internal error", no traceback in the log. Deterministic
(derandomized, no example database) and bounded (EXAMPLES per role) for CI time."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from models.seeding import INITIAL_PASSWORD
from tests.conftest import LOGIN, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, Api

SCHEMA = (Path(__file__).parent.parent / "schema.graphql").read_text(encoding="utf-8")
EXAMPLES = 2  # per root field
ROLES = ["province", "city", "school", "first-login", "anonymous"]


def _string(values: list[str]) -> st.SearchStrategy[graphql.StringValueNode]:
    return st.sampled_from(values).map(lambda v: graphql.StringValueNode(value=v))


SCALARS: dict[str, st.SearchStrategy[Any]] = {
    # Good and bad values of our own scalars: the bad ones must answer BAD_USER_INPUT.
    "DateTime": _string(["2020-11-13T23:59:59+08:00", "2099-01-01T00:00:00", "11月20日",
                         "9999-99-99", "", "0001-01-01T00:00:00+14:00"]),
    "Decimal": _string(["0", "12.50", "1e999999", "NaN", "-1", "1.234", "9" * 40]),
    "Upload": _string(["not a file"]),
}
# logout and changePassword would end or lock the very session the run uses.
FIELDS = [f for f in graphql.build_schema(SCHEMA).query_type.fields] + [  # type: ignore[union-attr]
    f for f in graphql.build_schema(SCHEMA).mutation_type.fields  # type: ignore[union-attr]
    if f not in {"logout", "changePassword"}]


async def _token(api: Api, role: str) -> str | None:
    if role == "anonymous":
        return None
    if role == "first-login":
        login = await api.data(LOGIN, {"u": LY_SCHOOL, "p": INITIAL_PASSWORD})
        return str(login["login"]["token"])
    return await api.token({"province": PROVINCE, "city": ZHENGZHOU, "school": ZZ_SCHOOL}[role])


def generated_documents() -> list[str]:
    """EXAMPLES documents per root field, the same on every run (hypothesis drives the
    generator; the requests are sent afterwards, on the test's own event loop)."""
    documents: list[str] = []
    for name in FIELDS:
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(document=from_schema(SCHEMA, fields=[name], custom_scalars=SCALARS))
        def collect(document: str) -> None:
            documents.append(document)

        collect()
    return documents


DOCUMENTS = generated_documents()


def test_the_documents_cover_every_root_field() -> None:
    called = {s.name.value for d in DOCUMENTS for o in graphql.parse(d).definitions
              if isinstance(o, graphql.OperationDefinitionNode)
              for s in o.selection_set.selections if isinstance(s, graphql.FieldNode)}
    assert set(FIELDS) - called == set()


@pytest.mark.parametrize("role", ROLES)
async def test_generated_operations_never_fail_inside(api: Api, caplog: pytest.LogCaptureFixture,
                                                      role: str) -> None:
    token = await _token(api, role)
    caplog.set_level(logging.WARNING)
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    for document in DOCUMENTS:
        response = await api.client.post("/graphql", json={"query": document},
                                         headers=headers)
        assert response.status_code < 500, (document, response.text)
        assert "internal error" not in response.text, (document, response.text)
        incidents = [r.getMessage() for r in caplog.records
                     if r.exc_info or "unexpected" in r.getMessage()]
        assert incidents == [], (document, incidents)
