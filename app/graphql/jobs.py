"""Jobs started by mutations: `JobPayload` (what a mutation returns) and `jobs(ids)` to follow them."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from app.errors import InvalidInput
from app.graphql.permissions import Authenticated
from app.graphql.types import UserError
from app.jobs import job_status
from app.jobs.models import OutboxMessage
from app.jobs.outbox import resolve_job_ids


@strawberry.type(description="One durable job (an outbox row): pending until done, or dead after its retries.")
class Job:
    id: strawberry.ID
    name: str | None
    status: str = strawberry.field(description="pending, done, dead, or missing.")
    attempts: int | None
    last_error: str | None


@strawberry.type(description="What a mutation that starts work returns: the jobs it queued, or why it could not.")
class JobPayload:
    jobs: list[Job]
    errors: list[UserError]

    @classmethod
    def started(cls, status: dict[str, Any]) -> JobPayload:
        return cls(jobs=[_job(entry) for entry in status.get("jobs", [])], errors=[])

    @classmethod
    def failed(cls, code: str, message: str, field: str | None = None) -> JobPayload:
        return cls(jobs=[], errors=[UserError(code=code, message=message, field=field)])


def _job(entry: dict[str, Any]) -> Job:
    return Job(id=strawberry.ID(str(entry["id"])), name=entry.get("name"), status=entry["status"],
               attempts=entry.get("attempts"), last_error=entry.get("last_error"))


def parse_ids(ids: list[strawberry.ID]) -> list[uuid.UUID]:
    if len(ids) > 100:
        raise InvalidInput("ask for at most 100 jobs at a time", field="ids")
    try:
        return [uuid.UUID(str(i)) for i in ids]
    except ValueError as exc:
        raise InvalidInput("job ids are UUIDs as returned by a mutation", field="ids") from exc


@strawberry.type
class JobQueries:
    @strawberry.field(permission_classes=[Authenticated], description="Status of jobs returned by mutations.")
    async def jobs(self, info: Info, ids: list[strawberry.ID]) -> list[Job]:
        """A job of a shop the caller cannot see is reported as `missing`, exactly like an unknown id."""
        ctx = info.context
        wanted = parse_ids(ids)
        async with ctx.read_session() as session:
            visible = await _visible_job_ids(session, wanted, ctx.visible_shop_ids())
            status = await job_status(session, [i for i in wanted if i in visible])
        known = {uuid.UUID(entry["id"]): entry for entry in status["jobs"]}
        missing = {"name": None, "status": "missing", "attempts": 0, "last_error": None}
        return [_job(known.get(i) or {"id": str(i), **missing}) for i in wanted]


async def _visible_job_ids(session: Any, ids: list[uuid.UUID], shops: frozenset[uuid.UUID] | None) -> set[uuid.UUID]:
    """Jobs are tenant data when their payload names a shop; jobs without a shop are visible to admins only.
    An id may name a row directly or through a deduplicated enqueue (an alias): the row's payload decides."""
    rows_of = await resolve_job_ids(session, ids)
    payloads = dict((await session.execute(select(OutboxMessage.id, OutboxMessage.payload)
                                           .where(OutboxMessage.id.in_(set(rows_of.values()))))).all())
    return {i for i, row in rows_of.items()
            if row in payloads and (shops is None or _shop_of(payloads[row]) in shops)}


def _shop_of(payload: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(payload.get("shop_id")))
    except (AttributeError, ValueError):
        return None
