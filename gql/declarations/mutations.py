from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import strawberry

from gql.context import Info
from gql.declarations.inputs import SaveUndertakingsInput
from gql.declarations.resolve import declaration_of, target
from gql.declarations.types import DeclarationPayload
from gql.errors import UserError
from models import Campaign as CampaignModel
from models import Declaration as DeclarationModel
from models import Organization as OrganizationModel
from models import declarations
from models.errors import Code, DomainError, DomainErrors
from permissions.actions import (
    may_accept_declaration,
    may_edit_declaration,
    may_manage_deadlines,
    may_return_declaration,
)
from permissions.classes import IsActiveUser, IsProvinceOffice
from permissions.principal import Principal

MAX_ROWS = 200
REVIEW_VERSION = ("The version as last read, to refuse the action if the form changed since;"
                  " leave it out to act on the form as it stands.")

Operation = Callable[[OrganizationModel, CampaignModel], Awaitable[object]]


def _forbidden(message: str) -> DeclarationPayload:
    return DeclarationPayload(declaration=None, errors=[UserError(
        field=["organizationCode"], code=Code.FORBIDDEN, message=message)])


async def _run(info: Info, organization_code: str, campaign_code: str | None,
               allowed: Callable[[Principal, OrganizationModel], bool], denied: str,
               operation: Operation, *, keeps_window: bool = False) -> DeclarationPayload:
    """Scope, check the actor, delegate to models.declarations, answer the fresh state.
    `keeps_window`: the operation changes no extension, so the answer shows the window its
    transaction checked (not read again)."""
    principal = info.context.principal
    assert principal is not None
    found = await target(info, organization_code, campaign_code)
    if isinstance(found, UserError):
        return DeclarationPayload(declaration=None, errors=[found])
    org, campaign = found
    if not allowed(principal, org):
        return _forbidden(denied)
    try:
        done, window = await declarations.with_window_seen(operation(org, campaign), org.id,
                                                          campaign.id)
    except DomainErrors as e:
        return DeclarationPayload(declaration=None, errors=[UserError.of(x) for x in e.errors])
    except DomainError as e:
        return DeclarationPayload(declaration=None, errors=[UserError.of(e)])
    info.context.reset_loaders()
    if isinstance(done, DeclarationModel):
        # The row as the operation left it, read or written inside its transaction: not
        # read once more for the answer.
        info.context.loaders.declaration_by_key.prime((org.id, campaign.id), done)
    fresh = await declaration_of(info.context, org, campaign,
                                 window if keeps_window else None)
    return DeclarationPayload(declaration=fresh, errors=[])


def _actor(info: Info) -> int:
    assert info.context.principal is not None
    return info.context.principal.user_id


@strawberry.type
class DeclarationMutations:
    @strawberry.mutation(description="Save a batch of rows of one declaration at once (a"
                         " table's save button): set or remove rows. Each bad row answers with"
                         " its own errors, and a batch with any error changes nothing.",
                         permission_classes=[IsActiveUser])
    async def save_undertakings(self, info: Info,
                                input: SaveUndertakingsInput) -> DeclarationPayload:
        if len(input.rows) > MAX_ROWS:
            return DeclarationPayload(declaration=None, errors=[UserError(
                field=["rows"], code=Code.INVALID_VALUE, message=f"一次最多保存{MAX_ROWS}行")])
        rows = [r.to_row() for r in input.rows]
        return await _run(
            info, input.organization_code, input.campaign_code,
            lambda p, org: may_edit_declaration(p, org), "只能填报本单位的申报",
            lambda org, c: declarations.save_rows(_actor(info), org, c, input.version, rows),
            keeps_window=True)

    @strawberry.mutation(description="Submit one's declaration for review. A school that must"
                         " undertake every item shown to it is told which are missing.",
                         permission_classes=[IsActiveUser])
    async def submit_declaration(self, info: Info, organization_code: str, version: int,
                                 campaign_code: str | None = None) -> DeclarationPayload:
        return await _run(
            info, organization_code, campaign_code,
            lambda p, org: may_edit_declaration(p, org), "只能提交本单位的申报",
            lambda org, c: declarations.submit(_actor(info), org, c, version),
            keeps_window=True)

    @strawberry.mutation(description="Take back one's submitted declaration (before review,"
                         " inside the window) to edit it again.",
                         permission_classes=[IsActiveUser])
    async def withdraw_declaration(self, info: Info, organization_code: str, version: int,
                                   campaign_code: str | None = None) -> DeclarationPayload:
        return await _run(
            info, organization_code, campaign_code,
            lambda p, org: may_edit_declaration(p, org), "只能撤回本单位的申报",
            lambda org, c: declarations.withdraw(_actor(info), org, c, version))

    @strawberry.mutation(description="Send a submitted (or city-approved) declaration back"
                         " (退回修改) with a reason (a city bureau: its own schools'); editing"
                         " reopens.", permission_classes=[IsActiveUser])
    async def return_declaration(
        self, info: Info, organization_code: str, reason: str,
        version: Annotated[int | None, strawberry.argument(description=REVIEW_VERSION)] = None,
        campaign_code: str | None = None,
    ) -> DeclarationPayload:
        return await _run(
            info, organization_code, campaign_code,
            may_return_declaration, "无权退回该单位的申报",
            lambda org, c: declarations.return_(_actor(info), org, c, version, reason))

    @strawberry.mutation(description="Province office: confirm (已确认) a declaration, which"
                         " freezes it: one its city bureau has approved, or a submitted one"
                         " that needs no city review.", permission_classes=[IsProvinceOffice])
    async def accept_declaration(
        self, info: Info, organization_code: str,
        version: Annotated[int | None, strawberry.argument(description=REVIEW_VERSION)] = None,
        campaign_code: str | None = None,
    ) -> DeclarationPayload:
        return await _run(
            info, organization_code, campaign_code,
            lambda p, _org: may_accept_declaration(p), "仅省教育厅可确认申报",
            lambda org, c: declarations.accept(_actor(info), org, c, version))

    @strawberry.mutation(description="Province office: give one organisation until `until` to"
                         " change its declaration after the deadline; it ends by itself.",
                         permission_classes=[IsProvinceOffice])
    async def grant_extension(self, info: Info, organization_code: str, until: datetime,
                              reason: str | None = None,
                              campaign_code: str | None = None) -> DeclarationPayload:
        return await _run(
            info, organization_code, campaign_code, may_manage_deadlines,
            "仅省教育厅可延期",
            lambda org, c: declarations.grant_extension(_actor(info), org, c, until, reason))

    @strawberry.mutation(description="Province office: end an organisation's extension now.",
                         permission_classes=[IsProvinceOffice])
    async def revoke_extension(self, info: Info, organization_code: str,
                               campaign_code: str | None = None) -> DeclarationPayload:
        return await _run(
            info, organization_code, campaign_code, may_manage_deadlines,
            "仅省教育厅可取消延期", lambda org, c: declarations.revoke_extension(org, c))

