"""A wake-up call within one server process: whoever waits on a Signal (asyncio code such
as an HTTP route) is woken when another thread calls `notify()`.

The store notifies when a task is finished, so an open page learns it at once instead of
at its next look at the database. It says only "something changed": the waiter reads the
store for what. Other server processes sharing the database are not woken; their changes
are seen at the waiter's next regular look.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Signal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._waiting: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def version(self) -> int:
        """Notifications so far: read it before looking, and pass it to `wait`, so that a
        notification between the look and the wait is not missed."""
        return self._version

    def notify(self) -> None:
        """Wake every current waiter (safe from any thread)."""
        with self._lock:
            self._version += 1
            waiting = list(self._waiting)
        for loop, event in waiting:
            with contextlib.suppress(RuntimeError):  # its loop has closed: nobody to wake
                loop.call_soon_threadsafe(event.set)

    async def wait(self, since: int, timeout: float) -> bool:
        """Until a notification after `since` (a `version`), or `timeout` seconds.
        -> whether there was one."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            if self._version != since:
                return True
            self._waiting.add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), max(timeout, 0.0))
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiting.discard(waiter)
