"""The studio's settings, in one object, from the environment or `.streamlit/secrets.toml`.

An environment variable wins over the secrets file. Every setting has a default that
gives a working studio on one machine (demo mode on the embedded Wave API).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lib.domain import urls
from lib.domain.access import Role, SignIn
from lib.domain.budgets import DEFAULT_WARN_PERCENT, parse_warn_percent

# The Wave service's address since its 2026 move (wave-api.md, Transport).
REAL_SERVICE_URL = "https://api.qingbo.ai/v1"


@dataclass(frozen=True)
class StudioConfig:
    data_dir: Path
    database_url: str
    # None: demo mode on the embedded Wave API. Kept out of repr so it never reaches a log.
    wave_api_key: str | None = field(default=None, repr=False)
    wave_base_url: str = REAL_SERVICE_URL
    # How the Wave service reaches us (reference images, callbacks). None: the local server.
    public_url: str | None = None
    callback_secret: str = field(default="", repr=False)
    # Whether to ask the service for callbacks; None decides by whether it can reach us.
    callbacks: bool | None = None
    # Hosts the studio will download provider videos from (besides the API's own host).
    media_hosts: tuple[str, ...] = ()
    # A header set by a trusted single-sign-on proxy that names the person.
    trusted_user_header: str | None = None
    embedded_time_scale: float = 1.0
    embedded_balance_usd: Decimal = Decimal("10")
    # Demo mode only: serve the embedded API's /_embedded/ counters and fault switches
    # (benchmarks read them). Off by default: anyone who can reach the studio could use them.
    embedded_admin: bool = False

    # ----- who is using the studio (issue 16; README "Sign-in, roles and budgets") -----
    sign_in: SignIn = SignIn.OPEN
    # Why sign-in is not usable as configured (shown to everyone; nobody can spend).
    sign_in_problem: str | None = None
    oidc_provider: str | None = None  # the [auth.<name>] to use; None: [auth] itself
    sign_in_allowed: tuple[str, ...] = ()  # e-mail addresses or domains; empty: anyone
    admin_emails: tuple[str, ...] = ()
    admin_groups: tuple[str, ...] = ()  # OIDC group claim values that make an admin
    viewer_groups: tuple[str, ...] = ()
    groups_claim: str = "groups"
    default_role: Role = Role.MEMBER  # a new account's role (oidc, header)
    open_role: Role = Role.ADMIN  # everyone's role in open mode (names are not verified)
    proxy_secret_header: str | None = None
    proxy_secret: str | None = field(default=None, repr=False)
    budget_warn_percent: int = DEFAULT_WARN_PERCENT

    # --- more than one server (issue 15) ---
    # Where videos, posters and pictures are kept: "local" (the data folder) or "s3".
    storage: str = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str | None = None  # None: AWS itself
    s3_public_endpoint_url: str | None = None  # the address signed links carry
    s3_region: str | None = None
    s3_prefix: str = ""  # keys start with it ("studio/"): one bucket, several studios
    s3_access_key_id: str | None = field(default=None, repr=False)  # None: boto3's own chain
    s3_secret_access_key: str | None = field(default=None, repr=False)
    # How long a signed link to a video lasts (seconds): long enough to start and seek.
    signed_link_seconds: int = 900
    # A tracker that dies holds its tasks this long before another server takes them.
    lease_seconds: float = 30.0
    # Hosts whose plain-http video links are allowed (a staging service), by name.
    http_media_hosts: tuple[str, ...] = ()
    # Where the callback secret came from: "settings" (shared by every server) or
    # "data folder" (made by this server: differs per machine).
    callback_secret_source: str = "settings"

    @property
    def shared_database(self) -> bool:
        """A database other servers can reach (anything but a SQLite file)."""
        return not self.database_url.startswith("sqlite")

    @property
    def uses_embedded(self) -> bool:
        return not self.wave_api_key

    @property
    def backend_label(self) -> str:
        return "Demo — embedded Wave API" if self.uses_embedded else "Wave API (xAI Grok Imagine)"

    def announcement(self) -> str:
        """What the terminal says at start: which service makes the videos, and whether
        they cost money."""
        if self.uses_embedded:
            return (
                "Demo mode: practice videos made on this computer, no cost. No WAVE_API_KEY "
                "is set, so the built-in practice service (the embedded Wave API) makes "
                "the videos. Set WAVE_API_KEY to make real videos."
            )
        return (
            f"Making real videos with the Wave API at {self.wave_base_url}: each finished "
            "video is charged to the account of the WAVE_API_KEY."
        )

    @property
    def assets_dir(self) -> Path:
        return self.data_dir / "assets"

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "library"

    @property
    def embedded_dir(self) -> Path:
        return self.data_dir / "embedded-wave"

    def api_key(self) -> str:
        """The key to send: the real one, or a fixed local one for the embedded API."""
        return self.wave_api_key or "embedded-demo-key"

    def with_port(self, port: int) -> StudioConfig:
        """Fill in what depends on the port the server listens on."""
        from dataclasses import replace

        public = self.public_url or f"http://127.0.0.1:{port}"
        base = self.wave_base_url
        if self.uses_embedded:
            base = urls.embedded_wave_url(port)
        return replace(self, public_url=public.rstrip("/"), wave_base_url=base)

    def wants_callbacks(self) -> bool:
        if self.callbacks is not None:
            return self.callbacks
        if self.uses_embedded:
            return True  # in-process: it can always reach us
        host = urlsplit(self.public_url or "").hostname or ""
        return host not in ("", "localhost") and not host.startswith("127.")


def _secrets() -> Mapping[str, Any]:
    try:
        from streamlit.runtime.secrets import secrets_singleton

        if secrets_singleton.load_if_toml_exists():
            return secrets_singleton
    except Exception:  # no Streamlit, or an unreadable file: env vars still work
        pass
    return {}


def _callback_secret(data_dir: Path) -> str:
    """A random path part for the callback URL, made once and kept with the data."""
    path = data_dir / ".callback-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(24)
        path.write_text(value)
        path.chmod(0o600)
        return value


def _switch(value: str) -> bool:
    """An on/off setting: on, yes, true or 1 (any case) mean on."""
    return value.lower() in ("1", "true", "yes", "on")


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _role(value: str | None, default: Role) -> Role:
    try:
        return Role((value or "").strip().lower())
    except ValueError:
        return default


def sign_in_settings(get: Any, has_auth: bool, demo: bool) -> dict[str, Any]:
    """The sign-in mode and its settings. The modes exclude each other: a second one
    configured beside the chosen one is a problem the page states (and nobody can spend),
    never a fallback (a header trusted in OIDC mode would let anyone forge a person)."""
    header = get("STUDIO_TRUSTED_USER_HEADER")
    chosen = (get("STUDIO_SIGN_IN") or "").lower()
    problem = None
    if not chosen:
        chosen = SignIn.HEADER if header else SignIn.OPEN if demo else SignIn.NONE
    if chosen not in {mode.value for mode in SignIn}:
        problem = f"STUDIO_SIGN_IN is “{chosen}”: it must be oidc, header or open."
    elif chosen == SignIn.OIDC and header:
        problem = (
            "STUDIO_SIGN_IN is oidc but STUDIO_TRUSTED_USER_HEADER is also set: "
            "remove the header setting (in OIDC mode a header must never name a person)."
        )
    elif chosen == SignIn.OIDC and not has_auth:
        problem = "STUDIO_SIGN_IN is oidc but .streamlit/secrets.toml has no [auth] section."
    elif chosen == SignIn.HEADER and not header:
        problem = "STUDIO_SIGN_IN is header but STUDIO_TRUSTED_USER_HEADER is not set."
    elif chosen == SignIn.HEADER and bool(get("STUDIO_PROXY_SECRET_HEADER")) != bool(
        get("STUDIO_PROXY_SECRET")
    ):
        problem = "Set both STUDIO_PROXY_SECRET_HEADER and STUDIO_PROXY_SECRET, or neither."
    return {
        "sign_in": SignIn.NONE if problem else SignIn(chosen),
        "sign_in_problem": problem,
        "trusted_user_header": header if chosen == SignIn.HEADER else None,
        "oidc_provider": get("STUDIO_OIDC_PROVIDER"),
        "sign_in_allowed": _names(get("STUDIO_SIGN_IN_ALLOWED")),
        "admin_emails": _names(get("STUDIO_ADMINS")),
        "admin_groups": _names(get("STUDIO_ADMIN_GROUPS")),
        "viewer_groups": _names(get("STUDIO_VIEWER_GROUPS")),
        "groups_claim": get("STUDIO_GROUPS_CLAIM") or "groups",
        "default_role": _role(get("STUDIO_DEFAULT_ROLE"), Role.MEMBER),
        "open_role": _role(get("STUDIO_OPEN_ROLE"), Role.ADMIN if demo else Role.MEMBER),
        "proxy_secret_header": get("STUDIO_PROXY_SECRET_HEADER"),
        "proxy_secret": get("STUDIO_PROXY_SECRET"),
        "budget_warn_percent": parse_warn_percent(get("STUDIO_BUDGET_WARN_PERCENT")),
    }


def load_config(env: Mapping[str, str] | None = None, use_secrets: bool = True) -> StudioConfig:
    env = os.environ if env is None else env
    file_secrets = _secrets() if use_secrets else {}

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(name)
        if value is None and name in file_secrets:
            value = str(file_secrets[name])
        return value.strip() if isinstance(value, str) and value.strip() else default

    data_dir = Path(get("STUDIO_DATA_DIR", "data")).resolve()
    database_url = get("STUDIO_DATABASE_URL") or f"sqlite:///{data_dir / 'studio.sqlite3'}"
    callbacks = get("STUDIO_CALLBACKS")
    has_auth = "auth" in file_secrets
    people = sign_in_settings(get, has_auth, demo=not get("WAVE_API_KEY"))
    secret = get("STUDIO_CALLBACK_SECRET")
    storage = (get("STUDIO_STORAGE") or "local").lower()
    if storage not in ("local", "s3"):
        raise ValueError(f"STUDIO_STORAGE is {storage!r}: it must be local or s3")
    if storage == "s3" and not get("STUDIO_S3_BUCKET"):
        raise ValueError("STUDIO_STORAGE is s3 but STUDIO_S3_BUCKET is not set")
    return StudioConfig(
        data_dir=data_dir,
        database_url=database_url,
        wave_api_key=get("WAVE_API_KEY"),
        wave_base_url=(get("WAVE_BASE_URL") or REAL_SERVICE_URL).rstrip("/"),
        public_url=get("STUDIO_PUBLIC_URL"),
        callback_secret=secret or _callback_secret(data_dir),
        callback_secret_source="settings" if secret else "data folder",
        callbacks=None if callbacks is None else _switch(callbacks),
        media_hosts=tuple(h.strip() for h in (get("STUDIO_MEDIA_HOSTS") or "").split(",") if h),
        embedded_time_scale=float(get("STUDIO_EMBEDDED_TIME_SCALE", "1.0")),
        embedded_balance_usd=Decimal(get("STUDIO_EMBEDDED_BALANCE_USD", "10")),
        embedded_admin=_switch(get("STUDIO_EMBEDDED_ADMIN") or "off"),
        **people,
        storage=storage,
        s3_bucket=get("STUDIO_S3_BUCKET", ""),
        s3_endpoint_url=get("STUDIO_S3_ENDPOINT_URL"),
        s3_public_endpoint_url=get("STUDIO_S3_PUBLIC_ENDPOINT_URL"),
        s3_region=get("STUDIO_S3_REGION"),
        s3_prefix=get("STUDIO_S3_PREFIX", ""),
        s3_access_key_id=get("AWS_ACCESS_KEY_ID"),
        s3_secret_access_key=get("AWS_SECRET_ACCESS_KEY"),
        signed_link_seconds=int(get("STUDIO_SIGNED_LINK_SECONDS", "900")),
        lease_seconds=float(get("STUDIO_LEASE_SECONDS", "30")),
        http_media_hosts=_host_names(get("STUDIO_HTTP_MEDIA_HOSTS")),
    )


def _host_names(value: str | None) -> tuple[str, ...]:
    """A comma-separated list of host names, lower case."""
    return tuple(h.strip().lower() for h in (value or "").split(",") if h.strip())
