"""Finding the report or undertaking a request is about, within the caller's scope."""

from __future__ import annotations

from gql.catalog.queries import campaign_or_latest
from gql.context import Context
from gql.errors import UserError
from gql.nodes import decode_id
from gql.performance.types import PerformanceReport
from models import Organization as OrganizationModel
from models import ReportingRound, Undertaking, reports
from models.errors import Code, DomainError
from permissions.scoping import (
    manages,
    visible_organization,
    visible_organizations,
    visible_reports,
    visible_undertakings,
)


async def report_of(context: Context, org: OrganizationModel,
                    round_: ReportingRound) -> PerformanceReport | None:
    principal = context.principal
    if principal is None or not manages(principal, org):
        return None
    model = await visible_reports(principal).get_or_none(organization_id=org.id,
                                                         round_id=round_.id)
    return PerformanceReport.of(org, round_, model, await reports.window_for(org.id, round_))


async def round_target(context: Context, organization_code: str | None, year: int,
                       campaign_code: str | None
                       ) -> tuple[OrganizationModel, ReportingRound] | UserError:
    """The organisation (one's own by default) and the year's round a request names."""
    principal = context.principal
    assert principal is not None
    org = await (visible_organization(principal, organization_code.strip())
                 if organization_code
                 else visible_organizations(principal).get_or_none(id=principal.org_id))
    if org is None:
        return UserError(field=["organizationCode"], code=Code.NOT_FOUND, message="单位不存在")
    campaign = await campaign_or_latest(context.loaders, campaign_code)
    try:
        return org, await reports.round_of(campaign, year)
    except DomainError as e:
        return UserError.of(e)


async def undertaking_target(context: Context, undertaking_id: str) -> Undertaking | UserError:
    principal = context.principal
    pk = decode_id(undertaking_id, "Undertaking")
    found = await visible_undertakings(principal).get_or_none(id=pk) if (
        principal and pk) else None
    if found is None:
        return UserError(field=["undertakingId"], code=Code.NOT_FOUND, message="承接任务不存在")
    return found
