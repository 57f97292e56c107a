"""tax_rules: dated EU/UK VAT, US sales tax and SEA/ANZ GST rules as data, small resolvers, one calculation.

Public API (the contract is /work/shared/contracts/tax-quote.md):
    quote(request: QuoteRequest) -> Quote
    quote_from_json(dict) -> dict            # TaxInputError(code, message, path) on bad input
    request_from_json(dict) -> QuoteRequest  /  quote_to_json(Quote) -> dict   (the two halves of quote_from_json)
    explain_text(request or dict) -> str
    nexus_from_json(dict) -> dict            # from tax_rules.nexus, when installed
Pure: stdlib + python-stdnum + pycountry + babel; no database, no framework, no import of `app`.
"""

from __future__ import annotations

import threading
from typing import Any

from . import dispatch
from .assemble import build_quote
from .calculate import LineAmountsView
from .categories import Categoriser, load_hs_table
from .convert import request_from_json
from .errors import RulesDataError, TaxInputError
from .fx import StatedFx, load_stated_rates
from .model import Quote, QuoteRequest, ResolverInput
from .present import explain_text as _explain_quote
from .present import quote_to_json

__all__ = [
    "quote", "quote_from_json", "quote_to_json", "request_from_json", "explain_text", "nexus_from_json",
    "rules_version", "load_all_rules",
    "TaxInputError", "RulesDataError", "Quote", "QuoteRequest",
]

_common_lock = threading.Lock()
_common: dict[str, Any] = {}


def _shared() -> tuple[Categoriser, Any]:
    if "categoriser" not in _common:
        with _common_lock:
            if "categoriser" not in _common:
                _common["fx"] = load_stated_rates(dispatch.DATA_DIR)
                _common["categoriser"] = Categoriser(load_hs_table(dispatch.DATA_DIR))
    return _common["categoriser"], _common["fx"]


def rules_version() -> str:
    return dispatch.rules_version()


def load_all_rules() -> dict[str, Any]:
    """Load and validate every data file now (raises RulesDataError naming file and row); returns what loaded."""
    _shared()
    return dispatch.load_all()


def reset_rules() -> None:
    """Forget everything loaded (tests, load-time benchmark)."""
    with _common_lock:
        _common.clear()
    dispatch.reset_cache()


def quote(request: QuoteRequest) -> Quote:
    """Quote the tax of one order: categories → resolver (decides) → calculation (money)."""
    categoriser, stated_fx = _shared()
    categories = {line.id: categoriser.decide(line, request.date) for line in request.lines}
    module, rules = dispatch.resolver_for(dispatch.destination(request.ship_to))
    amounts = LineAmountsView(request)
    fx = StatedFx(request.currency, request.date, dict(request.exchange_rates), stated_fx)
    resolution = module.resolve(ResolverInput(request, rules, categories, amounts, fx))
    if [d.line_id for d in resolution.lines] != [line.id for line in request.lines]:
        raise RuntimeError(f"resolver {module.__name__} returned decisions that do not match the request lines")
    return build_quote(request, resolution, amounts, dispatch.rules_version())


def quote_from_json(data: Any) -> dict[str, Any]:
    """The contract's request dict → the contract's quote dict (snake_case)."""
    return quote_to_json(quote(request_from_json(data)))


def explain_text(request: QuoteRequest | dict[str, Any]) -> str:
    """The quote explained for a person (what `python -m tax_rules explain` prints)."""
    parsed = request if isinstance(request, QuoteRequest) else request_from_json(request)
    return _explain_quote(quote(parsed))


def nexus_from_json(data: Any) -> dict[str, Any]:
    """US economic nexus check (tax_rules.nexus, owned by the US resolver); UNSUPPORTED until it is installed."""
    try:
        from .nexus import nexus_from_json as _nexus
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.nexus":
            raise
        raise TaxInputError("UNSUPPORTED_JURISDICTION", "the US nexus rules (tax_rules.nexus) are not installed",
                            "region") from exc
    return _nexus(data)
