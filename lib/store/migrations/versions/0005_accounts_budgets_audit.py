"""The team: accounts, monthly budgets (and one-video passes), the audit log; tasks and
assets linked to the account that made them.

Existing videos keep their names: one account is made for each distinct name found in
`tasks.person` and `assets.uploaded_by` (login "name:<name>", role member), and every
task and asset is linked to it by id. `person` stays, so names show as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("login", sa.String(length=320), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_sign_in_at", WHEN, nullable=True),
        sa.Column("signed_out_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("login", name=op.f("uq_accounts_login")),
    )
    op.create_table(
        "budgets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("cap_quota", sa.BigInteger(), nullable=False),
        sa.Column("set_by", sa.String(length=120), nullable=False),
        sa.Column("set_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets")),
        sa.UniqueConstraint("scope", "target", name="uq_budgets_scope_target"),
    )
    op.create_table(
        "budget_passes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=120), nullable=False),
        sa.Column("granted_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.Column("task_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_budget_passes_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_passes")),
    )
    with op.batch_alter_table("budget_passes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budget_passes_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tasks_account_id_accounts"), "accounts", ["account_id"], ["id"]
        )
        batch_op.create_index(
            "ix_tasks_month_spend",
            [
                "created_at",
                "account_id",
                "campaign",
                "cost_quota",
                "pre_consumed_quota",
                "estimate_quota",
            ],
            unique=False,
        )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_assets_account_id_accounts"), "accounts", ["account_id"], ["id"]
        )
    _accounts_from_names()


def _accounts_from_names() -> None:
    """One member account per name already in the store; tasks and assets linked to it."""
    bind = op.get_bind()
    names = {
        name
        for (name,) in bind.execute(
            sa.text(
                "SELECT DISTINCT person FROM tasks UNION SELECT DISTINCT uploaded_by FROM assets"
            )
        )
        if name
    }
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as UTCDateTime stores it there
    accounts = sa.table(
        "accounts",
        sa.column("id"),
        sa.column("login"),
        sa.column("email"),
        sa.column("name"),
        sa.column("role"),
        sa.column("status"),
        sa.column("created_at"),
    )
    rows = [
        {
            "id": uuid.uuid4().hex,
            "login": f"name:{name}",
            "email": None,
            "name": name,
            "role": "member",
            "status": "active",
            "created_at": now,
        }
        for name in sorted(names)
    ]
    if rows:
        op.bulk_insert(accounts, rows)
    for table, column in (("tasks", "person"), ("assets", "uploaded_by")):
        bind.execute(
            sa.text(
                f"UPDATE {table} SET account_id = (SELECT accounts.id FROM accounts "
                f"WHERE accounts.login = 'name:' || {table}.{column}) WHERE {column} <> ''"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assets_account_id_accounts"), type_="foreignkey")
        batch_op.drop_column("account_id")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_month_spend")
        batch_op.drop_constraint(batch_op.f("fk_tasks_account_id_accounts"), type_="foreignkey")
        batch_op.drop_column("account_id")
    op.drop_table("audit_events")
    op.drop_table("budget_passes")
    op.drop_table("budgets")
    op.drop_table("accounts")
