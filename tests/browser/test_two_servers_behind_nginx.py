"""Two real studio servers (`streamlit run app.py`, a data folder each, one PostgreSQL
database, one S3 bucket) behind Debian's nginx, driven in Debian's Chromium through the
proxy: the topology of deploy/compose.yaml without a container engine.

With session affinity the page, its websocket, a reference picture upload and the
picture's preview all reach one server. Without it (round robin, what a load balancer does
by default) an upload lands on the server that does not hold the page's session and is
refused with HTTP 400: issue 15's "7 of 16 uploads got HTTP 400".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from lib.embedded_wave.background import serve_in_background
from tests import images
from tests.browser.conftest import SCREENSHOTS, StudioProcess, remember_name
from tests.conftest import MIGRATED_TEMPLATE, fast_settings
from tests.services.nginx import RunningNginx, running_nginx

pytestmark = pytest.mark.browser

UPLOAD = "/_stcore/upload_file/"


@pytest.fixture(scope="module")
def two_studios(tmp_path_factory, request) -> Iterator[list[StudioProcess]]:
    """Two servers as deploy/compose.yaml runs them: a data folder each, one PostgreSQL
    database, one bucket (moto's S3 server), one video service (a practice service of
    its own on loopback, reached with a key: demo mode never shares a database), the
    same callback secret. Started side by side."""
    folder = tmp_path_factory.mktemp("two-studios")
    postgres = request.getfixturevalue("migrated_postgres")
    s3 = request.getfixturevalue("s3_service")
    database = postgres.create_database(template=MIGRATED_TEMPLATE)
    with serve_in_background(fast_settings(folder / "provider", time_scale=0.1)) as provider:
        shared = {
            "WAVE_API_KEY": "wave-test-key",
            "STUDIO_SIGN_IN": "open",  # a real key needs a sign-in mode; names suffice here
            "WAVE_BASE_URL": f"{provider.base_url}/v1",
            "STUDIO_HTTP_MEDIA_HOSTS": "127.0.0.1",  # the practice service's plain http
            "STUDIO_DATABASE_URL": database,
            "STUDIO_CALLBACK_SECRET": "shared-by-both-servers-0123456789",
            **s3.env(),
            "STUDIO_S3_PREFIX": "two-studios/",
        }
        servers = [StudioProcess(folder / f"data{n}", env=dict(shared)) for n in (1, 2)]
        failures: list[BaseException] = []

        def start(server: StudioProcess) -> None:
            try:
                server.start()
            except BaseException as error:  # reported below, with the server's log
                failures.append(error)

        threads = [threading.Thread(target=start, args=(server,)) for server in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            if failures:
                raise failures[0]
            yield servers
        finally:
            for server in servers:
                server.stop()
            postgres.drop_database(database.rsplit("/", 1)[1])


def upstreams(servers: list[StudioProcess]) -> list[str]:
    return [f"127.0.0.1:{server.port}" for server in servers]


def open_create_through(page: Page, proxy: RunningNginx) -> list[str]:
    """Create, opened through the proxy, in Image to video mode. Returns the list that
    collects the addresses of websockets that received frames."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda _: frames.append(ws.url)))
    remember_name(page.context, proxy.url)
    page.goto(f"{proxy.url}/")
    # Only the server's answer over the websocket draws the page.
    expect(page.get_by_role("heading", name="Create a video")).to_be_visible()
    page.get_by_role("radio", name="Image to video").click()
    return frames


def upload(page: Page, paths: list[Path]) -> list[int]:
    """Choose pictures at once, as a person selecting several files does; the HTTP
    statuses of their uploads (one PUT each, sent side by side)."""
    statuses: list[int] = []

    def seen(response) -> None:
        if UPLOAD in response.url and response.request.method == "PUT":
            statuses.append(response.status)

    page.on("response", seen)
    page.locator("input[type=file]").set_input_files([str(path) for path in paths])
    deadline = time.monotonic() + 60
    while len(statuses) < len(paths):
        assert time.monotonic() < deadline, f"uploads answered: {statuses} of {len(paths)}"
        page.wait_for_timeout(100)
    page.remove_listener("response", seen)
    return sorted(statuses)


def pictures(folder: Path, count: int) -> list[Path]:
    made = []
    for number in range(count):
        path = folder / f"photo{number}.jpg"
        path.write_bytes(images.jpeg(640 + 16 * number, 360))
        made.append(path)
    return made


def test_with_affinity_the_page_its_websocket_and_uploads_work_through_the_proxy(
    two_studios, browser, tmp_path
):
    with running_nginx(upstreams(two_studios), affinity=True) as proxy:
        health = requests.get(f"{proxy.url}/api/health", timeout=30)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            frames = open_create_through(page, proxy)
            first, second, third = pictures(tmp_path, 3)
            assert upload(page, [first, second]) == [204, 204]
            assert upload(page, [third]) == [204]
            expect(page.get_by_alt_text("reference 3")).to_be_visible()
            # The previews: the kept copies, served by the studio at /assets/, not broken.
            page.wait_for_function(
                "() => { const shown = [...document.querySelectorAll('img[alt^=reference]')];"
                " return shown.length === 3 && shown.every(i => i.complete && i.naturalWidth > 0);"
                " }",
                timeout=30_000,
            )
            assert any(url.endswith("/_stcore/stream") for url in frames)
            # Kept in the bucket: the service may fetch a picture from either server.
            shown = page.eval_on_selector_all(
                "img[alt^=reference]", "all => all.map(i => new URL(i.src).pathname)"
            )
            for server in two_studios:
                for path in shown:
                    reply = requests.get(f"{server.url}{path}", timeout=30)
                    assert reply.status_code == 200, (server.url, path)
                    assert reply.headers["content-type"].startswith("image/")
            assert f":{proxy.port}/" in frames[0]  # the websocket went through the proxy
            cookie = next(c for c in context.cookies() if c["name"] == "studio_affinity")
        finally:
            page.screenshot(path=str(screenshot("through-nginx-with-affinity")), full_page=True)
            context.close()  # the websocket closes: its log line is written

        # nginx writes a websocket's line once it has seen the connection end.
        mine = wait_for_lines(
            proxy,
            lambda line: line["affinity"] == cookie["value"],
            until=lambda lines: any(line["path"] == "/_stcore/stream" for line in lines),
        )
        assert {line["upstream"] for line in mine} == {next(line["upstream"] for line in mine)}, (
            mine
        )  # one server for everything this browser asked
        assert [line["status"] for line in mine if line["path"] == "/_stcore/stream"] == ["101"]
        assert len([line for line in mine if line["path"].startswith(UPLOAD)]) == 3
        assert len([line for line in mine if line["path"].startswith("/assets/")]) >= 3

        # Browsers spread over both servers: fresh visitors, each routed on its own cookie.
        for _visitor in range(30):
            requests.get(f"{proxy.url}/api/health", timeout=30).raise_for_status()
        fresh = [line for line in proxy.access_log() if line["path"] == "/api/health"]
        assert {line["upstream"] for line in fresh} == set(upstreams(two_studios))


def test_without_affinity_an_upload_reaching_the_other_server_is_refused(
    two_studios, browser, tmp_path
):
    """Round robin sends a browser's requests to both servers in turn (one nginx worker,
    one browser: nothing else takes a turn), so of two pictures chosen at once exactly one
    reaches the server that holds no session for the page, and is refused with 400. The
    person sees that picture marked with a red "!" and nothing else."""
    with running_nginx(upstreams(two_studios), affinity=False) as proxy:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            open_create_through(page, proxy)
            assert upload(page, pictures(tmp_path, 2)) == [204, 400]
        finally:
            page.screenshot(path=str(screenshot("through-nginx-without-affinity")))
            context.close()
        uploads = [line for line in proxy.access_log() if line["path"].startswith(UPLOAD)]
        assert sorted(line["status"] for line in uploads) == ["204", "400"]
        assert {line["upstream"] for line in uploads} == set(upstreams(two_studios))


def wait_for_lines(proxy: RunningNginx, which, until, limit: float = 30) -> list[dict]:
    """The access log's lines that `which` picks, once `until` holds for them."""
    deadline = time.monotonic() + limit
    while True:
        lines = [line for line in proxy.access_log() if which(line)]
        if until(lines):
            return lines
        assert time.monotonic() < deadline, f"the access log never showed it:\n{lines}"
        time.sleep(0.1)


def screenshot(name: str) -> Path:
    folder = SCREENSHOTS / "services"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"
