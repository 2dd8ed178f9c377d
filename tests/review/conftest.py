"""Fixtures of the review tests: a store on SQLite in a temporary folder, and people."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lib.domain.access import Actor, Role
from lib.store.tasks import Store
from lib.store.team import name_login


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'studio.db'}")
    yield store
    store.engine.dispose()


def person(store: Store, name: str, role: Role) -> Actor:
    account = store.account_for(name_login(name), name, role, datetime.now(UTC))
    return Actor(account.id, account.name, role)
