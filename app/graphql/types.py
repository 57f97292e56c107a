"""Types shared by every domain of the API: Money, UserError."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app import money


@strawberry.type(description="An amount of money: exact decimal amount, ISO 4217 currency, integer minor units.")
class Money:
    amount: Decimal
    currency: str
    minor_units: int

    @classmethod
    def from_minor(cls, minor_units: int, currency: str) -> Money:
        return cls(amount=money.from_minor(minor_units, currency), currency=currency, minor_units=minor_units)

    @classmethod
    def from_decimal(cls, amount: Decimal, currency: str) -> Money:
        minor = money.to_minor(amount, currency)
        return cls(amount=money.from_minor(minor, currency), currency=currency, minor_units=minor)

    @strawberry.field(description="The amount formatted for people, e.g. locale de_DE → '1.234,50 €'.")
    def formatted(self, locale: str = "en_US") -> str:
        return money.format_money(self.amount, self.currency, locale)


@strawberry.type(description="An expected error: a stable code, a message for people, and the input field at fault.")
class UserError:
    code: str
    message: str
    field: str | None = None
