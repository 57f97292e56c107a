"""`generate_store(seed, orders, ...)`: a deterministic sandbox store with its tokens."""

from __future__ import annotations

from app.shopify.sandbox.profile import AUTO_FULFILL, PLANS, ShopProfile
from app.shopify.sandbox.store import FULL_SCOPES, READ_ONLY_SCOPES, SandboxStore, TokenGrant

DEFAULT_DOMAIN = "taxrecon-sandbox.myshopify.com"
DEFAULT_TOKEN = "shpat_sandbox_full_access"
DEFAULT_READ_ONLY_TOKEN = "shpat_sandbox_read_only"
DEFAULT_WEBHOOK_SECRET = "sandbox-webhook-secret"


def generate_store(seed: int, orders: int, *, shop_domain: str = DEFAULT_DOMAIN, kind: str = "eu",
                   auto_fulfill: str = "GIFT_CARDS", plan: str = "standard", access_token: str = DEFAULT_TOKEN,
                   read_only_token: str | None = None, webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
                   span_days: int = 150) -> SandboxStore:
    """A store of exactly `orders` orders, identical for the same arguments (orders are built lazily)."""
    if orders < 0:
        raise ValueError("orders must be >= 0")
    if kind not in ("eu", "us"):
        raise ValueError(f"kind must be 'eu' or 'us', not {kind!r}")
    if auto_fulfill not in AUTO_FULFILL:
        raise ValueError(f"auto_fulfill must be one of {', '.join(AUTO_FULFILL)}")
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}")
    if not shop_domain.endswith(".myshopify.com"):
        raise ValueError("shop domain must end with .myshopify.com")
    read_only_token = read_only_token or (access_token + "_read_only" if access_token != DEFAULT_TOKEN
                                          else DEFAULT_READ_ONLY_TOKEN)
    tokens = {access_token: TokenGrant(access_token, "full", FULL_SCOPES),
              read_only_token: TokenGrant(read_only_token, "read-only", READ_ONLY_SCOPES)}
    profile = ShopProfile(domain=shop_domain, seed=seed, order_count=orders, kind=kind, auto_fulfill=auto_fulfill,
                          plan=plan, span_days=span_days)
    return SandboxStore(profile, webhook_secret, tokens)
