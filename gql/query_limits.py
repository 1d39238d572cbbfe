"""Validation rules that refuse an expensive document before anything runs.

- QueryCost: the rows a document may return, estimated like GitHub's node limit. Every
  list field multiplies what is selected under it: a connection by its `first` (a variable
  counts as the largest page), its `edges` by nothing more, any other list by LIST_ESTIMATE
  (a city's schools, a school's undertakings, a heading's items are all well below it).
  The estimate is the sum over list fields of the product of their multipliers along the
  path; above MAX_ESTIMATED_ROWS the document is refused with QUERY_TOO_COMPLEX. Depth and
  alias limits alone let 15 aliases of four nested lists through (millions of rows).
- DirectiveLimit: at most MAX_DIRECTIVES directives in a document (each is evaluated per
  field and per row; thousands of `@include(if: true)` cost work and prove nothing).
- FragmentExpansionLimit (right after parsing, before any validation): at most
  MAX_EXPANDED_FIELDS fields once fragments are expanded. strawberry's depth and alias
  limiters walk every path through the fragments without memory, so 18 fragments that each
  spread the next twice (200 tokens) kept a worker busy for 17 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from gql.errors import ApiError
from gql.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

LIST_ESTIMATE = 50
MAX_ESTIMATED_ROWS = 500_000
MAX_DIRECTIVES = 30
MAX_EXPANDED_FIELDS = 5000
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _page_size(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(0, min(int(argument.value.value), MAX_PAGE_SIZE))
            return MAX_PAGE_SIZE  # a variable: assume the largest page
    return DEFAULT_PAGE_SIZE


class QueryCost(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        # Rows per use of each fragment, computed once: a fragment spread twice in a
        # fragment spread twice... must not make this rule itself exponential.
        self.fragment_rows: dict[str, int] = {}

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        root = self.context.schema.get_root_type(node.operation)
        if root is None:
            return
        estimate = self._rows(node.selection_set, root, frozenset())
        if estimate > MAX_ESTIMATED_ROWS:
            self.report_error(ApiError(
                QUERY_TOO_COMPLEX,
                f"查询过于复杂：预计返回约 {estimate} 行，上限 {MAX_ESTIMATED_ROWS} 行；"
                "请减少嵌套的列表或别名，或分页查询", estimate=estimate,
                limit=MAX_ESTIMATED_ROWS))

    def _rows(self, selection_set: SelectionSetNode | None, parent: Any,
              visiting: frozenset[str]) -> int:
        """Estimated rows under one object of type `parent`."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = getattr(parent, "fields", {}).get(selection.name.value)
                if field is None:
                    continue  # __typename, introspection, or an unknown field (refused anyway)
                factor = 1
                if "first" in field.args:
                    factor = _page_size(selection)
                elif _is_list(field.type) and not parent.name.endswith("Connection"):
                    factor = LIST_ESTIMATE
                counted = 1 if factor != 1 or _is_list(field.type) else 0
                below = self._rows(selection.selection_set, get_named_type(field.type),
                                   visiting)
                total += factor * (counted + below)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = (self.context.schema.get_type(condition.name.value) if condition
                         else parent)
                total += self._rows(selection.selection_set, type_, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, visiting)
        return total

    def _fragment(self, name: str, visiting: frozenset[str]) -> int:
        if name in self.fragment_rows:
            return self.fragment_rows[name]
        fragment = self.context.get_fragment(name)
        if fragment is None or name in visiting:
            return 0  # unknown or cyclic: other rules refuse it
        type_ = self.context.schema.get_type(fragment.type_condition.name.value)
        rows = self._rows(fragment.selection_set, type_, visiting | {name})
        self.fragment_rows[name] = rows
        return rows


class DirectiveLimit(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.count += 1
        if self.count == MAX_DIRECTIVES + 1:
            self.report_error(ApiError(
                TOO_MANY_DIRECTIVES, f"指令过多：一个请求最多 {MAX_DIRECTIVES} 个指令",
                limit=MAX_DIRECTIVES))


def expanded_fields(document: DocumentNode) -> int:
    """Fields of the document's operations with every fragment spread expanded (each
    fragment counted once, then reused: linear in the document)."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    sizes: dict[str, int] = {}

    def size(selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in sizes and name in fragments and name not in visiting:
                    sizes[name] = size(fragments[name].selection_set, visiting | {name})
                total += sizes.get(name, 0)
        return total

    return sum(size(d.selection_set, frozenset()) for d in document.definitions
               if isinstance(d, OperationDefinitionNode))


class FragmentExpansionLimit(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        if document is not None:
            count = expanded_fields(document)
            if count > MAX_EXPANDED_FIELDS:
                raise ApiError(QUERY_TOO_COMPLEX,
                               f"查询过于复杂：展开片段后共 {count} 个字段，上限"
                               f" {MAX_EXPANDED_FIELDS} 个", limit=MAX_EXPANDED_FIELDS)
