"""Who is using the studio, by the one sign-in mode the settings choose (never a fallback
from one to another): Streamlit's st.login (OIDC), a trusted header from an
authenticating proxy (with its shared secret), or, in open mode only, the name the
person types in the sidebar. Each gives an `Actor` (account and role) or nobody.

A typed name is remembered by the browser (a cookie the page writes, read back when a
new tab or a bookmark opens the studio), never by the address: a link someone shares
must not make its reader that person, nor bill their videos to the sender. An old
link's `?who=` is ignored and taken out of the address.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.config import StudioConfig
from lib.domain.access import (
    NAME_COOKIE,
    ROLE_WORDS,
    Actor,
    Role,
    SignIn,
    allowed_email,
    issued_at,
    role_from_settings,
    session_revoked,
)
from lib.domain.markdown import escape_markdown
from lib.domain.text_fields import PERSON, fit
from lib.engine.runtime import current
from lib.store.schema import Account
from lib.store.team import DONE, REFUSED, email_login, name_login

NAME_KEY = "who"  # the sidebar field's session key (not in the address: see above)
OLD_LINK_PARAM = "who"  # where links made before issue 11 carried the name
MAX_NAME = PERSON.max_length
COOKIE = NAME_COOKIE
USER_COOKIE = "_streamlit_user"  # Streamlit's signed sign-in cookie (st.login)
COOKIE_DAYS = 400  # the longest a browser keeps a cookie (Chrome's cap)
_HEADERS_SEEN = "people.headers-seen"
_WRITER_DRAWN = "people.cookie-writer-drawn"
_KEPT = "people.name"  # the field's value, kept where Streamlit does not drop it

# Writes (or, for an empty name, removes) the cookie in the page itself: the server
# only reads cookies, when a tab opens. SameSite=Lax: sent when someone follows a link
# to the studio, never with another site's requests.
_JS = """
export default function ({ data }) {
  const secure = location.protocol === "https:" ? "; Secure" : "";
  const value = data.name ? encodeURIComponent(data.name) : "";
  const age = data.name ? data.max_age : 0;
  document.cookie =
    `${data.cookie}=${value}; Max-Age=${age}; Path=/; SameSite=Lax${secure}`;
}
"""

_cookie_writer = st.components.v2.component("imagine_studio.remember_name", js=_JS)


def clean_name(value: str | None) -> str:
    """A display name, cleaned as every text field is (lib/domain/text_fields.py: one line, no
    control or direction-override characters) and cut to the column's 120 characters."""
    return fit(PERSON, value)


def remembered_name(cookies: Mapping[str, str]) -> str:
    """The name this browser remembered, from its cookies ("" when none)."""
    try:
        return clean_name(unquote(cookies.get(COOKIE) or ""))
    except (TypeError, ValueError):
        return ""


def request_headers() -> Mapping[str, str]:
    """The headers of the request that opened this tab (the proxy's, in header mode)."""
    return st.context.headers


def browser_cookies() -> Mapping[str, str]:
    """The cookies the browser sent when this tab opened."""
    return st.context.cookies


# ----- who is acting: one sign-in mode at a time (config.sign_in) ---------------------
# Headers an authenticating proxy uses to name a person. In OIDC or open mode nobody may
# be named by a header: one arriving is ignored, and logged (someone tried).
IDENTITY_HEADERS = (
    "X-Forwarded-User",
    "X-Forwarded-Email",
    "X-Auth-Request-Email",
    "X-Auth-Request-User",
    "Remote-User",
    "Cf-Access-Authenticated-User-Email",
    "X-Goog-Authenticated-User-Email",
)
_LOGGED = "people.logged"  # {what}: refusals already logged in this session


@dataclass(frozen=True)
class Identity:
    actor: Actor | None
    problem: str | None = None  # why nobody is signed in (for the page), if known


def _log_once(
    what: str,
    action: str,
    detail: str,
    name: str = "",
    actor_id: str | None = None,
    outcome: str = REFUSED,
) -> None:
    """One audit entry per session for a repeated event (each rerun would see it again)."""
    logged = st.session_state.setdefault(_LOGGED, set())
    if what in logged:
        return
    logged.add(what)
    current().store.audit(
        action,
        actor_id=actor_id,
        actor_name=name,
        outcome=outcome,
        detail=detail,
        now=datetime.now(UTC),
    )


def _user() -> Mapping[str, Any]:
    try:
        return st.user.to_dict()
    except Exception:  # no st.user here (a server without [auth])
        return {}


def _cookie_is_forged() -> bool:
    """Streamlit silently treats a cookie it cannot verify as "signed out": a cookie that
    is there but does not verify with the studio's secret was tampered with."""
    value = browser_cookies().get(USER_COOKIE)
    if not value:
        return False
    try:
        from streamlit.web.server.server_util import get_cookie_secret
        from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

        return (
            decode_signed_value(get_cookie_secret(), USER_COOKIE, value.encode("latin-1")) is None
        )
    except Exception:  # Streamlit's internals moved: say nothing rather than guess
        return False


def _role(config: StudioConfig, account: Account, email: str | None, groups: list[str]) -> Role:
    given = role_from_settings(
        email, groups, config.admin_emails, config.admin_groups, config.viewer_groups
    )
    return given or Role(account.role)


def _oidc() -> Identity:
    config = current().config
    user = _user()
    if not user.get("is_logged_in", False):
        if _cookie_is_forged():
            _log_once(
                "tampered", "sign_in.tampered_cookie", "a sign-in cookie that does not verify"
            )
        return Identity(None)
    email = str(user.get("email") or "").strip().lower()
    name = clean_name(str(user.get("name") or email))
    if not email:
        return Identity(
            None, "Your sign-in did not say your e-mail address: ask your administrator."
        )
    if user.get("email_verified") is False:
        _log_once(f"unverified:{email}", "sign_in.refused", "e-mail not verified", name)
        return Identity(None, "Your e-mail address is not verified with your sign-in provider.")
    if not allowed_email(email, config.sign_in_allowed):
        _log_once(f"outside:{email}", "sign_in.refused", f"{email} is not on the allow-list", name)
        return Identity(None, f"{email} may not use this studio. Ask your administrator.")
    store = current().store
    now = datetime.now(UTC)
    account = store.account_for(email_login(email), name, config.default_role, now)
    issued = issued_at(user.get("iat"))
    if account.status != "active":
        _log_once(f"disabled:{email}", "sign_in.refused", "account disabled", name, account.id)
        return Identity(None, "Your account is switched off. Ask an admin.")
    if session_revoked(issued, account.signed_out_at):
        _log_once(
            f"revoked:{email}",
            "sign_in.refused",
            "a sign-in from before the last sign-out",
            name,
            account.id,
        )
        return Identity(None, "You signed out. Sign in again to go on.")
    groups = user.get(config.groups_claim) or []
    groups = [str(g) for g in groups] if isinstance(groups, list) else [str(groups)]
    role = _role(config, account, email, groups)
    if store.record_sign_in(account.id, issued or now):
        store.audit(
            "sign_in",
            actor_id=account.id,
            actor_name=account.name,
            detail=f"OpenID Connect, {role.value}",
            now=now,
        )
    return Identity(Actor(account.id, account.name, role, email, verified=True))


def _header() -> Identity:
    config = current().config
    headers = request_headers()
    if config.proxy_secret_header:
        given = (headers.get(config.proxy_secret_header) or "").encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(given, (config.proxy_secret or "").encode()):
            _log_once(
                "forged", "sign_in.forged_header", "a request without the proxy's shared secret"
            )
            return Identity(None, "This studio can only be opened through the company sign-in.")
    value = clean_name(headers.get(config.trusted_user_header or ""))
    if not value:
        return Identity(None, "The company sign-in did not say who you are.")
    email = value.lower() if "@" in value else None
    if email and not allowed_email(email, config.sign_in_allowed):
        _log_once(f"outside:{email}", "sign_in.refused", f"{email} is not on the allow-list", value)
        return Identity(None, f"{email} may not use this studio. Ask your administrator.")
    login = email_login(email) if email else f"header:{value}"
    store = current().store
    account = store.account_for(login, value, config.default_role, datetime.now(UTC))
    if account.status != "active":
        _log_once(f"disabled:{login}", "sign_in.refused", "account disabled", value, account.id)
        return Identity(None, "Your account is switched off. Ask an admin.")
    role = _role(config, account, email, [])
    _log_once(
        "signed-in",
        "sign_in",
        f"proxy header, {role.value}",
        account.name,
        account.id,
        outcome=DONE,
    )
    return Identity(Actor(account.id, account.name, role, email, verified=True))


def _open() -> Identity:
    config = current().config
    _ignored_headers()
    name = clean_name(st.session_state.get(NAME_KEY))
    if not name:
        return Identity(None)
    store = current().store
    account = store.account_for(name_login(name), name, config.open_role, datetime.now(UTC))
    if account.status != "active":
        _log_once(f"disabled:{name}", "sign_in.refused", "account disabled", name, account.id)
        return Identity(None, "This name's account is switched off. Ask an admin.")
    return Identity(Actor(account.id, account.name, config.open_role))


def _ignored_headers() -> None:
    # A tab's headers are those of the request that opened it: looked at once.
    if st.session_state.get(_HEADERS_SEEN):
        return
    st.session_state[_HEADERS_SEEN] = True
    headers = request_headers()
    sent = [h for h in IDENTITY_HEADERS if headers.get(h)]
    if sent:
        _log_once(
            "ignored-header", "sign_in.forged_header", f"identity header ignored: {', '.join(sent)}"
        )


_THIS_RUN = "people.identity-this-run"


def identity() -> Identity:
    """Who is acting now, by the one sign-in mode configured.

    Worked out once per run of the page (the shell, the sidebar, the form and its button
    all ask, and each answer reads the store): kept beside the run's own cursors, which
    Streamlit makes anew for every run and fragment run, and the typed name, which the
    sidebar may fill in from the browser's cookie during the run."""
    run = get_script_run_ctx()
    if run is None:
        return _identity_now()
    key = (run.cursors, st.session_state.get(NAME_KEY))
    kept = st.session_state.get(_THIS_RUN)
    if kept is not None and kept[0] is key[0] and kept[1] == key[1]:
        return kept[2]
    found = _identity_now()
    st.session_state[_THIS_RUN] = (*key, found)
    return found


def _identity_now() -> Identity:
    mode = current().config.sign_in
    if mode == SignIn.OIDC:
        _ignored_headers()
        return _oidc()
    if mode == SignIn.HEADER:
        return _header()
    if mode == SignIn.OPEN:
        return _open()
    return Identity(None, current().config.sign_in_problem)


def current_actor() -> Actor | None:
    return identity().actor


def current_person() -> str | None:
    """The name of who is acting now, or None when nobody is signed in."""
    actor = current_actor()
    return actor.name if actor else None


def sign_out(actor: Actor) -> None:
    """Sign out everywhere: sessions issued until now are refused, then Streamlit's own
    sign-out (cookie gone, provider's end-session page)."""
    store = current().store
    now = datetime.now(UTC)
    if actor.account_id:
        store.record_sign_out(actor.account_id, now)
    store.audit("sign_out", actor_id=actor.account_id, actor_name=actor.name, now=now)
    st.logout()


def person_field() -> None:
    """The sidebar field where a person without a login says who they are."""
    if OLD_LINK_PARAM in st.query_params:
        del st.query_params[OLD_LINK_PARAM]  # a name in a link sets nobody
    config = current().config
    if config.sign_in != SignIn.OPEN:
        signed_in_box(config)
        return
    state = st.session_state
    if NAME_KEY not in state:
        # A new tab (the browser may remember who this is), or a page switch from a
        # button, after which Streamlit forgets every widget's value: the name is kept.
        kept = state.get(_KEPT)
        state[NAME_KEY] = remembered_name(browser_cookies()) if kept is None else kept
    st.sidebar.text_input(
        "Your name",
        key=NAME_KEY,
        max_chars=MAX_NAME,
        placeholder="e.g. Ana Lopez",
        help="Shown on your videos and in the spending report. This browser remembers it.",
    )
    st.sidebar.caption(NOT_VERIFIED)
    state[_KEPT] = state[NAME_KEY]
    name = clean_name(state.get(NAME_KEY))
    # The writer is drawn once there is something to write (a name, or a remembered one
    # to forget), so that it starts with the name: drawn empty at a tab's first run and
    # given the name a moment later, the cookie was sometimes never written (the suite's
    # first browser test, on a busy machine, while the element's script was loading).
    if not (name or state.get(_WRITER_DRAWN) or remembered_name(browser_cookies())):
        return
    state[_WRITER_DRAWN] = True
    with st.sidebar:
        _cookie_writer(
            key="remember-name",
            data={"cookie": COOKIE, "name": name, "max_age": COOKIE_DAYS * 24 * 3600},
            height=0,
        )


NOT_VERIFIED = "Names are not verified here: anyone can type any name."


def signed_in_box(config: StudioConfig) -> None:
    """The sidebar's "Signed in as …" with the role, and the sign-out button (OIDC)."""
    found = identity()
    if found.actor is None:
        return
    actor = found.actor
    # The name comes from outside (login, SSO): its characters show as typed.
    st.sidebar.markdown(
        f"Signed in as **{escape_markdown(actor.name)}** · {ROLE_WORDS[actor.role]}"
    )
    if config.sign_in == SignIn.OIDC and st.sidebar.button("Sign out", key="people.sign-out"):
        sign_out(actor)
