"""Imagine Studio's server: `streamlit run app.py` serves the pages and the studio's own
HTTP routes in one process (st.App), and its lifespan starts the one tracker.

With no `WAVE_API_KEY`, the embedded Wave API is mounted in-process under /wave, so the
studio works out of the box (demo mode) with nothing else to install or start.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import streamlit as st
from starlette.routing import Mount
from streamlit import config as streamlit_config
from streamlit.runtime.pages_manager import PagesManager

from lib.config import EMBEDDED_PREFIX, load_config
from lib.embedded_wave import EmbeddedSettings, EmbeddedWave
from lib.engine.runtime import Studio, current, embedded_local_prefixes, set_current
from lib.server.routes import studio_routes
from lib.server.warmup import start_warm_up

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("imagine_studio")

# studio.py's st.navigation decides the pages. Streamlit only learns that when studio.py
# first runs: until then a `pages/` folder means its old folder-of-pages mode, and if the
# first visit after a start is a link to /history (a shared video, a bookmark), that page
# runs alone, without the sidebar, and the whole server stays in that mode. Said at once.
PagesManager.uses_pages_directory = False

config = load_config()
embedded = None
if config.uses_embedded:
    embedded = EmbeddedWave(
        EmbeddedSettings(
            data_dir=config.embedded_dir,
            time_scale=config.embedded_time_scale,
            starting_balance_usd=config.embedded_balance_usd,
            admin=config.embedded_admin,
        )
    )


@asynccontextmanager
async def lifespan(_app):
    studio = Studio(config.with_port(int(streamlit_config.get_option("server.port"))))
    rule = "=" * 72
    log.info("%s\n%s\n%s", rule, studio.config.announcement(), rule)
    if embedded:
        embedded.allow_local(embedded_local_prefixes(studio.config))
        embedded.start()
    studio.start()
    set_current(studio)
    start_warm_up(studio.store)  # the first visit after a restart need not wait for imports
    try:
        yield
    finally:
        set_current(None)
        studio.stop()
        if embedded:
            embedded.stop()


routes = studio_routes(current)
if embedded:
    routes.append(Mount(EMBEDDED_PREFIX, app=embedded.app))

app = st.App("studio.py", routes=routes, lifespan=lifespan)
