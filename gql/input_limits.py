"""Every string a client sends has a length cap, checked before any resolver runs.

Why here and not in resolvers: a code longer than its column makes the ORM raise its own
ValidationError while building a filter, a million-character search makes SQLite give up on
the LIKE pattern; both used to answer "internal error" with a traceback in the log. One
pre-execution walk over the operation's arguments (literals, variables, nested inputs,
lists, fragments) covers every field, including fields added later, without per-field code.

A cap is chosen by the argument's (or input field's) name: the table below names the ones
that map to a column, a name ending in `Code`/`Number`/`Id` takes the cap of that kind of
column, and any other text takes DEFAULT_TEXT (above every business rule on free text, so
those rules still answer with their own payload errors). A value that is stored rather than
looked up and has a business rule of its own (`targetUnit`: INVALID_VALUE) is left to it.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from gql.errors import ApiError
from models.account import User
from models.audit import AuditRecord
from models.catalog import Campaign, TaskEntry
from models.errors import Code
from models.org import Organization


def _column(model: Any, name: str) -> int:
    length: int = model._meta.fields_map[name].max_length
    return length


ORG_CODE = _column(Organization, "code")
ENTRY_NUMBER = _column(TaskEntry, "number")
GLOBAL_ID = 100  # base64 of "TypeName:2147483647" is about 40
PASSWORD = 128  # argon2 hashes any length; nobody types more, and a cap keeps hashing cheap
DEFAULT_TEXT = 10_000

MAX_LENGTH: dict[str, int] = {
    "code": ORG_CODE,
    "campaignCode": _column(Campaign, "code"),
    "number": ENTRY_NUMBER,
    "username": _column(User, "username"),
    "displayName": _column(User, "display_name"),
    "password": PASSWORD,
    "oldPassword": PASSWORD,
    "newPassword": PASSWORD,
    "title": 500,
    "search": 100,
    # The operation log's filter (models/audit.py columns).
    "operation": _column(AuditRecord, "operation"),
    "outcome": _column(AuditRecord, "outcome"),
    "kind": _column(AuditRecord, "kind"),
    "target": 100,
    # Keyset cursors hold the row's sort key: an organisation's name (up to 200 characters,
    # 3 bytes each in UTF-8) and code, in base64.
    "after": 1024,
    "before": 1024,
}
SUFFIXES: tuple[tuple[str, int], ...] = (
    ("Code", ORG_CODE), ("Number", ENTRY_NUMBER), ("Id", GLOBAL_ID), ("Ids", GLOBAL_ID))


def max_length(name: str, type_name: str = "String") -> int:
    """The cap of a string sent as argument or input field `name`."""
    if name in MAX_LENGTH:
        return MAX_LENGTH[name]
    return _cap_by_suffix(name, type_name)


@functools.lru_cache(maxsize=1024)  # a schema's few names, asked for every string sent
def _cap_by_suffix(name: str, type_name: str) -> int:
    for suffix, cap in SUFFIXES:
        if name.endswith(suffix):
            return cap
    return GLOBAL_ID if type_name == "ID" else DEFAULT_TEXT


def too_long(path: str, value: str, cap: int) -> ApiError:
    return ApiError(Code.BAD_USER_INPUT,
                    f"参数 {path} 超过 {cap} 个字符的上限（收到 {len(value)} 个）",
                    reason="TOO_LONG", argument=path)


def nul_character(path: str) -> ApiError:
    # PostgreSQL text cannot hold U+0000: asyncpg fails on it ("internal error" before).
    return ApiError(Code.BAD_USER_INPUT, f"参数 {path} 不能包含空字符（U+0000）",
                    reason="INVALID_CHARACTER", argument=path)


def check_text(name: str, value: str, path: str | None = None) -> None:
    """Refuse `value` sent as `name` if it is longer than its cap or holds U+0000 (also for
    HTTP routes)."""
    cap = max_length(name)
    if len(value) > cap:
        raise too_long(path or name, value, cap)
    if "\x00" in value:
        raise nul_character(path or name)


_MISSING = object()


def _strings(value: Any, type_: GraphQLInputType, name: str, path: str,
             variables: Mapping[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(name, path, text, scalar name) of every string inside an argument's value."""
    if isinstance(value, VariableNode):
        value = variables.get(value.name.value, _MISSING)
        if value is _MISSING:
            return
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        items = value.values if isinstance(value, ListValueNode) else value
        if not isinstance(items, list | tuple):
            items = [items]  # a single value stands for a list of one
        for index, item in enumerate(items):
            yield from _strings(item, type_.of_type, name, f"{path}.{index}", variables)
    elif isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, ObjectValueNode):
            pairs: list[tuple[str, Any]] = [(f.name.value, f.value) for f in value.fields]
        elif isinstance(value, dict):
            pairs = list(value.items())
        else:
            return
        for key, item in pairs:
            field = type_.fields.get(key)
            if field is not None:
                yield from _strings(item, field.type, key, f"{path}.{key}", variables)
    elif isinstance(value, StringValueNode):
        yield name, path, value.value, getattr(type_, "name", "")
    elif isinstance(value, str):
        yield name, path, value, getattr(type_, "name", "")


def _fine(value: Any, type_: GraphQLInputType, name: str,
          variables: Mapping[str, Any]) -> bool:
    """Whether every string inside an argument's value is within its cap and free of
    U+0000: _strings' walk without its paths, for the common case (a save's hundreds of
    values, all fine); the first value that is not is then found again by _strings."""
    if isinstance(value, VariableNode):
        value = variables.get(value.name.value, _MISSING)
        if value is _MISSING:
            return True
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        items = value.values if isinstance(value, ListValueNode) else value
        if not isinstance(items, list | tuple):
            items = [items]
        inner = type_.of_type
        return all(_fine(item, inner, name, variables) for item in items)
    if isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, ObjectValueNode):
            pairs: list[tuple[str, Any]] = [(f.name.value, f.value) for f in value.fields]
        elif isinstance(value, dict):
            pairs = list(value.items())
        else:
            return True
        fields = type_.fields
        for key, item in pairs:
            field = fields.get(key)
            if field is not None and not _fine(item, field.type, key, variables):
                return False
        return True
    if isinstance(value, StringValueNode):
        value = value.value
    elif not isinstance(value, str):
        return True
    return len(value) <= max_length(name, getattr(type_, "name", "")) and "\x00" not in value


# (argument value, its declared type, its name) of every argument in a document, in
# document order. The walk with TypeInfo is most of this check's cost; it depends on the
# document only, and ParserCache hands back the same DocumentNode for the same text, so it
# is done once per document (keyed by identity, the node kept alive beside its sites).
Site = tuple[Any, GraphQLInputType, str]
SITES_CACHE_SIZE = 512
_sites: OrderedDict[int, tuple[DocumentNode, list[Site]]] = OrderedDict()


def _walk_sites(schema: GraphQLSchema, document: DocumentNode) -> list[Site]:
    type_info = TypeInfo(schema)
    sites: list[Site] = []

    class Arguments(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            field = type_info.get_field_def()
            if field is None:
                return
            for argument in node.arguments or ():
                definition = field.args.get(argument.name.value)
                if definition is not None:
                    sites.append((argument.value, definition.type, argument.name.value))

    visit(document, TypeInfoVisitor(type_info, Arguments()))
    return sites


def argument_sites(schema: GraphQLSchema, document: DocumentNode) -> list[Site]:
    entry = _sites.get(id(document))
    if entry is not None and entry[0] is document:
        _sites.move_to_end(id(document))
        return entry[1]
    sites = _walk_sites(schema, document)
    _sites[id(document)] = (document, sites)
    while len(_sites) > SITES_CACHE_SIZE:
        _sites.popitem(last=False)
    return sites


def check_document(schema: GraphQLSchema, document: DocumentNode,
                   variables: Mapping[str, Any]) -> None:
    """Raise BAD_USER_INPUT for the first string over its cap, anywhere in the document."""
    # A variable left out takes its default, which is a literal in the document.
    values: dict[str, Any] = {
        d.variable.name.value: d.default_value
        for o in document.definitions if isinstance(o, OperationDefinitionNode)
        for d in o.variable_definitions or () if d.default_value is not None}
    values.update(variables)
    for value, type_, name in argument_sites(schema, document):
        if _fine(value, type_, name, values):
            continue
        for key, path, text, scalar in _strings(value, type_, name, name, values):
            cap = max_length(key, scalar)
            if len(text) > cap:
                raise too_long(path, text, cap)
            if "\x00" in text:
                raise nul_character(path)


class InputLimits(SchemaExtension):
    """Runs check_document before execution (queries, mutations and subscriptions)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            check_document(context.schema._schema, context.graphql_document,
                           context.variables or {})
        yield
