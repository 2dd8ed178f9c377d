"""The spike served as the studio is: st.App with its own Starlette routes and a lifespan.
/api/whoami shows that such a route can tell who is signed in from Streamlit's signed
identity cookie (Streamlit internals: see tests/oidc_provider/README.md)."""

import json
from contextlib import asynccontextmanager

import streamlit as st
from starlette.responses import JSONResponse
from starlette.routing import Route
from streamlit.web.server.server_util import get_cookie_secret
from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME


async def whoami(request):
    cookie = request.cookies.get(USER_COOKIE_NAME, "")
    decoded = decode_signed_value(get_cookie_secret(), USER_COOKIE_NAME, cookie.encode("latin-1"))
    user = json.loads(decoded) if decoded else {}
    return JSONResponse({"email": user.get("email"), "sub": user.get("sub")})


@asynccontextmanager
async def lifespan(_app):
    yield


app = st.App("page.py", routes=[Route("/api/whoami", whoami)], lifespan=lifespan)
