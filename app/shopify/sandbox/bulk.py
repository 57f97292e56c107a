"""Bulk operations: `bulkOperationRunQuery` runs in a thread and streams JSONL to a file served by the sandbox.

Status moves CREATED → RUNNING → COMPLETED (or FAILED / CANCELED) with `objectCount`, `rootObjectCount`, `fileSize`
and `url`; a failure mid-way (fault injection) leaves `partialDataUrl`. Up to five query operations may run per app
(2026-01+). Memory stays flat: one root object and its children are held at a time, and orders are built per page.
`bulk_operations/finish` is emitted when the operation ends.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

from graphql import FieldNode, GraphQLError, OperationType, get_operation_ast, parse, validate
from graphql.language import FragmentDefinitionNode

from app.shopify.sandbox import parallel
from app.shopify.sandbox.codegen import compile_projector
from app.shopify.sandbox.errors import validation_error
from app.shopify.sandbox.profile import gid, iso
from app.shopify.sandbox.projection import NotProjectable, compile_selection, project
from app.shopify.sandbox.scopes import denied_fields
from app.shopify.schema import admin_schema, scope_index

MAX_CONCURRENT = 5
PARALLEL_FROM = 2000                      # orders; below this a single thread is faster than forking workers
WORKERS = min(os.cpu_count() or 1, 4)
MAX_CONNECTIONS = 5
ROOTS = ("orders", "fulfillmentOrders")


class BulkOperation:
    def __init__(self, number: int, owner: str, query: str, type_: str = "QUERY") -> None:
        self.number, self.owner, self.query, self.type = number, owner, query, type_
        self.id = gid("BulkOperation", number)
        self.status, self.error_code = "CREATED", None
        self.created_at, self.completed_at = datetime.now(timezone.utc), None
        self.object_count = self.root_object_count = self.file_size = 0
        self.url = self.partial_url = None
        self.cancel_requested = False
        self.root, self.root_args = "orders", {}  # the root connection and its arguments (see `roots_of`)

    def cancel(self) -> None:
        if self.status in ("CREATED", "RUNNING"):
            self.cancel_requested = True
            self.status = "CANCELING"

    def node(self) -> dict:
        return {"__typename": "BulkOperation", "id": self.id, "status": self.status, "errorCode": self.error_code,
                "createdAt": iso(self.created_at), "completedAt": self.completed_at and iso(self.completed_at),
                "objectCount": str(self.object_count), "rootObjectCount": str(self.root_object_count),
                "fileSize": str(self.file_size) if self.url or self.partial_url else None, "url": self.url,
                "partialDataUrl": self.partial_url, "query": self.query, "type": self.type}


class BulkRunner:
    def __init__(self, store, faults, directory: Path | None = None) -> None:
        self.store, self.faults = store, faults
        self.directory = directory or Path(tempfile.mkdtemp(prefix="taxrecon-sandbox-bulk-"))
        self.threads: list[threading.Thread] = []

    def path(self, number: int) -> Path:
        return self.directory / f"{number}.jsonl"

    def start(self, ctx, query: str, group_objects: bool):
        store = self.store
        running = [op for op in store.bulk_operations.values()
                   if op.owner == ctx.grant.name and op.status in ("CREATED", "RUNNING", "CANCELING")]
        if len(running) >= MAX_CONCURRENT:
            return None, [{"field": None, "code": "OPERATION_IN_PROGRESS",
                           "message": "A bulk query operation for this app and shop is already in progress: "
                                      f"{running[0].id}."}]
        try:
            plans, root_field, denied = self._compile(query, ctx.grant)
        except (GraphQLError, NotProjectable, ValueError) as exc:
            return None, [{"field": ["query"], "code": "INVALID", "message": str(exc)}]
        with store.lock:
            op = BulkOperation(1_000_000 + len(store.bulk_operations) + 1, ctx.grant.name, query)
            op.root, op.root_args = root_field.name.value, root_arguments(root_field)
            store.bulk_operations[op.id] = op
        if denied:
            self._finish(op, "FAILED", "ACCESS_DENIED")
            return op, []
        projector = compile_projector(plans.children)
        thread = threading.Thread(target=self._run, args=(op, projector, ctx.base_url), daemon=True,
                                  name=f"sandbox-bulk-{op.number}")
        self.threads.append(thread)
        thread.start()
        return op, []

    def _compile(self, query: str, grant):
        schema = admin_schema()
        document = parse(query)
        errors = validate(schema, document)
        if errors:
            raise ValueError("; ".join(validation_error(e)["message"] for e in errors))
        operation = get_operation_ast(document)
        if operation is None or operation.operation != OperationType.QUERY:
            raise ValueError("The bulk query must be a single query operation")
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
        if len(roots) != 1 or roots[0].name.value not in ROOTS:
            raise ValueError("The sandbox runs bulk queries over the `orders` or `fulfillmentOrders` connection only "
                             "(one root field)")
        plans = compile_selection(schema, schema.query_type, operation.selection_set, fragments)[0]
        if _count_connections(plans) > MAX_CONNECTIONS:
            raise ValueError(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections")
        if _depth(plans) > 2:  # Shopify: products > variants > inventoryLevels is three levels, refused
            raise ValueError("Bulk queries cannot contain connections nested more than 2 levels deep")
        probe = next(iter(roots_of(self.store.order(0), roots[0], {})), None) if self.store.order_count else None
        if probe is not None:
            project(probe, plans.children, lambda item, p, owner: project(item, p, lambda *a: None, owner), None)
        denied = denied_fields(schema, scope_index(), schema.query_type, operation.selection_set, fragments, grant)
        return plans, roots[0], denied

    def _run(self, op: BulkOperation, projector, base_url: str) -> None:
        op.status = "RUNNING"
        path = self.path(op.number)
        fail_after = self.faults.bulk_fail_after if self.faults else None
        try:
            with path.open("w", encoding="utf-8") as out:
                if fail_after is None and self.store.order_count >= PARALLEL_FROM and WORKERS > 1:
                    parallel.write_parallel(self.store, projector, out, op, WORKERS)
                else:
                    self._write_serial(op, projector, out, fail_after)
        except _InjectedFailure:
            op.file_size = path.stat().st_size
            op.partial_url = f"{base_url}/sandbox/bulk/{op.number}.jsonl"
            self._finish(op, "FAILED", "INTERNAL_SERVER_ERROR")
            return
        except Exception:  # a bug in the sandbox: fail the operation like Shopify would, keep the partial file
            op.file_size = path.stat().st_size if path.exists() else 0
            op.partial_url = f"{base_url}/sandbox/bulk/{op.number}.jsonl"
            self._finish(op, "FAILED", "INTERNAL_SERVER_ERROR")
            raise
        op.file_size = path.stat().st_size
        if op.cancel_requested:
            self._finish(op, "CANCELED", None)
            return
        op.url = f"{base_url}/sandbox/bulk/{op.number}.jsonl" if op.object_count else None
        self._finish(op, "COMPLETED", None)

    def _write_serial(self, op: BulkOperation, projector, out, fail_after: int | None) -> None:
        for index in range(self.store.order_count):
            if op.cancel_requested:
                return
            roots = roots_of(self.store.order(index, cache=False), op.root, op.root_args)
            lines = [line for root in roots for line in _lines_for(root, projector)]
            if fail_after is not None and op.object_count + len(lines) > fail_after:
                raise _InjectedFailure()
            out.write(render(lines))
            op.object_count += len(lines)
            op.root_object_count += len(roots)

    def _finish(self, op: BulkOperation, status: str, error_code: str | None) -> None:
        op.status, op.error_code = status, error_code
        op.completed_at = datetime.now(timezone.utc)
        self.store.emit("bulk_operations/finish", op.node())

    def join(self, timeout: float = 60.0) -> None:
        for thread in list(self.threads):
            thread.join(timeout)


class _InjectedFailure(Exception):
    pass


def render(lines: list[dict]) -> str:
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


def roots_of(order: dict, root: FieldNode | str, args: dict) -> list[dict]:
    """The root objects one order gives: itself, or its fulfilment orders (closed ones only with includeClosed)."""
    if (root if isinstance(root, str) else root.name.value) == "orders":
        return [order]
    return [fo for fo in order["fulfillmentOrders"] if args.get("includeClosed") or fo["status"] != "CLOSED"]


def root_arguments(root: FieldNode) -> dict:
    return {arg.name.value: getattr(arg.value, "value", None) for arg in root.arguments or ()}


def _lines_for(order: dict, projector) -> list[dict]:
    """The root object then its connection children (each before its own children): groupObjects order."""
    pending: list = []

    def emit(item, child_projector, owner):
        slot = len(pending)
        pending.append(None)
        obj = child_projector(item, emit, item.get("id", owner))
        obj["__parentId"] = owner
        pending[slot] = obj

    root = projector(order, emit, None)
    return [root, *pending]


def _count_connections(plan) -> int:
    return (plan.kind == "connection") + sum(_count_connections(c) for c in plan.children)


def _depth(plan, level: int = 0) -> int:
    here = level + (plan.kind == "connection")
    return max([here] + [_depth(c, here) for c in plan.children])
