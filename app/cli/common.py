"""Shared CLI plumbing: settings from the environment, one-line errors, running coroutines."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from app.config import Settings
from app.errors import TaxreconError

T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to stderr and exit (2 = bad input, 1 = a failed check)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
    name = f"TAXRECON_{where.upper()}" if first.get("loc") else where
    return f"{name}: {first.get('msg', 'invalid value')}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `.env`; a bad value exits 2 naming the variable."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        fail(describe_validation_error(exc))


def handle_errors(func: Callable[..., T]) -> Callable[..., T]:
    """Turn expected errors into one line and exit 2; let typer.Exit through."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except TaxreconError as exc:
            fail(exc.message)
        except ValidationError as exc:
            fail(describe_validation_error(exc))

    return wrapper


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_listing(rows: list[dict[str, Any]], *, as_json: bool, empty: str, headers: tuple[str, ...],
                  cells: Callable[[dict[str, Any]], tuple[str, ...]]) -> None:
    """A list command's output: JSON with `--json`, a one-line hint on stderr when empty, a table otherwise."""
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(empty, err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers)
    for row in rows:
        table.add_row(*cells(row))
    Console(width=200).print(table)


def freeze_startup_heap() -> None:
    """Put what start-up made (modules, the GraphQL schema, ORM mappers, compiled statements: ~120k objects) out of
    the cyclic collector's reach, as long-running services do. Every full collection would otherwise scan them all
    again: a backfill spent about 6 % of its time doing that. Garbage is collected first, so none is frozen; objects
    frozen are still freed by reference counting when they die (only cycles among them would stay).
    Called by `taxrecon serve` and `taxrecon worker` once their process is set up, never by library code."""
    gc.collect()
    gc.freeze()
