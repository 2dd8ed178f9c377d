"""Batches in the store (issue 18): a batch and all its takes stored in one transaction
after one budget check of its total, so a batch over a cap stores nothing, the same
press stores nothing twice, and batches sent at the same moment never overspend a cap
together (SQLite and PostgreSQL); cancelling ends the takes not sent yet."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lib.domain.budgets import OverBudget, Scope
from lib.domain.statuses import TaskStatus
from lib.domain.variations import BatchOverBudget
from lib.store.batches import NewBatch
from lib.store.budgets import BudgetCheck
from lib.store.tasks import NewTask, Store
from tests.services.postgres import fresh_postgres_url, postgres_server  # noqa: F401

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PRICE = 22313
REQUEST = {
    "model": "grok-imagine-1.0-video",
    "action": "generate",
    "prompt": "a cat",
    "aspect_ratio": "16:9",
    "resolution": "480p",
    "duration": 6,
}
CHECK = BudgetCheck("Ana", ("Alex Admin",))


def a_batch(takes: int, key: str | None = None) -> NewBatch:
    key = key or uuid.uuid4().hex
    return NewBatch(
        key,
        "a cat",
        "Ana",
        "Spring",
        [NewTask(f"{key}-t{i:03d}", REQUEST, "Ana", "Spring", PRICE) for i in range(takes)],
    )


@pytest.fixture
def store(tmp_path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'studio.sqlite3'}")


def test_a_batch_is_stored_whole_each_take_due_now_and_the_same_press_again_adds_nothing(store):
    batch, created = store.create_batch(a_batch(4, "press-1"), NOW, budget=CHECK)
    assert created and batch.takes == 4 and batch.estimate_quota == 4 * PRICE
    takes = store.batch_takes(batch.id)
    assert [t.idempotency_key for t in takes] == [f"press-1-t{i:03d}" for i in range(4)]
    assert {t.status for t in takes} == {TaskStatus.SUBMITTING}
    assert all(t.next_check_at == NOW and t.lease_owner is None for t in takes)  # tracker's
    again, created = store.create_batch(a_batch(4, "press-1"), NOW, budget=CHECK)
    assert not created and again.id == batch.id
    assert len(store.tasks()) == 4


def test_a_batch_over_a_cap_is_refused_whole_and_nothing_is_stored(store):
    store.set_budget(Scope.TEAM, "", 3 * PRICE, "Alex Admin", NOW)
    with pytest.raises(BatchOverBudget) as refused:
        store.create_batch(a_batch(4), NOW, budget=CHECK)
    assert isinstance(refused.value, OverBudget)
    assert "These 4 takes" in str(refused.value) and "Nothing was sent" in str(refused.value)
    assert store.tasks() == []
    batch, created = store.create_batch(a_batch(3), NOW, budget=CHECK)  # 3 fit exactly
    assert created and len(store.batch_takes(batch.id)) == 3


def batches_together(store: Store, count: int, takes: int) -> int:
    barrier = threading.Barrier(count)
    made, errors = [], []

    def one() -> None:
        barrier.wait()
        try:
            store.create_batch(a_batch(takes), NOW, budget=CHECK)
            made.append(1)
        except BatchOverBudget:
            pass
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return len(made)


def test_6_batches_at_once_against_a_cap_for_2_store_exactly_2_on_sqlite(store):
    store.set_budget(Scope.TEAM, "", 2 * 4 * PRICE, "Alex Admin", NOW)
    assert batches_together(store, 6, 4) == 2
    assert len(store.tasks()) == 8


def test_6_batches_at_once_against_a_cap_for_2_store_exactly_2_on_postgresql(
    fresh_postgres_url,  # noqa: F811
):
    store = Store.open(fresh_postgres_url)
    store.set_budget(Scope.TEAM, "", 2 * 4 * PRICE, "Alex Admin", NOW)
    assert batches_together(store, 6, 4) == 2
    assert len(store.tasks()) == 8
    store.engine.dispose()


def test_cancelling_ends_the_unsent_takes_at_no_cost_but_not_one_being_sent(store):
    batch, _ = store.create_batch(a_batch(3), NOW, budget=CHECK)
    takes = store.batch_takes(batch.id)
    later = NOW + timedelta(seconds=1)
    store.claim_due("tracker-x", later, later + timedelta(seconds=30), 1)  # one being sent
    sending = [t.id for t in store.batch_takes(batch.id) if t.lease_owner]
    ended = store.cancel_unsent_takes(batch.id, later)
    assert len(sending) == 1 and set(ended) == {t.id for t in takes} - set(sending)
    after = {t.id: t for t in store.batch_takes(batch.id)}
    assert {after[i].status for i in ended} == {TaskStatus.CANCELLED}
    assert all(after[i].cost_quota == 0 and not after[i].tracking for i in ended)
    assert after[sending[0]].status == TaskStatus.SUBMITTING
    assert store.get_batch(batch.id).cancelled_at == later
    assert store.claim_due("tracker-y", later, later + timedelta(seconds=30), 10) == []
