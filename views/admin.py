"""Admin: people and their roles, the monthly budgets, and the audit log. Only admins;
anyone else who opens its address is refused (and that is logged). The rules and the
checks are in lib/team/ and lib/domain/access.py."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from lib.domain.access import ROLE_WORDS, Role
from lib.domain.budgets import Scope, whole_usd
from lib.domain.markdown import escape_markdown
from lib.engine.runtime import current
from lib.store.team import AuditFilter
from lib.team import audit_log, roles
from lib.team import budgets as team_budgets
from lib.ui.identity import current_actor

studio = current()
store = studio.store
actor = current_actor()
refusal = roles.open_admin_page(store, actor)
if refusal:
    st.title("Admin")
    st.error(refusal, icon=":material/lock:")
    st.stop()

NOTICE = "admin.notice"


def said(change: team_budgets.Changed) -> None:
    st.session_state[NOTICE] = (str(change) or "Nothing changed.", change.ok)


st.title("Admin")
notice = st.session_state.pop(NOTICE, None)
if notice:
    (st.success if notice[1] else st.error)(escape_markdown(notice[0]))


def switch_on_or_off(account, where) -> None:
    """A person's account switched off (no sign-in) or on again; not one's own."""
    if account.id == (actor.account_id if actor else None):
        return
    active = account.status == "active"
    if where.button(
        "Switch off" if active else "Switch on",
        key=f"admin.status-{account.id}",
        help="Stop this person signing in" if active else "Let this person sign in again",
        type="tertiary",
    ):
        said(roles.switch_account(store, studio.config, actor, account.id, not active))
        st.rerun()


people_tab, budgets_tab, audit_tab = st.tabs(["People", "Budgets", "Audit log"])
accounts = store.accounts()
names = {account.id: account.name for account in accounts}

with people_tab:
    st.caption(
        "Viewers watch every video but cannot make any; members make, cancel and retry "
        "their own; admins act on anyone's. Admins named in the settings stay admins."
    )
    for account in accounts:
        left, middle, right = st.columns([3, 2, 2], vertical_alignment="center")
        left.markdown(
            f"**{escape_markdown(account.name)}**"
            + (" (switched off)" if account.status != "active" else "")
            + f"  \n{escape_markdown(account.email or '')}"
        )
        fixed = roles.role_from_config(studio.config, account.email)
        role = middle.selectbox(
            "Role",
            list(Role),
            index=list(Role).index(Role(fixed or account.role)),
            format_func=ROLE_WORDS.get,
            key=f"admin.role-{account.id}",
            label_visibility="collapsed",
            disabled=bool(fixed) or account.id == (actor.account_id if actor else None),
        )
        if role != (fixed or account.role) and right.button("Save", key=f"admin.save-{account.id}"):
            said(roles.change_role(store, studio.config, actor, account.id, role))
            st.rerun()
        switch_on_or_off(account, right)


with budgets_tab:
    st.caption(
        "Monthly caps (calendar month, UTC), in dollars; empty: no cap. Spend counts "
        "settled charges and the money held for videos still being made."
    )
    caps = {(b.scope, b.target): b.cap_quota for b in store.budgets()}

    def cap_text(scope: Scope, target: str = "") -> str:
        quota = caps.get((scope, target))
        return "" if quota is None else whole_usd(quota).lstrip("$").replace(",", "")

    with st.form("admin.team-budgets"):
        team = st.text_input(
            "Team, each month ($)", value=cap_text(Scope.TEAM), key="admin.team-cap"
        )
        default = st.text_input(
            "Each person, unless set below ($)",
            value=cap_text(Scope.PERSON_DEFAULT),
            key="admin.default-cap",
        )
        if st.form_submit_button("Save team budgets"):
            said(team_budgets.set_team_caps(store, actor, team, default))
            st.rerun()
    with st.form("admin.person-budget"):
        who = st.selectbox(
            "Person", list(names), format_func=names.get, index=None, key="admin.person"
        )
        amount = st.text_input("Their monthly budget ($)", key="admin.person-cap")
        left, right = st.columns(2)
        if left.form_submit_button("Save person's budget") and who:
            said(team_budgets.set_cap(store, actor, Scope.PERSON, who, amount))
            st.rerun()
        if right.form_submit_button("Let their next video through") and who:
            said(team_budgets.let_one_through(store, actor, who))
            st.rerun()
    with st.form("admin.campaign-budget"):
        campaign = st.selectbox(
            "Campaign",
            [c for c in store.campaigns() if c],
            index=None,
            accept_new_options=True,
            key="admin.campaign",
        )
        amount = st.text_input("Its monthly budget ($)", key="admin.campaign-cap")
        if st.form_submit_button("Save campaign budget"):
            said(team_budgets.set_cap(store, actor, Scope.CAMPAIGN, campaign or "", amount))
            st.rerun()
    rows = [
        {
            "Budget": {
                Scope.TEAM: "Team",
                Scope.PERSON_DEFAULT: "Each person",
                Scope.PERSON: f"Person: {names.get(b.target, '?')}",
                Scope.CAMPAIGN: f"Campaign: {b.target}",
            }[Scope(b.scope)],
            "Per month": whole_usd(b.cap_quota),
            "Set by": b.set_by,
        }
        for b in store.budgets()
    ]
    if rows:
        st.dataframe(rows, hide_index=True)

with audit_tab:
    left, middle, right = st.columns(3)
    chosen_actions = left.multiselect(
        "What", list(audit_log.ACTIONS), format_func=audit_log.ACTIONS.get, placeholder="All"
    )
    person = middle.selectbox("Who", sorted(set(names.values())), index=None, placeholder="Anyone")
    today = datetime.now(UTC).date()
    period = right.date_input("When", value=(today - timedelta(days=30), today))
    dates = list(period) if isinstance(period, tuple) else [period]
    start, end = (dates[0], dates[-1]) if dates else (None, None)
    chosen = AuditFilter(
        since=datetime.combine(start, time.min, UTC) if start else None,
        until=datetime.combine(end, time.min, UTC) + timedelta(days=1) if end else None,
        actions=chosen_actions,
        actor_name=person,
    )
    frame = audit_log.audit_frame(store, chosen)
    st.dataframe(frame.rename(columns=audit_log.COLUMNS), hide_index=True)
    st.download_button(
        "Download CSV",
        audit_log.audit_csv(frame),
        file_name=f"imagine-studio-audit-{start}-to-{end}.csv",
        mime="text/csv",
        on_click="ignore",
    )
