"""The schema: the per-domain Query and Mutation types merged, with the abuse limits."""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.file_uploads import Upload
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from gql import input_building
from gql.accounts.mutations import AccountMutations
from gql.accounts.queries import AccountQueries
from gql.accounts.types import User
from gql.audit.queries import AuditQueries
from gql.audit.recorder import OperationLog
from gql.catalog.mutations import CatalogMutations
from gql.catalog.queries import CatalogQueries
from gql.catalog.types import Campaign, TaskEntry
from gql.compiled.execute import CompiledReads
from gql.context import Info
from gql.declarations.live import DeclarationSubscriptions
from gql.declarations.mutations import DeclarationMutations
from gql.declarations.queries import DeclarationQueries
from gql.declarations.types import Declaration
from gql.errors import MaskUnexpected, is_expected, should_mask
from gql.input_limits import InputLimits
from gql.nodes import resolve_global_id
from gql.notices.live import NoticeSubscriptions
from gql.notices.mutations import NoticeMutations
from gql.notices.queries import NoticeQueries
from gql.notices.reminders import ReminderMutations, ReminderQueries
from gql.observability.extension import ObserveOperation
from gql.one_login import OneLoginPerRequest
from gql.org.contact import ContactMutations, ContactQueries
from gql.org.queries import OrgQueries
from gql.org.types import Organization
from gql.oversight.queries import OversightQueries
from gql.oversight.totals import TotalsQueries
from gql.oversight.types import SchoolProgress
from gql.performance.certifying import (
    CertificationRoundMutations,
    CertificationRoundQueries,
    CertificationRoundType,
)
from gql.performance.mutations import PerformanceMutations
from gql.performance.queries import PerformanceQueries
from gql.performance.types import (
    ChangeRequestType,
    EvidenceFile,
    PerformanceReport,
    ReportingRoundType,
)
from gql.query_limits import DirectiveLimit, FragmentExpansionLimit, QueryCost
from gql.reviews.bulk import BulkReviewMutations
from gql.reviews.checks import CheckQueries, CommentMutations
from gql.reviews.mutations import ReviewMutations
from gql.scalars import DATETIME, DECIMAL, UPLOAD
from gql.undertakings.types import Undertaking
from permissions.classes import IsActiveUser

log = logging.getLogger("gql")

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
DOCUMENT_CACHE_SIZE = 256
LIMIT_RULES = [*QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
               *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
               QueryCost, DirectiveLimit, OneLoginPerRequest]

NODE_TYPES: dict[str, Any] = {
    "Organization": Organization, "TaskEntry": TaskEntry, "Undertaking": Undertaking,
    "User": User, "Campaign": Campaign, "EvidenceFile": EvidenceFile,
    "ChangeRequest": ChangeRequestType, "Declaration": Declaration,
    "PerformanceReport": PerformanceReport, "SchoolProgress": SchoolProgress,
    "ReportingRound": ReportingRoundType, "CertificationRound": CertificationRoundType,
}


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id; null when it does not exist or"
                      " is outside the caller's scope.", permission_classes=[IsActiveUser])
    async def node(self, info: Info, id: strawberry.ID) -> strawberry.relay.Node | None:
        return await resolve_global_id(info, str(id), NODE_TYPES)  # type: ignore[no-any-return]


Query = merge_types("Query", (NodeQueries, AccountQueries, CatalogQueries, OrgQueries,
                              DeclarationQueries, OversightQueries, PerformanceQueries,
                              TotalsQueries, NoticeQueries, ReminderQueries, ContactQueries,
                              CheckQueries, CertificationRoundQueries,
                              AuditQueries))
Mutation = merge_types("Mutation", (AccountMutations, DeclarationMutations, CatalogMutations,
                                    PerformanceMutations, ReviewMutations,
                                    BulkReviewMutations, NoticeMutations, ReminderMutations,
                                    ContactMutations, CommentMutations,
                                    CertificationRoundMutations))
Subscription = merge_types("Subscription", (DeclarationSubscriptions, NoticeSubscriptions))


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        # Expected refusals (not logged in, forbidden, bad page) are answers, not incidents:
        # only the rest reaches the server log, with its traceback. Not as strawberry logs
        # it (str(error)): that quotes the document's lines, and a login's hold a password.
        for e in errors:
            if not is_expected(e):
                log.error("unexpected error at %s", e.path, exc_info=e.original_error)


class _NameConverter(NameConverter):
    """Strawberry's, remembering each name it converted: converting an input's arguments
    asks for every field's GraphQL name again, on every request (a save of 10 rows: some
    fifty camel-casings of the same few names)."""

    @functools.cache  # noqa: B019 (one converter per schema, for the process's life)
    def apply_naming_config(self, name: str) -> str:
        return super().apply_naming_config(name)


def build_schema(*, production: bool = False, introspection: bool = True) -> strawberry.Schema:
    built = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(NODE_TYPES.values()),
        config=StrawberryConfig(scalar_map={datetime: DATETIME, Decimal: DECIMAL, Upload: UPLOAD},
                                disable_field_suggestions=production,
                                name_converter=_NameConverter()),
        extensions=[
            # First, so it leaves last: it counts the errors as masked (gql/observability/).
            ObserveOperation,
            FragmentExpansionLimit,  # first: the depth and alias limiters walk every path
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            # A document sent again (every client sends the same few) is neither parsed nor
            # validated again. The limits' rules are made once: the validation cache is keyed
            # by the rule classes, and a limiter built per request makes new ones each time.
            lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
            lambda: AddValidationRules(LIMIT_RULES),
            lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
            InputLimits,
            OperationLog,
            CompiledReads,
            lambda: MaskUnexpected(should_mask_error=should_mask, error_message="internal error"),
            *([] if introspection else [DisableIntrospection]),
        ],
    )
    input_building.install(built)
    return built


# The schema as exported to schema.graphql (suggestions do not change the SDL).
schema = build_schema()
