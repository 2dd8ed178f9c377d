"""bench/seed_store.py, the generator behind the page benchmarks: it must keep making
stores the studio opens and reads like its own (so that a benchmark measures real pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bench.seed_store import database_url, seed_store
from lib.costs import frames, loading
from lib.domain.catalog import GROK_IMAGINE_VIDEO
from lib.domain.money import price_quota
from lib.store.schema import Task, TaskEvent, TaskImage
from lib.store.tasks import Store
from tests.costs.test_costs import sql_sums
from tests.history.pages import history, shown

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_a_seeded_store_is_varied_and_reconciles_with_lib_costs(tmp_path):
    store = Store.open(database_url(tmp_path))
    seeded = seed_store(store, 400, now=NOW, in_flight=4)
    assert (seeded.tasks, store.engine.url.database) == (400, str(tmp_path / "studio.sqlite3"))
    with store.session() as session:
        tasks = list(session.scalars(select(Task)))
        images = list(session.scalars(select(TaskImage)))
        events = session.scalars(select(TaskEvent.task_id)).all()
    assert (len(tasks), len(images), len(events)) == (400, seeded.images, seeded.events)
    assert {task.status for task in tasks} >= {
        "completed",
        "failed",
        "cancelled",
        "submitting",
        "queued",
        "processing",
    }
    assert {task.archive_state for task in tasks} >= {"archived", "pending", "link_expired"}
    assert {task.aspect_ratio for task in tasks} - {None} == set(GROK_IMAGINE_VIDEO.aspect_ratios)
    assert {task.resolution for task in tasks} == set(GROK_IMAGINE_VIDEO.resolutions)
    assert {task.mode for task in tasks} == {"text", "image"}
    assert len({task.person for task in tasks}) >= 8 and "" in {task.campaign for task in tasks}
    assert all(task.estimate_quota == price_quota(task.duration) for task in tasks)
    assert all(6 <= task.duration <= 30 and len(task.prompt) >= 40 for task in tasks)
    oldest = min(task.created_at for task in tasks)
    assert NOW - oldest > timedelta(days=300) and max(t.created_at for t in tasks) <= NOW
    assert len(set(events)) == 400  # every task has its status history

    # The money the generator worked out, the store's own sums and lib/costs all agree.
    found = frames.totals(loading.task_frame(store))
    sums = sql_sums(store)
    mine = (seeded.accepted, seeded.settled, seeded.pending, seeded.refunded)
    assert (found.videos, found.settled, found.pending, found.refunded) == mine
    assert (sums["videos"], sums["settled"], sums["pending"], sums["refunded"]) == mine
    assert found.pending > 0 and found.refunded > 0


def test_the_same_seed_makes_the_same_store(tmp_path):
    def rows(folder: str) -> list[tuple]:
        store = Store.open(database_url(tmp_path / folder))
        seed_store(store, 60, seed=3, now=NOW)
        with store.session() as session:
            query = select(Task.id, Task.created_at, Task.prompt, Task.cost_quota)
            return session.execute(query.order_by(Task.created_at)).all()

    assert rows("a") == rows("b")


def test_history_shows_a_seeded_store(studio):
    studio.studio.tracker.stop()  # seeded videos stay as seeded
    seed_store(studio.studio.store, 60)
    at = history()
    assert len(shown(at)) == 24
    assert any("Showing 1–24 of 60 videos" in caption.value for caption in at.caption)
