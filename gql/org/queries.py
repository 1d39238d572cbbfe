from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.expressions import Q

from gql.context import Info
from gql.enums import OrgKind, SchoolType
from gql.org.types import Organization
from gql.pagination import MAX_PAGE_SIZE, Connection, paginate
from permissions.classes import IsActiveUser
from permissions.scoping import visible_organizations


@strawberry.type
class OrgQueries:
    @strawberry.field(description="One organisation by its code; null when it does not exist"
                      " or is outside the caller's scope.", permission_classes=[IsActiveUser])
    async def organization(self, info: Info, code: str) -> Organization | None:
        assert info.context.principal is not None
        m = await visible_organizations(info.context.principal).get_or_none(code=code.strip())
        return Organization.of(m) if m else None

    @strawberry.field(description=f"Organisations the caller may see, by kind then code. At most"
                      f" {MAX_PAGE_SIZE} a page.", permission_classes=[IsActiveUser])
    async def organizations(
        self,
        info: Info,
        kind: OrgKind | None = None,
        parent_code: str | None = None,
        school_type: SchoolType | None = None,
        search: Annotated[str | None, strawberry.argument(
            description="Part of the name, or the start of the code.")] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Organization]:
        assert info.context.principal is not None
        qs = visible_organizations(info.context.principal)
        if kind is not None:
            qs = qs.filter(kind=kind)
        if parent_code:
            qs = qs.filter(parent__code=parent_code)
        if school_type is not None:
            qs = qs.filter(school_type=school_type)
        if search and search.strip():
            term = search.strip()
            qs = qs.filter(Q(name__icontains=term) | Q(code__startswith=term))
        return await paginate(qs.order_by("kind", "code"), Organization.of, first=first,
                              after=after)
