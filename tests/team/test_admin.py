"""The admin's changes through lib/team: roles, caps, passes; bad values refused with
words and logged, nothing changed; the audit log's CSV safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from lib.config import StudioConfig
from lib.domain.access import Actor, Role
from lib.domain.budgets import Scope
from lib.store.tasks import Store
from lib.store.team import AuditFilter, email_login
from lib.team import audit_log, roles
from lib.team.budgets import let_one_through, set_cap

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'studio.sqlite3'}")


def someone(store: Store, email: str, name: str, role: Role) -> Actor:
    account = store.account_for(email_login(email), name, role, NOW)
    return Actor(account.id, account.name, role, email, verified=True)


@pytest.fixture
def team(store):
    return (
        someone(store, "admin@example.com", "Alex Admin", Role.ADMIN),
        someone(store, "member@example.com", '=HYPERLINK("http://x")', Role.MEMBER),
        someone(store, "viewer@example.com", "Vic <b>Viewer</b>", Role.VIEWER),
    )


def config(tmp_path) -> StudioConfig:
    return StudioConfig(data_dir=tmp_path, database_url="", admin_emails=("boss@example.com",))


def test_only_an_admin_changes_roles_and_each_change_is_logged(store, team, tmp_path):
    admin, member, viewer = team
    boss = someone(store, "boss@example.com", "Boss", Role.ADMIN)
    for wrong in (member, viewer, None):
        change = roles.change_role(store, config(tmp_path), wrong, viewer.account_id, "admin")
        assert not change.ok and "Only admins" in change
    assert store.get_account(viewer.account_id).role == "viewer"
    change = roles.change_role(store, config(tmp_path), admin, viewer.account_id, "member")
    assert change.ok and store.get_account(viewer.account_id).role == "member"
    refused = [
        roles.change_role(store, config(tmp_path), admin, viewer.account_id, "owner"),
        roles.change_role(store, config(tmp_path), admin, admin.account_id, "viewer"),
        roles.change_role(store, config(tmp_path), admin, boss.account_id, "viewer"),
    ]
    assert [str(r) for r in refused[:2]] == [
        "A role is admin, member or viewer.",
        "You cannot change your own role.",
    ]
    assert "admin by the studio's settings" in refused[2]
    log = store.audit_events(AuditFilter(actions=["role.change"]))
    assert [(e.outcome, e.actor_name) for e in log].count(("refused", "Alex Admin")) == 3
    assert [e.detail for e in log if e.outcome == "done"] == ["viewer -> member"]


@pytest.mark.parametrize(
    "scope, target, amount, words",
    [
        (Scope.TEAM, "", "-1", "cannot be negative"),
        (Scope.TEAM, "", "lots", "amount in dollars"),
        (Scope.TEAM, "", "99999999", "at most $1,000,000"),
        (Scope.CAMPAIGN, "=1+1", "10", "cannot start with =, +, - or @"),
        (Scope.CAMPAIGN, "<script>x</script>", "10", "nor contain < or >"),
        (Scope.PERSON, "no-such-id", "10", "no such person"),
    ],
)
def test_bad_budget_values_are_refused_with_words_and_logged(
    store, team, scope, target, amount, words
):
    admin = team[0]
    change = set_cap(store, admin, scope, target, amount)
    assert not change.ok and words in change
    assert store.budgets() == []
    logged = store.audit_events(AuditFilter(actions=["budget.set"], outcome="refused"))
    assert len(logged) == 1 and logged[0].actor_name == "Alex Admin"


def test_members_cannot_set_budgets_or_let_videos_through(store, team):
    admin, member, viewer = team
    assert not set_cap(store, member, Scope.TEAM, "", "1000").ok
    assert not let_one_through(store, viewer, member.account_id).ok
    assert store.budgets() == [] and store.open_passes(member.account_id) == 0
    assert let_one_through(store, admin, member.account_id).ok
    assert store.open_passes(member.account_id) == 1
    assert set_cap(store, admin, Scope.CAMPAIGN, "Spring", "25").ok
    assert [(b.scope, b.target, b.cap_quota) for b in store.budgets()] == [
        ("campaign", "Spring", 12_500_000)
    ]


def test_the_audit_csv_defuses_formulas_and_keeps_every_entry(store, team):
    admin, member, _ = team
    store.audit(
        "sign_in", actor_id=member.account_id, actor_name=member.name, now=NOW, detail="@SUM(A1:A9)"
    )
    set_cap(store, admin, Scope.TEAM, "", "-3")
    frame = audit_log.audit_frame(store, AuditFilter())
    rows = list(csv.DictReader(io.StringIO(audit_log.audit_csv(frame).decode("utf-8-sig"))))
    assert len(rows) == 2
    signed = next(r for r in rows if r["What"] == "sign_in")
    assert signed["Who"] == '\'=HYPERLINK("http://x")' and signed["Details"] == "'@SUM(A1:A9)"
    refused = next(r for r in rows if r["What"] == "budget.set")
    assert refused["Outcome"] == "refused" and "negative" in refused["Details"]
    only_sign_ins = audit_log.audit_frame(store, AuditFilter(actions=["sign_in"]))
    assert list(only_sign_ins["action"]) == ["sign_in"]


def test_only_an_admin_switches_an_account_off_never_their_own_nor_a_settings_admin(
    store, team, tmp_path
):
    admin, member, viewer = team
    boss = someone(store, "boss@example.com", "Boss", Role.ADMIN)
    for wrong in (member, viewer, None):
        change = roles.switch_account(store, config(tmp_path), wrong, viewer.account_id, False)
        assert not change.ok and "Only admins" in change
    refused = [
        roles.switch_account(store, config(tmp_path), admin, admin.account_id, False),
        roles.switch_account(store, config(tmp_path), admin, boss.account_id, False),
        roles.switch_account(store, config(tmp_path), admin, "no-such-id", False),
    ]
    assert [r.ok for r in refused] == [False, False, False]
    assert str(refused[0]) == "You cannot switch off your own account."
    assert "admin by the studio's settings" in refused[1]
    assert {a.status for a in store.accounts()} == {"active"}
    change = roles.switch_account(store, config(tmp_path), admin, viewer.account_id, False)
    assert change.ok and store.get_account(viewer.account_id).status == "disabled"
    log = store.audit_events(AuditFilter(actions=["account.disable"]))
    assert sorted(e.outcome for e in log) == ["done"] + ["refused"] * 6
