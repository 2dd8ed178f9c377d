"""The campaign ZIP over real HTTP (issue 17): only approved videos, a manifest whose
formulas are defused, the bytes streamed from the storage; signed-in people only."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import requests

from lib.domain.access import NAME_COOKIE, Role, SignIn
from lib.review.states import change_review
from lib.storage import LIBRARY
from lib.store.team import AuditFilter, email_login
from tests.factories import make
from tests.review.conftest import person
from tests.studio_harness import running_studio


def saved(rs, **kw) -> str:
    video = make(rs.studio.store, "archived", **kw)
    body = b"\x00\x00\x00\x18ftypmp42" + video.encode() * 40_000  # ~1.3 MB, its own bytes
    rs.studio.storage.put_bytes(f"{LIBRARY}/{video}.mp4", body, "video/mp4")
    return video


def test_the_zip_holds_the_approved_videos_and_a_defused_manifest(studio, monkeypatch):
    studio.studio.tracker.stop()
    store = studio.studio.store
    boss = person(store, "Bea", Role.ADMIN)
    good = saved(studio, campaign="Spring", prompt='=HYPERLINK("http://evil") kite')
    other = saved(studio, campaign="Spring")  # not approved: left out
    elsewhere = saved(studio, campaign="Autumn")
    change_review(store, boss, [good, elsewhere], "approved")
    read_sizes: list[int] = []
    chunks = studio.studio.storage.read_chunks

    def counted(key, chunk_bytes=0):
        for piece in chunks(key, 256 * 1024):
            read_sizes.append(len(piece))
            yield piece

    monkeypatch.setattr(studio.studio.storage, "read_chunks", counted)
    answer = requests.get(
        f"{studio.base_url}/api/approved.zip",
        params={"campaign": "Spring"},
        cookies={NAME_COOKIE: "Ana%20Lopez"},  # the name this browser typed (open mode)
        timeout=60,
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    [logged] = downloads(store)
    assert (logged.actor_name, logged.target) == ("Ana Lopez", "campaign Spring")
    assert "not verified" in logged.detail
    assert answer.headers["content-disposition"] == 'attachment; filename="approved-spring.zip"'
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    [video_name] = [n for n in archive.namelist() if n.endswith(".mp4")]
    assert archive.read(video_name).count(good.encode()) == 40_000
    assert other not in video_name
    assert max(read_sizes) <= 256 * 1024 and len(read_sizes) >= 5  # read in pieces
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert [r["video_id"] for r in rows] == [good]
    row = rows[0]
    assert row["prompt"] == '\'=HYPERLINK("http://evil") kite'
    assert (row["approved_by"], row["made_by"], row["cost_usd"]) == ("Bea", "Ana", "0.044626")
    selection = requests.get(
        f"{studio.base_url}/api/approved.zip", params={"ids": f"{other},{elsewhere}"}, timeout=60
    )
    names = zipfile.ZipFile(io.BytesIO(selection.content)).namelist()
    assert [n for n in names if n.endswith(".mp4")] == [f"autumn-{elsewhere[:12]}.mp4"]
    none = requests.get(
        f"{studio.base_url}/api/approved.zip", params={"campaign": "Nope"}, timeout=30
    )
    assert none.status_code == 404 and "no approved videos" in none.text


def downloads(store) -> list:
    return store.audit_events(AuditFilter(actions=["review.download"]))


def test_the_log_says_who_downloaded_a_zip_behind_the_company_sign_in(tmp_path):
    changes = {
        "sign_in": SignIn.HEADER,
        "trusted_user_header": "X-Forwarded-Email",
        "proxy_secret_header": "X-Proxy-Secret",
        "proxy_secret": "s3cret",
    }
    with running_studio(tmp_path / "studio", config_changes=changes) as rs:
        rs.studio.tracker.stop()
        store = rs.studio.store
        video = saved(rs, campaign="Spring")
        change_review(store, person(store, "Bea", Role.ADMIN), [video], "approved")
        bea = store.account_for(email_login("bea@example.com"), "", Role.MEMBER, datetime.now(UTC))
        answer = requests.get(
            f"{rs.base_url}/api/approved.zip?campaign=Spring",
            headers={"X-Forwarded-Email": "bea@example.com", "X-Proxy-Secret": "s3cret"},
            timeout=30,
        )
        assert answer.status_code == 200
        [logged] = downloads(store)
        assert (logged.actor_id, logged.actor_name) == (bea.id, "bea@example.com")
        assert "not verified" not in logged.detail


def test_the_zip_asks_for_a_sign_in(tmp_path):
    with running_studio(tmp_path / "studio", config_changes={"sign_in": SignIn.OIDC}) as rs:
        rs.studio.tracker.stop()
        video = saved(rs, campaign="Spring")
        change_review(
            rs.studio.store, person(rs.studio.store, "Bea", Role.ADMIN), [video], "approved"
        )
        answer = requests.get(f"{rs.base_url}/api/approved.zip?campaign=Spring", timeout=30)
        assert answer.status_code == 401 and b"PK" not in answer.content
