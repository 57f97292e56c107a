"""Shopify's error shapes: invalid documents, access denied, throttling, cost limits, authentication."""

from __future__ import annotations

import re

from graphql import GraphQLError

ACCESS_DOCS = "https://shopify.dev/api/usage/access-scopes"
COST_DOCS = "https://shopify.dev/api/usage/rate-limits"
UNAUTHORIZED_BODY = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}

# graphql-core validation messages → Shopify's (graphql-ruby) wording and codes.
_TRANSLATIONS: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"Cannot query field '(?P<f>[^']+)' on type '(?P<t>[^']+)'\..*"),
     "Field '{f}' doesn't exist on type '{t}'", "undefinedField"),
    (re.compile(r"Unknown argument '(?P<a>[^']+)' on field '(?P<t>[^.']+)\.(?P<f>[^']+)'\..*"),
     "Field '{f}' doesn't accept argument '{a}'", "argumentNotAccepted"),
    (re.compile(r"Field '(?P<t>[^.']+)\.(?P<f>[^']+)' argument '(?P<a>[^']+)' of type '(?P<y>[^']+)' is required.*"),
     "Field '{f}' is missing required arguments: {a}", "missingRequiredArguments"),
    (re.compile(r"Unknown type '(?P<t>[^']+)'\..*"), "No such type {t}, so it can't be a fragment condition",
     "undefinedType"),
    (re.compile(r"Variable '\$(?P<v>[^']+)' is never used.*"), "Variable ${v} is declared by anonymous query but "
     "not used", "variableNotUsed"),
    (re.compile(r"Variable '\$(?P<v>[^']+)' is not defined.*"), "Variable ${v} is used but not declared",
     "variableNotDefined"),
    (re.compile(r"Field '(?P<f>[^']+)' of type '(?P<y>[^']+)' must have a selection of subfields.*"),
     "Field must have selections (field '{f}' returns {y} but has no selections. Did you mean '{f} {{ ... }}'?)",
     "selectionMismatch"),
    (re.compile(r"Field '(?P<f>[^']+)' must not have a selection since type '(?P<y>[^']+)' has no subfields.*"),
     "Selections can't be made on scalars (field '{f}' returns {y} but has selections [...])", "selectionMismatch"),
]


def _locations(error: GraphQLError) -> list[dict]:
    return [{"line": loc.line, "column": loc.column} for loc in (error.locations or [])]


def validation_error(error: GraphQLError) -> dict:
    """One invalid-document error in Shopify's shape (message, locations, extensions.code)."""
    message = error.message
    for pattern, template, code in _TRANSLATIONS:
        match = pattern.match(message)
        if match:
            return {"message": template.format(**match.groupdict()), "locations": _locations(error),
                    "extensions": {"code": code, **{k: v for k, v in match.groupdict().items()
                                                     if k in ("t", "f")}}}
    code = "parseError" if message.startswith("Syntax Error") else "invalidDocument"
    return {"message": message, "locations": _locations(error), "extensions": {"code": code}}


def access_denied(field_name: str, scopes: tuple[str, ...], nodes, path: list | None = None) -> GraphQLError:
    required = " or ".join(f"`{s}`" for s in scopes) + " access scope."
    return GraphQLError(
        f"Access denied for {field_name} field. Required access: {required}", nodes, path=path,
        extensions={"code": "ACCESS_DENIED", "documentation": ACCESS_DOCS, "requiredAccess": required})


def not_implemented(type_name: str, field_name: str, nodes) -> GraphQLError:
    return GraphQLError(
        f"Field '{field_name}' on type '{type_name}' is valid for Shopify but not implemented by the taxrecon "
        "sandbox store", nodes, extensions={"code": "NOT_IMPLEMENTED_IN_SANDBOX", "typeName": type_name,
                                              "fieldName": field_name})


def throttled() -> dict:
    return {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": COST_DOCS}}


def max_cost_exceeded(cost: int, limit: int) -> dict:
    return {"message": f"Query cost is {cost}, which exceeds the single query max cost limit ({limit}).\n\n"
                       f"See {COST_DOCS} for more information on how the\ncost of a query is calculated.\n\n"
                       "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
                       "See https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n",
            "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": limit, "documentation": COST_DOCS}}


def document_error(message: str, node=None, code: str = "argumentLiteralsIncompatible") -> dict:
    locations = []
    if node is not None and node.loc is not None:
        loc = node.loc.source.get_location(node.loc.start)
        locations = [{"line": loc.line, "column": loc.column}]
    return {"message": message, "locations": locations, "extensions": {"code": code}}
