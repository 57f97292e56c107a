"""taxrecon: tax- and compliance-aware reconciliation between Shopify, an ERP and the books."""

__version__ = "0.1.0"
