"""Soft checks and row comments in the API (models/soft_checks.py, models/row_comments.py).

A row's `warnings` and `comments` hang on the row itself (Undertaking, ReportLine), so the
school sees them beside the row and a save answers them; `softChecks` is the reviewer's
list over its schools; `commentOnRow` is the reviewer's note on one row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gql.catalog.types import TaskEntry
from gql.compiled.declare import Relation, RowSql, declare
from gql.context import Info
from gql.declarations.types import Actor, actor_of
from gql.errors import ApiError, UserError
from gql.org.types import Organization
from gql.oversight.scope import oversight_scope
from gql.performance.resolve import undertaking_target
from gql.undertakings.types import Undertaking
from models import Undertaking as UndertakingModel
from models import reports, row_comments, soft_checks, totals
from models.errors import Code, DomainError
from models.performance import PerformanceEntry
from models.row_comments import RowComment as RowCommentModel
from models.undertaking import FUNDING_SOURCES
from permissions.classes import IsProvinceOrCity


@strawberry.type(description="A figure worth a second look: a warning, never a refusal.")
class SoftWarning:
    code: str = strawberry.field(description="ZERO_FUNDING, QUANTITY_FAR_ABOVE_MEDIAN,"
                                 " FUNDING_FAR_ABOVE_MEDIAN (more than the campaign's"
                                 " medianFactor times the province's median for the item),"
                                 " ACHIEVED_ABOVE_PLAN, SPENT_ABOVE_PLAN.")
    field: str = strawberry.field(description="The figure concerned: quantity, funding,"
                                  " completedQuantity or spent.")
    message: str = strawberry.field(description="In Chinese.")

    @classmethod
    def of(cls, w: soft_checks.Finding) -> SoftWarning:
        return cls(code=w.code, field=w.field, message=w.message)


@strawberry.type(description="A reviewer's comment (审核意见) on one row.")
class RowComment:
    id: strawberry.ID
    text: str
    year: int | None = strawberry.field(description="null: on the declaration's row; a year:"
                                        " on that year's report line.")
    author: Actor
    at: datetime

    @classmethod
    def of(cls, c: RowCommentModel) -> RowComment:
        return cls(id=strawberry.ID(str(c.id)), **ROW_COMMENT_SQL.values(c),
                   author=actor_of(c.author))


# What each field reads, for both paths (gql/compiled/declare.py); its id is the row's
# number as text.
ROW_COMMENT_SQL = declare(
    "RowComment", "row_comment", columns=("text", "year", "at"),
    id=RowSql(lambda alias: f"CAST({alias}.id AS TEXT)"),
    author=Relation("Actor", local="author_id", remote="id"))


@strawberry.type(description="One flagged row of the reviewer's list.")
class RowWarning:
    school: Organization
    item: TaskEntry
    undertaking: Undertaking
    year: int | None = strawberry.field(description="null: a declaration row; a year: that"
                                        " year's report line.")
    warning: SoftWarning


@strawberry.type
class RowCommentPayload:
    comment: RowComment | None
    errors: list[UserError]
    undertaking: Undertaking | None = strawberry.field(
        default=None, description="The row commented on, with its comments.")


@strawberry.type
class CheckQueries:
    @strawberry.field(description="The reviewer's list of flagged rows of its schools: without"
                      " `year`, the rows of declarations submitted or beyond; with it, that"
                      " year's report lines of reports submitted or beyond. Province or city"
                      " bureau; cityCode narrows the province's list to one city.",
                      permission_classes=[IsProvinceOrCity])
    async def soft_checks(self, info: Info, city_code: str | None = None,
                          campaign_code: str | None = None,
                          year: int | None = None) -> list[RowWarning]:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        found: list[tuple[UndertakingModel, int | None, soft_checks.Finding]] = []
        if year is None:
            rows = await totals.counted_undertakings(
                scope.undertakings, scope.campaign, soft_checks.LISTED_STATUSES
            ).select_related("organization", "item").order_by("organization__code",
                                                              "item__sort_key")
            peers = await soft_checks.peers_of(r.item_id for r in rows)
            for r in rows:
                found += [(r, None, w) for w in soft_checks.row_warnings(
                    r, peers.get(r.item_id), scope.campaign.median_factor)]
        else:
            round_ = await reports.year_round(scope.campaign, year).get_or_none()
            if round_ is None:
                raise ApiError(Code.NOT_FOUND, f"{year}年度的绩效采集不存在")
            entries: list[PerformanceEntry] = await totals.counted_entries(
                scope.entries, round_, soft_checks.LISTED_STATUSES
            ).select_related("undertaking", "undertaking__organization", "undertaking__item"
                             ).order_by("undertaking__organization__code",
                                        "undertaking__item__sort_key")
            for e in entries:
                spent = {s: getattr(e, s) for s in FUNDING_SOURCES}
                found += [(e.undertaking, year, w) for w in soft_checks.line_warnings(
                    e.undertaking, e.completed_quantity, spent)]
        return [RowWarning(school=Organization.of(u.organization), item=TaskEntry.of(u.item),
                           undertaking=Undertaking.of(u), year=y, warning=SoftWarning.of(w))
                for u, y, w in found]


@strawberry.type
class CommentMutations:
    @strawberry.mutation(description="Province office, or the city bureau of the row's school:"
                         " comment on one row (a declaration row, or with `year` that year's"
                         " report line). The school sees it beside the row; the form's history"
                         " lists it.", permission_classes=[IsProvinceOrCity])
    async def comment_on_row(
        self, info: Info, undertaking_id: strawberry.ID, text: str,
        year: Annotated[int | None, strawberry.argument(
            description="The report year; leave out for the declaration's row.")] = None,
    ) -> RowCommentPayload:
        principal = info.context.principal
        assert principal is not None
        # A reviewer sees exactly the rows it may comment on: its schools' (NOT_FOUND else).
        target = await undertaking_target(info.context, str(undertaking_id))
        if isinstance(target, UserError):
            return RowCommentPayload(comment=None, errors=[target])
        try:
            comment = await row_comments.add(principal.user_id, target, text, year)
        except DomainError as e:
            return RowCommentPayload(comment=None, errors=[UserError.of(e)])
        await comment.fetch_related("author", "author__organization")
        info.context.reset_loaders()
        return RowCommentPayload(comment=RowComment.of(comment), errors=[],
                                 undertaking=Undertaking.of(target))
