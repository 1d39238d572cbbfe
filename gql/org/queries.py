from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gql.context import Info
from gql.enums import OrgKind, SchoolType
from gql.org.types import ORGANIZATION_ORDER, Organization
from gql.pagination import MAX_PAGE_SIZE, Connection, paginate
from models import Organization as OrganizationModel
from models.enums import OrgKind as OrgKindEnum
from models.enums import SchoolType as SchoolTypeEnum
from permissions.classes import IsActiveUser
from permissions.principal import Principal
from permissions.scoping import visible_organizations


def organization_by_code(principal: Principal, code: str) -> QuerySet[OrganizationModel]:
    """What `organization(code:)` may answer (the resolver and the compiler start here)."""
    return visible_organizations(principal).filter(code=code.strip())


# The page order of `organizations` (the id last: unique), whose values its cursors hold.
ORGANIZATION_PAGE_ORDER = (*ORGANIZATION_ORDER, "id")


def organizations_filtered(principal: Principal, *, kind: OrgKindEnum | str | None,
                           parent_code: str | None, school_type: SchoolTypeEnum | str | None,
                           search: str | None) -> QuerySet[OrganizationModel]:
    """The rows of `organizations(...)`, unordered and unpaged, for both paths."""
    qs = visible_organizations(principal)
    if kind is not None:
        qs = qs.filter(kind=OrgKindEnum(kind))
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if school_type is not None:
        qs = qs.filter(school_type=SchoolTypeEnum(school_type))
    if search and search.strip():
        term = search.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(code__startswith=term))
    return qs


@strawberry.type
class OrgQueries:
    @strawberry.field(description="One organisation by its code; null when it does not exist"
                      " or is outside the caller's scope.", permission_classes=[IsActiveUser])
    async def organization(self, info: Info, code: str) -> Organization | None:
        assert info.context.principal is not None
        m = await organization_by_code(info.context.principal, code).get_or_none()
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
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Organization]:
        assert info.context.principal is not None
        qs = organizations_filtered(info.context.principal, kind=kind, parent_code=parent_code,
                                    school_type=school_type, search=search)
        return await paginate(qs, Organization.of, order=ORGANIZATION_PAGE_ORDER,
                              key=lambda m: (m.kind.value, m.code, m.id), first=first,
                              after=after, last=last, before=before)
