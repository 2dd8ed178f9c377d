"""The team in the store: accounts (found or made at sign-in, roles, "signed out at"),
budgets and one-video passes, and the audit log. Store methods (lib.store.tasks.Store)
like Reads and Leases; the money check inside a submit's transaction is in budgets.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lib.domain.access import Actor, Role
from lib.domain.text_fields import PERSON, fit
from lib.store.memo import Memo
from lib.store.schema import Account, AuditEvent, Budget, BudgetPass

DONE = "done"
REFUSED = "refused"
AUDIT_TEXT = 2000  # characters of detail kept per entry (a pasted essay is not a record)


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    actions: Sequence[str] = ()
    actor_name: str | None = None
    outcome: str | None = None
    limit: int = 5000


def name_login(name: str) -> str:
    return f"name:{name}"


def email_login(email: str) -> str:
    return f"email:{email.strip().lower()}"


def account_in(session: Session, login: str, name: str, role: Role, now: datetime) -> Account:
    """The account with this login, made (as `role`) when there is none yet. Inside a
    write transaction."""
    found = session.scalar(select(Account).where(Account.login == login))
    if found is not None:
        return found
    account = Account(
        id=uuid.uuid4().hex,
        login=login,
        email=login.split(":", 1)[1] if login.startswith("email:") else None,
        name=fit(PERSON, name) or login.split(":", 1)[1][: PERSON.max_length],
        role=str(role),
        status="active",
        created_at=now,
    )
    session.add(account)
    session.flush()
    return account


class Team:
    """Store methods for accounts, budgets and the audit log."""

    session: Callable[[], Session]
    writing: Callable[[], AbstractContextManager[Session]]
    memo: Memo

    # ----- accounts -------------------------------------------------------------------
    def account_for(self, login: str, name: str, default_role: Role, now: datetime) -> Account:
        """Find or make the account for a sign-in; its name follows the sign-in's. Found
        accounts are kept until this process writes (memo.py: every page run asks)."""
        found = self.memo.get(("account", login), lambda: self._account_by_login(login))
        if found is not None and (found.name == fit(PERSON, name) or not name):
            return found
        with self.writing() as session:
            account = account_in(session, login, name, default_role, now)
            if name and account.name != fit(PERSON, name):
                account.name = fit(PERSON, name)
            return account

    def _account_by_login(self, login: str) -> Account | None:
        with self.session() as session:
            return session.scalar(select(Account).where(Account.login == login))

    def get_account(self, account_id: str) -> Account | None:
        with self.session() as session:
            return session.get(Account, account_id)

    def accounts(self) -> list[Account]:
        with self.session() as session:
            return list(session.scalars(select(Account).order_by(Account.name, Account.login)))

    def admin_names(self) -> list[str]:
        with self.session() as session:
            return list(
                session.scalars(
                    select(Account.name).where(Account.role == Role.ADMIN).order_by(Account.name)
                )
            )

    def set_role(self, account_id: str, role: Role) -> tuple[str, str] | None:
        """-> (old role, new role), or None when there is no such account."""
        with self.writing() as session:
            account = session.get(Account, account_id, with_for_update=True)
            if account is None:
                return None
            old, account.role = account.role, str(role)
            return old, account.role

    def set_status(self, account_id: str, status: str) -> None:
        with self.writing() as session:
            account = session.get(Account, account_id, with_for_update=True)
            if account is not None:
                account.status = status

    def record_sign_in(self, account_id: str, issued_at: datetime) -> bool:
        """A sign-in seen by a page: True the first time this session (cookie issued at
        `issued_at`) is seen, so that it is logged once, not per tab."""
        with self.session() as session:  # every page run asks: a read, unless it is new
            seen = session.scalar(select(Account.last_sign_in_at).where(Account.id == account_id))
        if seen is not None and seen >= issued_at:
            return False
        with self.writing() as session:
            account = session.get(Account, account_id, with_for_update=True)
            if account is None:
                return False
            if account.last_sign_in_at is not None and account.last_sign_in_at >= issued_at:
                return False
            account.last_sign_in_at = issued_at
            return True

    def record_sign_out(self, account_id: str, now: datetime) -> None:
        """Sessions issued until now are refused from now on (the cookie is not kept by
        the server: a copy of it would still sign in otherwise)."""
        with self.writing() as session:
            account = session.get(Account, account_id, with_for_update=True)
            if account is not None:
                account.signed_out_at = now

    # ----- budgets --------------------------------------------------------------------
    def budgets(self) -> list[Budget]:
        with self.session() as session:
            return list(session.scalars(select(Budget).order_by(Budget.scope, Budget.target)))

    def set_budget(
        self, scope: str, target: str, cap_quota: int | None, by: str, now: datetime
    ) -> int | None:
        """Set (or, with None, remove) a cap. -> the cap it replaced, in quota."""
        with self.writing() as session:
            found = session.scalar(
                select(Budget).where(Budget.scope == scope, Budget.target == target)
            )
            old = found.cap_quota if found is not None else None
            if cap_quota is None:
                if found is not None:
                    session.execute(delete(Budget).where(Budget.id == found.id))
                return old
            if found is None:
                session.add(
                    Budget(scope=scope, target=target, cap_quota=cap_quota, set_by=by, set_at=now)
                )
            else:
                found.cap_quota, found.set_by, found.set_at = cap_quota, by, now
            return old

    def grant_pass(self, account_id: str, by: str, now: datetime) -> None:
        with self.writing() as session:
            session.add(BudgetPass(account_id=account_id, granted_by=by, granted_at=now))

    def open_passes(self, account_id: str) -> int:
        with self.session() as session:
            rows = session.scalars(
                select(BudgetPass.id).where(
                    BudgetPass.account_id == account_id, BudgetPass.used_at.is_(None)
                )
            )
            return len(list(rows))

    # ----- the audit log ----------------------------------------------------------------
    def audit(
        self,
        action: str,
        *,
        actor_id: str | None,
        actor_name: str,
        outcome: str = DONE,
        target: str = "",
        detail: str = "",
        now: datetime,
    ) -> None:
        with self.writing() as session:
            add_audit(session, action, actor_id, actor_name, outcome, target, detail, now)

    def audit_refused(self, actor: Actor | None, action: str, why: str, target: str = "") -> None:
        """An attempt refused by a right, a budget or a bad value, in the audit log."""
        self.audit(
            action,
            actor_id=actor.account_id if actor else None,
            actor_name=actor.name if actor else "",
            outcome=REFUSED,
            target=target,
            detail=why,
            now=datetime.now(UTC),
        )

    def audit_events(self, chosen: AuditFilter) -> list[AuditEvent]:
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        if chosen.since is not None:
            query = query.where(AuditEvent.at >= chosen.since)
        if chosen.until is not None:
            query = query.where(AuditEvent.at < chosen.until)
        if chosen.actions:
            query = query.where(AuditEvent.action.in_(list(chosen.actions)))
        if chosen.actor_name:
            query = query.where(AuditEvent.actor_name == chosen.actor_name)
        if chosen.outcome:
            query = query.where(AuditEvent.outcome == chosen.outcome)
        with self.session() as session:
            return list(session.scalars(query.limit(chosen.limit)))


def add_audit(
    session: Session,
    action: str,
    actor_id: str | None,
    actor_name: str,
    outcome: str,
    target: str,
    detail: str,
    now: datetime,
) -> None:
    """One audit entry, in the caller's transaction (with what it records)."""
    session.add(
        AuditEvent(
            at=now,
            actor_id=actor_id,
            actor_name=fit(PERSON, actor_name),
            action=action[:40],
            outcome=outcome,
            target=(target or "")[:320],
            detail=(detail or "")[:AUDIT_TEXT],
        )
    )
