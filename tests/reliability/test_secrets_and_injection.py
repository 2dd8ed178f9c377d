"""Secrets and injection (issue 6, part 6).

- A real-looking API key is configured and videos go through (made, failed, refused for
  money, refused for the key, a provider error, a provider that echoes the key back); then
  every page, route reply, log line, database row and file is searched for the key.
- Code typed into a prompt, a name or a campaign shows as the characters typed, never as
  HTML, Markdown, colours or maths.
- A tampered reply pointing the video link at an internal address (directly or by a
  redirect) never makes the studio fetch it; the video is marked and not retried.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import string
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import MetaData, select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Code, Dataframe, Html, Text

from lib.create import keys
from lib.domain.access import SignIn
from lib.domain.markdown import escape_markdown
from lib.embedded_wave.background import free_port
from lib.embedded_wave.settings import Faults
from lib.engine.pictures import store_reference_image
from lib.engine.runtime import media_policy, set_current
from lib.engine.submissions import submit_video
from lib.store.tasks import NewTask, Store
from tests import images
from tests.costs.test_costs import costs_page
from tests.create.test_page import generate, plain
from tests.engine.test_tracker import wait_archived
from tests.factories import PRICE, REQUEST, make
from tests.history.pages import history, texts
from tests.reliability import figures
from tests.reliability.canary import connections, listener, touching
from tests.studio_harness import ROOT, STUDIO, RunningStudio, running_studio

KEY = "xai-" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60))
# The whole key, and its start and end: 20 random characters are a leak on their own.
NEEDLES = (KEY.encode(), KEY[:24].encode(), KEY[-20:].encode())


# ----- looking for the key -------------------------------------------------------------------
@dataclass
class Scan:
    places: Counter[str] = field(default_factory=Counter)
    leaks: list[str] = field(default_factory=list)

    def look(self, kind: str, where: str, content: str | bytes) -> None:
        data = content if isinstance(content, bytes) else content.encode("utf-8", "replace")
        self.places[kind] += 1
        if any(needle in data for needle in NEEDLES):
            self.leaks.append(f"{kind}: {where}")

    def page(self, at: AppTest, where: str) -> None:
        """Every element of a page run (its whole message, as sent to the browser), what
        the session holds, and any exception."""
        for node in at._tree:  # every block and element, sidebar and toasts included
            if getattr(node, "proto", None) is not None:
                self.look("page elements", f"{where}: {node.type}", str(node.proto))
        self.look("page sessions", where, repr(at.session_state.to_dict()))
        self.look("page exceptions", where, repr(list(at.exception)))

    def reply(self, reply: requests.Response, where: str) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in reply.headers.items())
        head = f"{reply.status_code}\n{headers}\n".encode()
        self.look("route replies", where, head + reply.content)

    def store(self, store: Store, where: str) -> None:
        """Every row of every table, as text."""
        tables = MetaData()
        tables.reflect(store.engine)
        with store.engine.connect() as connection:
            for table in tables.sorted_tables:
                for row in connection.execute(select(table)):
                    self.look("database rows", f"{where}.{table.name}", repr(tuple(row)))

    def files(self, folder: Path, where: str) -> None:
        """The raw bytes of every file (the SQLite file and its journal, videos, posters,
        pictures, the callback secret)."""
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                self.look("files", f"{where}/{path.relative_to(folder)}", path.read_bytes())

    def lines(self, kind: str, text: str) -> None:
        for number, line in enumerate(text.splitlines(), start=1):
            self.look(kind, f"line {number}", line)

    def record(self) -> None:
        """Add this scan to the run's figures (both tests' scans count)."""
        SCANNED.places.update(self.places)
        SCANNED.leaks.extend(self.leaks)
        places = sorted(SCANNED.places.items())
        scanned = ", ".join(f"{count} {kind}" for kind, count in places)
        figures.record("Secrets", "places scanned for the API key", scanned)
        figures.record("Secrets", "leaks found", len(SCANNED.leaks), "0")


SCANNED = Scan()  # everything scanned in this run


@contextmanager
def every_log_line() -> Iterator[list[str]]:
    """Every record logged meanwhile, at DEBUG and up, formatted with its traceback."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# ----- studios with the key ----------------------------------------------------------------
@contextmanager
def keyed_studio(data_dir: Path, api_url: str, **changes: Any) -> Iterator[RunningStudio]:
    """A studio that talks to `api_url` with KEY, as WAVE_API_KEY and WAVE_BASE_URL do.
    The test providers are plain http on this machine, so their origin is allowed for
    downloads (in production only https on the API's domain is)."""
    config = {"wave_api_key": KEY, "wave_base_url": api_url}
    with running_studio(data_dir, config_changes=config, **changes) as rs:
        origin = api_url.rsplit("/v1", 1)[0]
        rs.studio.tracker.media_policy = replace(
            media_policy(rs.studio.config), local_origins=(origin,)
        )
        yield rs


@contextmanager
def on_pages_of(rs: RunningStudio) -> Iterator[RunningStudio]:
    set_current(rs.studio)
    try:
        yield rs
    finally:
        set_current(None)


def create(prompt: str, duration: int = 6) -> AppTest:
    """Ana asks for a video on the Create page."""
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.session_state["who"] = "Ana Lopez"
    at.run()
    at.text_area(key=keys.PROMPT).input(prompt)
    at.number_input(key=keys.DURATION).set_value(duration).run()
    return generate(at)


@contextmanager
def echoing_provider() -> Iterator[str]:
    """A service (or a proxy in front of it) that repeats the request's Authorization
    header in its error messages. -> its API URL."""

    class Handler(BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            said = self.headers.get("Authorization", "")
            status, code = (400, "invalid_request") if self.command == "POST" else (401, "x")
            body = json.dumps(
                {"error": {"message": f"Refused {said}", "code": code, "param": "prompt"}}
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _refuse

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_the_api_key_is_never_shown_logged_or_stored(tmp_path, start_wave, capfd):
    net = Scan()
    net.look("self-test", "a header", f"Authorization: Bearer {KEY[:-3]}...")
    assert net.leaks  # the net catches even part of the key
    scan = Scan()
    with every_log_line() as logged, ExitStack() as stack:
        provider = start_wave(tmp_path / "provider", starting_balance_usd=Decimal("0.10"))
        strict = start_wave(tmp_path / "strict", api_keys=("xai-someone-else",))
        echo_url = stack.enter_context(echoing_provider())
        rs = stack.enter_context(keyed_studio(tmp_path / "main", provider.running.api_url))
        locked = stack.enter_context(keyed_studio(tmp_path / "locked", strict.running.api_url))
        echoing = stack.enter_context(keyed_studio(tmp_path / "echo", echo_url))
        engine = provider.running.wave.engine

        with on_pages_of(rs):
            made = create("A lighthouse in a storm")
            scan.page(made, "create: sent")
            task_id = made.session_state["create.result"].task_id
            assert wait_archived(rs, task_id).archive_state == "archived"
            engine.set_faults(Faults(task_failure_rate=1.0, task_failure_codes=("task_failed",)))
            failed = create("A lighthouse in the fog")
            assert wait_archived(rs, failed.session_state["create.result"].task_id).error_code
            engine.set_faults(Faults())
            poor = create("A lighthouse at noon", duration=30)  # $0.2231; $0.0554 is left
            assert "not enough credit" in poor.warning[0].value
            scan.page(poor, "create: not enough credit")
            engine.set_faults(Faults(error_500_rate=1.0))
            broken = create("A lighthouse at night")
            assert "keeps trying" in broken.info[0].value
            scan.page(broken, "create: the service is failing")
            for name, page in (("history", history()), ("costs", costs_page())):
                scan.page(page, name)
        with on_pages_of(locked):
            refused = create("A lighthouse at dawn")
            assert "did not accept the studio's access key" in refused.warning[0].value
            scan.page(refused, "create: key refused")
        with on_pages_of(echoing):
            echoed = create("A lighthouse at dusk")
            [field_error] = [plain(text) for text in texts(echoed.error)]
            assert field_error == "Refused Bearer ***"  # the service's words, key blotted out
            scan.page(echoed, "create: the key echoed back")

        # Every route of the studio, the way a browser or the service would call it.
        done = rs.studio.store.get_task(task_id)
        asset, _ = store_reference_image(rs.studio, images.jpeg(64, 64), "me.jpg", "Ana")
        base, hook = rs.base_url, f"{rs.base_url}/api/callbacks/wave/test-callback-secret"
        for where, reply in {
            "health": requests.get(f"{base}/api/health", timeout=10),
            "asset": requests.get(f"{base}/assets/{asset.file_name}", timeout=10),
            "missing asset": requests.get(f"{base}/assets/nothing.jpg", timeout=10),
            "video": requests.get(f"{base}/library/{done.video_file}", timeout=10),
            "poster": requests.get(f"{base}/library/{done.poster_file}", timeout=10),
            "missing video": requests.get(f"{base}/library/nothing.mp4", timeout=10),
            "no such page": requests.get(f"{base}/api/nothing", timeout=10),
            "callback": requests.post(hook, json={"task_id": done.wave_task_id}, timeout=10),
            "callback, unknown": requests.post(hook, json={"task_id": "x"}, timeout=10),
            "callback, not JSON": requests.post(hook, data=b"{", timeout=10),
            "callback, too big": requests.post(hook, data=b"x" * 100_000, timeout=10),
            "callback, wrong secret": requests.post(f"{hook}x", json={}, timeout=10),
        }.items():
            scan.reply(reply, where)
        for name, studio in (("main", rs), ("locked", locked), ("echo", echoing)):
            scan.store(studio.studio.store, name)
            objects = repr(studio.studio.config) + repr(studio.studio.client)
            scan.look("studio objects", name, objects)
    for name in ("main", "locked", "echo"):
        scan.files(tmp_path / name, name)
    scan.lines("log lines", "\n".join(logged))
    out, err = capfd.readouterr()
    scan.lines("console lines", out + err)
    scan.record()
    assert scan.leaks == []
    # The nets were real: they caught the requests, the provider's errors, the rows.
    assert any("Wave POST /tasks: HTTP 500" in line for line in logged)
    assert any('"GET /v1/dashboard/billing/balance HTTP/1.1" 401' in line for line in logged)
    assert scan.places["database rows"] > 10 and scan.places["page elements"] > 100


def test_a_studio_server_with_a_key_keeps_it_to_itself(tmp_path, start_wave):
    """`streamlit run app.py` with WAVE_API_KEY set: its console, its routes and pages,
    its data folder. Its tracker sends a stored request itself (as after a crash just
    before sending) and follows it to the end."""
    scan = Scan()
    provider = start_wave(tmp_path / "provider")
    data = tmp_path / "data"
    store = Store.open(f"sqlite:///{data / 'studio.sqlite3'}")
    now = datetime.now(UTC)
    stored, _ = store.create_task(
        NewTask("stored-before-a-crash", REQUEST, "Ana", "", PRICE), now - timedelta(minutes=2)
    )
    store.reschedule(stored.id, now)
    port = free_port()
    env = {**os.environ, "WAVE_API_KEY": KEY, "WAVE_BASE_URL": provider.running.api_url}
    env["STUDIO_DATA_DIR"] = str(data)
    env["STUDIO_SIGN_IN"] = "open"  # its pages and routes, as people see them (issue 16)
    console = tmp_path / "console.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    with console.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/api/health", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                assert process.poll() is None, console.read_text()[-3000:]
                assert time.monotonic() < deadline, "the studio did not start"
                time.sleep(0.2)
        deadline = time.monotonic() + 60
        while (row := store.get_task(stored.id)).archive_state == "none" or row.tracking:
            assert time.monotonic() < deadline, row
            time.sleep(0.2)
        # The service's link is plain http here, which a real studio never downloads.
        assert row.status == "completed" and row.archive_state == "failed"
        hook = f"{base}/api/callbacks/wave/{(data / '.callback-secret').read_text().strip()}"
        for where, path in {
            "page": "/",
            "history page": "/history",
            "costs page": "/costs",
            "health": "/api/health",
            "streamlit health": "/_stcore/health",
            "streamlit host config": "/_stcore/host-config",
            "missing asset": "/assets/nothing.jpg",
            "missing video": "/library/nothing.mp4",
            "no embedded API with a key": "/wave/v1/tasks/x",
        }.items():
            scan.reply(requests.get(base + path, timeout=10), where)
        scan.reply(requests.post(hook, json={"task_id": row.wave_task_id}, timeout=10), "hook")
        scan.reply(requests.post(hook, json={"task_id": "x"}, timeout=10), "hook, unknown")
    finally:
        process.terminate()
        process.wait(timeout=30)
    scan.lines("server console lines", console.read_text())
    scan.store(store, "server")
    store.engine.dispose()
    scan.files(data, "server")
    scan.record()
    assert scan.leaks == []
    assert "refused to fetch the video" in console.read_text()  # the console was captured


# ----- code typed by people shows as text ------------------------------------------------------
CODE = (
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    "**bold**",
    "[link](javascript:alert(1))",
    "![img](http://169.254.169.254/latest/meta-data)",
    ":red[red alert]",
    "$x^2$",
)
PROMPT = "A calm sea at dawn. " * 12 + " ".join(CODE)  # long: "Full prompt" shows it all
PERSON = "<b>Eve</b> :red[boss] $5$"
CAMPAIGN = "**Launch** [x](javascript:1) ![i](http://169.254.169.254/)"
TYPED = (*CODE, PERSON, CAMPAIGN)
PLAIN_ELEMENTS = (Text, Code, Dataframe)  # shown as typed, whatever the characters
MARKDOWN_FIELDS = {"body", "label", "help", "caption"}  # read as Markdown by Streamlit


def strings(message: Any) -> Iterator[tuple[str, str]]:
    """(field name, text) of every string in a protobuf message, nested ones included."""
    for described, value in message.ListFields():
        items = value if described.is_repeated else [value]
        for item in items:
            if described.type == described.TYPE_MESSAGE:
                yield from strings(item)
            elif described.type == described.TYPE_STRING:
                yield described.name, item


def rendered_as_code(at: AppTest) -> tuple[int, list[str]]:
    """-> (texts checked, the typed strings that reach Markdown or HTML unescaped)."""
    checked, found = 0, []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is None or isinstance(node, PLAIN_ELEMENTS):
            continue
        for name, text in strings(proto):
            if isinstance(node, Html):
                live = [t for t in TYPED if t in text and any(c in t for c in "<>\"'&")]
            elif name in MARKDOWN_FIELDS:
                live = [t for t in TYPED if t in text]
            else:
                continue  # options, values, placeholders: plain text
            checked += 1
            found += [f"{node.type}.{name}: {t}" for t in live]
    return checked, found


@pytest.fixture
def quiet(studio: RunningStudio) -> RunningStudio:
    studio.studio.tracker.stop()  # tasks made in the store stay as made
    return studio


def test_code_in_prompts_names_and_campaigns_shows_as_typed(quiet):
    store = quiet.studio.store
    make(store, "archived", prompt=PROMPT, person=PERSON, campaign=CAMPAIGN)
    make(store, "failed", person=PERSON, campaign=CAMPAIGN, code="odd_code", message=PROMPT)
    create_page = AppTest.from_file(STUDIO, default_timeout=30).run()
    signed_in = AppTest.from_file(STUDIO, default_timeout=30)
    signed_in.user = {"is_logged_in": True, "name": PERSON, "email": "eve@example.com"}
    open_mode = quiet.studio.config
    quiet.studio.config = replace(open_mode, sign_in=SignIn.OIDC)  # st.user counts there only
    signed_in.run()
    quiet.studio.config = open_mode
    pages = {
        "history": history(who=PERSON),
        "history, one video": history(who=PERSON, task=make(store, "queued", prompt=PROMPT)),
        "create": create_page,
        "costs": costs_page(),
        "signed in": signed_in,
    }
    checked, as_code = 0, []
    for name, at in pages.items():
        assert not at.exception, at.exception
        count, found = rendered_as_code(at)
        checked += count
        as_code += [f"{name}: {what}" for what in found]
    figures.record("Injection", "texts checked for code", checked)
    figures.record("Injection", "typed code rendered as code", len(as_code), "0")
    assert as_code == []

    # And each shows as the characters typed.
    board = pages["history"]
    assert PROMPT in texts(board.text)  # under "Full prompt", in full
    bylines = [c for c in texts(board.caption) if escape_markdown(PERSON) in c]
    assert len(bylines) == 2 and all(escape_markdown(CAMPAIGN) in c for c in bylines)
    assert f"The service said: {escape_markdown(PROMPT)}" in texts(board.caption)
    assert CAMPAIGN in board.selectbox(key="history.campaign").options
    assert PERSON in board.selectbox(key="history.person").options
    assert CAMPAIGN in pages["create"].selectbox(key=keys.CAMPAIGN).options
    assert f"Signed in as **{escape_markdown(PERSON)}** · Member" in texts(
        pages["signed in"].sidebar.markdown
    )


# ----- tampered video links ----------------------------------------------------------------------
@contextmanager
def tampering_provider(links: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """A service that makes every video at once and says it is at `links[prompt]`.
    -> (its API URL, the requests it got)."""
    made: dict[str, dict] = {}
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            seen.append(f"POST {self.path}")
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            task_id = f"task-wave{len(made)}{uuid.uuid4().hex[:8]}"
            link = links[request["prompt"]]
            made[task_id] = {
                "task_id": task_id,
                "status": "completed",
                "model": request["model"],
                "progress": 100,
                "created_at": int(time.time() * 1000),
                "completed_at": int(time.time() * 1000),
                "cost": PRICE,
                "result": {"videos": [{"url": [link], "expires_at": int(time.time()) + 3600}]},
            }
            self._answer(200, made[task_id])

        def do_GET(self) -> None:
            seen.append(f"GET {self.path}")
            task = made.get(self.path.rsplit("/", 1)[-1])
            self._answer(200, task) if task else self._answer(404, {"error": {"code": "x"}})

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def redirector(to: dict[str, str]) -> Iterator[tuple[str, list[dict]]]:
    """An allowed media host that answers `to[path]` as a redirect. -> (origin, requests)."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
            self.send_response(302)
            self.send_header("Location", to[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_tampered_video_links_are_never_fetched(tmp_path):
    with ExitStack() as stack:
        internal = stack.enter_context(listener())
        metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
        hops = {"/to-internal.mp4": f"{internal.url}/x.mp4", "/to-metadata.mp4": metadata}
        allowed, hopped = stack.enter_context(redirector(hops))
        links = {
            "an internal address": f"{internal.url}/x.mp4",
            "the cloud metadata address": metadata,
            "an https host that is not allowed": "https://evil.example/x.mp4",
            "a private address over https": "https://10.0.0.1/x.mp4",
            "an allowed host redirecting inside": f"{allowed}/to-internal.mp4",
            "an allowed host redirecting to metadata": f"{allowed}/to-metadata.mp4",
        }
        api_url, asked = stack.enter_context(tampering_provider(links))
        opened = stack.enter_context(connections())
        rs = stack.enter_context(keyed_studio(tmp_path / "studio", api_url, callbacks=False))
        # The redirector stands for an allowed host (STUDIO_MEDIA_HOSTS): plain http here.
        policy = media_policy(rs.studio.config)
        rs.studio.tracker.media_policy = replace(policy, local_origins=(allowed,))
        tasks = [
            submit_video(rs.studio, {**REQUEST, "prompt": case}, "Ana", "", uuid.uuid4().hex).task
            for case in links
        ]
        done = {task.prompt: wait_archived(rs, task.id) for task in tasks}
        heard = len(asked) + len(hopped) + len(internal.hits)
        time.sleep(3)  # the tracker scans the store every second: nothing more may happen
        later = len(asked) + len(hopped) + len(internal.hits) - heard
        with on_pages_of(rs):
            board = history()

    forbidden = [
        *touching(opened, "127.0.0.1", internal.port),
        *touching(opened, "169.254.169.254"),
        *touching(opened, "10.0.0.1"),
        *touching(opened, "evil.example"),
    ]
    fetches = len(internal.hits) + len(forbidden)
    figures.record("Secrets", "internal fetches from tampered video links", fetches, "0")
    assert internal.hits == [] and forbidden == []
    assert later == 0  # given up at once, not tried again
    assert [hop["path"] for hop in hopped] == ["/to-internal.mp4", "/to-metadata.mp4"]
    assert all(hop["authorization"] is None for hop in hopped)  # never the key, anywhere
    for case, task in done.items():
        assert (task.status, task.archive_state, task.tracking) == ("completed", "failed", False)
        assert task.archive_attempts == 1, case
        assert task.archive_error.startswith("The studio did not download this video"), case
    warnings = texts(board.warning)
    assert len(warnings) == len(links)
    assert set(warnings) == {
        "The video was made, but the studio couldn't save a copy, so it can't be played "
        "here. It was still charged ($0.0446)."
    }
    # The reason, in the studio's own words (not put in the service's mouth).
    captions = texts(board.caption)
    for task in done.values():
        assert f"Details: {escape_markdown(task.archive_error)}" in captions
