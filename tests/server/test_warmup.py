"""After the start-up warm-up, what start-up made is set aside from Python's full garbage
collections (lib/server/warmup.py, `settle_the_heap`), garbage collected first."""

from __future__ import annotations

import gc
import weakref

from lib.server import warmup


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_settling_the_heap_frees_the_garbage_then_sets_the_rest_aside():
    kept = Node()
    dropped = Node()
    gone = weakref.ref(dropped)
    del dropped
    try:
        assert warmup.settle_the_heap() > 0
        assert gone() is None  # collected, not frozen with the rest
        assert kept.me is kept
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the test process goes on as before


def test_the_server_settles_the_heap_even_when_the_warm_up_fails(monkeypatch):
    settled = []

    def fails(store: object) -> float:
        raise RuntimeError("no database")

    monkeypatch.setattr(warmup, "warm_up", fails)
    monkeypatch.setattr(warmup, "settle_the_heap", lambda: settled.append(True) or 0)
    warmup.start_warm_up(None).join(timeout=30)  # type: ignore[arg-type]
    assert settled == [True]
