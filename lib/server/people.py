"""Who is asking, for the studio's own HTTP routes (videos, pictures of the library, the
History page's change feed): the same one sign-in mode as the pages. In OIDC mode the
route reads Streamlit's signed sign-in cookie itself (Streamlit internals, pinned with
Streamlit and tested: tests/server/test_route_sign_in.py); in header mode the proxy's
header and shared secret. A refused forged cookie or header is logged."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

from sqlalchemy import select
from starlette.requests import Request

from lib.config import StudioConfig
from lib.domain.access import NAME_COOKIE, SignIn, allowed_email, issued_at, session_revoked
from lib.domain.text_fields import PERSON, fit
from lib.store.schema import Account
from lib.store.tasks import Store
from lib.store.team import REFUSED, email_login

USER_COOKIE = "_streamlit_user"


def _cookie_claims(request: Request) -> dict | None:
    """The claims of a valid sign-in cookie; {} when there is none; None when forged."""
    value = request.cookies.get(USER_COOKIE)
    if not value:
        return {}
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    decoded = decode_signed_value(get_cookie_secret(), USER_COOKIE, value.encode("latin-1"))
    if decoded is None:
        return None
    try:
        claims = json.loads(decoded)
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def _refused(store: Store, action: str, detail: str) -> None:
    store.audit(
        action, actor_id=None, actor_name="", outcome=REFUSED, detail=detail, now=datetime.now(UTC)
    )


@dataclass(frozen=True)
class Reader:
    """Who a request comes from, for the audit log."""

    name: str  # the account's name, the proxy's header, or the name typed (open mode)
    account_id: str | None = None
    verified: bool = True  # False: a name typed in open mode, which anyone can type


def may_read(request: Request, config: StudioConfig, store: Store) -> bool:
    """Whether this request comes from someone signed in (anyone in open mode)."""
    return reader(request, config, store) is not None


def reader(request: Request, config: StudioConfig, store: Store) -> Reader | None:
    """Who this request comes from, when they may read (anyone in open mode: then the
    name this browser typed, if any); None when they may not."""
    if config.sign_in == SignIn.OPEN:
        return Reader(fit(PERSON, unquote(request.cookies.get(NAME_COOKIE) or "")), verified=False)
    if config.sign_in == SignIn.HEADER:
        if config.proxy_secret_header:
            given = (request.headers.get(config.proxy_secret_header) or "").encode(
                "utf-8", "surrogatepass"
            )
            if not hmac.compare_digest(given, (config.proxy_secret or "").encode()):
                _refused(store, "sign_in.forged_header", f"request to {request.url.path}")
                return None
        value = fit(PERSON, request.headers.get(config.trusted_user_header or ""))
        if not value:
            return None
        login = email_login(value) if "@" in value else f"header:{value}"
        account = _account(store, login)
        return Reader(value, account.id if account else None)
    if config.sign_in == SignIn.OIDC:
        claims = _cookie_claims(request)
        if claims is None:
            _refused(store, "sign_in.tampered_cookie", f"request to {request.url.path}")
            return None
        email = str(claims.get("email") or "").lower()
        if not email or claims.get("email_verified") is False:
            return None
        if not allowed_email(email, config.sign_in_allowed):
            return None
        account = _account(store, email_login(email))
        if account is None:  # signed in, page not opened yet: the account is made there
            return Reader(email)
        if account.status != "active":
            return None
        if session_revoked(issued_at(claims.get("iat")), account.signed_out_at):
            return None
        return Reader(account.name, account.id)
    return None  # no sign-in set up


def _account(store: Store, login: str) -> Account | None:
    with store.session() as session:
        return session.scalar(select(Account).where(Account.login == login))
