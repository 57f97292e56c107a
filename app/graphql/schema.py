"""The schema: domain modules merged into one Query and one Mutation, with every limit the API ships with.

Limits (settings): operation depth, token count, alias count; parser and validation caches are bounded;
introspection is off in production; expected errors carry codes and unexpected ones are masked (`errors.py`).
"""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from app.config import Settings
from app.graphql.errors import classify_errors


class TaxreconSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None):  # type: ignore[no-untyped-def]
        """Codes on every error, masking of unexpected ones (see `app.graphql.errors`); logs only the bugs."""
        classify_errors(errors)


def _query_types() -> tuple[type, ...]:
    from app.graphql.jobs import JobQueries
    from app.graphql.orders import OrderQueries
    from app.graphql.shopify import ShopifyQueries
    from app.graphql.shops import ShopQueries
    from app.graphql.tax import TaxQueries

    return (ShopQueries, OrderQueries, TaxQueries, ShopifyQueries, JobQueries)


def _mutation_types() -> tuple[type, ...]:
    from app.graphql.shopify import ShopifyMutations

    return (ShopifyMutations,)


def build_schema(settings: Settings) -> strawberry.Schema:
    # Factories, so that every request gets fresh extension instances. The caches are shared on purpose (one per
    # schema, bounded), hence built once here.
    parser_cache = ParserCache(maxsize=settings.graphql_cache_size)
    validation_cache = ValidationCache(maxsize=settings.graphql_cache_size)
    extensions: list = [
        lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        lambda: parser_cache,
        lambda: validation_cache,
    ]
    if settings.env == "production":
        extensions.append(DisableIntrospection)
    mutations = _mutation_types()
    return TaxreconSchema(
        query=merge_types("Query", _query_types()),
        mutation=merge_types("Mutation", mutations) if mutations else None,
        extensions=extensions,
        config=StrawberryConfig(relay_max_results=settings.graphql_max_page_size,
                                disable_field_suggestions=settings.env == "production"),
    )
