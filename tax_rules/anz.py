"""AU and NZ resolver: the shared GST flow (gst_flow.py) with each country's single GST rate.

- AU: GST 10 %; low-value imported goods (customs value ≤ A$1,000 per item) taxed at checkout by a GST-registered
  seller since 2018-07-01 (scheme AU_LVG); above that, or unregistered, GST at the border (none for consignments
  ≤ A$1,000); GST-free basic food and prescription medicines; B2B (ABN, GST-registered) not charged.
- NZ: GST 15 %; low-value goods ≤ NZ$1,000 per item taxed at checkout by a registered seller since 2019-12-01
  (scheme NZ_LVG); above that GST at the border; B2B to GST-registered businesses not charged.
"""

from __future__ import annotations

from pathlib import Path

from .gst_common import GstRules, Profile, cite, component, load_gst_rules, pct, rate_row
from .gst_flow import resolve_gst
from .model import Line, RateComponent, Resolution, ResolverInput, Scheme

PROFILES = {
    "AU": Profile("AU", "AUD", "GST", ("AU_GST",), Scheme.AU_LVG, b2b_reverse_charge=True,
                  registration_hint="non-resident sellers must register when Australian turnover reaches A$75,000"),
    "NZ": Profile("NZ", "NZD", "GST", ("NZ_GST",), Scheme.NZ_LVG, b2b_reverse_charge=True,
                  registration_hint="overseas sellers must register when supplies to NZ consumers exceed NZ$60,000 "
                  "in 12 months"),
}


def load_rules(data_dir: Path) -> GstRules:
    return load_gst_rules(Path(data_dir))


def choose_rate(inp: ResolverInput, rules: GstRules, line: Line, context: str) -> tuple[RateComponent, str]:
    country = inp.request.ship_to.country
    profile = PROFILES[country]
    row = rate_row(rules, country, "standard", inp.request.date)
    name = f"{country} GST"
    return component(profile, row, name), cite(row, f"{name} {pct(row.value.rate)} %")


def resolve(inp: ResolverInput) -> Resolution:
    return resolve_gst(inp, inp.rules, PROFILES[inp.request.ship_to.country], choose_rate)
