"""Tortoise models and the domain operations on them. Never imports strawberry."""

from models.account import AccessToken, InitialCredential, LoginAttempt, PasswordHistory, User
from models.audit import AuditHead, AuditRecord
from models.catalog import Campaign, ReportingRound, TaskEntry
from models.declaration import (
    Declaration,
    DeclarationEvent,
    Extension,
    UndertakingChange,
)
from models.evidence_store import EvidenceBlob
from models.idempotency import IdempotentRequest
from models.mandatory import MandatoryConfirmation
from models.notice import (
    Notice,
    NoticeAttachment,
    NoticeReceipt,
    OutboxEmail,
    Reminder,
)
from models.object_history import ObjectEvent
from models.org import Organization
from models.performance import (
    Certification,
    CertificationEvent,
    CertificationRound,
    ChangeRequest,
    Evidence,
    PerformanceEntry,
    PerformanceReport,
    ReportEvent,
    RoundExtension,
)
from models.row_comments import RowComment
from models.undertaking import Undertaking

__all__ = [
    "AccessToken",
    "AuditHead",
    "AuditRecord",
    "Campaign",
    "Certification",
    "CertificationEvent",
    "CertificationRound",
    "ChangeRequest",
    "Declaration",
    "DeclarationEvent",
    "Evidence",
    "EvidenceBlob",
    "Extension",
    "IdempotentRequest",
    "InitialCredential",
    "LoginAttempt",
    "MandatoryConfirmation",
    "Notice",
    "NoticeAttachment",
    "NoticeReceipt",
    "ObjectEvent",
    "Organization",
    "OutboxEmail",
    "PasswordHistory",
    "PerformanceEntry",
    "PerformanceReport",
    "Reminder",
    "ReportEvent",
    "ReportingRound",
    "RoundExtension",
    "RowComment",
    "TaskEntry",
    "Undertaking",
    "UndertakingChange",
    "User",
]
