"""How errors leave the API.

- Expected errors (`TaxreconError`) keep their message and carry `extensions.code` (and `field` where known).
- Query limits (depth, tokens, aliases) and invalid documents carry `QUERY_LIMIT_EXCEEDED` / `GRAPHQL_VALIDATION_FAILED`.
- Everything else is a bug: logged with its traceback, and the caller sees only "Unexpected error." with code
  `INTERNAL_ERROR` — never a stack trace, a SQL statement or a secret.
"""

from __future__ import annotations

import logging
from graphql import GraphQLError

from app.errors import TaxreconError

log = logging.getLogger("app.graphql")

LIMIT_MARKERS = ("exceeds maximum operation depth", "maximum number of tokens", "more than", "aliases")


def _classify(error: GraphQLError) -> None:
    """Set the code (and mask the message of unexpected errors) in place: strawberry keeps references to the error
    objects in several lists depending on the phase (parse, validation, execution), so mutate, never replace."""
    if error.extensions and error.extensions.get("code"):
        return
    original = error.original_error
    if isinstance(original, TaxreconError):
        error.message = original.message
        error.extensions = {"code": original.code, **({"field": original.field} if original.field else {})}
    elif original is None:
        limited = any(marker in error.message for marker in LIMIT_MARKERS)
        error.extensions = {"code": "QUERY_LIMIT_EXCEEDED" if limited else "GRAPHQL_VALIDATION_FAILED"}
    else:
        log.error("unexpected error in GraphQL resolver at %s: %s", error.path, type(original).__name__,
                  exc_info=(type(original), original, original.__traceback__))
        error.message = "Unexpected error."
        error.original_error = None
        error.extensions = {"code": "INTERNAL_ERROR"}


def classify_errors(errors: list[GraphQLError]) -> None:
    """Entry point for the schema's `process_errors`, which strawberry calls for errors of every phase."""
    for error in errors:
        _classify(error)
