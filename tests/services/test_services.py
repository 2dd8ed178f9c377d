"""The test services themselves, proven: a real PostgreSQL server, moto's S3 server and
Debian's nginx with the proxy configuration of deploy/nginx_config.py."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deploy.nginx_config import studio_upload_limit_mb
from tests.services.nginx import running_nginx
from tests.services.postgres import running_postgres

# --- PostgreSQL ---


def wait_for(condition, limit: float = 30, what: str = "the condition") -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {limit} s"
        time.sleep(0.05)


def test_a_real_postgresql_on_loopback_reached_through_psycopg_3(postgres_url):
    engine = sa.create_engine(postgres_url)
    try:
        assert engine.dialect.name == "postgresql"
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as db:
            assert int(db.execute(sa.text("SHOW server_version_num")).scalar_one()) >= 150000
            assert db.execute(sa.text("SHOW listen_addresses")).scalar_one() == "127.0.0.1"
            assert db.execute(sa.text("SHOW unix_socket_directories")).scalar_one() == ""
            assert db.execute(sa.text("SHOW fsync")).scalar_one() == "off"
            assert db.execute(sa.text("SELECT current_database()")).scalar_one() == "studio"
            assert db.execute(sa.text("SHOW server_encoding")).scalar_one() == "UTF8"
    finally:
        engine.dispose()


def test_a_wrong_password_is_refused(postgres_server):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=postgres_server.host,
            port=postgres_server.port,
            user=postgres_server.user,
            password="not-the-password",
            dbname="studio",
            connect_timeout=10,
        )


def test_rows_written_read_back_and_a_unique_rule_kept(fresh_postgres_url):
    metadata = sa.MetaData()
    videos = sa.Table(
        "videos",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), unique=True, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    engine = sa.create_engine(fresh_postgres_url)
    try:
        metadata.create_all(engine)
        with engine.begin() as db:
            db.execute(videos.insert(), [{"key": "k1", "prompt": "Rainy neon street ☔"}])
        with pytest.raises(IntegrityError), engine.begin() as db:
            db.execute(videos.insert(), [{"key": "k2", "prompt": "kept?"}])
            db.execute(videos.insert(), [{"key": "k1", "prompt": "the same key again"}])
        with engine.connect() as db:
            rows = db.execute(sa.select(videos.c.key, videos.c.prompt)).all()
            created = db.execute(sa.select(videos.c.created)).scalar_one()
        # The failed transaction left nothing, not even its first row.
        assert rows == [("k1", "Rainy neon street ☔")]
        assert created.tzinfo is not None
    finally:
        engine.dispose()


def test_each_test_database_is_new_and_empty(postgres_server, fresh_postgres_url):
    engine = sa.create_engine(fresh_postgres_url)
    other_url = postgres_server.create_database()
    other = sa.create_engine(other_url)
    try:
        with engine.begin() as db:
            db.execute(sa.text("CREATE TABLE notes (body text)"))
            db.execute(sa.text("INSERT INTO notes VALUES ('only here')"))
        assert sa.inspect(other).get_table_names() == []
        name = other_url.rsplit("/", 1)[1]
        held = other.connect()  # left open, as a test may leave a pool: the drop copes
        assert held.execute(sa.text("SELECT current_database()")).scalar_one() == name
        postgres_server.drop_database(name)
        with pytest.raises(sa.exc.OperationalError, match="terminating connection"):
            held.execute(sa.text("SELECT 1"))
        held.close()
        with postgres_server.connect() as admin:
            names = [row[0] for row in admin.execute("SELECT datname FROM pg_database")]
        assert name not in names
        assert fresh_postgres_url.rsplit("/", 1)[1] in names
    finally:
        engine.dispose()
        other.dispose()


def test_an_advisory_lock_makes_a_second_transaction_wait_for_the_first(fresh_postgres_url):
    """What a migration lock on PostgreSQL rests on: pg_advisory_xact_lock holds the
    second server until the first one's transaction ends, and releases by itself."""
    key = 8_150_042
    engine = sa.create_engine(fresh_postgres_url, pool_size=5)
    events: list[str] = []
    second_done = threading.Event()

    def second() -> None:
        with engine.begin() as db:
            db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            events.append("second has the lock")
        second_done.set()

    def waiting() -> int:
        with engine.connect() as db:
            query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            return db.execute(sa.text(query)).scalar_one()

    try:
        first = engine.connect()
        transaction = first.begin()
        first.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        thread = threading.Thread(target=second)
        thread.start()
        wait_for(lambda: waiting() == 1, what="the second transaction waiting on the lock")
        assert not second_done.is_set()
        with engine.begin() as db:  # a third one that asks instead of waiting is told no
            taken = db.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key})
            assert taken.scalar_one() is False
        events.append("first commits")
        transaction.commit()
        assert second_done.wait(30), "the second transaction never got the lock"
        thread.join(30)
        assert events == ["first commits", "second has the lock"]
        assert waiting() == 0
        first.close()
    finally:
        engine.dispose()


def test_two_workers_claiming_rows_never_take_the_same_one(fresh_postgres_url):
    """FOR UPDATE SKIP LOCKED, as a tracker on each server would claim its work."""
    engine = sa.create_engine(fresh_postgres_url, pool_size=4)
    with engine.begin() as db:
        db.execute(sa.text("CREATE TABLE jobs (id int PRIMARY KEY, claimed_by text)"))
        db.execute(sa.text("INSERT INTO jobs SELECT g, NULL FROM generate_series(1, 60) g"))
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        start.wait()
        while True:
            with engine.begin() as db:
                row = db.execute(
                    sa.text(
                        "SELECT id FROM jobs WHERE claimed_by IS NULL ORDER BY id"
                        " LIMIT 1 FOR UPDATE SKIP LOCKED"
                    )
                ).scalar_one_or_none()
                if row is None:
                    return
                db.execute(
                    sa.text("UPDATE jobs SET claimed_by = :who WHERE id = :id"),
                    {"who": name, "id": row},
                )
                claimed[name].append(row)

    try:
        threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        every = claimed["a"] + claimed["b"]
        assert sorted(every) == list(range(1, 61))  # each row exactly once
        with engine.connect() as db:
            by = dict(db.execute(sa.text("SELECT id, claimed_by FROM jobs")).all())
        assert all(by[row] == "a" for row in claimed["a"])
        assert all(by[row] == "b" for row in claimed["b"])
    finally:
        engine.dispose()


def test_a_stopped_server_leaves_no_process_port_or_folder():
    with running_postgres() as server:
        folder, port, process = server.folder, server.port, server.process
        with server.connect() as db:
            assert db.execute("SELECT 1").fetchone() == (1,)
    assert process.poll() is not None
    assert not folder.exists()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 5):
        pass


# --- S3 (moto's server) ---

FIVE_MB = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def stored_video(s3_service) -> tuple[str, bytes]:
    data = os.urandom(FIVE_MB)
    key = "videos/2026/a-rainy-street.mp4"
    s3_service.client().put_object(
        Bucket=s3_service.bucket, Key=key, Body=data, ContentType="video/mp4"
    )
    return key, data


def test_a_5_mb_object_is_stored_whole(s3_service, stored_video):
    key, data = stored_video
    client = s3_service.client()
    head = client.head_object(Bucket=s3_service.bucket, Key=key)
    assert head["ContentLength"] == FIVE_MB
    assert head["ContentType"] == "video/mp4"
    assert head["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    listed = client.list_objects_v2(Bucket=s3_service.bucket, Prefix="videos/")
    assert [item["Key"] for item in listed["Contents"]] == [key]


def test_a_presigned_link_answers_a_range_request_with_206_and_those_bytes(
    s3_service, stored_video
):
    key, data = stored_video
    link = s3_service.client().generate_presigned_url(
        "get_object", Params={"Bucket": s3_service.bucket, "Key": key}, ExpiresIn=300
    )
    assert "X-Amz-Signature=" in link and "X-Amz-Expires=300" in link  # Signature Version 4
    middle = requests.get(link, headers={"Range": "bytes=1000000-1999999"}, timeout=30)
    assert middle.status_code == 206
    assert middle.headers["Content-Range"] == f"bytes 1000000-1999999/{FIVE_MB}"
    assert middle.content == data[1_000_000:2_000_000]
    tail = requests.get(link, headers={"Range": "bytes=-100"}, timeout=30)
    assert tail.status_code == 206
    assert tail.content == data[-100:]
    whole = requests.get(link, timeout=30)
    assert whole.status_code == 200
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.content == data


def test_a_streamed_download_never_holds_the_whole_object(s3_service, stored_video):
    key, data = stored_video
    reply = s3_service.client().get_object(Bucket=s3_service.bucket, Key=key)
    digest = hashlib.sha256()
    largest = 0
    tracemalloc.start()
    try:
        for chunk in reply["Body"].iter_chunks(64 * 1024):
            digest.update(chunk)
            largest = max(largest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert largest <= 64 * 1024
    assert peak < FIVE_MB // 4, f"{peak} bytes held while streaming a {FIVE_MB} byte object"


def test_a_missing_object_is_a_clear_404(s3_service):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        s3_service.client().head_object(Bucket=s3_service.bucket, Key="videos/none.mp4")
    assert raised.value.response["Error"]["Code"] == "404"


# --- nginx, in front of two small servers that say who they are ---


class Backend(BaseHTTPRequestHandler):
    """Answers with its own name; counts uploaded bytes; shakes hands on a websocket
    upgrade and echoes what follows, reporting the headers the proxy passed on."""

    protocol_version = "HTTP/1.1"

    def reply(self, body: bytes, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        name = self.server.name.encode()
        if self.headers.get("Upgrade", "").lower() != "websocket":
            self.reply(name)
            return
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.end_headers()
        self.wfile.flush()
        seen = f"{self.headers['Connection']}|{self.headers['Host']}|".encode()
        self.wfile.write(name + b"|" + seen + self.rfile.read(5))
        self.wfile.flush()
        self.close_connection = True

    def do_PUT(self) -> None:
        size = int(self.headers["Content-Length"])
        received = 0
        while received < size:
            received += len(self.rfile.read(min(65536, size - received)))
        self.reply(f"{self.server.name}:{received}".encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, str]]:
    """{"host:port": name} of two running backends."""
    servers = []
    for name in ("one", "two"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
        server.name = name
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield {f"127.0.0.1:{s.server_address[1]}": s.name for s in servers}
    for server in servers:
        server.shutdown()
        server.server_close()


def test_with_affinity_every_request_of_a_browser_reaches_the_server_of_its_first(backends):
    with running_nginx(list(backends), affinity=True) as proxy:
        firsts = set()
        for _browser in range(40):
            session = requests.Session()
            first = session.get(f"{proxy.url}/", timeout=30)
            cookie = first.headers["Set-Cookie"]
            assert cookie.startswith("studio_affinity=")
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
            later = [session.get(f"{proxy.url}/page{n}", timeout=30) for n in range(4)]
            assert {reply.text for reply in later} == {first.text}
            assert all("Set-Cookie" not in reply.headers for reply in later)
            firsts.add(first.text)
        # Browsers spread over both servers (all 40 on one: a chance of 2 in 2^40).
        assert firsts == {"one", "two"}


def test_without_affinity_one_browser_is_sent_to_both_servers(backends):
    with running_nginx(list(backends), affinity=False) as proxy:
        session = requests.Session()
        answers = [session.get(f"{proxy.url}/", timeout=30).text for _ in range(4)]
        assert sorted(answers) == ["one", "one", "two", "two"]  # round robin
        assert not session.cookies


def test_an_upload_up_to_the_studio_limit_reaches_the_server(backends):
    """nginx's own default is 1 MB: a phone photo would be refused by the proxy."""
    body = os.urandom(studio_upload_limit_mb() * 1024 * 1024)
    with running_nginx(list(backends)) as proxy:
        reply = requests.put(f"{proxy.url}/_stcore/upload_file/s/f", data=body, timeout=120)
        assert reply.status_code == 200, proxy.error_log()
        assert reply.text.endswith(f":{len(body)}")
        # Far beyond the studio's own limit the proxy says no, from the announced size.
        too_big = (studio_upload_limit_mb() + 11) * 1024 * 1024
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30)
        connection.putrequest("PUT", "/_stcore/upload_file/s/f")
        connection.putheader("Content-Length", str(too_big))
        connection.endheaders()
        assert connection.getresponse().status == 413
        connection.close()


def test_a_websocket_upgrade_goes_through_with_the_original_host(backends):
    with running_nginx(list(backends)) as proxy:
        host = f"127.0.0.1:{proxy.port}"
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=30) as sock:
            sock.sendall(
                b"GET /_stcore/stream HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
                b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            sock.sendall(b"hello")
            received = b""
            while received.count(b"|") < 3 or not received.endswith(b"hello"):
                chunk = sock.recv(4096)
                assert chunk, f"the proxy closed the connection: {received!r}"
                received += chunk
    head, _, tail = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    name, connection, passed_host, echoed = tail.decode().split("|")
    assert name in ("one", "two")
    assert connection.lower() == "upgrade"
    assert passed_host == host  # Streamlit compares the page's Origin with this
    assert echoed == "hello"


def test_the_proxy_serves_the_bucket_at_its_own_address_with_seeking(
    backends, s3_service, stored_video
):
    """compose's layout: signed links carry the proxy's address, and nginx passes
    /<bucket>/... to the store unchanged (moto checks no signature: this proves the
    routing, the Range and the streaming, not the signature)."""
    key, data = stored_video
    store = s3_service.endpoint_url.removeprefix("http://")
    with running_nginx(list(backends), object_store=(s3_service.bucket, store)) as proxy:
        public = replace(s3_service, endpoint_url=proxy.url)
        link = public.client().generate_presigned_url(
            "get_object", Params={"Bucket": s3_service.bucket, "Key": key}, ExpiresIn=300
        )
        assert link.startswith(f"{proxy.url}/{s3_service.bucket}/videos/")
        part = requests.get(link, headers={"Range": "bytes=4000000-4000099"}, timeout=30)
        assert part.status_code == 206
        assert part.content == data[4_000_000:4_000_100]
        with requests.get(link, stream=True, timeout=30) as whole:
            assert whole.status_code == 200
            digest = hashlib.sha256()
            for chunk in whole.iter_content(64 * 1024):
                digest.update(chunk)
        assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
        upstreams = {line["upstream"] for line in proxy.access_log() if "/videos/" in line["path"]}
        assert upstreams == {store}  # the store answered, not a studio server
