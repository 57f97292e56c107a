"""The `taxrecon` command line.

Each module in this package that defines `register(app)` adds its commands; they are discovered at start, so a new
domain adds a file here without touching the others. Exit codes: 0 success, 1 a failed check, 2 bad input
(one line on stderr, never a traceback).
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="taxrecon",
    help="Tax- and compliance-aware reconciliation of Shopify, an ERP and the books.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_SKIP = {"common"}


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in _SKIP or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main() -> None:
    app()
