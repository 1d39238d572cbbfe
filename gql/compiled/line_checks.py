"""The SQL form of a report line's warnings (models/soft_checks.py line_warnings), beside the
Python form, from the same words: its checks in their order, over integer cents (the line's
amounts and the undertaking's hold two decimals, so the cents are exact, and their sums print
as Decimal prints the sums of the amounts).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from gql.compiled.locks import literal
from gql.compiled.plan import Leaf
from gql.compiled.render import checked
from models.soft_checks import (
    ACHIEVED_ABOVE,
    SOURCE_WORDS,
    SOURCES_ABOVE,
    SOURCES_JOINED,
    SPENT_ABOVE,
    Check,
)
from models.undertaking import FUNDING_SOURCES

if TYPE_CHECKING:
    from gql.compiled.render import Renderer


def render_line_warnings(r: Renderer, leaf: Leaf, alias: str) -> str:
    """`[{...},...]` of the line at `alias` against the undertaking its `leaf.column` relation
    reaches; each object with the keys and fields the query asked for, in order."""
    d = r.dialect
    (relation,) = leaf.columns

    def line(column: str) -> str:
        return f"{alias}.{checked(column)}"

    def planned(column: str) -> str:
        return r.term(leaf.type_name, f"{checked(relation)}__{checked(column)}", alias)

    def cents(expr: str) -> str:
        return f"CAST(round(({expr}) * 100) AS BIGINT)"

    def words(template: str, *values: str) -> str:
        pieces = template.split("{}")
        out = [literal(pieces[0])]
        for value, piece in zip(values, pieces[1:], strict=True):
            out += [value, literal(piece)]
        return d.quote("(" + " || ".join(out) + ")")

    def warning(code: str, field: str, message: str) -> str:
        parts = []
        for i, (key, name) in enumerate(leaf.names):
            value = {"code": literal(json.dumps(checked(code))),
                     "field": literal(json.dumps(checked(field))), "message": message,
                     "__typename": literal(json.dumps(checked(leaf.element)))}[name]
            parts.append(f"{literal(('' if i == 0 else ',') + json.dumps(checked(key)) + ':')}"
                         f" || {value}")
        return "('{' || " + " || ".join(parts) + " || '},')"

    completed, quantity = line("completed_quantity"), planned("quantity")
    spent = {s: cents(line(s)) for s in FUNDING_SOURCES}
    plan = {s: cents(planned(s)) for s in FUNDING_SOURCES}
    spent_total = "(" + " + ".join(spent.values()) + ")"
    planned_total = "(" + " + ".join(plan.values()) + ")"
    over = " OR ".join(f"{spent[s]} > {plan[s]}" for s in FUNDING_SOURCES)
    # the sources spent above their plan, each after the joiner, the first joiner cut off
    each = " || ".join(f"(CASE WHEN {spent[s]} > {plan[s]} THEN"
                       f" {literal(SOURCES_JOINED + SOURCE_WORDS[s])} ELSE '' END)"
                       for s in FUNDING_SOURCES)
    joined = f"substr({each}, {len(SOURCES_JOINED) + 1})"
    achieved = warning(Check.ACHIEVED_ABOVE_PLAN, "completedQuantity",
                       words(ACHIEVED_ABOVE, d.int_text(completed), d.int_text(quantity)))
    above = warning(Check.SPENT_ABOVE_PLAN, "spent",
                    words(SPENT_ABOVE, d.cents_text(spent_total), d.cents_text(planned_total)))
    sources = warning(Check.SPENT_ABOVE_PLAN, "spent", words(SOURCES_ABOVE, joined))
    items = (f"(CASE WHEN {completed} > {quantity} THEN {achieved} ELSE '' END) ||"
             f" (CASE WHEN {spent_total} > {planned_total} THEN {above}"
             f" WHEN {over} THEN {sources} ELSE '' END)")
    return f"('[' || rtrim({items}, ',') || ']')"
