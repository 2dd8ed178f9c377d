"""How much of what others send the embedded API reads, and what that costs in memory.

    .venv/bin/python bench/untrusted_bytes.py [--root PATH] [--megabytes N]

Two cases from issue 12, each in a fresh `python -m lib.embedded_wave` process so that its
peak memory (VmHWM) is its own:

- a request body of N MB (default 400) sent to POST /v1/tasks, whose limit is 1 MB;
- a callback receiver that answers with a body of N MB (default 300).

For each: the bytes the other side's socket got rid of (what the server read, plus a few
MB of kernel buffers), and the server's memory (VmRSS before, peak, and after). `--root`
runs the server from another checkout (the code before a change, say) with this
script's measuring: the "before" column of bench/README.md. A measurement: exits 0.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
BLOCK = bytes(256 * 1024)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


@contextmanager
def server(root: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    command = [sys.executable, "-m", "lib.embedded_wave", "--port", str(port)]
    command += ["--data-dir", tempfile.mkdtemp(prefix="bench-wave-"), "--time-scale", "0.02"]
    helps = subprocess.run([*command, "--help"], cwd=root, capture_output=True, text=True)
    if "--allow-local" in helps.stdout:  # the receiver is on this machine
        command += ["--allow-local", "http://127.0.0.1:*/"]
    process = subprocess.Popen(
        command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the embedded API did not start") from None
                time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def warm_up(base: str) -> None:
    """One small task made, so that what is measured is the case, not the imports."""
    headers = {"Authorization": "Bearer bench", "Prefer": "wait=60"}
    body = {"model": "grok-imagine-1.0-video", "prompt": "A kite", "duration": 6}
    task = requests.post(f"{base}/v1/tasks", json=body, headers=headers, timeout=60).json()
    requests.get(f"{base}/v1/tasks/{task['task_id']}", headers=headers, timeout=90)


def huge_body(base: str, size: int) -> int:
    """POST a body of `size` bytes; -> the bytes the server's socket took."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=120)
    sock.sendall(
        b"POST /v1/tasks HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer bench\r\n"
        + f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()
    )
    sent = 0
    try:
        while sent < size:
            sock.sendall(BLOCK)
            sent += len(BLOCK)
        sock.recv(100)
    except OSError:
        pass  # the server answered and closed
    finally:
        sock.close()
    return sent


def huge_reply(base: str, size: int) -> int:
    """A receiver answering `size` bytes to the callback of one task; -> bytes it got rid of."""
    listener = socket.create_server(("127.0.0.1", 0))
    taken = [0]
    done = threading.Event()

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(120)
            received = b""
            while b"\r\n\r\n" not in received:
                received += conn.recv(65536)
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
            try:
                while taken[0] < size:
                    conn.sendall(BLOCK)
                    taken[0] += len(BLOCK)
            except OSError:
                pass
            finally:
                done.set()

    threading.Thread(target=answer, daemon=True).start()
    hook = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    headers = {"Authorization": "Bearer bench"}
    body = {"model": "grok-imagine-1.0-video", "prompt": "A kite", "callback_url": hook}
    reply = requests.post(f"{base}/v1/tasks", data=json.dumps(body), headers=headers, timeout=60)
    reply.raise_for_status()
    done.wait(180)
    time.sleep(1.0)  # let the server finish with what it read
    listener.close()
    return taken[0]


def measure(root: Path, case: str, size: int) -> dict[str, float]:
    with server(root) as (base, process):
        warm_up(base)
        before = memory(process.pid)["VmRSS"]
        taken = huge_body(base, size) if case == "body" else huge_reply(base, size)
        after = memory(process.pid)
        return {
            "taken": taken / MB,
            "before": before,
            "peak": after["VmHWM"],
            "after": after["VmRSS"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the checkout to run the server from"
    )
    parser.add_argument(
        "--megabytes", type=int, default=0, help="size of both bodies (default 400 / 300)"
    )
    args = parser.parse_args()
    cases = (
        ("request body to POST /v1/tasks (limit 1 MB)", "body", args.megabytes or 400),
        ("callback receiver's reply", "reply", args.megabytes or 300),
    )
    print(f"server code: {args.root}")
    print(f"{'case':<46} {'sent':>8} {'read':>9} {'RSS before':>11} {'peak':>9} {'after':>9}")
    for title, case, megabytes in cases:
        found = measure(args.root, case, megabytes * MB)
        print(
            f"{title:<46} {megabytes:>5} MB {found['taken']:>6.1f} MB {found['before']:>8.0f} MB"
            f" {found['peak']:>6.0f} MB {found['after']:>6.0f} MB"
        )


if __name__ == "__main__":
    main()
