"""Small roots through the compiled path: the caller (`me`), a campaign's reporting rounds,
a certification round; the same bytes as the resolver path."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Campaign, ReportingRound, User
from models.clock import now_utc
from models.performance import CertificationRound
from models.seeding import CAMPAIGN_CODE
from tests.compiled.conftest import Paths
from tests.conftest import LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL

pytestmark = pytest.mark.asyncio(loop_scope="session")

ME = """
{ me { __typename id username displayName role isActive mustChangePassword lockedUntil
       lastLoginAt organization { code name parent { code } } } }
"""
ROUNDS = """
query($campaign: String, $year: Int!) {
  reportingRounds(campaignCode: $campaign) { __typename id year opensAt closesAt open }
  certificationRound(campaignCode: $campaign, year: $year) {
    __typename id year opensAt closesAt open }
}
"""
DEFAULT_ROUND = "{ certificationRound { year open } }"


async def test_me(paths: Paths) -> None:
    for user in (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL):
        await paths.both(ME, None, await paths.token(user))
        assert len(paths.statements) == paths.one_read, paths.statements
    # before the initial password is changed, `me` still answers (IsAuthenticated)
    token = await paths.token(ZZ_SCHOOL)
    await User.filter(username=ZZ_SCHOOL).update(must_change_password=True)
    await paths.both(ME, None, token)
    await paths.both(ME, None, None)  # no caller: refused alike


async def test_rounds(paths: Paths) -> None:
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    now = now_utc()
    # one round open now, one closed, one with no window yet (never open)
    years = sorted(r.year for r in await ReportingRound.filter(campaign=campaign))
    assert len(years) >= 3
    await ReportingRound.filter(campaign=campaign, year=years[0]).update(
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
    await ReportingRound.filter(campaign=campaign, year=years[1]).update(
        opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    await ReportingRound.filter(campaign=campaign, year=years[2]).update(
        opens_at=None, closes_at=None)
    await CertificationRound.create(campaign=campaign, year=2024, opens_at=now,
                                    closes_at=now + timedelta(days=3))
    for user in (PROVINCE, ZHENGZHOU, ZZ_SCHOOL):
        token = await paths.token(user)
        for variables in ({"year": 2024}, {"year": 2023}, {"campaign": CAMPAIGN_CODE,
                                                            "year": 2024}):
            await paths.both(ROUNDS, variables, token)
            assert len(paths.statements) == paths.one_read + 1, paths.statements  # two roots
        await paths.both(DEFAULT_ROUND, None, token)
        assert len(paths.statements) == paths.one_read, paths.statements
        # a campaign that does not exist: strawberry answers, with its NOT_FOUND
        await paths.both(ROUNDS, {"campaign": "nope", "year": 2024}, token)


CONTACT = """
query($code: String!) {
  organizationContact(organizationCode: $code) { __typename name phone email }
}
"""


async def test_organization_contact(paths: Paths) -> None:
    from models import Organization

    await Organization.filter(code=ZZ_SCHOOL).update(
        contact_name="张老师", contact_phone="0371-1234567", contact_email="zz@example.cn")
    for user in (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL):
        token = await paths.token(user)
        # its own, one below it, a neighbour's, padded, unknown: null where not managed
        for code in (ZZ_SCHOOL, ZHENGZHOU, LUOYANG, f" {ZZ_SCHOOL} ", "nope"):
            await paths.both(CONTACT, {"code": code}, token)
            assert len(paths.statements) == paths.one_read, paths.statements
