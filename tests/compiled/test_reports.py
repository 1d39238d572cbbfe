"""A year's performance report through the compiled path: its form's columns (or their
defaults before the first save), its organisation, and its lines with this year's figures
(saved, else carried over from last year, else zero) and last year's; the same bytes as the
resolver path, null for an organisation the caller does not manage."""

from __future__ import annotations

from base64 import b64encode
from datetime import timedelta
from decimal import Decimal

import pytest

from models import Campaign, Organization, ReportingRound, TaskEntry, Undertaking, User
from models.clock import now_utc
from models.declaration import Declaration, DeclarationStatus
from models.enums import TaskLevel
from models.performance import (
    Evidence,
    PerformanceEntry,
    PerformanceReport,
    ProgressStatus,
    RoundExtension,
)
from models.row_comments import RowComment
from models.seeding import CAMPAIGN_CODE
from tests.compiled.conftest import Paths
from tests.conftest import LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2

pytestmark = pytest.mark.asyncio(loop_scope="session")

REPORT = """
query($year: Int!, $org: String, $campaign: String) {
  performanceReport(year: $year, organizationCode: $org, campaignCode: $campaign) {
    __typename id year status version submittedAt returnedAt returnReason cityApprovedAt
    acceptedAt updatedAt deadline opensAt extensionUntil editable nextStep
    lock { __typename code message }
    organization { __typename code name parent { code } }
    lines {
      __typename id saved completedQuantity progress narrative
      spent { schoolSelf enterprise sponsor localGov provincial total }
      previous { __typename completedQuantity progress spent { schoolSelf total } }
      undertaking { id quantity funding { total } item { number } organization { code } }
      comments { __typename id text year at author { username organizationName } }
      warnings { __typename code field message }
      w2: warnings { m: message c: code }
      evidence { __typename id filename contentType size sha256 uploadedAt downloadUrl }
    }
  }
}
"""

SMALL = """
query($year: Int!, $org: String) {
  a: performanceReport(year: $year, organizationCode: $org) { ...R }
  b: performanceReport(year: $year) { __typename year s: status }
}
fragment R on PerformanceReport {
  year id status org: organization { code }
  ls: lines { n: completedQuantity ... on ReportLine { saved money: spent { total } } }
}
"""


async def _undertakings(code: str, count: int) -> list[Undertaking]:
    school = await Organization.get(code=code)
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    items = [e for e in await TaskEntry.filter(
        campaign=campaign, is_group=False, level=TaskLevel.SCHOOL, retired_at=None).order_by(
        "sort_key") if e.eligible_for(school.school_type)][:count]
    return [await Undertaking.create(organization=school, item=e, quantity=k + 2,
                                     school_self=Decimal("3.5")) for k, e in enumerate(items)]


async def _entry(report: PerformanceReport, undertaking: Undertaking, quantity: int,
                 progress: ProgressStatus, narrative: str, **amounts: str) -> None:
    await PerformanceEntry.create(report=report, undertaking=undertaking,
                                  completed_quantity=quantity, progress=progress,
                                  narrative=narrative,
                                  **{s: Decimal(v) for s, v in amounts.items()})


async def _reports() -> tuple[int, int, int]:
    """Reports of schools of two cities; the year asked for, the one before and after."""
    campaign = await Campaign.get(code=CAMPAIGN_CODE)
    rounds = await ReportingRound.filter(campaign=campaign).order_by("year")
    last, this = rounds[0], rounds[1]
    now = now_utc()
    # this year's round closed an hour ago, last year's never opened
    await ReportingRound.filter(id=this.id).update(opens_at=now - timedelta(days=9),
                                                   closes_at=now - timedelta(hours=1))
    await ReportingRound.filter(id=last.id).update(opens_at=None, closes_at=None)
    await ReportingRound.filter(id=rounds[2].id).update(opens_at=now + timedelta(days=1),
                                                        closes_at=now + timedelta(days=9))
    province = await User.get(username=PROVINCE)
    # a school with an accepted declaration: lines saved this year, carried over from last
    # year, zero; a withdrawn undertaking reports nothing
    school = await Organization.get(code=ZZ_SCHOOL_2)
    await Declaration.create(organization=school, campaign=campaign,
                             status=DeclarationStatus.ACCEPTED, accepted_at=now)
    rows = await _undertakings(ZZ_SCHOOL_2, 4)
    rows[3].withdrawn_at = now
    await rows[3].save()
    before = await PerformanceReport.create(organization=school, round=last,
                                            status=DeclarationStatus.ACCEPTED, version=4,
                                            accepted_at=now)
    await _entry(before, rows[0], 1, ProgressStatus.DELAYED, "去年", school_self="1.5")
    await _entry(before, rows[1], 2, ProgressStatus.ON_TRACK, "去年二", provincial="1000000",
                 local_gov="0.05")
    await _entry(before, rows[3], 9, ProgressStatus.ON_TRACK, "撤销的")
    # two sources above their plan (3.5 of school_self), the total not: a warning naming both
    await _entry(before, rows[2], 0, ProgressStatus.ON_TRACK, "", enterprise="1",
                 sponsor="0.5", school_self="2")
    report = await PerformanceReport.create(organization=school, round=this,
                                            status=DeclarationStatus.RETURNED, version=3,
                                            submitted_at=now, returned_at=now,
                                            return_reason="缺少\"佐证\"材料")
    await _entry(report, rows[0], 3, ProgressStatus.COMPLETED, "今年：完成\n全部",
                 school_self="12.30", enterprise="0.01")
    # reviewers' comments on this year's lines, last year's, the declaration's rows
    city = await User.get(username=ZHENGZHOU)
    for k, (who, year) in enumerate([(city, this.year), (province, this.year),
                                     (city, last.year), (province, None)]):
        await RowComment.create(undertaking=rows[k % 2], year=year, text=f"意见{k}：'核实'",
                                author=who)
    # evidence of this year's saved line, of last year's
    uploader = await User.get(username=ZZ_SCHOOL_2)
    for entry in await PerformanceEntry.filter(undertaking=rows[0]).order_by("id"):
        for n in range(2):
            await Evidence.create(entry=entry, filename=f"佐证{entry.id}-{n}.pdf",
                                  content_type="application/pdf", size=1000 + n,
                                  sha256=f"{n:064d}", uploaded_by=uploader)
    # an extension that runs (the school may still report), one that ran out
    await RoundExtension.create(round=this, organization=school, until=now + timedelta(days=2),
                                granted_by=province)
    # a school of another city with an accepted declaration and no report yet
    other = await Organization.get(code=LY_SCHOOL)
    await Declaration.create(organization=other, campaign=campaign,
                             status=DeclarationStatus.ACCEPTED)
    await _undertakings(LY_SCHOOL, 2)
    await RoundExtension.create(round=this, organization=other, until=now - timedelta(hours=2),
                                granted_by=province)
    # a school whose declaration is not accepted: no lines
    await Declaration.create(organization=await Organization.get(code=ZZ_SCHOOL),
                             campaign=campaign, status=DeclarationStatus.SUBMITTED)
    await _undertakings(ZZ_SCHOOL, 1)
    return this.year, last.year, rounds[2].year


async def test_performance_reports(paths: Paths) -> None:
    this, last, after = await _reports()
    manages = {PROVINCE: {ZZ_SCHOOL, ZZ_SCHOOL_2, LY_SCHOOL, ZHENGZHOU, PROVINCE},
               ZHENGZHOU: {ZZ_SCHOOL, ZZ_SCHOOL_2, ZHENGZHOU},
               LUOYANG: {LY_SCHOOL, LUOYANG}, ZZ_SCHOOL_2: {ZZ_SCHOOL_2}, ZZ_SCHOOL: {ZZ_SCHOOL}}
    for user, managed in manages.items():
        token = await paths.token(user)
        for code in (ZZ_SCHOOL_2, LY_SCHOOL, ZZ_SCHOOL, ZHENGZHOU, None):
            for year in (this, last, after):
                body = await paths.both(REPORT, {"year": year, "org": code}, token)
                assert len(paths.statements) == paths.one_read, paths.statements
                shown = b'"performanceReport":null' not in body
                assert shown == ((code or user) in managed), (user, code, body[:200])
            await paths.both(SMALL, {"year": this, "org": code}, token)
            assert len(paths.statements) == paths.one_read + 1, paths.statements  # two roots
        # a year without a round, a campaign that does not exist: strawberry's errors
        await paths.both(REPORT, {"year": 2019, "org": ZZ_SCHOOL_2}, token)
        await paths.both(REPORT, {"year": this, "org": ZZ_SCHOOL_2, "campaign": "nope"}, token)
        await paths.both(REPORT, {"year": this, "org": "4199999999"}, token)  # null
    await paths.both(REPORT, {"year": this}, None)  # no caller: refused alike


EVIDENCE = """
query($id: ID!) {
  node(id: $id) { __typename id ... on EvidenceFile { filename size downloadUrl } }
}
"""


async def test_evidence_by_id(paths: Paths) -> None:
    await _reports()
    evidence = await Evidence.all().order_by("id")
    assert evidence
    for user in (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL_2, ZZ_SCHOOL):
        token = await paths.token(user)
        for e in evidence:
            node = b64encode(f"EvidenceFile:{e.id}".encode()).decode()
            body = await paths.both(EVIDENCE, {"id": node}, token)
            assert len(paths.statements) == paths.one_read, paths.statements
            assert (b'"node":null' in body) == (user in (LUOYANG, ZZ_SCHOOL)), (user, body)
