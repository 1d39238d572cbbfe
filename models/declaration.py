"""One organisation's declaration for one campaign, its extension, and its history."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.account import User
from models.catalog import Campaign, TaskEntry
from models.org import Organization


class DeclarationStatus(StrEnum):
    NOT_STARTED = "not_started"  # never stored: no declaration row yet
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CITY_APPROVED = "city_approved"  # 地市审核通过, waiting for the province
    RETURNED = "returned"  # 退回修改
    ACCEPTED = "accepted"  # 已确认 by the province


class DeclarationAction(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"  # the city bureau's 审核通过
    RETURN = "return"
    ACCEPT = "accept"
    REOPEN = "reopen"  # the province sends an accepted form back


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Reviewed(Model):
    """What a declaration and a year's report share: a status reviewed upwards, and a version.

    Abstract: each form has its own table (and its own foreign keys).
    """

    id = fields.IntField(primary_key=True)
    status = fields.CharEnumField(DeclarationStatus, max_length=16,
                                  default=DeclarationStatus.DRAFT)
    # Optimistic lock: every change bumps it; a change carrying an older one is refused.
    version = fields.IntField(default=1)
    submitted_at = fields.DatetimeField(null=True)
    returned_at = fields.DatetimeField(null=True)
    return_reason = fields.TextField(null=True)
    city_approved_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        abstract = True


class StatusChange(Model):
    """A status change of a reviewed form: who (in the concrete model), when, from what to
    what, and why. Abstract."""

    id = fields.IntField(primary_key=True)
    action = fields.CharEnumField(DeclarationAction, max_length=16)
    from_status = fields.CharEnumField(DeclarationStatus, max_length=16)
    to_status = fields.CharEnumField(DeclarationStatus, max_length=16)
    reason = fields.TextField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Declaration(Reviewed):
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="declarations", on_delete=fields.RESTRICT)
    organization_id: int
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="declarations", on_delete=fields.RESTRICT)
    campaign_id: int

    class Meta:
        table = "declaration"
        unique_together = (("organization_id", "campaign_id"),)


class DeclarationEvent(StatusChange):
    """A status change: who, when, from what to what, and why."""

    declaration: fields.ForeignKeyRelation[Declaration] = fields.ForeignKeyField(
        "models.Declaration", related_name="events", on_delete=fields.CASCADE)
    declaration_id: int
    actor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="declaration_events", on_delete=fields.RESTRICT)
    actor_id: int

    class Meta:
        table = "declaration_event"


class UndertakingChange(Model):
    """A row of a declaration before and after one change (null before a creation, null
    after a removal). Amounts are kept as decimal strings."""

    id = fields.IntField(primary_key=True)
    declaration: fields.ForeignKeyRelation[Declaration] = fields.ForeignKeyField(
        "models.Declaration", related_name="row_changes", on_delete=fields.CASCADE)
    declaration_id: int
    item: fields.ForeignKeyRelation[TaskEntry] = fields.ForeignKeyField(
        "models.TaskEntry", related_name="row_changes", on_delete=fields.RESTRICT)
    item_id: int
    action = fields.CharEnumField(RowAction, max_length=16)
    before: fields.JSONField[Any] = fields.JSONField(null=True)
    after: fields.JSONField[Any] = fields.JSONField(null=True)
    actor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="row_changes", on_delete=fields.RESTRICT)
    actor_id: int
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "undertaking_change"


class Extension(Model):
    """An extension of one organisation's declaration deadline, granted by the province.

    It ends by itself when `until` passes. (No semicolon in a model's first docstring line:
    the migration executor splits SQL on it.)
    """

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="extensions", on_delete=fields.CASCADE)
    campaign_id: int
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="extensions", on_delete=fields.CASCADE)
    organization_id: int
    until = fields.DatetimeField()
    reason = fields.TextField(null=True)
    granted_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="extensions_granted", on_delete=fields.RESTRICT)
    granted_by_id: int
    granted_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "declaration_extension"
        unique_together = (("campaign_id", "organization_id"),)
