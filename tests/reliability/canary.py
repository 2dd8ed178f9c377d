"""Tripwires for "the studio must never fetch this": a local listener that counts every
request it gets, and a record of every connection or name lookup this process starts
(Python's audit hooks see each `socket.connect` and `socket.getaddrinfo`)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Listener:
    """An address inside the network that nobody should ever call."""

    url: str = ""
    port: int = 0
    hits: list[str] = field(default_factory=list)  # "METHOD path" of every request


@contextmanager
def listener() -> Iterator[Listener]:
    state = Listener()

    class Handler(BaseHTTPRequestHandler):
        def _hit(self) -> None:
            state.hits.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = do_PUT = _hit

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    state.url = f"http://127.0.0.1:{state.port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# ----- every connection this process opens -------------------------------------------------
_recorders: list[list[tuple[str, Any]]] = []
_hook_lock = threading.Lock()
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _recorders or event not in ("socket.connect", "socket.getaddrinfo"):
        return
    # connect: (socket, address); getaddrinfo: (host, port, family, type, protocol)
    target = args[1] if event == "socket.connect" else (args[0], args[1])
    for seen in list(_recorders):
        seen.append((event, target))


@contextmanager
def connections() -> Iterator[list[tuple[str, Any]]]:
    """Every (event, address) of connections and name lookups started meanwhile, by any
    thread of this process (an audit hook stays for good, so it is installed once)."""
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True
    seen: list[tuple[str, Any]] = []
    _recorders.append(seen)
    try:
        yield seen
    finally:
        _recorders.remove(seen)


def touching(seen: list[tuple[str, Any]], host: str, port: int | None = None) -> list:
    """The recorded connections and lookups that went to `host` (and `port`, if given)."""
    found = []
    for event, target in seen:
        if not isinstance(target, tuple) or len(target) < 2:
            continue
        if str(target[0]) == host and (port is None or target[1] == port):
            found.append((event, target))
    return found


# ----- what the servers log ----------------------------------------------------------------
@contextmanager
def errors_logged() -> Iterator[list[str]]:
    """Every error the servers log meanwhile (uvicorn's loggers do not reach the root
    logger, nor always pytest's capture: a handler of our own on them)."""
    import logging

    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = Keep(logging.ERROR)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield seen
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
