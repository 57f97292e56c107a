"""The sandbox store's state: a generated shop whose orders are built lazily, plus everything the API changed.

Orders are a pure function of (seed, index) until something changes them; a changed order is kept materialised in
`_changed` and moves to the end of the `updatedAt` order (its new `updatedAt` is later than anything generated).
Sorting and time filters use per-index timestamps computed once from the cheap plans, so paging through 50,000 orders
never builds more than the pages asked for. One lock guards all state (requests, the bulk thread and webhook
deliveries share the store).
"""

from __future__ import annotations

import bisect
import copy
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from app.shopify.sandbox.generator import build_catalog, build_order
from app.shopify.sandbox.inventory import InventoryBook
from app.shopify.sandbox.profile import ShopProfile, order_index_of, parse_gid
from app.shopify.sandbox.timeline import plan_order

FULL_SCOPES = frozenset({
    "read_orders", "write_orders", "read_all_orders", "read_products", "write_products", "read_inventory",
    "write_inventory", "read_locations", "read_customers", "read_returns", "write_returns", "read_fulfillments",
    "write_fulfillments", "read_merchant_managed_fulfillment_orders", "write_merchant_managed_fulfillment_orders",
    "read_assigned_fulfillment_orders", "write_assigned_fulfillment_orders", "read_third_party_fulfillment_orders",
    "write_third_party_fulfillment_orders", "read_shopify_payments_payouts", "read_shopify_payments_accounts",
})
READ_ONLY_SCOPES = frozenset(s for s in FULL_SCOPES if s.startswith("read_"))


@dataclass(frozen=True)
class TokenGrant:
    token: str
    name: str
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        """write_X implies read_X, as on Shopify."""
        return scope in self.scopes or (scope.startswith("read_") and "write_" + scope[5:] in self.scopes)


def _ts(moment_iso: str) -> float:
    return datetime.fromisoformat(moment_iso.replace("Z", "+00:00")).timestamp()


@dataclass
class SandboxStore:
    profile: ShopProfile
    webhook_secret: str
    tokens: dict[str, TokenGrant]
    cache_size: int = 1024                 # built orders kept (~40 KB each)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        n = self.profile.order_count
        self.payout_cache: dict[int, dict] = {}
        self.catalog = build_catalog(self.profile)
        self.inventory = InventoryBook(self.catalog, self.profile.seed)
        self.created_ts = array("d", bytes(8 * n))
        self.updated_ts = array("d", bytes(8 * n))
        self.money_days: dict[int, list[int]] = {}     # payout day → orders with Shopify Payments money that day
        for index in range(n):
            plan = plan_order(self.profile, index)
            # whole seconds, like the `createdAt`/`updatedAt` strings the API shows (filters compare against those)
            self.created_ts[index] = float(int(plan.created.timestamp()))
            self.updated_ts[index] = float(int(max(plan.events(self.profile.auto_fulfill)).timestamp()))
            if plan.gateway == "shopify_payments" and not plan.manual_capture:
                self.note_money(index, plan.paid_at)
                if plan.cancelled or plan.refund != "none":
                    self.note_money(index, plan.cancelled_at if plan.cancelled else plan.refund_at)
        self._base_updated = array("d", self.updated_ts)
        self._by_updated = sorted(range(n), key=lambda i: (self.updated_ts[i], i))
        self._changed: dict[int, dict] = {}
        self._tail: list[tuple[float, int]] = []      # (updated ts, index) of changed orders, ascending
        self._cache: OrderedDict[int, dict] = OrderedDict()
        self.clock_floor = max(self.updated_ts) if n else 0.0
        self.subscriptions: dict[str, dict] = {}
        self.bulk_operations: dict[str, object] = {}
        self.idempotency: dict[tuple[str, str], tuple[str, dict]] = {}
        self.listeners: list[Callable[[str, dict], None]] = []   # (topic, payload source) → webhooks

    def day_of(self, moment: datetime) -> int:
        return int((moment - self.profile.start).total_seconds() // 86400)

    def note_money(self, index: int, moment: datetime) -> None:
        day = self.money_days.setdefault(self.day_of(moment), [])
        if not day or day[-1] != index:
            day.append(index)
        self.payout_cache.pop(self.day_of(moment), None)

    # --- orders -----------------------------------------------------------------------------------------------
    @property
    def order_count(self) -> int:
        return self.profile.order_count

    def order(self, index: int, cache: bool = True) -> dict:
        """The current state of order `index` (built on demand; treat as read-only unless via `change_order`).

        Streaming readers (bulk operations) pass cache=False so a full pass never evicts the pages being served.
        """
        with self.lock:
            changed = self._changed.get(index)
            if changed is not None:
                return changed
            cached = self._cache.get(index)
            if cached is not None:
                self._cache.move_to_end(index)
                return cached
        order = build_order(self.profile, index, self.catalog)
        with self.lock:
            if index in self._changed:
                return self._changed[index]
            if not cache:
                return order
            self._cache[index] = order
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return order

    def order_by_gid(self, value: str, kind: str = "Order") -> dict | None:
        parsed = parse_gid(value)
        if parsed is None or parsed[0] != kind:
            return None
        index = order_index_of(kind, parsed[1])
        if index is None or not 0 <= index < self.order_count:
            return None
        return self.order(index)

    def change_order(self, index: int, mutate: Callable[[dict, datetime], None], topics: list[str]) -> dict:
        """Apply `mutate(order, at)` to order `index` and move it to the end of the updatedAt order.

        Copy-on-write: the change is made on a private copy that replaces the order in one step, so readers (page
        queries, a running bulk operation, webhook bodies) always see a whole order, and a mutation that raises
        leaves nothing half-changed. Each change gets a distinct, later `updatedAt` (1-second steps).
        """
        with self.lock:
            current = self._changed.get(index)
            order = copy.deepcopy(current) if current is not None else build_order(self.profile, index, self.catalog)
            at = self.next_moment()
            mutate(order, at)
            order["updatedAt"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            self._changed[index] = order
            self._cache.pop(index, None)
            self.updated_ts[index] = at.timestamp()
            self._tail.append((at.timestamp(), index))
        for topic in topics:
            self.emit(topic, order)
        return order

    @staticmethod
    def now() -> datetime:
        """Wall-clock UTC, whole seconds (for things whose timestamps need not order the orders)."""
        return datetime.now(timezone.utc).replace(microsecond=0)

    def next_moment(self) -> datetime:
        """Now, but strictly after every updatedAt so far (Shopify's updatedAt only moves forward)."""
        now = datetime.now(timezone.utc).replace(microsecond=0).timestamp()
        moment = max(now, self.clock_floor + 1)
        self.clock_floor = moment
        return datetime.fromtimestamp(moment, timezone.utc)

    def emit(self, topic: str, source: dict) -> None:
        for listener in list(self.listeners):
            listener(topic, source)

    # --- ordering ---------------------------------------------------------------------------------------------
    def indices(self, sort_key: str, reverse: bool = False, after: tuple[float, int] | None = None,
                updated: tuple | None = None, created: tuple | None = None) -> Iterator[int]:
        """Order indices in `sort_key` order, strictly after the cursor key, within optional time ranges.

        `updated`/`created` are (low, low_inclusive, high, high_inclusive) in epoch seconds (None = open).
        """
        if sort_key == "UPDATED_AT":
            source = self._updated_order(reverse, after)
        else:
            source = self._index_order(reverse, after)
        for index in source:
            if updated and not _within(self.updated_ts[index], updated):
                continue
            if created and not _within(self.created_ts[index], created):
                continue
            yield index

    def sort_value(self, sort_key: str, index: int) -> float:
        if sort_key == "UPDATED_AT":
            return self.updated_ts[index]
        return float(index)

    def _index_order(self, reverse: bool, after: tuple[float, int] | None) -> Iterator[int]:
        n = self.order_count
        if not reverse:
            start = 0 if after is None else after[1] + 1
            return iter(range(max(start, 0), n))
        start = n - 1 if after is None else after[1] - 1
        return iter(range(min(start, n - 1), -1, -1))

    def _updated_order(self, reverse: bool, after: tuple[float, int] | None) -> Iterator[int]:
        with self.lock:
            tail = [(ts, i) for ts, i in self._tail if self.updated_ts[i] == ts]
            changed = set(self._changed)
        key = lambda i: (self._base_ts(i), i)  # noqa: E731
        if not reverse:
            pos = 0 if after is None else bisect.bisect_right(self._by_updated, tuple(after), key=key)
            for index in self._by_updated[pos:]:
                if index not in changed:
                    yield index
            tpos = 0 if after is None else bisect.bisect_right(tail, tuple(after))
            for _, index in tail[tpos:]:
                yield index
            return
        tpos = len(tail) if after is None else bisect.bisect_left(tail, tuple(after))
        for _, index in reversed(tail[:tpos]):
            yield index
        pos = len(self._by_updated) if after is None else bisect.bisect_left(self._by_updated, tuple(after), key=key)
        for index in reversed(self._by_updated[:pos]):
            if index not in changed:
                yield index

    def _base_ts(self, index: int) -> float:
        """The generated updatedAt (the base order never changes, even when the order was changed since)."""
        return self._base_updated[index]

    def changed_count(self) -> int:
        return len(self._changed)


def _within(value: float, bounds: tuple) -> bool:
    low, low_inc, high, high_inc = bounds
    if low is not None and (value < low or (value == low and not low_inc)):
        return False
    if high is not None and (value > high or (value == high and not high_inc)):
        return False
    return True
