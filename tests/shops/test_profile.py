"""Tax profile shape checks (the seller facts handed to tax_rules, plus digital_auto_fulfill)."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import InvalidInput
from app.shops.profile import validate_tax_profile

CONTRACT_SELLER = {
    "established": "CN",
    "registrations": [
        {"scheme": "IOSS", "number": "IM2760000013"},
        {"scheme": "OSS_UNION", "country": "DE"},
        {"scheme": "OSS_NON_UNION"},
        {"scheme": "VAT", "country": "PL", "number": "PL1234567883"},
        {"scheme": "US_SALES_TAX", "region": "US-CA"},
        {"scheme": "UK_VAT"}, {"scheme": "SG_OVR"}, {"scheme": "MY_LVG"}, {"scheme": "AU_GST"}, {"scheme": "NZ_GST"},
        {"scheme": "ID_VAT"}, {"scheme": "PH_VAT"}, {"scheme": "TH_VAT"}, {"scheme": "VN_VAT"},
    ],
    "eu_b2c_cross_border_turnover_eur": {"previous_year": "0", "current_year": "0"},
}


def test_the_contract_example_seller_is_accepted_unchanged_plus_the_default_policy() -> None:
    assert validate_tax_profile(CONTRACT_SELLER) == {**CONTRACT_SELLER, "digital_auto_fulfill": False}


def test_normalisation_of_numbers_and_optional_parts() -> None:
    profile = {"established": "DE", "digital_auto_fulfill": True,
               "registrations": [{"scheme": "VAT", "country": "DE", "number": " de 123456789 ",
                                  "valid_from": "2026-01-01"}],
               "ship_from": {"country": "DE", "city": " Berlin ", "postal_code": "10115", "region": None}}
    assert validate_tax_profile(profile) == {
        "established": "DE", "digital_auto_fulfill": True,
        "registrations": [{"scheme": "VAT", "country": "DE", "number": "DE123456789", "valid_from": "2026-01-01"}],
        "ship_from": {"country": "DE", "city": "Berlin", "postal_code": "10115"},
    }


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ([], "tax profile: must be a JSON object, not list"),
        ({}, "tax profile: 'established' (the seller's country, e.g. 'CN') is required"),
        ({"established": "China"}, "tax profile: established must be an ISO 3166-1 alpha-2 country code such as "
                                   "'DE', got 'China'"),
        ({"established": "ZZ"}, "tax profile: established must be an ISO 3166-1 alpha-2 country code"),
        ({"established": "CN", "registration": []}, "tax profile: unknown field(s) registration; allowed: "),
        ({"established": "CN", "registrations": {}}, "tax profile: registrations must be a list"),
        ({"established": "CN", "registrations": ["IOSS"]}, "tax profile: registrations[0] must be an object"),
        ({"established": "CN", "registrations": [{"scheme": "GST"}]},
         "tax profile: registrations[0].scheme 'GST' is not one of IOSS, OSS_UNION, "),
        ({"established": "CN", "registrations": [{"scheme": "IOSS"}]},
         "tax profile: registrations[0].number must be a non-empty string"),
        ({"established": "CN", "registrations": [{"scheme": "IOSS", "number": "IM123"}]},
         "tax profile: registrations[0].number must be an IOSS number: IM + 10 digits"),
        ({"established": "CN", "registrations": [{"scheme": "OSS_UNION"}]},
         "tax profile: registrations[0].country must be an ISO 3166-1 alpha-2 country code"),
        ({"established": "CN", "registrations": [{"scheme": "US_SALES_TAX", "region": "CA"}]},
         "tax profile: registrations[0].region must be a US state code such as 'US-CA', got 'CA'"),
        ({"established": "CN", "registrations": [{"scheme": "US_SALES_TAX", "region": "US-ZZ"}]},
         "tax profile: registrations[0].region must be a US state code"),
        ({"established": "CN", "registrations": [{"scheme": "UK_VAT", "nummer": "1"}]},
         "tax profile: registrations[0] has unknown field(s) nummer"),
        ({"established": "CN", "registrations": [{"scheme": "UK_VAT", "valid_from": "1.1.2026"}]},
         "tax profile: registrations[0].valid_from must be a date YYYY-MM-DD"),
        ({"established": "CN", "digital_auto_fulfill": "yes"}, "tax profile: digital_auto_fulfill must be true or false"),
        ({"established": "CN", "eu_b2c_cross_border_turnover_eur": {"previous_year": 9500.5}},
         "tax profile: eu_b2c_cross_border_turnover_eur.previous_year must be a decimal string such as '9500.00'"),
        ({"established": "CN", "eu_b2c_cross_border_turnover_eur": {"current_year": "-1"}},
         "tax profile: eu_b2c_cross_border_turnover_eur.current_year must be a non-negative amount"),
        ({"established": "CN", "eu_b2c_cross_border_turnover_eur": {"this_year": "1"}},
         "tax profile: eu_b2c_cross_border_turnover_eur must be an object with previous_year and current_year"),
        ({"established": "CN", "ship_from": "Shenzhen"}, "tax profile: ship_from must be an address object"),
        ({"established": "CN", "ship_from": {"city": "Shenzhen"}}, "tax profile: ship_from.country must be"),
    ],
)
def test_bad_profiles_name_the_first_problem(profile: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_tax_profile(profile)
    assert info.value.message.startswith(message)
    assert info.value.field == "tax_profile"
