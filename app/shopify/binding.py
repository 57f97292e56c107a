"""Binding health: the checks a seller needs to pass before going live, each with why and what to do.

Checks: token valid; API version supported; shop domain matches exactly; read scopes; write scopes (a read-only or
test token "can read orders but cannot write fulfilment status back" is named as such); webhook subscriptions for
order creation and fulfilment updates pointing at us; the digital auto-fulfilment setting declared in the shop's
tax profile (`digital_auto_fulfill`) agrees with what recent paid orders show.

Shopify exposes no field for the "after an order has been paid" auto-fulfil setting, so it is inferred: a fulfillment
without tracking created within `AUTO_FULFIL_WINDOW` of the payment, covering the order's digital lines, is Shopify
auto-fulfilling; digital lines left unfulfilled past that window mean it does not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from app.config import Settings
from app.shopify.client import AdminClient, ShopifyError, ShopifyReauthRequired
from app.shopify.throttle import MAX_SINGLE_QUERY_COST
from app.shopify.sync import REQUIRED_TOPICS, client_for_shop, list_webhooks, parse_iso, webhook_url
from app.shops.models import Shop

AUTO_FULFIL_WINDOW = timedelta(minutes=10)
SAMPLE_ORDERS = 50
PAID = "financial_status:paid"
READ_SCOPES = {
    "orders": ("read_orders",),
    "fulfillment orders": ("read_merchant_managed_fulfillment_orders", "read_assigned_fulfillment_orders",
                           "read_third_party_fulfillment_orders"),
    "returns": ("read_returns",),
    "products and inventory items (HS codes, origin, cost)": ("read_products", "read_inventory"),
    "customers (tax ids)": ("read_customers",),
}
WRITE_SCOPES = {
    "fulfilment status and tracking": ("write_merchant_managed_fulfillment_orders",
                                       "write_assigned_fulfillment_orders", "write_third_party_fulfillment_orders"),
}
FIX_REAUTH = ("re-authorise the app in Shopify, then store the new token: "
              "taxrecon shops set-credentials --domain <shop> --access-token -")


@dataclass
class Check:
    name: str
    ok: bool
    why: str
    fix: str | None = None


@dataclass
class BindingReport:
    shop: str
    checks: list[Check] = field(default_factory=list)
    needs_reauth: bool = False
    granted_scopes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, why: str, fix: str | None = None) -> None:
        self.checks.append(Check(name, ok, why, None if ok else fix))

    def as_dict(self) -> dict[str, Any]:
        return {"shop": self.shop, "ok": self.ok, "needs_reauth": self.needs_reauth,
                "granted_scopes": self.granted_scopes, "checks": [asdict(c) for c in self.checks]}


def _effective(scopes: set[str]) -> set[str]:
    """Granted scopes plus what they imply (a write_ scope includes its read_ scope)."""
    return scopes | {s.replace("write_", "read_", 1) for s in scopes if s.startswith("write_")}


def check_scopes(report: BindingReport, scopes: set[str]) -> None:
    have = _effective(scopes)
    missing_read = [what for what, options in READ_SCOPES.items() if not have.intersection(options)]
    if missing_read:
        report.add("read_scopes", False, f"the token cannot read {', '.join(missing_read)}",
                   "reinstall the app with the missing read scopes (" + ", ".join(
                       READ_SCOPES[m][0] for m in missing_read) + ")")
    else:
        report.add("read_scopes", True, "the token can read orders, fulfillment orders, returns, products and "
                                        "customers")
    missing_write = [what for what, options in WRITE_SCOPES.items() if not scopes.intersection(options)]
    if not missing_write:
        report.add("write_scopes", True, "the token can write fulfilment status and tracking back to Shopify")
    elif not any(s.startswith("write_") for s in scopes):
        report.add("write_scopes", False, "read-only token: it can read orders but cannot write fulfilment status "
                                          "back (no write_ scope at all; a test or read-only token?)",
                   "install the app with write_merchant_managed_fulfillment_orders and store that token")
    else:
        report.add("write_scopes", False, f"the token cannot write {', '.join(missing_write)}",
                   "add write_merchant_managed_fulfillment_orders to the app's scopes and reinstall")


def check_webhooks(report: BindingReport, subscriptions: list[dict[str, Any]], url: str) -> None:
    ours = {s["topic"] for s in subscriptions if s.get("uri") == url}
    missing = [t for t in REQUIRED_TOPICS if t not in ours]
    if not missing:
        report.add("webhooks", True, f"{', '.join(REQUIRED_TOPICS)} deliver to {url}")
        return
    elsewhere = sorted({s.get("uri", "?") for s in subscriptions if s["topic"] in missing})
    why = f"no subscription delivering {', '.join(missing)} to {url}"
    if elsewhere:
        why += f" (they point at {', '.join(elsewhere)})"
    report.add("webhooks", False, why, "run `taxrecon sync --shop D` (it re-creates missing subscriptions), or "
                                       "check TAXRECON_PUBLIC_URL")


def _paid_at(order: dict[str, Any]):
    moments = [parse_iso(t.get("processedAt") or t.get("createdAt")) for t in order.get("transactions") or []
               if t.get("status") == "SUCCESS" and t.get("kind") in ("SALE", "CAPTURE")]
    moments = [m for m in moments if m is not None]
    return min(moments) if moments else parse_iso(order.get("processedAt"))


def auto_fulfilled(order: dict[str, Any]) -> bool | None:
    """True/False for an order with digital (non gift card) lines; None when the order says nothing."""
    lines = (order.get("lineItems") or {}).get("nodes") or []
    digital = {line["id"] for line in lines if not line.get("requiresShipping") and not line.get("isGiftCard")}
    paid = _paid_at(order)
    if not digital or paid is None:
        return None
    for fulfillment in order.get("fulfillments") or []:
        created = parse_iso(fulfillment.get("createdAt"))
        untracked = not any(t.get("number") for t in fulfillment.get("trackingInfo") or [])
        covered = {n["lineItem"]["id"] for n in (fulfillment.get("fulfillmentLineItems") or {}).get("nodes") or []
                   if n.get("lineItem")}
        if created is not None and untracked and created - paid <= AUTO_FULFIL_WINDOW and digital & covered:
            return True
    return False


def check_auto_fulfil(report: BindingReport, declared: Any, orders: list[dict[str, Any]]) -> None:
    evidence = [v for v in (auto_fulfilled(o) for o in orders) if v is not None]
    fix = ("set digital_auto_fulfill in the shop's tax profile to what Shopify does (Settings > Checkout > Order "
           "processing > 'After an order has been paid'), or change that setting; "
           "taxrecon shops set-profile --domain <shop> --tax-profile FILE")
    if not isinstance(declared, bool):
        report.add("digital_auto_fulfill", False, "the shop's tax profile does not declare digital_auto_fulfill",
                   fix)
        return
    if not evidence:
        report.add("digital_auto_fulfill", True, f"declared {str(declared).lower()}; no recent paid order with "
                                                 "digital lines to compare with")
        return
    auto = sum(evidence)
    if auto and auto < len(evidence):
        report.add("digital_auto_fulfill", False, f"inconsistent behaviour: {auto} of {len(evidence)} recent paid "
                                                  "orders with digital lines were auto-fulfilled", fix)
    elif bool(auto) == declared:
        report.add("digital_auto_fulfill", True, f"declared {str(declared).lower()}, and {len(evidence)} recent paid "
                                                 "orders with digital lines agree")
    else:
        seen = "auto-fulfils" if auto else "does not auto-fulfil"
        report.add("digital_auto_fulfill", False, f"declared {str(declared).lower()}, but Shopify {seen} digital "
                                                  f"lines ({auto} of {len(evidence)} recent paid orders)", fix)


def _sample_size(client: AdminClient) -> int:
    """As many recent orders (up to SAMPLE_ORDERS) as one query may cost."""
    one = client.requested_cost("recent_paid_orders", {"first": 1, "query": PAID})
    return max(1, min(SAMPLE_ORDERS, MAX_SINGLE_QUERY_COST // max(one, 1)))


async def check_binding(settings: Settings, shop: Shop, box: Any, http: httpx.AsyncClient | None = None
                        ) -> BindingReport:
    """Run every check against the shop's Admin API; never raises for a failed check."""
    from app.shops.service import shop_access_token

    report = BindingReport(shop.domain)
    token = shop_access_token(shop, box)
    if not token:
        report.needs_reauth = True
        report.add("token", False, "no access token is stored for this shop", FIX_REAUTH)
        return report
    async with client_for_shop(settings, shop, token, http=http) as client:
        try:
            probe = await client.execute("binding_probe")
        except ShopifyReauthRequired:
            report.needs_reauth = True
            report.add("token", False, "Shopify rejected the token (401): it expired or was revoked", FIX_REAUTH)
            return report
        except ShopifyError as exc:
            report.add("token", False, f"the Admin API did not answer: {exc.message}",
                       "check the shop's Admin API URL and that the store is reachable")
            return report
        report.add("token", True, "Shopify accepts the token")
        await _run_checks(report, client, settings, shop, probe)
    return report


async def _run_checks(report: BindingReport, client: AdminClient, settings: Settings, shop: Shop,
                      probe: dict[str, Any]) -> None:
    versions = {v["handle"]: v["supported"] for v in probe.get("publicApiVersions") or []}
    version = settings.shopify_api_version
    report.add("api_version", bool(versions.get(version)),
               f"API version {version} is {'supported' if versions.get(version) else 'not supported'} by the shop"
               + ("" if versions.get(version) else f" (supported: {', '.join(h for h, s in versions.items() if s)})"),
               "set TAXRECON_SHOPIFY_API_VERSION to a supported version")
    actual = (probe.get("shop") or {}).get("myshopifyDomain")
    report.add("shop_domain", actual == shop.domain,
               f"the token belongs to {actual}" + ("" if actual == shop.domain else f", not {shop.domain}"),
               "register the shop under its exact myshopify.com domain, or use the token of this shop")
    scopes = {s["handle"] for s in (probe.get("currentAppInstallation") or {}).get("accessScopes") or []}
    report.granted_scopes = sorted(scopes)
    check_scopes(report, scopes)
    check_webhooks(report, await list_webhooks(client), webhook_url(settings))
    try:
        data = await client.execute("recent_paid_orders", {"first": _sample_size(client), "query": PAID})
        orders = data["orders"]["nodes"]
    except ShopifyError as exc:
        report.add("digital_auto_fulfill", False, f"recent orders could not be read: {exc.message}",
                   "grant read_orders, then run the check again")
        return
    check_auto_fulfil(report, (shop.tax_profile or {}).get("digital_auto_fulfill"), orders)
