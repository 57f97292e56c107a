"""Shop (the tenant) and API keys.

Every business row in taxrecon carries a `shop_id`; a caller sees only the shops its API key names. Shopify
credentials are stored encrypted (Fernet, see `app.security`); the plaintext never reaches a log or an error.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, Timestamps, UUIDPrimaryKey

ROLES = ("admin", "finance", "accountant", "erp")

api_key_shops = Table(
    "api_key_shops",
    Base.metadata,
    Column("api_key_id", ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("shop_id", ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
)


class Shop(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "shops"

    domain: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    api_url: Mapped[str | None] = mapped_column(String(500))
    tax_profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    granted_scopes: Mapped[list[Any]] = mapped_column(default=list)
    needs_reauth: Mapped[bool] = mapped_column(Boolean, default=False)
    reauth_reason: Mapped[str | None] = mapped_column(Text)
    uninstalled_at: Mapped[datetime | None]

    @property
    def admin_api_base(self) -> str:
        return self.api_url or f"https://{self.domain}"


class ApiKey(UUIDPrimaryKey, Timestamps, Base):
    """An API key: stored as a SHA-256 hash; the key itself is shown once, at creation."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('admin', 'finance', 'accountant', 'erp')", name="role"),)

    name: Mapped[str | None] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    all_shops: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    shops: Mapped[list[Shop]] = relationship(secondary=api_key_shops, lazy="raise")


__all__ = ["ROLES", "ApiKey", "Shop", "api_key_shops", "uuid"]
