"""The input types' own builders (gql/input_building.py) against strawberry's conversion.

For every input type of the schema, generated input values (fields sent or left out, nulls,
lists, nested inputs, leaves that are unique objects) are converted both ways: by the
builders, and by strawberry's `convert_argument` with the builders taken away. The two must
give the same classes holding the very same leaves, with lists copied, never shared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.types.arguments import convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.lazy_type import LazyType

from gql.schema import build_schema

SCHEMA = build_schema(production=True)
CONFIG = SCHEMA.config
REGISTRY = SCHEMA.schema_converter.scalar_registry
INPUTS = {name: concrete.definition
          for name, concrete in SCHEMA.schema_converter.type_map.items()
          if isinstance(concrete.definition, StrawberryObjectDefinition)
          and concrete.definition.is_input}


class Leaf:
    """A leaf value as graphql-core hands it over: kept as it is, so compared by identity."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"Leaf({self.n})"


def values(type_: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Input values of a strawberry type, as graphql-core gives them to strawberry."""
    if isinstance(type_, LazyType):
        type_ = type_.resolve_type()
    if isinstance(type_, StrawberryOptional):
        return st.none() | values(type_.of_type, depth)
    if isinstance(type_, StrawberryList):
        return st.lists(values(type_.of_type, depth + 1), max_size=3 if depth < 2 else 0)
    if has_object_definition(type_) and type_.__strawberry_definition__.is_input:
        return objects(type_.__strawberry_definition__, depth + 1)
    return st.integers().map(Leaf)


def objects(definition: StrawberryObjectDefinition, depth: int) -> st.SearchStrategy[Any]:
    fields = {CONFIG.name_converter.from_field(f): values(
        f.resolve_type(type_definition=definition), depth) for f in definition.fields}
    # Any field may be missing: graphql-core has already refused a required one left out,
    # and the conversions must agree whatever they are given.
    return st.fixed_dictionaries({}, optional=fields)


@contextmanager
def strawberry_only() -> Iterator[None]:
    kept = {name: d.from_input for name, d in INPUTS.items()}
    for d in INPUTS.values():
        d.from_input = None
    try:
        yield
    finally:
        for name, d in INPUTS.items():
            d.from_input = kept[name]


def same(built: Any, converted: Any, sent: Any) -> None:
    assert type(built) is type(converted)
    if isinstance(converted, list):
        assert built is not sent and len(built) == len(converted)
        for a, b, s in zip(built, converted, sent, strict=True):
            same(a, b, s)
    elif dataclasses.is_dataclass(converted):
        for field in dataclasses.fields(converted):
            name = CONFIG.name_converter.apply_naming_config(field.name)
            same(getattr(built, field.name), getattr(converted, field.name),
                 sent.get(name) if isinstance(sent, dict) else None)
    else:
        assert built is converted  # None, or the very leaf sent


def test_every_input_type_of_the_schema_has_its_builder() -> None:
    assert INPUTS
    missing = [name for name, d in INPUTS.items() if d.from_input is None]
    assert missing == []


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_builder_gives_what_strawberry_gives(name: str) -> None:
    definition = INPUTS[name]
    cls = definition.origin

    @settings(max_examples=60, deadline=None)
    @given(objects(definition, 0))
    def check(sent: dict[str, Any]) -> None:
        built = convert_argument(sent, cls, REGISTRY, CONFIG)
        with strawberry_only():
            converted = convert_argument(sent, cls, REGISTRY, CONFIG)
        same(built, converted, sent)

    check()
