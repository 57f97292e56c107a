"""Bulk output rendered by forked worker processes (Linux fork: they inherit the store as it is at the start).

Orders are split into chunks; each worker builds, projects and serialises its chunks into text, and the parent
writes the chunks to the file in order as they arrive (`imap` keeps the order), so the JSONL is identical to the
serial output and the parent holds only a few chunks at a time. Falls back to serial rendering where fork is not
available.
"""

from __future__ import annotations

import multiprocessing
import threading

CHUNK = 500
_JOB: tuple | None = None            # (store, projector, root, root arguments) for the forked workers


def _render_chunk(bounds: tuple[int, int]) -> tuple[str, int, int]:
    store, projector, root, args = _JOB
    return _render(store, projector, root, args, range(*bounds))


def _render(store, projector, root: str, args: dict, indices) -> tuple[str, int, int]:
    """The JSONL text of the orders at `indices` (their roots and children), its object count and root count."""
    from app.shopify.sandbox.bulk import _lines_for, render, roots_of
    text, objects, roots = [], 0, 0
    for index in indices:
        for item in roots_of(store.order(index, cache=False), root, args):
            lines = _lines_for(item, projector)
            text.append(render(lines))
            objects += len(lines)
            roots += 1
    return "".join(text), objects, roots


def _child_init() -> None:
    if _JOB is None:                 # a replacement worker forked after set-up: its chunks fail, the operation FAILS
        return
    store = _JOB[0]
    store.lock = threading.RLock()   # a lock held by another parent thread at fork time would never be released here


def write_parallel(store, projector, out, op, workers: int) -> None:
    global _JOB
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        context = None
    if context is None:
        text, objects, roots = _render(store, projector, op.root, op.root_args, range(store.order_count))
        out.write(text)
        op.object_count += objects
        op.root_object_count += roots
        return
    chunks = [(start, min(start + CHUNK, store.order_count)) for start in range(0, store.order_count, CHUNK)]
    with store.lock:                 # a consistent snapshot: no mutation runs while the workers fork
        _JOB = (store, projector, op.root, op.root_args)
        pool = context.Pool(workers, initializer=_child_init)
        _JOB = None
    try:
        for text, objects, roots in pool.imap(_render_chunk, chunks):
            if op.cancel_requested:
                break
            out.write(text)
            op.object_count += objects
            op.root_object_count += roots
    finally:
        pool.terminate()
        pool.join()
