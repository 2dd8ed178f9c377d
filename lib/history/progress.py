"""The progress of the videos on History's cards: which are still changing, their
progress bars and time left (learnt by lib/engine/pace.py), and whether money moved."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lib.domain.statuses import TaskStatus
from lib.engine.pace import Timing, first_guess, making_since, timings
from lib.store.schema import Task
from lib.store.tasks import Store

if TYPE_CHECKING:
    pass
from lib.domain import statuses
from lib.history.words import status_words


def in_flight(task: Task) -> bool:
    """Still changing on its own: being sent or made, or made and being saved."""
    return statuses.in_flight(task.status, task.archive_state)


@dataclass(frozen=True)
class Motion:
    """How a bar moves on in the page between two states of its video (lib/ui/live_progress.py
    does in the browser what `at` does here): the time left runs down from `left`."""

    step: str  # "Being made", ...
    left: float  # seconds left when the page was drawn
    total: float  # the expected seconds from accepted to done
    floor: int  # the service's own percent: the bar never shows less
    later_step: str | None = None  # a guessed step that follows after `later_in` seconds
    later_in: float | None = None

    def at(self, seconds: float, estimated: bool = False) -> Progress:
        """The bar `seconds` after it was drawn."""
        step = self.step
        if self.later_step is not None and self.later_in is not None and seconds >= self.later_in:
            step = self.later_step
        left = self.left - seconds
        done_share = 1 - max(left, 0) / self.total
        percent = max(self.floor, int(min(95, max(0, 100 * done_share))))
        if left >= FEW_SECONDS:
            shown = shown_seconds(left)
            words = f"{step} — about {duration_words(shown)} left"
            return Progress(percent, words, shown, estimated, self)
        if left > 0:
            words = f"{step} — less than {FEW_SECONDS} s left"
            return Progress(percent, words, None, estimated, self)
        words = f"{step} — taking a little longer than usual"
        return Progress(percent, words, None, estimated, self)


@dataclass(frozen=True)
class Progress:
    """The progress bar of an unfinished video."""

    percent: int
    words: str
    seconds_left: float | None = None  # the number the words show, if they show one
    estimated: bool = False  # the step is a guess: the service reports only the end
    motion: Motion | None = None  # None: it stays as it is until the next state


ESTIMATED_NOTE = (
    "Estimated from how long similar videos took: the video service tells the studio "
    "only when a video is done."
)
# Below this many seconds a number would be wrong by more than it says (replies and
# the page's refresh take a second or two): "less than 10 s left" instead.
FEW_SECONDS = 10


def progress_of(
    task: Task,
    timing: Timing | None = None,
    making_since: datetime | None = None,
    reported: bool = True,
    now: datetime | None = None,
) -> Progress | None:
    """The progress bar of an unfinished task, or None.

    `timing`: how long videos like it take (lib/engine/pace.py); `making_since`: when it was
    first seen being made; `reported`: whether the service tells the studio each step
    (callbacks, polling) or only the end (a held request), when the step is a guess.
    The percent is the service's own figure or, when higher, the share of the expected
    time gone by (never 100 before the video is really there)."""
    if not in_flight(task):
        return None
    if task.status == TaskStatus.COMPLETED:
        return Progress(100, "Saving your video…")
    if task.status == TaskStatus.SUBMITTING or task.submitted_at is None:
        return Progress(0, status_words(task))
    timing = timing or first_guess(task.duration)
    now = now or datetime.now(UTC)
    elapsed = (now - task.submitted_at).total_seconds()
    left = timing.total - elapsed
    if task.status == TaskStatus.PROCESSING:
        if making_since is not None:
            left = timing.making - (now - making_since).total_seconds()
        return Motion("Being made", left, timing.total, task.progress).at(0)
    if reported:
        return Motion("Waiting in line", left, timing.total, task.progress).at(0)
    if elapsed >= timing.queue:
        return Motion("Probably being made", left, timing.total, task.progress).at(0, True)
    motion = Motion(
        "Probably waiting in line",
        left,
        timing.total,
        task.progress,
        later_step="Probably being made",
        later_in=timing.queue - elapsed,
    )
    return motion.at(0, True)


def shown_seconds(seconds: float) -> int:
    """A time left as the card says it: to the second under half a minute, then to 5 s,
    10 s and the minute (never off by more than a tenth)."""
    for limit, step in ((30, 1), (120, 5), (600, 10)):
        if seconds < limit:
            return int(round(seconds / step) * step)
    return int(round(seconds / 60) * 60)


def duration_words(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def money_moved(before: Iterable[Task], now: Iterable[Task]) -> bool:
    """Whether the money of one of these videos changed since `before` in a way the
    sidebar shows: accepted (held), or settled at another amount than was held (a
    refund). A video charged what was held changes neither the balance nor the spend."""

    def money(task: Task) -> tuple[int, int]:
        if task.wave_task_id is None:
            return 0, 0
        held = task.pre_consumed_quota if task.pre_consumed_quota is not None else 0
        spent = task.cost_quota if task.cost_quota is not None else held
        return spent, task.refunded_quota or 0

    earlier = {task.id: money(task) for task in before}
    return any(earlier.get(task.id, money(task)) != money(task) for task in now)


def progress_for(
    store: Store, tasks: Sequence[Task], reported: bool, now: datetime | None = None
) -> dict[str, Progress]:
    """The progress bars of these cards' unfinished videos (two small queries, and what
    finished videos taught, reused between runs)."""
    flying = [task for task in tasks if in_flight(task)]
    if not flying:
        return {}
    learned = timings(store)
    making = making_since(store, [t.id for t in flying if t.status == TaskStatus.PROCESSING])
    found = {}
    for task in flying:
        timing = learned.expected(task.model, task.resolution, task.duration)
        progress = progress_of(task, timing, making.get(task.id), reported, now)
        if progress is not None:
            found[task.id] = progress
    return found
