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

REAL_SERVICE_URL = "https://www.qingbo.dev/v1"


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
        trusted_user_header=get("STUDIO_TRUSTED_USER_HEADER"),
        embedded_time_scale=float(get("STUDIO_EMBEDDED_TIME_SCALE", "1.0")),
        embedded_balance_usd=Decimal(get("STUDIO_EMBEDDED_BALANCE_USD", "10")),
        embedded_admin=_switch(get("STUDIO_EMBEDDED_ADMIN") or "off"),
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
        http_media_hosts=_names(get("STUDIO_HTTP_MEDIA_HOSTS")),
    )


def _names(value: str | None) -> tuple[str, ...]:
    """A comma-separated list of host names, lower case."""
    return tuple(h.strip().lower() for h in (value or "").split(",") if h.strip())
