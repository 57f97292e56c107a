"""Columns every canonical parent row shares: tenancy, the Shopify id, and what ordering decisions need.

`source_updated_at` is the version applied (a newer one replaces the row and all its children; an older one is
counted as stale); `content_hash` breaks ties between two different payloads of the same version deterministically,
so the final state never depends on delivery order. `revision` counts applied versions (ledger keys use it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.db import Timestamps, UUIDPrimaryKey


class ShopOwned:
    @declared_attr
    def shop_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        return mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=False)


class VersionedParent(UUIDPrimaryKey, Timestamps, ShopOwned):
    shopify_id: Mapped[str] = mapped_column(String(120))
    source_updated_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(default=1)
    validation_issues: Mapped[list[Any]] = mapped_column(default=list)
