"""The engine's enumerations (re-exported by `model.py`): schemes, categories, component levels, shipping modes.

Each member carries a docstring: it is the definition the explanations and the contract rely on.
"""

from __future__ import annotations

from enum import StrEnum


class Scheme(StrEnum):
    """How the tax of a line is owed and by whom (the contract's `scheme` values)."""

    DOMESTIC = "DOMESTIC"
    """Seller charges the VAT/GST of the country of supply under a local registration (or home-country VAT under €10k)."""
    OSS_UNION = "OSS_UNION"
    """Intra-EU B2C distance sale of goods (or EU services): destination VAT, declared through the Union OSS."""
    OSS_NON_UNION = "OSS_NON_UNION"
    """B2C services supplied into the EU by a seller not established in the EU, declared through the non-Union OSS."""
    IOSS = "IOSS"
    """Imported consignment with intrinsic value ≤ €150: destination VAT charged at checkout, import VAT-exempt."""
    REVERSE_CHARGE = "REVERSE_CHARGE"
    """B2B supply to a customer with a valid VAT id: the customer accounts for the VAT; 0 charged by the seller."""
    IMPORT_AT_BORDER = "IMPORT_AT_BORDER"
    """Seller collects nothing; the buyer pays import VAT/GST (and duty) at the border; see `customs.import_tax`."""
    US_SALES_TAX = "US_SALES_TAX"
    """US state (and local) sales tax collected by a seller with nexus/permit in the destination state."""
    NO_NEXUS = "NO_NEXUS"
    """US destination state where the seller has no nexus: nothing collected."""
    SG_OVR_LVG = "SG_OVR_LVG"
    """Singapore GST on low-value goods (≤ S$400) collected at checkout by an OVR-registered seller."""
    MY_LVG = "MY_LVG"
    """Malaysia 10 % sales tax on low-value goods (≤ RM500) collected by an LVG-registered seller."""
    AU_LVG = "AU_LVG"
    """Australian GST on low-value imported goods (≤ A$1,000) collected by a GST-registered seller."""
    NZ_LVG = "NZ_LVG"
    """New Zealand GST on low-value imported goods (≤ NZ$1,000) collected by a GST-registered seller."""
    UK_LVG = "UK_LVG"
    """UK VAT charged at the point of sale on consignments ≤ £135 (GB, or XI without an EU IOSS)."""
    EXEMPT = "EXEMPT"
    """The supply is exempt (no tax, no right to charge it)."""
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    """Outside the VAT area or the tax entirely (e.g. Canary Islands, Heligoland, US states without sales tax)."""


class Category(StrEnum):
    """Taxability category of a line; derived from the HS code (+ attributes) unless given explicitly."""

    GENERAL = "general"
    """Anything not matched by a more specific category: the standard rate."""
    CLOTHING = "clothing"
    """Apparel, footwear, headgear (HS 61, 62, 64, 6501-6506) for adults or of unknown size."""
    CHILDRENS_CLOTHING = "childrens_clothing"
    """Babies' garments (6111/6209) or clothing/footwear in children's sizes (attribute `childrens`)."""
    BOOKS = "books"
    """Printed books, children's picture books, printed music, maps (4901, 4903-4905)."""
    FOOD = "food"
    """Food for home consumption (chapters 02-04, 07-12, 16-21), excluding alcohol, tobacco and confectionery."""
    MEDICAL = "medical"
    """Medicines and medical devices (3004-3006, 9018-9022); attribute `prescription` for prescription-only."""
    SANITARY_HYGIENE = "sanitary_hygiene"
    """Sanitary towels, tampons, nappies (9619)."""
    DIGITAL = "digital"
    """Electronically supplied services and digital goods (no HS code)."""
    GIFT_CARD = "gift_card"
    """Vouchers and gift cards (no HS code); taxed on redemption (multi-purpose voucher) unless stated otherwise."""


class Level(StrEnum):
    """Level of a rate component (US splits a rate into levels; VAT/GST has one `country` component)."""

    COUNTRY = "country"
    """National VAT/GST."""
    STATE = "state"
    """US state sales tax."""
    COUNTY = "county"
    """US county sales tax."""
    CITY = "city"
    """US city sales tax."""
    DISTRICT = "district"
    """US special district sales tax."""


class ShippingMode(StrEnum):
    """How a resolver says shipping is taxed; `calculate.py` does the arithmetic."""

    NOT_TAXABLE = "not_taxable"
    """Shipping carries no tax (e.g. CA separately stated, MY LVG base excludes transport)."""
    FOLLOW_LINES = "follow_lines"
    """Shipping is ancillary to the goods: allocated across lines by value (largest remainder), each share taxed at its
    line's rate; shares of lines that are not taxed stay untaxed (EU VAT; US states where shipping follows the goods)."""
    OWN_RATE = "own_rate"
    """Shipping taxed at the components of the `ShippingDecision` itself (e.g. HI, a single-rate GST country)."""
