"""Scheduled reminders in the API: the province office or a city bureau schedules them for a
campaign's declaration window or a reporting round; the background loop sends them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.catalog.queries import campaign_or_latest
from gql.compiled.declare import Column, Relation, ScopedId, Through, declare
from gql.context import Info
from gql.errors import UserError
from gql.nodes import decode_id, scoped_id
from models import Reminder as ReminderModel
from models import ReportingRound, reminders, reports
from models.catalog import Campaign
from models.clock import now_utc
from models.errors import Code, DomainError
from permissions.classes import IsProvinceOrCity
from permissions.scoping import own_reminders


@strawberry.type(name="Reminder", description="An automatic reminder, `daysBefore` days before"
                 " the close, to the organisations in the sender's scope not yet submitted.")
class ReminderType:
    id: strawberry.ID
    days_before: int
    year: int | None = strawberry.field(description="The reporting round; null for the"
                                        " campaign's declaration window.")
    due_at: datetime | None = strawberry.field(description="From the close as it is now.")
    sent_at: datetime | None = strawberry.field(description="When a server process claimed it"
                                                " (sent, or found nothing to send).")
    outcome: str | None
    notice_id: strawberry.ID | None = strawberry.field(description="The notice it became.")

    @classmethod
    def of(cls, m: ReminderModel, campaign: Campaign, round_: ReportingRound | None
           ) -> ReminderType:
        target = reminders.Target(campaign, round_)
        return cls(id=scoped_id("Reminder", m.id), days_before=m.days_before,
                   year=round_.year if round_ else None, due_at=reminders.due_at(m, target),
                   sent_at=m.claimed_at, outcome=m.outcome,
                   notice_id=scoped_id("Notice", m.notice_id) if m.notice_id else None)


# What each field reads, for the compiled path (gql/compiled/reminders.py): a reminder is a
# row that statement derives with its due time (models/reminders.py due_at_sql); `round` is
# no field of the type, only the way to the round's year.
REMINDER_TABLE = "gql_reminder"
REMINDER_SQL = declare(
    "Reminder", REMINDER_TABLE, columns=("days_before", "due_at", "outcome"),
    id=ScopedId(("id",)),  # = scoped_id("Reminder", id)
    round=Relation("ReportingRound", local="round_id", remote="id"),
    year=Through("round__year"),
    sent_at=Column("claimed_at"),
    notice_id=ScopedId(("notice_id",), type_name="Notice"))


@strawberry.type
class RemindersPayload:
    reminders: list[ReminderType]
    errors: list[UserError]


async def _target(info: Info, campaign_code: str | None, year: int | None
                  ) -> tuple[Campaign, ReportingRound | None]:
    campaign = await campaign_or_latest(info.context.loaders, campaign_code)
    return campaign, await reports.round_of(campaign, year) if year is not None else None


async def _listed(org_id: int, campaign: Campaign, round_: ReportingRound | None
                  ) -> list[ReminderType]:
    return [ReminderType.of(m, campaign, round_)
            for m in await reminders.scheduled(org_id, campaign, round_)]


@strawberry.type
class ReminderQueries:
    @strawberry.field(description="The caller's organisation's reminders for a campaign's"
                      " declaration window, or (with year) a reporting round.",
                      permission_classes=[IsProvinceOrCity])
    async def reminders(self, info: Info, campaign_code: str | None = None,
                        year: int | None = None) -> list[ReminderType]:
        assert info.context.principal is not None
        try:
            campaign, round_ = await _target(info, campaign_code, year)
        except DomainError:
            return []
        return await _listed(info.context.principal.org_id, campaign, round_)


@strawberry.type
class ReminderMutations:
    @strawberry.mutation(description="Province office or city bureau: remind the organisations"
                         " of its scope not yet submitted, e.g. 7, 3 and 1 days before the"
                         " declaration window (or, with year, the reporting round) closes."
                         " Days already scheduled are kept; each reminder goes out once.",
                         permission_classes=[IsProvinceOrCity])
    async def schedule_reminders(self, info: Info, days_before: list[int],
                                 campaign_code: str | None = None, year: int | None = None
                                 ) -> RemindersPayload:
        principal = info.context.principal
        assert principal is not None
        try:
            campaign, round_ = await _target(info, campaign_code, year)
            await reminders.schedule(principal.org_id, principal.user_id, campaign, round_,
                                     days_before, now_utc())
        except DomainError as e:
            return RemindersPayload(reminders=[], errors=[UserError.of(e)])
        return RemindersPayload(reminders=await _listed(principal.org_id, campaign, round_),
                                errors=[])

    @strawberry.mutation(description="Cancel a reminder of the caller's organisation that has"
                         " not gone out.", permission_classes=[IsProvinceOrCity])
    async def cancel_reminder(self, info: Info, id: strawberry.ID) -> RemindersPayload:
        principal = info.context.principal
        assert principal is not None
        pk = decode_id(str(id), "Reminder")
        found = await own_reminders(principal).get_or_none(id=pk) if pk else None
        if found is None:
            return RemindersPayload(reminders=[], errors=[UserError(
                field=["id"], code=Code.NOT_FOUND, message="提醒不存在")])
        campaign = await Campaign.get(id=found.campaign_id)
        round_ = await ReportingRound.get(id=found.round_id) if found.round_id else None
        try:
            await reminders.cancel(found)
        except DomainError as e:
            return RemindersPayload(reminders=[], errors=[UserError.of(e)])
        return RemindersPayload(reminders=await _listed(principal.org_id, campaign, round_),
                                errors=[])
