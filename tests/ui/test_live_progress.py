"""What an open History page does when its held request is cut and comes back: the
page's own code (lib/ui/live_progress.py's script, run by Node.js with the studio's real
`/api/history/changes` route), not a browser."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lib.server import routes
from lib.ui.live_progress import _JS
from lib.wave import parse_task
from tests.factories import FAR, make

# Runs the bar's script as the page does (one bar, drawn "processing"), with `fetch`
# wrapped: the first held request is cut mid-way when the test says so, and fails as a
# dropped connection does once the test says the page is back. A rerun asked for by the
# bar (what the page sends Streamlit) is printed.
DRIVER = """
import readline from 'node:readline';
const [, , modulePath, base, id, state] = process.argv;
const say = (message) => console.log(JSON.stringify(message));
const orders = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const realFetch = globalThis.fetch;
let asked = 0;
globalThis.fetch = async (url, options) => {
  asked += 1;
  say({ asked: String(url) });
  if (asked > 1) return realFetch(base + url, options);
  const line = new AbortController();
  options.signal.addEventListener('abort', () => line.abort());
  realFetch(base + url, { ...options, signal: line.signal }).catch(() => {});
  await orders.next(); // "cut"
  line.abort(); // the connection drops mid-way
  say({ cut: true });
  await orders.next(); // "back": the video changed meanwhile
  throw new TypeError('fetch failed');
};
const { default: bar } = await import(modulePath);
bar({
  data: {
    id, state, url: '/api/history/changes', wait: 25, now: Date.now(),
    bar: { percent: 40, words: 'Being made', few: 10, motion: null },
  },
  setTriggerValue: (name) => { say({ rerun: id, trigger: name, asked }); process.exit(0); },
  parentElement: { querySelector: () => null },
});
"""


class Page:
    """The bar's script in Node.js, talking to the studio at `base`."""

    def __init__(self, folder: Path, base: str, task_id: str, state: str):
        module, driver = folder / "live_progress.mjs", folder / "page.mjs"
        module.write_text(_JS)
        driver.write_text(DRIVER)
        self.process = subprocess.Popen(
            ["node", str(driver), str(module), base, task_id, state],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.said: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.said.put(json.loads(line))

    def next(self, seconds: float = 30) -> dict:
        return self.said.get(timeout=seconds)

    def order(self, word: str) -> None:
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def wait_until(check, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)


def test_a_held_request_cut_midway_is_asked_again_and_the_page_catches_up(studio, tmp_path):
    studio.studio.tracker.stop()
    store = studio.studio.store
    making = make(store, "processing")
    routes._watches.clear()
    page = Page(tmp_path, studio.base_url, making, "processing/none")
    try:
        first = page.next()
        assert f"ids={making}" in first["asked"] and "states=processing%2Fnone" in first["asked"]
        wait_until(lambda: len(getattr(routes._watches.get(store), "_waiters", ())) == 1)
        page.order("cut")
        assert page.next() == {"cut": True}
        # The studio lets the cut request go (nothing left waiting for it) ...
        wait_until(lambda: not routes._watches[store]._waiters)
        # ... and the video is done while the page is away.
        video = {"url": "https://wave.example/v.mp4", "expires_at": 1795586400}
        done = {"task_id": f"task-wave-{making}", "status": "completed"}
        done["result"] = {"videos": [video]}
        store.apply_state(making, parse_task(done), "service", datetime.now(UTC), FAR)
        files = {"video_file": f"{making}.mp4", "poster_file": f"{making}.jpg"}
        store.record_archived(making, files, datetime.now(UTC))
        page.order("back")
        # The page asks again with the state it drew, is told at once, and draws the card
        # again (a rerun of that card).
        again = page.next()
        assert f"ids={making}" in again["asked"] and "states=processing%2Fnone" in again["asked"]
        assert page.next() == {"rerun": making, "trigger": "changed", "asked": 2}
    finally:
        page.close()


# Two bars, "a" and "b", being made. The first held request is answered "a changed"; the
# next ones are held until the page lets them go. The page's steps (what Streamlit does
# to it) come from the test: "finish a" removes a's bar (its card drawn again, finished),
# "step b" draws b's bar again in a new state. Each request and each let-go is printed.
KEEPS = """
import readline from 'node:readline';
const [, , modulePath] = process.argv;
const say = (message) => console.log(JSON.stringify(message));
const orders = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
let asked = 0;
globalThis.fetch = async (url, options) => {
  asked += 1;
  const n = asked;
  say({ asked: n, url: String(url) });
  if (n === 1) return { ok: true, json: async () => ({ changed: ['a'] }) };
  return new Promise((_, fail) => options.signal.addEventListener('abort', () => {
    say({ let_go: n });
    fail(new Error('let go'));
  }));
};
const { default: bar } = await import(modulePath);
const draw = (id, state) => bar({
  data: {
    id, state, url: '/api/history/changes', wait: 25, now: Date.now(),
    bar: { percent: 40, words: 'Being made', few: 10, motion: null },
  },
  setTriggerValue: () => say({ rerun: id }),
  parentElement: { querySelector: () => null },
});
const gone = { a: draw('a', 'processing/none') };
draw('b', 'processing/none');
for await (const order of orders) {
  if (order === 'finish a') gone.a();
  if (order === 'step b' || order === 'redraw b') draw('b', 'completed/pending');
  if (order === 'quit') process.exit(0);
}
"""


def test_a_finished_card_drawn_again_keeps_the_held_request_that_asks_the_same(tmp_path):
    """With 50 pages open, every video done cost each page a held request let go and a new
    one asking the same: now the one under way is kept; a bar drawn, in a new state or
    not, still gets a new request."""
    module, driver = tmp_path / "live_progress.mjs", tmp_path / "keeps.mjs"
    module.write_text(_JS)
    driver.write_text(KEEPS)
    page = subprocess.Popen(
        ["node", str(driver), str(module)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    said: queue.Queue[dict] = queue.Queue()
    threading.Thread(
        target=lambda: [said.put(json.loads(x)) for x in page.stdout], daemon=True
    ).start()

    def order(word: str) -> None:
        page.stdin.write(word + "\n")
        page.stdin.flush()

    def heard(seconds: float = 10) -> dict:
        return said.get(timeout=seconds)

    try:
        assert heard()["asked"] == 1
        assert heard() == {"rerun": "a"}
        second = heard()
        assert second["asked"] == 2 and "ids=b&" in second["url"]  # a waits for its rerun
        order("finish a")  # a's card drawn again, finished: no bar any more
        with pytest.raises(queue.Empty):
            heard(0.6)  # nothing let go, nothing asked anew
        order("step b")
        assert heard() == {"let_go": 2}
        third = heard()
        assert third["asked"] == 3 and "states=completed%2Fpending" in third["url"]
        # b drawn again as it was (the page run again after its connection came back):
        # asked anew all the same (the request under way may be on a dead connection).
        order("redraw b")
        assert heard() == {"let_go": 3}
        assert heard()["asked"] == 4
    finally:
        order("quit")
        page.wait(timeout=10)
