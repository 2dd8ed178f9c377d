"""Prices of a video, in US dollars and in the API's quota units.

`shared/wave-api.md` (DECIDED): quota price = round_half_up(seconds x 3718.75), and
500,000 quota = 1 USD. Dollar amounts shown to people are rounded half up to 4 places
(6 s = $0.0446, 10 s = $0.0744, 30 s = $0.2231).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from lib.domain.catalog import GROK_IMAGINE_VIDEO, ModelSpec

_CENT_FRACTION = Decimal("0.0001")


def price_quota(duration_seconds: int, model: ModelSpec = GROK_IMAGINE_VIDEO) -> int:
    """What a video of this length costs, in quota (what the API pre-consumes)."""
    exact = Decimal(duration_seconds) * model.usd_per_second * model.quota_per_usd
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_usd(duration_seconds: int, model: ModelSpec = GROK_IMAGINE_VIDEO) -> Decimal:
    """The list price in dollars, rounded half up to 4 decimal places."""
    exact = Decimal(duration_seconds) * model.usd_per_second
    return exact.quantize(_CENT_FRACTION, rounding=ROUND_HALF_UP)


def quota_to_usd(quota: int, model: ModelSpec = GROK_IMAGINE_VIDEO) -> Decimal:
    """Exact dollars for a quota amount (no rounding: sums stay exact)."""
    return Decimal(quota) / Decimal(model.quota_per_usd)


def round_usd(amount: Decimal) -> Decimal:
    """The one rounding of dollars shown to people: half up to 4 decimal places (single
    videos cost fractions of a cent). A card, a table cell and a total all use it, so the
    same amount always shows the same ($0.14875 is $0.1488 everywhere)."""
    return amount.quantize(_CENT_FRACTION, rounding=ROUND_HALF_UP)


def format_usd(amount: Decimal) -> str:
    """`$0.0744`: four decimals, because single videos cost fractions of a cent."""
    return f"${round_usd(amount)}"
