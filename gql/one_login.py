"""One login or password change per request, checked when the document is validated.

Aliases let one request try many passwords (15 aliased logins tried 15 accounts, five locked
one): so a document may hold `login` and `changePassword` once in all, however they are
reached (aliases, fragments, several operations in one document).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
)

from models.errors import Code

GUARDED = frozenset({"login", "changePassword"})


class OneLoginPerRequest(ValidationRule):
    def enter_document(self, node: Any, *_args: Any) -> None:
        count = sum(self._count(d.selection_set, set()) for d in node.definitions
                    if isinstance(d, OperationDefinitionNode)
                    and d.operation is OperationType.MUTATION)
        if count > 1:
            self.report_error(GraphQLError(
                "每个请求只能包含一次登录或修改密码（login、changePassword）",
                extensions={"code": Code.ONE_LOGIN_PER_REQUEST}))

    def _count(self, selections: SelectionSetNode | None, seen: set[str]) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                total += selection.name.value in GUARDED
            elif isinstance(selection, InlineFragmentNode):
                total += self._count(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                # A fragment spread twice counts twice; a cycle is reported by graphql-core.
                if fragment is not None and name not in seen:
                    total += self._count(fragment.selection_set, seen | {name})
        return total
