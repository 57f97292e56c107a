"""An order's plan: what happens to it and when, from a cheap random stream of its own.

The store needs every order's `updatedAt` to sort and filter without building the orders (50,000 orders are built
lazily, page by page), so the decisions that set the timeline are drawn first from a stream seeded by
(seed, index) alone, always in the same order. `build_order` then draws the details from a second stream.
"""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta
from typing import NamedTuple

from app.shopify.sandbox.catalog import DESTINATIONS
from app.shopify.sandbox.profile import ShopProfile

_CUMULATIVE = []
_running = 0
for _dest in DESTINATIONS:
    _running += _dest.weight
    _CUMULATIVE.append(_running)
_TOTAL_WEIGHT = _running


class OrderPlan(NamedTuple):
    index: int
    created: datetime
    destination: int            # index into DESTINATIONS
    has_physical: bool
    has_digital: bool
    has_gift_card: bool
    manual_capture: bool        # authorised, never captured: stays AUTHORIZED, not fulfilled
    cancelled: bool
    fulfil: str                 # "full" | "partial" | "none" (physical lines)
    tracking_changed: bool
    refund: str                 # "none" | "partial" | "full"
    gateway: str
    fulfil_at: datetime
    tracking_changed_at: datetime
    refund_at: datetime
    cancelled_at: datetime
    auto_fulfil_at: datetime

    @property
    def paid_at(self) -> datetime:
        return self.created + timedelta(seconds=5)

    def events(self, auto_fulfill: str) -> list[datetime]:
        """Every moment the order changed; the last one is its `updatedAt`."""
        moments = [self.paid_at]
        if self.cancelled:
            return moments + [self.cancelled_at]
        if self.auto_fulfils(auto_fulfill):
            moments.append(self.auto_fulfil_at)
        if self.fulfil != "none" and not (auto_fulfill == "ALL" and self.auto_fulfils(auto_fulfill)):
            moments.append(self.fulfil_at)
            if self.tracking_changed:
                moments.append(self.tracking_changed_at)
        if self.refund != "none":
            moments.append(self.refund_at)
        return moments

    def auto_fulfils(self, auto_fulfill: str) -> bool:
        """Shopify fulfils on payment: every line (ALL), only gift cards (GIFT_CARDS, the default), or nothing."""
        if self.cancelled or self.manual_capture:
            return False
        return auto_fulfill == "ALL" or (auto_fulfill == "GIFT_CARDS" and self.has_gift_card)


def plan_order(profile: ShopProfile, index: int) -> OrderPlan:
    r = random.Random(f"{profile.seed}:plan:{index}")
    created = profile.created_at(index, r.random())
    destination = bisect.bisect_right(_CUMULATIVE, r.randrange(_TOTAL_WEIGHT))
    has_physical = r.random() < 0.85
    has_digital = (not has_physical) or r.random() < 0.18
    has_gift_card = r.random() < 0.05
    manual_capture = r.random() < 0.03
    cancelled = r.random() < 0.02
    fulfil_roll, refund_roll = r.random(), r.random()
    tracking_changed = r.random() < 0.06
    gateway = "shopify_payments" if r.random() < 0.85 else "paypal"
    fulfil_at = created + timedelta(hours=r.uniform(2, 72))
    tracking_changed_at = fulfil_at + timedelta(hours=r.uniform(12, 48))
    refund_at = created + timedelta(days=r.uniform(4, 20))
    cancelled_at = created + timedelta(hours=r.uniform(0.5, 6))
    auto_fulfil_at = created + timedelta(seconds=r.uniform(12, 40))
    if manual_capture or cancelled or not has_physical:
        fulfil = "none"
    else:
        fulfil = "full" if fulfil_roll < 0.72 else "partial" if fulfil_roll < 0.82 else "none"
    refund = "none"
    if not (manual_capture or cancelled):
        refund = "partial" if refund_roll < 0.07 else "full" if refund_roll < 0.10 else "none"
    return OrderPlan(index, created, destination, has_physical, has_digital, has_gift_card, manual_capture,
                     cancelled, fulfil, tracking_changed and fulfil != "none", refund, gateway, fulfil_at,
                     tracking_changed_at, refund_at, cancelled_at, auto_fulfil_at)
