"""Admin GraphQL client for one shop: pinned API version, cost-aware throttling, bounded retries.

Invariants:
- Only documents from `app/shopify/queries/*.graphql` are sent (`load_document`); each is validated against the
  official schema by the tests, and mutations Shopify requires to be idempotent must carry `@idempotent(key:)`.
- A query is sent only when our mirror of Shopify's bucket can pay its requested cost (`throttle.CostBucket`);
  otherwise we wait for the restore rate to refill it. THROTTLED answers (HTTP 200 with errors, or HTTP 429 with
  Retry-After) are waited out and retried, never surfaced while the retry budget lasts.
- 5xx and network errors are retried with exponential backoff and full jitter, a bounded number of times.
- 401 raises `ShopifyReauthRequired` (token expired or revoked); the caller marks the shop with
  `app.shops.service.mark_needs_reauth` in its own transaction.
- Errors on nested paths (a deleted product or variant under a line item) do not fail the query: the data comes back
  with those fields null and the errors are kept in `last_warnings`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from graphql import DocumentNode, OperationDefinitionNode, OperationType, parse

from app.errors import TaxreconError
from app.shopify.schema import admin_schema
from app.shopify.throttle import (
    MAX_SINGLE_QUERY_COST,
    PLAN_RESTORE_RATES,
    CostBucket,
    CostCalibration,
    bucket_for,
    estimate_query_cost,
)

log = logging.getLogger(__name__)

QUERIES_DIR = Path(__file__).with_name("queries")
IDEMPOTENT_MUTATIONS = frozenset({"refundCreate", "inventoryAdjustQuantities", "inventorySetQuantities"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ShopifyError(TaxreconError):
    """Raised when Shopify refuses or fails a request in a way retrying here cannot fix."""

    code = "SHOPIFY_ERROR"
    http_status = 502


class ShopifyReauthRequired(ShopifyError):
    """Raised on HTTP 401: the access token expired or was revoked; the shop needs re-authorisation."""

    code = "SHOPIFY_REAUTH_REQUIRED"


class ShopifyAccessDenied(ShopifyError):
    """Raised on HTTP 403 or ACCESS_DENIED: the token lacks a scope the document needs."""

    code = "SHOPIFY_ACCESS_DENIED"


class ShopifyNotFound(ShopifyError):
    """Raised on HTTP 404 for the endpoint itself: wrong shop domain, Admin API URL or API version."""

    code = "SHOPIFY_NOT_FOUND"


class ShopifyUnavailable(ShopifyError):
    """Raised when 5xx, network errors or throttling outlast the retry budget (the job may retry later)."""

    code = "SHOPIFY_UNAVAILABLE"


class ShopifyQueryError(ShopifyError):
    """Raised when Shopify answers with top-level GraphQL errors (invalid document, MAX_COST_EXCEEDED, ...)."""

    code = "SHOPIFY_QUERY_ERROR"

    def __init__(self, message: str, errors: list[dict[str, Any]], *, error_code: str | None = None) -> None:
        super().__init__(message)
        self.errors = errors
        self.error_code = error_code


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    ast: DocumentNode
    operation: str
    is_mutation: bool
    root_fields: tuple[str, ...]


def document_names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.graphql"))


@lru_cache(maxsize=64)
def load_document(name: str) -> Document:
    """The named document from app/shopify/queries (the only documents the client sends)."""
    if not _NAME.match(name) or not (QUERIES_DIR / f"{name}.graphql").is_file():
        raise ValueError(f"no GraphQL document named {name!r} in app/shopify/queries (known: {document_names()})")
    text = (QUERIES_DIR / f"{name}.graphql").read_text(encoding="utf-8")
    ast = parse(text)
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].name is None:
        raise ValueError(f"{name}.graphql must hold exactly one named operation")
    operation = operations[0]
    roots = tuple(s.name.value for s in operation.selection_set.selections if hasattr(s, "name"))
    return Document(name, text, ast, operation.name.value, operation.operation is OperationType.MUTATION, roots)


def idempotency_key(kind: str, *record_ids: object) -> str:
    """A stable @idempotent key derived from our record ids: the same business action always gets the same key."""
    material = "|".join([kind, *(str(part) for part in record_ids)])
    return f"taxrecon-{kind}-{hashlib.sha256(material.encode()).hexdigest()[:40]}"


@dataclass
class RetryPolicy:
    max_attempts: int = 5            # per request, for 5xx and network errors
    max_throttle_waits: int = 30     # THROTTLED / 429 answers waited out before giving up
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    timeout: float = 60.0


Sleep = Callable[[float], Awaitable[None]]


class AdminClient:
    """One shop's Admin GraphQL endpoint: `await client.execute("orders_updated_since", {...}) -> data`."""

    def __init__(self, shop_domain: str, api_base: str, access_token: str, api_version: str,
                 http: httpx.AsyncClient | None = None, plan_restore_rate: float = PLAN_RESTORE_RATES["standard"],
                 *, retry: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                 bucket: CostBucket | None = None, owns_http: bool | None = None) -> None:
        if not access_token:
            raise ShopifyReauthRequired(f"no access token is stored for {shop_domain}; re-authorise the app")
        self.shop_domain = shop_domain
        self.api_base = api_base.rstrip("/")
        self.api_version = api_version
        self.endpoint = f"{self.api_base}/admin/api/{api_version}/graphql.json"
        self._token = access_token
        self._http = http
        self._owns_http = http is None if owns_http is None else owns_http
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.bucket = bucket or bucket_for(self.api_base, shop_domain, plan_restore_rate, clock)
        self.calibration = CostCalibration()
        self.last_warnings: list[dict[str, Any]] = []
        self.last_cost: dict[str, Any] | None = None
        self.stats = {"requests": 0, "throttled": 0, "retried_5xx": 0, "waited_seconds": 0.0,
                      "actual_cost": 0.0}

    async def __aenter__(self) -> AdminClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    def http_client(self) -> httpx.AsyncClient:
        """The HTTP client in use (also for downloads such as bulk JSONL, which need no token)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.retry.timeout)
        return self._http

    def requested_cost(self, name: str, variables: Mapping[str, Any] | None = None) -> int:
        """Our estimate of what Shopify will charge up front for document `name` with `variables`."""
        document = load_document(name)
        estimate = estimate_query_cost(admin_schema(), document.ast, variables or {})
        return self.calibration.apply(name, estimate)

    async def execute(self, name: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send document `name`; returns its `data`. Waits for the bucket, retries THROTTLED/429/5xx (bounded)."""
        document = load_document(name)
        variables = dict(variables or {})
        self._check_idempotency(document, variables)
        estimate = estimate_query_cost(admin_schema(), document.ast, variables)
        throttle_waits = 0
        failures = 0
        while True:
            cost = self.calibration.apply(name, estimate)
            await self._wait_for_budget(cost)
            self.bucket.reserved += cost
            try:
                response = await self._post(document, variables)
            except httpx.TransportError as exc:
                failures = await self._backoff(failures, f"network error: {type(exc).__name__}")
                continue
            finally:
                self.bucket.reserved = max(0.0, self.bucket.reserved - cost)
            outcome = await self._handle(response, document, estimate)
            if outcome == "throttled":
                throttle_waits += 1
                self.stats["throttled"] += 1
                if throttle_waits > self.retry.max_throttle_waits:
                    raise ShopifyUnavailable(f"{self.shop_domain} kept throttling {name} "
                                             f"({throttle_waits} times); try again later")
                continue
            if outcome == "retry":
                failures = await self._backoff(failures, f"HTTP {response.status_code}")
                continue
            return outcome

    def _check_idempotency(self, document: Document, variables: Mapping[str, Any]) -> None:
        if document.is_mutation and IDEMPOTENT_MUTATIONS.intersection(document.root_fields):
            if "@idempotent" not in document.text:
                raise ValueError(f"{document.name}: Shopify requires @idempotent(key:) on {document.root_fields}")
            if not variables.get("idempotencyKey"):
                raise ValueError(f"{document.name} needs an idempotencyKey (use idempotency_key(kind, record id))")

    async def _wait_for_budget(self, cost: int) -> None:
        if cost > MAX_SINGLE_QUERY_COST:
            log.warning("shopify query cost %s exceeds Shopify's single-query cap %s", cost, MAX_SINGLE_QUERY_COST)
        delay = self.bucket.wait_for(cost)
        if delay > 0:
            self.stats["waited_seconds"] += delay
            await self._sleep(delay)

    async def _post(self, document: Document, variables: Mapping[str, Any]) -> httpx.Response:
        self.stats["requests"] += 1
        return await self.http_client().post(
            self.endpoint,
            json={"query": document.text, "variables": variables, "operationName": document.operation},
            headers={"X-Shopify-Access-Token": self._token, "Content-Type": "application/json",
                     "Accept": "application/json"},
        )

    async def _backoff(self, failures: int, why: str) -> int:
        failures += 1
        if failures >= self.retry.max_attempts:
            raise ShopifyUnavailable(f"{self.shop_domain} unavailable after {failures} attempts ({why})")
        ceiling = min(self.retry.backoff_cap, self.retry.backoff_base * (2 ** (failures - 1)))
        delay = self._rng.uniform(0, ceiling)
        self.stats["retried_5xx"] += 1
        log.info("shopify %s: %s; retry %s in %.2fs", self.shop_domain, why, failures, delay)
        await self._sleep(delay)
        return failures

    async def _handle(self, response: httpx.Response, document: Document, estimate: int) -> Any:
        status = response.status_code
        if status == 401:
            raise ShopifyReauthRequired(
                f"Shopify rejected the access token for {self.shop_domain} (401): the token expired or was "
                "revoked; re-authorise the app for this shop")
        if status == 403:
            raise ShopifyAccessDenied(f"Shopify refused {document.name} for {self.shop_domain} (403): the token "
                                      "lacks a required access scope")
        if status == 404:
            raise ShopifyNotFound(f"{self.endpoint} does not exist (404): check the shop domain, Admin API URL "
                                  f"and API version {self.api_version}")
        if status == 429:
            await self._wait_retry_after(response)
            return "throttled"
        if status >= 500 or status in (408, 502, 503, 504):
            return "retry"
        if status >= 400:
            raise ShopifyError(f"Shopify answered {status} to {document.name} for {self.shop_domain}")
        try:
            body = response.json()
        except ValueError:
            return "retry"  # a truncated or HTML body from a proxy in front of Shopify
        return await self._handle_body(body, document, estimate)

    async def _wait_retry_after(self, response: httpx.Response) -> None:
        try:
            delay = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            delay = 1.0
        delay = max(0.0, delay)
        self.stats["waited_seconds"] += delay
        await self._sleep(delay)

    async def _handle_body(self, body: dict[str, Any], document: Document, estimate: int) -> Any:
        cost = (body.get("extensions") or {}).get("cost") or {}
        self.last_cost = cost or None
        self.bucket.observe(cost.get("throttleStatus"))
        self.calibration.learn(document.name, estimate, cost.get("requestedQueryCost"))
        if cost.get("actualQueryCost") is not None:
            self.stats["actual_cost"] += float(cost["actualQueryCost"])
        errors = body.get("errors") or []
        codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
        if "THROTTLED" in codes:
            await self._sleep_until_affordable(cost, estimate, document.name)
            return "throttled"
        if "INTERNAL_SERVER_ERROR" in codes:
            return "retry"
        data = body.get("data")
        if errors and (data is None or any(not e.get("path") or len(e["path"]) < 2 for e in errors)):
            self._raise_query_error(errors, codes, document)
        self.last_warnings = errors
        if errors:
            log.warning("shopify %s: %s partial errors on nested fields (kept as nulls)", document.name, len(errors))
        return data if data is not None else {}

    async def _sleep_until_affordable(self, cost: Mapping[str, Any], estimate: int, name: str) -> None:
        requested = cost.get("requestedQueryCost") or self.calibration.apply(name, estimate)
        delay = self.bucket.wait_for(float(requested))
        delay = delay if delay > 0 else 1.0 / max(self.bucket.restore_rate, 1.0)
        self.stats["waited_seconds"] += delay
        await self._sleep(delay)

    def _raise_query_error(self, errors: list[dict[str, Any]], codes: set[Any], document: Document) -> None:
        first = errors[0].get("message", "unknown error") if errors else "unknown error"
        if "ACCESS_DENIED" in codes:
            raise ShopifyAccessDenied(f"{document.name} needs a scope the token for {self.shop_domain} lacks: {first}")
        code = next((c for c in codes if c), None)
        raise ShopifyQueryError(f"Shopify rejected {document.name} for {self.shop_domain}: {first}", errors,
                                error_code=code)

    async def granted_scopes(self) -> list[str]:
        """The scopes Shopify actually granted our token (`currentAppInstallation.accessScopes`)."""
        data = await self.execute("access_scopes")
        return sorted(s["handle"] for s in data["currentAppInstallation"]["accessScopes"])
