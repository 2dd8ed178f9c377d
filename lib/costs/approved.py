"""Money per approved video (issue 17): per campaign, what all its takes cost — failed,
rejected and unreviewed ones included, as the Costs page counts them (settled plus
pending) — the number of approved videos, and the spend divided by them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from lib.costs.filters import NO_CAMPAIGN
from lib.costs.loading import SPEND_SQL, day_start
from lib.domain.money import quota_to_usd, round_usd
from lib.domain.review import ReviewState
from lib.store.schema import Review, Task
from lib.store.tasks import Store


@dataclass(frozen=True)
class CampaignYield:
    campaign: str  # "" for videos without one
    takes: int  # videos the service accepted
    spend_quota: int
    approved: int

    @property
    def per_approved_usd(self) -> Decimal | None:
        """Exact dollars per approved video; None when none is approved yet."""
        return quota_to_usd(self.spend_quota) / self.approved if self.approved else None


def per_approved(
    store: Store, start: date | None = None, end: date | None = None
) -> list[CampaignYield]:
    """One row per campaign with videos in the period (UTC days, both included), most
    spend first. One query: the tasks, their money and their review."""
    spend = SPEND_SQL
    approved = case((Review.state == ReviewState.APPROVED, 1), else_=0)
    query = (
        select(Task.campaign, func.count(Task.id), func.sum(spend), func.sum(approved))
        .outerjoin(Review, Review.task_id == Task.id)
        .where(Task.wave_task_id.is_not(None))
        .group_by(Task.campaign)
    )
    if start is not None:
        query = query.where(Task.created_at >= day_start(start))
    if end is not None:
        query = query.where(Task.created_at < day_start(end + timedelta(days=1)))
    with store.session() as session:
        rows = [
            CampaignYield(campaign or "", int(takes), int(quota or 0), int(count or 0))
            for campaign, takes, quota, count in session.execute(query)
        ]
    return sorted(rows, key=lambda row: (-row.spend_quota, row.campaign))


def table(rows: list[CampaignYield]) -> list[dict]:
    """For the page: dollars rounded by the studio's one rule; "—" with none approved."""
    return [
        {
            "Campaign": row.campaign or NO_CAMPAIGN,
            "Takes": row.takes,
            "Spend": float(round_usd(quota_to_usd(row.spend_quota))),
            "Approved": row.approved,
            "Per approved video": (
                float(round_usd(row.per_approved_usd)) if row.per_approved_usd is not None else None
            ),
        }
        for row in rows
    ]
