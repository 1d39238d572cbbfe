"""Generated read documents: hypothesis-graphql draws selections over the Query root (nested,
with inline fragments on interfaces), then each document is dressed the way clients write
them: argument values taken from the dataset (real codes, ids, cursors, years, and some
that do not exist), some of them passed as variables, aliases, named fragments, __typename,
@include/@skip. Deterministic: a fixed seed and a fixed number of documents."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import graphql
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    NameNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, queries

# Values that are not in the dataset, for the not-found and refused answers.
UNKNOWN: dict[str, list[Any]] = {
    "code": ["4199999999", "41"], "number": ["99", "3.9"], "campaignCode": ["2019-2020"],
    "year": [2020, 2024], "first": [0, -1, 101], "after": ["bm9wZQ=="],
    "id": ["T3JnYW5pemF0aW9uOjk5OTk5", "VW5kZXJ0YWtpbmc6MQ==", "bm9wZQ",
           # Organization:99999999999, Organization:-1, TaskEntry:1.5, "User: 1", Organization:0
           "T3JnYW5pemF0aW9uOjk5OTk5OTk5OTk5", "T3JnYW5pemF0aW9uOi0x", "VGFza0VudHJ5OjEuNQ==",
           "VXNlcjogMQ==", "T3JnYW5pemF0aW9uOjA="],
    # LIKE wildcards and an escape character must match literally on both paths.
    "search": ["%", "_", "4199_", "\\", " 郑州 "],
}
ALIASES = {"organizationCode": "code", "parentCode": "code", "cityCode": "code",
           "undertakingId": "id"}


@dataclass(frozen=True)
class Generated:
    query: str
    variables: dict[str, Any]


def _value_node(value: Any) -> Any:
    if value is None:
        return NullValueNode()
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, int):
        return IntValueNode(value=str(value))
    return StringValueNode(value=str(value))


def _json_value(node: Any) -> tuple[bool, Any]:
    """A literal as a variable's JSON value; (False, None) when it is not a plain literal."""
    if isinstance(node, NullValueNode):
        return True, None
    if isinstance(node, BooleanValueNode):
        return True, node.value
    if isinstance(node, IntValueNode):
        return True, int(node.value)
    if isinstance(node, StringValueNode | graphql.EnumValueNode):
        return True, node.value
    return False, None


class Dresser:
    """Rewrites one drawn document with a seeded random source."""

    def __init__(self, schema: GraphQLSchema, pools: dict[str, list[Any]],
                 rnd: random.Random) -> None:
        self.schema, self.pools, self.rnd = schema, pools, rnd
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self.fragments: list[FragmentDefinitionNode] = []

    def chance(self, p: float) -> bool:
        return self.rnd.random() < p

    def variable(self, type_: Any, value: Any) -> VariableNode:
        name = f"v{len(self.definitions)}"
        self.definitions.append(VariableDefinitionNode(
            variable=VariableNode(name=NameNode(value=name)),
            type=graphql.parse_type(str(type_))))
        self.variables[name] = value
        return VariableNode(name=NameNode(value=name))

    def argument(self, arg: ArgumentNode, definition: graphql.GraphQLArgument) -> ArgumentNode:
        name = arg.name.value
        pool = self.pools.get(ALIASES.get(name, name))
        value = arg.value
        if pool and self.chance(0.85):
            value = _value_node(self.rnd.choice(pool))
        plain, json_value = _json_value(value)
        if plain and self.chance(0.35):
            value = self.variable(definition.type, json_value)
        return ArgumentNode(name=arg.name, value=value)

    def directive(self) -> DirectiveNode:
        keep = self.chance(0.5)
        name = "include" if self.chance(0.5) else "skip"
        condition = keep if name == "include" else not keep
        value: Any = BooleanValueNode(value=condition)
        if self.chance(0.5):
            value = self.variable("Boolean!", condition)
        return DirectiveNode(name=NameNode(value=name), arguments=(
            ArgumentNode(name=NameNode(value="if"), value=value),))

    def selections(self, selection_set: SelectionSetNode, parent: Any) -> SelectionSetNode:
        out: list[Any] = []
        for node in selection_set.selections:
            if isinstance(node, InlineFragmentNode):
                on = self.schema.get_type(node.type_condition.name.value)  # type: ignore[union-attr]
                out.append(InlineFragmentNode(type_condition=node.type_condition,
                                              selection_set=self.selections(node.selection_set,
                                                                            on)))
            elif isinstance(node, FieldNode):
                out.append(self.field(node, parent))
        if self.chance(0.15):
            out.insert(self.rnd.randrange(len(out) + 1),
                       FieldNode(name=NameNode(value="__typename")))
        return SelectionSetNode(selections=tuple(out))

    def field(self, node: FieldNode, parent: Any) -> Any:
        definition = parent.fields[node.name.value]
        args = tuple(self.argument(a, definition.args[a.name.value]) for a in node.arguments)
        alias = NameNode(value=f"a{self.rnd.randrange(100)}_{node.name.value}") if self.chance(
            0.15) else None
        directives = (self.directive(),) if self.chance(0.1) else ()
        selection_set = None
        if node.selection_set is not None:
            target = graphql.get_named_type(definition.type)
            selection_set = self.selections(node.selection_set, target)
            if self.chance(0.12):
                name = f"F{len(self.fragments)}"
                self.fragments.append(FragmentDefinitionNode(
                    name=NameNode(value=name),
                    type_condition=NamedTypeNode(name=NameNode(value=target.name)),
                    selection_set=selection_set))
                selection_set = SelectionSetNode(selections=(
                    FragmentSpreadNode(name=NameNode(value=name)),))
        return FieldNode(alias=alias, name=node.name, arguments=args, directives=directives,
                         selection_set=selection_set)

    def dress(self, document: DocumentNode) -> Generated:
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        root = self.schema.query_type
        selection_set = self.selections(operation.selection_set, root)
        name = NameNode(value=f"Q{self.rnd.randrange(1000)}") if self.chance(0.5) else None
        dressed = OperationDefinitionNode(
            operation=graphql.OperationType.QUERY, name=name,
            variable_definitions=tuple(self.definitions), selection_set=selection_set)
        text = graphql.print_ast(DocumentNode(definitions=(dressed, *self.fragments)))
        return Generated(text, self.variables)


def collect(strategy: st.SearchStrategy[Any], count: int, number: int) -> list[Any]:
    """`count` examples of a strategy, the same ones every run."""
    drawn: list[Any] = []

    @seed(number)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(strategy, st.integers(0, 2**32)))
    def run(example: tuple[Any, int]) -> None:
        drawn.append(example)

    run()
    return drawn


def documents(schema: GraphQLSchema, pools: dict[str, list[Any]], count: int, number: int = 9,
              *, negative: int = 0, fields: list[str] | None = None) -> list[Generated]:
    """Valid read documents over the Query root (or only its `fields`), dressed; plus
    `negative` documents with one schema violation each (they must be refused identically)."""
    def identity(document: DocumentNode) -> DocumentNode:
        return document

    merged = {k: [*pools.get(k, []), *UNKNOWN.get(k, [])] for k in {*pools, *UNKNOWN}}
    scalars: dict[str, st.SearchStrategy[Any]] = {
        "DateTime": st.sampled_from(["2021-01-01T00:00:00+08:00"]).map(_value_node),
        "Decimal": st.sampled_from(["1.50", "0"]).map(_value_node),
    }
    valid: Callable[..., Any] = queries
    strategy = valid(schema, fields=fields, print_ast=identity, custom_scalars=scalars,
                     allow_x00=False)
    out = [Dresser(schema, merged, random.Random(salt)).dress(copy.deepcopy(doc))
           for doc, salt in collect(strategy, count, number)]
    if negative:
        wrong = queries(schema, custom_scalars=scalars, allow_x00=False, mode=Mode.NEGATIVE)
        out += [Generated(text, {}) for text, _ in collect(wrong, negative, number + 1)]
    return out
