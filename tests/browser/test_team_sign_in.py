"""The studio itself (app.py, st.App) in OIDC mode, signed in through the real provider
(tests/oidc_provider) in Chromium as a person does it: the login page, the redirect, the
session, the roles the provider's groups give, and sign-out. Lean: one provider and one
studio for the module, one browser context per person."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from lib.domain import urls
from lib.embedded_wave.background import free_port
from lib.store.tasks import Store
from lib.store.team import AuditFilter
from tests.browser.conftest import ROOT, StudioProcess
from tests.oidc import RunningProvider, confirm_sign_out, oidc_provider, sign_in

pytestmark = pytest.mark.browser

WAIT = 30_000  # ms: each step follows a redirect or a reload (2 busy cores)
PROVIDER_NAME = "testidp"
# What the studio's folder needs; linked, so the code under test is this checkout's.
LINKED = ("app.py", "studio.py", "views", "lib")


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def provider(port, tmp_path_factory) -> Iterator[RunningProvider]:
    uri = f"http://127.0.0.1:{port}/oauth2callback"
    with oidc_provider([uri], tmp_path_factory.mktemp("oidc")) as running:
        yield running


@pytest.fixture(scope="module")
def studio(port, provider, tmp_path_factory) -> Iterator[StudioProcess]:
    """The studio in a folder of its own whose secrets.toml has the provider's [auth]."""
    folder: Path = tmp_path_factory.mktemp("team-studio")
    for name in LINKED:
        (folder / name).symlink_to(ROOT / name)
    (folder / ".streamlit").mkdir()
    (folder / ".streamlit" / "config.toml").write_text(
        (ROOT / ".streamlit" / "config.toml").read_text()
    )
    redirect = f"http://127.0.0.1:{port}/oauth2callback"
    scope = "openid email profile groups"
    (folder / ".streamlit" / "secrets.toml").write_text(
        provider.auth_secrets(redirect, PROVIDER_NAME, secrets.token_hex(32), scope)
    )
    server = StudioProcess(
        folder / "data",
        port=port,
        cwd=folder,
        env={
            "STUDIO_SIGN_IN": "oidc",
            "STUDIO_OIDC_PROVIDER": PROVIDER_NAME,
            "STUDIO_ADMIN_GROUPS": "studio-admins",
            "STUDIO_VIEWER_GROUPS": "studio-viewers",
            "STUDIO_SIGN_IN_ALLOWED": "example.com",
        },
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def context(browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    context.set_default_timeout(WAIT)
    yield context
    context.close()


def signed_in(page: Page, studio: StudioProcess, provider: RunningProvider, email: str) -> None:
    page.goto(studio.url)
    page.get_by_role("button", name="Sign in").click()
    sign_in(page, provider, provider.accounts[email])
    name = provider.accounts[email].name
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible(timeout=WAIT)


def test_an_admin_signs_in_sees_the_admin_page_and_signs_out(studio, provider, context):
    page = context.new_page()
    signed_in(page, studio, provider, "admin@example.com")
    expect(page.get_by_text("· Admin")).to_be_visible(timeout=WAIT)
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("tab", name="Audit log")).to_be_visible(timeout=WAIT)
    page.get_by_role("tab", name="Audit log").click()
    expect(page.get_by_text("Download CSV")).to_be_visible(timeout=WAIT)
    assert "who" not in page.url and "admin@" not in page.url  # identity never in a link

    page.get_by_role("button", name="Sign out").click()
    confirm_sign_out(page, provider)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)


def test_a_viewer_cannot_generate_and_a_member_can(studio, provider, browser):
    for email, enabled in (("viewer@example.com", False), ("member@example.com", True)):
        context = browser.new_context()
        context.set_default_timeout(WAIT)
        try:
            page = context.new_page()
            signed_in(page, studio, provider, email)
            generate = page.get_by_role("button", name="Generate")
            expect(generate).to_be_visible(timeout=WAIT)
            if enabled:
                expect(generate).to_be_enabled()
            else:
                expect(generate).to_be_disabled()
            expect(page.get_by_role("link", name="Admin")).to_have_count(0)
        finally:
            context.close()


def test_an_address_outside_the_allow_list_is_refused(studio, provider, context):
    page = context.new_page()
    page.goto(studio.url)
    page.get_by_role("button", name="Sign in").click()
    sign_in(page, provider, provider.accounts["outsider@elsewhere.example"])
    expect(page.get_by_text("may not use this studio")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Generate")).to_have_count(0)


def test_a_tampered_sign_in_cookie_signs_nobody_in_and_is_logged(studio, provider, context):
    page = context.new_page()
    signed_in(page, studio, provider, "member@example.com")
    cookie = next(c for c in context.cookies(studio.url) if c["name"] == "_streamlit_user")
    payload, _, signature = cookie["value"].rpartition(".")
    forged = {**cookie, "value": f"{payload}.{'A' * len(signature)}"}
    context.add_cookies([forged])
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
    video = page.request.get(f"{studio.url}{urls.HISTORY_CHANGES}?ids=&wait=0")
    assert video.status == 401
    store = Store.open(f"sqlite:///{studio.data_dir / 'studio.sqlite3'}")
    logged = store.audit_events(AuditFilter(actions=["sign_in.tampered_cookie"]))
    assert len(logged) >= 2  # the page's and the route's
    store.engine.dispose()
