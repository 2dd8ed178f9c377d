"""Money, in one place: prices in the API's quota units and in US dollars, the one rounding
rule, and every way the studio writes an amount.

`shared/wave-api.md` (DECIDED): quota price = round_half_up(seconds x usd_per_second x
500000) + pictures x round_half_up(usd_per_picture x 500000), the rates by model and
resolution from lib/domain/catalog.py; and
500,000 quota = 1 USD; the service charges whole quota units, so 6 decimals of a dollar
are exact. Sums stay in integer quota (or exact Decimals) and are rounded once, at the
end: dollars shown to people are rounded half up to 4 places (6 s = $0.0446,
10 s = $0.0744, 30 s = $0.2231), the same on a card, a button, the sidebar and in every
Costs table ($0.14875 is $0.1488 everywhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lib.domain.catalog import GROK_IMAGINE_VIDEO, MODELS, ModelSpec

_CENT_FRACTION = Decimal("0.0001")
QUOTA_PER_USD = GROK_IMAGINE_VIDEO.quota_per_usd
# The Costs tables' money columns (st.column_config): the values are already rounded by
# round_usd, so the browser only shows the 4 decimals.
TABLE_FORMAT = "$%.4f"


# ----- prices and conversions ------------------------------------------------------------
def _quota(usd: Decimal, model: ModelSpec) -> int:
    """Dollars as whole quota units, rounded half up (the contract's one rounding)."""
    exact = usd * model.quota_per_usd
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_quota(
    duration_seconds: int | Decimal,
    model: ModelSpec = GROK_IMAGINE_VIDEO,
    resolution: str | None = None,
    pictures: int = 0,
) -> int:
    """What a video costs, in quota (what the API pre-consumes): shared/wave-api.md,
    `round_half_up(seconds x usd_per_second x 500000) + pictures x
    round_half_up(usd_per_picture x 500000)`."""
    rate = model.rate(resolution or model.resolutions[0])
    seconds = _quota(Decimal(duration_seconds) * rate, model)
    return seconds + pictures * _quota(model.usd_per_picture, model)


def edit_price_quota(source_seconds: Decimal, model: ModelSpec) -> int:
    """What restyling a source video costs (DECIDED): the output keeps the source's
    length, so `round_half_up(seconds x (output rate at 720p + source rate) x 500000)`,
    one rounding as for every price."""
    rate = model.rate(model.max_edit_resolution) + model.usd_per_source_second
    return _quota(Decimal(source_seconds) * rate, model)


def request_price_quota(request: Mapping[str, Any], model: ModelSpec | None = None) -> int:
    """The price of a checked request (lib.domain.validation.validate_request)."""
    model = model or MODELS[request["model"]]
    pictures = len(request.get("image_urls") or ())
    return price_quota(request["duration"], model, request["resolution"], pictures)


def price_usd(
    duration_seconds: int,
    model: ModelSpec = GROK_IMAGINE_VIDEO,
    resolution: str | None = None,
    pictures: int = 0,
) -> Decimal:
    """The list price in dollars as shown (rounded as everywhere: round_usd)."""
    return round_usd(quota_to_usd(price_quota(duration_seconds, model, resolution, pictures)))


def quota_to_usd(quota: int, model: ModelSpec = GROK_IMAGINE_VIDEO) -> Decimal:
    """Exact dollars for a quota amount (no rounding: sums stay exact)."""
    return Decimal(quota) / Decimal(model.quota_per_usd)


def round_usd(amount: Decimal) -> Decimal:
    """The one rounding of dollars shown to people: half up to 4 decimal places (single
    videos cost fractions of a cent). A card, a table cell and a total all use it, so the
    same amount always shows the same ($0.14875 is $0.1488 everywhere)."""
    return amount.quantize(_CENT_FRACTION, rounding=ROUND_HALF_UP)


# ----- how amounts are written -------------------------------------------------------------
def format_usd(amount: Decimal) -> str:
    """`$0.0744`: four decimals, because single videos cost fractions of a cent (a card,
    the Generate button, the sidebar's spend)."""
    return f"${round_usd(amount)}"


def quota_usd(quota: int | None) -> str:
    """A quota amount as format_usd writes it; nothing known yet is $0.0000."""
    return format_usd(quota_to_usd(quota or 0))


def usd_label(amount: Decimal) -> str:
    """`$1,234.5678`: rounded as everywhere (`round_usd`), with thousands separated (the
    Costs totals)."""
    return f"${round_usd(amount):,}"


def usd_exact(amount: Decimal) -> str:
    """`$0.089252`: every digit (1 quota = $0.000002, so 6 decimals are exact)."""
    return f"${amount:,.6f}"


def csv_usd(quota: int) -> str:
    """`0.044626`: exact dollars as text for a spreadsheet, without the sign."""
    return f"{quota_to_usd(quota):.6f}"


def balance_label(amount: Decimal) -> str:
    """`$1,234.57`: an account's credit, in cents (what the service reports it in)."""
    return f"${amount:,.2f}"


def rate_label(model: ModelSpec = GROK_IMAGINE_VIDEO, resolution: str | None = None) -> str:
    """`$0.0074375 per second`: the model's price, every digit (at one resolution, or the
    lowest with "from" when it depends on the resolution)."""
    if resolution is not None or model.flat_rate:
        return f"${model.rate(resolution or model.resolutions[0])} per second"
    return f"from ${min(model.usd_per_second.values())} per second"


def wire_usd(quota: int) -> float:
    """Dollars as the Wave API's replies write them: a number with 6 decimals."""
    return float(round(quota_to_usd(quota), 6))
