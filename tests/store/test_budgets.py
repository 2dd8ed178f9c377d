"""Budgets in the store: the month's spend (settled plus held), caps that refuse a video
that would cross them, a one-video pass, and the check made in the same transaction as
the insert, so that 20 concurrent submits against a cap that allows 10 make exactly 10,
on SQLite and on PostgreSQL. And migration 0005: existing names become accounts."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text

from lib.domain.budgets import OverBudget, Scope
from lib.store.budgets import BudgetCheck
from lib.store.database import alembic_config, make_engine, migrate
from lib.store.tasks import NewTask, Store
from lib.store.team import AuditFilter, name_login
from lib.wave import parse_task
from tests.services.postgres import fresh_postgres_url, postgres_server  # noqa: F401
from tests.store.test_store import insert_old_task

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PRICE = 22313  # a 6 s video, in quota ($0.0446)
REQUEST = {
    "model": "grok-imagine-1.0-video",
    "action": "generate",
    "prompt": "a cat",
    "aspect_ratio": "16:9",
    "resolution": "480p",
    "duration": 6,
}
CHECK = BudgetCheck("Ana", ("Alex Admin",))


def new(person: str = "Ana", campaign: str = "Spring", key: str | None = None) -> NewTask:
    return NewTask(key or uuid.uuid4().hex, REQUEST, person, campaign, PRICE)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'studio.sqlite3'}")


def account_of(store: Store, name: str) -> str:
    return store.account_for(name_login(name), name, "member", NOW).id


def test_a_video_over_the_team_cap_is_refused_with_the_cap_what_is_left_and_who(store):
    store.set_budget(Scope.TEAM, "", 2 * PRICE + 100, "Alex Admin", NOW)  # two videos fit
    store.create_task(new(), NOW, CHECK)
    store.create_task(new(), NOW, CHECK)
    with pytest.raises(OverBudget) as refused:
        store.create_task(new(), NOW, CHECK)
    message = str(refused.value)
    assert "the team's monthly budget" in message
    assert message.startswith("This video ($0.0446) would go over the team's monthly budget")
    assert "$0 of $0.09 left this month" in message
    assert "Alex Admin" in message and "raise the budget" in message
    assert len(store.tasks()) == 2  # nothing recorded


def test_spend_counts_settled_charges_and_money_held_for_videos_being_made(store):
    store.set_budget(Scope.TEAM, "", 3 * PRICE, "Alex Admin", NOW)
    done, _ = store.create_task(new(), NOW, CHECK)
    store.apply_state(
        done.id,
        parse_task({"task_id": "w1", "status": "completed", "cost": PRICE}),
        "service",
        NOW,
        NOW,
    )
    failed, _ = store.create_task(new(), NOW, CHECK)  # failed: costs nothing in the end
    store.apply_state(
        failed.id, parse_task({"task_id": "w2", "status": "failed"}), "service", NOW, NOW
    )
    store.create_task(new(), NOW, CHECK)  # still being made: its estimate is held
    store.create_task(new(), NOW, CHECK)  # 3 caps' worth: settled + held + this one
    with pytest.raises(OverBudget):
        store.create_task(new(), NOW, CHECK)
    # Last month's videos do not count this month.
    last_month = NOW.replace(day=1) - timedelta(days=3)
    assert store.create_task(new(), NOW.replace(month=1, year=2027), CHECK)[1]
    assert last_month.month == 11


def test_person_default_campaign_caps_and_a_pass_that_lets_one_video_through(store):
    ana, ben = account_of(store, "Ana"), account_of(store, "Ben")
    store.set_budget(Scope.PERSON_DEFAULT, "", PRICE, "Alex Admin", NOW)
    store.set_budget(Scope.PERSON, ben, 3 * PRICE, "Alex Admin", NOW)
    store.set_budget(Scope.CAMPAIGN, "Launch", 2 * PRICE, "Alex Admin", NOW)
    store.create_task(new("Ana", ""), NOW, CHECK)
    with pytest.raises(OverBudget) as refused:
        store.create_task(new("Ana", ""), NOW, CHECK)
    assert "your monthly budget" in str(refused.value)
    store.create_task(new("Ben", "Launch"), NOW, CHECK)  # Ben's own cap is higher
    store.create_task(new("Ben", "Launch"), NOW, CHECK)
    with pytest.raises(OverBudget) as refused:
        store.create_task(new("Ben", "Launch"), NOW, CHECK)
    assert "the campaign “Launch”'s monthly budget" in str(refused.value)

    store.grant_pass(ana, "Alex Admin", NOW)
    task, created = store.create_task(new("Ana", ""), NOW, CHECK)  # let through, once
    assert created and task.account_id == ana
    with pytest.raises(OverBudget):
        store.create_task(new("Ana", ""), NOW, CHECK)
    used = store.audit_events(AuditFilter(actions=["budget.pass_used"]))
    assert [(e.actor_name, e.outcome) for e in used] == [("Ana", "done")]
    assert "given by Alex Admin" in used[0].detail
    assert store.open_passes(ana) == 0 and ben


def test_the_same_key_again_is_the_same_task_even_at_the_cap(store):
    store.set_budget(Scope.TEAM, "", PRICE, "Alex Admin", NOW)
    first, created = store.create_task(new(key="click-1"), NOW, CHECK)
    again, created_again = store.create_task(new(key="click-1"), NOW, CHECK)
    assert created and not created_again and again.id == first.id


def submit_together(store: Store, count: int) -> tuple[int, int]:
    """`count` submits at the same instant, each in its own thread. -> (made, refused)."""
    for i in range(4):  # their accounts exist (the lock also covers making them)
        account_of(store, f"Person {i}")
    start = threading.Barrier(count)
    made, refused, errors = [], [], []

    def submit(i: int) -> None:
        start.wait()
        try:
            store.create_task(new(f"Person {i % 4}"), NOW, CHECK)
            made.append(i)
        except OverBudget:
            refused.append(i)
        except Exception as exc:  # any other outcome fails the test
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return len(made), len(refused)


def test_20_concurrent_submits_against_a_cap_for_10_make_exactly_10_on_sqlite(store):
    store.set_budget(Scope.TEAM, "", 10 * PRICE, "Alex Admin", NOW)
    assert submit_together(store, 20) == (10, 10)
    assert len(store.tasks()) == 10


def test_20_concurrent_submits_against_a_cap_for_10_make_exactly_10_on_postgresql(
    fresh_postgres_url,  # noqa: F811
):
    store = Store.open(fresh_postgres_url)
    store.set_budget(Scope.TEAM, "", 10 * PRICE, "Alex Admin", NOW)
    assert submit_together(store, 20) == (10, 10)
    assert len(store.tasks()) == 10
    store.engine.dispose()


def test_without_the_lock_concurrent_submits_would_overspend(fresh_postgres_url, monkeypatch):  # noqa: F811
    """The lock is what holds the cap: without it (READ COMMITTED), submits that check
    at the same time all see room, and more than 10 are made."""
    monkeypatch.setattr("lib.store.tasks.lock_budgets", lambda session: None)
    store = Store.open(fresh_postgres_url)
    store.set_budget(Scope.TEAM, "", 10 * PRICE, "Alex Admin", NOW)
    made, _ = submit_together(store, 20)
    assert made > 10
    store.engine.dispose()


def test_migration_0005_makes_an_account_per_name_and_links_videos_and_pictures(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = alembic_config()
    with engine.begin() as connection:  # a store as issue 13's release left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        insert_old_task(connection, "key-1", "Ana")
        insert_old_task(connection, "key-2", "Ana")
        insert_old_task(connection, "key-3", "Bo <b>")
        insert_old_task(connection, "key-4", "")
        connection.execute(
            text(
                "INSERT INTO assets VALUES ('ab', 'png', 'image/png', 1, 1, 1, 'a.png',"
                " 'Cleo', '2026-11-01 00:00:00')"
            )
        )
    migrate(engine)
    store = Store(engine)
    by_name = {a.name: a for a in store.accounts()}
    assert set(by_name) == {"Ana", "Bo <b>", "Cleo"}
    assert {a.role for a in by_name.values()} == {"member"}
    ana = store.task_by_key("key-1")
    assert ana.person == "Ana" and ana.account_id == by_name["Ana"].id
    assert store.task_by_key("key-2").account_id == by_name["Ana"].id
    assert store.task_by_key("key-3").account_id == by_name["Bo <b>"].id
    assert store.task_by_key("key-4").account_id is None  # a video without a name
    with engine.connect() as connection:
        owner = connection.execute(text("SELECT account_id FROM assets")).scalar()
    assert owner == by_name["Cleo"].id
    # A typed name finds its old account (open mode): the videos are still theirs.
    assert store.account_for(name_login("Ana"), "Ana", "admin", NOW).id == by_name["Ana"].id
