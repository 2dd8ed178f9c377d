"""Issue 15: one storage for videos, posters and pictures, on the data folder or on an
S3-compatible bucket (moto's S3 server on loopback, tests/services/s3.py), so that every
server plays every video and hands the service every picture."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from lib.outside.videos import probe_video
from lib.storage import open_storage
from lib.storage.copy_to_bucket import copy_folder
from lib.storage.s3 import S3Storage
from tests import images
from tests.conftest import s3_settings
from tests.engine.test_tracker import submit, wait_archived
from tests.studio_harness import ROOT, RunningStudio, running_studio, studio_config

VIDEO_KEY = "library/" + "a" * 32 + ".mp4"


def short_lived(signed: str) -> int:
    """The lifetime a signed link was made with (s), checked to start now. The bucket
    enforces it; moto, the test server, does not check expiry, so the link is read here."""
    query = parse_qs(urlsplit(signed).query)
    made = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - made).total_seconds()) < 120
    return int(query["X-Amz-Expires"][0])


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    config = studio_config(tmp_path / "data")
    if request.param == "s3":
        config = replace(config, **s3_settings(request.getfixturevalue("s3_service")))
    return open_storage(config)


def test_a_file_put_is_read_back_whole_and_a_missing_one_is_none(storage):
    storage.scratch_dir.mkdir(parents=True, exist_ok=True)
    part = storage.scratch_dir / ".incoming.part"
    part.write_bytes(b"\x00video" * 1000)
    storage.put_file(VIDEO_KEY, part, "video/mp4")
    assert not part.exists()  # moved, not copied: no second copy left on the server's disk
    assert storage.size(VIDEO_KEY) == 6000
    storage.put_bytes("assets/" + "b" * 64 + ".png", b"png bytes", "image/png")
    assert storage.read_bytes("assets/" + "b" * 64 + ".png") == b"png bytes"
    assert storage.size("library/" + "c" * 32 + ".mp4") is None
    assert storage.read_bytes("assets/" + "c" * 64 + ".png") is None
    assert storage.problem() is None
    # A video in pieces (the campaign ZIP, issue 17): never whole in memory.
    pieces = list(storage.read_chunks(VIDEO_KEY, 1024))
    assert [len(p) for p in pieces] == [1024] * 5 + [880]
    assert b"".join(pieces) == b"\x00video" * 1000
    assert storage.read_chunks("library/" + "c" * 32 + ".mp4") is None


def test_a_bucket_that_cannot_be_reached_is_named_as_the_problem(tmp_path, s3_service):
    settings = {**s3_settings(s3_service), "s3_bucket": "no-such-bucket"}
    storage = open_storage(replace(studio_config(tmp_path), **settings))
    assert "the bucket 'no-such-bucket' cannot be reached" in storage.problem()


def s3_studio(tmp_path: Path, name: str, settings: dict, provider: RunningStudio | None = None):
    """A studio server of its own (data folder, port) on a shared bucket and database.
    `provider`: the first server, whose practice service this one uses too (as servers
    sharing a database share one video service; its links are plain http on loopback,
    allowed by name as a staging host would be)."""
    if provider is not None:
        settings = {
            **settings,
            # Servers sharing a database share one account: the key the first server's
            # practice service knows it by (either server may follow any video).
            "wave_api_key": "embedded-demo-key",
            "wave_base_url": f"{provider.base_url}/wave/v1",
            "http_media_hosts": ("127.0.0.1",),
        }
    return running_studio(tmp_path / name, config_changes=settings)


def test_a_video_archived_by_one_server_plays_from_another_with_seeking_never_through_it(
    tmp_path, s3_service
):
    """Issue 15: with a data folder per machine, 13 of 24 cards answered 404. With the
    bucket, the video goes there, and /library/ on either server redirects to a short
    signed link that the bucket itself serves, Range included."""
    shared = {**s3_settings(s3_service), "database_url": f"sqlite:///{tmp_path / 'shared.db'}"}
    with (
        s3_studio(tmp_path, "one", shared) as one,
        s3_studio(tmp_path, "two", shared, provider=one) as two,
    ):
        task = wait_archived(one, submit(one).id)
        assert task.archive_state == "archived", task.archive_error
        assert not list((tmp_path / "one" / "data").glob("**/*.mp4"))  # no local copy
        for server in (one, two):
            url = f"{server.base_url}/library/{task.video_file}"
            redirect = requests.get(url, allow_redirects=False, timeout=30)
            assert redirect.status_code == 307, redirect.text
            signed = redirect.headers["location"]
            assert signed.startswith(s3_service.endpoint_url) and "X-Amz-Signature=" in signed
            assert short_lived(signed) == server.studio.config.signed_link_seconds == 900
            part = requests.get(signed, headers={"Range": "bytes=100-199"}, timeout=30)
            assert part.status_code == 206 and len(part.content) == 100
        whole = requests.get(f"{two.base_url}/library/{task.video_file}", timeout=30)
        assert len(whole.content) == task.video_bytes
        saved = tmp_path / "played.mp4"
        saved.write_bytes(whole.content)
        assert probe_video(saved).frames == 144
        poster = requests.get(f"{two.base_url}/library/{task.poster_file}", timeout=30)
        assert poster.headers["content-type"] == "image/jpeg" and len(poster.content) > 1000
        download = requests.get(
            f"{two.base_url}/library/{task.video_file}?download=spring-video.mp4", timeout=30
        )
        assert "attachment" in download.headers["content-disposition"]


def test_a_picture_uploaded_on_one_server_is_served_to_the_service_by_the_other(
    tmp_path, s3_service
):
    """Issue 15: a picture uploaded on server 1 was 404 on server 2, yet its URL is what
    the service fetches."""
    from lib.engine.pictures import store_reference_image

    shared = {**s3_settings(s3_service), "database_url": f"sqlite:///{tmp_path / 'shared.db'}"}
    with (
        s3_studio(tmp_path, "one", shared) as one,
        s3_studio(tmp_path, "two", shared, provider=one) as two,
    ):
        data = images.png(640, 360)
        asset, _url = store_reference_image(one.studio, data, "shop.png", "Ana")
        for server in (one, two):
            reply = requests.get(f"{server.base_url}/assets/{asset.file_name}", timeout=30)
            assert reply.status_code == 200 and reply.headers["content-type"] == "image/png"
            assert reply.content == S3Storage(two.studio.config).read_bytes(
                f"assets/{asset.file_name}"
            )
        missing = requests.get(f"{two.base_url}/assets/{'0' * 64}.png", timeout=30)
        assert missing.status_code == 404


def test_the_copy_command_moves_a_data_folder_into_the_bucket_and_can_run_again(
    tmp_path, s3_service
):
    data = tmp_path / "data"
    (data / "library").mkdir(parents=True)
    (data / "assets").mkdir()
    video = data / "library" / ("d" * 32 + ".mp4")
    video.write_bytes(os.urandom(300_000))
    (data / "library" / ("d" * 32 + ".jpg")).write_bytes(b"jpeg")
    (data / "library" / (".e" * 16 + ".mp4.part")).write_bytes(b"half")  # never copied
    (data / "assets" / ("f" * 64 + ".png")).write_bytes(b"png")
    bucket = S3Storage(replace(studio_config(data), **s3_settings(s3_service)))

    first = copy_folder(data, bucket, out=io.StringIO())
    assert (first.copied, first.skipped, first.failed) == (3, 0, 0)
    assert bucket.size("library/" + "d" * 32 + ".mp4") == 300_000
    assert video.exists()  # the local files stay
    # Interrupted, or run again later with one more video: only what is missing goes.
    (data / "library" / ("9" * 32 + ".mp4")).write_bytes(b"new video")
    again = copy_folder(data, bucket, out=io.StringIO())
    assert (again.copied, again.skipped, again.failed) == (1, 3, 0)


def test_the_copy_command_reads_the_studios_settings(tmp_path, s3_service):
    data = tmp_path / "data"
    (data / "assets").mkdir(parents=True)
    (data / "assets" / ("1" * 64 + ".jpg")).write_bytes(b"jpeg")
    settings = s3_settings(s3_service)
    env = {
        **os.environ,
        **s3_service.env(),
        "STUDIO_DATA_DIR": str(data),
        "STUDIO_S3_PREFIX": settings["s3_prefix"],
    }
    command = [sys.executable, "-m", "lib.storage.copy_to_bucket"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 file(s) copied" in done.stdout
    assert s3_service.secret_access_key not in done.stdout + done.stderr


def test_on_the_data_folder_a_video_is_served_from_disk_with_seeking_and_its_download_name(
    tmp_path,
):
    with running_studio(tmp_path) as rs:
        task = wait_archived(rs, submit(rs).id)
        url = f"{rs.base_url}/library/{task.video_file}"
        part = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=30)
        assert part.status_code == 206 and len(part.content) == 100
        saved = requests.get(f"{url}?download=spring-kite-2026-12-02.mp4", timeout=30)
        assert saved.headers["content-disposition"].startswith("attachment")
        assert "spring-kite-2026-12-02.mp4" in saved.headers["content-disposition"]
        # Anything but the studio's own slug is ignored, never echoed into a header.
        odd = requests.get(f'{url}?download=x"%0d%0aSet-Cookie:a=b.mp4', timeout=30)
        assert odd.status_code == 200 and "attachment" not in odd.headers.get(
            "content-disposition", ""
        )
        assert "set-cookie" not in odd.headers
