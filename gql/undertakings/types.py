from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gql.compiled.declare import Embedded, Relation, SumOf, declare
from gql.context import Info
from models import Undertaking as UndertakingModel
from models.performance import CHANGE_REQUEST_ORDER, DECISION_ORDER
from models.row_comments import COMMENT_ORDER, declaration_row_comments, on_declaration_row
from models.undertaking import FUNDING_SOURCES
from permissions.scoping import visible_organizations, visible_undertakings

if TYPE_CHECKING:
    from gql.catalog.types import TaskEntry
    from gql.org.types import Organization
    from gql.performance.certifying import CertificationDecision
    from gql.performance.types import CertificationType, ChangeRequestType
    from gql.reviews.checks import RowComment, SoftWarning


@strawberry.type(description="预计投入经费: planned funding in 10k yuan (万元), exact decimals.")
class Funding:
    school_self: Decimal = strawberry.field(description="学校自筹")
    enterprise: Decimal = strawberry.field(description="行业企业投入")
    sponsor: Decimal = strawberry.field(description="举办方投入")
    local_gov: Decimal = strawberry.field(description="地市县投入")
    provincial: Decimal = strawberry.field(description="省财政投入")

    @strawberry.field(description="The exact sum of the five sources.")
    def total(self) -> Decimal:
        return (self.school_self + self.enterprise + self.sponsor + self.local_gov
                + self.provincial)


@strawberry.type(description="承接: one organisation's commitment to one catalog item.")
class Undertaking(relay.Node):
    id: relay.NodeID[int]
    quantity: int = strawberry.field(description="承接数量")
    funding: Funding
    updated_at: datetime
    organization_id: strawberry.Private[int]
    item_id: strawberry.Private[int]

    @classmethod
    def of(cls, m: UndertakingModel) -> Undertaking:
        cents = Decimal("0.01")
        funding = Funding(**{s: Decimal(v).quantize(cents)
                             for s, v in FUNDING_SQL.values(m).items()})
        return cls(id=m.id, **UNDERTAKING_SQL.values(m), funding=funding,
                   organization_id=m.organization_id, item_id=m.item_id)

    @classmethod
    async def load(cls, info: Info, id: int) -> Undertaking | None:
        principal = info.context.principal
        m = await visible_undertakings(principal).get_or_none(id=id) if principal else None
        return cls.of(m) if m else None

    @strawberry.field
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy("gql.org.types")]:
        from gql.org.types import Organization

        org = await Organization.load(info, self.organization_id)
        assert org is not None, "an undertaking visible to the caller has a visible owner"
        return org

    @strawberry.field(description="The catalog item undertaken.")
    async def item(self, info: Info) -> Annotated[TaskEntry, strawberry.lazy("gql.catalog.types")]:
        from gql.catalog.types import TaskEntry

        entry = await TaskEntry.load(info, self.item_id)
        assert entry is not None
        return entry

    @strawberry.field(description="The 2024 certification (遴选认定), once recorded.")
    async def certification(
        self, info: Info
    ) -> Annotated[CertificationType, strawberry.lazy("gql.performance.types")] | None:
        from gql.performance.types import CertificationType

        c = await info.context.loaders.certification_by_undertaking_id.load(self.id)
        return CertificationType.of(c, c.round.year if c and c.round else None) if c else None

    @strawberry.field(description="Every certification decision on it, oldest first.")
    async def certification_history(
        self, info: Info
    ) -> list[Annotated[CertificationDecision, strawberry.lazy("gql.performance.certifying")]]:
        from gql.performance.certifying import CertificationDecision

        rows = await info.context.loaders.certification_events_by_undertaking_id.load(self.id)
        return [CertificationDecision.of(e) for e in rows]

    @strawberry.field(description="Requests to change it after the deadline, newest first.")
    async def change_requests(
        self, info: Info
    ) -> list[Annotated[ChangeRequestType, strawberry.lazy("gql.performance.types")]]:
        from gql.performance.types import ChangeRequestType

        rows = await info.context.loaders.change_requests_by_undertaking_id.load(self.id)
        return [ChangeRequestType.of(c) for c in rows]

    @strawberry.field(description="Soft checks of this row as it stands (warnings, never"
                      " refusals): no planned funding, or quantity or funding far above the"
                      " province's median for the item.")
    async def warnings(
        self, info: Info
    ) -> list[Annotated[SoftWarning, strawberry.lazy("gql.reviews.checks")]]:
        from gql.reviews.checks import SoftWarning
        from models import soft_checks

        peers, factor = await info.context.loaders.peers_by_item_id.load(self.item_id)
        row = UndertakingModel(id=self.id, organization_id=self.organization_id,
                               item_id=self.item_id, quantity=self.quantity,
                               **{s: getattr(self.funding, s) for s in FUNDING_SOURCES})
        return [SoftWarning.of(w) for w in soft_checks.row_warnings(row, peers, factor)]

    @strawberry.field(description="Reviewers' comments (审核意见) on this declaration row,"
                      " oldest first.")
    async def comments(
        self, info: Info
    ) -> list[Annotated[RowComment, strawberry.lazy("gql.reviews.checks")]]:
        from gql.reviews.checks import RowComment

        rows = await info.context.loaders.comments_by_undertaking_id.load(self.id)
        return [RowComment.of(c) for c in rows if on_declaration_row(c)]

    @classmethod
    def resolve_nodes(cls, *, info: Any, node_ids: Any, required: bool = False) -> Any:
        raise NotImplementedError("resolved by gql.nodes")


# What each field reads, for both paths (gql/compiled/declare.py).
FUNDING_SQL = declare("Funding", None, columns=FUNDING_SOURCES, total=SumOf(FUNDING_SOURCES))
UNDERTAKING_SQL = declare(
    "Undertaking", "undertaking", node=True, scope=visible_undertakings,
    columns=("quantity", "updated_at"),
    funding=Embedded("Funding"),
    organization=Relation("Organization", local="organization_id", remote="id",
                          scope=visible_organizations),
    item=Relation("TaskEntry", local="item_id", remote="id"),
    # reached only from an undertaking the caller sees (as the loader reads it)
    certification=Relation("Certification", local="id", remote="undertaking_id"),
    comments=Relation("RowComment", local="id", remote="undertaking_id", many=True,
                      order=COMMENT_ORDER, view=lambda _views: declaration_row_comments()),
    certification_history=Relation("CertificationDecision", local="id", remote="undertaking_id",
                                   many=True, order=DECISION_ORDER),
    # every request of it (as the loader reads them): it is reached only from an undertaking
    # the caller sees, and a request's rule is its undertaking's (visible_change_requests)
    change_requests=Relation("ChangeRequest", local="id", remote="undertaking_id", many=True,
                             order=CHANGE_REQUEST_ORDER),
)
