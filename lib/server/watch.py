"""What every open History page's held request waits on, with one look at the store for all
of them (lib/server/routes.py's `/api/history/changes`).

A page says which videos it shows and the state it drew each in (`shown_state`). Its
request is held until one of them is in another state, or its time is up. One watcher per
server process reads the states of every watched video in one query: when this process
changes a task's state (Store.changed wakes it at once) and every `every` seconds besides,
for other server processes sharing the database. So 50 open pages cost one query per look,
not 50, and no look at all when nobody waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from lib.store.signal import Signal

ReadStates = Callable[[Sequence[str]], Mapping[str, str]]


@dataclass(eq=False)
class _Waiter:
    expected: Mapping[str, str]  # video id -> the state the page drew
    done: asyncio.Event = field(default_factory=asyncio.Event)
    changed: list[str] = field(default_factory=list)


def changed_ids(expected: Mapping[str, str], states: Mapping[str, str]) -> list[str]:
    """The videos whose state is not the one the page drew (a video gone counts)."""
    return [task_id for task_id, drawn in expected.items() if states.get(task_id) != drawn]


class StateWatch:
    def __init__(self, read_states: ReadStates, signal: Signal, every: float):
        self._read_states = read_states
        self._signal = signal
        self._every = every
        self._waiters: set[_Waiter] = set()
        self._looking: asyncio.Task | None = None
        self.looks = 0  # store reads so far (tests and benchmarks count them)

    async def wait(self, expected: Mapping[str, str], timeout: float) -> list[str]:
        """The ids whose state changed, or [] when the time was up first. Looks once for
        this request alone first, so that a change made before it came is answered at once."""
        waiter = _Waiter(dict(expected))
        if not waiter.expected:
            return []
        seen = self._signal.version
        moved = await self._look([waiter])
        if moved or timeout <= 0:
            return waiter.changed
        self._waiters.add(waiter)
        if self._looking is None or self._looking.done():
            self._looking = asyncio.get_running_loop().create_task(self._look_while_waited(seen))
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.done.wait(), timeout)
            return waiter.changed
        finally:
            self._waiters.discard(waiter)

    async def states(self, task_ids: Sequence[str]) -> Mapping[str, str]:
        """These videos' states now (one read)."""
        if not task_ids:
            return {}
        return await run_in_threadpool(self._read_states, list(task_ids))

    async def _look(self, waiters: Sequence[_Waiter]) -> bool:
        """One read for all these waiters; those with a change are answered."""
        ids = sorted({task_id for w in waiters for task_id in w.expected})
        try:
            states = await run_in_threadpool(self._read_states, ids)
        except Exception:  # the database is away a moment: the next look tries again
            return False
        self.looks += 1
        answered = False
        for waiter in waiters:
            moved = changed_ids(waiter.expected, states)
            if moved:
                waiter.changed = moved
                waiter.done.set()
                answered = True
        return answered

    async def _look_while_waited(self, seen: int) -> None:
        while True:
            await self._signal.wait(seen, self._every)
            seen = self._signal.version
            waiting = [w for w in self._waiters if not w.done.is_set()]
            if not waiting:
                return  # nobody waits: no more looks until somebody does
            await self._look(waiting)
