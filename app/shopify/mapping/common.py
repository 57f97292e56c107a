"""Helpers shared by the webhook (REST) and the Admin GraphQL mappers: ids, amounts, datetimes, issues.

Ids: a REST id may be a JSON number that lost precision on its way (Shopify's documented examples were scraped through
JavaScript doubles: `820982911946154500` vs `gid://shopify/Order/820982911946154508`), so `admin_graphql_api_id` wins
whenever a body carries it; a number becomes a string only from an exact `int` (a float id is refused).
Amounts: `Decimal` from strings (or from the `Decimal`s `parse_body` produces), never through float arithmetic.
Speed: amounts, rates and timestamps given as strings (GraphQL and bulk JSONL) repeat a lot across orders, so their
parsed values are memoised in bounded caches; the cached objects (`Money`, `datetime`, `str`) are immutable. Values
that need flagging are never served from a cache, so every record still gets its own validation issues.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from app.commerce.money import is_exact
from app.commerce.records import Money, MoneySet

GID_PREFIX = "gid://shopify/"
NO_CURRENCY = "XXX"  # ISO 4217 "no currency": the source did not say; always flagged in validation_issues


class MappingError(ValueError):
    """Raised when a payload lacks what identifies it (no id at all): it cannot become a record."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_body(raw: bytes | str) -> Any:
    """JSON with exact numbers: integers stay `int` (ids keep every digit), fractions become `Decimal`;
    NaN and Infinity (which Python's json would accept) are refused with a ValueError."""
    return json.loads(raw, parse_float=Decimal, parse_constant=_no_constants)


class Issues:
    """Collects what a payload lacks; the record carries them as `validation_issues`."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        if message not in self.items:
            self.items.append(message)

    def require(self, obj: dict[str, Any] | None, key: str, where: str) -> Any:
        value = obj.get(key) if obj else None
        if value is None:
            self.add(f"{where}.{key} missing")
        return value

    def tuple(self) -> tuple[str, ...]:
        return tuple(self.items)


def gid(type_name: str, value: Any) -> str | None:
    """`gid://shopify/<type>/<id>` for an id given as a gid, an exact int or a digit string; None for None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise MappingError(f"{type_name} id {value!r} is not an exact integer (parse JSON with parse_body)")
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise MappingError(f"{type_name} id {value} is not an integer")
        value = int(value)
    text = str(value)
    if text.startswith(GID_PREFIX):
        return text
    if not text.isdigit():
        raise MappingError(f"{type_name} id {text!r} is neither a gid nor digits")
    return f"{GID_PREFIX}{type_name}/{text}"


def rest_gid(obj: dict[str, Any] | None, type_name: str, id_key: str = "id") -> str | None:
    """The object's `admin_graphql_api_id` if present (exact), else a gid built from its numeric id."""
    if not obj:
        return None
    exact = obj.get("admin_graphql_api_id")
    if isinstance(exact, str) and exact.startswith(GID_PREFIX):
        return exact
    return gid(type_name, obj.get(id_key))


def legacy_id(shopify_id: str | None) -> str | None:
    return shopify_id.rsplit("/", 1)[-1] if shopify_id else None


def dec(value: Any) -> Decimal | None:
    """A Decimal from a string, int or Decimal (a float goes through its shortest repr, never binary)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise MappingError(f"{value!r} is not an amount")
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation as exc:
        raise MappingError(f"{value!r} is not a decimal amount") from exc


def rate_text(value: Any) -> str | None:
    """A tax rate as a plain decimal string ("0.19"), whatever JSON type it came in."""
    if (type(value) is str or type(value) is float) and value:  # not 0.0: -0.0 equals it but reads "-0"
        return _cached_rate_text(value)
    return _rate_text(value)


@lru_cache(maxsize=1024, typed=True)
def _cached_rate_text(value: str | float) -> str | None:
    return _rate_text(value)


def _rate_text(value: Any) -> str | None:
    number = dec(value)
    if number is None:
        return None
    return format(number.normalize(), "f")


def parse_dt(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string (offset or Z) or a date (midnight UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return _parse_text_dt(value if type(value) is str else str(value))


@lru_cache(maxsize=4096)
def _parse_text_dt(text: str) -> datetime:
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def money(amount: Any, currency: Any, issues: Issues | None = None, where: str = "") -> Money | None:
    if type(amount) is str and type(currency) is str:
        exact = exact_money(amount, currency)
        if exact is not None:
            return exact
    value = dec(amount)
    if value is None:
        return None
    code = str(currency).upper() if currency else None
    if code is None:
        if issues is not None:
            issues.add(f"{where} currency missing")
        code = NO_CURRENCY
    if issues is not None and not is_exact(value, code):
        issues.add(f"{where} amount {value} has more digits than {code} allows (rounded half-even)")
    return Money(value, code)


@lru_cache(maxsize=4096)
def exact_money(amount: str, currency: str) -> Money | None:
    """Money for a string amount and currency code when there is nothing to flag (a currency is given and the amount
    has no more digits than it allows); None otherwise (`money` then takes the long way, which flags)."""
    value = dec(amount)
    code = currency.upper()
    if value is None or not code or not is_exact(value, code):
        return None
    return Money(value, code)


def lower(value: Any) -> str | None:
    return str(value).lower() if value is not None else None


def snake(value: Any) -> str | None:
    """`Payments::Balance::AdjustmentReversal` → `adjustment_reversal`; `PARTIALLY_PAID` → `partially_paid`."""
    if value is None:
        return None
    text = str(value).rsplit("::", 1)[-1]
    if text.isupper() or "_" in text or text.islower():
        return text.lower()
    out = []
    for index, char in enumerate(text):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def money_set_from_single(amount: Any, currency: str | None, presentment_currency: str | None,
                          issues: Issues, where: str) -> MoneySet | None:
    """A legacy single amount (REST `price`): the shop amount, and the presentment amount when currencies agree."""
    shop = money(amount, currency, issues, where)
    if shop is None:
        return None
    same = presentment_currency is None or presentment_currency == shop.currency
    return MoneySet(shop, shop if same else None)
