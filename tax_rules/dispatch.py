"""Pick the resolver module for a ship-to country and load its rules once per process.

Registration is the `RESOLVERS` table: a country code → a module name inside `tax_rules`. A module that is not
installed yet (or a country not in the table) is an `UNSUPPORTED_JURISDICTION` input error on `ship_to.country`,
never an ImportError. Each module's `load_rules(data_dir)` runs once; its result is cached with a lock (the engine is
used from worker threads).
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import TaxInputError

DATA_DIR = Path(__file__).resolve().parent / "data"

EU_MEMBER_STATES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)

RESOLVERS: dict[str, str] = {
    **{country: "eu" for country in EU_MEMBER_STATES},
    "XI": "eu",
    # ISO codes of EU territories outside the VAT area (Åland, French overseas): eu.py answers OUT_OF_SCOPE
    **{country: "eu" for country in ("AX", "GP", "MQ", "GF", "RE", "YT", "BL", "MF")},
    "GB": "uk",
    "US": "us",
    **{country: "sea" for country in ("SG", "MY", "TH", "ID", "PH", "VN")},
    "AU": "anz",
    "NZ": "anz",
}

_lock = threading.Lock()
_modules: dict[str, ModuleType] = {}
_rules: dict[str, Any] = {}


def module_name_for(country: str) -> str:
    """The resolver module name for a ship-to country; UNSUPPORTED_JURISDICTION when there is none."""
    name = RESOLVERS.get(country)
    if name is None:
        raise TaxInputError(
            "UNSUPPORTED_JURISDICTION",
            f"no tax rules for ship-to country {country}: supported are the EU member states, XI, GB, US, "
            "SG, MY, TH, ID, PH, VN, AU and NZ",
            "ship_to.country",
        )
    return name


def resolver_for(country: str) -> tuple[ModuleType, Any]:
    """(module, its loaded rules) for a ship-to country."""
    name = module_name_for(country)
    module = _modules.get(name)
    if module is not None:
        return module, _rules[name]
    with _lock:
        if name not in _modules:
            module = _import(name, country)
            _rules[name] = module.load_rules(DATA_DIR)
            _modules[name] = module
    return _modules[name], _rules[name]


def _import(name: str, country: str) -> ModuleType:
    qualified = f"{__package__}.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise
        raise TaxInputError(
            "UNSUPPORTED_JURISDICTION",
            f"the rules for ship-to country {country} (module tax_rules.{name}) are not installed",
            "ship_to.country",
        ) from exc


def load_all() -> dict[str, Any]:
    """Load every installed resolver's rules (validates all data files); returns {module name: rules}."""
    loaded: dict[str, Any] = {}
    for country in sorted(RESOLVERS):
        name = RESOLVERS[country]
        if name in loaded:
            continue
        try:
            loaded[name] = resolver_for(country)[1]
        except TaxInputError:
            continue
    return loaded


def rules_version() -> str:
    """The rules version string quoted in every response (`data/VERSION`)."""
    global _version
    if _version is None:
        _version = (DATA_DIR / "VERSION").read_text(encoding="utf-8").strip()
    return _version


_version: str | None = None


def reset_cache() -> None:
    """Forget loaded rules (for tests and the load-time benchmark)."""
    global _version
    with _lock:
        _modules.clear()
        _rules.clear()
        _version = None


def destination(address: Any) -> str:
    """The tax destination of a ship-to address: `XI` for Northern Ireland (GB with a BT postcode), else the country."""
    if address.country == "GB" and (address.postal_code or "").upper().startswith("BT"):
        return "XI"
    return address.country
