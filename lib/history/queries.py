"""History's queries: what a person filters on, one page of cards newest first, counts,
and the tasks of the cards again, fresh from the store."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, false, func, literal_column, or_, select
from sqlalchemy.orm import Session, selectinload

from lib.domain.review import ReviewState
from lib.domain.statuses import TaskStatus, shown_state
from lib.domain.text_fields import PROMPT, TextField, clean
from lib.engine.pace import timings
from lib.store.schema import Favourite, HiddenVideo, Review, Task, TaskImage
from lib.store.search import prompt_contains, reads_the_index_first
from lib.store.tasks import Store

if TYPE_CHECKING:
    pass


PAGE_SIZE = 24
COLUMNS = 3


SEARCH = TextField("Search", PROMPT.max_length)  # one line, searched in the prompts

TASK_ID_SHAPE = re.compile(r"^[0-9a-f]{32}$")  # a video's id, as the store makes them
EVERYONE = "\x00all"  # the "all" choice of the campaign and person boxes
# What a person picks in the status filter, and the stored statuses each one means.
STATUS_CHOICES: dict[str, tuple[str, ...]] = {
    "Waiting": (TaskStatus.SUBMITTING, TaskStatus.QUEUED),
    "Being made": (TaskStatus.PROCESSING,),
    "Finished": (TaskStatus.COMPLETED,),
    "Failed": (TaskStatus.FAILED,),
    "Cancelled": (TaskStatus.CANCELLED,),
}


@dataclass(frozen=True)
class Filters:
    """What History shows: every field empty means every video."""

    statuses: tuple[str, ...] = ()  # stored statuses (see STATUS_CHOICES)
    campaign: str | None = None  # None: all campaigns; "": videos without a campaign
    person: str | None = None  # None: everybody
    text: str = ""  # words in the prompt, any case
    reviews: tuple[str, ...] = ()  # review states (lib.domain.review.ReviewState)
    favourites_of: str | None = None  # an account id: only that person's favourites
    hidden: bool = False  # True: only the hidden videos (admins); else hidden ones are left out

    @classmethod
    def from_choices(
        cls,
        status_words: Iterable[str] = (),
        campaign: str | None = None,
        person: str | None = None,
        text: str | None = "",
    ) -> Filters:
        statuses = tuple(s for word in status_words for s in STATUS_CHOICES.get(word, ()))
        # Cleaned as prompts are stored (lib/domain/text_fields.py), so the same words are found,
        # and no NUL reaches the database (PostgreSQL refuses it).
        return cls(statuses, campaign, person, clean(SEARCH, text))

    @property
    def active(self) -> bool:
        return bool(
            self.statuses
            or self.campaign is not None
            or self.person
            or self.text
            or self.reviews
            or self.favourites_of
        )


def filters_from_widgets(
    status_words: Iterable[str],
    campaign: str,
    person: str,
    mine: bool,
    me: str | None,
    text: str | None,
) -> Filters:
    """What History's filter widgets hold, as Filters: "Only mine" (with a name in the
    sidebar) wins over the person box; EVERYONE in a box is no filter."""
    chosen_person = me if (mine and me) else (None if person == EVERYONE else person)
    chosen_campaign = None if campaign == EVERYONE else campaign
    return Filters.from_choices(status_words, chosen_campaign, chosen_person, text)


def _conditions(
    filters: Filters, dialect: str = "", hidden_apart: bool = False, indexed: bool = True
) -> list[ColumnElement[bool]]:
    """The WHERE of these filters; `hidden_apart`: without the hidden videos' condition
    (the caller counts them apart); `indexed=False`: the search without its index (each
    row walked is tested, see `_walked_page`)."""
    where: list[ColumnElement[bool]] = []
    # (With an indexed search on SQLite, the trigram index is read first: see there.)
    searched = bool(filters.text) and reads_the_index_first(filters.text, dialect)

    def column(of: Any) -> Any:
        return of + "" if searched else of

    if filters.statuses:
        where.append(column(Task.status).in_(filters.statuses))
    if filters.campaign is not None:
        where.append(column(Task.campaign) == filters.campaign)
    if filters.person:
        where.append(column(Task.person) == filters.person)
    if filters.text:
        if len(filters.text) > PROMPT.max_length:
            # No prompt is that long; and SQLite refuses LIKE patterns over 50,000 bytes.
            where.append(false())
        else:
            where.append(prompt_contains(filters.text, dialect, indexed))
    if filters.reviews:
        where.append(review_condition(filters.reviews))
    if not hidden_apart:
        hidden = Task.id.in_(select(HiddenVideo.task_id))
        where.append(hidden if filters.hidden else ~hidden)
    if filters.favourites_of:
        mine = select(Favourite.task_id).where(Favourite.account_id == filters.favourites_of)
        where.append(Task.id.in_(mine))
    return where


def review_condition(states: Sequence[str]) -> ColumnElement[bool]:
    """Videos in these review states; a video without a review row is a draft."""
    chosen = Task.id.in_(select(Review.task_id).where(Review.state.in_(list(states))))
    if ReviewState.DRAFT in states:
        unreviewed = Task.id.not_in(select(Review.task_id))
        return or_(chosen, unreviewed & (Task.status == TaskStatus.COMPLETED))
    return chosen


# What a card shows besides the task: its pictures, and the first one's size.
_CARD_RELATIONS = selectinload(Task.images).selectinload(TaskImage.asset)


def count_tasks(store: Store, filters: Filters = Filters()) -> int:
    """How many videos these filters find ("Showing 1–24 of N"), exact; kept until this
    process writes (lib/store/memo.py), so paging or a rerun with the same filters does
    not count again.

    Hidden videos are few: the count is of the videos the other filters find, less the
    hidden ones among them (looked up by their ids). Counted with "not hidden" in the
    condition, every row was checked against the hidden list (PostgreSQL: no index-only
    count; both databases: up to twice the time at 100,000 videos)."""
    return store.memo.get(("history count", filters), lambda: _count_tasks(store, filters))


MANY_HIDDEN = 1000  # hidden videos counted apart up to this many (a list of their ids)


def _count_tasks(store: Store, filters: Filters) -> int:
    dialect = store.engine.dialect.name
    shown = replace(filters, hidden=False)
    # The hidden few, by their ids (a list: no planner walks the whole table for them);
    # the search tested on each as it is (without its index: the same ILIKE decides
    # either way, lib/store/search.py).
    with store.session() as session:
        hidden_ids = list(session.scalars(select(HiddenVideo.task_id).limit(MANY_HIDDEN + 1)))
        if len(hidden_ids) > MANY_HIDDEN:  # not a few: counted in one query after all
            where = _conditions(filters, dialect)
            return int(session.scalar(select(func.count(Task.id)).where(*where)) or 0)
        hidden = 0
        if hidden_ids:
            hidden_ones = _conditions(shown, hidden_apart=True)
            matched = select(func.count(Task.id)).where(Task.id.in_(hidden_ids), *hidden_ones)
            hidden = int(session.scalar(matched) or 0)
        if filters.hidden:
            return hidden
        where = _conditions(shown, dialect, hidden_apart=True)
        every = int(session.scalar(select(func.count(Task.id)).where(*where)) or 0)
        return every - hidden


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // page_size))


def shown_page(asked: int, pages: int) -> int:
    """The page to show when `asked` for (an old link may name one that is gone)."""
    return min(max(asked, 1), pages)


def first_on_page(page: int, page_size: int = PAGE_SIZE) -> int:
    """The number of the first video on a page (1 on page 1)."""
    return (page - 1) * page_size + 1


def page_of_tasks(
    store: Store,
    filters: Filters = Filters(),
    page: int = 1,
    page_size: int = PAGE_SIZE,
    found: int | None = None,
) -> list[Task]:
    """One page, newest first (page 1 is the newest): one query for the tasks (indexed
    ORDER BY created_at DESC, LIMIT/OFFSET) and one for their pictures. `found`: how many
    videos the filters find (count_tasks), when the caller knows it: a search that finds
    many is then read by a walk in date order on SQLite (`_walked_page`)."""
    dialect = store.engine.dialect.name
    offset = (max(page, 1) - 1) * page_size
    with store.session() as session:
        if found and filters.text and reads_the_index_first(filters.text, dialect):
            walked = _walked_page(session, filters, dialect, offset, page_size, found)
            if walked is not None:
                return walked
        query = _page_query(filters, dialect).limit(page_size).offset(offset)
        return list(session.scalars(query))


def _page_query(filters: Filters, dialect: str, indexed: bool = True) -> Select[tuple[Task]]:
    return (
        select(Task)
        .where(*_conditions(filters, dialect, indexed=indexed))
        .order_by(Task.created_at.desc(), Task.id.desc())
        .options(_CARD_RELATIONS)
    )


# How far a page of a search may walk the newest videos, in rows per video found. On
# SQLite (100,000 videos, "fox": 5,000 found) reading what the trigram index gives and
# sorting it costs ~10 µs per video found, walking in date order ~2 µs per row: a walk
# that fails to fill its page costs about half the index's way, on top of it.
WALK_PER_FOUND = 3


def _walked_page(
    session: Session, filters: Filters, dialect: str, offset: int, page_size: int, found: int
) -> list[Task] | None:
    """A page of a search on SQLite, walking the newest videos in date order and testing
    each, which stops after the page, instead of reading every video the trigram index
    gives and sorting them all: the 24 newest of 5,000 found in a few milliseconds,
    where the index's way took 30-60 ms. Tried when the videos found, spread evenly over
    time, would fill the page twice within the walk's reach (`WALK_PER_FOUND * found`
    newest videos); a page not filled within it (the videos found are old) is None: read
    through the index, as before. Either way the page is the same: the ILIKE decides,
    the index only narrows. -> None when not walked."""
    reach = WALK_PER_FOUND * found
    # About the number of videos (a rowid table: its largest rowid, read at once).
    rows = session.scalar(select(func.max(literal_column("rowid"))).select_from(Task)) or 0
    if reach * found < 2 * (offset + page_size) * rows:
        return None
    newest_first = select(Task.created_at).order_by(Task.created_at.desc())
    oldest_walked = session.scalar(newest_first.limit(1).offset(reach - 1))
    query = _page_query(filters, dialect, indexed=False)
    if oldest_walked is not None:  # else the store is shorter than the walk: all of it
        query = query.where(Task.created_at >= oldest_walked)
    tasks = list(session.scalars(query.limit(page_size).offset(offset)))
    if len(tasks) == page_size or oldest_walked is None:
        return tasks
    return None


def fresh_tasks(store: Store, task_ids: Sequence[str]) -> list[Task]:
    """These tasks, fresh from the store, in the order given (missing ones left out)."""
    if not task_ids:
        return []
    query = select(Task).where(Task.id.in_(list(task_ids))).options(_CARD_RELATIONS)
    with store.session() as session:
        found = {task.id: task for task in session.scalars(query)}
    return [found[task_id] for task_id in task_ids if task_id in found]


def find_task(store: Store, task_id: str) -> Task | None:
    found = fresh_tasks(store, [task_id]) if task_id else []
    return found[0] if found else None


class LiveTasks:
    """The tasks of a live gallery: its first drawing uses the tasks the page has just
    read, and every rerun of the cards alone reads them again.

    A rerun after a change is asked for by every open page showing the video at once (50
    pages: 50 reruns of the same card within a second), so the reading is shared: kept
    until this process writes (lib/store/memo.py), the first page's rerun reads the store
    and the others use its reading. A kept reading is used only when it shows a change
    since this card's last drawing (the reason for the rerun); when it shows none (a
    click in the card, or a change made by another server that this one has not read yet)
    the store is read again, so a card never stays behind the change it reruns for."""

    def __init__(self, store: Store, tasks: Sequence[Task]):
        self._store = store
        self._ids = [task.id for task in tasks]
        self._first: list[Task] | None = list(tasks)
        self._drawn = _states(tasks)

    @property
    def first(self) -> bool:
        """Whether the next read is the first drawing (the tasks the page just read)."""
        return self._first is not None

    def read(self) -> list[Task]:
        if self._first is not None:
            tasks, self._first = self._first, None
            return tasks
        key = ("live tasks", tuple(self._ids))
        found, tasks = self._store.memo.peek(key)
        states = _states(tasks) if found else None
        if states is None or states == self._drawn:
            tasks = self._store.memo.read_again(key, self._read)
            states = _states(tasks)
        self._drawn = states
        return list(tasks)

    def _read(self) -> tuple[Task, ...]:
        return tuple(fresh_tasks(self._store, self._ids))


def _states(tasks: Sequence[Task]) -> dict[str, str]:
    """What a card shows of each task's state (a video gone is left out)."""
    return {task.id: shown_state(task.status, task.archive_state) for task in tasks}


def first_queries(store: Store) -> None:
    """At start-up: the page's first queries once, so that SQLAlchemy has compiled them (it
    keeps each statement's SQL after its first use) before the first visit."""
    everyone = Filters()
    shown = page_of_tasks(store, everyone)
    count_tasks(store, everyone)
    fresh_tasks(store, [task.id for task in shown])
    timings(store)
    store.campaigns()
    store.people()
