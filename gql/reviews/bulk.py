"""Review many forms in one call: each form is its own action (its own transaction, its own
line in the history) and answers its own result; one refused form stops none of the others."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any

import strawberry

from gql.context import Info
from gql.declarations import mutations as declaring
from gql.declarations.types import Declaration
from gql.errors import UserError
from gql.performance import mutations as reporting
from gql.performance.types import PerformanceReport
from models import Organization, declarations, reports
from models.errors import Code
from permissions.actions import may_review
from permissions.classes import IsProvinceOrCity

MAX_FORMS = 200


@strawberry.enum(description="A reviewer's action on a form: APPROVE (the city's 审核通过),"
                 " ACCEPT (the province's 已确认), RETURN (退回修改, reason needed), REOPEN"
                 " (the province reopens a confirmed form, reason needed).")
class ReviewAction(StrEnum):
    APPROVE = "approve"
    ACCEPT = "accept"
    RETURN = "return"
    REOPEN = "reopen"


@strawberry.type(description="What one form of a bulk review answered.")
class DeclarationReviewResult:
    organization_code: str
    declaration: Declaration | None = strawberry.field(
        description="The form after the action; null when it was refused.")
    errors: list[UserError]


@strawberry.type(description="What one report of a bulk review answered.")
class ReportReviewResult:
    organization_code: str
    report: PerformanceReport | None
    errors: list[UserError]


@strawberry.type
class BulkReviewPayload:
    declarations: list[DeclarationReviewResult]
    errors: list[UserError] = strawberry.field(description="Why nothing was tried (too many).")


@strawberry.type
class BulkReportReviewPayload:
    reports: list[ReportReviewResult]
    errors: list[UserError]


def _too_many(codes: list[str]) -> list[UserError]:
    if len(codes) > MAX_FORMS:
        return [UserError(field=["organizationCodes"], code=Code.INVALID_VALUE,
                          message=f"一次最多审核{MAX_FORMS}份")]
    return []


def _step(flow: Any, action: ReviewAction, actor: int, reason: str, remark: str | None
          ) -> Callable[[Organization, Any], Awaitable[object]]:
    """One review action on one form; `flow` is models.declarations or models.reports,
    which offer the same four actions (for a campaign, or for a reporting round)."""
    def step(org: Organization, period: Any) -> Awaitable[object]:
        if action is ReviewAction.APPROVE:
            return flow.approve(actor, org, period, None, remark)  # type: ignore[no-any-return]
        if action is ReviewAction.ACCEPT:
            return flow.accept(actor, org, period, None)  # type: ignore[no-any-return]
        if action is ReviewAction.RETURN:
            return flow.return_(actor, org, period, None, reason)  # type: ignore[no-any-return]
        return flow.reopen(actor, org, period, None, reason)  # type: ignore[no-any-return]
    return step


Codes = Annotated[list[str], strawberry.argument(
    description=f"The organisations whose forms to act on (at most {MAX_FORMS}).")]
Reason = Annotated[str | None, strawberry.argument(
    description="For RETURN and REOPEN: the reason, the same for every form; for APPROVE: an"
    " optional remark.")]


@strawberry.type
class BulkReviewMutations:
    @strawberry.mutation(description="Approve, confirm, return or reopen many declarations in"
                         " one call, each as if alone: each answers its own result and each"
                         " lands in its own history; no version is needed.",
                         permission_classes=[IsProvinceOrCity])
    async def review_declarations(self, info: Info, action: ReviewAction,
                                  organization_codes: Codes, reason: Reason = None,
                                  campaign_code: str | None = None) -> BulkReviewPayload:
        refused = _too_many(organization_codes)
        if refused:
            return BulkReviewPayload(declarations=[], errors=refused)
        assert info.context.principal is not None
        step = _step(declarations, action, info.context.principal.user_id, reason or "", reason)
        results = []
        for code in organization_codes:
            done = await declaring._run(
                info, code, campaign_code, lambda p, org: may_review(p, org, action.value),
                "无权审核该单位的申报", step)
            results.append(DeclarationReviewResult(organization_code=code,
                                                   declaration=done.declaration,
                                                   errors=done.errors))
        return BulkReviewPayload(declarations=results, errors=[])

    @strawberry.mutation(description="Approve, confirm, return or reopen many annual reports of"
                         " one year in one call, each answering its own result.",
                         permission_classes=[IsProvinceOrCity])
    async def review_reports(self, info: Info, action: ReviewAction, year: int,
                             organization_codes: Codes, reason: Reason = None,
                             campaign_code: str | None = None) -> BulkReportReviewPayload:
        refused = _too_many(organization_codes)
        if refused:
            return BulkReportReviewPayload(reports=[], errors=refused)
        assert info.context.principal is not None
        step = _step(reports, action, info.context.principal.user_id, reason or "", reason)
        results = []
        for code in organization_codes:
            done = await reporting._run(
                info, code, year, campaign_code,
                lambda p, org: may_review(p, org, action.value), "无权审核该单位的绩效", step)
            results.append(ReportReviewResult(organization_code=code, report=done.report,
                                              errors=done.errors))
        return BulkReportReviewPayload(reports=results, errors=[])
