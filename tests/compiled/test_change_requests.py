"""Change requests through the compiled path: the changeRequests root (newest first, at most
CHANGE_REQUESTS_SHOWN, by status), their proposed quantity and funding (keys of a JSON
column), who asked and decided, the undertaking as it is now; the same bytes as the resolver
path, and no request of a unit the caller does not manage."""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from decimal import Decimal
from typing import Any

import pytest

from gql.performance import queries
from models import Campaign, ChangeRequest, Organization, TaskEntry, Undertaking, User
from models.clock import now_utc
from models.enums import TaskLevel
from models.performance import ChangeKind, RequestStatus
from models.seeding import CAMPAIGN_CODE
from tests.compiled.conftest import Paths
from tests.conftest import LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2

pytestmark = pytest.mark.asyncio(loop_scope="session")

LIST = """
query($status: RequestStatus) {
  changeRequests(status: $status) {
    __typename id kind proposedQuantity
    proposedFunding { __typename schoolSelf enterprise sponsor localGov provincial total }
    reason status requestedAt decidedAt decisionReason
    requestedBy { username displayName organizationName }
    decidedBy { __typename username organizationName }
    undertaking { id quantity funding { schoolSelf total } item { number }
                  organization { code } }
  }
}
"""

FRAGMENTS = """
query {
  pending: changeRequests(status: PENDING) { ...Request }
  all: changeRequests { __typename ... on ChangeRequest { n: id why: reason } }
}
fragment Request on ChangeRequest {
  id status money: proposedFunding { total provincial } q: proposedQuantity
  by: requestedBy { who: username }
}
"""

NESTED = """
query($code: String!) {
  organization(code: $code) {
    code undertakings { item { number } changeRequests { __typename id status kind
                                                         proposedFunding { total } } }
  }
  changeRequests { id undertaking { id changeRequests { __typename id reason } } }
}
"""

NODE = """
query($id: ID!) {
  node(id: $id) { __typename id ... on ChangeRequest { kind status proposedQuantity
                                                       proposedFunding { total } } }
}
"""


def _proposed(quantity: int, **amounts: str) -> dict[str, Any]:
    """As models/change_requests.py request writes it: the quantity, five two-decimal texts."""
    sources = ("school_self", "enterprise", "sponsor", "local_gov", "provincial")
    return {"quantity": quantity,
            **{s: str(Decimal(amounts.get(s, "0")).quantize(Decimal("0.01"))) for s in sources}}


async def _undertaking(code: str, index: int) -> Undertaking:
    school = await Organization.get(code=code)
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    items = [e for e in await TaskEntry.filter(
        campaign=campaign, is_group=False, level=TaskLevel.SCHOOL, retired_at=None).order_by(
        "sort_key") if e.eligible_for(school.school_type)]
    return await Undertaking.create(organization=school, item=items[index], quantity=3,
                                    school_self=Decimal("1.50"), provincial=Decimal("2"))


async def _requests() -> dict[str, list[int]]:
    """Requests of schools of two cities, in every state; ids by school code."""
    province = await User.get(username=PROVINCE)
    city = await User.get(username=ZHENGZHOU)
    made: dict[str, list[int]] = {}
    for code in (ZZ_SCHOOL, ZZ_SCHOOL_2, LY_SCHOOL):
        user = await User.get(username=code)
        rows = [await _undertaking(code, k) for k in range(3)]
        withdrawn = rows[2]
        withdrawn.withdrawn_at = now_utc()
        await withdrawn.save()
        requests = [
            await ChangeRequest.create(
                undertaking=rows[0], kind=ChangeKind.CHANGE, requested_by=user,
                proposed=_proposed(5, school_self="12.5", provincial="1000000",
                                   local_gov="0.05"), reason="扩大规模：\"新校区\""),
            await ChangeRequest.create(undertaking=rows[1], kind=ChangeKind.WITHDRAW,
                                       requested_by=user, reason="无法完成",
                                       status=RequestStatus.REJECTED, decided_by=city,
                                       decided_at=now_utc(), decision_reason="请继续"),
            await ChangeRequest.create(undertaking=withdrawn, kind=ChangeKind.WITHDRAW,
                                       requested_by=user, reason="撤销",
                                       status=RequestStatus.APPROVED, decided_by=province,
                                       decided_at=now_utc()),
            await ChangeRequest.create(undertaking=rows[1], kind=ChangeKind.CHANGE,
                                       requested_by=user, proposed=_proposed(1),
                                       reason="改为1个", status=RequestStatus.APPROVED,
                                       decided_by=province, decided_at=now_utc(),
                                       decision_reason=""),
            # an empty proposal: neither path shows a quantity or a funding
            await ChangeRequest.create(undertaking=rows[0], kind=ChangeKind.CHANGE,
                                       requested_by=user, proposed={}, reason="空"),
        ]
        made[code] = [r.id for r in requests]
    return made


def _ids(body: bytes) -> set[int]:
    found: set[int] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "__typename" and v == "ChangeRequest" and "id" in value:
                    found.add(int(b64decode(value["id"]).decode().partition(":")[2]))
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(json.loads(body))
    return found


async def test_change_requests(paths: Paths) -> None:
    made = await _requests()
    everyone = {i for ids in made.values() for i in ids}
    zhengzhou = {i for code in (ZZ_SCHOOL, ZZ_SCHOOL_2) for i in made[code]}
    sees = {PROVINCE: everyone, ZHENGZHOU: zhengzhou, LUOYANG: set(made[LY_SCHOOL]),
            ZZ_SCHOOL: set(made[ZZ_SCHOOL]), ZZ_SCHOOL_2: set(made[ZZ_SCHOOL_2])}
    for user, visible in sees.items():
        token = await paths.token(user)
        body = await paths.both(LIST, None, token)
        assert len(paths.statements) == paths.one_read, paths.statements
        assert _ids(body) == visible  # nothing of another city's (or school's) units
        for status in ("PENDING", "APPROVED", "REJECTED"):
            body = await paths.both(LIST, {"status": status}, token)
            assert len(paths.statements) == paths.one_read, paths.statements
            assert _ids(body) <= visible
        for code in (ZZ_SCHOOL, LY_SCHOOL, ZHENGZHOU):
            body = await paths.both(NESTED, {"code": code}, token)
            assert len(paths.statements) == paths.one_read + 1, paths.statements  # two roots
            assert _ids(body) <= visible
        await paths.both(FRAGMENTS, None, token)
        assert len(paths.statements) == paths.one_read + 1, paths.statements  # two roots
        for pk in sorted(everyone):  # node(id): one's own, and null for the others
            node = b64encode(f"ChangeRequest:{pk}".encode()).decode()
            body = await paths.both(NODE, {"id": node}, token)
            assert len(paths.statements) == paths.one_read, paths.statements
            assert _ids(body) == ({pk} & visible)
    await paths.both(LIST, None, None)  # no caller: refused alike


async def test_change_requests_shown_at_most(paths: Paths, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    made = await _requests()
    monkeypatch.setattr(queries, "CHANGE_REQUESTS_SHOWN", 3)
    token = await paths.token(PROVINCE)
    body = await paths.both("{ newest: changeRequests { __typename id status } }", None, token)
    assert len(paths.statements) == paths.one_read, paths.statements
    assert _ids(body) == set(sorted(i for ids in made.values() for i in ids)[-3:])
