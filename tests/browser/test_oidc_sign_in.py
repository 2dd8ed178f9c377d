"""Sign-in through a real OpenID Connect provider, as a person does it: Streamlit's own
st.login/st.user/st.logout against tests/oidc_provider (oidc-provider from npm) on
loopback, in Chromium. The groundwork of issue 16, proven on the spike page in
tests/oidc_spike: served by st.App (the way the studio runs) and by `streamlit run`."""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from itsdangerous import URLSafeTimedSerializer
from playwright.sync_api import BrowserContext, Page, expect

from lib.embedded_wave.background import free_port
from tests.browser.conftest import ROOT, StudioProcess
from tests.oidc import RunningProvider, confirm_sign_out, oidc_provider, sign_in

pytestmark = pytest.mark.browser

SPIKE = ROOT / "tests" / "oidc_spike"
SCRIPTS = {"st.App": "app.py", "streamlit run": "page.py"}
PROVIDER_NAME = "testidp"  # st.login("testidp") in the spike page
THIRTY_DAYS = 30 * 24 * 3600
WAIT = 30_000  # ms: each step follows a redirect or a reload (2 busy cores)


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {way: free_port() for way in SCRIPTS}


@pytest.fixture(scope="module")
def provider(ports, tmp_path_factory) -> Iterator[RunningProvider]:
    uris = [f"http://127.0.0.1:{port}/oauth2callback" for port in ports.values()]
    with oidc_provider(uris, tmp_path_factory.mktemp("oidc")) as running:
        yield running


@pytest.fixture
def context(browser) -> Iterator[BrowserContext]:
    """A fresh browser (cookie jar) for one person."""
    context = browser.new_context()
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def start_spike(ports, provider, tmp_path) -> Iterator[Callable[[str, str], StudioProcess]]:
    """Factory: start_spike(way, cookie_secret) -> the spike page served that way, in its
    own folder with the studio's Streamlit config and an [auth] section that asks for the
    provider's `groups` scope too; stopped after the test."""
    servers: list[StudioProcess] = []

    def start(way: str, cookie_secret: str) -> StudioProcess:
        folder = tmp_path / "spike"
        shutil.copytree(SPIKE, folder, ignore=shutil.ignore_patterns("__pycache__"))
        (folder / ".streamlit").mkdir()
        shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
        redirect_uri = f"http://127.0.0.1:{ports[way]}/oauth2callback"
        scope = "openid email profile groups"
        (folder / ".streamlit" / "secrets.toml").write_text(
            provider.auth_secrets(redirect_uri, PROVIDER_NAME, cookie_secret, scope)
        )
        server = StudioProcess(
            folder / "data",
            port=ports[way],
            script=SCRIPTS[way],
            cwd=folder,
            ready_path="/_stcore/health",
        )
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


def shown_claims(page: Page) -> dict:
    return json.loads(page.get_by_test_id("stCode").inner_text())


def test_st_app_signs_in_and_out_through_the_provider(provider, start_spike, context):
    cookie_secret = secrets.token_hex(32)
    server = start_spike("st.App", cookie_secret)
    admin = provider.accounts["admin@example.com"]
    page = context.new_page()
    page.goto(server.url)
    expect(page.get_by_text("Signed out")).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="Sign in").click()

    # The provider's own login page refuses a wrong password, then lets the admin in.
    sign_in(page, provider, replace(admin, password="not-the-password"))
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.", timeout=WAIT)
    sign_in(page, provider, admin)

    # Back in the app: st.user holds the ID token's claims, groups as a list.
    expect(page.get_by_text(f"Signed in as {admin.email}")).to_be_visible(timeout=WAIT)
    assert page.url.rstrip("/") == server.url
    claims = shown_claims(page)
    assert claims["is_logged_in"] is True
    assert claims["sub"] == admin.sub  # the provider's stable id, not the e-mail
    assert claims["name"] == admin.name
    assert claims["email_verified"] is True
    assert claims["groups"] == admin.groups
    assert (claims["iss"], claims["aud"]) == (provider.issuer, provider.client_id)
    assert claims["provider"] == PROVIDER_NAME
    assert claims["tokens"] == {}  # no token reaches the page unless exposed

    # The session is one signed, HttpOnly cookie kept 30 days, which the studio's
    # own routes can read too.
    identity = next(c for c in context.cookies(server.url) if c["name"] == "_streamlit_user")
    assert identity["httpOnly"] and identity["sameSite"] == "Lax"
    assert abs(identity["expires"] - time.time() - THIRTY_DAYS) < 3600
    whoami = page.request.get(f"{server.url}/api/whoami").json()
    assert whoami == {"email": admin.email, "sub": admin.sub}

    # The cookie is the session: whoever holds cookie_secret can mint any identity,
    # and a cookie forged without it is refused (signed out).
    def forge(secret: str) -> dict:
        payload = json.dumps({**claims, "origin": server.url, "email": "viewer@example.com"})
        signer = URLSafeTimedSerializer(secret, salt="_streamlit_user")
        return {**identity, "value": signer.dumps(payload)}

    context.add_cookies([forge(cookie_secret)])
    page.reload()
    expect(page.get_by_text("Signed in as viewer@example.com")).to_be_visible(timeout=WAIT)
    context.add_cookies([forge("a-guessed-secret")])
    page.reload()
    expect(page.get_by_text("Signed out")).to_be_visible(timeout=WAIT)
    assert page.request.get(f"{server.url}/api/whoami").json()["email"] is None
    context.add_cookies([identity])
    page.reload()
    expect(page.get_by_text(f"Signed in as {admin.email}")).to_be_visible(timeout=WAIT)

    # Sign out: Streamlit drops its cookies and sends the browser to the provider's
    # end_session endpoint, which ends the provider's session and returns to the app.
    assert any(c["name"].startswith("_session") for c in context.cookies(provider.issuer))
    page.get_by_role("button", name="Sign out").click()
    confirm_sign_out(page, provider)
    expect(page.get_by_text("Signed out")).to_be_visible(timeout=WAIT)
    assert page.url.rstrip("/") == server.url
    names = {c["name"] for c in context.cookies([server.url, provider.issuer])}
    assert not {"_streamlit_user", "_streamlit_user_tokens"} & names
    assert not any(name.startswith("_session") for name in names)


def test_streamlit_run_signs_in_and_out_too(provider, start_spike, context):
    server = start_spike("streamlit run", secrets.token_hex(32))
    member = provider.accounts["member@example.com"]
    page = context.new_page()
    page.goto(server.url)
    page.get_by_role("button", name="Sign in").click()
    sign_in(page, provider, member)
    expect(page.get_by_text(f"Signed in as {member.email}")).to_be_visible(timeout=WAIT)
    assert shown_claims(page)["groups"] == member.groups
    page.get_by_role("button", name="Sign out").click()
    confirm_sign_out(page, provider)
    expect(page.get_by_text("Signed out")).to_be_visible(timeout=WAIT)
