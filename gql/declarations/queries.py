from __future__ import annotations

import strawberry

from gql.catalog.queries import campaign_or_latest
from gql.context import Info
from gql.declarations.resolve import declaration_of
from gql.declarations.types import Declaration
from permissions.classes import IsActiveUser
from permissions.scoping import visible_organizations


@strawberry.type
class DeclarationQueries:
    @strawberry.field(description="A declaration by organisation code (default: one's own)"
                      " and campaign (default: the newest); null outside one's scope.",
                      permission_classes=[IsActiveUser])
    async def declaration(self, info: Info, organization_code: str | None = None,
                          campaign_code: str | None = None) -> Declaration | None:
        principal = info.context.principal
        assert principal is not None
        orgs = visible_organizations(principal)
        org = await (orgs.get_or_none(code=organization_code.strip()) if organization_code
                     else orgs.get_or_none(id=principal.org_id))
        if org is None:
            return None
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        return await declaration_of(info.context, org, campaign)
