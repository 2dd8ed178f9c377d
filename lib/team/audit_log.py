"""The audit log as the admin page shows it, and as a CSV safe to open in a
spreadsheet (the Costs CSV's defusing of formulas)."""

from __future__ import annotations

import io

import pandas as pd

from lib.costs.export import defuse
from lib.store.tasks import Store
from lib.store.team import AuditFilter

COLUMNS = {
    "at": "When (UTC)",
    "actor_name": "Who",
    "action": "What",
    "outcome": "Outcome",
    "target": "On",
    "detail": "Details",
}
# What the filter offers, as a person reads it.
ACTIONS = {
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "sign_in.refused": "Sign-in refused",
    "sign_in.forged_header": "Forged or ignored sign-in header",
    "sign_in.tampered_cookie": "Tampered sign-in cookie",
    "video.create": "Video made",
    "video.cancel": "Video cancelled",
    "video.retry": "Video tried again",
    "budget.set": "Budget changed",
    "budget.pass": "One video let through",
    "budget.pass_used": "Let-through used",
    "budget.refused": "Video refused by a budget",
    "role.change": "Role changed",
    "admin.open": "Admin page opened",
    # Issue 18: brand kits (admins only) and recipes (their author or an admin).
    "kit.create": "Brand kit made",
    "kit.change": "Brand kit changed",
    "kit.delete": "Brand kit deleted",
    "recipe.create": "Recipe saved",
    "recipe.change": "Recipe changed",
    "recipe.delete": "Recipe deleted",
}


def audit_frame(store: Store, chosen: AuditFilter) -> pd.DataFrame:
    events = store.audit_events(chosen)
    frame = pd.DataFrame(
        [
            {
                "at": event.at.strftime("%Y-%m-%d %H:%M:%S"),
                "actor_name": event.actor_name,
                "action": event.action,
                "outcome": event.outcome,
                "target": event.target,
                "detail": event.detail,
            }
            for event in events
        ],
        columns=list(COLUMNS),
    )
    return frame


def audit_csv(frame: pd.DataFrame) -> bytes:
    """The rows as CSV (UTF-8 with a byte-order mark, for Excel); text a spreadsheet
    could run as a formula is defused."""
    out = frame.copy()
    for column in ("actor_name", "action", "outcome", "target", "detail"):
        out[column] = defuse(out[column])
    buffer = io.StringIO()
    out.rename(columns=COLUMNS).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")
