from __future__ import annotations

import strawberry
from tortoise.queryset import QuerySet

from gql.catalog.queries import campaign_or_latest
from gql.context import Info
from gql.declarations.resolve import declaration_of
from gql.declarations.types import Declaration
from models import Organization as OrganizationModel
from permissions.classes import IsActiveUser
from permissions.principal import Principal
from permissions.scoping import visible_organizations


def declaring_organization(principal: Principal, code: str | None
                           ) -> QuerySet[OrganizationModel]:
    """The organisation `declaration(...)` is about: by code, or one's own (both paths)."""
    orgs = visible_organizations(principal)
    return orgs.filter(code=code.strip()) if code else orgs.filter(id=principal.org_id)


@strawberry.type
class DeclarationQueries:
    @strawberry.field(description="A declaration by organisation code (default: one's own)"
                      " and campaign (default: the newest); null outside one's scope.",
                      permission_classes=[IsActiveUser])
    async def declaration(self, info: Info, organization_code: str | None = None,
                          campaign_code: str | None = None) -> Declaration | None:
        principal = info.context.principal
        assert principal is not None
        org = await declaring_organization(principal, organization_code).get_or_none()
        if org is None:
            return None
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        return await declaration_of(info.context, org, campaign)
