"""The backfill's last phase: the lines of returns, read order by order.

No bulk file can carry return lines: orders > returns > returnLineItems is three levels of connections, and Shopify
allows two. So the fulfilments file stores each return without its lines (a partial record), and this phase reads
`order_returns.graphql` through the throttled client for every order whose returns have no lines stored yet, in
order-id order after `run.last_root_id`, `ORDERS_PER_SLICE` orders a job: the reads in the job's fetch phase, the
store (and the moved cursor) in its transaction. Only orders with returns cost a request, a small share of a store.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.commerce.models import Return
from app.commerce.service import OrderIngest
from app.db import Database
from app.shopify import bulk
from app.shopify.client import AdminClient, ShopifyReauthRequired
from app.shopify.models import ShopifyBulkRun
from app.shopify.sync import StoreCounts

ORDERS_PER_SLICE = 25


@dataclass
class ReturnsRead:
    """What one slice read: the orders after `after` (the run's cursor when the read began), up to `last`."""

    after: str | None
    nodes: list[dict[str, Any]] = field(default_factory=list)
    last: str | None = None
    at_end: bool = False
    reauth: ShopifyReauthRequired | None = None


def fits(read: ReturnsRead, run: ShopifyBulkRun) -> bool:
    """Whether `read` starts where the run stands (as `bulk.fits` for a bulk file's slices)."""
    return run.phase == "return_lines" and read.after == run.last_root_id


async def orders_lacking_return_lines(session: AsyncSession, shop_id: uuid.UUID, after: str | None,
                                      limit: int) -> list[str]:
    query = (select(Return.order_gid).where(Return.shop_id == shop_id, Return.lines_version_at.is_(None),
                                            Return.order_gid.is_not(None))
             .distinct().order_by(Return.order_gid).limit(limit))
    if after is not None:
        query = query.where(Return.order_gid > after)
    return list((await session.execute(query)).scalars())


async def read_returns(client: AdminClient, database: Database, run: ShopifyBulkRun) -> ReturnsRead:
    """The next slice of orders' returns with their lines (no transaction open)."""
    read = ReturnsRead(after=run.last_root_id)
    async with database.sessionmaker() as session:
        order_gids = await orders_lacking_return_lines(session, run.shop_id, run.last_root_id, ORDERS_PER_SLICE)
    try:
        for order_gid in order_gids:
            node = (await client.execute("order_returns", {"id": order_gid})).get("order")
            if node is not None:  # an order deleted since keeps what the bulk file gave
                read.nodes.append(node)
    except ShopifyReauthRequired as exc:
        read.reauth = exc
        return read
    read.last = order_gids[-1] if order_gids else run.last_root_id
    read.at_end = len(order_gids) < ORDERS_PER_SLICE
    return read


async def store_returns(session: AsyncSession, run: ShopifyBulkRun, read: ReturnsRead) -> bool:
    """Store the slice and move the cursor; True when the phase (and so the run) is done."""
    ingest, counts = OrderIngest(run.shop_id, source="shopify_bulk"), StoreCounts()
    for node in read.nodes:
        bulk.add_details(ingest, node, "return_lines", counts)
    await ingest.write(session)
    run.last_root_id = read.last
    if read.at_end:
        await bulk.finish_phase(session, run, counts, 0)
        return True
    await session.flush()
    return False
