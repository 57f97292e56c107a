"""The subset of Shopify's search syntax the sandbox understands (`query:` arguments of connections).

`updated_at:>='2026-05-01T00:00:00Z' AND financial_status:paid` — terms are `field:value` or `field:<op>value`
with op one of > >= < <= (or equality), joined by spaces or AND. Like Shopify, unknown fields do not fail the query:
they are ignored and reported under `extensions.search[].warnings`. OR and negation are not modelled (reported as
warnings too, so a client never silently gets a different result set without being told).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, time, timezone

_TERM = re.compile(r"^(?P<field>[a-z_]+):(?P<op>>=|<=|>|<|=)?(?P<value>.*)$")


@dataclass(frozen=True)
class Term:
    field: str
    op: str           # ">", ">=", "<", "<=", "="
    value: str


@dataclass
class ParsedQuery:
    terms: list[Term] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def for_field(self, name: str) -> list[Term]:
        return [t for t in self.terms if t.field == name]


def parse_query(text: str | None, known_fields: set[str]) -> ParsedQuery:
    parsed = ParsedQuery()
    if not text or not text.strip():
        return parsed
    try:
        tokens = shlex.split(text)
    except ValueError:
        parsed.warnings.append({"field": None, "message": f"Unbalanced quotes in query {text!r}; query ignored."})
        return parsed
    for token in tokens:
        if token.upper() == "AND":
            continue
        match = _TERM.match(token)
        if token.upper() in ("OR", "NOT") or token.startswith("-") or not match:
            parsed.warnings.append({"field": None, "message": f"Unsupported search term {token!r} ignored by the "
                                                              "sandbox."})
            continue
        name = match["field"]
        if name not in known_fields:
            parsed.warnings.append({"field": name, "message": "Invalid search field for this query."})
            continue
        parsed.terms.append(Term(name, match["op"] or "=", match["value"].strip("'\"")))
    return parsed


def parse_moment(value: str) -> datetime | None:
    """ISO date or datetime (Z or offset); a naked date means that day's start, UTC."""
    try:
        if len(value) == 10:
            return datetime.combine(datetime.fromisoformat(value).date(), time(0), tzinfo=timezone.utc)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def compare(left, op: str, right) -> bool:
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    return left == right


def range_bounds(terms: list[Term], convert) -> tuple[object | None, bool, object | None, bool]:
    """Fold comparison terms into (low, low_inclusive, high, high_inclusive); None means unbounded."""
    low = high = None
    low_inc = high_inc = True
    for term in terms:
        value = convert(term.value)
        if value is None:
            continue
        if term.op in (">", ">=", "="):
            inclusive = term.op != ">"
            if low is None or value > low or (value == low and not inclusive):
                low, low_inc = value, inclusive
        if term.op in ("<", "<=", "="):
            inclusive = term.op != "<"
            if high is None or value < high or (value == high and not inclusive):
                high, high_inc = value, inclusive
    return low, low_inc, high, high_inc
