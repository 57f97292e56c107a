"""One Admin GraphQL request, start to end: parse, validate, cost, throttle, authorise, execute, measure.

Order of checks follows Shopify: an invalid document is rejected before it costs anything; a document over the
single-query limit is MAX_COST_EXCEEDED; a bucket that cannot pay the requested cost answers THROTTLED (HTTP 200,
`actualQueryCost: null`); otherwise the requested cost is charged, the query runs, and the unused part is refunded.
Every response carries `extensions.cost`.
"""

from __future__ import annotations

from graphql import GraphQLError, OperationType, execute_sync, get_operation_ast, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import FragmentDefinitionNode

from app.shopify.sandbox import resolvers
from app.shopify.sandbox.context import SandboxContext
from app.shopify.sandbox.cost import MAX_QUERY_COST, CostWalker, LeakyBucket
from app.shopify.sandbox.errors import max_cost_exceeded, throttled, validation_error
from app.shopify.sandbox.profile import PLANS
from app.shopify.sandbox.scopes import denied_fields
from app.shopify.schema import admin_schema, scope_index


class Executor:
    def __init__(self, store, services, plan: str | None = None, clock=None) -> None:
        self.store, self.services = store, services
        self.plan = plan or store.profile.plan
        self.restore_rate, self.capacity = PLANS[self.plan]
        self.clock = clock
        self.buckets: dict[str, LeakyBucket] = {}
        self.schema = admin_schema()

    def bucket(self, token: str) -> LeakyBucket:
        bucket = self.buckets.get(token)
        if bucket is None:   # setdefault: two first requests of a token racing still share one bucket
            kwargs = {"clock": self.clock} if self.clock else {}
            bucket = self.buckets.setdefault(token, LeakyBucket(self.capacity, self.restore_rate, **kwargs))
        return bucket

    def run(self, grant, body: dict, api_version: str, base_url: str) -> dict:
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            return {"errors": [{"message": "No query string was present", "extensions": {"code": "BAD_REQUEST"}}]}
        try:
            document = parse(query)
        except GraphQLError as exc:
            return {"errors": [validation_error(exc)]}
        problems = validate(self.schema, document)
        if problems:
            return {"errors": [validation_error(e) for e in problems]}
        operation = get_operation_ast(document, body.get("operationName"))
        if operation is None:
            return {"errors": [{"message": "An operation name is required", "extensions": {"code": "BAD_REQUEST"}}]}
        coerced = get_variable_values(self.schema, operation.variable_definitions or [], body.get("variables") or {})
        if isinstance(coerced, list):
            return {"errors": [validation_error(e) for e in coerced]}
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        is_mutation = operation.operation == OperationType.MUTATION
        root = self.schema.mutation_type if is_mutation else self.schema.query_type
        walker = CostWalker(self.schema, fragments, coerced)
        requested = walker.operation(root, operation.selection_set, mutation=is_mutation)
        if is_mutation:
            walker.selection(root, operation.selection_set, None, False)  # page-size checks inside payloads too
        bucket = self.bucket(grant.token)
        if walker.errors:
            return {"errors": walker.errors, "extensions": self._cost(requested, None, bucket)}
        if requested > MAX_QUERY_COST:
            return {"errors": [max_cost_exceeded(requested, MAX_QUERY_COST)],
                    "extensions": self._cost(requested, None, bucket)}
        if not bucket.try_take(requested):
            return {"errors": [throttled()], "extensions": self._cost(requested, None, bucket)}
        ctx = SandboxContext(self.store, grant, api_version, base_url, self.services)
        ctx.denied = denied_fields(self.schema, scope_index(), root, operation.selection_set, fragments, grant)
        result = execute_sync(self.schema, document, context_value=ctx, variable_values=body.get("variables") or {},
                              operation_name=body.get("operationName"), field_resolver=resolvers.resolve_field)
        actual = requested if is_mutation else CostWalker(self.schema, fragments, coerced).selection(
            root, operation.selection_set, result.data, True)
        bucket.refund(requested - actual)
        response: dict = {}
        if result.errors:
            response["errors"] = [_format(e) for e in result.errors]
        response["data"] = result.data
        response["extensions"] = self._cost(requested, actual, bucket)
        if ctx.search:
            response["extensions"]["search"] = ctx.search
        return response

    def _cost(self, requested: int, actual: int | None, bucket: LeakyBucket) -> dict:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                         "throttleStatus": bucket.status()}}


def _format(error: GraphQLError) -> dict:
    formatted = error.formatted
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        formatted["message"] = "Internal error. Looks like something went wrong on our end."
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "detail": f"{type(original).__name__}: {original}"}
    return formatted
