"""What the embedded Wave API counts (requests, renders, callbacks: read by benchmarks and
tests) and who waits for a task to end (a held `Prefer: wait` request)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter, defaultdict
from collections.abc import Callable


class Counters:
    """Thread-safe counts of requests, faults and callbacks, read by tests and benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class TerminalWaiters:
    """Lets async handlers (`Prefer: wait=N`) sleep until a task changes, without a thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wakers: dict[str, list[Callable[[], None]]] = defaultdict(list)

    async def wait(self, task_id: str, timeout: float, done: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def wake() -> None:
            # A closed loop raises RuntimeError: then nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(changed.set)

        with self._lock:
            self._wakers[task_id].append(wake)
        try:
            deadline = loop.time() + timeout
            while not done() and (left := deadline - loop.time()) > 0:
                changed.clear()
                try:
                    await asyncio.wait_for(changed.wait(), left)
                except TimeoutError:
                    break
        finally:
            with self._lock:
                wakers = self._wakers.get(task_id, [])
                if wake in wakers:
                    wakers.remove(wake)
                if not wakers:
                    self._wakers.pop(task_id, None)

    def notify(self, task_id: str) -> None:
        with self._lock:
            wakers = list(self._wakers.get(task_id, ()))
        for wake in wakers:
            wake()
