"""The review chain's own mutations: the city step, and the campaign's review settings.

Returning and confirming live beside the forms (gql/declarations, gql/performance); what is
here is what the two-level chain added on top.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql.catalog.mutations import CampaignPayload
from gql.catalog.queries import campaign_or_latest
from gql.catalog.types import Campaign
from gql.context import Info
from gql.declarations import mutations as declaring
from gql.declarations.mutations import REVIEW_VERSION
from gql.declarations.types import DeclarationPayload
from gql.errors import UserError
from gql.performance import mutations as reporting
from gql.performance.mutations import PerformanceReportPayload
from models import declarations, reports, review_settings
from models.errors import DomainError
from permissions.actions import may_approve_declaration, may_reopen
from permissions.classes import IsCityBureau, IsProvinceOffice

Version = Annotated[int | None, strawberry.argument(description=REVIEW_VERSION)]
REMARK = "An optional remark (审核意见), kept in the history."


def _actor(info: Info) -> int:
    assert info.context.principal is not None
    return info.context.principal.user_id


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(description="City bureau: approve (审核通过) a submitted declaration of"
                         " one of its schools; it then waits for the province's confirmation."
                         " Schools directly under the province, and campaigns with the city"
                         " step off, skip this.", permission_classes=[IsCityBureau])
    async def approve_declaration(
        self, info: Info, organization_code: str, version: Version = None,
        remark: Annotated[str | None, strawberry.argument(description=REMARK)] = None,
        campaign_code: str | None = None,
    ) -> DeclarationPayload:
        return await declaring._run(
            info, organization_code, campaign_code, may_approve_declaration,
            "只能审核本地市学校的申报",
            lambda org, c: declarations.approve(_actor(info), org, c, version, remark))

    @strawberry.mutation(description="City bureau: approve (审核通过) a submitted annual report"
                         " of one of its schools; it then waits for the province's"
                         " confirmation.", permission_classes=[IsCityBureau])
    async def approve_report(
        self, info: Info, organization_code: str, year: int, version: Version = None,
        remark: Annotated[str | None, strawberry.argument(description=REMARK)] = None,
        campaign_code: str | None = None,
    ) -> PerformanceReportPayload:
        return await reporting._run(
            info, organization_code, year, campaign_code, may_approve_declaration,
            "只能审核本地市学校的绩效",
            lambda org, r: reports.approve(_actor(info), org, r, version, remark))

    @strawberry.mutation(description="Province office: reopen a confirmed declaration (before or"
                         " after the deadline) with a reason; it goes back to the school as"
                         " 退回修改, and past the deadline with an extension of the campaign's"
                         " lateReturnDays that ends by itself.",
                         permission_classes=[IsProvinceOffice])
    async def reopen_declaration(
        self, info: Info, organization_code: str, reason: str, version: Version = None,
        campaign_code: str | None = None,
    ) -> DeclarationPayload:
        return await declaring._run(
            info, organization_code, campaign_code, lambda p, _o: may_reopen(p),
            "仅省教育厅可重新打开申报",
            lambda org, c: declarations.reopen(_actor(info), org, c, version, reason))

    @strawberry.mutation(description="Province office: reopen a confirmed annual report with a"
                         " reason, like reopenDeclaration.",
                         permission_classes=[IsProvinceOffice])
    async def reopen_report(
        self, info: Info, organization_code: str, year: int, reason: str,
        version: Version = None, campaign_code: str | None = None,
    ) -> PerformanceReportPayload:
        return await reporting._run(
            info, organization_code, year, campaign_code, lambda p, _o: may_reopen(p),
            "仅省教育厅可重新打开绩效",
            lambda org, r: reports.reopen(_actor(info), org, r, version, reason))

    @strawberry.mutation(description="Province office: the campaign's review settings: whether"
                         " city bureaus approve their schools' forms before the province"
                         " confirms them, and how many days a form returned or reopened after"
                         " its deadline stays open for correction.",
                         permission_classes=[IsProvinceOffice])
    async def set_review_settings(
        self, info: Info, city_review: bool | None = None,
        late_return_days: int | None = None, campaign_code: str | None = None,
        median_factor: Annotated[int | None, strawberry.argument(description=(
            "How many times the province's median for an item a row's quantity or funding"
            " must exceed to be flagged (2 to 100; default 5)."))] = None,
    ) -> CampaignPayload:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        try:
            await review_settings.update(campaign, city_review=city_review,
                                         late_return_days=late_return_days,
                                         median_factor=median_factor)
        except DomainError as e:
            return CampaignPayload(campaign=None, errors=[UserError.of(e)])
        return CampaignPayload(campaign=await Campaign.load(info, campaign.id), errors=[])
