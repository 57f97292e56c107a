"""Canonical commerce tables (every row carries `shop_id`; Shopify ids are strings; money in minor units)."""

from app.commerce.models.after_sale import (
    Fulfillment, FulfillmentLine, FulfillmentOrder, Refund, RefundAdjustment, RefundLine, Return, ReturnLine,
    Transaction,
)
from app.commerce.models.orders import LineItem, Order, ShippingLine, TaxLine
from app.commerce.models.payments import BalanceTransaction, InventoryLevel, Payout, StaleCounter, StaleDelivery

__all__ = [
    "BalanceTransaction", "Fulfillment", "FulfillmentLine", "FulfillmentOrder", "InventoryLevel", "LineItem", "Order",
    "Payout", "Refund", "RefundAdjustment", "RefundLine", "Return", "ReturnLine", "ShippingLine", "StaleCounter",
    "StaleDelivery", "TaxLine", "Transaction",
]
