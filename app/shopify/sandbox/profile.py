"""The generated shop's settings and the id scheme shared by the generator, the store and the resolvers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

PLANS: dict[str, tuple[int, int]] = {
    # plan: (restore rate in points/s, bucket size). Restore rates from shopify.md §2; bucket = 20 s of restore
    # (the figure live stores report today, e.g. 2000/100 on Standard; marked UNVERIFIED there).
    "standard": (100, 2000),
    "advanced": (200, 4000),
    "plus": (1000, 20000),
    "enterprise": (2000, 40000),
}
AUTO_FULFILL = ("ALL", "GIFT_CARDS", "NONE")  # "After an order has been paid" (shopify.md §5); GIFT_CARDS is default

# Legacy (numeric) id bases. Children of order i get base + i * CHILD_SLOTS + j, so any id maps back to its order.
CHILD_SLOTS = 32
BASES: dict[str, int] = {
    "Order": 5_100_000_000_000,
    "LineItem": 5_200_000_000_000,
    "ShippingLine": 5_250_000_000_000,
    "Refund": 5_300_000_000_000,
    "RefundLineItem": 5_350_000_000_000,
    "Fulfillment": 5_400_000_000_000,
    "FulfillmentLineItem": 5_450_000_000_000,
    "FulfillmentOrder": 5_500_000_000_000,
    "FulfillmentOrderLineItem": 5_550_000_000_000,
    "Return": 5_600_000_000_000,
    "ReturnLineItem": 5_650_000_000_000,
    "OrderTransaction": 5_700_000_000_000,
    "ShopifyPaymentsBalanceTransaction": 5_800_000_000_000,
    "RefundShippingLine": 5_850_000_000_000,
}
CUSTOMER_BASE = 6_100_000_000_000
PRODUCT_BASE, VARIANT_BASE, INVENTORY_ITEM_BASE = 8_000_000_000, 8_100_000_000, 8_200_000_000
PAYOUT_BASE = 9_000_000


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def child_id(kind: str, index: int, slot: int) -> int:
    return BASES[kind] + index * CHILD_SLOTS + slot


def order_index_of(kind: str, legacy_id: int) -> int | None:
    """The generated order index a child id belongs to, or None if the id is not one of ours."""
    base = BASES.get(kind)
    if base is None or legacy_id < base:
        return None
    offset = legacy_id - base
    if kind == "Order" and offset % CHILD_SLOTS:
        return None                       # orders use slot 0 of their block
    return offset // CHILD_SLOTS


def parse_gid(value: str) -> tuple[str, int] | None:
    parts = value.split("/")
    if len(parts) != 5 or parts[:3] != ["gid:", "", "shopify"]:
        return None
    number = parts[4].split("?")[0]
    return (parts[3], int(number)) if number.isdigit() else None


def iso(moment: datetime) -> str:
    """Shopify's DateTime rendering (UTC, seconds, `Z`)."""
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


@dataclass(frozen=True)
class ShopProfile:
    """What a generated shop is: the generator reads it, the `shop` query answers from it."""

    domain: str
    seed: int
    order_count: int
    kind: str = "eu"                 # "eu": EUR, taxes included, DE; "us": USD, taxes excluded, US
    auto_fulfill: str = "GIFT_CARDS"
    plan: str = "standard"
    start: datetime = datetime(2026, 5, 1, tzinfo=timezone.utc)
    span_days: int = 150
    name: str = field(default="")

    @property
    def currency(self) -> str:
        return "EUR" if self.kind == "eu" else "USD"

    @property
    def taxes_included(self) -> bool:
        return self.kind == "eu"

    @property
    def country(self) -> str:
        return "DE" if self.kind == "eu" else "US"

    @property
    def display_name(self) -> str:
        return self.name or self.domain.split(".")[0].replace("-", " ").title() + " (sandbox)"

    @property
    def interval_seconds(self) -> float:
        return self.span_days * 86400 / max(self.order_count, 1)

    def created_at(self, index: int, jitter: float) -> datetime:
        return self.start + timedelta(seconds=(index + jitter * 0.9) * self.interval_seconds)
