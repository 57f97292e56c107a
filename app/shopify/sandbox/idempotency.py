"""`@idempotent(key:)` handling: same key and same arguments → the first result again, with no second effect.

From 2026-04 the directive is mandatory on refundCreate and the inventory quantity mutations; without it the field
fails with a GraphQL error. Reusing a key with different arguments is IDEMPOTENCY_KEY_PARAMETER_MISMATCH.
"""

from __future__ import annotations

import functools
import json

from graphql import GraphQLError
from graphql.execution.values import get_directive_values


def idempotency_key(info) -> str | None:
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return values.get("key") if values else None


def idempotent(required: bool, mismatch_error: dict):
    def decorate(func):
        @functools.wraps(func)
        def wrapper(source, info, **args):
            key = idempotency_key(info)
            if key is None:
                if required:
                    raise GraphQLError(
                        f"The @idempotent directive is required for {info.field_name} from API version 2026-04; "
                        "pass @idempotent(key: \"<unique key>\").", info.field_nodes,
                        extensions={"code": "IDEMPOTENCY_KEY_REQUIRED"})
                return func(source, info, **args)
            store = info.context.store
            fingerprint = json.dumps(args, sort_keys=True, default=str)
            with store.lock:
                prior = store.idempotency.get((info.field_name, key))
                if prior is not None:
                    if prior[0] != fingerprint:
                        return {"userErrors": [dict(mismatch_error)]}
                    return prior[1]
                result = func(source, info, **args)
                if not result.get("userErrors"):
                    store.idempotency[(info.field_name, key)] = (fingerprint, result)
                return result
        return wrapper
    return decorate


MISMATCH = {"field": ["idempotencyKey"], "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
            "message": "The idempotency key was already used with different parameters."}
