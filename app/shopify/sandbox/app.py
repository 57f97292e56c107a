"""The sandbox store as a Starlette app: Admin GraphQL, health, bulk files and an admin helper API for tests.

Routes
- POST /admin/api/{version}/graphql.json   Admin GraphQL (X-Shopify-Access-Token required)
- GET  /healthz                            ready once the store is generated; says loudly that this is a SANDBOX
- GET  /sandbox/bulk/{n}.jsonl             bulk operation output (streamed from disk)
- POST /sandbox/orders/{id}/update         change an order (note/tags), emits orders/updated — sandbox only
- POST /sandbox/orders/touch               {"count": K}: change K orders (incremental-sync tests)
- GET|POST /sandbox/faults                 read / set fault injection
- POST /sandbox/webhooks/emit              {"topic", "count", "seed"}: replay events for existing orders
- GET  /sandbox/webhooks/deliveries, POST /sandbox/webhooks/flush, POST /sandbox/webhooks/options
- GET  /sandbox/store                      counts and shop-currency totals (what a full backfill must reproduce)
Helper routes need a full-access token, like the GraphQL endpoint.
"""

from __future__ import annotations

import json
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from app.shopify.sandbox import helpers
from app.shopify.sandbox.bulk import BulkRunner
from app.shopify.sandbox.errors import UNAUTHORIZED_BODY
from app.shopify.sandbox.executor import Executor
from app.shopify.sandbox.faults import FaultPlan
from app.shopify.sandbox.money import gql_amount
from app.shopify.sandbox.resolvers_query import SUPPORTED_VERSIONS
from app.shopify.sandbox.webhooks import WebhookDispatcher, WebhookOptions
from app.shopify.schema import SCHEMA_VERSION

SANDBOX_NOTICE = "taxrecon SANDBOX store: a local test double of the Shopify Admin API, not Shopify"
_VERSION = re.compile(r"^(\d{4})-(01|04|07|10)$")
DEFAULT_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled",
                  "orders/partially_fulfilled", "refunds/create", "fulfillments/create", "fulfillments/update",
                  "inventory_levels/update", "bulk_operations/finish")


@dataclass
class SandboxServices:
    executor: Executor
    bulk: BulkRunner
    webhooks: WebhookDispatcher
    faults: FaultPlan


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":"),
                      default=lambda o: gql_amount(o) if isinstance(o, Decimal) else str(o))
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _throttled(result: dict) -> bool:
    errors = result.get("errors") or []
    return bool(errors) and errors[0].get("extensions", {}).get("code") == "THROTTLED"


def resolve_version(requested: str) -> str | None:
    """Shopify falls forward from an expired version to the oldest supported one; unknown versions are 404."""
    if requested == "unstable":
        return SUPPORTED_VERSIONS[-1]
    if not _VERSION.match(requested) or requested > SUPPORTED_VERSIONS[-1]:
        return None
    return requested if requested >= SUPPORTED_VERSIONS[0] else SUPPORTED_VERSIONS[0]


def create_sandbox_app(store, *, plan: str | None = None, faults: FaultPlan | None = None,
                       webhook_options: WebhookOptions | None = None, webhook_transport=None,
                       webhook_url: str | None = None, clock=None) -> Starlette:
    faults = faults or FaultPlan()
    bulk = BulkRunner(store, faults)
    webhooks = WebhookDispatcher(store, SCHEMA_VERSION, webhook_options, webhook_transport)
    services = SandboxServices(None, bulk, webhooks, faults)  # type: ignore[arg-type]
    services.executor = Executor(store, services, plan=plan, clock=clock)
    if webhook_url:
        helpers.subscribe_all(store, webhook_url, DEFAULT_TOPICS, SCHEMA_VERSION)

    @asynccontextmanager
    async def lifespan(app):
        await webhooks.start()
        try:
            yield
        finally:
            await webhooks.stop()

    def grant_for(request: Request, full: bool = False):
        grant = store.tokens.get(request.headers.get("x-shopify-access-token", ""))
        if grant is None or (full and grant.name != "full"):
            return None
        return grant

    async def graphql(request: Request) -> Response:
        version = resolve_version(request.path_params["version"])
        if version is None:
            return _json({"errors": "Not Found"}, 404)
        grant = grant_for(request)
        if grant is None:
            return _json(UNAUTHORIZED_BODY, 401)
        fault = faults.next_fault()
        if fault is not None:
            status, headers, body = fault
            return _json(body, status, headers)
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return _json({"errors": "Bad Request: the body must be a JSON object with a `query`"}, 400)
        base_url = str(request.base_url).rstrip("/")
        result = await run_in_threadpool(services.executor.run, grant, body, version, base_url)
        headers = {"X-Shopify-API-Version": version, "X-Sandbox": "taxrecon"}
        if faults.throttle_as_429 and _throttled(result):
            status = result["extensions"]["cost"]["throttleStatus"]
            wait = (result["extensions"]["cost"]["requestedQueryCost"] - status["currentlyAvailable"]) / status[
                "restoreRate"]
            headers["Retry-After"] = f"{max(wait, 0.1):.1f}"
            return _json({"errors": "Throttled"}, 429, headers)
        return _json(result, 200, headers)

    async def healthz(request: Request) -> Response:
        return _json({"status": "ok", "sandbox": True, "notice": SANDBOX_NOTICE, "shop": store.profile.domain,
                      "orders": store.order_count, "plan": plan or store.profile.plan,
                      "graphql": f"/admin/api/{SCHEMA_VERSION}/graphql.json", "apiVersions": list(SUPPORTED_VERSIONS)})

    async def bulk_file(request: Request) -> Response:
        path = bulk.path(int(request.path_params["number"]))
        if not path.exists():
            return _json({"errors": "Not Found"}, 404)
        return FileResponse(path, media_type="application/jsonl")

    async def helper(request: Request) -> Response:
        if grant_for(request, full=True) is None:
            return _json(UNAUTHORIZED_BODY, 401)
        try:
            payload = json.loads(await request.body() or b"{}")
            result = await run_in_threadpool(helpers.dispatch, services, store, request.url.path,
                                             request.method, request.path_params, payload)
        except helpers.HelperError as exc:
            return _json({"errors": exc.message}, exc.status)
        except ValueError as exc:
            return _json({"errors": str(exc)}, 400)
        if request.url.path.endswith("/webhooks/flush"):
            result = {"idle": await webhooks.flush(float(payload.get("timeout", 30)))}
        return _json(result)

    routes = [
        Route("/admin/api/{version}/graphql.json", graphql, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/sandbox/bulk/{number:int}.jsonl", bulk_file, methods=["GET"]),
        Route("/sandbox/orders/touch", helper, methods=["POST"]),
        Route("/sandbox/orders/{order_id}/update", helper, methods=["POST"]),
        Route("/sandbox/faults", helper, methods=["GET", "POST"]),
        Route("/sandbox/webhooks/deliveries", helper, methods=["GET"]),
        Route("/sandbox/webhooks/flush", helper, methods=["POST"]),
        Route("/sandbox/webhooks/emit", helper, methods=["POST"]),
        Route("/sandbox/webhooks/options", helper, methods=["POST"]),
        Route("/sandbox/store", helper, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.store, app.state.services = store, services
    return app
