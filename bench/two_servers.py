"""Two studio servers behind nginx (session affinity), one PostgreSQL database, one S3
bucket (moto's server), one video service (the practice service on its own port, with a
key, at a tenth of real time), `kill -9` of one server mid-way (issue 15).

    .venv/bin/python bench/two_servers.py [--videos 100] [--lease 30]

Phase 1, one server alone: API calls (GETs) per video, for comparison.
Phase 2, two servers, the videos split between them (each presses Create for its half);
when half of all videos are archived, server 1 is killed with SIGKILL. Printed:
- done exactly once: archived videos / asked, tasks the service made per key, charges;
- hand-over: from the kill until every task server 1 held is held by server 2 (or done),
  beside the lease time;
- every video playable from both servers (server 1 started again): /library/ answers a
  redirect to a signed link, the link answers a Range request with 206 and an MP4's
  first box; every video decoded whole (fetched through server 2);
- API GETs per video, beside phase 1's;
- a 24-card History page's video requests through the proxy (the redirects, then the
  videos played from the bucket through the same proxy): bytes the studio servers sent
  for video, bytes the bucket sent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.embedded_wave.background import free_port, serve_in_background  # noqa: E402
from lib.embedded_wave.settings import EmbeddedSettings  # noqa: E402
from lib.outside.videos import probe_video  # noqa: E402
from lib.store.database import make_engine, migrate  # noqa: E402
from lib.store.tasks import Store  # noqa: E402
from tests.reliability.provider_records import (  # noqa: E402
    charged_quota,
    provider_tasks,
    second_tasks_for_one_key,
)
from tests.services.nginx import running_nginx  # noqa: E402
from tests.services.postgres import running_postgres  # noqa: E402
from tests.services.s3 import running_s3  # noqa: E402
from tests.waiting import wait_until_up  # noqa: E402

API_KEY = "wave-sk-bench-two-servers-0123456789"
BUCKET = "studio-media"


def asked(prefix: str, count: int, start: int = 0) -> list[dict]:
    return [
        {
            "key": f"{prefix}-{number:03d}",
            "person": f"Person {number % 5}",
            "draft": {
                "mode": "text",
                "prompt": f"Video {number}: a kite over a windy beach",
                "aspect_ratio": "16:9",
                "resolution": "480p",
                "duration": 6,
                "campaign": "Bench",
            },
        }
        for number in range(start, start + count)
    ]


class Server:
    def __init__(self, folder: Path, env: dict[str, str], wanted: list[dict]):
        self.folder, self.env, self.wanted = folder, env, wanted
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wanted: list[dict] | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        requests_file = self.folder / "requests.json"
        requests_file.write_text(json.dumps(self.wanted if wanted is None else wanted))
        env = {
            **os.environ,
            **self.env,
            "STUDIO_DATA_DIR": str(self.folder / "data"),
            "STUDIO_PUBLIC_URL": self.url,
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "tests.reliability.studio_process", str(requests_file)]
        command += ["--", "--server.port", str(self.port), "--server.address", "127.0.0.1"]
        log = (self.folder / "studio.log").open("ab")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        wait_until_up(f"{self.url}/api/health", self.process, 120, self.tail)

    def tail(self) -> str:
        return (self.folder / "studio.log").read_text(errors="replace")[-3000:]

    def tracker(self) -> str:
        return requests.get(f"{self.url}/api/health", timeout=30).json()["tracker"]

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            self.process.wait(timeout=90)


def wait(what: str, ready, limit: float) -> float:
    started = time.monotonic()
    while not ready():
        if time.monotonic() - started > limit:
            raise SystemExit(f"no {what} in {limit} s")
        time.sleep(0.1)
    return time.monotonic() - started


def archived(store: Store) -> int:
    return sum(row.archive_state == "archived" for row in store.tasks())


def gets(provider) -> int:
    return provider.wave.counters.snapshot().get("requests.get", 0)


def one_server(folder: Path, env: dict, provider, store: Store, count: int) -> float:
    before = gets(provider)
    server = Server(folder / "alone", env, asked("alone", count))
    server.start()
    try:
        wait("the lone server's videos", lambda: archived(store) == count, 600)
    finally:
        server.stop()
    return (gets(provider) - before) / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=100)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--alone", type=int, default=20, help="videos of the one-server run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-two-servers-"))
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    with (
        running_postgres() as postgres,
        running_s3(BUCKET) as s3,
        serve_in_background(
            EmbeddedSettings(
                data_dir=folder / "provider", time_scale=0.1, api_keys=(API_KEY,), admin=True
            )
        ) as provider,
    ):
        base_env = {
            "WAVE_API_KEY": API_KEY,
            "STUDIO_SIGN_IN": "open",  # a real key needs a sign-in mode (issue 16)
            "WAVE_BASE_URL": f"{provider.base_url}/v1",
            "STUDIO_CALLBACK_SECRET": "bench-shared-secret-0123456789",
            "STUDIO_CALLBACKS": "off",
            "STUDIO_LEASE_SECONDS": str(args.lease),
            **s3.env(),
        }
        # Phase 1: one server.
        alone_db = postgres.create_database(template="template0")
        alone_store = Store.open(alone_db)
        alone_env = {**base_env, "STUDIO_DATABASE_URL": alone_db, "STUDIO_S3_PREFIX": "alone/"}
        alone_gets = one_server(folder, alone_env, provider, alone_store, args.alone)
        print(f"one server: {args.alone} videos, {alone_gets:.2f} GETs per video", flush=True)

        # Phase 2: two servers behind the proxy, one killed mid-way.
        database = postgres.create_database(template="template0")
        engine = make_engine(database)
        migrate(engine)
        engine.dispose()
        store = Store.open(database)
        half = args.videos // 2
        first = Server(
            folder / "one", {**base_env, "STUDIO_DATABASE_URL": database}, asked("two", half)
        )
        second = Server(
            folder / "two",
            {**base_env, "STUDIO_DATABASE_URL": database},
            asked("two", args.videos - half, start=half),
        )
        before_gets = gets(provider)
        made_before = {task.task_id for task in provider_tasks(provider.wave)}
        started = time.monotonic()
        first.start()
        second.start()
        try:
            owner = first.tracker()
            wait("half of the videos archived", lambda: archived(store) >= half, 900)
            held = {
                row.id
                for row in store.tasks()
                if row.lease_owner in (owner, f"{owner}/send") and row.archive_state != "archived"
            }
            first.stop(kill=True)

            def handed_over() -> bool:
                rows = {row.id: row for row in store.tasks()}
                return all(
                    rows[i].archive_state == "archived"
                    or (rows[i].lease_owner and not rows[i].lease_owner.startswith(owner))
                    for i in held
                )

            def leases_free() -> bool:  # server 1's leases have run out (or are gone)
                rows = {row.id: row for row in store.tasks()}
                now = datetime.now(UTC)
                return all(
                    not (rows[i].lease_owner or "").startswith(owner)
                    or rows[i].lease_until is None
                    or rows[i].lease_until < now
                    for i in held
                )

            free = wait("server 1's leases to run out", leases_free, 300)
            handover = free + wait("the hand-over", handed_over, 900)
            wait("every video archived", lambda: archived(store) == args.videos, 900)
            took = time.monotonic() - started
            rows = store.tasks()
            made = [t for t in provider_tasks(provider.wave) if t.task_id not in made_before]
            per_video_gets = (gets(provider) - before_gets) / args.videos

            first.start(wanted=[])  # server 1 back, to play every video from both
            playable = {first.url: 0, second.url: 0}
            for row in rows:
                for server in (first, second):
                    redirect = requests.get(
                        f"{server.url}/library/{row.video_file}", allow_redirects=False, timeout=30
                    )
                    part = requests.get(
                        redirect.headers["location"], headers={"Range": "bytes=0-1023"}, timeout=30
                    )
                    if part.status_code == 206 and part.content[4:8] == b"ftyp":
                        playable[server.url] += 1
            decoded = 0
            sample = folder / "decoded.mp4"
            for row in rows:
                sample.write_bytes(
                    requests.get(f"{second.url}/library/{row.video_file}", timeout=60).content
                )
                decoded += probe_video(sample).frames == 144

            with running_nginx(
                [f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"],
                affinity=True,
                object_store=(BUCKET, s3.endpoint_url.removeprefix("http://")),
            ) as proxy:
                page = [row for row in rows][:24]
                session = requests.Session()
                for row in page:  # what a 24-card History page's players ask, played
                    url = f"{proxy.url}/library/{row.video_file}"
                    redirect = session.get(url, allow_redirects=False, timeout=30)
                    signed = redirect.headers["location"]
                    # The bucket at the proxy's address, as compose serves it.
                    path = signed.split(s3.endpoint_url, 1)[1]
                    session.get(f"{proxy.url}{path}", timeout=60).raise_for_status()
                lines = proxy.access_log()
            studio_ports = {f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"}
            through_studio = sum(
                int(line["bytes"])
                for line in lines
                if line["upstream"] in studio_ports and line["path"].startswith("/library/")
            )
            from_bucket = sum(
                int(line["bytes"]) for line in lines if line["path"].startswith(f"/{BUCKET}/")
            )
        finally:
            first.stop()
            second.stop()
            store.engine.dispose()
            alone_store.engine.dispose()

    per_key = Counter(task.idempotency_key for task in made)
    print()
    print(f"two servers, {args.videos} videos, kill -9 of server 1 at {half} archived")
    print(f"  archived: {archived_count(rows)} / {args.videos}")
    print(
        f"  tasks the service made: {len(made)}, second tasks for one key: "
        f"{second_tasks_for_one_key(made)}, keys made twice: "
        f"{sum(c > 1 for c in per_key.values())}"
    )
    print(f"  charged: {charged_quota(made)} quota = {len(made)} x price")
    print(
        f"  server 1's {len(held)} unfinished task(s): free to take {free:.1f} s after the "
        f"kill (lease {args.lease:g} s), all taken by server 2 after {handover:.1f} s"
    )
    print(
        f"  playable (redirect + Range 206 + MP4 box): server 1 {playable[first.url]}, "
        f"server 2 {playable[second.url]} of {len(rows)}; decoded whole: {decoded}"
    )
    print(f"  API GETs per video: {per_video_gets:.2f} (one server alone: {alone_gets:.2f})")
    print(f"  whole run: {took:.0f} s")
    print("24-card History page's videos through the proxy:")
    print(f"  bytes of video sent by the studio servers: {through_studio}")
    print(f"  bytes sent by the bucket: {from_bucket:,}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    ok = (
        archived_count(rows) == args.videos
        and second_tasks_for_one_key(made) == 0
        and playable[first.url] == playable[second.url] == len(rows) == decoded
        and through_studio == 0
    )
    return 0 if ok else 1


def archived_count(rows) -> int:
    return sum(row.archive_state == "archived" for row in rows)


if __name__ == "__main__":
    sys.exit(main())
