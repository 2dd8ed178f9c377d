"""A local web site for link tests: pictures, redirects, a site that sends one byte at a
time, and one that never stops sending, each counting what it was asked and what it sent
(at the socket: bytes the other side accepted)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Site:
    base: str = ""  # http://127.0.0.1:PORT
    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)  # path -> body
    hits: list[str] = field(default_factory=list)  # "METHOD path" of every request
    sent: dict[str, int] = field(default_factory=dict)  # path -> body bytes accepted
    open_drips: int = 0  # connections being fed one byte at a time right now
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def add(self, path: str, data: bytes) -> str:
        self.files[path] = data
        return self.url(path)

    def drips(self) -> int:
        with self.lock:
            return self.open_drips


@contextmanager
def local_site(drip_every: float = 0.2) -> Iterator[Site]:
    """Paths: any added file; /redirect?to=URL (302); /drip (one byte every `drip_every`
    seconds, for ever); /endless (bytes as fast as they are taken, for ever); /slow-headers
    (the status line and headers one byte at a time)."""
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            with site.lock:
                site.hits.append(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            path = urlsplit(self.path).path
            if path == "/redirect":
                to = parse_qs(urlsplit(self.path).query)["to"][0]
                self._head(302, {"Location": to, "Content-Length": "0"})
            elif path == "/drip":
                self._drip()
            elif path == "/endless":
                self._endless(path)
            elif path == "/slow-headers":
                self._slow_headers()
            elif path in site.files:
                data = site.files[path]
                self._head(200, {"Content-Length": str(len(data)), "Content-Type": "image/png"})
                self.wfile.write(data)
            else:
                self._head(404, {"Content-Length": "0"})

        do_GET = do_POST = _serve

        def _head(self, status: int, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

        def _drip(self) -> None:
            self._head(200, {"Content-Length": str(10**9), "Content-Type": "image/png"})
            with site.lock:
                site.open_drips += 1
            try:
                while not site.stop.is_set():
                    self.wfile.write(b"\x89")
                    self.wfile.flush()
                    time.sleep(drip_every)
            except OSError:
                pass  # the client gave up: what the tests want
            finally:
                with site.lock:
                    site.open_drips -= 1

        def _endless(self, path: str) -> None:
            self._head(200, {"Content-Type": "application/octet-stream"})
            block = bytes(64 * 1024)
            try:
                while not site.stop.is_set():
                    # sendall returns once the kernel took the bytes: counted as sent.
                    self.connection.sendall(block)
                    with site.lock:
                        site.sent[path] = site.sent.get(path, 0) + len(block)
            except OSError:
                pass

        def _slow_headers(self) -> None:
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 10**6:
                    if site.stop.is_set():
                        return
                    self.connection.sendall(bytes([byte]))
                    time.sleep(drip_every)
            except OSError:
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.port = server.server_address[1]
    site.base = f"http://127.0.0.1:{site.port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        site.stop.set()
        server.shutdown()
        server.server_close()
