"""Money (issue 6, part 3): every way a submit can be repeated — a double click, a rerun,
a reload or second tab, a reply lost on the network — makes exactly one task in the store,
one task at the provider and one charge in the provider's wallet."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from streamlit.testing.v1 import AppTest

from lib.create import keys
from lib.create.submit import submission_key
from lib.domain.money import price_quota
from lib.embedded_wave.settings import Faults
from lib.engine.submissions import submit_video
from lib.store.tasks import Store
from tests.create.test_page import generate
from tests.engine.test_tracker import BODY, wait_archived
from tests.reliability import figures
from tests.reliability.provider_records import provider_tasks
from tests.studio_harness import ROOT, STUDIO, RunningStudio, running_studio

PRICE = price_quota(6)  # the 6 s default video, in quota
PROMPT = "A paper boat on a puddle, macro"
# case -> (store rows, provider tasks); printed as one figure at the end of the run.
TASKS_PER_CASE: dict[str, tuple[int, int]] = {}
DOUBLE_CHARGES: dict[str, int] = {}


# ----- what the provider says ------------------------------------------------------------
def provider_task_count(rs: RunningStudio) -> int:
    """How many tasks the provider made (its own records, not the studio's)."""
    return len(provider_tasks(rs.wave))


def charged_quota(rs: RunningStudio) -> int:
    """What the provider's wallet says was used, in quota."""
    reply = requests.get(
        f"{rs.base_url}/wave/v1/dashboard/billing/balance",
        headers={"Authorization": f"Bearer {rs.studio.config.api_key()}"},
        timeout=10,
    )
    reply.raise_for_status()
    return round(reply.json()["total_used_usd"] * 500_000)


def count_charges(rs: RunningStudio, case: str, videos_meant: int = 1, settle: bool = False):
    """Compare the store, the provider's tasks and its wallet, and record the figures.
    The wallet counts a task's price from the moment it is accepted (held, then charged
    when the video is made), so a second task would show at once; `settle` waits until
    every video is made and saved, and checks the final charges too."""
    rows = rs.studio.store.tasks()
    if settle:
        rows = [wait_archived(rs, row.id) for row in rows]
        assert all(row.archive_state == "archived" for row in rows), rows
    charged = charged_quota(rs)
    TASKS_PER_CASE[case] = (len(rows), provider_task_count(rs))
    DOUBLE_CHARGES[case] = charged // PRICE - videos_meant
    figures.record("Money", "double charges", sum(DOUBLE_CHARGES.values()), "0")
    figures.record(
        "Money",
        "tasks per case (store/provider)",
        ", ".join(f"{name} {s}/{p}" for name, (s, p) in TASKS_PER_CASE.items()),
        "1/1 each",
    )
    assert len(rows) == videos_meant
    assert provider_task_count(rs) == videos_meant
    assert charged == PRICE * videos_meant
    # The store holds (or has settled) exactly what the wallet says.
    column = "cost_quota" if settle else "pre_consumed_quota"
    assert sum(getattr(row, column) for row in rows) == charged


# ----- the Create page ----------------------------------------------------------------------
def create_page(who: str) -> AppTest:
    """A fresh browser session on Create, with a name and the prompt typed in."""
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.session_state["who"] = who
    at.run()
    at.text_area(key=keys.PROMPT).input(PROMPT).run()
    assert not at.exception, at.exception
    return at


def said_same_video(at: AppTest) -> bool:
    return any("same video, not a second one" in info.value for info in at.info)


def test_a_double_click_pays_once(studio):
    at = create_page("Ana Lopez")
    generate(at)
    generate(at)  # the second click of a double click
    assert said_same_video(at)
    count_charges(studio, "double click")


def test_a_rerun_then_the_same_click_pays_once(studio):
    at = create_page("Ana Lopez")
    generate(at)
    at.run()  # the page reruns (a widget elsewhere, a refresh of the fragment...)
    assert not at.exception, at.exception
    generate(at)
    assert said_same_video(at)
    count_charges(studio, "rerun")


def test_a_reload_or_second_tab_with_the_same_settings_pays_once(studio):
    first = create_page("Ana Lopez")
    generate(first)
    again = create_page("Ana Lopez")  # a new session: a reload, or a second tab
    generate(again)
    assert said_same_video(again)
    # Someone else asking for the very same video at the same moment gets their own.
    other = create_page("Bo Chen")
    generate(other)
    assert not said_same_video(other)
    count_charges(studio, "reload / second tab", videos_meant=2)
    assert sorted(row.person for row in studio.studio.store.tasks()) == ["Ana Lopez", "Bo Chen"]


# ----- replies lost on the network ---------------------------------------------------------------
@contextmanager
def heal_after_first(rs: RunningStudio, counter: str) -> Iterator[None]:
    """Faults stay on until `counter` shows the first fault happened, then the network
    heals (so the client's own retry, with the same key, gets through)."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if rs.counters().get(counter, 0) >= 1:
                rs.wave.engine.set_faults(Faults())
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=5)


def test_a_submit_whose_reply_was_dropped_is_sent_again_with_the_same_key(tmp_path, database_url):
    """The provider accepts and charges, then the connection drops — every time, so the
    submit is left pending and the tracker re-sends it later with the same key."""
    with running_studio(
        tmp_path,
        wave_changes={"faults": Faults(drop_rate=1.0)},
        config_changes={"database_url": database_url},
    ) as rs:
        outcome = submit_video(rs.studio, BODY, "Ana", "", "lost-reply-key")
        assert outcome.pending and outcome.task.status == "submitting"
        assert rs.counters()["faults.drop.submit"] == 3  # the client's 3 tries, one key
        assert provider_task_count(rs) == 1  # the first try was carried out (and charged)
        rs.wave.engine.set_faults(Faults())  # the network heals
        count_charges(rs, "reply dropped", settle=True)
        assert rs.counters()["requests.submit"] == 4  # the tracker's re-send found it


def test_a_submit_whose_first_reply_was_dropped_is_retried_at_once_with_the_same_key(tmp_path):
    # With this seed the first reply drops and the second does not.
    faults = Faults(drop_rate=0.5, seed=1)
    with running_studio(tmp_path, wave_changes={"faults": faults}) as rs:
        outcome = submit_video(rs.studio, BODY, "Ana", "", "dropped-once-key")
        rs.wave.engine.set_faults(Faults())
        assert not outcome.pending and outcome.task.wave_task_id
        counts = rs.counters()
        assert (counts["faults.drop.submit"], counts["requests.submit"]) == (1, 2)
        count_charges(rs, "reply dropped once")


def test_a_read_timeout_after_the_provider_accepted_is_retried_with_the_same_key(tmp_path):
    """The provider makes (and charges) the task, but its reply comes after the client's
    read timeout; the client asks again with the same key and gets that same task."""
    late = Faults(late_rate=1.0, slow_seconds=3.0)
    with running_studio(
        tmp_path, wave_changes={"faults": late}, client_changes={"read_timeout": 0.5}
    ) as rs:
        with heal_after_first(rs, "faults.late.submit"):
            outcome = submit_video(rs.studio, BODY, "Ana", "", "late-reply-key")
        assert not outcome.pending and outcome.task.wave_task_id
        counts = rs.counters()
        assert (counts["faults.late.submit"], counts["requests.submit"]) == (1, 2)
        count_charges(rs, "reply after read timeout")


# ----- a second tab landing on another server (issue 15) --------------------------------
SECOND_SERVER_KEY = """
import sys
from lib.create.submit import submission_key
from lib.store.tasks import Store
print(submission_key(Store.open(sys.argv[1]), {"prompt": sys.argv[2]}, "Ana Lopez"))
"""


def key_on_another_server(database_url: str, prompt: str) -> str:
    """The key another server process sharing the database gives the same click."""
    done = subprocess.run(
        [sys.executable, "-c", SECOND_SERVER_KEY, database_url, prompt],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_same_click_on_two_servers_sharing_a_database_gets_one_key(database_url):
    """A reload or a second tab that the load balancer sends to the other server is the
    same submission: the recent clicks live in the store, not in one process's memory."""
    store = Store.open(database_url)
    try:
        here = submission_key(store, {"prompt": PROMPT}, "Ana Lopez")
        assert key_on_another_server(database_url, PROMPT) == here
        # Other settings are another video: a key of their own.
        assert key_on_another_server(database_url, "A different video") != here
    finally:
        store.engine.dispose()
