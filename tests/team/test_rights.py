"""Each role's rights, checked on the server side: the lib functions the pages call,
called directly as the wrong role, and the studio's HTTP routes called without (or with
a forged) sign-in. Every refusal leaves the data as it was and is in the audit log."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from itsdangerous import URLSafeTimedSerializer

from lib.create import keys, submit
from lib.create.draft import draft_from
from lib.domain import urls
from lib.domain.access import Actor, NotAllowed, Role, SignIn
from lib.domain.budgets import OverBudget, Scope
from lib.engine import submissions
from lib.engine.submissions import submit_video
from lib.history import actions
from lib.store.team import AuditFilter, email_login, name_login
from tests.factories import make
from tests.studio_harness import running_studio

REQUEST = {
    "model": "grok-imagine-1.0-video",
    "prompt": "A red kite over a windy beach",
    "aspect_ratio": "16:9",
    "resolution": "480p",
    "duration": 6,
}

DRAFT = draft_from({**keys.defaults(), keys.PROMPT: REQUEST["prompt"]})


def person(store, name: str, role: Role) -> Actor:
    account = store.account_for(
        name_login(name),
        name,
        role,
        __import__("datetime").datetime.now(__import__("datetime").UTC),
    )
    return Actor(account.id, account.name, role)


def refusals(store, action: str) -> list:
    return store.audit_events(AuditFilter(actions=[action], outcome="refused"))


@pytest.fixture
def slow(tmp_path):
    """A studio whose videos wait in line for a while (they can still be cancelled)."""
    with running_studio(tmp_path / "studio", wave_changes={"time_scale": 5.0}) as rs:
        yield rs


def test_a_viewer_cannot_make_a_video_even_calling_the_lib_directly(slow):
    store = slow.studio.store
    viewer = person(store, "Vic", Role.VIEWER)
    with pytest.raises(NotAllowed, match="Viewers can watch every video"):
        submit_video(slow.studio, REQUEST, viewer, "", uuid.uuid4().hex)
    result = submit.submit_draft(slow.studio, DRAFT, viewer, "k-1")
    assert result.task_id is None and "Viewers can watch every video" in result.notice
    assert store.tasks() == [] and slow.counters().get("requests.submit", 0) == 0
    assert [e.actor_name for e in refusals(store, "video.create")] == ["Vic", "Vic"]


def test_nobody_signed_in_cannot_make_a_video(slow):
    with pytest.raises(NotAllowed, match="Sign in first"):
        submit_video(slow.studio, REQUEST, None, "", uuid.uuid4().hex)
    assert slow.studio.store.tasks() == []


def test_a_member_cancels_and_retries_only_their_own_and_an_admin_anyones(slow):
    store = slow.studio.store
    ana = person(store, "Ana", Role.MEMBER)
    bo = person(store, "Bo", Role.MEMBER)
    admin = person(store, "Alex", Role.ADMIN)
    viewer = person(store, "Vic", Role.VIEWER)
    task = submit_video(slow.studio, REQUEST, ana, "Spring", uuid.uuid4().hex).task
    assert task.status == "queued" and task.account_id == ana.account_id
    for wrong in (bo, viewer, None):
        message = actions.cancel_task(slow.studio, task.id, wrong)
        assert not message.ok
        assert store.get_task(task.id).status == "queued"
    assert "only cancel or retry your own" in actions.cancel_task(slow.studio, task.id, bo)
    assert slow.counters().get("requests.cancel", 0) == 0  # nothing reached the service
    assert len(refusals(store, "video.cancel")) == 4
    message = actions.cancel_task(slow.studio, task.id, admin)
    assert message.ok and store.get_task(task.id).status == "cancelled"
    done = store.audit_events(AuditFilter(actions=["video.cancel"], outcome="done"))
    assert [(e.actor_name, e.target) for e in done] == [("Alex", task.id)]

    failed = make(store, "failed", person="Ana")
    retry = actions.retry_task(slow.studio, failed, bo)
    assert retry.task is None and "only cancel or retry your own" in retry.message
    retry = actions.retry_task(slow.studio, failed, viewer)
    assert retry.task is None and "Viewers" in retry.message
    assert len(refusals(store, "video.retry")) == 2
    assert len(store.tasks()) == 2  # nothing new was made
    again = actions.retry_task(slow.studio, failed, admin).task
    assert again is not None
    assert store.family(again.id)[0].parent_id == failed  # its family (issue 17)


def test_a_video_over_a_budget_is_refused_through_the_lib_and_logged(slow):
    store = slow.studio.store
    ana = person(store, "Ana", Role.MEMBER)
    store.set_budget(Scope.PERSON, ana.account_id, 30_000, "Alex", datetime.now(UTC))
    submit_video(slow.studio, REQUEST, ana, "", uuid.uuid4().hex)
    with pytest.raises(OverBudget, match="your monthly budget"):
        submit_video(slow.studio, REQUEST, ana, "", uuid.uuid4().hex)
    result = submit.submit_draft(slow.studio, DRAFT, ana, "k-2")
    assert result.task_id is None and "would go over your monthly budget" in result.notice
    assert len(store.tasks()) == 1 and slow.counters()["requests.submit"] == 1
    assert len(refusals(store, "budget.refused")) == 2


# ----- the HTTP routes ----------------------------------------------------------------
SECRET = "test-cookie-secret-for-the-routes"


def cookie(claims: dict, secret: str = SECRET) -> str:
    return URLSafeTimedSerializer(secret, salt="_streamlit_user").dumps(json.dumps(claims))


@pytest.fixture
def oidc_studio(tmp_path, monkeypatch):
    monkeypatch.setattr("streamlit.web.server.server_util.get_cookie_secret", lambda: SECRET)
    with running_studio(tmp_path / "studio", config_changes={"sign_in": SignIn.OIDC}) as rs:
        yield rs


def test_routes_in_oidc_mode_answer_only_a_valid_sign_in_cookie(oidc_studio):
    rs = oidc_studio
    store = rs.studio.store
    video = f"{uuid.uuid4().hex}.mp4"
    (rs.studio.config.library_dir).mkdir(parents=True, exist_ok=True)
    (rs.studio.config.library_dir / video).write_bytes(b"not really a video")
    url = f"{rs.base_url}{urls.LIBRARY}{video}"
    changes = f"{rs.base_url}{urls.HISTORY_CHANGES}?ids=&wait=0"
    member = {"email": "member@example.com", "email_verified": True, "iat": int(time.time())}

    for address in (url, changes):
        assert requests.get(address, timeout=30).status_code == 401  # signed out
    forged = cookie(member, "a-guessed-secret")
    reply = requests.get(url, cookies={"_streamlit_user": forged}, timeout=30)
    assert reply.status_code == 401
    assert len(refusals(store, "sign_in.tampered_cookie")) == 1
    good = {"_streamlit_user": cookie(member)}
    assert requests.get(url, cookies=good, timeout=30).content == b"not really a video"
    assert requests.get(changes, cookies=good, timeout=30).status_code == 200

    # After "sign out", that cookie (a copy of it) is refused: the server keeps the time.
    account = store.account_for(email_login(member["email"]), "Mia", Role.MEMBER, datetime.now(UTC))
    store.record_sign_out(account.id, datetime.now(UTC))
    assert requests.get(url, cookies=good, timeout=30).status_code == 401


def test_routes_in_header_mode_need_the_proxys_secret(tmp_path):
    changes = {
        "sign_in": SignIn.HEADER,
        "trusted_user_header": "X-Forwarded-Email",
        "proxy_secret_header": "X-Proxy-Secret",
        "proxy_secret": "s3cret",
    }
    with running_studio(tmp_path / "studio", config_changes=changes) as rs:
        address = f"{rs.base_url}{urls.HISTORY_CHANGES}?ids=&wait=0"
        forged = {"X-Forwarded-Email": "admin@example.com"}
        assert requests.get(address, headers=forged, timeout=30).status_code == 401
        proxied = {**forged, "X-Proxy-Secret": "s3cret"}
        assert requests.get(address, headers=proxied, timeout=30).status_code == 200
        assert len(refusals(rs.studio.store, "sign_in.forged_header")) == 1


def test_a_retry_is_recorded_with_its_family_link_before_the_service_is_asked(
    tmp_path, monkeypatch
):
    """The new video and its "tried again from" link are one write, before the send: a
    server that dies mid-send leaves a retry (re-sent by another) that knows its family;
    a refusal by the service (nothing charged) leaves neither."""
    poor = {"starting_balance_usd": Decimal("0.01")}
    with running_studio(tmp_path / "studio", wave_changes=poor) as rs:
        store = rs.studio.store
        ana = person(store, "Ana", Role.MEMBER)
        failed = make(store, "failed", person="Ana")
        retry = actions.retry_task(rs.studio, failed, ana)
        assert retry.task is None and "enough credit" in retry.message, retry.message
        assert [t.id for t in store.tasks()] == [failed] and store.family(failed) == (None, [])

        def dies(*_args, **_kwargs):
            raise SystemExit("the server stops mid-send")

        monkeypatch.setattr(submissions, "send_submit", dies)
        with pytest.raises(SystemExit):
            actions.retry_task(rs.studio, failed, ana)
        [again] = [task for task in store.tasks() if task.id != failed]
        assert again.status == "submitting"  # another server re-sends it, same key
        assert store.family(again.id)[0].parent_id == failed
