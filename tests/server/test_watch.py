"""lib/server/watch.py on its own: how many reads of the store the held requests of many
open History pages cost when they all come at once."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from lib.server.watch import StateWatch
from lib.store.signal import Signal

STATES = {f"video-{n}": "running" for n in range(3)}


class CountedReads:
    """The store's states, each read taking a moment (as a query does) and counted."""

    def __init__(self, states: dict[str, str]):
        self.states = dict(states)
        self.reads = 0
        self.began = threading.Event()  # a read has taken its answer
        self._lock = threading.Lock()

    def __call__(self, ids):
        with self._lock:
            self.reads += 1
            read = {i: self.states[i] for i in ids if i in self.states}
        self.began.set()
        time.sleep(0.05)  # the answer is what was there when the read began
        return read


def run_apart(coroutine):
    """Run it in an event loop of its own thread, as the server's is: this test thread may
    hold a running loop already (Playwright's sync API keeps one for the browser tests)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def ask_together(watch: StateWatch, expected: list[dict[str, str]]) -> list[list[str]]:
    async def all_at_once():
        return await asyncio.gather(*(watch.wait(e, timeout=0) for e in expected))

    return run_apart(all_at_once())


def test_fifty_pages_asking_at_once_after_a_change_share_their_reads_of_the_store():
    """After a change in this process no reading is recent enough to answer from, so each
    request must be read for: 50 at once cost one read (and one for those that came while
    it ran), not one each."""
    store = CountedReads(STATES)
    watch = StateWatch(store, Signal(), every=0.5)

    answers = ask_together(watch, [STATES] * 50)

    assert answers == [[]] * 50  # nothing moved: every page keeps its cards
    assert store.reads <= 2, store.reads  # was 50


def test_pages_asking_together_are_each_told_what_moved_for_them():
    store = CountedReads({**STATES, "video-1": "done"})
    watch = StateWatch(store, Signal(), every=0.5)
    only_0 = {"video-0": "running"}
    only_1 = {"video-1": "running"}

    answers = ask_together(watch, [only_0, only_1, STATES, only_1])

    assert answers == [[], ["video-1"], ["video-1"], ["video-1"]]
    assert store.reads <= 2, store.reads


def test_a_request_that_comes_while_a_read_runs_is_read_again_after_it():
    """A read that began before the request came may predate what the page drew: the
    request waits for a read of its own time, never an older one."""
    store = CountedReads(STATES)
    watch = StateWatch(store, Signal(), every=0.5)

    async def late_change():
        first = asyncio.ensure_future(watch.wait(STATES, timeout=0))
        await asyncio.to_thread(store.began.wait, 10)  # the first read is under way
        store.states["video-2"] = "done"
        late = await watch.wait({**STATES, "video-2": "running"}, timeout=0)
        return await first, late

    first, late = run_apart(late_change())
    assert first == []  # read before the change
    assert late == ["video-2"]  # its own read, after it came
    assert store.reads == 2
