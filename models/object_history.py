"""The history of objects beyond their forms' rows and status changes (issue 12, point 5):
extensions, catalog changes, report lines, evidence, password resets.

Each event is written by the domain operation that makes the change, in its transaction, on
the object it touches ("subject": Declaration:<org>:<campaign>, PerformanceReport:<org>:<round>,
TaskEntry:<id>, User:<id>), and shown in that object's `history` to whoever sees the object.
The acting user is the operation's (models/audit.py `acting`); none for the command line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.audit import acting, canonical, plain
from models.clock import now_utc


class HistoryEvent(StrEnum):
    EXTENSION_GRANTED = "extension_granted"
    EXTENSION_REVOKED = "extension_revoked"
    REPORT_EXTENSION_GRANTED = "report_extension_granted"
    ENTRY_ADDED = "entry_added"
    ENTRY_CHANGED = "entry_changed"
    ENTRY_RETIRED = "entry_retired"
    ENTRY_RESTORED = "entry_restored"
    LINE_SAVED = "line_saved"
    EVIDENCE_UPLOADED = "evidence_uploaded"
    EVIDENCE_DELETED = "evidence_deleted"
    PASSWORD_RESET = "password_reset"


class ObjectEvent(Model):
    """One event in an object's history (models/object_history.py)."""

    id = fields.IntField(primary_key=True)
    subject = fields.CharField(max_length=60, db_index=True)
    event = fields.CharEnumField(HistoryEvent, max_length=32)
    actor: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.User", related_name="object_events", null=True, on_delete=fields.SET_NULL)
    actor_id: int | None
    at = fields.DatetimeField()
    reason = fields.TextField(null=True)
    until = fields.DatetimeField(null=True)
    item_number = fields.CharField(max_length=20, null=True)
    file_name = fields.CharField(max_length=200, null=True)
    # JSON list of {"field", "before", "after"} (values as text).
    changes = fields.TextField(default="[]")

    class Meta:
        table = "object_event"


# One object's events as its own history lists them (TaskEntry.history, User.history; both
# paths): in the order they were written.
EVENTS_ORDER = ("id",)


def declaration_subject(org_id: int, campaign_id: int) -> str:
    return f"Declaration:{org_id}:{campaign_id}"


def declaration_subject_sql(org_id: str, campaign_id: str) -> str:
    """declaration_subject in SQL, over SQL for the two ids (the two side by side)."""
    return f"('Declaration:' || CAST({org_id} AS TEXT) || ':' || CAST({campaign_id} AS TEXT))"


def report_subject(org_id: int, round_id: int) -> str:
    return f"PerformanceReport:{org_id}:{round_id}"


def report_subject_sql(org_id: str, round_id: str) -> str:
    """report_subject in SQL, over SQL for the two ids (the two side by side)."""
    return f"('PerformanceReport:' || CAST({org_id} AS TEXT) || ':' || CAST({round_id} AS TEXT))"


def entry_subject(entry_id: int) -> str:
    return f"TaskEntry:{entry_id}"


def entry_subject_sql(entry_id: str) -> str:
    """entry_subject in SQL, over SQL for the id (the two side by side)."""
    return f"('TaskEntry:' || CAST({entry_id} AS TEXT))"


def user_subject(user_id: int) -> str:
    return f"User:{user_id}"


def user_subject_sql(user_id: str) -> str:
    """user_subject in SQL, over SQL for the id (the two side by side)."""
    return f"('User:' || CAST({user_id} AS TEXT))"


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
                   ) -> list[dict[str, Any]]:
    """The fields whose value differs, as text (None when absent)."""
    old, new = dict(before or {}), dict(after or {})
    return [{"field": name, "before": _text(old.get(name)), "after": _text(new.get(name))}
            for name in sorted({*old, *new}) if _text(old.get(name)) != _text(new.get(name))]


def _text(value: Any) -> str | None:
    shown = plain(value)
    return None if shown is None else str(shown)


async def record(subject: str, event: HistoryEvent, *, reason: str | None = None,
                 until: datetime | None = None, item_number: str | None = None,
                 file_name: str | None = None, before: Mapping[str, Any] | None = None,
                 after: Mapping[str, Any] | None = None, at: datetime | None = None
                 ) -> ObjectEvent:
    return await ObjectEvent.create(
        subject=subject, event=event, actor_id=acting(), at=at or now_utc(), reason=reason,
        until=until, item_number=item_number, file_name=file_name,
        changes=canonical(changed_fields(before, after)))


def changes_of(event: ObjectEvent) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(event.changes)
    return found
