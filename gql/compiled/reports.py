"""`performanceReport(year, organizationCode, campaignCode)` compiled: the report of one
organisation for one round, and its lines, as rows the statement derives first.

The rows are what the resolver path builds (gql/performance/resolve.py round_target and
report_of, PerformanceReport.lines): the organisation by code or one's own
(declaring_organization), shown only when the caller manages it; the campaign asked for or
the newest, its round of that year (both required: without them strawberry gives its error);
the stored report if the caller sees it (visible_reports), else FORM_COLUMNS's defaults; one
line per undertaking models/reports.py's reportable selects, with prefill's figures over the
saved entry and last year's (previous_entries), in their SQL forms written beside them. Its
history reads the round handed down (models/report_history.py report_history_sql).
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLField
from tortoise.expressions import Subquery

from gql.compiled.plan import Planner, Rows
from gql.compiled.render import NOW
from gql.compiled.roots import RootPlan, Source, object_type
from gql.compiled.sums import reads

# The report's row: {r0} the organisation (at most one), {r1} the round, {r2} the reports
# the caller sees; the form's columns are put at `{form}`, and the window is
# models/reports.py window_for's: the round's times and the organisation's extension while
# it runs (`{now}`), the later of it and the round's close (models/workflow.py Window.of).
REPORT = ("SELECT o.id AS organization_id, r.id AS round_id, r.year, {form},"
          " r.opens_at AS opens_at, x.until AS extension_until, CASE WHEN x.until IS NULL"
          " THEN r.closes_at WHEN r.closes_at IS NULL OR x.until > r.closes_at THEN x.until"
          " ELSE r.closes_at END AS deadline"
          " FROM organization o JOIN reporting_round r ON r.id IN {r1}"
          " LEFT JOIN performance_report f ON f.organization_id = o.id AND f.round_id = r.id"
          " AND f.id IN {r2}"
          " LEFT JOIN round_extension x ON x.round_id = r.id AND x.organization_id = o.id"
          " AND x.until > {now} WHERE o.id IN {r0}")

# The lines: the same three, the saved entry of the report shown (none without one) and
# last year's entry of each undertaking.
LINES = ("SELECT u.id AS undertaking_id, u.organization_id, r.id AS round_id, i.sort_key,"
         " (e.id IS NOT NULL) AS saved, e.id AS entry_id, {prefill}, p.id AS previous_id"
         " FROM undertaking u JOIN task_entry i ON i.id = u.item_id"
         " JOIN reporting_round r ON r.id IN {r1}"
         " LEFT JOIN performance_report f ON f.organization_id = u.organization_id AND"
         " f.round_id = r.id AND f.id IN {r2}"
         " LEFT JOIN performance_entry e ON e.report_id = f.id AND e.undertaking_id = u.id"
         " LEFT JOIN performance_entry p ON {previous}"
         " WHERE u.organization_id IN {r0} AND {reportable}")


def plan_performance_report(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.catalog.queries import campaign_named
    from gql.declarations.queries import declaring_organization
    from gql.declarations.types import FORM_COLUMNS
    from gql.performance.types import REPORT_LINES_TABLE, REPORT_TABLE
    from models.reports import PREVIOUS_ENTRY_SQL, REPORTABLE_SQL, prefill_sql, year_round
    from permissions.scoping import managed_organizations, visible_reports

    args = planner.arguments(field, nodes[0])
    principal = planner.principal
    campaign = campaign_named(args.get("campaignCode"))
    round_ = year_round(campaign, args["year"])  # as reports.round_of loads it
    # what report_of answers: an organisation the caller manages, not just sees
    org = declaring_organization(principal, args.get("organizationCode")).filter(
        id__in=Subquery(managed_organizations(principal).values("id")))
    rows = (Rows.of(org), Rows.of(round_), Rows.of(visible_reports(principal)))
    # the round handed down to its lines' comments (that year's)
    target = planner.object_under(object_type(field), nodes, {"round": round_})
    # a form's column, or its default while nothing is saved (bound: each one used)
    values = tuple(getattr(d, "value", d) for d in FORM_COLUMNS.values() if d is not None)
    bound = iter(range(len(values)))
    form = ", ".join(f"f.{name} AS {name}" if default is None
                     else f"coalesce(f.{name}, {{p{next(bound)}}}) AS {name}"
                     for name, default in FORM_COLUMNS.items())
    report = REPORT.replace("{form}", form).replace("{now}", f"{{p{len(values)}}}")
    sources = [Source(REPORT_TABLE, report, rows, (*values, NOW))]
    if reads(target, "ReportLine"):  # an unused derived table would still be computed
        lines = LINES.replace("{prefill}", prefill_sql("e", "p")).replace(
            "{previous}", PREVIOUS_ENTRY_SQL).replace("{reportable}", REPORTABLE_SQL)
        sources.append(Source(REPORT_LINES_TABLE, lines, rows))
    # a campaign asked for first (NOT_FOUND), then its round (ROUND_NOT_FOUND)
    return RootPlan(key, "object", target=target, sources=tuple(sources),
                    requires=(Rows.of(campaign), Rows.of(round_)))
