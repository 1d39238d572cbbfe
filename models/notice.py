"""Notices (站内通知) with read receipts, scheduled reminders, and the e-mail outbox.

A notice is written once with one receipt row per recipient organisation: the receipt is
what the recipient's inbox lists, what its unread count counts and what the sender reads
back (who read, when). The live feed polls the receipts table, so a notice sent through any
server process reaches a dashboard held by any other.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.account import User
from models.catalog import Campaign, ReportingRound
from models.org import Organization


class Audience(StrEnum):
    ALL = "all"  # every organisation the sender may address
    SCHOOL_TYPE = "school_type"
    EXPLICIT = "explicit"  # a list of organisation codes
    CHASE = "chase"  # a chase-list filter on declaration progress
    REMINDER = "reminder"  # sent by a scheduled reminder to those not yet submitted


class Notice(Model):
    id = fields.IntField(primary_key=True)
    sender_org: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="sent_notices", on_delete=fields.RESTRICT)
    sender_org_id: int
    # None for a reminder the server sent on its own.
    sender_user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sent_notices", null=True, on_delete=fields.RESTRICT)
    sender_user_id: int | None
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    audience = fields.CharEnumField(Audience, max_length=16)
    # How the recipients were chosen, for the sender's list ("中职学校", "未提交").
    audience_label = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "notice"
        indexes = (("sender_org_id", "created_at"),)


class NoticeReceipt(Model):
    """One recipient organisation of a notice, and who of it read the notice first, when."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="receipts", on_delete=fields.CASCADE)
    notice_id: int
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="notice_receipts", on_delete=fields.RESTRICT)
    organization_id: int
    read_at = fields.DatetimeField(null=True)
    read_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notices_read", null=True, on_delete=fields.RESTRICT)
    read_by_id: int | None

    class Meta:
        table = "notice_receipt"
        unique_together = (("notice_id", "organization_id"),)
        indexes = (("organization_id", "read_at"),)


class NoticeAttachment(Model):
    """A file sent with a notice, stored by its SHA-256 beside the evidence files."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="attachments", on_delete=fields.CASCADE)
    notice_id: int
    filename = fields.CharField(max_length=120)
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)

    class Meta:
        table = "notice_attachment"


class Reminder(Model):
    """An automatic reminder `days_before` days before the close of a campaign's declaration
    window (round None) or of a reporting round, from one sender to the organisations in its
    scope not yet submitted. Claimed in the database by the process that sends it, so it goes
    out once however many processes run the loop."""

    id = fields.IntField(primary_key=True)
    sender_org: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="reminders", on_delete=fields.RESTRICT)
    sender_org_id: int
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="reminders", on_delete=fields.CASCADE)
    campaign_id: int
    round: fields.ForeignKeyNullableRelation[ReportingRound] = fields.ForeignKeyField(
        "models.ReportingRound", related_name="reminders", null=True,
        on_delete=fields.CASCADE)
    round_id: int | None
    days_before = fields.IntField()
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reminders", on_delete=fields.RESTRICT)
    created_by_id: int
    created_at = fields.DatetimeField()
    claimed_by = fields.CharField(max_length=100, null=True)
    claimed_at = fields.DatetimeField(null=True)
    # The notice it became, None when nobody was left to remind or a later one superseded it.
    notice: fields.ForeignKeyNullableRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="reminders", null=True, on_delete=fields.SET_NULL)
    notice_id: int | None
    outcome = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "reminder"
        unique_together = (("sender_org_id", "campaign_id", "round_id", "days_before"),)
        indexes = (("claimed_at",),)


class OutboxEmail(Model):
    """A message waiting for the SMTP server. Requests only add rows, a worker sends them
    with retries and backoff, leasing a row so that two processes never send it twice."""

    id = fields.IntField(primary_key=True)
    to_address = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    body = fields.TextField()
    notice: fields.ForeignKeyNullableRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="emails", null=True, on_delete=fields.SET_NULL)
    notice_id: int | None
    created_at = fields.DatetimeField()
    next_attempt_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    leased_by = fields.CharField(max_length=100, null=True)
    lease_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    failed_at = fields.DatetimeField(null=True)  # gave up after the last attempt

    class Meta:
        table = "outbox_email"
        indexes = (("sent_at", "next_attempt_at"),)
