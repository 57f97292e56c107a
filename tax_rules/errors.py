"""Errors raised by `tax_rules`.

Two kinds only, because a caller treats them differently:

- `TaxInputError`: the request is wrong (unknown country, malformed HS code, negative quantity ...). It carries a stable
  `code`, a one-line `message` for a person and the `path` of the offending field in the request JSON
  (`lines[0].hs_code`). The CLI turns it into exit 2 with one JSON error object; GraphQL into a typed error payload.
- `RulesDataError`: a data file shipped with (or loaded into) the package is wrong (overlapping periods, a gap in a table
  that must be continuous, an unknown category ...). It names the file and the row. It is a bug in the data, never the
  caller's fault, and is raised when the rules are loaded, not in the middle of a quote.
"""

from __future__ import annotations


class TaxRulesError(Exception):
    """Base of every error this package raises on purpose."""


class TaxInputError(TaxRulesError):
    """Raised when a quote or nexus request is malformed or asks for something the rules cannot answer."""

    def __init__(self, code: str, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path

    def to_dict(self) -> dict[str, dict[str, str | None]]:
        """The contract's error object: `{"error": {"code", "message", "path"}}`."""
        return {"error": {"code": self.code, "message": self.message, "path": self.path}}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" + (f" (at {self.path})" if self.path else "")


class RulesDataError(TaxRulesError):
    """Raised when a rules data file fails validation at load time; the message names the file and the row."""

    def __init__(self, file: str, row: int | str | None, message: str) -> None:
        where = f"{file}" + (f" row {row}" if row is not None else "")
        super().__init__(f"{where}: {message}")
        self.file = file
        self.row = row
        self.detail = message
