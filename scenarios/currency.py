"""Money: the currency documents state their costs in, and how an amount is written.

Staffing documents (hourly rates, on-call pay) and scenario documents (cost per minute of
outage) each declare a `currency`, an ISO 4217 code; `crosscheck` refuses a staffing and a
scenario that disagree, so every sum of their costs is in one currency. Every amount a
report or a verdict prints goes through `format_money`, so "USD 3.4 M" reads the same
everywhere.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

__all__ = ["CURRENCIES", "DEFAULT_CURRENCY", "Currency", "format_money", "currency_description"]

DEFAULT_CURRENCY = "USD"
"""The currency of a document that states none (the bundled examples' costs are US dollars)."""

# ISO 4217 codes of circulating currencies (fund, precious-metal and test codes left out).
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU
UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
""".split())


def _check_currency(value: object) -> str:
    if not isinstance(value, str) or value.strip().upper() not in CURRENCIES:
        raise ValueError(f"expected an ISO 4217 currency code such as USD, EUR or GBP, got {value!r}")
    return value.strip().upper()


def currency_description(what: str) -> str:
    return (f"ISO 4217 code of the currency {what} are in (e.g. USD, EUR, GBP); staffing and scenario "
            f"documents run together must state the same one. Default {DEFAULT_CURRENCY}.")


Currency = Annotated[str, BeforeValidator(_check_currency),
                     WithJsonSchema({"type": "string", "pattern": "^[A-Za-z]{3}$",
                                     "description": "An ISO 4217 currency code, e.g. USD, EUR, GBP."})]
"""An ISO 4217 code, held in capitals."""


def format_money(value: float | None, currency: str | None = DEFAULT_CURRENCY, *, exact: bool = False,
                 signed: bool = False) -> str:
    """An amount as leadership reads it: `USD 3.4 M`, `EUR 425 k`, `GBP 4,000`, `USD 1.2 bn`.

    `exact` writes every unit (`USD 3,449,600`); `signed` puts + before a positive amount
    (for differences); `currency` None leaves the code out (a table whose header names it).
    None or NaN is `-`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    size = abs(float(value))
    if exact or round(size) < 10_000:
        number = f"{size:,.0f}"
    elif round(size / 1e3) < 1000:
        number = f"{size / 1e3:.0f} k"
    elif round(size / 1e6, 1) < 1000:
        number = f"{size / 1e6:.1f} M"
    else:
        number = f"{size / 1e9:,.1f} bn"
    return f"{currency} {sign}{number}" if currency else f"{sign}{number}"
