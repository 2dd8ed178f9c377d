"""The studio's running parts in one place: settings, store, Wave client, tracker.

The server builds one `Studio` at start-up (app.py's lifespan) and the pages reach it
with `current()`. Nothing here belongs to a browser tab: every tab shares this one.
"""

from __future__ import annotations

import ipaddress
import threading
from urllib.parse import urlsplit

from lib.config import StudioConfig
from lib.domain import urls
from lib.domain.links import LinkPolicy
from lib.engine.archive import MediaUrlPolicy
from lib.engine.offer import ModelOffer
from lib.engine.tracker import Tracker, TrackerSettings
from lib.outside.fetch import Resolver, system_resolver
from lib.outside.pictures import ImageLimits
from lib.storage import LIBRARY, Storage, open_storage
from lib.store.schema import Asset
from lib.store.tasks import Store
from lib.wave import WaveClient


def media_policy(config: StudioConfig) -> MediaUrlPolicy:
    """Where finished videos may be downloaded from (see MediaUrlPolicy)."""
    parts = urlsplit(config.wave_base_url)
    if config.uses_embedded:
        return MediaUrlPolicy(hosts=(), local_origins=(f"{parts.scheme}://{parts.netloc}",))
    host = (parts.hostname or "").lower()
    http = config.http_media_hosts
    if _is_ip_address(host):  # "*.0.0.1" from 127.0.0.1 would allow https://10.0.0.1/
        return MediaUrlPolicy(hosts=(host, *config.media_hosts), http_hosts=http)
    domain = host.split(".", 1)[1] if host.count(".") >= 2 else host
    return MediaUrlPolicy(hosts=(host, domain, f"*.{domain}", *config.media_hosts), http_hosts=http)


def embedded_local_prefixes(config: StudioConfig) -> tuple[str, ...]:
    """The only links on this machine the embedded API may fetch in demo mode: the
    studio's own pictures, its callback route and the videos it sends to restyle (with
    a bucket on this machine, that bucket's videos: issue 18). Anything else must be
    public."""
    own = urls.own_prefixes(config.public_url)
    endpoint = config.s3_public_endpoint_url or config.s3_endpoint_url
    if config.storage != "s3" or not endpoint:
        return own
    # Signed links are path-style (lib/storage/s3.py): <endpoint>/<bucket>/<key>.
    return (*own, f"{endpoint.rstrip('/')}/{config.s3_bucket}/{config.s3_prefix}{LIBRARY}/")


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Studio:
    def __init__(
        self,
        config: StudioConfig,
        tracker_settings: TrackerSettings | None = None,
        client: WaveClient | None = None,
    ):
        self.config = config
        # Pasted picture links: public addresses only, 15 s and 20 MB (an upload's limit).
        self.link_policy = LinkPolicy(max_bytes=ImageLimits().max_bytes)
        self.link_resolver: Resolver = system_resolver  # tests answer names themselves
        self.store = Store.open(config.database_url)
        self.storage: Storage = open_storage(config)
        self.client = client or WaveClient(config.wave_base_url, config.api_key())
        settings = tracker_settings or TrackerSettings(
            use_callbacks=config.wants_callbacks(),
            callback_url=self._callback_url_or_blank,
            lease_seconds=config.lease_seconds,
        )
        self.tracker = Tracker(
            self.store, self.client, self.storage, media_policy(config), settings
        )
        # Which models the service offers (GET /v1/models): asked at start, then in the
        # background; pages only read it.
        self.offer = ModelOffer(self.client.models)

    def callback_url(self) -> str | None:
        """Where the service reports finished tasks; None when it cannot reach us."""
        if not self.tracker.settings.use_callbacks or not self.config.public_url:
            return None
        return urls.callback_url(self.config.public_url, self.config.callback_secret)

    def asset_url(self, asset: Asset) -> str:
        return urls.asset_url(self.config.public_url, asset.file_name)

    def _callback_url_or_blank(self) -> str:
        return self.callback_url() or ""

    def problems(self) -> list[str]:
        """What keeps this server from working (for /api/ready); empty when ready."""
        found = []
        if self.tracker.stopping:
            found.append("this server is stopping; its work has gone to the others")
        for problem in (self.store.problem(), self.storage.problem()):
            if problem:
                found.append(problem)
        return found

    def start(self) -> None:
        self.tracker.start()
        self.offer.start()

    def stop(self) -> None:
        self.offer.stop()
        self.tracker.stop()
        self.client.close()


_current: Studio | None = None
_lock = threading.Lock()


def set_current(studio: Studio | None) -> None:
    global _current
    with _lock:
        _current = studio


def current() -> Studio:
    with _lock:
        if _current is None:
            raise RuntimeError("the studio has not started (run it with `streamlit run app.py`)")
        return _current
