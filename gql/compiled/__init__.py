"""The read compiler: a query's root fields answered by ONE SQL statement each, the JSON
built in the database and spliced into the response (no Python object per row).

Three parts, as in PostGraphile, Hasura or pg_graphql:
- plan.py, roots.py: (operation, variables, principal) -> a plan per root field, reading
  what each field maps to from its type's declaration (declare.py: a column, a relation
  with its scoping rule from permissions/scoping.py, a small computed value);
- render.py with sql_pg.py / sql_sqlite.py: the plan as one statement per dialect, values
  always bound;
- execute.py: a schema extension around strawberry's execution that runs the statements and
  lets strawberry answer the other root fields, merged in the query's order;
- fast_lane.py: a read answered wholly from SQL is answered again, for the same caller,
  document and variables, from the same statements without strawberry's pipeline (the
  session is looked up and the statements run every time: nothing is cached but the plan).

Covered (root fields): `me`, `organization(code)`, `organizations` and `operationLog`
(keyset-paged connections: first/after, last/before, totalCount, pageInfo, edges;
connections.py), `node(id)` for the declared node types (Organization, Undertaking,
TaskEntry, User, Campaign, ReportingRound, CertificationRound, ChangeRequest, EvidenceFile),
`campaigns`, `taskCatalog`, `taskEntry`, `reportingRounds`, `certificationRound`,
`organizationContact`, `changeRequests(status)` (newest first, within the resolver's limit;
the proposed quantity and funding are keys of a JSON column: JsonKey, Embedded(json=...)),
`declaration(...)` (its columns, window, `lock`, `editable` and `nextStep` (locks.py),
organization, campaign, rows, `missingMandatoryItems` (models/mandatory.py's rule in its own
SQL) and `history` (selected.py: models/declaration_history.py's five sources as one UNION
ALL in its own SQL, in HISTORY_ORDER; row snapshots and field changes from their stored
JSON; who acted, or the SYSTEM actor)); a task entry's and a user's `history`, wherever
they are read, are their own events (declaration_history.py event_lines) in EVENTS_ORDER;
`undertakingSums` (sums.py: the resolver path's own GROUP BY queries as derived tables),
`undertakingTotals` (totals.py: sums.py's derived tables,
models/totals.py city_funding_query's per unit and the grand sums over it; the counted
statuses from the arguments, a `Given`), `compliance` (compliance.py: the bound schools
missing items by models/mandatory.py's rule in its own SQL, their items and the confirmations
of those, and models/oversight.py zero_funding_query's undertakings handed down, a
`ViewRows`), `reportingProgress(year)` (reporting.py: models/oversight.py reporting_schools
and their reports' statuses in REPORT_PROGRESS_SQL, counted by status_counts_sql; the
schools not reported by gql/performance/queries.py not_reported_sql over those rows),
`declarationProgress` (progress.py: counts, groups and the schools' lists with every filter,
sort and page, over the resolver path's own queries joined by models/oversight.py
SCHOOL_PROGRESS_SQL), `performanceReport(year, ...)`
(reports.py: the report's row and its lines as derived tables, from models/reports.py's
reportable, previous_entries and prefill in their SQL forms: the form's columns,
organization, lines { id saved figures spent previous undertaking comments evidence warnings
(line_checks.py) }, its window (window_for's) and `lock`, `editable`, `nextStep` over it
(FormLock), and `history` (models/report_history.py's three sources as one UNION ALL, in
HISTORY_ORDER, the stored report within visible_reports)), `performanceSums(year, ...)` and
`performanceTotals`
(performance_sums.py: models/oversight.py performance_queries' two GROUP BY queries as
derived tables, joined by performance_sums_sql beside performance_sums's loop; planned and
spent as two prefixed Fundings of one row; the counted report statuses as a FlagList),
`certificationSums` (certification_sums.py: models/certification.py sums_query, summed by
SUMS_SQL beside sums's loop), `notices(unreadOnly)`,
`sentNotices` and `notice(id)` (notices.py: the resolver path's receipts, sent notices or
visible notice as a derived table of notices_for's rows, NOTICE_ROW_SQL, paged newest first
as paginate_list pages them; not their `receipts`), `reminders(campaignCode, year)`
(reminders.py: models/reminders.py schedule_of's rows with due_at_sql's due time, in
SCHEDULE_ORDER); inside them every field declared beside
its type: scalars, enums, Decimal, DateTime, global ids, `__typename`, parent, children,
undertakings { quantity funding item certification certificationHistory comments
changeRequests ... } with who acted as they sign, an organisation's
`declaration(campaignCode)`, in any nesting, with aliases, fragments, variables and
@skip/@include. To-one relations by id are LEFT JOINs of
their rows' FROM. Not yet: `softChecks`, a sent notice's `receipts`.

Falls back to strawberry (per root field, in the same response) when: the operation is not
a query, or comes over a websocket, or the COMPILED_READS setting is off; the caller is not
logged in; any selected field's gate would deny (so the error is strawberry's own); a field
has arguments (other than a form's campaignCode and a `Paged` connection's: a progress's
schools) or no SQL declaration; the arguments are refused (a bad cursor, a negative
`first`, an empty `statuses` or `reportStatuses`); the statement fails (logged; on SQLite
3.40 also a read nested too deep for its parser). A root field that strawberry answers
costs what it always did.
"""
