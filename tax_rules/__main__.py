"""`python -m tax_rules quote|nexus|explain [FILE|-]` — JSON in, JSON (or text) out.

Exit codes: 0 done; 2 bad input (one JSON error object on stdout naming the field, never a traceback);
1 an internal error (also one JSON object, code INTERNAL_ERROR).
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from . import explain_text, nexus_from_json, quote_from_json
from .errors import RulesDataError, TaxInputError

USAGE = "usage: python -m tax_rules quote|nexus|explain [FILE|-]"


def _error(code: str, message: str, path: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "path": path}}


def _read(source: str, stdin: TextIO) -> Any:
    try:
        raw = stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    except OSError as exc:
        raise TaxInputError("UNREADABLE_INPUT", f"cannot read {source}: {exc.strerror}", None) from None
    try:
        return json.loads(raw, parse_float=str)
    except json.JSONDecodeError as exc:
        raise TaxInputError("INVALID_JSON", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                            None) from None


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if not args or args[0] not in ("quote", "nexus", "explain") or len(args) > 2:
        stdout.write(json.dumps(_error("USAGE", USAGE)) + "\n")
        return 2
    command, source = args[0], (args[1] if len(args) == 2 else "-")
    try:
        data = _read(source, stdin)
        if command == "explain":
            stdout.write(explain_text(data))
            return 0
        result = quote_from_json(data) if command == "quote" else nexus_from_json(data)
    except TaxInputError as exc:
        stdout.write(json.dumps(exc.to_dict(), ensure_ascii=False) + "\n")
        return 2
    except RulesDataError as exc:
        stdout.write(json.dumps(_error("RULES_DATA_ERROR", str(exc))) + "\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - the contract forbids tracebacks on stdout
        stdout.write(json.dumps(_error("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")) + "\n")
        return 1
    stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
