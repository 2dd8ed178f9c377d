"""Imagine Studio's server: `streamlit run app.py` serves the studio and its HTTP routes.

With no `WAVE_API_KEY`, the embedded Wave API is mounted in-process under /wave, so the
studio works out of the box (demo mode) with nothing else to install or start.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from lib.embedded_wave import EmbeddedSettings, EmbeddedWave

DATA_DIR = Path(os.environ.get("STUDIO_DATA_DIR", "data"))
USE_REAL_SERVICE = bool(os.environ.get("WAVE_API_KEY"))

embedded = None if USE_REAL_SERVICE else EmbeddedWave(EmbeddedSettings(DATA_DIR / "embedded-wave"))


async def health(_request: Request) -> JSONResponse:
    backend = "wave" if USE_REAL_SERVICE else "embedded"
    return JSONResponse({"status": "ok", "backend": backend})


@asynccontextmanager
async def lifespan(_app):
    if embedded:
        embedded.start()
    try:
        yield
    finally:
        if embedded:
            embedded.stop()


routes = [Route("/api/health", health)]
if embedded:
    routes.append(Mount("/wave", app=embedded.app))

app = st.App("studio.py", routes=routes, lifespan=lifespan)
