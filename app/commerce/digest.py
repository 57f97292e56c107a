"""Content digests of records: sha256 of exactly the text `repr(record)` gives, with chosen top-level fields blank.

Stored digests settle ties between deliveries of the same version, so the text must never change: it is the
dataclasses' generated repr and nothing else (tests compare it with `repr` on sandbox orders). Writing it is one of
the hottest parts of a backfill, so:
- each record class gets a writer compiled once from its fields: the f-string the dataclass module generates,
  with nested records and tuples written by their own writers (classes without a generated repr, and values of
  any other type, are written by `repr` itself);
- the texts of the immutable values the mappers share between records (memoised `MoneySet`s, `Money`s and
  timestamps) are remembered by identity: an entry holds its object, so its id cannot be reused while it is
  remembered, and the memo is bounded (emptied when full).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import datetime
from functools import cache
from typing import Any

from app.commerce.records import Money, MoneySet

Writer = Callable[[Any], str]
_SIMPLE = frozenset({"str", "int", "bool", "float", "Decimal", "None"})  # plain reprs, never a record inside
_SHARED = frozenset({MoneySet, Money, datetime})
_MEMO: dict[int, tuple[Any, str]] = {}
_MEMO_SIZE = 8192


def record_digest(record: Any, blank: frozenset[str] = frozenset()) -> str:
    """sha256 of `repr(record)` with the fields named in `blank` shown empty (`()`), without copying the record."""
    return hashlib.sha256(_writer(type(record), blank)(record).encode("utf-8")).hexdigest()


def text_of(value: Any) -> str:
    """Exactly `repr(value)`."""
    kind = type(value)
    if kind is tuple:
        if len(value) == 1:
            return f"({text_of(value[0])},)"
        return "(" + ", ".join(map(text_of, value)) + ")"
    if kind in _SHARED:
        known = _MEMO.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        text = _writer(kind, frozenset())(value)
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[id(value)] = (value, text)
        return text
    return _writer(kind, frozenset())(value)


@cache
def repr_fields(cls: type) -> tuple[str, ...] | None:
    """The fields a dataclass's generated repr shows; None when the class has no generated repr."""
    generated = is_dataclass(cls) and cls.__dataclass_params__.repr and hasattr(cls.__repr__, "__wrapped__")
    if not generated:
        return None
    return tuple(field.name for field in fields(cls) if field.repr)


def _simple(annotation: Any) -> bool:
    return isinstance(annotation, str) and all(part.strip() in _SIMPLE for part in annotation.split("|"))


@cache
def _writer(cls: type, blank: frozenset[str]) -> Writer:
    names = repr_fields(cls)
    if names is None:
        return repr  # `blank` applies to generated reprs only (as it always has)
    annotations = {field.name: field.type for field in fields(cls)}
    pieces = []
    for index, name in enumerate(names):
        separator = ", " if index else ""
        if name in blank:
            pieces.append(f"{separator}{name}=()")
        elif _simple(annotations[name]):  # `!r` and `text_of` write the same text; `!r` is quicker on plain values
            pieces.append(f"{separator}{name}={{value.{name}!r}}")
        else:
            pieces.append(f"{separator}{name}={{text_of(value.{name})}}")
    source = f"def write(value):\n    return {cls.__qualname__ + '('!r} + f'{''.join(pieces)}' + ')'\n"
    namespace: dict[str, Any] = {"text_of": text_of}
    exec(source, namespace)  # noqa: S102 - source built above from dataclass field names only
    return namespace["write"]
