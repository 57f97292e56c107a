"""How errors leave the API.

- Expected errors (`TaxreconError`) keep their message and carry `extensions.code` (and `field` where known).
- Query limits (depth, tokens, aliases) and invalid documents carry `QUERY_LIMIT_EXCEEDED` / `GRAPHQL_VALIDATION_FAILED`.
- Everything else is a bug: logged with its traceback, and the caller sees only "Unexpected error." with code
  `INTERNAL_ERROR` — never a stack trace, a SQL statement or a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.errors import TaxreconError

log = logging.getLogger("app.graphql")

LIMIT_MARKERS = ("exceeds maximum operation depth", "maximum number of tokens", "more than", "aliases")


def _classify(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, TaxreconError):
        extensions = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        return GraphQLError(original.message, nodes=error.nodes, path=error.path, extensions=extensions)
    if original is None:
        message = error.message
        code = "QUERY_LIMIT_EXCEEDED" if any(m in message for m in LIMIT_MARKERS) else "GRAPHQL_VALIDATION_FAILED"
        if error.extensions and error.extensions.get("code"):
            return error
        return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, extensions={"code": code})
    log.error("unexpected error in GraphQL resolver at %s", error.path, exc_info=original)
    return GraphQLError("Unexpected error.", nodes=error.nodes, path=error.path, extensions={"code": "INTERNAL_ERROR"})


class ErrorPolicy(SchemaExtension):
    """Applies the policy in the module docstring to every result (after validation and after execution)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_classify(error) for error in result.errors]
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = [_classify(error) for error in pre]
