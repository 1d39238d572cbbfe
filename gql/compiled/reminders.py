"""`reminders(campaignCode, year)` compiled: the caller's organisation's reminders for a
campaign's declaration window or a reporting round, as the resolver path lists them
(models/reminders.py schedule_of, SCHEDULE_ORDER), each with its due time read from the close
as it is now (due_at_sql beside due_at), as a derived table.

The campaign asked for or the newest is required (without it strawberry gives its error); a
year without a round lists nothing, as the resolver answers it (no reminders of no round).
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLField
from tortoise.expressions import Subquery

from gql.compiled.plan import Planner, Rows
from gql.compiled.roots import RootPlan, Source, object_type

# The reminders of {r0}, with their campaign and round (none: the declaration window).
REMINDERS = ("SELECT m.id, m.days_before, m.claimed_at, m.outcome, m.notice_id, m.round_id,"
             " {due} AS due_at FROM reminder m JOIN campaign c ON c.id = m.campaign_id"
             " LEFT JOIN reporting_round r ON r.id = m.round_id WHERE m.id IN {r0}")


def plan_reminders(planner: Planner, key: str, field: GraphQLField,
                   nodes: list[FieldNode]) -> RootPlan:
    from gql.catalog.queries import campaign_named
    from gql.notices.reminders import REMINDER_TABLE
    from models.reminders import SCHEDULE_ORDER, due_at_sql, schedule_of
    from models.reports import year_round

    args = planner.arguments(field, nodes[0])
    campaign = campaign_named(args.get("campaignCode"))
    campaigns = Subquery(campaign.values("id"))
    year = args.get("year")
    # as reports.round_of loads it
    rounds = None if year is None else Subquery(year_round(campaign, year).values("id"))
    rows = schedule_of(planner.principal.org_id, campaigns, rounds)
    target = planner.object(object_type(field), nodes)

    def select(d: Any) -> str:
        return REMINDERS.replace("{due}", due_at_sql("m", "r", "c", d.days_before))

    return RootPlan(key, "list", target=target, order=planner.order(target.type_name,
                                                                    SCHEDULE_ORDER),
                    sources=(Source(REMINDER_TABLE, select, (Rows.of(rows),)),),
                    requires=(Rows.of(campaign),))
