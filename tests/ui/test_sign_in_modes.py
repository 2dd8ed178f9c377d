"""The sign-in modes under AppTest (`at.user` is what st.user reads): one mode at a time,
never a fallback; the operator's page when a real key has no sign-in; roles on the
pages; the admin page refused to others; sign-out that a copied cookie cannot undo."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from lib.config import load_config
from lib.domain.access import NotAllowed, Role, SignIn
from lib.domain.budgets import Scope
from lib.engine.runtime import set_current
from lib.engine.submissions import submit_video
from lib.store.team import AuditFilter, email_login
from tests.conftest import SEED_BODY
from tests.factories import add_task
from tests.studio_harness import STUDIO, running_studio

OIDC = {
    "sign_in": SignIn.OIDC,
    "admin_emails": ("admin@example.com",),
    "admin_groups": ("studio-admins",),
    "viewer_groups": ("studio-viewers",),
    "sign_in_allowed": ("example.com",),
}
ISSUED = int(time.time()) - 60


def claims(email: str, name: str, groups: list[str] | None = None, **more) -> dict:
    return {
        "is_logged_in": True,
        "email": email,
        "email_verified": True,
        "name": name,
        "groups": groups or [],
        "iat": ISSUED,
        **more,
    }


ADMIN = claims("admin@example.com", "Alex Admin", ["studio-admins"])
MEMBER = claims("member@example.com", "Mia Member", ["marketing"])
VIEWER = claims("viewer@example.com", "Vic Viewer", ["studio-viewers"])


@pytest.fixture
def start(tmp_path) -> Iterator:
    """start(**config changes) -> the running studio the pages use."""
    stack = []

    def begin(**changes):
        context = running_studio(tmp_path / f"studio{len(stack)}", config_changes=changes)
        running = context.__enter__()
        stack.append(context)
        set_current(running.studio)
        return running

    yield begin
    set_current(None)
    for context in reversed(stack):
        context.__exit__(None, None, None)


def page(user: dict | None = None, path: str | None = None) -> AppTest:
    at = AppTest.from_file(STUDIO, default_timeout=30)
    if user is not None:
        at.user = user
    if path:
        at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


def words(at: AppTest) -> str:
    parts = (
        [m.value for m in at.markdown]
        + [e.value for e in at.error]
        + [w.value for w in at.warning]
        + [t.value for t in at.title]
        + [c.value for c in at.caption]
    )
    return "\n".join(str(p) for p in parts)


def sidebar(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.sidebar.markdown) + "\n".join(
        str(c.value) for c in at.sidebar.caption
    )


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def events(studio, action: str, outcome: str | None = None) -> list:
    return studio.store.audit_events(AuditFilter(actions=[action], outcome=outcome))


def test_a_real_key_without_sign_in_shows_the_operator_page_and_nobody_can_spend(start):
    config = load_config({"WAVE_API_KEY": "real-key", "STUDIO_DATA_DIR": "/tmp/x"}, False)
    assert config.sign_in == SignIn.NONE
    running = start(wave_api_key="real-key", sign_in=SignIn.NONE)
    at = page()
    assert "Sign-in is not set up yet" in words(at)
    assert "Nobody can make videos until" in words(at)
    assert not [b for b in at.button if b.label.startswith("Generate")]
    # Nor through the lib, whatever name a caller gives.
    with pytest.raises(NotAllowed, match="set up how people sign in"):
        submit_video(running.studio, SEED_BODY, "Ana", "", "any-key")
    assert running.studio.store.tasks() == []


def test_oidc_signed_out_sees_only_the_sign_in_page(start):
    running = start(**OIDC)
    at = page({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not [b for b in at.button if b.label.startswith("Generate")]
    assert running.studio.store.accounts() == []


def test_oidc_member_signs_in_once_and_makes_videos_as_themself(start):
    running = start(**OIDC)
    at = page(MEMBER)
    assert "Signed in as **Mia Member** · Member" in sidebar(at)
    assert not [t for t in at.sidebar.text_input if t.key == "who"]  # no name to type
    at.run()  # another run, same session: one sign-in in the log
    page(MEMBER)  # another tab
    signed = events(running.studio, "sign_in")
    assert [(e.actor_name, e.outcome) for e in signed] == [("Mia Member", "done")]
    account = running.studio.store.accounts()[0]
    assert (account.login, account.role) == (email_login("member@example.com"), "member")
    assert not [p for p in at.main.button if p.label == "Admin"]


def test_oidc_refuses_an_address_outside_the_allow_list_and_unverified_ones(start):
    running = start(**OIDC)
    at = page(claims("outsider@elsewhere.example", "Otto"))
    assert "outsider@elsewhere.example may not use this studio" in words(at)
    at = page(claims("member@example.com", "Mia", email_verified=False))
    assert "not verified" in words(at)
    refused = events(running.studio, "sign_in.refused", "refused")
    assert len(refused) == 2 and running.studio.store.accounts() == []


def test_a_header_naming_someone_is_ignored_in_oidc_mode_and_logged(start, monkeypatch):
    running = start(**OIDC)
    forged = {"X-Forwarded-Email": "admin@example.com", "Remote-User": "admin"}
    monkeypatch.setattr("lib.ui.identity.request_headers", lambda: forged)
    at = page({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]  # nobody is signed in
    logged = events(running.studio, "sign_in.forged_header", "refused")
    assert len(logged) == 1 and "X-Forwarded-Email" in logged[0].detail


def test_the_settings_never_combine_two_sign_in_modes():
    both = {"STUDIO_SIGN_IN": "oidc", "STUDIO_TRUSTED_USER_HEADER": "X-Forwarded-Email"}
    config = load_config({**both, "STUDIO_DATA_DIR": "/tmp/x"}, use_secrets=False)
    assert config.sign_in == SignIn.NONE and config.trusted_user_header is None
    assert "remove the header setting" in config.sign_in_problem
    odd = load_config({"STUDIO_SIGN_IN": "magic", "STUDIO_DATA_DIR": "/tmp/x"}, False)
    assert odd.sign_in == SignIn.NONE and "must be oidc, header or open" in odd.sign_in_problem
    demo = load_config({"STUDIO_DATA_DIR": "/tmp/x"}, False)
    assert (demo.sign_in, demo.open_role) == (SignIn.OPEN, Role.ADMIN)
    opened = load_config(
        {"WAVE_API_KEY": "k", "STUDIO_SIGN_IN": "open", "STUDIO_DATA_DIR": "/tmp/x"}, False
    )
    assert (opened.sign_in, opened.open_role) == (SignIn.OPEN, Role.MEMBER)


def test_header_mode_needs_the_proxys_shared_secret(start, monkeypatch):
    running = start(
        sign_in=SignIn.HEADER,
        trusted_user_header="X-Forwarded-Email",
        proxy_secret_header="X-Proxy-Secret",
        proxy_secret="s3cret",
        admin_emails=("admin@example.com",),
    )
    sent = {"X-Forwarded-Email": "admin@example.com"}
    monkeypatch.setattr("lib.ui.identity.request_headers", lambda: sent)
    at = page()
    assert "only be opened through the company sign-in" in words(at)
    assert len(events(running.studio, "sign_in.forged_header", "refused")) == 1
    sent["X-Proxy-Secret"] = "s3cret"
    at = page()
    assert "Signed in as **admin\\@example\\.com** · Admin" in sidebar(at)


def test_open_mode_says_names_are_not_verified(start):
    start()
    at = page()
    assert "Names are not verified here" in sidebar(at)


def test_a_viewer_sees_the_pages_but_cannot_press_generate(start):
    start(**OIDC)
    at = page(VIEWER)
    assert "· Viewer" in sidebar(at)
    generate = next(b for b in at.button if b.label.startswith("Generate"))
    assert generate.disabled


def test_a_member_opening_the_admin_page_is_refused_and_logged(start):
    running = start(**OIDC)
    at = page(MEMBER, "views/admin.py")
    assert "Only admins can open this page." in words(at)
    assert not at.tabs
    refused = events(running.studio, "admin.open", "refused")
    assert [e.actor_name for e in refused] == ["Mia Member"]


def test_an_admin_sets_budgets_and_create_shows_what_is_left(start):
    running = start(**OIDC)
    store = running.studio.store
    at = page(ADMIN, "views/admin.py")
    assert [t.label for t in at.tabs] == ["People", "Budgets", "Audit log"]
    at.text_input(key="admin.team-cap").input("-5")
    button(at, "Save team budgets").click().run()
    assert "cannot be negative" in words(at)
    assert store.budgets() == []
    assert len(events(running.studio, "budget.set", "refused")) == 1
    at.text_input(key="admin.team-cap").input("10")
    button(at, "Save team budgets").click().run()
    assert [s.value for s in at.success] == ["The team\\'s budget set to \\$10 a month\\."]
    assert [(b.scope, b.cap_quota) for b in store.budgets()] == [(Scope.TEAM, 5_000_000)]

    create = page(MEMBER)
    assert "$10 of $10 left this month (team budget)" in words(create)
    store.set_budget(Scope.TEAM, "", 50_000, "Alex Admin", datetime.now(UTC))  # $0.10
    add_task(store, person="Mia", campaign="")  # $0.0446 held: 45 %, no warning yet
    create = page(MEMBER)
    assert "$0.06 of $0.10 left this month (team budget)" in words(create)
    assert not [w for w in create.warning if "left this month" in w.value]
    add_task(store, person="Mia", campaign="")  # 89 %: past the 80 % warning
    create = page(MEMBER)
    assert [w.value for w in create.warning if "left this month" in w.value] == [
        "$0.01 of $0.10 left this month (team budget)"
    ]


def test_signing_out_refuses_the_same_cookie_afterwards(start):
    running = start(**OIDC)
    at = page(MEMBER)
    at.sidebar.button(key="people.sign-out").click().run()
    assert at.user == {"is_logged_in": False} or not at.user.get("is_logged_in")
    assert len(events(running.studio, "sign_out")) == 1
    again = page(MEMBER)  # a copy of the old cookie (issued before the sign-out)
    assert "You signed out" in words(again)
    assert [b.label for b in again.button] == ["Sign in"]
    fresh = page({**MEMBER, "iat": int(time.time()) + 5})  # signed in again, later
    assert "Signed in as **Mia Member**" in sidebar(fresh)
    assert running.studio.store.accounts()[0].role == Role.MEMBER


def test_an_admin_switches_an_account_off_and_its_sign_in_is_refused_and_logged(start):
    running = start(**OIDC)
    store = running.studio.store
    assert "· Member" in sidebar(page(MEMBER))  # Mia has signed in once: an account
    mia = store.account_for(email_login("member@example.com"), "", Role.MEMBER, None)
    at = page(ADMIN, "views/admin.py")
    admin = store.account_for(email_login("admin@example.com"), "", Role.ADMIN, None)
    assert not [b for b in at.button if b.key == f"admin.status-{admin.id}"]  # not one's own
    at.button(key=f"admin.status-{mia.id}").click().run()
    assert [s.value for s in at.success] == ["Mia Member can no longer sign in\\."]
    assert store.get_account(mia.id).status == "disabled"
    refused = page(MEMBER)
    assert "Your account is switched off. Ask an admin." in words(refused)
    assert not [b for b in refused.button if b.label.startswith("Generate")]
    assert [e.detail for e in events(running.studio, "sign_in.refused", "refused")] == [
        "account disabled"
    ]
    assert [e.detail for e in events(running.studio, "account.disable", "done")] == [
        "active -> disabled"
    ]
    at.button(key=f"admin.status-{mia.id}").click().run()  # on again
    assert "· Member" in sidebar(page(MEMBER))
