"""The one way the studio's server is put together, for app.py and for the tests
(tests/studio_harness.py): the store, tracker and Wave client (`Studio`), the studio's
HTTP routes, and in demo mode the embedded Wave API mounted at /wave.

app.py serves `StudioServer.routes()` beside the pages with st.App and this module's
`lifespan`; the tests serve the same routes with uvicorn and no pages.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.routing import BaseRoute, Mount

from lib.config import StudioConfig
from lib.domain.urls import EMBEDDED_PREFIX
from lib.embedded_wave import EmbeddedSettings, EmbeddedWave
from lib.engine.runtime import Studio, embedded_local_prefixes, set_current
from lib.review.openings import Openings
from lib.server.cluster import CannotStart, check_callback_secret, claim_database, hand_over_on_stop
from lib.server.review_routes import review_routes
from lib.server.routes import studio_routes
from lib.server.warmup import start_warm_up

log = logging.getLogger("imagine_studio")


def embedded_settings(config: StudioConfig) -> EmbeddedSettings:
    """The practice service's settings, as the studio's ask for it."""
    return EmbeddedSettings(
        data_dir=config.embedded_dir,
        time_scale=config.embedded_time_scale,
        starting_balance_usd=config.embedded_balance_usd,
        admin=config.embedded_admin,
    )


class StudioServer:
    """The server's parts, wired in one order: `open` once the port is known (the Studio
    and its addresses), `start` them, `stop` them."""

    def __init__(self, config: StudioConfig, embedded: EmbeddedWave | None = None):
        self.config = config
        if embedded is None and config.uses_embedded:  # demo mode: no API key
            embedded = EmbeddedWave(embedded_settings(config))
        self.embedded = embedded
        self.studio: Studio | None = None
        self.openings: Openings | None = None  # review links' openings not yet written

    def current(self) -> Studio:
        if self.studio is None:
            raise RuntimeError("the studio has not started")
        return self.studio

    def routes(self, get_studio: Callable[[], Studio] | None = None) -> list[BaseRoute]:
        """The studio's routes, and the embedded Wave API under /wave in demo mode."""
        routes: list[BaseRoute] = list(studio_routes(get_studio or self.current))
        getter = get_studio or self.current
        self.openings = Openings(lambda opened: getter().store.count_opens(opened))
        routes += review_routes(getter, self.openings)  # issue 17: guests' review links
        if self.embedded is not None:
            routes.append(Mount(EMBEDDED_PREFIX, app=self.embedded.app))
        return routes

    def open(self, port: int, **studio_options: Any) -> Studio:
        """Build the Studio for the server on `port`; the embedded API may reach its own
        pictures and callback route there."""
        self.studio = Studio(self.config.with_port(port), **studio_options)
        if self.embedded is not None:
            self.embedded.allow_local(embedded_local_prefixes(self.studio.config))
        return self.studio

    def start(self) -> None:
        if self.embedded is not None:
            self.embedded.start()
        self.current().start()

    def stop(self) -> None:
        if self.openings is not None and self.studio is not None:
            self.openings.write_now()
        if self.studio is not None:
            self.studio.stop()
        if self.embedded is not None:
            self.embedded.stop()


def lifespan(server: StudioServer, port: Callable[[], int]) -> Callable[[Any], Any]:
    """The lifespan of `streamlit run app.py`: the Studio on the server's `port` (asked
    when it starts), the one tracker started, the pages' `current()` set, the warm-up."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        studio = server.open(port())
        rule = "=" * 72
        log.info("%s\n%s\n%s", rule, studio.config.announcement(), rule)
        try:
            claim = claim_database(studio)
            check_callback_secret(studio)
        except CannotStart as refused:
            log.error("%s\n%s\n%s", rule, refused, rule)
            studio.store.engine.dispose()
            raise
        server.start()
        hand_over_on_stop(studio)
        set_current(studio)
        start_warm_up(studio.store)  # the first visit after a restart need not wait for imports
        try:
            yield
        finally:
            set_current(None)
            server.stop()
            claim.release()

    return run
