"""Generated read documents, as each role, through both read paths: identical bytes; and on
the compiled answers, zero rows outside the role's scope (the scope computed here from the
database, independently of permissions/scoping.py)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio

from gql.schema import schema
from models import ChangeRequest, Evidence, Organization, Undertaking, User
from models.enums import OrgKind
from tests.conftest import PROVINCE, ZHENGZHOU
from tests.differential import dataset
from tests.differential.conftest import ROLES, World
from tests.differential.generate import Generated, documents
from tests.differential.test_handwritten import CASES

# Bounded for CI: each document runs as each role, twice (both paths).
VALID = 40
NEGATIVE = 8
ROLE_ORG = {"province": PROVINCE, "city": ZHENGZHOU, "school": dataset.ZZ_SCHOOL_2,
            "initial": dataset.LY_SCHOOL_2}


@dataclass
class Run:
    documents: list[Generated]
    answers: dict[str, list[Any]] = field(default_factory=dict)  # role -> compiled data
    mismatches: list[str] = field(default_factory=list)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def run(world: World) -> Run:
    result = Run(documents(schema._schema, world.pools, VALID, negative=NEGATIVE))
    # The hand-written documents too, each as every role (not only the one it was written
    # for): which rows the generated ones reach moves with the schema they are drawn from,
    # these always reach rows, so the foreign-row check below is never vacuous.
    handwritten = [Generated(c.query, c.variables(world) if callable(c.variables)
                             else c.variables) for c in CASES
                   if c.name != "two operations, one chosen by name"]
    for role in ROLES:
        result.answers[role] = []
        for doc in [*result.documents, *handwritten]:
            response, mismatch = await world.post(role, doc.query, doc.variables)
            if mismatch is not None:
                result.mismatches.append(f"as {role}, variables {doc.variables}:\n{mismatch}")
            elif response is not None and response.status_code == 200:
                result.answers[role].append(response.json().get("data"))
    return result


async def test_generated_documents_answer_the_same_bytes(run: Run) -> None:
    assert len(run.documents) == VALID + NEGATIVE
    assert not run.mismatches, (f"{len(run.mismatches)} of {len(run.documents) * len(ROLES)}"
                                " answers differ:\n\n" + "\n\n".join(run.mismatches[:5]))


# Root fields the compiler answers with arguments and nesting of their own, drawn more often
# than among all of Query's fields.
COMPILED_ROOTS = ["undertakingSums", "organizations", "changeRequests", "performanceReport",
                  "declarationProgress", "performanceSums", "performanceTotals",
                  "certificationSums", "undertakingTotals", "compliance", "reportingProgress",
                  "notices", "sentNotices", "notice", "reminders"]
FOCUSED = 20  # documents per root field


async def test_generated_compiled_roots_answer_the_same_bytes(world: World) -> None:
    # argument values these roots answer rows for (cities, the organizations' own cursors)
    pools = {**world.pools, "code": [PROVINCE, ZHENGZHOU, dataset.LUOYANG],
             "after": world.pools["after"][:3], "before": world.pools["after"][:3],
             "last": [1, 2, 5], "campaignCode": world.pools["campaignCode"][:1]}
    docs = [doc for name in COMPILED_ROOTS
            for doc in documents(schema._schema, pools, FOCUSED, number=13, fields=[name])]
    mismatches: list[str] = []
    answers: dict[str, list[Any]] = {}
    for role in ROLES:
        for doc in docs:
            response, mismatch = await world.post(role, doc.query, doc.variables)
            if mismatch is not None:
                mismatches.append(f"as {role}, variables {doc.variables}:\n{mismatch}")
            elif response is not None and response.status_code == 200:
                answers.setdefault(role, []).append(response.json().get("data"))
    assert not mismatches, "\n\n".join(mismatches[:3])
    # the permission matrix on these answers too (hypothesis draws small selections: few
    # name a row, so the all-fields run above is the one that shows the check bites)
    await _no_foreign_rows(answers)
    assert any(data for role_answers in answers.values() for data in role_answers)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _global_id(text: str) -> tuple[str, int] | None:
    try:
        type_name, _, pk = base64.b64decode(text, validate=True).decode().partition(":")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    return (type_name, int(pk)) if pk.isdigit() else None


@dataclass
class Scope:
    """What a role may see, from the organisation tree alone."""

    visible: set[int]  # organisations shown, at least as bare nodes
    managed: set[int]  # organisations whose rows (undertakings, users ...) are readable
    own_user: int | None


async def _scope(role: str) -> Scope:
    if role == "anonymous":
        return Scope(set(), set(), None)
    org = await Organization.get(code=ROLE_ORG[role])
    user = await User.get(username=ROLE_ORG[role])
    if role == "initial":
        return Scope({org.id}, set(), user.id)
    everyone = await Organization.all().values("id", "parent_id", "kind")
    province = {o["id"] for o in everyone if o["kind"] == OrgKind.PROVINCE}
    if role == "province":
        managed = {o["id"] for o in everyone}
    elif role == "city":
        managed = {org.id} | {o["id"] for o in everyone if o["parent_id"] == org.id}
    else:
        managed = {org.id}
    above = {org.parent_id} if org.parent_id else set()
    return Scope(managed | province | above, managed, user.id)


async def _owner(type_name: str, pk: int) -> tuple[str, int | None]:
    """Which organisation a row belongs to: ('org' | 'rows', organisation id)."""
    if type_name == "Organization":
        return "org", pk
    if type_name == "Undertaking":
        u = await Undertaking.get_or_none(id=pk)
        return "rows", u.organization_id if u else None  # type: ignore[attr-defined]
    if type_name == "ChangeRequest":
        c = await ChangeRequest.get_or_none(id=pk).prefetch_related("undertaking")
        return "rows", c.undertaking.organization_id if c else None  # type: ignore[attr-defined]
    if type_name == "EvidenceFile":
        e = await Evidence.get_or_none(id=pk).prefetch_related("entry__undertaking")
        return "rows", e.entry.undertaking.organization_id if e else None  # type: ignore[attr-defined]
    if type_name == "User":
        user = await User.get_or_none(id=pk)
        return f"user:{pk}", user.organization_id if user else None  # type: ignore[attr-defined]
    return "public", None  # catalog entries, campaigns


async def test_compiled_answers_hold_no_foreign_rows(run: Run) -> None:
    seen = await _no_foreign_rows(run.answers)
    # the documents did reach rows, so the check is not vacuous
    assert seen > 500, seen


async def _no_foreign_rows(answers: dict[str, list[Any]]) -> int:
    """Asserts that no role's answers name a row outside its scope; how many rows it saw."""
    orgs = await Organization.all().values("id", "code", "name")
    by_text = {o["code"]: o["id"] for o in orgs} | {o["name"]: o["id"] for o in orgs}
    seen = 0
    for role in ROLES:
        scope = await _scope(role)
        foreign: set[str] = set()
        for data in answers.get(role, []):
            for text in _strings(data):
                if text in by_text:
                    seen += 1
                    if by_text[text] not in scope.visible:
                        foreign.add(f"organisation {text}")
                parsed = _global_id(text)
                if parsed is None:
                    continue
                kind, org_id = await _owner(*parsed)
                seen += 1
                if kind == "public" or org_id is None:
                    continue
                allowed = scope.visible if kind == "org" else scope.managed
                if kind == f"user:{scope.own_user}":
                    continue
                if org_id not in allowed:
                    foreign.add(f"{parsed[0]} {parsed[1]} of organisation {org_id}")
        assert not foreign, f"as {role}: {sorted(foreign)}"
    return seen
