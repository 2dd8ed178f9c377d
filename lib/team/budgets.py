"""Budgets as people meet them: what is left on the Create button, and an admin setting
a cap or letting one video through (checked, logged, refused with a message)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from lib.domain.access import Actor, NotAllowed, check_admin
from lib.domain.budgets import BadAmount, Cap, Scope, parse_cap_usd, tightest, whole_usd
from lib.domain.text_fields import CAMPAIGN, clean, length_problem
from lib.store.tasks import Store
from lib.store.team import DONE

# A campaign a budget names: what a spreadsheet would run, or markup, is refused.
_NOT_A_NAME = re.compile(r"^[=+\-@\t\r]|[<>]")


@dataclass(frozen=True)
class BudgetLine:
    """The words under the Create button."""

    text: str  # "$3.20 of $10 left this month (your budget)"
    warn: bool  # from the warning threshold (80 % by default)
    cap: Cap


def budget_line(
    store: Store, actor: Actor | None, campaign: str, warn_percent: int, now: datetime | None = None
) -> BudgetLine | None:
    """The tightest cap for this person and campaign, or None when no cap applies."""
    now = now or datetime.now(UTC)
    cap = tightest(store.caps_for(actor.account_id if actor else None, campaign or "", now))
    if cap is None:
        return None
    owner = {Scope.TEAM: "team budget", Scope.PERSON: "your budget"}.get(
        cap.scope, f"budget of “{campaign}”"
    )
    warn = cap.used_percent() >= warn_percent
    return BudgetLine(f"{cap.left_words()} ({owner})", warn, cap)


class Changed(str):
    """Words for the admin, that also say whether the change was made."""

    ok: bool

    def __new__(cls, text: str, ok: bool) -> Changed:
        made = super().__new__(cls, text)
        made.ok = ok
        return made


def refuse(store: Store, actor: Actor | None, action: str, target: str, why: str) -> Changed:
    store.audit_refused(actor, action, why, target)
    return Changed(why, ok=False)


def campaign_problem(name: str) -> str | None:
    too_long = length_problem(CAMPAIGN, name)
    if too_long:
        return too_long
    if not name:
        return "Name the campaign this budget is for."
    if _NOT_A_NAME.search(name):
        return (
            "A campaign name cannot start with =, +, - or @, nor contain < or >: "
            "a spreadsheet or a page could take it for a formula or code."
        )
    return None


def set_cap(
    store: Store, actor: Actor | None, scope: Scope, target: str, amount: str | None
) -> Changed:
    """An admin sets (or, with a blank amount, removes) a monthly cap."""
    label = f"{scope.value}:{target}" if target else scope.value
    try:
        check_admin(actor, "budget.set")
    except NotAllowed as refusal:
        return refuse(store, actor, "budget.set", label, str(refusal))
    assert actor is not None
    if scope == Scope.CAMPAIGN:
        target = clean(CAMPAIGN, target)
        problem = campaign_problem(target)
        if problem:
            return refuse(store, actor, "budget.set", label[:320], problem)
        label = f"campaign:{target}"
    if scope == Scope.PERSON and store.get_account(target) is None:
        return refuse(store, actor, "budget.set", label, "There is no such person.")
    try:
        cap = parse_cap_usd(amount)
    except BadAmount as bad:
        return refuse(store, actor, "budget.set", label, f"{bad} (you typed “{amount}”)")
    current = {(b.scope, b.target): b.cap_quota for b in store.budgets()}.get((scope, target))
    if current == cap:
        return Changed("", ok=True)  # nothing changed: nothing to log
    old = store.set_budget(scope, target, cap, actor.name, datetime.now(UTC))
    before = "none" if old is None else whole_usd(old)
    after = "none" if cap is None else whole_usd(cap)
    store.audit(
        "budget.set",
        actor_id=actor.account_id,
        actor_name=actor.name,
        outcome=DONE,
        target=label,
        detail=f"{before} -> {after} a month",
        now=datetime.now(UTC),
    )
    words = "removed" if cap is None else f"set to {after} a month"
    return Changed(f"{SCOPE_WORDS[scope]} budget {words}.", ok=True)


SCOPE_WORDS = {
    Scope.TEAM: "The team's",
    Scope.PERSON_DEFAULT: "Each person's",
    Scope.PERSON: "This person's",
    Scope.CAMPAIGN: "The campaign's",
}


def set_team_caps(store: Store, actor: Actor | None, team: str, each: str) -> Changed:
    """The team's cap and the per-person default, from one form: stops at the first
    refusal (the second is then left as it was)."""
    said = []
    for scope, amount in ((Scope.TEAM, team), (Scope.PERSON_DEFAULT, each)):
        change = set_cap(store, actor, scope, "", amount)
        if not change.ok:
            return change
        said.append(str(change))
    return Changed(" ".join(s for s in said if s) or "Nothing changed.", ok=True)


def let_one_through(store: Store, actor: Actor | None, account_id: str) -> Changed:
    """An admin lets this person's next video through the caps (once)."""
    try:
        check_admin(actor, "budget.pass")
    except NotAllowed as refusal:
        return refuse(store, actor, "budget.pass", account_id, str(refusal))
    assert actor is not None
    account = store.get_account(account_id)
    if account is None:
        return refuse(store, actor, "budget.pass", account_id, "There is no such person.")
    store.grant_pass(account_id, actor.name, datetime.now(UTC))
    store.audit(
        "budget.pass",
        actor_id=actor.account_id,
        actor_name=actor.name,
        target=account.name,
        detail="one video may go over the budgets",
        now=datetime.now(UTC),
    )
    return Changed(f"{account.name}'s next video may go over the budgets, once.", ok=True)
