"""SG, MY, TH, ID, PH, VN resolver: the shared GST flow (gst_flow.py) plus each country's rate choice.

- SG: GST 7 → 8 (2023) → 9 % (2024); OVR low-value goods ≤ S$400 per item from 2023-01-01; import GST relief at the
  border for consignments ≤ S$400; B2B is reverse-charged.
- MY: 10 % sales tax on low-value goods ≤ RM500 per item from 2024-01-01 (base excludes transport); domestic retail
  sales carry no sales tax (it is charged at manufacture or import); digital services under the service tax.
- TH: VAT 7 %; imports ≤ THB 1,500 relieved until 2024-07-04, taxed from 2024-07-05.
- ID: PPN 11 %, from 2025 12 % nominal on an 11/12 base (effective 11 %), luxury goods (attribute `luxury`) 12 % on the
  full price from 2025-02-01.
- PH: VAT 12 %; digital services by non-residents taxed from 2025-06-02; imported goods are not covered by that rule
  (import VAT at the border, de minimis PHP 10,000).
- VN: VAT 10 % with the dated 8 % reductions; HS prefixes (and attribute `vn_reduction_excluded`) keep 10 %; digital
  services count as IT services, excluded from the reduction until 2025-06-30.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .gst_common import GstRules, Profile, cite, component, load_gst_rules, pct, rate_row
from .gst_flow import resolve_gst
from .model import Line, RateComponent, Resolution, ResolverInput, Scheme

PROFILES = {
    "SG": Profile("SG", "SGD", "GST", ("SG_OVR", "SG_GST"), Scheme.SG_OVR_LVG, b2b_reverse_charge=True,
                  registration_hint="overseas vendors must register when global turnover exceeds S$1,000,000 AND "
                  "B2C low-value goods and remote services to Singapore exceed S$100,000 in 12 months"),
    "MY": Profile("MY", "MYR", "sales tax", ("MY_LVG",), Scheme.MY_LVG, shipping_in_lvg_base=False,
                  domestic_retail_taxed=False, digital_registrations=("MY_DST",),
                  registration_hint="sellers must register when low-value goods sold into Malaysia exceed "
                  "RM500,000 in 12 months"),
    "TH": Profile("TH", "THB", "VAT", ("TH_VAT",), None,
                  registration_hint="foreign e-service providers register above THB 1.8 million a year"),
    "ID": Profile("ID", "IDR", "VAT (PPN)", ("ID_VAT",), None),
    "PH": Profile("PH", "PHP", "VAT", ("PH_VAT",), None,
                  registration_hint="non-resident digital service providers register under RR 14-2025"),
    "VN": Profile("VN", "VND", "VAT", ("VN_VAT",), None),
}
VN_IT_SERVICES_EXCLUDED_UNTIL = "2025-06-30"


def load_rules(data_dir: Path) -> GstRules:
    return load_gst_rules(Path(data_dir))


def _words(row, name: str) -> str:  # type: ignore[no-untyped-def]
    fraction = row.value.base_fraction
    base = "" if fraction == 1 else f" on a base of {Fraction(fraction).limit_denominator(1000)} of the price"
    return cite(row, f"{name} {pct(row.value.rate)} %{base}")


def _vn_excluded(inp: ResolverInput, rules: GstRules, line: Line, context: str) -> str | None:
    """Why a VN line keeps 10 % during a reduction, or None."""
    if line.attributes.get("vn_reduction_excluded"):
        return "attribute vn_reduction_excluded: the line is excluded from the 8 % reduction"
    if context == "digital":
        if inp.request.date.isoformat() <= VN_IT_SERVICES_EXCLUDED_UNTIL:
            return ("digital services are IT services, excluded from the reduction until 2025-06-30 (App. III of "
                    "Decrees 15/2022 to 180/2024)")
        return None
    for digits in range(len(line.hs_code or ""), 3, -1):
        row = rules.vn_exclusions.on((line.hs_code or "")[:digits], inp.request.date)
        if row is not None:
            return cite(row, f"HS {row.key} excluded from the 8 % reduction")
    return None


def choose_rate(inp: ResolverInput, rules: GstRules, line: Line, context: str) -> tuple[RateComponent, str]:
    country = inp.request.ship_to.country
    profile = PROFILES[country]
    on = inp.request.date
    kind = "standard"
    extra = ""
    if country == "MY" and context in ("lvg", "digital"):
        kind = context
    elif country == "ID" and line.attributes.get("luxury") and context != "digital":
        kind = "luxury"
    elif country == "VN" and rules.rates.on(("VN", "reduced_8"), on) is not None:
        excluded = _vn_excluded(inp, rules, line, context)
        kind = "standard" if excluded else "reduced_8"
        extra = f"; {excluded}" if excluded else ""
    row = rate_row(rules, country, kind, on)
    label = f"{country} {profile.tax_name}" + ("" if kind == "standard" else f" ({kind.replace('_', ' ')})")
    return component(profile, row, label), _words(row, label) + extra


def resolve(inp: ResolverInput) -> Resolution:
    country = inp.request.ship_to.country
    return resolve_gst(inp, inp.rules, PROFILES[country], choose_rate)
