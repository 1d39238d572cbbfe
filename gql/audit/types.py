"""The operation log as the auditor reads it."""

from __future__ import annotations

from datetime import datetime

import strawberry

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
        return cls(seq=r.seq, at=r.at, kind=r.kind, operation=r.operation, outcome=r.outcome,
                   username=r.username, role=r.role, organization_code=r.organization_code,
                   client_address=r.client_address, targets=r.targets, detail=r.detail,
                   prev_hash=r.prev_hash, hash=r.hash)


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
