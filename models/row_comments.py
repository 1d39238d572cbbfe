"""Reviewers' comments on a single row: a declaration row, or one year's report line.

A city bureau (on its own schools' rows) or the province office writes them; the school
sees each beside its row, and the form's history lists them. Comments are kept, never
edited: what a reviewer said stays said.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.expressions import Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.account import User
from models.errors import Code, DomainError
from models.performance import PerformanceEntry
from models.undertaking import Undertaking

MAX_TEXT = 1000


class RowComment(Model):
    id = fields.IntField(primary_key=True)
    undertaking: fields.ForeignKeyRelation[Undertaking] = fields.ForeignKeyField(
        "models.Undertaking", related_name="comments", on_delete=fields.CASCADE)
    undertaking_id: int
    # None: the declaration's row; a year: that year's report line.
    year = fields.IntField(null=True)
    text = fields.TextField()
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="row_comments", on_delete=fields.RESTRICT)
    author_id: int
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "row_comment"
        indexes = (("undertaking_id", "year"),)


# A row's comments, oldest first (both read paths).
COMMENT_ORDER = ("id",)


def on_declaration_row(comment: RowComment) -> bool:
    """A comment on the declaration's row, not on a year's report line; its SQL form is
    declaration_row_comments (the two side by side)."""
    return comment.year is None


def declaration_row_comments() -> QuerySet[RowComment]:
    return RowComment.filter(year__isnull=True)


def on_report_line(comment: RowComment, year: int) -> bool:
    """A comment on that year's report line; its SQL form is report_line_comments (the round's
    year handed down as a queryset of the round)."""
    return comment.year == year


def report_line_comments(rounds: QuerySet[Any]) -> QuerySet[RowComment]:
    return RowComment.filter(year__in=Subquery(rounds.values("year")))


async def add(author_id: int, undertaking: Undertaking, text: str,
              year: int | None) -> RowComment:
    """Permissions (who may comment on whose rows) are decided by the caller."""
    body = text.strip()
    if not body:
        raise DomainError(Code.INVALID_VALUE, "请填写意见内容", "text")
    if len(body) > MAX_TEXT:
        raise DomainError(Code.INVALID_VALUE, f"意见不能超过{MAX_TEXT}字", "text")
    if undertaking.withdrawn_at is not None:
        raise DomainError(Code.INVALID_TRANSITION, "该承接任务已撤销", "undertakingId")
    if year is not None and not await PerformanceEntry.exists(
            undertaking_id=undertaking.id, report__round__year=year):
        raise DomainError(Code.ENTRY_NOT_SAVED, f"该任务还没有{year}年度的绩效数据", "year")
    return await RowComment.create(undertaking_id=undertaking.id, year=year, text=body,
                                   author_id=author_id)
