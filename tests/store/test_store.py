"""The store: migrations that keep rows, aware UTC times, status that only moves forward,
one task per idempotency key."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text

from lib.engine import pace
from lib.store.database import alembic_config, make_engine, migrate
from lib.store.schema import Base, Task
from lib.store.search import include_object
from lib.store.tasks import NewTask, Store
from lib.wave import parse_task
from tests.studio_harness import ROOT

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
REQUEST = {
    "model": "grok-imagine-1.0-video",
    "action": "generate",
    "prompt": "a cat",
    "aspect_ratio": "16:9",
    "resolution": "480p",
    "duration": 6,
}


def new_task(key: str = "key-1", **changes) -> NewTask:
    values = dict(
        idempotency_key=key, request=REQUEST, person="Ana", campaign="Spring", estimate_quota=22313
    )
    values.update(changes)
    return NewTask(**values)


def reply(status: str, **fields) -> object:
    return parse_task({"task_id": "task-wave1", "status": status, **fields})


@pytest.fixture
def store(database_url) -> Store:
    """A store on SQLite, then on PostgreSQL (tests/conftest.py's `database_url`)."""
    store = Store.open(database_url)
    yield store
    store.engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'studio.sqlite3'}")


def test_migrations_match_the_models(store):
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrating_again_keeps_existing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'kept.sqlite3'}"
    store = Store.open(url)
    store.create_task(new_task(), NOW)
    engine = make_engine(url)
    migrate(engine)  # a restart, or a new release with nothing new to apply
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM tasks")).scalar() == 1
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {"tasks", "assets", "task_images", "task_events"} <= set(
        inspect(engine).get_table_names()
    )


def test_upgrading_a_first_release_store_keeps_its_rows_and_adds_the_costs_index(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = alembic_config()
    with engine.begin() as connection:  # a store as the first release left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        insert_old_task(connection, "key-1", "Ana")
    migrate(engine)
    indexes = {index["name"] for index in inspect(engine).get_indexes("tasks")}
    assert "ix_tasks_status_costs" in indexes and "ix_tasks_status" not in indexes
    assert Store(engine).task_by_key("key-1").person == "Ana"


def test_a_store_of_the_release_before_several_models_keeps_every_row(tmp_path):
    # Made by the code before this change (fixtures/make_old_store.py says how).
    old = tmp_path / "old.sqlite3"
    old.write_bytes((Path(__file__).parent / "fixtures" / "old_store_0002.sqlite3").read_bytes())
    store = Store.open(f"sqlite:///{old}")
    done, failed = store.task_by_key("old-done"), store.task_by_key("old-failed")
    assert (done.model, done.status, done.cost_quota, done.refunded_quota) == (
        "grok-imagine-1.0-video",
        "completed",
        22313,
        0,
    )
    assert (failed.model, failed.status, failed.cost_quota, failed.refunded_quota) == (
        "grok-imagine-1.0-video",
        "failed",
        0,
        37188,
    )
    assert failed.error_code == "task_failed" and failed.resolution == "720p"
    assert done.billing_status is None  # that service never said: nothing is made up
    index = next(
        i
        for i in inspect(store.engine).get_indexes("tasks")
        if i["name"] == "ix_tasks_status_costs"
    )
    assert index["column_names"][-1] == "model"
    # New replies are kept with their billing words.
    task, _ = store.create_task(new_task("new"), NOW)
    store.apply_state(
        task.id, reply("completed", cost=22313, billing_status="settled"), "service", NOW, NOW
    )
    assert store.get_task(task.id).billing_status == "settled"


def insert_old_task(connection, key: str, person: str, campaign: str = "Spring") -> None:
    """A task row as an older release wrote it (its columns only: today's model has more)."""
    connection.execute(
        text(
            "INSERT INTO tasks (id, idempotency_key, status, progress, request, model, mode,"
            " prompt, aspect_ratio, resolution, duration, person, campaign, estimate_quota,"
            " created_at, updated_at, archive_state, archive_attempts, tracking, api_calls)"
            " VALUES (:id, :key, 'completed', 100, '{}', 'grok-imagine-1.0-video', 'text',"
            " 'a cat', '16:9', '480p', 6, :person, :campaign, 22313, :at, :at, 'none', 0,"
            " 0, 0)"
        ),
        {
            "id": key.replace("-", "")[:32].ljust(32, "0"),
            "key": key,
            "person": person,
            "campaign": campaign,
            "at": NOW.replace(tzinfo=None),
        },
    )


def test_the_newest_finished_videos_are_read_in_index_order(sqlite_store):
    store = sqlite_store
    task, _ = store.create_task(new_task(), NOW)
    done = parse_task({"task_id": "task-wave-1", "status": "completed", "cost": 22313})
    store.apply_state(task.id, done, "service", NOW, NOW)
    statements = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2:4]))
    pace.learn(store)  # what the progress bars learn from
    [newest, steps] = statements

    def plan(sql: str, parameters) -> list[str]:
        with store.engine.connect() as connection:
            query = f"EXPLAIN QUERY PLAN {sql}"
            return [row[3] for row in connection.exec_driver_sql(query, parameters)]

    # The newest finished videos straight from the index (no sorting), then their steps
    # by task id.
    assert plan(*newest) == ["SEARCH tasks USING INDEX ix_tasks_status_costs (status=?)"]
    assert plan(*steps)[0].startswith("SEARCH task_events USING INDEX ix_task_events_task_id")


def test_times_come_back_as_aware_utc(store):
    task, _ = store.create_task(new_task(), NOW)
    assert store.get_task(task.id).created_at == NOW
    assert store.get_task(task.id).created_at.tzinfo is not None


def test_one_task_per_idempotency_key(store):
    first, created = store.create_task(new_task(), NOW)
    again, created_again = store.create_task(new_task(), NOW + timedelta(seconds=1))
    assert created and not created_again
    assert first.id == again.id
    assert len(store.tasks()) == 1


def test_status_only_moves_forward_and_costs_settle(store):
    task, _ = store.create_task(new_task(), NOW)
    later = NOW + timedelta(seconds=5)
    store.apply_state(task.id, reply("queued", pre_consumed_cost=22313), "service", NOW, later)
    store.apply_state(task.id, reply("processing", progress=40), "service", NOW, later)
    store.apply_state(task.id, reply("queued"), "service", NOW, later)  # a late, stale reply
    assert store.get_task(task.id).status == "processing"
    store.apply_state(task.id, reply("processing", progress=30), "service", NOW, later)
    assert store.get_task(task.id).progress == 40  # progress never goes back either
    done = reply(
        "completed",
        cost=22313,
        completed_at=1795500000000,
        result={"videos": [{"url": ["https://x.example/v.mp4"], "expires_at": 1795586400}]},
    )
    store.apply_state(task.id, done, "service", later, later)
    store.apply_state(
        task.id, reply("failed", error={"code": "task_failed"}), "callback", later, later
    )
    final = store.get_task(task.id)
    assert final.status == "completed" and final.progress == 100
    assert final.cost_quota == 22313 and final.refunded_quota == 0
    assert final.archive_state == "pending"
    assert final.provider_video_url == "https://x.example/v.mp4"
    assert final.provider_expires_at == datetime.fromtimestamp(1795586400, UTC)
    assert [e.status for e in final.events] == ["submitting", "queued", "processing", "completed"]


def test_a_failed_task_is_refunded(store):
    task, _ = store.create_task(new_task(), NOW)
    store.apply_state(task.id, reply("queued", pre_consumed_cost=22313), "service", NOW, NOW)
    failed = reply("failed", cost=0, error={"code": "upstream_unavailable", "message": "busy"})
    store.apply_state(task.id, failed, "service", NOW, NOW)
    row = store.get_task(task.id)
    assert (row.status, row.cost_quota, row.refunded_quota) == ("failed", 0, 22313)
    assert row.error_code == "upstream_unavailable" and row.error_message == "busy"
    assert row.tracking is False


def test_leases_let_one_owner_at_a_time_claim_a_task(store):
    task, _ = store.create_task(new_task(), NOW - timedelta(minutes=5))
    soon = NOW + timedelta(seconds=30)
    first = store.claim_due("owner-a", NOW, soon, 10)
    second = store.claim_due("owner-b", NOW, soon, 10)
    assert [t.id for t in first] == [task.id] and second == []
    store.release(task.id, "owner-a")
    assert [t.id for t in store.claim_due("owner-b", NOW, soon, 10)] == [task.id]
    # An expired lease (its owner died) is free again.
    assert [
        t.id
        for t in store.claim_due(
            "owner-c", soon + timedelta(seconds=1), soon + timedelta(seconds=60), 10
        )
    ] == [task.id]


def test_after_a_restart_unanswered_submits_are_due_at_once_and_sent_ones_keep_their_time(store):
    unanswered, _ = store.create_task(new_task("key-unanswered"), NOW)
    answered, _ = store.create_task(new_task("key-answered"), NOW)
    later = NOW + timedelta(minutes=5)
    store.apply_state(answered.id, reply("queued"), "service", NOW, later)
    restart = NOW + timedelta(seconds=3)

    assert store.resend_unanswered_now(restart) == 1

    assert store.get_task(unanswered.id).next_check_at == restart
    assert store.get_task(answered.id).next_check_at == later
    assert store.resend_unanswered_now(restart) == 0  # nothing left to move


def test_writers_take_turns_so_a_hint_is_never_overwritten(store):
    """The tracker reads a task, asks the service, writes its answer; a callback's hint
    for the same task comes in between. The hint must wait for the answer and build on
    it, not be overwritten by it (or overwrite it) from a stale read."""
    task, _ = store.create_task(new_task(), NOW)
    store.apply_state(task.id, reply("processing"), "service", NOW, NOW + timedelta(minutes=1))
    hinted = threading.Event()
    hint_at = NOW + timedelta(seconds=10)

    def hint() -> None:
        store.record_hint("task-wave1", hint_at)
        hinted.set()

    with store.writing() as session:
        row = session.get(Task, task.id, with_for_update=True)  # as the store's writes read
        thread = threading.Thread(target=hint)
        thread.start()
        assert not hinted.wait(0.5)  # waits for this transaction to end
        row.next_check_at = NOW + timedelta(minutes=5)  # what the answer planned
        row.updated_at = NOW + timedelta(seconds=9)
    thread.join(timeout=10)
    assert hinted.is_set()
    # The hint saw the answer: due HINT_GAP after it, not at the answer's plan (lost
    # hint), and the answer's own fields are as it wrote them (no lost update).
    row = store.get_task(task.id)
    assert row.next_check_at == hint_at
    assert row.updated_at == NOW + timedelta(seconds=9)


def test_readers_do_not_wait_for_a_writer(store):
    task, _ = store.create_task(new_task(), NOW)
    with store.writing() as session:
        session.get(Task, task.id).person = "Bo"
        started = time.monotonic()
        assert store.get_task(task.id).person == "Ana"  # the last committed state
        assert time.monotonic() - started < 1
    assert store.get_task(task.id).person == "Bo"


def waited(store: Store, since: int, timeout: float) -> bool:
    """store.finished.wait, on an event loop of its own (as the server's routes run it;
    the test's own thread may have one already, from another test's browser driver)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, store.finished.wait(since, timeout)).result()


def test_finishing_a_task_wakes_waiters_and_other_writes_do_not(store):
    task, _ = store.create_task(new_task(), NOW)
    seen = store.finished.version
    store.apply_state(task.id, reply("processing", progress=50), "service", NOW, NOW)
    store.count_api_calls(task.id)
    assert store.finished.version == seen  # progress is not "finished"
    assert waited(store, seen, 0.2) is False
    # Finished between a look at the store and the wait: the wait still ends at once.
    store.apply_state(task.id, reply("failed", error={"code": "task_failed"}), "service", NOW, NOW)
    started = time.monotonic()
    assert waited(store, seen, 5) is True
    assert time.monotonic() - started < 1


MIGRATE_AT_ONCE = """
import sys, time
from lib.store.database import make_engine, migrate
url, start = sys.argv[1], float(sys.argv[2])
engine = make_engine(url)
with engine.connect():
    pass  # connected before the start, so that every process begins at the same moment
time.sleep(max(start - time.time(), 0))
migrate(engine)
"""


def test_servers_starting_at_the_same_moment_migrate_one_empty_postgresql_database(
    postgres_server,
):
    """Issue 15: two servers migrating one empty PostgreSQL database at once crashed on
    `UniqueViolation ... pg_type_typname_nsp_index` (6 tries of 6). Four processes here,
    each connected first and then migrating at one agreed moment."""
    url = postgres_server.create_database(template="template0")
    start = time.time() + 4
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_AT_ONCE, url, str(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, "\n".join(outputs)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert version == [(ScriptDirectory.from_config(alembic_config()).get_current_head(),)]
    finally:
        engine.dispose()
        postgres_server.drop_database(url.rsplit("/", 1)[1])
