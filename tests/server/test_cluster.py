"""Issue 15, one cluster: /api/ready (the database and the storage, 503 with the reason),
demo mode never sharing its database, one callback secret for every server."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace

import pytest
import requests

from lib.server.cluster import CannotStart, check_callback_secret, claim_database, fingerprint
from lib.store.database import make_engine
from lib.store.presence import DatabaseClaim, DatabaseShared
from lib.store.tasks import Store
from tests.browser.conftest import StudioProcess
from tests.conftest import MIGRATED_TEMPLATE, s3_settings
from tests.studio_harness import ROOT, running_studio, studio_config


def test_ready_says_what_is_down_while_health_stays_a_cheap_ok(tmp_path, migrated_postgres):
    database = migrated_postgres.create_database(template=MIGRATED_TEMPLATE)
    with running_studio(tmp_path, config_changes={"database_url": database}) as rs:
        ready = requests.get(f"{rs.base_url}/api/ready", timeout=30)
        assert (ready.status_code, ready.json()) == (200, {"status": "ready", "problems": []})
        migrated_postgres.drop_database(database.rsplit("/", 1)[1])  # the database goes away
        ready = requests.get(f"{rs.base_url}/api/ready", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["problems"][0].startswith("the database does not answer")
        assert migrated_postgres.password not in ready.text
        assert requests.get(f"{rs.base_url}/api/health", timeout=30).status_code == 200


def test_ready_names_a_bucket_that_cannot_be_reached(tmp_path, s3_service):
    missing = {**s3_settings(s3_service), "s3_bucket": "nobody-made-this-bucket"}
    with running_studio(tmp_path, config_changes=missing) as rs:
        ready = requests.get(f"{rs.base_url}/api/ready", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["problems"] == [
            "the bucket 'nobody-made-this-bucket' cannot be reached (the store answered 404)"
        ]
        assert s3_service.secret_access_key not in ready.text


def test_a_stopping_server_is_not_ready(tmp_path):
    with running_studio(tmp_path) as rs:
        rs.studio.tracker.hand_over()
        ready = requests.get(f"{rs.base_url}/api/ready", timeout=30)
        assert ready.status_code == 503 and "stopping" in ready.json()["problems"][0]


def test_a_demo_server_holds_its_database_alone(database_url):
    engine = make_engine(database_url)
    try:
        first, second = DatabaseClaim(engine, False), DatabaseClaim(engine, False)
        with pytest.raises(DatabaseShared):  # servers with a key are there: no demo
            DatabaseClaim(engine, True)
        first.release()
        second.release()
        demo = DatabaseClaim(engine, True)
        with pytest.raises(DatabaseShared):  # a demo server is there: nobody else
            DatabaseClaim(engine, False)
        demo.release()
        DatabaseClaim(engine, False).release()  # released: free again
    finally:
        engine.dispose()


def test_a_second_demo_server_on_a_shared_database_refuses_to_start(tmp_path, migrated_postgres):
    """Issue 15: demo mode on a shared database failed tasks (`task_not_found`: each
    server asked its own practice service). The second one now says why and stops."""
    database = migrated_postgres.create_database(template=MIGRATED_TEMPLATE)
    first = StudioProcess(tmp_path / "one", env={"STUDIO_DATABASE_URL": database})
    first.start()
    try:
        env = {
            **{k: v for k, v in os.environ.items() if k != "WAVE_API_KEY"},
            "STUDIO_DATA_DIR": str(tmp_path / "two"),
            "STUDIO_DATABASE_URL": database,
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", "0"]
        command += ["--server.address", "127.0.0.1"]
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode != 0
        assert "Demo mode cannot share its database" in done.stdout + done.stderr
        assert migrated_postgres.password not in done.stdout + done.stderr
        assert requests.get(f"{first.url}/api/ready", timeout=30).status_code == 200
    finally:
        first.stop()
        migrated_postgres.drop_database(database.rsplit("/", 1)[1])


def server_with(database_url: str, tmp_path, secret: str, source: str):
    config = replace(
        studio_config(tmp_path),
        database_url=database_url,
        callback_secret=secret,
        callback_secret_source=source,
    )
    return SimpleNamespace(config=config, store=Store.open(database_url))


def test_servers_sharing_a_database_must_share_the_callback_secret(
    tmp_path, migrated_postgres, caplog
):
    """Issue 15: the secret was made per data folder, so callbacks reaching another
    server were 404. A server whose folder-made secret differs from the others' now
    refuses to start; one that takes it from the settings says so loudly otherwise."""
    database = migrated_postgres.create_database(template=MIGRATED_TEMPLATE)
    servers = []
    try:
        first = server_with(database, tmp_path, "secret-of-machine-one", "data folder")
        servers.append(first)
        with caplog.at_level(logging.WARNING, logger="imagine_studio"):
            check_callback_secret(first)  # the first server: its secret becomes the one
        assert "set STUDIO_CALLBACK_SECRET to the same value on every server" in caplog.text
        assert "secret-of-machine-one" not in caplog.text
        second = server_with(database, tmp_path, "secret-of-machine-two", "data folder")
        servers.append(second)
        with pytest.raises(CannotStart, match="differs from the one the other servers"):
            check_callback_secret(second)
        # The operator sets one secret for all: accepted, and it becomes the one.
        shared = server_with(database, tmp_path, "set-by-the-operator", "settings")
        servers.append(shared)
        check_callback_secret(shared)
        assert shared.store.cluster_fact("callback_secret_fingerprint") == fingerprint(
            "set-by-the-operator"
        )
    finally:
        for server in servers:
            server.store.engine.dispose()
        migrated_postgres.drop_database(database.rsplit("/", 1)[1])


def test_on_one_sqlite_file_the_secret_is_not_checked(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    server = server_with(url, tmp_path, "folder-secret", "data folder")
    with caplog.at_level(logging.WARNING, logger="imagine_studio"):
        check_callback_secret(server)
    assert caplog.text == ""
    assert server.store.cluster_fact("callback_secret_fingerprint") is None
    server.store.engine.dispose()


def test_a_server_alone_on_its_database_takes_a_dead_servers_tasks_back_at_once(
    tmp_path, database_url
):
    """After a crash and a restart (nobody else running) the dead server's leases are let
    go at start: its tasks resume at once, not after the lease time. With another server
    running, they are left alone: they may be that server's own."""
    from datetime import UTC, datetime, timedelta

    from tests.store.test_store import new_task

    store = Store.open(database_url)
    server = SimpleNamespace(
        config=replace(studio_config(tmp_path), database_url=database_url, wave_api_key="k"),
        store=store,
    )
    try:
        now = datetime.now(UTC)
        task, _ = store.create_task(
            new_task(), now, lease=("tracker-dead/send", now + timedelta(hours=1))
        )
        other = DatabaseClaim(store.engine, False)  # another server is up
        claim = claim_database(server)
        assert store.get_task(task.id).lease_owner == "tracker-dead/send"
        claim.release()
        other.release()
        claim = claim_database(server)  # alone now: a restart after the crash
        assert store.get_task(task.id).lease_owner is None
        claim.release()
    finally:
        store.engine.dispose()
