"""Canonical commerce records: frozen dataclasses that every source (webhook JSON, Admin GraphQL, bulk JSONL) maps to.

Invariants:
- Shopify ids are `gid://shopify/<Type>/<n>` strings, never numbers.
- Amounts are `Decimal` (parsed from strings, never from floats); a `MoneySet` keeps the shop-currency and the
  presentment-currency amount side by side, each with its currency.
- Enumerations are lower-case snake (REST `partial` and GraphQL `PARTIALLY_FULFILLED` both become
  `partially_fulfilled`), so a record mapped from either source compares equal.
- `validation_issues` lists what a source left out that Shopify normally sends; the record is still usable.
- `rest_shaped` (orders, refunds, fulfilments and transactions from webhooks) says the source carries fewer facts
  than an Admin GraphQL read of the same version: no HS code, origin or cost on lines, no fulfilment-line ids, no
  display status, no refund total, no shop-currency amount on a foreign-currency transaction. Such a record loses
  every tie against a GraphQL read of its version, and its children keep the facts a GraphQL read stored for them
  (`app.commerce.service`). So a webhook and a sync of one version end in the sync's state, in either order.
- `partial` (refunds, fulfillments, transactions, returns) says the source could not carry one of the record's
  lists or links (Shopify's orders bulk file has no room for fulfilment lines, refund order adjustments or a
  refund's transactions, and no bulk file for return lines): such a record never replaces what is stored for that
  version, and a complete record of the same version always wins over it (`app.commerce.batch`).
- `version_at` is the timestamp ordering decisions use (`updated_at`, else the creation time); when a source has
  neither, the caller supplies one (the webhook's `X-Shopify-Triggered-At`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class MoneySet:
    shop: Money | None
    presentment: Money | None = None


@dataclass(frozen=True, slots=True)
class Address:
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    province: str | None = None
    province_code: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class TaxLineRecord:
    title: str
    rate: str | None  # decimal fraction as a string, e.g. "0.19"
    amount: MoneySet
    channel_liable: bool | None = None
    rate_percentage: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class DiscountAllocationRecord:
    amount: MoneySet
    application_index: int | None = None


@dataclass(frozen=True, slots=True)
class DutyRecord:
    shopify_id: str | None
    hs_code: str | None
    country_of_origin: str | None
    price: MoneySet | None
    tax_lines: tuple[TaxLineRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class LineItemRecord:
    shopify_id: str
    title: str | None
    quantity: int
    unit_price: MoneySet | None
    sku: str | None = None
    name: str | None = None
    variant_title: str | None = None
    variant_id: str | None = None
    product_id: str | None = None
    current_quantity: int | None = None
    fulfillable_quantity: int | None = None
    discounted_unit_price: MoneySet | None = None
    total_discount: MoneySet | None = None
    discount_allocations: tuple[DiscountAllocationRecord, ...] = ()
    requires_shipping: bool | None = None
    taxable: bool | None = None
    is_gift_card: bool = False
    fulfillment_service: str | None = None
    fulfillment_status: str | None = None
    tax_lines: tuple[TaxLineRecord, ...] = ()
    duties: tuple[DutyRecord, ...] = ()
    hs_code: str | None = None
    country_hs_codes: tuple[tuple[str, str], ...] = ()  # (country code, HS code)
    country_of_origin: str | None = None
    province_of_origin: str | None = None
    unit_cost: Money | None = None
    properties: tuple[tuple[str, str], ...] = ()
    product_exists: bool | None = None


@dataclass(frozen=True, slots=True)
class ShippingLineRecord:
    shopify_id: str | None
    title: str | None
    price: MoneySet | None
    code: str | None = None
    source: str | None = None
    discounted_price: MoneySet | None = None
    is_removed: bool = False
    tax_lines: tuple[TaxLineRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    shopify_id: str
    order_id: str | None
    kind: str | None
    status: str | None
    amount: MoneySet | None
    gateway: str | None = None
    parent_id: str | None = None
    refund_id: str | None = None
    created_at: datetime | None = None
    processed_at: datetime | None = None
    test: bool = False
    error_code: str | None = None
    authorization: str | None = None
    payment_method: str | None = None
    remote_reference: str | None = None
    resource: str = "order_transaction"  # or "tender_transaction"
    validation_issues: tuple[str, ...] = ()
    rest_shaped: bool = field(default=False, repr=False, compare=False)  # see the module docstring
    partial: bool = field(default=False, repr=False, compare=False)  # a refund of its order may own it: not sent

    @property
    def version_at(self) -> datetime | None:
        return self.processed_at or self.created_at


@dataclass(frozen=True, slots=True)
class RefundLineRecord:
    shopify_id: str | None
    line_item_id: str | None
    quantity: int
    restock_type: str | None
    subtotal: MoneySet | None = None
    total_tax: MoneySet | None = None
    location_id: str | None = None
    restocked: bool | None = None


@dataclass(frozen=True, slots=True)
class RefundAdjustmentRecord:
    """A refunded amount that is not a line: `shipping`, `order_adjustment` or `duty`."""

    kind: str
    amount: MoneySet | None
    tax_amount: MoneySet | None = None
    reason: str | None = None
    shopify_id: str | None = None


@dataclass(frozen=True, slots=True)
class RefundRecord:
    shopify_id: str
    order_id: str | None
    created_at: datetime | None
    processed_at: datetime | None = None
    updated_at: datetime | None = None
    note: str | None = None
    restock: bool | None = None
    return_id: str | None = None
    total_refunded: MoneySet | None = None
    lines: tuple[RefundLineRecord, ...] = ()
    adjustments: tuple[RefundAdjustmentRecord, ...] = ()
    transactions: tuple[TransactionRecord, ...] = ()
    validation_issues: tuple[str, ...] = ()
    partial: bool = field(default=False, repr=False, compare=False)  # its order adjustments were not sent
    rest_shaped: bool = field(default=False, repr=False, compare=False)

    @property
    def version_at(self) -> datetime | None:
        return self.updated_at or self.processed_at or self.created_at


@dataclass(frozen=True, slots=True)
class ReturnLineRecord:
    shopify_id: str | None
    line_item_id: str | None
    quantity: int
    fulfillment_line_item_id: str | None = None
    refundable_quantity: int | None = None
    refunded_quantity: int | None = None
    reason: str | None = None
    reason_name: str | None = None
    reason_note: str | None = None
    customer_note: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    shopify_id: str
    order_id: str | None
    status: str | None
    name: str | None = None
    total_quantity: int | None = None
    decline_reason: str | None = None
    decline_note: str | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    request_approved_at: datetime | None = None
    lines: tuple[ReturnLineRecord, ...] = ()
    validation_issues: tuple[str, ...] = ()
    partial: bool = field(default=False, repr=False, compare=False)  # its lines were not sent

    @property
    def version_at(self) -> datetime | None:
        return None  # returns carry no updated_at: the caller passes the delivery's triggered-at


@dataclass(frozen=True, slots=True)
class FulfillmentLineRecord:
    shopify_id: str | None
    line_item_id: str | None
    quantity: int


@dataclass(frozen=True, slots=True)
class FulfillmentRecord:
    shopify_id: str
    order_id: str | None
    status: str | None
    name: str | None = None
    shipment_status: str | None = None
    display_status: str | None = None
    tracking_company: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    tracking_urls: tuple[str, ...] = ()
    location_id: str | None = None
    service: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    lines: tuple[FulfillmentLineRecord, ...] = ()
    validation_issues: tuple[str, ...] = ()
    partial: bool = field(default=False, repr=False, compare=False)  # its lines were not sent
    rest_shaped: bool = field(default=False, repr=False, compare=False)

    @property
    def version_at(self) -> datetime | None:
        return self.updated_at or self.created_at


@dataclass(frozen=True, slots=True)
class FulfillmentOrderLineRecord:
    shopify_id: str | None
    line_item_id: str | None
    total_quantity: int
    remaining_quantity: int | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentOrderRecord:
    shopify_id: str
    order_id: str | None
    status: str | None
    request_status: str | None = None
    delivery_method: str | None = None  # SHIPPING, LOCAL, PICK_UP, PICKUP_POINT, RETAIL, NONE (lower-cased)
    assigned_location_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    lines: tuple[FulfillmentOrderLineRecord, ...] = ()
    validation_issues: tuple[str, ...] = ()

    @property
    def version_at(self) -> datetime | None:
        return self.updated_at or self.created_at


@dataclass(frozen=True, slots=True)
class OrderRecord:
    shopify_id: str
    name: str | None
    created_at: datetime | None
    updated_at: datetime | None
    currency: str | None
    presentment_currency: str | None
    taxes_included: bool | None
    legacy_id: str | None = None
    number: int | None = None
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    tax_exempt: bool | None = None
    test: bool = False
    financial_status: str | None = None
    fulfillment_status: str | None = None
    source_name: str | None = None
    customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    customer_tax_id: str | None = None
    customer_locale: str | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    custom_attributes: tuple[tuple[str, str], ...] = ()
    payment_gateway_names: tuple[str, ...] = ()
    subtotal: MoneySet | None = None
    total_price: MoneySet | None = None
    total_tax: MoneySet | None = None
    total_discounts: MoneySet | None = None
    total_shipping: MoneySet | None = None
    current_total_price: MoneySet | None = None
    current_total_tax: MoneySet | None = None
    total_outstanding: MoneySet | None = None
    total_duties: MoneySet | None = None
    tax_lines: tuple[TaxLineRecord, ...] = ()
    line_items: tuple[LineItemRecord, ...] = ()
    shipping_lines: tuple[ShippingLineRecord, ...] = ()
    refunds: tuple[RefundRecord, ...] = ()
    fulfillments: tuple[FulfillmentRecord, ...] = ()
    fulfillment_orders: tuple[FulfillmentOrderRecord, ...] = ()
    transactions: tuple[TransactionRecord, ...] = ()
    returns: tuple[ReturnRecord, ...] = ()
    validation_issues: tuple[str, ...] = ()
    rest_shaped: bool = field(default=False, repr=False, compare=False)  # see the module docstring

    @property
    def version_at(self) -> datetime | None:
        return self.updated_at or self.created_at


@dataclass(frozen=True, slots=True)
class PayoutRecord:
    shopify_id: str
    status: str | None
    issued_at: datetime | None
    net: Money | None
    summary: tuple[tuple[str, Decimal], ...] = ()  # (charges_gross, ...) in the payout currency
    validation_issues: tuple[str, ...] = ()

    @property
    def version_at(self) -> datetime | None:
        return self.issued_at


@dataclass(frozen=True, slots=True)
class BalanceTransactionRecord:
    shopify_id: str
    type: str | None
    amount: Money | None
    fee: Money | None = None
    net: Money | None = None
    test: bool = False
    payout_id: str | None = None
    payout_status: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    source_order_id: str | None = None
    source_order_transaction_id: str | None = None
    processed_at: datetime | None = None
    adjustment_reason: str | None = None
    validation_issues: tuple[str, ...] = ()

    @property
    def version_at(self) -> datetime | None:
        return self.processed_at


@dataclass(frozen=True, slots=True)
class InventoryLevelRecord:
    inventory_item_id: str
    location_id: str
    available: int | None
    updated_at: datetime | None


PAYOUT_SUMMARY_FIELDS = (
    "charges_gross", "charges_fee", "refunds_gross", "refunds_fee", "adjustments_gross", "adjustments_fee",
    "reserved_funds_gross", "reserved_funds_fee", "retried_payouts_gross", "retried_payouts_fee",
)
