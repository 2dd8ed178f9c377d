"""The month's spend against the caps, read inside the transaction that creates a task
(Store.create_task) from the running totals (lib/store/month_spend.py), so that
concurrent submits can never overspend together: on SQLite the writer's BEGIN IMMEDIATE
lets one submit at a time check and insert; on PostgreSQL every submit first takes one
transaction-scoped advisory lock (`lock_budgets`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lib.domain.budgets import Cap, OverBudget, Scope, first_crossed
from lib.store.month_spend import CAMPAIGN, PERSON, spent_in, totals_keys
from lib.store.schema import Budget, BudgetPass
from lib.store.team import DONE, add_audit

# pg_advisory_xact_lock's key: any fixed number, the same in every server process.
BUDGET_LOCK_KEY = 16_016_001


@dataclass(frozen=True)
class BudgetCheck:
    """Who is asking (for the messages and the log) and who can raise a cap."""

    actor_name: str
    admins: tuple[str, ...] = ()


def lock_budgets(session: Session) -> None:
    """Submits check and insert one at a time (PostgreSQL; SQLite's writer already is)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BUDGET_LOCK_KEY})


def caps_in(session: Session, account_id: str | None, campaign: str, now: datetime) -> list[Cap]:
    """The caps that apply to a video of this person and campaign, with this month's
    spend of each (settled, plus held for videos still being made)."""
    wanted = [(Scope.TEAM, ""), (Scope.PERSON_DEFAULT, "")]
    if account_id:
        wanted.append((Scope.PERSON, account_id))
    if campaign:
        wanted.append((Scope.CAMPAIGN, campaign))
    rows = session.execute(
        select(Budget.scope, Budget.target, Budget.cap_quota).where(
            Budget.scope.in_([scope for scope, _ in wanted]),
            Budget.target.in_({target for _, target in wanted}),
        )
    ).all()
    found = {(scope, target): cap for scope, target, cap in rows if (scope, target) in wanted}
    if not found:
        return []
    # The running totals (lib/store/month_spend.py): a few primary-key reads.
    team_key, *_ = keys = totals_keys(now, account_id, campaign)
    spent = spent_in(session, keys)
    team = spent[team_key]
    person = spent.get((team_key[0], PERSON, account_id), 0)
    by_campaign = spent.get((team_key[0], CAMPAIGN, campaign), 0)
    caps = []
    if (Scope.TEAM, "") in found:
        caps.append(Cap(Scope.TEAM, "the team's", found[Scope.TEAM, ""], int(team or 0)))
    own = found.get((Scope.PERSON, account_id or "")) if account_id else None
    if own is None and account_id:
        own = found.get((Scope.PERSON_DEFAULT, ""))
    if own is not None:
        caps.append(Cap(Scope.PERSON, "your", own, int(person or 0)))
    if campaign and (Scope.CAMPAIGN, campaign) in found:
        label = f"the campaign “{campaign}”'s"
        caps.append(
            Cap(Scope.CAMPAIGN, label, found[Scope.CAMPAIGN, campaign], int(by_campaign or 0))
        )
    return caps


def enforce(
    session: Session,
    check: BudgetCheck,
    account_id: str | None,
    campaign: str,
    amount_quota: int,
    now: datetime,
) -> BudgetPass | None:
    """Raise OverBudget when this video would cross a cap, unless an admin let one video
    of this person through (-> that pass, to be marked used with the new task)."""
    crossed = first_crossed(caps_in(session, account_id, campaign, now), amount_quota)
    if crossed is None:
        return None
    if account_id:
        granted = session.scalar(
            select(BudgetPass)
            .where(BudgetPass.account_id == account_id, BudgetPass.used_at.is_(None))
            .order_by(BudgetPass.id)
            .limit(1)
            .with_for_update()
        )
        if granted is not None:
            granted.used_at = now
            add_audit(
                session,
                "budget.pass_used",
                account_id,
                check.actor_name,
                DONE,
                crossed.scope,
                f"let through over {crossed.label} budget ({crossed.left_words()}), "
                f"pass given by {granted.granted_by}",
                now,
            )
            return granted
    raise OverBudget(crossed, amount_quota, list(check.admins))
