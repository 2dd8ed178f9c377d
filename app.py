"""Imagine Studio's server: `streamlit run app.py` serves the pages and the studio's own
HTTP routes in one process (st.App), and its lifespan starts the one tracker. The parts
are put together by lib/server/app.py, the same way for the tests.

With no `WAVE_API_KEY`, the embedded Wave API is mounted in-process under /wave, so the
studio works out of the box (demo mode) with nothing else to install or start.
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit import config as streamlit_config

from lib.config import load_config
from lib.server.app import StudioServer, lifespan

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def port() -> int:
    return int(streamlit_config.get_option("server.port"))


server = StudioServer(load_config())
# Written out here: `streamlit run` finds the app by reading this file for `app = st.App(`.
app = st.App("studio.py", routes=server.routes(), lifespan=lifespan(server, port))
