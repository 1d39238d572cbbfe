"""Year-end performance reports (执行绩效), evidence, change requests and certification."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.account import User
from models.catalog import Campaign, ReportingRound
from models.declaration import Reviewed, StatusChange
from models.org import Organization
from models.undertaking import Undertaking, money


class ProgressStatus(StrEnum):
    ON_TRACK = "on_track"  # 按计划推进
    DELAYED = "delayed"  # 滞后
    COMPLETED = "completed"  # 已完成


class ChangeKind(StrEnum):
    CHANGE = "change"  # new quantity and funding
    WITHDRAW = "withdraw"  # give the undertaking up


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class CertificationResult(StrEnum):
    CERTIFIED = "certified"
    NOT_CERTIFIED = "not_certified"
    PENDING = "pending"


class PerformanceReport(Reviewed):
    """One organisation's report for one year, submitted and reviewed as a whole."""

    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="reports", on_delete=fields.RESTRICT)
    organization_id: int
    round: fields.ForeignKeyRelation[ReportingRound] = fields.ForeignKeyField(
        "models.ReportingRound", related_name="reports", on_delete=fields.RESTRICT)
    round_id: int

    class Meta:
        table = "performance_report"
        unique_together = (("organization_id", "round_id"),)


class ReportEvent(StatusChange):
    """A report's status change: who, when, from what to what, and why."""

    report: fields.ForeignKeyRelation[PerformanceReport] = fields.ForeignKeyField(
        "models.PerformanceReport", related_name="events", on_delete=fields.CASCADE)
    report_id: int
    actor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="report_events", on_delete=fields.RESTRICT)
    actor_id: int

    class Meta:
        table = "report_event"


class PerformanceEntry(Model):
    """What one undertaking achieved and spent, to date, at one year end."""

    id = fields.IntField(primary_key=True)
    report: fields.ForeignKeyRelation[PerformanceReport] = fields.ForeignKeyField(
        "models.PerformanceReport", related_name="entries", on_delete=fields.CASCADE)
    report_id: int
    undertaking: fields.ForeignKeyRelation[Undertaking] = fields.ForeignKeyField(
        "models.Undertaking", related_name="performance", on_delete=fields.RESTRICT)
    undertaking_id: int
    completed_quantity = fields.IntField(default=0)
    school_self = money()
    enterprise = money()
    sponsor = money()
    local_gov = money()
    provincial = money()
    progress = fields.CharEnumField(ProgressStatus, max_length=16,
                                    default=ProgressStatus.ON_TRACK)
    narrative = fields.TextField(default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "performance_entry"
        unique_together = (("report_id", "undertaking_id"),)


class Evidence(Model):
    """A file attached to a performance entry, stored by its SHA-256 (models/evidence.py)."""

    id = fields.IntField(primary_key=True)
    entry: fields.ForeignKeyRelation[PerformanceEntry] = fields.ForeignKeyField(
        "models.PerformanceEntry", related_name="evidence", on_delete=fields.CASCADE)
    entry_id: int
    filename = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    uploaded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="evidence", on_delete=fields.RESTRICT)
    uploaded_by_id: int
    uploaded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "evidence"


class ChangeRequest(Model):
    """A school's request to change an accepted undertaking after the deadline."""

    id = fields.IntField(primary_key=True)
    undertaking: fields.ForeignKeyRelation[Undertaking] = fields.ForeignKeyField(
        "models.Undertaking", related_name="change_requests", on_delete=fields.RESTRICT)
    undertaking_id: int
    kind = fields.CharEnumField(ChangeKind, max_length=16)
    proposed: fields.JSONField[Any] = fields.JSONField(null=True)  # quantity and amounts
    reason = fields.TextField()
    status = fields.CharEnumField(RequestStatus, max_length=16, default=RequestStatus.PENDING)
    requested_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="change_requests", on_delete=fields.RESTRICT)
    requested_by_id: int
    requested_at = fields.DatetimeField(auto_now_add=True)
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="change_decisions", null=True, on_delete=fields.RESTRICT)
    decided_by_id: int | None
    decided_at = fields.DatetimeField(null=True)
    decision_reason = fields.TextField(null=True)

    class Meta:
        table = "change_request"


class CertificationRound(Model):
    """The selection and certification (遴选认定) of a campaign's undertakings in one year
    (2024 in the notice), open for the province's results within its window."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="certification_rounds", on_delete=fields.CASCADE)
    campaign_id: int
    year = fields.IntField()
    opens_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()

    class Meta:
        table = "certification_round"
        unique_together = (("campaign_id", "year"),)


class Certification(Model):
    """The current certification result of one undertaking (遴选认定); every decision is
    also kept in CertificationEvent."""

    id = fields.IntField(primary_key=True)
    undertaking: fields.OneToOneRelation[Undertaking] = fields.OneToOneField(
        "models.Undertaking", related_name="certification", on_delete=fields.RESTRICT)
    undertaking_id: int
    # Null only for results recorded before rounds existed.
    round: fields.ForeignKeyNullableRelation[CertificationRound] = fields.ForeignKeyField(
        "models.CertificationRound", related_name="certifications", null=True,
        on_delete=fields.RESTRICT)
    round_id: int | None
    result = fields.CharEnumField(CertificationResult, max_length=16)
    # How many of the undertaken quantity are certified (0..quantity): "1 of 2 studios".
    certified_quantity = fields.IntField(null=True)
    remarks = fields.TextField(default="")
    decided_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="certifications", on_delete=fields.RESTRICT)
    decided_by_id: int
    decided_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "certification"


# An undertaking's certification decisions, oldest first (both read paths).
DECISION_ORDER = ("id",)
# Change requests, newest first (both read paths: the changeRequests root, an undertaking's).
CHANGE_REQUEST_ORDER = ("-id",)
# An entry's evidence, in upload order (both read paths).
EVIDENCE_ORDER = ("id",)


class CertificationEvent(Model):
    """One certification decision, for the undertaking's history."""

    id = fields.IntField(primary_key=True)
    undertaking: fields.ForeignKeyRelation[Undertaking] = fields.ForeignKeyField(
        "models.Undertaking", related_name="certification_events", on_delete=fields.CASCADE)
    undertaking_id: int
    round: fields.ForeignKeyRelation[CertificationRound] = fields.ForeignKeyField(
        "models.CertificationRound", related_name="events", on_delete=fields.CASCADE)
    round_id: int
    result = fields.CharEnumField(CertificationResult, max_length=16)
    certified_quantity = fields.IntField(null=True)
    remarks = fields.TextField(default="")
    actor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="certification_events", on_delete=fields.RESTRICT)
    actor_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "certification_event"


class RoundExtension(Model):
    """An organisation's extension of a reporting round's deadline, granted by the province.

    It ends by itself when `until` passes.
    """

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[ReportingRound] = fields.ForeignKeyField(
        "models.ReportingRound", related_name="extensions", on_delete=fields.CASCADE)
    round_id: int
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="round_extensions", on_delete=fields.CASCADE)
    organization_id: int
    until = fields.DatetimeField()
    granted_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="round_extensions_granted", on_delete=fields.RESTRICT)
    granted_by_id: int

    class Meta:
        table = "round_extension"
        unique_together = (("round_id", "organization_id"),)
