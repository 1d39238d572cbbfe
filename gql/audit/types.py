"""The operation log as the auditor reads it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.compiled.declare import declare
from models.audit import AuditRecord


@strawberry.type(description="One record of the operation log (操作日志): who did what, when,"
                 " from where, to which objects, with which outcome. Chained to the record"
                 " before it by SHA-256 (`taskplatform audit verify` checks the chain).")
class OperationRecord:
    seq: int = strawberry.field(description="Position in the chain (1, 2, 3 ...).")
    at: datetime
    kind: str = strawberry.field(description="mutation, login, export, download or system.")
    operation: str = strawberry.field(description="The mutation's or download's name, e.g."
                                      " saveUndertakings, exportSummary.")
    outcome: str = strawberry.field(description="OK, PARTIAL (some items of a batch refused)"
                                    " or the error code it was refused with.")
    username: str = strawberry.field(description="Who acted; for a failed login the user name"
                                     " that was tried.")
    role: str | None
    organization_code: str | None
    client_address: str | None
    targets: str = strawberry.field(description="JSON object: the objects the operation names"
                                    " (codes, ids as Type:number).")
    detail: str = strawberry.field(description="JSON object: the arguments (passwords and"
                                   " tokens never kept) and the changes, before and after.")
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, r: AuditRecord) -> OperationRecord:
        return cls(**OPERATION_RECORD_SQL.values(r))


# What each field reads, for both paths (gql/compiled/declare.py).
OPERATION_RECORD_SQL = declare(
    "OperationRecord", "audit_record",
    columns=("seq", "at", "kind", "operation", "outcome", "username", "role",
             "organization_code", "client_address", "targets", "detail", "prev_hash", "hash"))


@strawberry.input(description="Which records: every given condition must hold.")
class OperationLogFilter:
    since: datetime | None = strawberry.field(default=None, description="At or after.")
    until: datetime | None = strawberry.field(default=None, description="Before.")
    username: str | None = None
    organization_code: str | None = None
    operation: str | None = None
    outcome: str | None = None
    kind: str | None = None
    target: str | None = strawberry.field(
        default=None, description="Records naming this object among their targets: a code"
        " (4199200001) or a global id as Type:number (User:12).")
