"""Monthly budgets, pure: what a cap is, how an amount typed by an admin is read, and
whether a video fits. The store adds up the month's spend and holds the lock
(lib/store/budgets.py); this module decides and words it.

A month is the calendar month in UTC. Spend counts settled charges plus the money held
for videos still being made (their estimate, or what the service pre-consumed)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from lib.domain.money import QUOTA_PER_USD, format_usd, quota_to_usd

MAX_CAP_USD = Decimal("1000000")  # a cap above this is a typing mistake, not a budget
DEFAULT_WARN_PERCENT = 80


class Scope(StrEnum):
    TEAM = "team"  # everyone together (target "")
    PERSON = "person"  # one account (target: its id)
    PERSON_DEFAULT = "person_default"  # each person without a cap of their own (target "")
    CAMPAIGN = "campaign"  # one campaign (target: its name)


class BadAmount(ValueError):
    """An amount an admin typed that is not a budget. The message names what is allowed."""


def parse_cap_usd(text: str | float | Decimal | None) -> int | None:
    """A cap typed in dollars -> quota; blank -> None (no cap). Refuses negatives,
    non-numbers, NaN/infinity and amounts over $1,000,000, with a message."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = str(text).strip().lstrip("$").replace(",", "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise BadAmount(
            "A budget is an amount in dollars, like 25 or 12.50 (leave it empty for no cap)."
        ) from None
    if not amount.is_finite() or (isinstance(text, float) and not math.isfinite(text)):
        raise BadAmount("A budget is an amount in dollars, like 25 or 12.50.")
    if amount < 0:
        raise BadAmount("A budget cannot be negative: use 0 to stop all spending.")
    if amount > MAX_CAP_USD:
        raise BadAmount(f"A budget can be at most ${MAX_CAP_USD:,.0f} a month.")
    quota = (amount * QUOTA_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(quota)


def parse_warn_percent(text: str | None) -> int:
    """The warning threshold (STUDIO_BUDGET_WARN_PERCENT): 1 to 100, else the default."""
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return DEFAULT_WARN_PERCENT
    return value if 1 <= value <= 100 else DEFAULT_WARN_PERCENT


def month_start(now: datetime) -> datetime:
    """The first instant of `now`'s calendar month, in UTC."""
    now = now.astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def whole_usd(quota: int) -> str:
    """`$10` for whole dollars, `$3.20` otherwise (a budget, a remainder)."""
    amount = quota_to_usd(max(quota, 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${amount:,.0f}" if amount == amount.to_integral() else f"${amount:,.2f}"


@dataclass(frozen=True)
class Cap:
    """One cap that applies to a video, and what its scope has spent this month."""

    scope: Scope
    label: str  # "the team's", "your", "the campaign “Spring”"
    cap_quota: int
    spent_quota: int

    @property
    def left_quota(self) -> int:
        return max(self.cap_quota - self.spent_quota, 0)

    def used_percent(self) -> float:
        if self.cap_quota <= 0:
            return 100.0
        return 100.0 * self.spent_quota / self.cap_quota

    def left_words(self) -> str:
        """`$3.20 of $10 left this month`."""
        return f"{whole_usd(self.left_quota)} of {whole_usd(self.cap_quota)} left this month"


class OverBudget(Exception):
    """A video that would cross a cap. The message names the cap, what is left and who
    can raise it."""

    def __init__(self, cap: Cap, amount_quota: int, admins: list[str]):
        self.cap = cap
        self.amount_quota = amount_quota
        who = ", ".join(admins[:3]) if admins else "an admin"
        price = format_usd(quota_to_usd(amount_quota))
        super().__init__(
            f"This video ({price}) would go over {cap.label} monthly "
            f"budget: {cap.left_words()}. An admin ({who}) can raise the budget or let "
            "this one video through."
        )


def first_crossed(caps: list[Cap], amount_quota: int) -> Cap | None:
    """The first cap this amount would cross (the tightest first), or None."""
    for cap in sorted(caps, key=lambda c: c.left_quota):
        if cap.spent_quota + amount_quota > cap.cap_quota:
            return cap
    return None


def tightest(caps: list[Cap]) -> Cap | None:
    """The cap with the least left (what the Create button shows)."""
    return min(caps, key=lambda c: c.left_quota, default=None)
