"""An inline SQLite connection for the job worker's event loop (plugged into SQLAlchemy through `async_creator`).

Why: aiosqlite runs every call (cursor, execute, fetch, close, commit) on a helper thread and hands the result back
to the event loop: about 0.1 ms per call, 9 calls per job, and much more when the CPUs are busy — the hand-offs, not
SQLite, bounded the embedded worker to a few hundred jobs per second. On the worker's own event loop the SQLite job
transactions are serialised anyway (one writer; see `app.jobs.executor`), so calling `sqlite3` directly blocks
nothing that could have run meanwhile, and the calls take microseconds.

Where: only the worker's `Database` on SQLite (`WorkerResources`). The API's loop keeps aiosqlite, because there
a blocking call would stall every request. Trade-off, stated: a statement waiting on SQLite's busy timeout (another
process holding the write lock) blocks the worker loop for that time; the job's asyncio time limit cannot interrupt
a statement in progress (the thread-level TimeLimit middleware remains the backstop).

The objects below implement exactly the part of aiosqlite's API that SQLAlchemy's aiosqlite dialect calls; errors
are sqlite3's own exceptions, which that dialect already maps.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.engine import make_url


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _InlineQueue:
    """Stands in for aiosqlite's request queue (SQLAlchemy uses it to set the isolation level)."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection = connection  # the dialect checks this is set before commit/rollback
        self._tx = _InlineQueue()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    def stop(self) -> None:
        self._conn.close()
        self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


def inline_creator(database_url: str, *, timeout: float = 10.0) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine` that opens inline connections to the URL's SQLite file."""
    path = make_url(database_url).database or ":memory:"

    async def connect() -> InlineConnection:
        return InlineConnection(sqlite3.connect(path, timeout=timeout, check_same_thread=False))

    return connect
