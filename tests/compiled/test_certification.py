"""Certification (遴选认定) through the compiled path: an undertaking's result and its
round's year, a round by its id; the same bytes as the resolver path."""

from __future__ import annotations

from base64 import b64encode
from datetime import timedelta

import pytest

from models import Campaign, Organization, TaskEntry, Undertaking, User
from models.clock import now_utc
from models.enums import TaskLevel
from models.performance import (
    Certification,
    CertificationEvent,
    CertificationResult,
    CertificationRound,
)
from models.row_comments import RowComment
from models.seeding import CAMPAIGN_CODE
from tests.compiled.conftest import Paths
from tests.conftest import LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2

pytestmark = pytest.mark.asyncio(loop_scope="session")

CERTIFIED = """
query($code: String!) {
  organization(code: $code) {
    code
    undertakings { quantity item { number }
                   certification { __typename result remarks decidedAt certifiedQuantity year }
                   certificationHistory { __typename year result certifiedQuantity remarks at
                                          actor { username displayName organizationName } } }
  }
}
"""

ROUND = """
query($id: ID!) {
  node(id: $id) { __typename id ... on CertificationRound { year opensAt closesAt open } }
}
"""


async def _shown_items(school: Organization, campaign: Campaign, count: int) -> list[TaskEntry]:
    return [e for e in await TaskEntry.filter(
        campaign=campaign, is_group=False, level=TaskLevel.SCHOOL, retired_at=None).order_by(
        "sort_key") if e.eligible_for(school.school_type)][:count]


async def test_certifications_and_rounds(paths: Paths) -> None:
    school = await Organization.get(code=ZZ_SCHOOL_2)
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    province = await User.get(username=PROVINCE)
    items = await _shown_items(school, campaign, 3)
    rows = [await Undertaking.create(organization=school, item=e, quantity=2) for e in items]
    now = now_utc()
    open_round = await CertificationRound.create(campaign=campaign, year=2024,
                                                 opens_at=now - timedelta(days=1),
                                                 closes_at=now + timedelta(days=9))
    closed = await CertificationRound.create(campaign=campaign, year=2023,
                                             opens_at=now - timedelta(days=9),
                                             closes_at=now - timedelta(days=1))
    # one certified in the open round, one recorded before rounds existed, one not yet
    await Certification.create(undertaking=rows[0], round=open_round,
                               result=CertificationResult.CERTIFIED, certified_quantity=1,
                               remarks="认定1个", decided_by=province)
    await Certification.create(undertaking=rows[1], round=None,
                               result=CertificationResult.NOT_CERTIFIED, decided_by=province)
    # decisions by units that sign differently: the province office by its name, a city as
    # its bureau (郑州市 -> 郑州市教育局), one already named as a bureau as it is
    await Organization.filter(code=LUOYANG).update(name="洛阳市教育局")
    for k, (who, round_) in enumerate([(PROVINCE, closed), (ZHENGZHOU, open_round),
                                       (LUOYANG, open_round), (PROVINCE, open_round)]):
        await CertificationEvent.create(
            undertaking=rows[0], round=round_, result=CertificationResult.CERTIFIED,
            certified_quantity=k % 2 or None, remarks=f"第{k}次", at=now - timedelta(hours=k),
            actor=await User.get(username=who))
    for user in (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL_2, ZZ_SCHOOL):
        token = await paths.token(user)
        for code in (ZZ_SCHOOL_2, ZHENGZHOU):
            await paths.both(CERTIFIED, {"code": code}, token)
            assert len(paths.statements) == paths.one_read, paths.statements
        for round_ in (open_round, closed):
            node = b64encode(f"CertificationRound:{round_.id}".encode()).decode()
            await paths.both(ROUND, {"id": node}, token)
            assert len(paths.statements) == paths.one_read, paths.statements


COMMENTS = """
query($code: String!) {
  organization(code: $code) {
    undertakings { item { number }
                   comments { __typename id text year at
                              author { username displayName organizationName } } }
  }
}
"""


async def test_row_comments(paths: Paths) -> None:
    # a reviewer's comments on declaration rows are shown; those on report lines are not
    school = await Organization.get(code=ZZ_SCHOOL_2)
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    items = await _shown_items(school, campaign, 2)
    rows = [await Undertaking.create(organization=school, item=e, quantity=1) for e in items]
    for k, (who, year) in enumerate([(ZHENGZHOU, None), (PROVINCE, None), (ZHENGZHOU, 2021),
                                     (PROVINCE, 2022)]):
        await RowComment.create(undertaking=rows[k % 2], year=year, text=f"意见{k}：\"请核实\"",
                                author=await User.get(username=who))
    for user in (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL_2):
        await paths.both(COMMENTS, {"code": ZZ_SCHOOL_2}, await paths.token(user))
        assert len(paths.statements) == paths.one_read, paths.statements
