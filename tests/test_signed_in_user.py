"""Page tests choose who is signed in: under AppTest, `at.user` is what st.user reads
(Streamlit 1.67), claims and all, so they need no provider. The real sign-in is proven in
the browser (tests/browser/test_oidc_sign_in.py), on the same spike page."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

SPIKE_PAGE = Path(__file__).resolve().parent / "oidc_spike" / "page.py"


def test_at_user_is_the_signed_in_person_until_st_logout():
    at = AppTest.from_file(str(SPIKE_PAGE))
    at.user = {"is_logged_in": True, "email": "admin@example.com", "groups": ["studio-admins"]}
    at.run()
    assert not at.exception
    assert at.markdown[0].value == "Signed in as **admin@example.com**"
    assert json.loads(at.code[0].value)["groups"] == ["studio-admins"]

    sign_out = at.button[0]
    assert sign_out.label == "Sign out"
    sign_out.click().run()
    assert at.user == {"is_logged_in": False}  # st.logout() emptied it
    at.run()
    assert [m.value for m in at.markdown] == ["Signed out"]


def test_at_user_signed_out():
    at = AppTest.from_file(str(SPIKE_PAGE))
    at.user = {"is_logged_in": False}
    at.run()
    assert [m.value for m in at.markdown] == ["Signed out"]
    assert at.button[0].label == "Sign in"
