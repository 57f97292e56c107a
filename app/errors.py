"""Domain errors with stable codes.

Every error a user can cause carries a `code` (stable, machine-readable, SCREAMING_SNAKE) and a one-line `message`
(for a person). GraphQL maps them to typed error payloads, HTTP to 4xx responses, the CLI to exit 2. Anything that is
not a `TaxreconError` is a bug: it is logged with its traceback and masked for the caller.
"""

from __future__ import annotations


class TaxreconError(Exception):
    """Base of every expected error. Raised when input or state makes the requested operation impossible."""

    code = "ERROR"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(TaxreconError):
    """Raised when a value given by the caller is malformed or out of range."""

    code = "INVALID_INPUT"


class NotFound(TaxreconError):
    """Raised when the named object does not exist, or is not visible to the caller (tenancy hides, never leaks)."""

    code = "NOT_FOUND"
    http_status = 404


class Unauthenticated(TaxreconError):
    """Raised when no credential or a wrong one was presented."""

    code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDenied(TaxreconError):
    """Raised when the caller is known but its role or shops do not allow the operation."""

    code = "FORBIDDEN"
    http_status = 403


class Conflict(TaxreconError):
    """Raised when the operation clashes with existing state (a duplicate, a sealed journal)."""

    code = "CONFLICT"
    http_status = 409


class ConfigurationError(TaxreconError):
    """Raised at start-up when settings, the database or the broker are unusable."""

    code = "CONFIGURATION"
    http_status = 500
