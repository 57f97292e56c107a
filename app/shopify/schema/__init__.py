"""Shopify's official Admin GraphQL schema (2026-10), with the access scope each type and field requires.

The file is Shopify's own published introspection result (shipped in the npm package `@shopify/dev-mcp`, ISC licence)
plus `offline_scopes`. It serves two purposes: every document the client can send is validated against it in the
tests, and the sandbox store rejects and authorises documents exactly as Shopify would.

Shopify marks some interface implementations deprecated where the interface field is not; graphql-core's strict
schema check rejects that, so the built schema's validation errors are cleared before use (documents are still
validated normally).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from graphql import GraphQLError, GraphQLSchema, build_client_schema, parse, validate

SCHEMA_FILE = Path(__file__).with_name("admin-2026-10.introspection.json.gz")
SCHEMA_VERSION = "2026-10"


@dataclass(frozen=True)
class ScopeIndex:
    """Offline access scopes Shopify requires, per type and per (type, field). Any one scope of a list suffices."""

    types: dict[str, tuple[str, ...]]
    fields: dict[tuple[str, str], tuple[str, ...]]

    def for_field(self, type_name: str, field_name: str) -> tuple[str, ...]:
        return self.fields.get((type_name, field_name)) or ()

    def for_type(self, type_name: str) -> tuple[str, ...]:
        return self.types.get(type_name) or ()


@lru_cache(maxsize=1)
def _raw() -> dict:
    with gzip.open(SCHEMA_FILE, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def admin_schema() -> GraphQLSchema:
    schema = build_client_schema(_raw()["data"])
    schema._validation_errors = []  # see module docstring
    return schema


@lru_cache(maxsize=1)
def scope_index() -> ScopeIndex:
    types: dict[str, tuple[str, ...]] = {}
    fields: dict[tuple[str, str], tuple[str, ...]] = {}
    for item in _raw()["offline_scopes"]["items"]:
        scopes = tuple(item.get("offlineScopes") or ())
        if item["type"] == "type":
            types[item["typeName"]] = scopes
        elif scopes:
            fields[(item["typeName"], item["fieldName"])] = scopes
    return ScopeIndex(types, fields)


def validate_document(source: str) -> list[GraphQLError]:
    """Parse and validate a GraphQL document against the Admin schema; an empty list means valid."""
    try:
        document = parse(source)
    except GraphQLError as exc:
        return [exc]
    return list(validate(admin_schema(), document))
