"""What each GraphQL field reads, declared once beside its strawberry type.

A type module declares its table and, per field (by python name), one of:
- `Column`: a stored column, read as it is (the model attribute of the same name unless told);
- `Through`: a column (or a `RowSql` value) of a row one or more to-one relations away;
- `Embedded`: an object made of columns of the same row (Funding of an undertaking; two of
  one row by a prefix of their columns: a performance sum's planned and spent), or of the
  keys of one JSON column of it (a change request's proposed Funding);
- `JsonKey`: a number under one key of a JSON column of the row;
- `Relation`: rows of another declared type joined by one column, filtered by a scoping rule
  from permissions/scoping.py and ordered as declared;
- `ViewRow`: the row a root field hands down (a form's campaign);
- `RuleRows`: rows a rule of models/ selects in SQL (a form's missing mandatory items);
- `ViewRows`: the rows of a queryset the root field hands down (its resolver's own: a
  compliance's undertakings without funding);
- `SelectRows`: rows a rule of models/ builds in SQL, columns and all (a form's history, a
  UNION of its sources), with `JsonObject` / `JsonRows` for objects stored as JSON in them
  and `OrConstant` for a relation shown as a constant where there is no row;
- `Given`: a value the root field works out from its arguments alone (the statuses a total
  counts), handed down as a view;
- `Paged`: a connection with arguments, planned by a function of its own (a progress's
  schools, sorted and filtered);
- `SumOf` / `FlagList` / `ValueList` / `NowBetween`: small computed values with one SQL form
  beside their Python form;
- `EditLock` / `FormLock`: what a form's status and window say (its lookups, or columns of a
  derived row); `LineWarnings`: a report line's soft checks (gql/compiled/line_checks.py).

The resolver path reads the same declaration (`SqlType.values` builds the strawberry object's
columns), so a field is added in one place and both paths see it. A field with no declaration
makes the compiler fall back to strawberry for its whole root field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tortoise.queryset import QuerySet

from permissions.principal import Principal

Scope = Callable[[Principal], QuerySet[Any]]


@dataclass(frozen=True)
class Column:
    """A stored column, read as it is."""

    name: str | None = None  # None: the field's python name
    cents: bool = False  # a Decimal field whose column holds integer cents (exact sums)


@dataclass(frozen=True)
class Paged:
    """A connection with arguments of its own over rows a root field defines (a progress's
    schools): `plan(planner, key, field, nodes)` gives its ConnectionPlan (connections.py),
    with the derived tables it reads; the root that hands the rows down adds those to its
    statement (progress.py)."""

    plan: Callable[..., Any]


@dataclass(frozen=True)
class Given:
    """A value the root field works out from its arguments before any row is read (the
    statuses a total counts: gql/oversight/queries.py statuses_or_raise's), handed down as
    the view `view`: shown as strawberry serializes it (the resolver path shows the same
    value)."""

    view: str


@dataclass(frozen=True)
class Embedded:
    """An object built from columns of the same row. `cents`: its decimal columns hold
    integer cents (exact sums, models/aggregates.py), shown as two-decimal amounts."""

    type_name: str
    cents: bool = False
    # Its columns are the keys of this JSON column of the row instead (decimals as the
    # two-decimal text models/ wrote, its Python form quantizing to cents likewise); the
    # object is null when the column is null or an empty object.
    json: str | None = None
    # Its columns are named with this prefix in the row (two Fundings of one row: a
    # performance sum's planned_* and spent_*).
    prefix: str = ""


@dataclass(frozen=True)
class JsonKey:
    """The number under `key` of the row's JSON column `column`: null when the column is
    null or has no such key (a change request's proposed quantity)."""

    column: str
    key: str


@dataclass(frozen=True)
class Relation:
    """Rows of `type_name` whose `remote` column equals this row's `local` column."""

    type_name: str
    local: str
    remote: str
    many: bool = False
    # The row rule of the target rows (permissions/scoping.py); None: every row.
    scope: Scope | None = None
    # Tortoise order_by terms ("kind", "-id", "item__sort_key"): the loaders use the same.
    order: tuple[str, ...] = ()
    # Rows shown under the views a root field hands down (the catalog's filters, the
    # campaign asked for), if any: called with the views in force.
    view: Callable[[dict[str, Any]], QuerySet[Any]] | None = None
    # Whether the views go on below this relation (catalog children) or end here.
    keeps_view: bool = False


@dataclass(frozen=True)
class Lookup:
    """A column of the one row of `table` that belongs to this row (`remote` = this row's
    id) in the campaign the root asked for (`campaign` in the campaign view), within its
    row rule; `default` when there is none (a declaration not saved yet)."""

    table: str
    column: str
    remote: str = "organization_id"
    campaign: str = "campaign_id"
    scope: Scope | None = None
    default: Any = None


@dataclass(frozen=True)
class WindowPart:
    """A form's window (models/workflow.py Window.of): the campaign's dates and the
    organisation's extension while it runs. part: opens | closes | extension."""

    part: str
    extension_table: str
    extension_scope: Scope
    opens: str = "declaration_opens_at"
    closes: str = "declaration_closes_at"


@dataclass(frozen=True)
class ViewRow:
    """The one row of `type_name` a root field hands down as a view (`campaign`: the
    campaign it asked for, or the newest), as an object: a form's campaign."""

    type_name: str
    view: str = "campaign"


@dataclass(frozen=True)
class RowSql:
    """A value computed from the row, in SQL written beside its Python form in models/
    (`sql(alias)`: an expression over the row at `alias`): Organization.office_name."""

    sql: Callable[[str], str]


@dataclass(frozen=True)
class Through:
    """A column of the row reached through declared to-one relations: `round__year` is the
    `year` of the row the `round` relation (declared on this type) points to; null when
    there is none. The last name may be a `RowSql` of the row reached."""

    path: str


@dataclass(frozen=True)
class RuleRows:
    """Rows of `type_name` that a rule of models/ selects for this row, in `order`:
    `ids(row_id, campaigns)` is the rule's own SQL (the one its Python callers run) of the
    selected ids, given SQL for this row's id and the ids of the campaign handed down."""

    type_name: str
    ids: Callable[[str, str], str]
    order: tuple[str, ...] = ()


@dataclass(frozen=True)
class ViewRows:
    """The rows of `type_name` that the queryset the root field hands down as the view
    `view` selects (the one its resolver reads), or the ids its `Rows` select (a rule's SQL
    over the root's derived tables), in `order`: a compliance's undertakings without
    funding, a reporting progress's schools not reported."""

    type_name: str
    view: str
    order: tuple[str, ...] = ()


@dataclass(frozen=True)
class SelectRows:
    """Rows of `type_name` (declared with no table: its columns are the SELECT's) that a rule
    of models/ gathers in its own SQL for this row, in `order` over their columns:
    `select(row, viewed, scoped)` is that SQL given SQL for this row's `row` column, the ids
    of the `view` handed down (a form's campaign, a report's round) and the ids of the rows
    `scope` lets the caller read (permissions/scoping.py); without a view or a scope, without
    that argument (`select(row)`: a user's events). `times`: order columns holding times
    (compared as instants)."""

    type_name: str
    select: Callable[..., str]
    scope: Scope | None
    order: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    row: str = "id"
    view: str | None = "campaign"


@dataclass(frozen=True)
class JsonObject:
    """An object of `type_name` (no table: each field a `Column`, the key of its name) from
    the JSON object stored in `column`; null when there is no object or an empty one (a row
    change's snapshot before a creation)."""

    type_name: str
    column: str


@dataclass(frozen=True)
class JsonRows:
    """Objects of `type_name` (as for JsonObject) from the JSON array of objects stored in
    `column`, in the array's order."""

    type_name: str
    column: str


@dataclass(frozen=True)
class OrConstant:
    """A to-one `relation`, or `constant` (an object of its type, as the resolver path
    shows it) when this row names none: an event from the command line by the SYSTEM actor."""

    relation: Relation
    constant: Any


@dataclass(frozen=True)
class ValueList:
    """The values of `column` of the `table` rows whose `remote` column is this row's id,
    in `column` order: a list of scalars (a campaign's report years)."""

    table: str
    column: str
    remote: str


@dataclass(frozen=True)
class NowBetween:
    """Whether the request's clock lies between two columns of the row, both included
    (the Python form beside it compares the same two times with now_utc())."""

    low: str
    high: str


@dataclass(frozen=True)
class SumOf:
    """The exact sum of decimal columns."""

    columns: tuple[str, ...]


@dataclass(frozen=True)
class FlagList:
    """A list of enum members, one per boolean column that is true, in this order."""

    flags: tuple[tuple[str, Enum], ...]

    def of(self, row: Any) -> list[Any]:
        return [member for column, member in self.flags if getattr(row, column)]


@dataclass(frozen=True)
class ScopedId:
    """The id of a computed row (gql/nodes.py scoped_id): the type and these columns.
    `type_name`: another type's id (a reminder's notice), null when its one column is."""

    columns: tuple[str, ...]
    type_name: str | None = None


@dataclass(frozen=True)
class Percent:
    """`numerator` as a percentage of `denominator` (a column, or `relation__column`), two
    decimals rounded half-even, null when the denominator is null or 0: the SQL form of
    models/oversight.py target_percent (counts: neither side is negative)."""

    numerator: str
    denominator: str


@dataclass(frozen=True)
class EditLock:
    """What a form's status and window say now (models/workflow.py, in SQL beside it:
    gql/compiled/locks.py). shows: `lock`, why it cannot be changed (a `Lock` object, null
    when it can: edit_lock_of); `editable`, whether it can; `next_step`, next_step()."""

    status: Lookup
    window: WindowPart  # its tables and its extensions' row rule (any part)
    shows: str = "lock"


@dataclass(frozen=True)
class FormLock:
    """What EditLock shows, from columns of the row that hold the form's status and its
    window's ends (a year's report: a derived table's row, gql/compiled/reports.py)."""

    status: str = "status"
    opens: str = "opens_at"
    closes: str = "deadline"
    shows: str = "lock"


@dataclass(frozen=True)
class LineWarnings:
    """A report line's warnings (models/soft_checks.py line_warnings, its SQL form in
    gql/compiled/line_checks.py): the row's figures against the undertaking `planned` (a
    declared to-one relation) reaches."""

    planned: str = "undertaking"


@dataclass(frozen=True)
class Form:
    """An organisation's form for a campaign (a type declared over the organisation's own
    row): the campaign named by the field's `campaignCode`, else the newest; null for rows
    outside `scope` (gql/declarations/resolve.py declaration_of: those who manage it)."""

    scope: Scope


FieldSql = (Column | Embedded | ScopedId | Percent | Relation | SumOf | FlagList | Lookup
            | WindowPart | EditLock | FormLock | Form | ViewRow | RuleRows | ValueList
            | NowBetween | Through | RowSql | JsonKey | LineWarnings | SelectRows | JsonObject
            | JsonRows | OrConstant | Paged | Given | ViewRows)


@dataclass(frozen=True)
class SqlType:
    type_name: str
    table: str | None  # None: embedded in its owner's row
    fields: Mapping[str, FieldSql] = field(default_factory=dict)
    # A relay.Node: `id` is the global id of the `id` column; `node(id:)` and loads by id
    # see the rows of `scope` (None: every row).
    node: bool = False
    scope: Scope | None = None

    @property
    def columns(self) -> dict[str, str]:
        return {name: f.name or name for name, f in self.fields.items() if isinstance(f, Column)}

    def values(self, row: Any) -> dict[str, Any]:
        """The strawberry object's column fields from a model row (the resolver path)."""
        return {name: getattr(row, column) for name, column in self.columns.items()}


REGISTRY: dict[str, SqlType] = {}


def declare(type_name: str, table: str | None, *, node: bool = False,
            scope: Scope | None = None, columns: tuple[str, ...] = (),
            each: Mapping[str, FieldSql] | None = None, **fields: FieldSql) -> SqlType:
    """Declare a GraphQL type's SQL form: `columns` are plain columns named as the fields,
    `each` and the keywords the other fields by python name."""
    all_fields: dict[str, FieldSql] = {name: Column() for name in columns}
    all_fields.update(each or {})
    all_fields.update(fields)
    sql = SqlType(type_name, table, all_fields, node=node, scope=scope)
    REGISTRY[type_name] = sql
    return sql
