"""A real OpenID Connect provider for the sign-in tests: tests/oidc_provider/provider.js
(the certified `oidc-provider` package from npm) on a free loopback port, with the test
accounts of tests/oidc_provider/accounts.json and one confidential client (the studio)."""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from lib.embedded_wave.background import free_port

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
INSTALL_STAMP = PROVIDER_DIR / "node_modules" / ".installed-package-lock"


@dataclass(frozen=True)
class Account:
    sub: str
    email: str
    email_verified: bool
    name: str
    given_name: str
    family_name: str
    groups: list[str]
    password: str


ACCOUNTS = {
    account["email"]: Account(**account)
    for account in json.loads((PROVIDER_DIR / "accounts.json").read_text())
}


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    accounts: dict[str, Account]  # by e-mail
    log_path: Path

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def auth_secrets(self, redirect_uri: str, provider: str, cookie_secret: str, scope: str) -> str:
        """The `[auth]` part of `.streamlit/secrets.toml` that signs an app in through this
        provider, as Streamlit documents it (`st.login(provider)`)."""
        return "\n".join(
            [
                "[auth]",
                f'redirect_uri = "{redirect_uri}"',
                f'cookie_secret = "{cookie_secret}"',
                f"[auth.{provider}]",
                f'client_id = "{self.client_id}"',
                f'client_secret = "{self.client_secret}"',
                f'server_metadata_url = "{self.metadata_url}"',
                f'client_kwargs = {{ scope = "{scope}" }}',
                "",
            ]
        )


def install_provider() -> None:
    """`npm ci` in tests/oidc_provider when node_modules is missing or the lock changed."""
    digest = hashlib.sha256(
        (PROVIDER_DIR / "package.json").read_bytes()
        + (PROVIDER_DIR / "package-lock.json").read_bytes()
    ).hexdigest()
    if INSTALL_STAMP.is_file() and INSTALL_STAMP.read_text() == digest:
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PROVIDER_DIR,
        check=True,
        timeout=600,
    )
    INSTALL_STAMP.write_text(digest)


@contextmanager
def oidc_provider(
    redirect_uris: list[str], log_dir: Path, client_id: str = "imagine-studio"
) -> Iterator[RunningProvider]:
    """The provider, listening once its discovery document answers; stopped afterwards.
    `redirect_uris`: each app's `http://127.0.0.1:<port>/oauth2callback`."""
    install_provider()
    port = free_port()
    running = RunningProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id=client_id,
        client_secret=secrets.token_urlsafe(24),
        redirect_uris=redirect_uris,
        accounts=ACCOUNTS,
        log_path=log_dir / f"oidc-provider-{port}.log",
    )
    command = ["node", "provider.js", "--port", str(port), "--client-id", client_id]
    command += ["--client-secret", running.client_secret]
    for uri in redirect_uris:
        command += ["--redirect-uri", uri]
    with running.log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=PROVIDER_DIR, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not _discovery_answers(running):
            assert process.poll() is None, running.log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "the OpenID Connect provider did not start"
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _discovery_answers(running: RunningProvider) -> bool:
    try:
        reply = requests.get(running.metadata_url, timeout=2)
    except (requests.ConnectionError, requests.Timeout):  # still starting (busy machine)
        return False
    return reply.status_code == 200 and reply.json().get("issuer") == running.issuer


def sign_in(page: Page, provider: RunningProvider, account: Account) -> None:
    """On the provider's login page (the app has sent the browser there), sign in."""
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=30_000)
    assert page.url.startswith(f"{provider.issuer}/interaction/"), page.url
    page.get_by_label("E-mail").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()


def confirm_sign_out(page: Page, provider: RunningProvider) -> None:
    """On the provider's sign-out page (st.logout() has sent the browser there), confirm."""
    expect(page.get_by_role("heading", name="Sign out")).to_be_visible(timeout=30_000)
    assert page.url.startswith(f"{provider.issuer}/session/end"), page.url
    page.get_by_role("button", name="Yes, sign me out").click()
