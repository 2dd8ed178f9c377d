"""Callback delivery as DECIDED in wave-api.md: at least once, `X-Wave-Event: <status>`,
retried on a non-2xx reply or a timeout after 1 s, 4 s and 16 s, then given up.

A callback address is a link an API client typed: it is sent through lib/outside/fetch.py,
like a picture link (public addresses only, unless under a local prefix; one deadline),
and only the receiver's status line is read, never its body."""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from lib.domain.links import LinkPolicy, LinkRefused
from lib.outside.fetch import FetchFailed, open_link

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    url: str
    event: str
    body: dict[str, Any]
    attempt: int = 0  # 0 = first try


class CallbackSender:
    def __init__(
        self,
        timeout: float,
        backoff: tuple[float, ...],
        count: Callable[[str], None],
        workers: int = 4,
        local_prefixes: tuple[str, ...] = (),
    ):
        self._backoff = backoff
        self._count = count
        self.policy = LinkPolicy.with_local(
            local_prefixes, deadline_seconds=timeout, max_bytes=0, max_redirects=0
        )
        self._due: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()  # ties in the heap never compare Deliveries
        self._cond = threading.Condition()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="wave-callback")
        self._stopping = False
        self._thread = threading.Thread(target=self._dispatch, name="wave-callbacks", daemon=True)
        self._thread.start()

    def send(self, url: str, event: str, body: dict[str, Any]) -> None:
        self._schedule(time.monotonic(), Delivery(url, event, body))

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _schedule(self, when: float, delivery: Delivery) -> None:
        with self._cond:
            heapq.heappush(self._due, (when, next(self._order), delivery))
            self._cond.notify_all()

    def _dispatch(self) -> None:
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                while self._due and self._due[0][0] <= now:
                    _, _, delivery = heapq.heappop(self._due)
                    self._pool.submit(self._deliver, delivery)
                wait = self._due[0][0] - now if self._due else None
                self._cond.wait(wait)

    def _deliver(self, delivery: Delivery) -> None:
        self._count("callback_attempts")
        body = json.dumps(delivery.body).encode()
        headers = {"Content-Type": "application/json", "X-Wave-Event": delivery.event}
        try:
            with open_link(
                delivery.url, self.policy, method="POST", body=body, headers=headers
            ) as reply:
                delivered = 200 <= reply.status < 300  # its body is never read
        except LinkRefused:
            self._count("callbacks_refused")  # a private address: never sent, never retried
            log.info("callback for %s refused: not a public address", delivery.event)
            return
        except FetchFailed:
            delivered = False
        if delivered:
            self._count("callbacks_delivered")
            return
        if delivery.attempt < len(self._backoff):
            delay = self._backoff[delivery.attempt]
            self._schedule(
                time.monotonic() + delay, replace(delivery, attempt=delivery.attempt + 1)
            )
        else:
            self._count("callbacks_given_up")
            log.info("callback for %s gave up after %d tries", delivery.event, delivery.attempt + 1)
