"""Debian's nginx in front of several servers, for the tests: the configuration of
deploy/nginx_config.py (the same as compose's), written to a temporary folder with its
pid file, logs and temporary files inside it, on a free port of 127.0.0.1.

    with running_nginx(["127.0.0.1:8501", "127.0.0.1:8502"], affinity=True) as proxy:
        requests.get(f"{proxy.url}/api/health")
        proxy.access_log()  # one parsed line per request: which server answered it

nginx runs in the foreground (`daemon off`), as a child of the test; as root its workers
run as `nobody`, so the folder is readable by all (it holds no secret). Starting takes a
few hundredths of a second.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from deploy.nginx_config import ProxyConfig, render
from lib.embedded_wave.background import free_port
from tests.services.processes import stop

NGINX = "/usr/sbin/nginx"
START_LIMIT = 30.0

# One access log line, in deploy/nginx_config.py's `studio` format.
LOG_LINE = re.compile(
    r'^(?P<client>\S+) \[[^\]]+\] "(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) '
    r"(?P<bytes>\d+) upstream=(?P<upstream>\S+) upstream_status=(?P<upstream_status>\S+) "
    r"affinity=(?P<affinity>\S+)"
)


class NginxMissing(RuntimeError):
    pass


@dataclass
class RunningNginx:
    port: int
    folder: Path
    process: subprocess.Popen
    config: ProxyConfig

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access_log(self) -> list[dict[str, str]]:
        """Every request answered so far (a websocket's line is written when it closes)."""
        path = self.folder / "access.log"
        if not path.exists():
            return []
        lines = (LOG_LINE.match(line) for line in path.read_text().splitlines())
        return [line.groupdict() for line in lines if line]

    def error_log(self) -> str:
        try:
            return (self.folder / "error.log").read_text()[-4000:]
        except OSError:
            return ""


def _wait_listening(proxy: RunningNginx) -> None:
    deadline = time.monotonic() + START_LIMIT
    while True:
        if proxy.process.poll() is not None:
            raise RuntimeError(f"nginx stopped while starting:\n{proxy.error_log()}")
        try:
            # Any answer will do (the servers behind it may not be up yet: 502).
            requests.get(f"{proxy.url}/_nginx_ready", timeout=5)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"nginx did not answer in {START_LIMIT} s:\n{proxy.error_log()}"
                ) from None
            time.sleep(0.05)


def check_config(text: str) -> subprocess.CompletedProcess:
    """`nginx -t` on a configuration: its syntax, and that every path and name in it
    can be used here. Returns the finished command (returncode 0: valid)."""
    folder = Path(tempfile.mkdtemp(prefix="studio-nginx-test-"))
    try:
        (folder / "nginx.conf").write_text(text)
        return subprocess.run(
            [NGINX, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def running_nginx(upstreams: Sequence[str], **options) -> Iterator[RunningNginx]:
    """nginx on a free port in front of `upstreams`; `options` are ProxyConfig's
    (affinity=False for round robin)."""
    if not Path(NGINX).is_file():
        raise NginxMissing("nginx is not installed: scripts/test.sh installs Debian's nginx")
    folder = Path(tempfile.mkdtemp(prefix="studio-nginx-"))
    folder.chmod(0o755)  # workers (nobody, when we are root) write temporary files here
    process = None
    try:
        for _attempt in range(3):  # a port picked free may be taken before nginx binds it
            config = ProxyConfig(
                upstreams=tuple(upstreams),
                listen=f"127.0.0.1:{free_port()}",
                run_dir=str(folder),
                error_log=str(folder / "error.log"),
                access_log=str(folder / "access.log"),
                worker_processes="1",
                **options,
            )
            (folder / "nginx.conf").write_text(render(config))
            command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")]
            command += ["-e", str(folder / "error.log")]
            with (folder / "stderr.log").open("ab") as stderr:
                process = subprocess.Popen(
                    command, cwd=folder, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
                )
            proxy = RunningNginx(
                port=int(config.listen.rsplit(":", 1)[1]),
                folder=folder,
                process=process,
                config=config,
            )
            try:
                _wait_listening(proxy)
                break
            except RuntimeError:
                if "Address already in use" not in proxy.error_log():
                    raise
        else:
            raise RuntimeError(f"nginx found no free port:\n{proxy.error_log()}")
        yield proxy
    finally:
        if process is not None:
            stop(process)  # fast shutdown: open websockets are not waited for
        shutil.rmtree(folder, ignore_errors=True)
