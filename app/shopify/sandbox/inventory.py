"""Inventory levels per (inventory item, location) with Shopify's named quantities and compare-and-swap.

From 2026-04 every change names the quantity it expects to replace (`changeFromQuantity`); a mismatch is
CHANGE_FROM_QUANTITY_STALE and nothing in the request is applied (all changes of one request, or none).
"""

from __future__ import annotations

import random

from app.shopify.sandbox.catalog import LOCATIONS
from app.shopify.sandbox.profile import gid

NAMES = ("available", "on_hand", "committed", "incoming", "reserved", "damaged", "safety_stock", "quality_control")
SETTABLE = ("available", "on_hand")


class InventoryBook:
    def __init__(self, catalog: dict[int, dict], seed: int) -> None:
        r = random.Random(f"{seed}:inventory")
        self.levels: dict[tuple[str, str], dict[str, int]] = {}
        self.items = {variant["inventoryItem"]["id"]: variant["inventoryItem"] for variant in catalog.values()}
        self.locations = {gid("Location", number): name for number, name, _ in LOCATIONS}
        for item_id, item in self.items.items():
            if not item["tracked"]:
                continue
            for location_id in self.locations:
                available = r.randrange(20, 400)
                self.levels[(item_id, location_id)] = {"available": available, "on_hand": available,
                                                       "committed": 0, "incoming": 0, "reserved": 0, "damaged": 0,
                                                       "safety_stock": 0, "quality_control": 0}

    def quantity(self, item_id: str, location_id: str, name: str) -> int | None:
        level = self.levels.get((item_id, location_id))
        return None if level is None else level[name]

    def check(self, item_id: str, location_id: str) -> str | None:
        """An error code when the pair is unknown, else None."""
        if item_id not in self.items:
            return "INVALID_INVENTORY_ITEM"
        if location_id not in self.locations:
            return "INVALID_LOCATION"
        if (item_id, location_id) not in self.levels:
            return "NON_MUTABLE_INVENTORY_ITEM"
        return None

    def apply(self, item_id: str, location_id: str, name: str, delta: int) -> int:
        level = self.levels[(item_id, location_id)]
        level[name] += delta
        if name == "available":
            level["on_hand"] += delta
        elif name == "on_hand":
            level["available"] += delta
        return level[name]

    def level_node(self, item_id: str, location_id: str) -> dict:
        level = self.levels[(item_id, location_id)]
        return {"__typename": "InventoryLevel", "id": f"{gid('InventoryLevel', 1)}?inventory_item_id="
                f"{item_id.rsplit('/', 1)[1]}&location_id={location_id.rsplit('/', 1)[1]}",
                "item": {"__typename": "InventoryItem", "id": item_id},
                "location": {"__typename": "Location", "id": location_id, "name": self.locations[location_id]},
                "quantities": [{"name": n, "quantity": level[n]} for n in NAMES]}
