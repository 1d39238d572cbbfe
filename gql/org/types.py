from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gql.compiled.declare import Form, Relation, RowSql, declare
from gql.context import Info
from gql.enums import CityCategory, OrgKind, SchoolType
from models import Organization as OrganizationModel
from models.org import office_name_sql
from permissions.classes import IsActiveUser
from permissions.scoping import (
    managed_organizations,
    manages,
    visible_organizations,
    visible_undertakings,
    visible_users,
)

if TYPE_CHECKING:
    from gql.accounts.types import User
    from gql.declarations.types import Declaration
    from gql.org.contact import Contact
    from gql.undertakings.types import Undertaking


@strawberry.type(description="省教育厅, a city-level unit (地市级单位) or a school.")
class Organization(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(
        description="学校代码 (10 digits) for a school; the administrative division code"
        " for the province and city-level units.")
    name: str
    kind: OrgKind
    school_type: SchoolType | None
    city_category: CityCategory | None
    must_undertake_all: bool = strawberry.field(
        description="Must undertake every item shown to it (高职, 高水平中职项目学校, 职业大学).")
    is_demo: bool = strawberry.field(description="Part of the demo set, not a real school.")
    parent_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, m: OrganizationModel) -> Organization:
        return cls(id=m.id, **ORGANIZATION_SQL.values(m), parent_id=m.parent_id)

    @classmethod
    async def load(cls, info: Info, id: int) -> Organization | None:
        m = await info.context.loaders.organization_by_id.load(id)
        return cls.of(m) if m else None

    @strawberry.field(description="The unit above; null at the root or when not visible.")
    async def parent(self, info: Info) -> Organization | None:
        return await self.load(info, self.parent_id) if self.parent_id else None

    @strawberry.field(description="The units directly below that the caller may see.",
                      permission_classes=[IsActiveUser])
    async def children(self, info: Info) -> list[Organization]:
        rows = await info.context.loaders.organizations_by_parent_id.load(self.id)
        return [Organization.of(m) for m in rows]

    @strawberry.field(description="This organisation's undertakings, by item number.",
                      permission_classes=[IsActiveUser])
    async def undertakings(
        self, info: Info
    ) -> list[Annotated[Undertaking, strawberry.lazy("gql.undertakings.types")]]:
        from gql.undertakings.types import Undertaking

        rows = await info.context.loaders.undertakings_by_organization_id.load(self.id)
        return [Undertaking.of(m) for m in rows]

    @strawberry.field(description="Accounts of this organisation (visible to those who"
                      " manage it).", permission_classes=[IsActiveUser])
    async def users(
        self, info: Info
    ) -> list[Annotated[User, strawberry.lazy("gql.accounts.types")]]:
        from gql.accounts.types import User

        rows = await info.context.loaders.users_by_organization_id.load(self.id)
        return [User.of(m) for m in rows]

    @strawberry.field(description="This organisation's declaration (default: the newest"
                      " campaign); null for those who may not read it.",
                      permission_classes=[IsActiveUser])
    async def declaration(
        self, info: Info, campaign_code: str | None = None
    ) -> Annotated[Declaration, strawberry.lazy("gql.declarations.types")] | None:
        from gql.catalog.queries import campaign_or_latest
        from gql.declarations.resolve import declaration_of

        org = await info.context.loaders.organization_by_id.load(self.id)
        if org is None:
            return None
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        return await declaration_of(info.context, org, campaign)

    @strawberry.field(description="联系人, 电话, 邮箱; null unless the caller manages this"
                      " organisation (itself, its city bureau, the province office).",
                      permission_classes=[IsActiveUser])
    async def contact(
        self, info: Info
    ) -> Annotated[Contact, strawberry.lazy("gql.org.contact")] | None:
        from gql.org.contact import contact_of

        org = await info.context.loaders.organization_by_id.load(self.id)
        principal = info.context.principal
        return contact_of(org) if org and principal and manages(principal, org) else None

    @classmethod
    def resolve_nodes(cls, *, info: Any, node_ids: Any, required: bool = False) -> Any:
        raise NotImplementedError("resolved by gql.nodes")


# How lists of organisations are ordered (`organizations`, `children`), on both paths.
ORGANIZATION_ORDER = ("kind", "code")

# What each field reads, for both paths (gql/compiled/declare.py). Children and undertakings
# are ordered here; the loaders order by the same terms.
ORGANIZATION_SQL = declare(
    "Organization", "organization", node=True, scope=visible_organizations,
    columns=("code", "name", "kind", "school_type", "city_category", "must_undertake_all",
             "is_demo"),
    parent=Relation("Organization", local="parent_id", remote="id", scope=visible_organizations),
    children=Relation("Organization", local="id", remote="parent_id", many=True,
                      scope=visible_organizations, order=ORGANIZATION_ORDER),
    undertakings=Relation("Undertaking", local="id", remote="organization_id", many=True,
                          scope=visible_undertakings, order=("item__sort_key",)),
    users=Relation("User", local="id", remote="organization_id", many=True,
                   scope=visible_users, order=("username",)),
    declaration=Form(managed_organizations),
    office_name=RowSql(office_name_sql),  # no field: how an actor's unit signs (Actor)
)
