"""Input types that build themselves from a plan made once, not by strawberry's walk.

Strawberry turns a mutation's input value into its input classes field by field on every
request (`convert_argument`): for each field it asks again for the field's GraphQL name,
resolves its type and works out what kind of type it is. A school's save of 10 rows is some
500 such steps, about half a millisecond of every save. Strawberry lets a type build itself
instead (`StrawberryObjectDefinition.from_input`, strawberry >= 0.341): here each input
type of the schema gets a builder whose per-field converters are worked out once.

Each converter does exactly what `convert_argument` does for that type (the differential
test in tests/test_input_building.py compares the two on every input type of the schema):
None and UNSET pass through, a list is copied, leaves (scalars, enums) are kept as they
are, and a nested input is built by its own builder. What has more to it (Maybe's `Some`,
a GlobalID to decode, another integration's own `from_input`) is left to strawberry, field
by field, through `InputContext.convert`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any, InputContext], Any]
Registry = Mapping[object, Any]


def _keep(value: Any, _context: InputContext) -> Any:
    return value


def _copy_list(value: Any, _context: InputContext) -> Any:
    # As strawberry: a list of leaves is still copied, because graphql-core hands the same
    # default to every request that leaves the value out.
    return value if value is None or value is UNSET else list(value)


def _is_leaf(type_: Any, registry: Registry) -> bool:
    if isinstance(type_, LazyType):
        type_ = type_.resolve_type()
    if type_ is GlobalID:
        return False
    return (is_scalar(type_, registry) or isinstance(type_, StrawberryEnumDefinition)
            or has_enum_definition(type_))


def _converter(type_: Any, registry: Registry) -> Convert | None:
    """What convert_argument does for values of `type_`, or None: leave it to strawberry."""
    if isinstance(type_, StrawberryMaybe):
        return None
    if isinstance(type_, StrawberryOptional):
        return _converter(type_.of_type, registry)  # None passes every converter below
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), registry)
    if isinstance(type_, StrawberryList):
        inner = type_.of_type
        if _is_leaf(inner, registry) or (isinstance(inner, StrawberryOptional)
                                         and _is_leaf(inner.of_type, registry)):
            return _copy_list
        each = _converter(inner, registry)
        if each is None:
            return None

        def convert_list(value: Any, context: InputContext) -> Any:
            if value is None or value is UNSET:
                return value
            return [each(x, context) for x in value]

        return convert_list
    if _is_leaf(type_, registry):
        return _keep
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        ours = _builder_of(definition)
        if ours is None or definition.from_input is not ours:
            return None  # not one of ours: another integration's own builder
        cls, nested = type_, _BUILDERS[id(definition)]

        def convert_input(value: Any, context: InputContext) -> Any:
            if value is None or value is UNSET:
                return value
            return nested(cls, value, context)

        return convert_input
    return None


_BUILDERS: dict[int, Callable[..., Any]] = {}  # id(definition) -> its builder


def _builder_of(definition: StrawberryObjectDefinition) -> Callable[..., Any] | None:
    return _BUILDERS.get(id(definition))


def _plan(definition: StrawberryObjectDefinition, config: StrawberryConfig,
          registry: Registry) -> list[tuple[str, str, Any, Convert | None]]:
    """Per field: its GraphQL name, Python name, type, and converter (None: strawberry's)."""
    plan = []
    for field in definition.fields:
        type_ = field.resolve_type(type_definition=definition)
        plan.append((config.name_converter.from_field(field), field.python_name, type_,
                     _converter(type_, registry)))
    return plan


def install(schema: Any) -> None:
    """Give every input type of the schema its builder (once per type, for all schemas)."""
    config: StrawberryConfig = schema.config
    registry: Registry = schema.schema_converter.scalar_registry
    inputs = [concrete.definition for concrete in schema.schema_converter.type_map.values()
              if isinstance(concrete.definition, StrawberryObjectDefinition)
              and concrete.definition.is_input
              and not concrete.definition.is_graphql_generic
              and concrete.definition.from_input is None]
    # Builders first, plans after: a nested input's converter calls its type's builder,
    # which must be known to be ours when the plan is made.
    plans: dict[int, list[tuple[str, str, Any, Convert | None]]] = {}
    for definition in inputs:
        _BUILDERS[id(definition)] = definition.from_input = _builder(definition, plans)
    for definition in inputs:
        plans[id(definition)] = _plan(definition, config, registry)


def _builder(definition: StrawberryObjectDefinition,
             plans: dict[int, list[tuple[str, str, Any, Convert | None]]]
             ) -> Callable[[type, Mapping[str, Any], InputContext], Any]:
    # As strawberry: a field with no default is None unless sent (graphql-core has already
    # refused a required one left out); one with a default keeps the class's.
    unset = {field.python_name: None for field in definition.fields
             if field.default_value is MISSING and field.default_factory is MISSING}
    key = id(definition)

    def build(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        kwargs: dict[str, Any] = dict(unset)
        for graphql_name, python_name, type_, convert in plans[key]:
            if graphql_name in value:
                raw = value[graphql_name]
                kwargs[python_name] = (convert(raw, context) if convert is not None
                                       else context.convert(raw, type_, graphql_name))
        return cls(**kwargs)

    return build
