"""The small reads every page run repeats (lib/store/memo.py) stay exact: kept until this
process writes, read again after every submit, settle, budget or account change, never
kept from a read that a write overtook, and another server's change shows within the
memo's few seconds."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.domain.access import Role
from lib.domain.budgets import Scope
from lib.store.memo import Memo
from lib.store.tasks import Store
from lib.store.team import name_login
from tests.factories import add_task, reply

MONTH_START = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def seen(store: Store) -> tuple:
    """What the Create page and the sidebar ask the store at every run."""
    now = datetime.now(UTC)
    account = store.account_for(name_login("Ana"), "Ana", Role.MEMBER, now)
    caps = store.caps_for(account.id, "Spring", now)
    return (
        store.spent_quota_since(MONTH_START),
        store.campaigns(),
        [(c.scope, c.spent_quota) for c in caps],
        account.status,
    )


def fresh(store: Store) -> tuple:
    """The same, read from the database now (a store object with nothing kept)."""
    return seen(Store(store.engine))


def test_every_write_of_this_process_is_seen_at_the_next_run(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'studio.db'}")
    store.set_budget(Scope.TEAM, "", 5_000_000, "Admin", datetime.now(UTC))
    assert seen(store) == (0, [], [(Scope.TEAM, 0)], "active")
    task = add_task(store, person="Ana", campaign="Spring", estimate=20_000)  # a submit
    # (the sidebar counts accepted videos, the budgets also money held for a submit)
    assert seen(store) == fresh(store) == (0, ["Spring"], [(Scope.TEAM, 20_000)], "active")
    reply(store, task.id, "queued", at=datetime.now(UTC), pre_consumed_cost=25_000)  # accepted
    assert seen(store) == fresh(store)
    assert seen(store)[0] == 25_000
    assert seen(store)[2] == [(Scope.TEAM, 25_000)]
    # settled at a charge other than what was held
    reply(store, task.id, "completed", at=datetime.now(UTC), cost=19_000, video_url="x")
    assert seen(store) == fresh(store)
    assert seen(store)[0] == 19_000
    assert seen(store)[2] == [(Scope.TEAM, 19_000)]
    store.set_budget(Scope.CAMPAIGN, "Spring", 100_000, "Admin", datetime.now(UTC))
    assert seen(store) == fresh(store)
    assert len(seen(store)[2]) == 2
    store.set_status(
        store.account_for(name_login("Ana"), "", Role.MEMBER, datetime.now(UTC)).id, "disabled"
    )
    assert seen(store)[3] == "disabled"


def test_an_answer_read_while_a_write_was_committed_is_not_kept():
    memo = Memo()
    reads = []

    def read() -> int:
        reads.append(1)
        if len(reads) == 1:
            memo.written()  # another thread's write commits while this one reads
        return len(reads)

    assert memo.get("key", read) == 1
    assert memo.get("key", read) == 2  # the first answer was not kept: read again
    assert memo.get("key", read) == 2  # now it is


def test_an_answer_read_again_takes_the_kept_ones_place():
    memo = Memo()
    assert memo.get("key", lambda: "old") == "old"
    assert memo.read_again("key", lambda: "new") == "new"
    assert memo.peek("key") == (True, "new")
    assert memo.get("key", lambda: "not read") == "new"


def test_another_servers_change_shows_within_the_memos_seconds(tmp_path):
    url = f"sqlite:///{tmp_path / 'studio.db'}"
    now = [0.0]
    here = Store.open(url)
    here.memo = Memo(ttl=2.0, clock=lambda: now[0])
    other = Store.open(url)  # a second server on the same database
    assert here.campaigns() == []
    add_task(other, campaign="Autumn")
    assert here.campaigns() == []  # kept: this process did not write
    now[0] = 2.0
    assert here.campaigns() == ["Autumn"]
