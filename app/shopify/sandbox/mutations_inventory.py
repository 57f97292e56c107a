"""inventoryAdjustQuantities / inventorySetQuantities: mandatory @idempotent and compare-and-swap (2026-04+).

All changes of one request are checked before any is applied: an unknown item or location, a stale
`changeFromQuantity` or a missing one fails the whole request with userErrors and changes nothing.
"""

from __future__ import annotations

from app.shopify.sandbox.idempotency import MISMATCH, idempotent
from app.shopify.sandbox.inventory import NAMES, SETTABLE
from app.shopify.sandbox.profile import gid, iso
from app.shopify.sandbox.resolvers import resolver

REASONS = {"correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
           "movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
           "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage"}


def _err(field, message, code):
    return {"field": field, "message": message, "code": code}


def _check(book, rows: list[dict], name: str, reason: str, key: str, field_name: str, names: tuple, name_code: str,
           missing_code: str) -> list[dict]:
    errors = []
    if name not in names:
        errors.append(_err(["input", "name"], f"The quantity name '{name}' is not valid.", name_code))
    if reason not in REASONS:
        errors.append(_err(["input", "reason"], f"The reason '{reason}' is not valid.", "INVALID_REASON"))
    for position, row in enumerate(rows):
        field = ["input", key, str(position)]
        problem = book.check(row["inventoryItemId"], row["locationId"])
        if problem:
            errors.append(_err(field, f"{row['inventoryItemId']} at {row['locationId']}: {problem.lower()}", problem))
            continue
        if row.get("changeFromQuantity") is None:
            errors.append(_err(field + ["changeFromQuantity"], "changeFromQuantity is required from API version "
                               "2026-04 (compare-and-swap).", missing_code))
            continue
        current = book.quantity(row["inventoryItemId"], row["locationId"], name if name in NAMES else "available")
        if row["changeFromQuantity"] != current:
            errors.append(_err(field + ["changeFromQuantity"], f"The quantity changed since it was read: expected "
                               f"{row['changeFromQuantity']}, is {current}.", "CHANGE_FROM_QUANTITY_STALE"))
    return errors


def _apply(info, input_: dict, deltas: list[tuple[dict, int]], name: str) -> dict:
    store = info.context.store
    book = store.inventory
    at = store.now()
    changes = []
    for row, delta in deltas:
        after = book.apply(row["inventoryItemId"], row["locationId"], name, delta)
        item = {"__typename": "InventoryItem", "id": row["inventoryItemId"]}
        location = {"__typename": "Location", "id": row["locationId"]}
        changes.append({"name": name, "delta": delta, "quantityAfterChange": after, "item": item,
                        "location": location, "ledgerDocumentUri": row.get("ledgerDocumentUri")})
        if name in SETTABLE:
            other = "on_hand" if name == "available" else "available"
            changes.append({"name": other, "delta": delta, "item": item, "location": location,
                            "quantityAfterChange": book.quantity(row["inventoryItemId"], row["locationId"], other),
                            "ledgerDocumentUri": None})
    number = 1_900_000_000 + len(store.idempotency) + 1
    group = {"__typename": "InventoryAdjustmentGroup", "id": gid("InventoryAdjustmentGroup", number),
             "createdAt": iso(at), "reason": input_["reason"], "referenceDocumentUri": input_.get("referenceDocumentUri"),
             "changes": changes, "app": None, "staffMember": None}
    for row, _ in deltas:
        store.emit("inventory_levels/update", {"inventory_item_id": row["inventoryItemId"],
                                               "location_id": row["locationId"], "at": at,
                                               "available": book.quantity(row["inventoryItemId"], row["locationId"],
                                                                          "available")})
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


@resolver("Mutation", "inventoryAdjustQuantities")
@idempotent(required=True, mismatch_error=MISMATCH)
def inventory_adjust_quantities(_, info, input):
    store = info.context.store
    with store.lock:
        rows = input.get("changes") or []
        errors = _check(store.inventory, rows, input["name"], input["reason"], "changes", "delta", NAMES,
                        "INVALID_QUANTITY_NAME", "ADJUST_QUANTITIES_FAILED")
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        return _apply(info, input, [(row, row["delta"]) for row in rows], input["name"])


@resolver("Mutation", "inventorySetQuantities")
@idempotent(required=True, mismatch_error=MISMATCH)
def inventory_set_quantities(_, info, input):
    store = info.context.store
    with store.lock:
        rows = input.get("quantities") or []
        errors = _check(store.inventory, rows, input["name"], input["reason"], "quantities", "quantity", SETTABLE,
                        "INVALID_NAME", "COMPARE_QUANTITY_REQUIRED")
        if not errors and any(row["quantity"] < 0 for row in rows):
            errors.append(_err(["input", "quantities"], "Quantities cannot be negative.", "INVALID_QUANTITY_NEGATIVE"))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        book = store.inventory
        deltas = [(row, row["quantity"] - book.quantity(row["inventoryItemId"], row["locationId"], input["name"]))
                  for row in rows]
        return _apply(info, input, deltas, input["name"])
