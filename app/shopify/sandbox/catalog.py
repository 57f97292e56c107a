"""Static reference data for generated stores: products with customs data, and real-looking customer addresses.

Prices are in EUR and converted to the shop and presentment currencies by the generator. HS codes are genuine
six-digit headings for the goods described; the country-specific ten-digit codes extend them the way the US HTS and
the UK tariff do. Addresses use real city/postcode/state combinations with invented streets and people.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    key: int
    title: str
    sku: str
    price_eur: Decimal
    hs_code: str | None
    country_hs: tuple[tuple[str, str], ...]
    origin: str | None
    cost_eur: Decimal | None
    grams: int
    requires_shipping: bool = True
    gift_card: bool = False
    taxable: bool = True
    vendor: str = "Northwind Goods"


def _p(key, title, sku, price, hs, origin, cost, grams, **kw) -> Product:
    country_hs = ((("US", hs.replace(".", "") + "0010"), ("GB", hs.replace(".", "") + "9000")) if hs else ())
    return Product(key, title, sku, Decimal(price), hs, country_hs, origin,
                   Decimal(cost) if cost else None, grams, **kw)


PRODUCTS: tuple[Product, ...] = (
    _p(1, "Organic Cotton T-Shirt", "TSHIRT-ORG", "29.00", "6109.10", "PT", "6.20", 180),
    _p(2, "Merino Hoodie", "HOODIE-MER", "69.00", "6110.20", "PT", "18.50", 520),
    _p(3, "Ceramic Mug", "MUG-CER", "18.00", "6912.00", "DE", "3.10", 350),
    _p(4, "Leather Wallet", "WALLET-LTH", "59.00", "4202.31", "IT", "12.00", 120),
    _p(5, "Aviator Sunglasses", "SUN-AVI", "89.00", "9004.10", "CN", "9.00", 60),
    _p(6, "Trail Running Shoes", "SHOE-TRL", "119.00", "6404.11", "VN", "28.00", 780),
    _p(7, "Canvas Backpack", "BAG-CNV", "79.00", "4202.92", "VN", "15.00", 650),
    _p(8, "Lambswool Scarf", "SCARF-LW", "45.00", "6117.10", "IE", "11.00", 150),
    _p(9, "Insulated Steel Bottle", "BOTTLE-ST", "25.00", "7323.93", "CN", "4.50", 300),
    _p(10, "Bluetooth Speaker", "SPK-BT", "99.00", "8518.22", "CN", "21.00", 540),
    _p(11, "Dotted Notebook", "NOTE-A5", "12.00", "4820.10", "DE", "2.20", 240),
    _p(12, "Soy Wax Candle", "CANDLE-SOY", "22.00", "3406.00", "NL", "4.00", 400),
    _p(13, "E-Book: Small Business Tax Basics", "EBOOK-TAX", "11.90", None, None, None, 0,
       requires_shipping=False, vendor="Northwind Press"),
    _p(14, "Photo Editing Software Licence", "SOFT-PHOTO", "49.00", None, None, None, 0,
       requires_shipping=False, vendor="Northwind Digital"),
    _p(15, "Online Course: Pattern Cutting", "COURSE-PAT", "79.00", None, None, None, 0,
       requires_shipping=False, vendor="Northwind Academy"),
    _p(16, "Gift Card", "GIFT-25", "25.00", None, None, None, 0,
       requires_shipping=False, gift_card=True, taxable=False),
    _p(17, "Gift Card", "GIFT-50", "50.00", None, None, None, 0,
       requires_shipping=False, gift_card=True, taxable=False),
)


@dataclass(frozen=True)
class Place:
    country: str
    country_name: str
    city: str
    zip: str
    province: str | None
    province_code: str | None
    streets: tuple[str, ...]


@dataclass(frozen=True)
class Destination:
    """A customer country: currency the buyer sees, how tax is titled and charged, where people live."""

    country: str
    currency: str
    tax_title: str | None
    rate: Decimal
    taxes_shipping: bool
    weight: int
    places: tuple[Place, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    phone_prefix: str


def _pl(country, name, city, zip_, streets, province=None, code=None) -> Place:
    return Place(country, name, city, zip_, province, code, tuple(streets))


_EU_NAMES = (("Erika", "Jonas", "Lea", "Lukas", "Sofia", "Mateo", "Chloé", "Hugo", "Giulia", "Sean", "Anna"),
             ("Muster", "Schmidt", "Dubois", "Martin", "Rossi", "García", "de Vries", "Murphy", "Huber", "Novak"))

DESTINATIONS: tuple[Destination, ...] = (
    Destination("DE", "EUR", "DE MwSt", Decimal("0.19"), True, 14, (
        _pl("DE", "Germany", "Berlin", "10115", ["Invalidenstraße 12", "Chausseestraße 88"]),
        _pl("DE", "Germany", "München", "80331", ["Sendlinger Straße 7"]),
        _pl("DE", "Germany", "Hamburg", "20095", ["Mönckebergstraße 3"])), *_EU_NAMES, "+49 30"),
    Destination("FR", "EUR", "FR TVA", Decimal("0.20"), True, 9, (
        _pl("FR", "France", "Paris", "75003", ["12 Rue de Bretagne", "40 Rue Charlot"]),
        _pl("FR", "France", "Lyon", "69002", ["8 Rue Mercière"])), *_EU_NAMES, "+33 1"),
    Destination("NL", "EUR", "NL btw", Decimal("0.21"), True, 6, (
        _pl("NL", "Netherlands", "Amsterdam", "1012 JS", ["Damrak 70", "Spuistraat 210"]),), *_EU_NAMES, "+31 20"),
    Destination("IT", "EUR", "IT IVA", Decimal("0.22"), True, 5, (
        _pl("IT", "Italy", "Milano", "20121", ["Via Brera 19"], "Milano", "MI"),), *_EU_NAMES, "+39 02"),
    Destination("ES", "EUR", "ES IVA", Decimal("0.21"), True, 5, (
        _pl("ES", "Spain", "Madrid", "28013", ["Calle Mayor 45"], "Madrid", "M"),), *_EU_NAMES, "+34 91"),
    Destination("IE", "EUR", "IE VAT", Decimal("0.23"), True, 3, (
        _pl("IE", "Ireland", "Dublin", "D02 X285", ["14 Grafton Street"], "Dublin", "D"),), *_EU_NAMES, "+353 1"),
    Destination("AT", "EUR", "AT USt", Decimal("0.20"), True, 3, (
        _pl("AT", "Austria", "Wien", "1010", ["Kärntner Straße 21"]),), *_EU_NAMES, "+43 1"),
    Destination("GB", "GBP", "GB VAT", Decimal("0.20"), True, 12, (
        _pl("GB", "United Kingdom", "London", "EC1V 9HX", ["221 City Road", "18 Old Street"], "England", "ENG"),
        _pl("GB", "United Kingdom", "Manchester", "M1 1AE", ["5 Piccadilly"], "England", "ENG"),
        _pl("GB", "United Kingdom", "Edinburgh", "EH1 1YZ", ["3 High Street"], "Scotland", "SCT")),
        ("Oliver", "Amelia", "Harry", "Isla", "George", "Ava"), ("Smith", "Jones", "Taylor", "Brown", "Wilson"),
        "+44 20"),
    Destination("US", "USD", None, Decimal("0"), False, 22, (
        _pl("US", "United States", "Los Angeles", "90012", ["350 S Grand Ave"], "California", "CA"),
        _pl("US", "United States", "New York", "10001", ["500 W 33rd St"], "New York", "NY"),
        _pl("US", "United States", "Austin", "78701", ["600 Congress Ave"], "Texas", "TX"),
        _pl("US", "United States", "Seattle", "98101", ["1201 3rd Ave"], "Washington", "WA"),
        _pl("US", "United States", "Miami", "33131", ["801 Brickell Ave"], "Florida", "FL"),
        _pl("US", "United States", "Chicago", "60601", ["233 S Wacker Dr"], "Illinois", "IL"),
        _pl("US", "United States", "Portland", "97204", ["1120 SW 5th Ave"], "Oregon", "OR"),
        _pl("US", "United States", "Boston", "02108", ["1 Beacon St"], "Massachusetts", "MA"),
        _pl("US", "United States", "Denver", "80202", ["1700 Lincoln St"], "Colorado", "CO"),
        _pl("US", "United States", "Newark", "07102", ["1 Gateway Center"], "New Jersey", "NJ")),
        ("James", "Mary", "Michael", "Jennifer", "David", "Emily", "Daniel"),
        ("Johnson", "Williams", "Miller", "Davis", "Garcia", "Rodriguez"), "+1 212"),
    Destination("SG", "SGD", "SG GST", Decimal("0.09"), True, 5, (
        _pl("SG", "Singapore", "Singapore", "018989", ["10 Marina Boulevard", "1 Raffles Place"]),),
        ("Wei Ling", "Jun Jie", "Hui Min", "Arjun"), ("Tan", "Lim", "Ng", "Nair"), "+65"),
    Destination("MY", "MYR", "MY Sales Tax", Decimal("0.10"), False, 4, (
        _pl("MY", "Malaysia", "Kuala Lumpur", "50088", ["Jalan Sultan Ismail 1"], "Kuala Lumpur", "KUL"),
        _pl("MY", "Malaysia", "George Town", "10200", ["Lebuh Pantai 12"], "Penang", "PNG")),
        ("Aisyah", "Muhammad", "Mei Ling", "Kumar"), ("Abdullah", "Wong", "Ismail", "Raj"), "+60 3"),
    Destination("AU", "AUD", "AU GST", Decimal("0.10"), True, 8, (
        _pl("AU", "Australia", "Sydney", "2000", ["1 Martin Place"], "New South Wales", "NSW"),
        _pl("AU", "Australia", "Melbourne", "3000", ["120 Collins St"], "Victoria", "VIC")),
        ("Jack", "Charlotte", "Noah", "Matilda"), ("Walker", "Kelly", "Ryan", "Thompson"), "+61 2"),
    Destination("NZ", "NZD", "NZ GST", Decimal("0.15"), True, 4, (
        _pl("NZ", "New Zealand", "Auckland", "1010", ["21 Queen Street"], "Auckland", "AUK"),
        _pl("NZ", "New Zealand", "Wellington", "6011", ["1 Lambton Quay"], "Wellington", "WGN")),
        ("Aroha", "Liam", "Mia", "Nikau"), ("Ngata", "Wilson", "Clarke", "Parata"), "+64 9"),
)

# US sales tax: state base rates where the sandbox shop is registered (no local rates; OR has no sales tax).
US_STATE_RATES: dict[str, Decimal] = {
    "CA": Decimal("0.0725"), "NY": Decimal("0.04"), "TX": Decimal("0.0625"), "WA": Decimal("0.065"),
    "FL": Decimal("0.06"), "IL": Decimal("0.0625"), "OR": Decimal("0"), "MA": Decimal("0.0625"),
    "CO": Decimal("0.029"), "NJ": Decimal("0.06625"),
}
US_TAXES_SHIPPING = {"NY", "TX", "WA", "IL", "NJ"}

CARRIERS: tuple[tuple[str, str], ...] = (
    ("DHL Express", "https://www.dhl.com/en/express/tracking.html?AWB={}"),
    ("UPS", "https://www.ups.com/track?tracknum={}"),
    ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{}"),
    ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={}"),
    ("Australia Post", "https://auspost.com.au/mypost/track/#/details/{}"),
)

LOCATIONS: tuple[tuple[int, str, str], ...] = (
    (71000000001, "Main Warehouse", "DE"), (71000000002, "US Fulfilment Hub", "US"))
