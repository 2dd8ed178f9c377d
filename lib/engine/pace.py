"""How long a video takes, learned from the videos already made: what the History cards'
"about 20 s left" rests on.

Each finished video leaves three moments in its status history, all seen by the studio:
accepted by the service, seen being made (when the service reports that step), and
seen done. From the most recent ones the studio learns, per model × resolution × length:

- `total`: accepted → done, for a video still waiting in line;
- `queue`: accepted → being made, to guess the step when the service does not say;
- `making`: being made → done, once it is being made.

The same model, resolution and length as before: the median of the last few such
videos (a few, so that today's pace counts). A length not made yet: a straight line
through that model and resolution's lengths, or its pace per second of video. Nothing
made yet: a first guess (`first_guess`), put right by the first finished video.
"""

from __future__ import annotations

import statistics
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from lib.domain.statuses import TaskStatus
from lib.store.schema import Task, TaskEvent
from lib.store.tasks import Store

RECENT = 5  # videos of the same settings the median is taken over
SAMPLE = 200  # finished videos read (the newest), all settings together
CACHE_SECONDS = 30.0  # how long learned timings are reused (other processes' videos)


@dataclass(frozen=True)
class Timing:
    """Expected seconds of each step of one kind of video."""

    total: float  # accepted -> done
    queue: float  # accepted -> being made
    learned_from: int  # finished videos behind it (0: the first guess)

    @property
    def making(self) -> float:
        """Being made -> done."""
        return max(self.total - self.queue, 1.0)


def first_guess(duration: int) -> Timing:
    """Before any video is finished: a few seconds in line, then some seconds of making
    per second of video (the embedded service's own defaults, rounded up)."""
    return Timing(total=10.0 + 1.5 * duration, queue=3.0, learned_from=0)


@dataclass(frozen=True)
class Sample:
    resolution: str
    duration: int
    total: float
    queue: float | None  # None: the service never reported the step


@dataclass(frozen=True)
class Timings:
    """What the finished videos taught, per model: {(resolution, duration): [Sample]} with
    the newest first."""

    samples: dict[str, dict[tuple[str, int], list[Sample]]]

    def expected(self, model: str, resolution: str, duration: int) -> Timing:
        kinds = self.samples.get(model, {})
        same = kinds.get((resolution, duration), [])[:RECENT]
        if same:
            return _median(same)
        near = [s for (res, _), found in kinds.items() if res == resolution for s in found]
        line = _fitted(near, duration)
        if line is not None:
            return line
        anything = [s for found in kinds.values() for s in found]
        if anything:  # only one length of this resolution, or only other resolutions
            per_second = statistics.median(s.total / max(s.duration, 1) for s in anything)
            queue = _median_queue(anything, first_guess(duration).queue)
            return Timing(max(per_second * duration, queue + 1), queue, len(anything))
        return first_guess(duration)


def _median(samples: Sequence[Sample]) -> Timing:
    total = statistics.median(s.total for s in samples)
    queue = min(_median_queue(samples, min(first_guess(0).queue, total / 2)), total)
    return Timing(total, queue, len(samples))


def _median_queue(samples: Sequence[Sample], default: float) -> float:
    seen = [s.queue for s in samples if s.queue is not None]
    return statistics.median(seen) if seen else default


def _fitted(samples: Sequence[Sample], duration: int) -> Timing | None:
    """A least-squares line `total = a + b × length` through samples of at least two
    lengths; None with fewer."""
    if len({s.duration for s in samples}) < 2:
        return None
    mean_x = statistics.fmean(s.duration for s in samples)
    mean_y = statistics.fmean(s.total for s in samples)
    spread = sum((s.duration - mean_x) ** 2 for s in samples)
    slope = sum((s.duration - mean_x) * (s.total - mean_y) for s in samples) / spread
    queue = _median_queue(samples, first_guess(duration).queue)
    total = mean_y + slope * (duration - mean_x)
    return Timing(max(total, queue + 1.0), queue, len(samples))


# ----- reading the store ----------------------------------------------------------------------
def learn(store: Store) -> Timings:
    """The timings of the newest finished videos (two indexed queries)."""
    newest = (
        select(Task.id, Task.model, Task.resolution, Task.duration, Task.submitted_at)
        .where(Task.status == TaskStatus.COMPLETED, Task.submitted_at.is_not(None))
        .order_by(Task.status, Task.created_at.desc())
        .limit(SAMPLE)
    )
    with store.session() as session:
        tasks = session.execute(newest).all()
        seen = _first_seen(
            session, [row.id for row in tasks], (TaskStatus.PROCESSING, TaskStatus.COMPLETED)
        )
    samples: dict[str, dict[tuple[str, int], list[Sample]]] = defaultdict(lambda: defaultdict(list))
    for task_id, model, resolution, duration, accepted in tasks:
        done = seen.get((task_id, TaskStatus.COMPLETED))
        if done is None or done <= accepted:
            continue
        making = seen.get((task_id, TaskStatus.PROCESSING))
        queue = (making - accepted).total_seconds() if making and accepted < making else None
        sample = Sample(resolution, duration, (done - accepted).total_seconds(), queue)
        samples[model][(resolution, duration)].append(sample)
    return Timings({model: dict(kinds) for model, kinds in samples.items()})


def making_since(store: Store, task_ids: Sequence[str]) -> dict[str, datetime]:
    """When each of these videos was first seen being made (those that were)."""
    if not task_ids:
        return {}
    with store.session() as session:
        seen = _first_seen(session, list(task_ids), (TaskStatus.PROCESSING,))
    return {task_id: at for (task_id, _), at in seen.items()}


def _first_seen(
    session: Session, task_ids: list[str], statuses: Sequence[str]
) -> dict[tuple[str, str], datetime]:
    if not task_ids:
        return {}
    query = (
        select(TaskEvent.task_id, TaskEvent.status, func.min(TaskEvent.at))
        .where(and_(TaskEvent.task_id.in_(task_ids), TaskEvent.status.in_(list(statuses))))
        .group_by(TaskEvent.task_id, TaskEvent.status)
    )
    # min() keeps the column's type, so the times come back as aware UTC datetimes.
    return {(task_id, status): at for task_id, status, at in session.execute(query)}


# Per store: (when learned, the finished-signal version then, timings).
_cache: weakref.WeakKeyDictionary[Engine, tuple[float, int, Timings]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def timings(store: Store) -> Timings:
    """`learn(store)`, reused until a video finishes in this process or for CACHE_SECONDS
    (videos finished by other server processes sharing the database)."""
    now = time.monotonic()
    version = store.finished.version
    with _cache_lock:
        known = _cache.get(store.engine)
        if known is not None and known[1] == version and now - known[0] < CACHE_SECONDS:
            return known[2]
    learned = learn(store)
    with _cache_lock:
        _cache[store.engine] = (now, version, learned)
    return learned
