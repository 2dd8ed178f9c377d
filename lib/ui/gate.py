"""What shows instead of the studio when nobody may use it yet: the operator's page when
no sign-in is set up for a studio that spends real money (or the settings contradict
each other), and the sign-in page in OIDC and header mode."""

from __future__ import annotations

import streamlit as st

from lib.domain.access import SignIn
from lib.engine.runtime import current
from lib.ui.identity import Identity

NO_SIGN_IN = "Sign-in is not set up yet"
OPERATOR_HELP = """\
This studio makes real videos with the team's Wave API key, so it must know who is
making each one before anybody can spend. **Nobody can make videos until the person who
runs the studio chooses how people sign in** and restarts it:

- `STUDIO_SIGN_IN=oidc`: your company sign-in (Google, Microsoft Entra, Okta, Keycloak…),
  with an `[auth]` section in `.streamlit/secrets.toml`;
- `STUDIO_SIGN_IN=header`: behind an authenticating proxy that names each person in a
  header (`STUDIO_TRUSTED_USER_HEADER`);
- `STUDIO_SIGN_IN=open`: people type their name (not verified).

The README's "Sign-in, roles and budgets" section explains each.
"""


def gate(found: Identity) -> bool:
    """Draw the page that replaces the studio, if one does. -> True when it did (the
    caller stops there)."""
    config = current().config
    if config.sign_in == SignIn.NONE:
        st.title(NO_SIGN_IN)
        if config.sign_in_problem:
            st.error(config.sign_in_problem, icon=":material/error:")
        st.markdown(OPERATOR_HELP)
        return True
    if config.sign_in == SignIn.OPEN or found.actor is not None:
        return False
    st.title("Imagine Studio")
    if found.problem:
        st.warning(found.problem, icon=":material/lock:")
    if config.sign_in == SignIn.OIDC:
        st.write("Sign in with your company account to make and watch the team's videos.")
        if st.button("Sign in", type="primary", key="people.sign-in"):
            st.login(config.oidc_provider) if config.oidc_provider else st.login()
    else:
        st.write("Open the studio through your company's sign-in page.")
    return True
