"""A strawberry extension: names the request's operation, counts its errors by code."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gql.observability import metrics
from gql.observability.fields import set_operation
from gql.outage import failing


def _name(extension: SchemaExtension) -> None:
    try:
        set_operation(extension.execution_context.operation_name)
    except Exception:  # an unparsable document has no operation to name
        set_operation(None)


def error_code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    # No code: graphql-core's own refusals (syntax, validation) or a masked exception.
    return "GRAPHQL_VALIDATION_FAILED" if error.original_error is None and error.message != (
        "internal error") else "INTERNAL_ERROR"


class ObserveOperation(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        _name(self)  # before the resolvers run, so their log lines carry it
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        _name(self)  # also for a document refused before execution
        if failing():
            return  # the answer becomes a 503, counted as SERVICE_UNAVAILABLE
        for error in (getattr(self.execution_context.result, "errors", None) or []):
            metrics.count_error(error_code(error))
