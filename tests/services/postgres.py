"""A throwaway PostgreSQL server for the tests: Debian's own binaries, a data folder in
/tmp, a free port on 127.0.0.1, nothing left behind.

    with running_postgres() as server:
        engine = sqlalchemy.create_engine(server.url())          # the "studio" database
        fresh = server.create_database()                           # a new empty one
        ...

The pytest fixtures at the bottom start one server per test session (about 1.5 s on two
idle cores, most of it initdb) and give each test that asks a database of its own, made
by CREATE DATABASE from a template (a few hundredths of a second), so tests never see each
other's rows.

`initdb` and `postgres` refuse to run as root. As root (CI, the development machine) the
server runs as Debian's `postgres` system user, made by the postgresql package; as anyone
else it runs as that user. Durability is switched off (fsync, synchronous_commit,
full_page_writes): the data is thrown away anyway, and this makes commits cheap on a busy
machine. Nothing else differs from a production server: TCP only (no Unix socket),
password authentication (scram-sha-256), UTF-8.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from lib.embedded_wave.background import free_port
from tests.services.processes import stop

SUPERUSER = "studio"
TEMPLATE = "studio_template"  # each test's database is a copy of this one
START_LIMIT = 60.0  # seconds; initdb plus start-up on two busy cores takes ~2 s


class PostgresMissing(RuntimeError):
    pass


def postgres_bin_dir() -> Path:
    """Debian's binaries: /usr/lib/postgresql/<major>/bin, the newest major installed.
    STUDIO_TEST_PG_BIN points elsewhere (another distribution, a source build)."""
    chosen = os.environ.get("STUDIO_TEST_PG_BIN")
    if chosen:
        candidates = [Path(chosen)]
    else:
        found = Path("/usr/lib/postgresql").glob("*/bin")
        candidates = sorted(found, key=lambda p: int(p.parent.name), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise PostgresMissing(
        "PostgreSQL is not installed: scripts/test.sh installs Debian's postgresql package"
    )


def _server_user() -> pwd.struct_passwd | None:
    """Who the server runs as: None means this process's own user (not root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresMissing(
            "running as root, and there is no `postgres` user to run the server as"
            " (Debian's postgresql package makes it)"
        ) from None


@dataclass
class PostgresServer:
    """A running server: where it listens, how to log in, how to get a database."""

    port: int
    password: str
    folder: Path
    process: subprocess.Popen
    host: str = "127.0.0.1"
    user: str = SUPERUSER

    def url(self, database: str = "studio") -> str:
        """A SQLAlchemy URL for the psycopg 3 driver."""
        return (
            f"postgresql+psycopg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"
        )

    def connect(self, database: str = "postgres", **options):
        """A plain psycopg connection (autocommit: CREATE/DROP DATABASE need it)."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database,
            autocommit=True,
            connect_timeout=10,
            **options,
        )

    def create_database(self, name: str | None = None, template: str = TEMPLATE) -> str:
        """A new database copied from `template` (empty unless someone filled the template
        first, e.g. with migrations); returns its SQLAlchemy URL."""
        name = name or f"test_{secrets.token_hex(6)}"
        with self.connect() as db:
            # STRATEGY FILE_COPY copies the template's files at once: faster than the
            # default WAL_LOG for small databases, and its checkpoint is cheap with fsync off.
            db.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop it even if a test left connections open (a pool not disposed)."""
        with self.connect() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def log(self) -> str:
        try:
            return (self.folder / "server.log").read_text()[-4000:]
        except OSError:
            return ""


def _run_as(user: pwd.struct_passwd | None) -> dict:
    """Popen options that start the child directly as `user` (no runuser in between,
    so the process we hold is the server itself and our signals reach it)."""
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _initdb(bin_dir: Path, data: Path, password: str, user) -> None:
    password_file = data.parent / "password"
    password_file.write_text(password + "\n")
    if user is not None:
        os.chown(password_file, user.pw_uid, user.pw_gid)
    password_file.chmod(0o600)
    command = [str(bin_dir / "initdb"), "--pgdata", str(data), "--username", SUPERUSER]
    command += ["--pwfile", str(password_file), "--auth", "scram-sha-256"]
    command += ["--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions"]
    done = subprocess.run(
        command,
        cwd=data.parent,
        env={**os.environ, "LC_ALL": "C"},
        capture_output=True,
        text=True,
        timeout=120,
        **_run_as(user),
    )
    password_file.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")


def _start(bin_dir: Path, data: Path, port: int, user) -> subprocess.Popen:
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": "",  # TCP only
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "200",  # pools of several test servers at once
        "shared_buffers": "32MB",
        "logging_collector": "off",
    }
    command = [str(bin_dir / "postgres"), "-D", str(data)]
    for name, value in settings.items():
        command += ["-c", f"{name}={value}"]
    log = (data.parent / "server.log").open("ab")
    try:
        return subprocess.Popen(
            command,
            cwd=data.parent,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            **_run_as(user),
        )
    finally:
        log.close()


def _wait_ready(server: PostgresServer) -> None:
    import psycopg

    deadline = time.monotonic() + START_LIMIT
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"PostgreSQL stopped while starting:\n{server.log()}")
        try:
            with server.connect():
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL did not answer in {START_LIMIT} s:\n{server.log()}"
                ) from None
            time.sleep(0.1)


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a server, with an empty `studio` database and the `studio_template` each
    test's database is copied from; stop it and delete its folder afterwards."""
    bin_dir = postgres_bin_dir()
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    process = None
    try:
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
        data = folder / "data"
        password = secrets.token_urlsafe(18)
        _initdb(bin_dir, data, password, user)
        for _attempt in range(3):  # a port picked free may be taken before we bind it
            port = free_port()
            process = _start(bin_dir, data, port, user)
            server = PostgresServer(port=port, password=password, folder=folder, process=process)
            try:
                _wait_ready(server)
                break
            except RuntimeError:
                if "could not bind" not in server.log() and "in use" not in server.log():
                    raise
                stop(process, signal.SIGINT)  # "fast shutdown"
        else:
            raise RuntimeError(f"PostgreSQL found no free port:\n{server.log()}")
        with server.connect() as db:
            db.execute("CREATE DATABASE studio")
            db.execute(f'CREATE DATABASE "{TEMPLATE}"')
        yield server
    finally:
        if process is not None:
            stop(process, signal.SIGINT)  # "fast shutdown"
        shutil.rmtree(folder, ignore_errors=True)


# --- pytest fixtures (tests/services/conftest.py makes them available there; other
# test folders import them into their conftest the same way) ---


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with running_postgres() as server:
            yield server
    except PostgresMissing as missing:
        pytest.fail(str(missing))


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The session's shared `studio` database: for tests that clean up after themselves."""
    return postgres_server.url()


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A database of this test's own, empty, dropped afterwards."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url.rsplit("/", 1)[1])
