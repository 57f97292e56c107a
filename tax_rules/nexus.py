"""US economic nexus check: the contract's `nexus` request → has the seller reached the state's threshold on `date`?

The rules, the measurement windows and their documentation are in `nexus_rules.py`. This module validates the
request (TaxInputError with code, message and JSON path), sums the history inside each window, applies the state's
test and says in words what decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .dated import DatedRow
from .errors import TaxInputError
from .nexus_rules import NexusRules, Threshold, Window, default_rules, load_nexus_rules, windows

CENT = Decimal("0.01")

# ------------------------------------------------------------------------------------------------- request


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    sales: Decimal
    transactions: int | None


@dataclass(frozen=True, slots=True)
class NexusRequest:
    date: date
    state: str
    history: tuple[Period, ...]


def _date(value: Any, path: str) -> date:
    if value is None:
        raise TaxInputError("MISSING_FIELD", f"{path} is required (YYYY-MM-DD)", path)
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad_date(value, path)
    except ValueError as exc:
        raise TaxInputError("INVALID_DATE", f"{path} {value!r} is not an ISO date YYYY-MM-DD", path) from exc


def _bad_date(value: Any, path: str) -> date:
    raise TaxInputError("INVALID_DATE", f"{path} must be an ISO date string, not {type(value).__name__}", path)


def _amount(value: Any, path: str) -> Decimal:
    if value is None:
        raise TaxInputError("MISSING_FIELD", f"{path} is required", path)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TaxInputError("INVALID_AMOUNT", f"{path} must be a decimal string or number", path)
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise TaxInputError("INVALID_AMOUNT", f"{path} {value!r} is not a decimal amount", path) from exc
    if not amount.is_finite() or amount < 0:
        raise TaxInputError("INVALID_AMOUNT", f"{path} must be a non-negative amount", path)
    return amount


def _count(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TaxInputError("INVALID_FIELD", f"{path} must be a whole number of transactions (0 or more)", path)
    return value


def _reject_unknown(obj: dict[str, Any], known: set[str], prefix: str) -> None:
    for key in obj:
        if key not in known:
            raise TaxInputError("UNKNOWN_FIELD", f"unknown field {prefix}{key!r}", f"{prefix}{key}")


def _period(item: Any, index: int) -> Period:
    path = f"history[{index}]"
    if not isinstance(item, dict):
        raise TaxInputError("INVALID_FIELD", f"{path} must be an object", path)
    _reject_unknown(item, {"period_start", "period_end", "sales", "transactions"}, f"{path}.")
    start = _date(item.get("period_start"), f"{path}.period_start")
    end = _date(item.get("period_end"), f"{path}.period_end")
    if end < start:
        raise TaxInputError("INVALID_FIELD", f"{path}.period_end {end} is before period_start {start}",
                            f"{path}.period_end")
    return Period(start, end, _amount(item.get("sales"), f"{path}.sales"),
                  _count(item.get("transactions"), f"{path}.transactions"))


def parse_request(data: Any, rules: NexusRules) -> NexusRequest:
    """Validate a nexus request dict (the contract's JSON) into a `NexusRequest`."""
    if not isinstance(data, dict):
        raise TaxInputError("INVALID_FIELD", "the nexus request must be a JSON object", None)
    _reject_unknown(data, {"date", "region", "history"}, "")
    on = _date(data.get("date"), "date")
    region = data.get("region")
    if not isinstance(region, str) or not region.strip():
        raise TaxInputError("MISSING_FIELD", "region is required, e.g. \"US-IL\"", "region")
    state = region.strip().upper().removeprefix("US-")
    if state not in rules.keys():
        raise TaxInputError("INVALID_REGION", f"{region!r} is not a US state or DC (use \"US-IL\" style codes)",
                            "region")
    history = data.get("history", [])
    if not isinstance(history, list):
        raise TaxInputError("INVALID_FIELD", "history must be a list of periods", "history")
    periods = tuple(_period(item, i) for i, item in enumerate(history))
    ordered = sorted(range(len(periods)), key=lambda i: periods[i].start)
    for a, b in zip(ordered, ordered[1:]):
        if periods[b].start <= periods[a].end:
            raise TaxInputError("INVALID_FIELD", f"history[{b}] overlaps history[{a}]: sales would be counted twice",
                                f"history[{b}].period_start")
    return NexusRequest(on, state, periods)



# ---------------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class WindowResult:
    window: Window
    sales: Decimal
    transactions: int | None
    periods: int
    meets: bool


@dataclass(frozen=True, slots=True)
class NexusResult:
    state: str
    on: date
    has_nexus: bool
    threshold: Threshold
    windows: tuple[WindowResult, ...]
    explanation: tuple[str, ...]
    warnings: tuple[str, ...]


def money(amount: Decimal) -> str:
    return f"${amount.quantize(CENT):,}"


def _meets(value: Decimal | int, limit: Decimal | int, comparison: str) -> bool:
    return value > limit if comparison == "gt" else value >= limit


def test_words(th: Threshold) -> str:
    """`sales of $100,000.00 or more OR 200 or more transactions` and the like."""
    if th.sales is None:
        return "no threshold"
    if th.comparison == "gt":
        sales, count = f"sales of more than {money(th.sales)}", f"more than {th.transactions} transactions"
    else:
        sales, count = f"sales of {money(th.sales)} or more", f"{th.transactions} or more transactions"
    if th.test == "sales_or_transactions":
        return f"{sales} OR {count}"
    if th.test == "sales_and_transactions":
        return f"{sales} AND {count}"
    return sales


PERIOD_WORDS = {
    "previous_or_current_calendar_year": "the previous or the current calendar year",
    "previous_calendar_year": "the previous calendar year",
    "preceding_12_months_at_quarter_end": "the 12 months ending with the last completed calendar quarter",
    "preceding_4_calendar_quarters": "the four preceding calendar quarters",
    "preceding_12_calendar_months": "the 12 calendar months before the current month",
    "preceding_4_ny_sales_tax_quarters": "the four preceding NY sales-tax quarters",
    "twelve_months_ending_sep_30": "the 12 months ending on the preceding 30 September",
}


def _transaction_test_words(rules: NexusRules, state: str, on: date, row: DatedRow[Threshold]) -> str | None:
    th = row.value
    if th.test == "none":
        return None
    if th.test != "sales_only":
        later = [r for r in rules.history(state) if r.valid_from > on and r.value.test == "sales_only"]
        if later:
            return (f"{state} applies the {th.transactions}-transaction test until {row.valid_to} "
                    f"(dropped on {later[0].valid_from})")
        return f"{state} keeps the {th.transactions}-transaction test"
    if th.dropped.startswith("never"):
        return f"{state} has never had a transaction-count test"
    dropped = th.dropped[:10]
    try:
        date.fromisoformat(dropped)
    except ValueError:
        return None
    earlier = [r for r in rules.history(state) if r.valid_from < row.valid_from and r.value.transactions]
    count = f"{earlier[-1].value.transactions}-transaction test" if earlier else "transaction-count test"
    return f"{state} dropped the {count} on {dropped}"


def describe_threshold(rules: NexusRules, state: str, on: date) -> str:
    """One sentence on the state's economic-nexus threshold on `on` (for NO_NEXUS explanations)."""
    row = rules.on(state, on)
    if row is None or row.value.test == "none":
        return f"{state} has no economic-nexus threshold on {on}"
    th = row.value
    return (f"{state} economic nexus on {on} needs {test_words(th)} over {PERIOD_WORDS[th.period or '']} "
            f"({row.ref('threshold').period()}; source: {row.source}); check it with `python -m tax_rules nexus`")


def _share(p: Period, window: Window) -> Decimal:
    """The part of a history period that counts toward a window: 1 inside it, 0 outside, else overlap days / days."""
    if p.start > window.to_date or p.end < window.start or p.start > window.end:
        return Decimal(0)
    if p.start >= window.start and p.end <= window.end:
        return Decimal(1)
    overlap = (min(p.end, window.end) - max(p.start, window.start)).days + 1
    return Decimal(overlap) / Decimal((p.end - p.start).days + 1)


def _window_result(req: NexusRequest, th: Threshold, window: Window, warnings: list[str]) -> WindowResult:
    uses_count = th.test in ("sales_or_transactions", "sales_and_transactions")
    sales, count, periods, covered = Decimal(0), Decimal(0), 0, 0
    for index, p in enumerate(req.history):
        share = _share(p, window)
        if not share:
            continue
        if uses_count and p.transactions is None:
            raise TaxInputError("MISSING_FIELD", f"history[{index}].transactions is required: {req.state} also "
                                "tests the number of transactions", f"history[{index}].transactions")
        if share < 1:
            warnings.append(f"history[{index}] ({p.start}..{p.end}) straddles the window {window.start}.."
                            f"{window.end}: {(share * 100).quantize(Decimal('0.1'))} % of it is counted, assuming "
                            "sales spread evenly over its days (give monthly history for an exact test)")
        sales += p.sales * share
        count += (p.transactions or 0) * share
        periods += 1
        covered += (min(p.end, window.end, window.to_date) - max(p.start, window.start)).days + 1
    total = (window.to_date - window.start).days + 1
    if covered < total:
        warnings.append(f"history covers {covered} of the {total} days of the window {window.start}..{window.to_date};"
                        " days without history count as no sales")
    assert th.sales is not None
    sales_ok = _meets(sales, th.sales, th.comparison)
    count_ok = uses_count and _meets(count, th.transactions or 0, th.comparison)
    meets = sales_ok and count_ok if th.test == "sales_and_transactions" else sales_ok or count_ok
    known = uses_count or all(p.transactions is not None for p in req.history)
    whole = int(count.to_integral_value(rounding="ROUND_FLOOR"))
    return WindowResult(window, sales, whole if known else None, periods, meets)


def evaluate(req: NexusRequest, rules: NexusRules | None = None) -> NexusResult:
    """Apply the state's threshold valid on `req.date` to the history inside its measurement window(s)."""
    table = rules if rules is not None else default_rules()
    row = table.on(req.state, req.date)
    if row is None:
        first = table.history(req.state)[0].valid_from
        raise TaxInputError("DATE_OUT_OF_RANGE", f"no {req.state} nexus rule for {req.date}: US rules start {first}",
                            "date")
    th = row.value
    explanation = [w for w in [_transaction_test_words(table, req.state, req.date, row)] if w]
    if th.test == "none":
        explanation.append(f"{req.state}: {th.note or 'no economic-nexus threshold'} ({row.ref('rule').period()}; "
                           f"source: {row.source}); no economic nexus on {req.date}")
        return NexusResult(req.state, req.date, False, th, (), tuple(explanation), ())
    explanation.append(f"{req.state} threshold on {req.date}: {test_words(th)} over {PERIOD_WORDS[th.period or '']}"
                       f" ({row.ref('threshold').period()}; source: {row.source})")
    warnings: list[str] = []
    results = tuple(_window_result(req, th, w, warnings) for w in windows(th.period or "", req.date))
    for r in results:
        count = "" if r.transactions is None else f", {r.transactions} transactions"
        explanation.append(f"{r.window.label} {r.window.start}..{r.window.to_date}: sales {money(r.sales)}{count} from "
                           f"{r.periods} history period(s): threshold {'reached' if r.meets else 'not reached'}")
    has_nexus = any(r.meets for r in results)
    explanation.append(f"economic nexus in {req.state} on {req.date}: register and collect {req.state} sales tax"
                       if has_nexus else f"no economic nexus in {req.state} on {req.date}")
    return NexusResult(req.state, req.date, has_nexus, th, results, tuple(explanation), tuple(warnings))


def result_to_json(result: NexusResult) -> dict[str, Any]:
    th = result.threshold
    return {
        "region": f"US-{result.state}",
        "date": result.on.isoformat(),
        "has_nexus": result.has_nexus,
        "threshold": {
            "sales": None if th.sales is None else str(th.sales.quantize(CENT)),
            "transactions": th.transactions,
            "test": th.test,
            "period": th.period,
            "comparison": th.comparison,
        },
        "windows": [{"label": r.window.label, "start": r.window.start.isoformat(), "end": r.window.to_date.isoformat(),
                     "sales": str(r.sales.quantize(CENT)), "transactions": r.transactions, "periods": r.periods,
                     "meets_threshold": r.meets} for r in result.windows],
        "explanation": list(result.explanation),
        "warnings": list(result.warnings),
    }


def nexus_from_json(data: Any, rules: NexusRules | None = None) -> dict[str, Any]:
    """The contract's nexus request dict → the contract's nexus response dict (TaxInputError on bad input)."""
    table = rules if rules is not None else default_rules()
    return result_to_json(evaluate(parse_request(data, table), table))


__all__ = ["NexusRequest", "Period", "Threshold", "Window", "default_rules", "describe_threshold", "evaluate",
           "load_nexus_rules", "nexus_from_json", "parse_request", "windows"]
