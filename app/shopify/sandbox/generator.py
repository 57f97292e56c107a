"""Seeded, deterministic order generation: `build_order(profile, index)` is a pure function of (seed, index).

Order i's timeline comes from `plan_order` (its own random stream); the details (customer, lines, prices) come from a
second stream, so the store can sort 50,000 orders by `updatedAt` without building them, and build any page on demand.
Amounts are Decimal, generated per atom in the presentment currency and converted to the shop currency (money.py),
then `lifecycle.apply_plan` adds payments, fulfilments, refunds and returns, and `lifecycle.recompute` derives the
statuses and current totals exactly as it does after a mutation.
"""

from __future__ import annotations

import random
from decimal import Decimal

from app.shopify.sandbox import lifecycle
from app.shopify.sandbox.catalog import DESTINATIONS, PRODUCTS, US_STATE_RATES, US_TAXES_SHIPPING, Product
from app.shopify.sandbox.money import RATES_PER_EUR, Amount, money_bag, q2, total
from app.shopify.sandbox.profile import (CUSTOMER_BASE, INVENTORY_ITEM_BASE, PRODUCT_BASE, VARIANT_BASE,
                                         ShopProfile, child_id, gid, iso)
from app.shopify.sandbox.timeline import OrderPlan, plan_order

PHYSICAL = [p for p in PRODUCTS if p.requires_shipping]
DIGITAL = [p for p in PRODUCTS if not p.requires_shipping and not p.gift_card]
GIFT_CARDS = [p for p in PRODUCTS if p.gift_card]
DISCOUNT_RATE = Decimal("0.10")
_LOCALES = {"DE": "de", "AT": "de", "FR": "fr", "NL": "nl", "IT": "it", "ES": "es", "MY": "ms"}


def build_catalog(profile: ShopProfile) -> dict[int, dict]:
    """Variant dicts (with product and inventory item) per product key; shared by every order of the store."""
    catalog = {}
    for product in PRODUCTS:
        rate = Decimal("1") if profile.currency == "EUR" else RATES_PER_EUR["USD"]
        cost = product.cost_eur and q2(product.cost_eur * rate)
        item = {
            "__typename": "InventoryItem", "id": gid("InventoryItem", INVENTORY_ITEM_BASE + product.key),
            "legacyResourceId": str(INVENTORY_ITEM_BASE + product.key), "sku": product.sku,
            "harmonizedSystemCode": product.hs_code.replace(".", "") if product.hs_code else None,
            "countryHarmonizedSystemCodes": [{"__typename": "CountryHarmonizedSystemCode", "countryCode": c,
                                              "harmonizedSystemCode": code} for c, code in product.country_hs],
            "countryCodeOfOrigin": product.origin, "provinceCodeOfOrigin": None,
            "unitCost": {"amount": cost, "currencyCode": profile.currency} if cost else None,
            "tracked": product.requires_shipping, "requiresShipping": product.requires_shipping,
            "measurement": {"weight": {"value": float(product.grams), "unit": "GRAMS"}},
        }
        product_node = {"__typename": "Product", "id": gid("Product", PRODUCT_BASE + product.key),
                        "legacyResourceId": str(PRODUCT_BASE + product.key), "title": product.title,
                        "vendor": product.vendor, "productType": "Gift Card" if product.gift_card else "",
                        "isGiftCard": product.gift_card}
        catalog[product.key] = {
            "__typename": "ProductVariant", "id": gid("ProductVariant", VARIANT_BASE + product.key),
            "legacyResourceId": str(VARIANT_BASE + product.key), "sku": product.sku, "title": "Default Title",
            "displayName": f"{product.title} - Default Title", "price": product.price_eur,
            "inventoryItem": item, "product": product_node,
        }
    return catalog


def tax_for(profile: ShopProfile, plan: OrderPlan, province_code: str | None) -> tuple[str | None, Decimal, bool]:
    """(title, rate, shipping taxed) the shop charges for this destination."""
    dest = DESTINATIONS[plan.destination]
    if dest.country != "US":
        return dest.tax_title, dest.rate, dest.taxes_shipping
    if profile.kind != "us":
        return None, Decimal("0"), False  # the EU shop is not registered for US sales tax
    rate = US_STATE_RATES.get(province_code or "", Decimal("0"))
    return (f"{province_code} State Tax" if rate else None), rate, province_code in US_TAXES_SHIPPING


def build_order(profile: ShopProfile, index: int, catalog: dict[int, dict], plan: OrderPlan | None = None) -> dict:
    plan = plan or plan_order(profile, index)
    r = random.Random(f"{profile.seed}:detail:{index}")
    dest = DESTINATIONS[plan.destination]
    presentment = "EUR" if dest.currency == "EUR" else dest.currency
    if profile.currency == "USD" and dest.country == "US":
        presentment = "USD"
    customer, address = _customer(profile, r, dest)
    title, rate, taxes_shipping = tax_for(profile, plan, address["provinceCode"])
    discounted = r.random() < 0.2
    products = _pick_products(r, plan)
    ctx = _Ctx(profile, presentment, title, rate, index)
    lines = [_line(ctx, catalog, product, qty, slot, discounted, deleted=(slot == 0 and r.random() < 0.02))
             for slot, (product, qty) in enumerate(products)]
    shipping = _shipping(ctx, dest.country, lines, taxes_shipping) if plan.has_physical else []
    order = {
        "__typename": "Order", "id": gid("Order", child_id("Order", index, 0)),
        "legacyResourceId": str(child_id("Order", index, 0)), "name": f"#{1001 + index}", "number": 1001 + index,
        "customerLocale": _LOCALES.get(dest.country, "en"),
        "createdAt": iso(plan.created), "processedAt": iso(plan.created), "updatedAt": iso(plan.created),
        "cancelledAt": None, "cancelReason": None, "closed": False, "closedAt": None, "test": False,
        "edited": False, "confirmed": True, "email": customer["email"], "phone": None,
        "note": None, "tags": [], "poNumber": None, "sourceName": "web",
        "currencyCode": profile.currency, "presentmentCurrencyCode": presentment,
        "taxesIncluded": profile.taxes_included, "taxExempt": False, "dutiesIncluded": False,
        "estimatedTaxes": False, "customer": customer, "shippingAddress": address if plan.has_physical else None,
        "billingAddress": address, "paymentGatewayNames": [plan.gateway],
        "discountCodes": ["WELCOME10"] if discounted else [], "discountCode": "WELCOME10" if discounted else None,
        "customAttributes": _attributes(r, dest.country), "lineItems": lines, "shippingLines": shipping,
        "refunds": [], "fulfillments": [], "returns": [], "transactions": [], "fulfillmentOrders": [],
        "_index": index, "_rate": rate, "_tax_title": title,
    }
    vat = next((a["value"] for a in order["customAttributes"] if a["key"] == "vat_id"), None)
    customer["taxSettings"] = {"__typename": "TaxSettings", "taxId": vat}
    lifecycle.apply_plan(order, plan, profile)
    return order


class _Ctx:
    __slots__ = ("profile", "presentment", "tax_title", "rate", "index")

    def __init__(self, profile, presentment, tax_title, rate, index):
        self.profile, self.presentment, self.tax_title, self.rate, self.index = (
            profile, presentment, tax_title, rate, index)

    def amount(self, presentment_value: Decimal) -> Amount:
        return Amount.of(presentment_value, self.presentment, self.profile.currency)

    def bag(self, amount: Amount) -> dict:
        return money_bag(amount, self.profile.currency, self.presentment)

    def tax_on(self, gross: Amount) -> Amount:
        """Tax in an amount: included (EU style, extracted from the gross) or added (US style)."""
        if not self.rate:
            return Amount.zero()
        if self.profile.taxes_included:
            factor = self.rate / (1 + self.rate)
        else:
            factor = self.rate
        return Amount(q2(gross.presentment * factor), q2(gross.shop * factor))

    def tax_lines(self, amount: Amount) -> list[dict]:
        if not self.tax_title:
            return []
        return [{"__typename": "TaxLine", "title": self.tax_title, "rate": float(self.rate),
                 "ratePercentage": float(self.rate * 100), "priceSet": self.bag(amount), "channelLiable": False,
                 "source": "Shopify", "_amount": amount}]


def _pick_products(r: random.Random, plan: OrderPlan) -> list[tuple[Product, int]]:
    picks: list[tuple[Product, int]] = []
    if plan.has_physical:
        for product in r.sample(PHYSICAL, r.choice((1, 1, 1, 2, 2, 3))):
            picks.append((product, r.choice((1, 1, 1, 2, 3))))
    if plan.has_digital:
        picks.append((r.choice(DIGITAL), 1))
    if plan.has_gift_card:
        picks.append((r.choice(GIFT_CARDS), 1))
    return picks


def _line(ctx: _Ctx, catalog, product: Product, qty: int, slot: int, discounted: bool, deleted: bool) -> dict:
    unit = ctx.amount(product.price_eur * _fx(ctx.presentment))
    original_total = unit.times(qty)
    discount = Amount.zero()
    if discounted and not product.gift_card:
        discount = Amount(q2(original_total.presentment * DISCOUNT_RATE), q2(original_total.shop * DISCOUNT_RATE))
    line_total = original_total - discount
    tax = ctx.tax_on(line_total) if product.taxable else Amount.zero()
    variant = None if deleted else catalog[product.key]
    allocations = [{"__typename": "DiscountAllocation", "allocatedAmountSet": ctx.bag(discount),
                    "discountApplication": {"__typename": "DiscountCodeApplication", "index": 0, "code": "WELCOME10",
                                            "allocationMethod": "ACROSS", "targetType": "LINE_ITEM"}}] \
        if discount.presentment else []
    legacy = child_id("LineItem", ctx.index, slot)
    return {
        "__typename": "LineItem", "id": gid("LineItem", legacy), "title": product.title, "name": product.title,
        "sku": product.sku, "vendor": product.vendor, "variantTitle": None, "quantity": qty,
        "requiresShipping": product.requires_shipping, "isGiftCard": product.gift_card, "taxable": product.taxable,
        "restockable": product.requires_shipping, "fulfillmentService": None, "customAttributes": [],
        "originalUnitPriceSet": ctx.bag(unit), "originalTotalSet": ctx.bag(original_total),
        "discountedUnitPriceSet": ctx.bag(_per_unit(line_total, qty)),
        "discountedTotalSet": ctx.bag(line_total), "totalDiscountSet": ctx.bag(discount),
        "discountAllocations": allocations, "taxLines": ctx.tax_lines(tax) if product.taxable else [],
        "duties": [], "variant": variant, "product": variant and variant["product"],
        "_legacy": legacy, "_unit": unit, "_total": line_total, "_tax": tax, "_grams": product.grams,
    }


def _per_unit(amount: Amount, qty: int) -> Amount:
    return Amount(q2(amount.presentment / qty), q2(amount.shop / qty))


def _fx(currency: str) -> Decimal:
    return RATES_PER_EUR[currency]


def _shipping(ctx: _Ctx, country: str, lines: list[dict], taxed: bool) -> list[dict]:
    goods = total(line["_total"] for line in lines if line["requiresShipping"])
    domestic = country == ctx.profile.country
    base = Decimal("4.95") if domestic else Decimal("5.95") if country in {"FR", "NL", "IT", "ES", "IE", "AT", "DE"} \
        else Decimal("14.95")
    free = goods.shop >= (Decimal("150") if ctx.profile.currency == "EUR" else Decimal("160"))
    price = Amount.zero() if free else ctx.amount(base * _fx(ctx.presentment))
    tax = ctx.tax_on(price) if taxed else Amount.zero()
    title = "Standard" if domestic else "International Express"
    return [{"__typename": "ShippingLine", "id": gid("ShippingLine", child_id("ShippingLine", ctx.index, 0)),
             "title": title, "code": title, "source": "shopify", "carrierIdentifier": None, "custom": False,
             "isRemoved": False, "originalPriceSet": ctx.bag(price), "discountedPriceSet": ctx.bag(price),
             "currentDiscountedPriceSet": ctx.bag(price), "discountAllocations": [],
             "taxLines": ctx.tax_lines(tax) if taxed else [], "_price": price, "_tax": tax}]


def _customer(profile: ShopProfile, r: random.Random, dest) -> tuple[dict, dict]:
    number = r.randrange(max(profile.order_count * 2 // 3, 1))
    c = random.Random(f"{profile.seed}:customer:{number}:{dest.country}")
    first, last = c.choice(dest.first_names), c.choice(dest.last_names)
    place = c.choice(dest.places)
    street = f"{c.choice(place.streets)}"
    legacy = CUSTOMER_BASE + number * 16 + DESTINATIONS.index(dest)
    email = f"{first}.{last}.{number}".lower().replace(" ", "").replace("é", "e").replace("í", "i") + "@example.com"
    address = {"__typename": "MailingAddress", "firstName": first, "lastName": last, "name": f"{first} {last}",
               "company": None, "address1": street, "address2": None, "city": place.city, "zip": place.zip,
               "province": place.province, "provinceCode": place.province_code, "country": place.country_name,
               "countryCodeV2": place.country, "phone": f"{dest.phone_prefix} {c.randrange(1000000, 9999999)}",
               "latitude": None, "longitude": None}
    customer = {"__typename": "Customer", "id": gid("Customer", legacy), "legacyResourceId": str(legacy),
                "firstName": first, "lastName": last, "displayName": f"{first} {last}", "email": email,
                "phone": None, "taxExempt": False, "defaultAddress": address}
    return customer, address


def _attributes(r: random.Random, country: str) -> list[dict]:
    """Some EU business buyers leave their VAT number as a note attribute (as in the fixtures)."""
    if country in {"DE", "FR", "NL", "IT", "ES", "IE", "AT"} and r.random() < 0.08:
        number = "".join(str(r.randrange(10)) for _ in range(9))
        return [{"__typename": "Attribute", "key": "vat_id", "value": f"{country}{number}"}]
    return []
