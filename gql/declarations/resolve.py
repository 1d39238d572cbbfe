"""Finding the declaration a request is about, within the caller's scope."""

from __future__ import annotations

from gql.catalog.queries import campaign_or_latest
from gql.context import Context, Info
from gql.declarations.types import Declaration
from gql.errors import UserError
from models import Campaign as CampaignModel
from models import Organization as OrganizationModel
from models.clock import now_utc
from models.declarations import window_of
from models.errors import Code
from models.workflow import Window
from permissions.scoping import manages, visible_organization


async def declaration_of(context: Context, org: OrganizationModel,
                         campaign: CampaignModel, window: Window | None = None
                         ) -> Declaration | None:
    """The organisation's declaration, or None when the caller may not read it (a school
    sees its city as a node, not the city's data). `window`: its window as already read
    (by a mutation's transaction, for a caller who manages the organisation)."""
    principal = context.principal
    if principal is None or not manages(principal, org):
        return None
    key = (org.id, campaign.id)
    model = await context.loaders.declaration_by_key.load(key)
    if window is None:
        extension = await context.loaders.extension_by_key.load(key)
        window = window_of(campaign, extension, now_utc())
    return Declaration.of(org, campaign, model, window)


async def target(info: Info, organization_code: str, campaign_code: str | None
                 ) -> tuple[OrganizationModel, CampaignModel] | UserError:
    """The organisation (visible to the caller) and campaign a mutation names."""
    assert info.context.principal is not None
    org = await visible_organization(info.context.principal, organization_code.strip())
    if org is None:
        return UserError(field=["organizationCode"], code=Code.NOT_FOUND, message="单位不存在")
    return org, await campaign_or_latest(info.context.loaders, campaign_code)
