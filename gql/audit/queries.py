from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case
from tortoise.queryset import QuerySet

from gql.audit.types import OperationLogFilter, OperationRecord
from gql.context import Info
from gql.pagination import Connection, paginate
from models.audit import AuditRecord, canonical
from permissions.classes import IsAuditor

ORDER = ("seq",)


@dataclass(frozen=True)
class Conditions:
    """The filter's conditions, from GraphQL or from an export's query parameters."""

    since: datetime | None = None
    until: datetime | None = None
    username: str | None = None
    organization_code: str | None = None
    operation: str | None = None
    outcome: str | None = None
    kind: str | None = None
    target: str | None = None


def conditions_of_graphql(values: dict[str, Any] | None) -> Conditions:
    """The conditions of a filter as graphql-core hands it over (its GraphQL field names):
    the read compiler's form of what strawberry converts for the resolver."""
    names = {to_camel_case(f.name): f.name for f in dataclasses.fields(Conditions)}
    return Conditions(**{names[k]: v for k, v in (values or {}).items()})


def filtered(c: Conditions) -> QuerySet[AuditRecord]:
    """The records matching every given condition (only IsAuditor callers get here)."""
    qs = AuditRecord.all()
    # In UTC, as stored: SQLite compares the text, and "14:00+08:00" sorts after
    # "07:00+00:00".
    if c.since is not None:
        qs = qs.filter(at__gte=c.since.astimezone(UTC))
    if c.until is not None:
        qs = qs.filter(at__lt=c.until.astimezone(UTC))
    exact: dict[str, Any] = {name: getattr(c, name).strip() for name in (
        "username", "organization_code", "operation", "outcome", "kind")
        if getattr(c, name) and getattr(c, name).strip()}
    if c.target and c.target.strip():
        # A code or "Type:id" as a whole JSON string among the record's targets, quotes
        # included: User:1 must not find User:12 (the ORM escapes % and _).
        qs = qs.filter(targets__contains=canonical(c.target.strip()))
    return qs.filter(**exact)


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Auditor (审计管理员) only: the operation log, oldest first"
                      " (`last` for the newest). Nobody can change or delete a record through"
                      " the API.", permission_classes=[IsAuditor])
    async def operation_log(self, info: Info, filter: OperationLogFilter | None = None,
                            first: int | None = None, after: str | None = None,
                            last: int | None = None, before: str | None = None
                            ) -> Connection[OperationRecord]:
        conditions = Conditions(**dataclasses.asdict(filter)) if filter else Conditions()
        return await paginate(filtered(conditions), OperationRecord.of, order=ORDER,
                              key=lambda r: (r.seq,), first=first, after=after, last=last,
                              before=before)
