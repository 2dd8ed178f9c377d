"""An admin changes a person's role, or opens the admin page: checked here, logged."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.config import StudioConfig
from lib.domain.access import Actor, NotAllowed, Role, check_admin, role_from_settings
from lib.store.tasks import Store
from lib.team.budgets import Changed, refuse


def open_admin_page(store: Store, actor: Actor | None) -> str | None:
    """None when this person may see the admin page; else why not (logged)."""
    try:
        check_admin(actor, "admin.open")
    except NotAllowed as refusal:
        store.audit_refused(actor, "admin.open", str(refusal))
        return str(refusal)
    return None


def role_from_config(config: StudioConfig, email: str | None) -> Role | None:
    """The role the settings give this e-mail (those cannot be changed on the page)."""
    return role_from_settings(email, [], config.admin_emails, ())


def change_role(
    store: Store, config: StudioConfig, actor: Actor | None, account_id: str, role: str
) -> Changed:
    try:
        check_admin(actor, "role.change")
    except NotAllowed as refusal:
        return refuse(store, actor, "role.change", account_id, str(refusal))
    assert actor is not None
    try:
        new = Role(role)
    except ValueError:
        return refuse(store, actor, "role.change", account_id, "A role is admin, member or viewer.")
    account = store.get_account(account_id)
    if account is None:
        return refuse(store, actor, "role.change", account_id, "There is no such person.")
    if account.id == actor.account_id:
        return refuse(store, actor, "role.change", account.name, "You cannot change your own role.")
    if role_from_config(config, account.email):
        return refuse(
            store,
            actor,
            "role.change",
            account.name,
            f"{account.name} is an admin by the studio's settings (STUDIO_ADMINS).",
        )
    old, _ = store.set_role(account.id, new) or (account.role, new)
    store.audit(
        "role.change",
        actor_id=actor.account_id,
        actor_name=actor.name,
        target=account.name,
        detail=f"{old} -> {new.value}",
        now=datetime.now(UTC),
    )
    return Changed(f"{account.name} is now {new.value}.", ok=True)


def switch_account(
    store: Store, config: StudioConfig, actor: Actor | None, account_id: str, active: bool
) -> Changed:
    """An admin switches a person's account off (they can no longer sign in) or on."""
    action = "account.enable" if active else "account.disable"
    try:
        check_admin(actor, action)
    except NotAllowed as refusal:
        return refuse(store, actor, action, account_id, str(refusal))
    assert actor is not None
    account = store.get_account(account_id)
    if account is None:
        return refuse(store, actor, action, account_id, "There is no such person.")
    if account.id == actor.account_id:
        return refuse(store, actor, action, account.name, "You cannot switch off your own account.")
    if not active and role_from_config(config, account.email):
        return refuse(
            store,
            actor,
            action,
            account.name,
            f"{account.name} is an admin by the studio's settings (STUDIO_ADMINS).",
        )
    status = "active" if active else "disabled"
    if account.status == status:
        return Changed("", ok=True)  # nothing changed: nothing to log
    store.set_status(account.id, status)
    store.audit(
        action,
        actor_id=actor.account_id,
        actor_name=actor.name,
        target=account.name,
        detail=f"{account.status} -> {status}",
        now=datetime.now(UTC),
    )
    words = "can sign in again" if active else "can no longer sign in"
    return Changed(f"{account.name} {words}.", ok=True)
