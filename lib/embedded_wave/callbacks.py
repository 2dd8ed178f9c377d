"""Callback delivery as DECIDED in wave-api.md: at least once, `X-Wave-Event: <status>`,
retried on a non-2xx reply or a timeout after 1 s, 4 s and 16 s, then given up."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import requests

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
    ):
        self._timeout = timeout
        self._backoff = backoff
        self._count = count
        self._due: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()  # ties in the heap never compare Deliveries
        self._cond = threading.Condition()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="wave-callback")
        self._local = threading.local()
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

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _deliver(self, delivery: Delivery) -> None:
        self._count("callback_attempts")
        try:
            reply = self._session().post(
                delivery.url,
                json=delivery.body,
                headers={"X-Wave-Event": delivery.event},
                timeout=self._timeout,
                allow_redirects=False,
            )
            delivered = 200 <= reply.status_code < 300
        except requests.RequestException:
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
