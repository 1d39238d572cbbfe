"""The SQL form of what a form's status and window say (models/workflow.py edit_lock_of and
next_step), beside the Python form, from the same words: the branches below are those
functions' checks in their order, and the differential tests hold the two to the same bytes.

The status and the window's ends are computed once, in a derived table correlated with the
form's row, and every branch reads them from there.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from gql.compiled.plan import Leaf
from gql.compiled.render import NOW, checked
from models.declaration import DeclarationStatus as S
from models.errors import Code
from models.workflow import (
    CLOSED,
    NEXT_STEP_CLOSED,
    NEXT_STEP_OPEN,
    NEXT_STEP_RETURNED,
    NEXT_STEP_WAITING,
    NOT_OPEN,
    NOT_STARTED,
    STATUS_LOCKS,
)

if TYPE_CHECKING:
    from gql.compiled.render import Renderer


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render_lock(r: Renderer, leaf: Leaf, alias: str) -> str:
    d = r.dialect
    if leaf.lookup is None:  # a FormLock: columns of the row
        status, opens, closes = (f"{alias}.{checked(c)}" for c in leaf.columns)
    else:
        assert leaf.window is not None
        status = r.looked_up(Leaf(leaf.key, "lookup", lookup=leaf.lookup, rows=leaf.rows),
                             alias)
        opens, closes = (r.looked_up(Leaf(leaf.key, "window",
                                          window=replace(leaf.window, part=p),
                                          rows=leaf.window_rows), alias)
                         for p in ("opens", "closes"))
    w = r.alias()

    def words(template: str, at: str) -> str:
        before, after = template.split("{}")
        return d.quote(f"({literal(before)} || {d.minutes_text(f'{w}.{at}')} ||"
                       f" {literal(after)})")

    def fixed(text: str) -> str:
        return literal(json.dumps(text, ensure_ascii=False))

    def status_is(value: S) -> str:
        return f"{w}.s = {literal(checked(value.value))}"

    def status_branch(value: S) -> tuple[str, str, str]:
        code, message = STATUS_LOCKS[value]
        return status_is(value), str(code), fixed(message)

    branches = [  # (condition, code, message as JSON text): edit_lock_of's order
        status_branch(S.ACCEPTED),
        (f"{w}.o IS NULL OR {w}.c IS NULL", Code.NOT_OPEN_YET, fixed(NOT_OPEN)),
        (f"{r.param(NOW)} < {w}.o", Code.NOT_OPEN_YET, words(NOT_STARTED, "o")),
        (f"{r.param(NOW)} > {w}.c", Code.DEADLINE_PASSED, words(CLOSED, "c")),
        *(status_branch(v) for v in STATUS_LOCKS if v is not S.ACCEPTED),
    ]
    if leaf.kind == "next_step":
        deadline = (f"(CASE WHEN {w}.c IS NULL THEN '' ELSE {d.minutes_text(f'{w}.c')} ||"
                    f" {literal('（北京时间）')} END)")

        def around(template: str) -> str:
            before, after = template.split("{}")
            return d.quote(f"({literal(before)} || {deadline} || {literal(after)})")

        closed = " OR ".join(f"({condition})" for condition, code, _ in branches
                             if code in (Code.NOT_OPEN_YET, Code.DEADLINE_PASSED))
        steps = [*((status_is(v), fixed(text)) for v, text in NEXT_STEP_WAITING.items()),
                 (closed, fixed(NEXT_STEP_CLOSED)),
                 (status_is(S.RETURNED), around(NEXT_STEP_RETURNED))]
        whens = " ".join(f"WHEN {condition} THEN {text}" for condition, text in steps)
        value = f"CASE {whens} ELSE {around(NEXT_STEP_OPEN)} END"
    elif leaf.kind == "editable":
        any_lock = " OR ".join(f"({condition})" for condition, _, _ in branches)
        value = f"CASE WHEN {any_lock} THEN 'false' ELSE 'true' END"
    else:
        whens = " ".join(f"WHEN {condition} THEN {lock_object(leaf, str(code), message)}"
                         for condition, code, message in branches)
        value = f"CASE {whens} ELSE 'null' END"
    return (f"(SELECT {value} FROM (SELECT {status} AS s, {opens} AS o, {closes} AS c)"
            f" {w})")


def lock_object(leaf: Leaf, code: str, message: str) -> str:
    """`{"code":..,"message":..}` with the keys and fields the query asked for, in order."""
    parts = []
    for i, (key, name) in enumerate(leaf.names):
        value = {"code": literal(json.dumps(checked(code))), "message": message,
                 "__typename": literal(json.dumps(checked(leaf.type_name)))}[name]
        parts.append(f"{literal(('' if i == 0 else ',') + json.dumps(checked(key)) + ':')}"
                     f" || {value}")
    return "('{' || " + " || ".join(parts) + " || '}')" if parts else "'{}'"
