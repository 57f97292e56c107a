"""Field resolution on Shopify's official schema: one dispatcher for every field.

Special resolvers are registered per (type, field). Everything else reads the key of the same name from the store's
dicts; a field the store does not hold is a GraphQL error naming it (never a silent null). Connections stored as lists
are sliced by `connections.list_connection`; list fields with `first:` are cut to size. Fields the token may not
touch raise ACCESS_DENIED at their path.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLError, GraphQLResolveInfo, get_named_type

from app.shopify.sandbox.context import SandboxContext
from app.shopify.sandbox.connections import list_connection
from app.shopify.sandbox.errors import access_denied, not_implemented

RESOLVERS: dict[tuple[str, str], Callable] = {}


def resolver(type_name: str, field_name: str):
    def register(func: Callable) -> Callable:
        RESOLVERS[(type_name, field_name)] = func
        return func
    return register


def resolve_field(source, info: GraphQLResolveInfo, **args):
    ctx: SandboxContext = info.context
    node = info.field_nodes[0]
    if ctx.denied and id(node) in ctx.denied:
        raise access_denied(info.field_name, ctx.denied[id(node)], info.field_nodes)
    special = RESOLVERS.get((info.parent_type.name, info.field_name))
    if special is not None:
        return special(source, info, **args)
    if not isinstance(source, dict) or info.field_name not in source:
        raise not_implemented(info.parent_type.name, info.field_name, info.field_nodes)
    value = source[info.field_name]
    if isinstance(value, list):
        named = get_named_type(info.return_type)
        if named.name.endswith("Connection"):
            return list_connection(value, args, info.field_nodes)
        if args.get("first") is not None:
            return value[: args["first"]]
    return value


def require(value, message: str, info: GraphQLResolveInfo):
    if value is None:
        raise GraphQLError(message, info.field_nodes, extensions={"code": "NOT_FOUND"})
    return value


# Importing the modules registers their resolvers.
from app.shopify.sandbox import resolvers_query, resolvers_payments  # noqa: E402,F401
from app.shopify.sandbox import mutations  # noqa: E402,F401
