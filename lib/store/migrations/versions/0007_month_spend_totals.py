"""Running monthly spend totals for the budgets (per team, person and campaign), back-filled
from the existing tasks; the index that served the month's sums at every submit
(ix_tasks_month_spend) is dropped: the check reads the totals now.

A task's spend is coalesce(cost, pre-consumed, estimate), in the calendar month (UTC) it
was made (lib/store/month_spend.py keeps them from here on).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPEND = "coalesce(cost_quota, pre_consumed_quota, estimate_quota, 0)"


def upgrade() -> None:
    op.create_table(
        "month_spend",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("spent_quota", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "scope", "target", name=op.f("pk_month_spend")),
    )
    if op.get_bind().dialect.name == "postgresql":
        month = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    else:
        month = "strftime('%Y-%m', created_at)"  # stored as UTC text
    op.execute(
        f"INSERT INTO month_spend (month, scope, target, spent_quota) "
        f"SELECT {month}, 'team', '', sum({SPEND}) FROM tasks GROUP BY {month} "
        f"UNION ALL SELECT {month}, 'person', account_id, sum({SPEND}) FROM tasks "
        f"WHERE account_id IS NOT NULL GROUP BY {month}, account_id "
        f"UNION ALL SELECT {month}, 'campaign', campaign, sum({SPEND}) FROM tasks "
        f"WHERE campaign != '' GROUP BY {month}, campaign"
    )
    op.drop_index("ix_tasks_month_spend", table_name="tasks")


def downgrade() -> None:
    op.create_index(
        "ix_tasks_month_spend",
        "tasks",
        [
            "created_at",
            "account_id",
            "campaign",
            "cost_quota",
            "pre_consumed_quota",
            "estimate_quota",
        ],
    )
    op.drop_table("month_spend")
