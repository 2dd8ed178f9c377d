"""What every open History page's held request waits on, with one look at the store for all
of them (lib/server/routes.py's `/api/history/changes`).

A page says which videos it shows and the state it drew each in (`shown_state`). Its
request is held until one of them is in another state, or its time is up. One watcher per
server process reads the states of every watched video in one query: when this process
changes a task's state (Store.changed wakes it at once) and every `every` seconds besides,
for other server processes sharing the database. So 50 open pages cost one query per look,
not 50, and no look at all when nobody waits.

A request that comes is compared first with what the last look read (`_Seen`), when nothing
changed in this process since and that look is less than `every` old: after a change, the
50 pages that draw the card again and ask anew cost no read each. Only when that says a
video moved, or there is no such reading (this process changed a task since: a video made
and then its copy saved, two changes a moment apart), is the store read for it (never a
rerun on an old reading); requests that come while such a read is under way share the
next one (`_look_on_arrival`), so 50 pages asking at once cost two reads, not 50. A change
made by another process is then seen at the next regular look, within twice `every`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from lib.store.signal import Signal

ReadStates = Callable[[Sequence[str]], Mapping[str, str]]


@dataclass(eq=False)
class _Waiter:
    expected: Mapping[str, str]  # video id -> the state the page drew
    done: asyncio.Event = field(default_factory=asyncio.Event)
    looked: asyncio.Event = field(default_factory=asyncio.Event)  # its arrival look is over
    changed: list[str] = field(default_factory=list)
    states: Mapping[str, str] = field(default_factory=dict)  # as read when answered


@dataclass(frozen=True)
class _Seen:
    """What the looks read since the last change in this process (`version`): each video's
    state, None for a video gone; `at`: when the first of them was made (monotonic)."""

    version: int
    at: float
    states: Mapping[str, str | None]


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
        self._arriving: list[_Waiter] = []  # requests that came and wait for a read
        self._arrival_reads: asyncio.Task | None = None
        self._seen = _Seen(-1, 0.0, {})
        self.looks = 0  # store reads so far (tests and benchmarks count them)

    async def wait(self, expected: Mapping[str, str], timeout: float) -> list[str]:
        """The ids whose state changed, or [] when the time was up first."""
        changed, _states = await self.wait_with_states(expected, timeout)
        return changed

    async def wait_with_states(
        self, expected: Mapping[str, str], timeout: float
    ) -> tuple[list[str], Mapping[str, str]]:
        """The ids whose state changed, with the states read then; ([], {}) when the time
        was up first. A change made before the request came is answered at once: it is
        compared with the last look's reading, or with a look of its own (`_known`)."""
        waiter = _Waiter(dict(expected))
        if not waiter.expected:
            return [], {}
        seen = self._signal.version
        known = self._known(waiter.expected)
        if known is None or changed_ids(waiter.expected, known):
            await self._look_on_arrival(waiter)
            if waiter.done.is_set():
                return waiter.changed, waiter.states
        if timeout <= 0:
            return [], {}
        self._waiters.add(waiter)
        if self._looking is None or self._looking.done():
            self._looking = asyncio.get_running_loop().create_task(self._look_while_waited(seen))
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.done.wait(), timeout)
            return waiter.changed, waiter.states
        finally:
            self._waiters.discard(waiter)

    def _known(self, task_ids: Mapping[str, str]) -> dict[str, str] | None:
        """These videos' states as the last look read them, if nothing changed in this
        process since, that look is recent and it read them all; else None."""
        seen = self._seen
        if seen.version != self._signal.version or time.monotonic() - seen.at > self._every:
            return None
        if any(task_id not in seen.states for task_id in task_ids):
            return None
        return {i: s for i in task_ids if (s := seen.states[i]) is not None}

    async def _look_on_arrival(self, waiter: _Waiter) -> None:
        """A read of the store for a request that just came. One read at a time: the
        requests that come while it runs are read together next, not one read each."""
        self._arriving.append(waiter)
        if self._arrival_reads is None or self._arrival_reads.done():
            self._arrival_reads = asyncio.get_running_loop().create_task(self._read_arrivals())
        await waiter.looked.wait()

    async def _read_arrivals(self) -> None:
        while self._arriving:
            waiters, self._arriving = self._arriving, []
            try:
                await self._look(waiters)
            finally:
                for waiter in waiters:
                    waiter.looked.set()

    async def _look(self, waiters: Sequence[_Waiter]) -> bool:
        """One read for all these waiters; those with a change are answered."""
        ids = sorted({task_id for w in waiters for task_id in w.expected})
        version, at = self._signal.version, time.monotonic()
        try:
            states = await run_in_threadpool(self._read_states, ids)
        except Exception:  # the database is away a moment: the next look tries again
            return False
        self.looks += 1
        self._remember(version, at, ids, states)
        answered = False
        for waiter in waiters:
            moved = changed_ids(waiter.expected, states)
            if moved:
                waiter.changed = moved
                waiter.states = {i: states[i] for i in moved if i in states}
                waiter.done.set()
                answered = True
        return answered

    def _remember(
        self, version: int, at: float, ids: Sequence[str], states: Mapping[str, str]
    ) -> None:
        """Keep what a look read (version: the changes in this process before it began)."""
        read = {task_id: states.get(task_id) for task_id in ids}
        seen = self._seen
        if version == seen.version == self._signal.version and at - seen.at <= self._every:
            self._seen = _Seen(version, seen.at, {**seen.states, **read})
        elif version == self._signal.version:
            self._seen = _Seen(version, at, read)

    async def _look_while_waited(self, seen: int) -> None:
        while True:
            await self._signal.wait(seen, self._every)
            seen = self._signal.version
            waiting = [w for w in self._waiters if not w.done.is_set()]
            if not waiting:
                return  # nobody waits: no more looks until somebody does
            await self._look(waiting)
