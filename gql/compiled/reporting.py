"""`reportingProgress(year)` compiled: a year's report statuses, counted, per school and the
schools not reported yet, in one statement.

Its rows are the resolver path's own: the scoping of gql/oversight/scope.py (the caller's
organisations, or one city's), the reporting schools of models/oversight.py
reporting_schools and their reports' statuses as report_progress reads them
(REPORT_PROGRESS_SQL), counted by status_counts_sql; the schools not reported are
gql/performance/queries.py not_reported_sql's over those rows. Falls back when a city, the
campaign or its round of that year is not found (the statement answers NULL): strawberry
gives the error.
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLField
from tortoise.expressions import Subquery

from gql.compiled.plan import Planner, Rows
from gql.compiled.roots import RootPlan, Source, object_type
from gql.compiled.sums import requires_of

# The progress's one row (an aggregate without GROUP BY: zeros when no school reports).
PROGRESS = "SELECT {r0} AS round_id, {counts} FROM gql_report_status p"


def plan_reporting_progress(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.oversight.scope import planned_scope
    from gql.performance.queries import (
        REPORT_STATUS_TABLE,
        REPORTING_PROGRESS_TABLE,
        not_reported_sql,
    )
    from models.declaration import DeclarationStatus
    from models.oversight import REPORT_PROGRESS_SQL, reporting_schools, status_counts_sql
    from models.reports import year_round

    args = planner.arguments(field, nodes[0])
    scope = planned_scope(planner.principal, args.get("cityCode"), args.get("campaignCode"))
    campaign = Subquery(scope.campaign.values("id"))
    round_ = year_round(scope.campaign, args["year"])  # as reports.round_of loads it
    planner.views = {"not_reported": Rows(not_reported_sql(REPORT_STATUS_TABLE), ())}
    try:
        target = planner.object(object_type(field), nodes)
    finally:
        planner.views = {}
    round_id = Rows.of(round_)
    schools = reporting_schools(scope.organizations, campaign)
    rows = Source(REPORT_STATUS_TABLE, REPORT_PROGRESS_SQL.format(
        schools="{r0}", round="{r1}", round_again="{r2}", not_started="{p0}"),
        (Rows.of(schools), round_id, round_id), (DeclarationStatus.NOT_STARTED.value,))
    progress = Source(REPORTING_PROGRESS_TABLE,
                      PROGRESS.replace("{counts}", status_counts_sql("p")), (round_id,))
    return RootPlan(key, "object", target=target, sources=(rows, progress),
                    # then the campaign's round of that year (ROUND_NOT_FOUND)
                    requires=(*requires_of(scope), round_id))
