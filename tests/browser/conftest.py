"""Browser tests: the studio started for real (`streamlit run app.py` on a free port, a
temporary data folder, the embedded API sped up) and Debian's Chromium driven by
Playwright, acting as a person would. A screenshot of the page is kept after each test
in test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lib.embedded_wave.background import free_port
from tests.waiting import wait_until_up

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@dataclass
class StudioProcess:
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    # Benchmarks reuse this: another script (a naive page to compare with), extra
    # variables, and the address that answers once it is up (/_stcore/health without
    # the studio's routes).
    script: str = "app.py"
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/api/health"
    # Where it runs: Streamlit reads .streamlit/ (config, secrets) from there.
    cwd: Path = ROOT

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **{name: value for name, value in os.environ.items() if name != "WAVE_API_KEY"},
            "STUDIO_DATA_DIR": str(self.data_dir),
            "STUDIO_EMBEDDED_TIME_SCALE": os.environ.get("BROWSER_TEST_TIME_SCALE", "0.6"),
            **self.env,  # a test's own WAVE_API_KEY (a shared provider) is kept
        }
        self.log_path = self.data_dir.parent / f"studio-{self.port}.log"
        command = [sys.executable, "-m", "streamlit", "run", self.script]
        command += ["--server.port", str(self.port), "--server.address", "127.0.0.1"]
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env=env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        log = self.log_path
        wait_until_up(
            f"{self.url}{self.ready_path}", self.process, 90, lambda: log.read_text()[-3000:]
        )

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture(scope="module")
def studio_server(tmp_path_factory) -> Iterator[StudioProcess]:
    server = StudioProcess(tmp_path_factory.mktemp("browser") / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: scripts/test.sh installs it with apt-get")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# expect() waits 5 s by default: too little for a first render on two busy cores (a
# just-started server's first page took over 20 s with the machine's load at 8).
expect.set_options(timeout=45_000)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps the test's own outcome on it, for the page fixture's screenshots."""
    report = yield
    if report.when == "call":
        item.outcome_of_call = report
    return report


PAGES = {"create": "/", "history": "/history", "costs": "/costs"}
PERSON = "Ana Lopez"


def remember_name(context, url: str, name: str = PERSON) -> None:
    """The browser remembers `name`, as after typing it in the sidebar once (the
    studio's cookie, lib/ui/identity.py): every page opened in `context` knows who it is."""
    from urllib.parse import quote

    from lib.ui.identity import COOKIE

    context.add_cookies([{"name": COOKIE, "value": quote(name), "url": url}])


@pytest.fixture
def page(browser, request):
    """A page of a browser that has not been told any name yet (see remember_name)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    # The screen as the flow left it; then, after a failure (or with
    # STUDIO_TEST_SCREENSHOTS=pages), each page of the studio: a tour costs ~8 s a test.
    folder = SCREENSHOTS / request.node.name.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    call = getattr(request.node, "outcome_of_call", None)
    tour = os.environ.get("STUDIO_TEST_SCREENSHOTS") == "pages" or call is None or call.failed
    try:
        page.screenshot(path=str(folder / "0-end-of-flow.png"), full_page=True)
        origin = page.evaluate("() => location.origin")
        if tour and origin.startswith("http"):
            for number, (name, path) in enumerate(PAGES.items(), start=1):
                page.goto(f"{origin}{path}")
                page.wait_for_timeout(2500)
                page.screenshot(path=str(folder / f"{number}-{name}.png"), full_page=True)
    except Exception as exc:  # a screenshot is a keepsake: a closed server must not fail
        print(f"screenshots of {request.node.name} incomplete: {exc}")
    finally:
        context.close()
