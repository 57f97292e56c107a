"""Role checks for GraphQL fields. Shop scoping is separate: `Context.visible_shop` hides other tenants' shops."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

ALL_ROLES = ("admin", "finance", "accountant", "erp")


def _role_permission(name: str, roles: tuple[str, ...]) -> type[BasePermission]:
    class RolePermission(BasePermission):
        message = f"this operation needs one of the roles: {', '.join(roles)}"
        error_extensions = {"code": "FORBIDDEN"}

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            return info.context.principal.role in roles

    RolePermission.__name__ = name
    return RolePermission


Authenticated = _role_permission("Authenticated", ALL_ROLES)
FinanceRead = _role_permission("FinanceRead", ("admin", "finance", "accountant", "erp"))
Operator = _role_permission("Operator", ("admin", "finance"))
TaxRead = _role_permission("TaxRead", ("admin", "finance", "accountant"))
