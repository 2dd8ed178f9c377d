"""The reading a live card's rerun draws from (lib/history/queries.py's LiveTasks): shared
by the open pages that redraw the same card after a change, never behind that change."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.history import queries
from lib.store.tasks import Store
from lib.wave import parse_task
from tests.factories import FAR, make


def made(store: Store, task_id: str) -> None:
    """The service says this video is being made (a change of state, written by `store`)."""
    being_made = parse_task({"task_id": f"task-wave-{task_id}", "status": "processing"})
    store.apply_state(task_id, being_made, "service", datetime.now(UTC), FAR)


def count_reads(monkeypatch) -> list[list[str]]:
    reads: list[list[str]] = []
    real = queries.fresh_tasks

    def counted(store, task_ids):
        reads.append(list(task_ids))
        return real(store, task_ids)

    monkeypatch.setattr(queries, "fresh_tasks", counted)
    return reads


def test_pages_redrawing_the_same_card_after_a_change_share_one_read(store, monkeypatch):
    waiting = make(store, "queued")
    pages = [queries.LiveTasks(store, queries.fresh_tasks(store, [waiting])) for _ in range(3)]
    for page in pages:
        page.read()  # the first drawing: the tasks the page run had read
    made(store, waiting)
    reads = count_reads(monkeypatch)
    redrawn = [page.read() for page in pages]  # the three pages' reruns of the card
    assert [[task.status for task in tasks] for tasks in redrawn] == [["processing"]] * 3
    assert reads == [[waiting]]  # one read of the store for the three


def test_a_kept_reading_that_shows_no_change_is_read_again(store, monkeypatch):
    """Another server changed the video (this one's kept readings know nothing of it):
    the card rerun for that change is drawn from the store, not from a reading kept from
    before it."""
    waiting = make(store, "queued")
    first, second = (queries.LiveTasks(store, queries.fresh_tasks(store, [waiting])) for _ in "ab")
    first.read(), second.read()
    make(store, "archived")  # a write here: kept readings are forgotten
    assert [t.status for t in first.read()] == ["queued"]  # a click in the card: kept
    other_server = Store.open(store.engine.url.render_as_string(hide_password=False))
    made(other_server, waiting)
    reads = count_reads(monkeypatch)
    assert [t.status for t in second.read()] == ["processing"]
    assert len(reads) == 1  # the kept reading said "queued": the store is read
    assert [t.status for t in first.read()] == ["processing"]
