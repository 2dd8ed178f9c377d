"""History's logic, kept out of the page so it can be tested without a browser: the
queries (filters, pages, counts), the words on each card (status, failure reasons, money),
the HTML of the player, and the card's actions (cancel, retry, use these settings).

Everything a person typed (prompt, name, campaign) is escaped before it reaches HTML or
Markdown: a prompt that contains `<script>` shows as those characters, never as code.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import selectinload

from lib.create import form as create_form
from lib.domain.catalog import TERMINAL_STATUSES, image_frame_size
from lib.domain.money import format_usd, quota_to_usd
from lib.domain.text_fields import PROMPT, TextField, clean
from lib.domain.validation import InvalidRequest as BadSettings
from lib.engine.pace import Timing, first_guess, making_since, timings
from lib.engine.submissions import submit_video
from lib.store.schema import Asset, Task, TaskImage
from lib.store.tasks import Store
from lib.wave import (
    InsufficientBalance,
    TaskNotCancellable,
    TaskNotFound,
    WaveError,
    parse_task,
)

if TYPE_CHECKING:
    from lib.engine.runtime import Studio

PAGE_SIZE = 24
COLUMNS = 3
# While a shown video is being made, the page reruns this often (the progress bars move),
# and at once when one is done (lib/ui/live_refresh.py).
REFRESH_SECONDS = 2
LIBRARY_URL = "/library/"  # Streamlit reserves /media/; our copies are served here
PROMPT_PREVIEW = 280  # characters of the prompt shown on a card before "Full prompt"
SEARCH = TextField("Search", PROMPT.max_length)  # one line, searched in the prompts

# What a person picks in the status filter, and the stored statuses each one means.
STATUS_CHOICES: dict[str, tuple[str, ...]] = {
    "Waiting": ("submitting", "queued"),
    "Being made": ("processing",),
    "Finished": ("completed",),
    "Failed": ("failed",),
    "Cancelled": ("cancelled",),
}


# ----- queries ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    """What History shows: every field empty means every video."""

    statuses: tuple[str, ...] = ()  # stored statuses (see STATUS_CHOICES)
    campaign: str | None = None  # None: all campaigns; "": videos without a campaign
    person: str | None = None  # None: everybody
    text: str = ""  # words in the prompt, any case

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
        return bool(self.statuses or self.campaign is not None or self.person or self.text)


def like_pattern(text: str) -> str:
    r"""`%text%` for LIKE, with LIKE's own wildcards taken literally (escape char `\`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.statuses:
        where.append(Task.status.in_(filters.statuses))
    if filters.campaign is not None:
        where.append(Task.campaign == filters.campaign)
    if filters.person:
        where.append(Task.person == filters.person)
    if filters.text:
        if len(filters.text) > PROMPT.max_length:
            # No prompt is that long; and SQLite refuses LIKE patterns over 50,000 bytes.
            where.append(false())
        else:
            where.append(Task.prompt.ilike(like_pattern(filters.text), escape="\\"))
    return where


# What a card shows besides the task: its pictures, and the first one's size.
_CARD_RELATIONS = selectinload(Task.images).selectinload(TaskImage.asset)


def count_tasks(store: Store, filters: Filters = Filters()) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count(Task.id)).where(*_conditions(filters))) or 0)


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // page_size))


def page_of_tasks(
    store: Store, filters: Filters = Filters(), page: int = 1, page_size: int = PAGE_SIZE
) -> list[Task]:
    """One page, newest first (page 1 is the newest): one query for the tasks (indexed
    ORDER BY created_at DESC, LIMIT/OFFSET) and one for their pictures."""
    query = (
        select(Task)
        .where(*_conditions(filters))
        .order_by(Task.created_at.desc(), Task.id.desc())
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
        .options(_CARD_RELATIONS)
    )
    with store.session() as session:
        return list(session.scalars(query))


def load_tasks(store: Store, task_ids: Sequence[str]) -> list[Task]:
    """These tasks, fresh from the store, in the order given (missing ones left out)."""
    if not task_ids:
        return []
    query = select(Task).where(Task.id.in_(list(task_ids))).options(_CARD_RELATIONS)
    with store.session() as session:
        found = {task.id: task for task in session.scalars(query)}
    return [found[task_id] for task_id in task_ids if task_id in found]


def find_task(store: Store, task_id: str) -> Task | None:
    found = load_tasks(store, [task_id]) if task_id else []
    return found[0] if found else None


# ----- live progress ---------------------------------------------------------------------
def in_flight(task: Task) -> bool:
    """Still changing on its own: being sent or made, or made and being saved."""
    return _in_flight(task.status, task.archive_state)


def _in_flight(status: str, archive_state: str) -> bool:
    if status not in TERMINAL_STATUSES:
        return True
    return status == "completed" and archive_state in ("none", "pending")


def refresh_interval(tasks: Iterable[Task]) -> int | None:
    """Seconds between re-reads of the shown cards, or None when nothing shown can change
    any more (then the page has no timer at all)."""
    return REFRESH_SECONDS if any(in_flight(task) for task in tasks) else None


def still_in_flight_in_store(store: Store, task_ids: Sequence[str]) -> frozenset[str]:
    """Which of these tasks are still in flight, straight from the store: one query on
    primary keys, no objects built (asked for each open page whenever a video is
    finished, and twice a second)."""
    if not task_ids:
        return frozenset()
    query = select(Task.id, Task.status, Task.archive_state).where(Task.id.in_(list(task_ids)))
    with store.session() as session:
        rows = session.execute(query).all()
    return frozenset(task_id for task_id, status, saved in rows if _in_flight(status, saved))


@dataclass(frozen=True)
class Progress:
    """The progress bar of an unfinished video."""

    percent: int
    words: str
    seconds_left: float | None = None  # the number the words show, if they show one
    estimated: bool = False  # the step is a guess: the service reports only the end


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
    if task.status == "completed":
        return Progress(100, "Saving your video…")
    if task.status == "submitting" or task.submitted_at is None:
        return Progress(0, status_words(task))
    timing = timing or first_guess(task.duration)
    now = now or datetime.now(UTC)
    elapsed = (now - task.submitted_at).total_seconds()
    left = timing.total - elapsed
    estimated = False
    if task.status == "processing":
        step = "Being made"
        if making_since is not None:
            left = timing.making - (now - making_since).total_seconds()
    elif reported:
        step = "Waiting in line"
    else:
        step = "Probably waiting in line" if elapsed < timing.queue else "Probably being made"
        estimated = True
    done_share = 1 - max(left, 0) / timing.total
    percent = max(task.progress, int(min(95, max(0, 100 * done_share))))
    if left >= FEW_SECONDS:
        shown = shown_seconds(left)
        return Progress(percent, f"{step} — about {duration_words(shown)} left", shown, estimated)
    if left > 0:
        return Progress(percent, f"{step} — less than {FEW_SECONDS} s left", None, estimated)
    return Progress(percent, f"{step} — taking a little longer than usual", None, estimated)


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
    making = making_since(store, [t.id for t in flying if t.status == "processing"])
    found = {}
    for task in flying:
        timing = learned.expected(task.model, task.resolution, task.duration)
        progress = progress_of(task, timing, making.get(task.id), reported, now)
        if progress is not None:
            found[task.id] = progress
    return found


# ----- the card's words ------------------------------------------------------------------
def status_words(task: Task) -> str:
    if task.status == "submitting":
        return "Sending to the video service…"
    if task.status == "queued":
        return "Waiting in line"
    if task.status == "processing":
        return "Being made"
    if task.status == "completed":
        return {
            "archived": "Ready",
            "link_expired": "Made, but not saved",
            "failed": "Made, but not saved",
        }.get(task.archive_state, "Saving your video…")
    if task.status == "failed":
        return "Failed"
    if task.status == "cancelled":
        return "Cancelled"
    return task.status.capitalize()


def usd(quota: int | None) -> str:
    return format_usd(quota_to_usd(quota or 0))


def _charged(task: Task, capital: bool) -> str:
    """'you were not charged' or 'you were charged $0.0446', as the store has it."""
    cost = task.cost_quota or 0
    words = f"you were charged {usd(cost)}" if cost else "you were not charged"
    return words[0].upper() + words[1:] if capital else words


# A failed video's reason, by the service's error code: {charged} / {Charged} is filled in
# from what the store settled (failures normally cost nothing).
FAILURE_REASONS = {
    "upstream_unavailable": "The video service was busy or down. Try again — {charged}.",
    "upstream_bad_request": (
        "The service couldn't use the request (often a reference picture it couldn't "
        "open). {Charged}."
    ),
    "upstream_rate_limited": (
        "The video service had too many requests at once. Wait a few minutes and try "
        "again — {charged}."
    ),
    "task_failed": (
        "The video service couldn't make this video. Try again, perhaps with a reworded "
        "prompt — {charged}."
    ),
    "task_not_found": (
        "The video service lost track of this video, so it can't be finished. Try again — "
        "{charged}."
    ),
}
GENERIC_FAILURE = "This video couldn't be made. {Charged}."
# Codes whose own message from the service is worth showing (in smaller text).
SHOW_SERVICE_MESSAGE = {"upstream_bad_request"}


@dataclass(frozen=True)
class Problem:
    """What went wrong, in words: a sentence, and optionally more detail (the service's
    own words, or the studio's when it was the studio that stopped)."""

    text: str
    detail: str | None = None
    detail_from: str = "The service said"


# "(ConnectionError)", "(requests.exceptions.ReadTimeout)": a program's name for what
# went wrong, which means nothing to the person reading the card.
_PROGRAM_NAME = re.compile(
    r"\s*\((?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Timeout|Refused|Reset)\)"
)
_PICTURE = re.compile(r"\b(?:Reference image|Image) (\d+)\b")


def service_words(message: str, task: Task) -> str:
    """The service's own words for a failure, for people: no program names, and a
    picture named as the person knows it ("Picture 3 (the link https://…)")."""

    def picture(found: re.Match[str]) -> str:
        position = int(found.group(1))
        images = task.images if "images" in task.__dict__ else []
        if 1 <= position <= len(images) and not images[position - 1].asset_sha256:
            return f"Picture {position} (the link {images[position - 1].url})"
        return f"Picture {position}"

    return _PICTURE.sub(picture, _PROGRAM_NAME.sub("", message)).strip()


def problem_of(task: Task) -> Problem | None:
    """Why this video can't be watched, in words; None when nothing went wrong."""
    if task.status == "failed":
        template = FAILURE_REASONS.get(task.error_code or "", GENERIC_FAILURE)
        text = template.format(charged=_charged(task, False), Charged=_charged(task, True))
        known = task.error_code in FAILURE_REASONS
        show = not known or task.error_code in SHOW_SERVICE_MESSAGE
        said = service_words(task.error_message, task) if show and task.error_message else None
        return Problem(text, said or None)
    if task.status == "completed" and task.archive_state == "link_expired":
        return Problem(
            "The video was made, but the video service's download link expired before the "
            "studio could save a copy, so it can't be played here. It was still charged "
            f"({usd(task.cost_quota)})."
        )
    if task.status == "completed" and task.archive_state == "failed":
        return Problem(
            "The video was made, but the studio couldn't save a copy, so it can't be played "
            f"here. It was still charged ({usd(task.cost_quota)}).",
            task.archive_error,
            "Details",
        )
    if task.status == "submitting" and task.error_message:
        return Problem(
            "The video service hasn't answered yet. The studio keeps trying with the same "
            "request, so it will never be sent or charged twice."
        )
    return None


def money_line(task: Task) -> str:
    """Estimate · charged (or on hold while it is made) · refunded."""
    parts = [f"Estimate {usd(task.estimate_quota)}"]
    if task.cost_quota is not None:
        parts.append(f"Charged {usd(task.cost_quota)}")
    elif task.pre_consumed_quota is not None:
        parts.append(f"On hold {usd(task.pre_consumed_quota)}")
    if task.refunded_quota:
        parts.append(f"Refunded {usd(task.refunded_quota)}")
    return " · ".join(parts)


def settings_line(task: Task) -> str:
    """The parameters in words: mode, shape or pictures, resolution, length."""
    if task.mode == "image":
        count = len(task.images) or len(task.request.get("image_urls", ()))
        shape = f"{count} picture{'s' if count != 1 else ''}"
        mode = create_form.MODE_LABELS["image"]
    else:
        shape = task.aspect_ratio or ""
        mode = create_form.MODE_LABELS["text"]
    return " · ".join(p for p in (mode, shape, task.resolution, f"{task.duration} s") if p)


def when_words(when: datetime, timezone: str | None = None, now: datetime | None = None) -> str:
    """`Today 09:30`, `Yesterday 17:02` or `24 Nov 2026, 09:30`, in the viewer's zone."""
    try:
        zone = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = when.astimezone(zone)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"Today {clock}"
    if local.date() == today - timedelta(days=1):
        return f"Yesterday {clock}"
    return f"{local.day} {local.strftime('%b %Y')}, {clock}"


def byline(task: Task, timezone: str | None = None, now: datetime | None = None) -> str:
    """Who, for which campaign, when — as Markdown with the person's words escaped."""
    parts = [escape_markdown(task.person)]
    if task.campaign:
        parts.append(escape_markdown(task.campaign))
    parts.append(when_words(task.created_at, timezone, now))
    return " · ".join(parts)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'@%])")


def escape_markdown(text: str) -> str:
    """Plain text for st.markdown/st.caption: every Markdown (and Streamlit directive)
    character backslash-escaped, on one line."""
    one_line = " ".join((text or "").split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line)


def prompt_preview(task: Task) -> tuple[str, bool]:
    """(the prompt as shown on the card, whether it was cut short)."""
    prompt = task.prompt or ""
    if len(prompt) <= PROMPT_PREVIEW:
        return prompt, False
    return prompt[: PROMPT_PREVIEW - 1].rstrip() + "…", True


# ----- the player ------------------------------------------------------------------------
def library_url(name: str) -> str:
    return LIBRARY_URL + name


def playable(task: Task) -> bool:
    return task.status == "completed" and task.archive_state == "archived" and bool(task.video_file)


def _aspect(task: Task) -> str:
    """The shape of the video: as made, else as it will be (the first picture's shape for
    image-to-video, the chosen ratio otherwise)."""
    if task.video_width and task.video_height:
        return f"{task.video_width} / {task.video_height}"
    picture = _first_picture(task)
    if picture is not None:
        width, height = image_frame_size(picture.width, picture.height, task.resolution)
        return f"{width} / {height}"
    ratio = (task.aspect_ratio or "16:9").split(":")
    return f"{ratio[0]} / {ratio[1]}" if len(ratio) == 2 else "16 / 9"


def _first_picture(task: Task) -> Asset | None:
    """The first picture's record, when the card's query loaded it (_CARD_RELATIONS)."""
    if task.mode != "image" or "images" not in task.__dict__ or not task.images:
        return None
    first = task.images[0]
    return first.__dict__.get("asset")


def player_html(task: Task) -> str:
    """The video, from our own copy: only the poster loads until someone presses play."""
    if not playable(task):
        return ""
    poster = f' poster="{html.escape(library_url(task.poster_file))}"' if task.poster_file else ""
    label = html.escape(task.prompt[:120] or "Video", quote=True)
    return (
        f'<video controls preload="none" playsinline{poster}'
        f' src="{html.escape(library_url(task.video_file))}" aria-label="{label}"'
        f' style="width:100%;aspect-ratio:{_aspect(task)};border-radius:8px;'
        'background:#1F1B2E;display:block"></video>'
    )


def placeholder_html(task: Task) -> str:
    """A box the size of the video, where the video is (or would have been)."""
    words = "Your video will appear here" if in_flight(task) else "No video to play"
    return (
        f'<div style="width:100%;aspect-ratio:{_aspect(task)};border-radius:8px;'
        "background:#F4F2FB;color:#5b5670;display:flex;align-items:center;"
        'justify-content:center;text-align:center;padding:0 12px;box-sizing:border-box">'
        f"{words}</div>"
    )


def _slug(text: str, limit: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-")


def download_name(task: Task) -> str:
    """`spring-launch-a-red-kite-over-a-windy-2026-11-24.mp4`: readable, safe anywhere."""
    parts = [_slug(task.campaign, 30), _slug(task.prompt, 40) or "video"]
    parts.append(task.created_at.strftime("%Y-%m-%d"))
    return "-".join(p for p in parts if p) + ".mp4"


def download_html(task: Task) -> str:
    """A plain link to our copy (the browser downloads it; no bytes pass the page)."""
    if not playable(task):
        return ""
    return (
        f'<a href="{html.escape(library_url(task.video_file))}"'
        f' download="{html.escape(download_name(task))}">Download</a>'
    )


# ----- actions ---------------------------------------------------------------------------
def can_cancel(task: Task) -> bool:
    return task.status == "queued" and bool(task.wave_task_id)


def can_retry(task: Task) -> bool:
    return task.status == "failed"


class Message(str):
    """Words for the person, that also say whether the action did what was asked."""

    ok: bool

    def __new__(cls, text: str, ok: bool = False) -> Message:
        message = super().__new__(cls, text)
        message.ok = ok
        return message


def cancel_task(studio: Studio, task_id: str, now: datetime | None = None) -> Message:
    """Cancel a video that is still waiting in line, and record the refund. -> words."""
    store = studio.store
    task = store.get_task(task_id)
    if task is None:
        return Message("This video no longer exists.")
    if not can_cancel(task):
        state = status_words(task).lower()
        return Message(f"Only a video waiting in line can be cancelled; this one is {state}.")
    try:
        studio.client.cancel(task.wave_task_id)  # type: ignore[arg-type]  # checked above
    except TaskNotCancellable:
        _look_again(studio, task.id)
        return Message(
            "Too late to cancel: this video is no longer waiting in line — the video service "
            "has already started making it, and it is charged when it is done."
        )
    except TaskNotFound:
        _look_again(studio, task.id)
        return Message("The video service no longer knows this video: nothing to cancel.")
    except WaveError as exc:
        return Message(f"Couldn't cancel right now: {exc} Try again in a moment.")
    finally:
        store.count_api_calls(task.id)
    when = now or datetime.now(UTC)
    cancelled = parse_task({"task_id": task.wave_task_id, "status": "cancelled", "cost": 0})
    settled = store.apply_state(task.id, cancelled, "service", when, when)
    refunded = settled.refunded_quota if settled and settled.refunded_quota else 0
    return Message(f"Cancelled — {usd(refunded)} refunded", ok=True)


def _look_again(studio: Studio, task_id: str) -> None:
    """The service knows better than the store: have the tracker ask it now."""
    studio.store.reschedule(task_id, datetime.now(UTC))
    studio.tracker.poke()


class Retry(NamedTuple):
    task: Task | None  # the new video, or None when nothing was sent
    message: str


def retry_key(task: Task) -> str:
    """One retry per failed video: a second click finds the first retry again."""
    return f"retry-{task.id}"


def retry_task(studio: Studio, task_id: str, person: str | None) -> Retry:
    """Send a failed video's request again, with its pictures, as a new video."""
    task = studio.store.get_task(task_id)
    if task is None:
        return Retry(None, "This video no longer exists.")
    if not can_retry(task):
        return Retry(None, "Only a failed video can be tried again.")
    if not person:
        return Retry(None, "Enter your name in the sidebar first, so the new video is yours.")
    images = [(image.url, image.asset_sha256) for image in task.images]
    try:
        outcome = submit_video(
            studio, dict(task.request), person, task.campaign, retry_key(task), images
        )
    except BadSettings as exc:
        if exc.param == "image_urls":  # an older video's outside link that can't be fetched
            return Retry(
                None,
                f"Couldn't try again: {exc} Press “Use these settings” to replace that picture.",
            )
        return Retry(None, f"These settings can't be sent any more: {exc}")
    except InsufficientBalance:
        return Retry(None, "There isn't enough credit left on the account to try again.")
    except WaveError as exc:
        return Retry(None, f"Couldn't start it again: {exc}")
    if not outcome.created:
        return Retry(outcome.task, "You already tried this one again — look for the newer video.")
    return Retry(outcome.task, f"Trying again — estimate {usd(outcome.task.estimate_quota)}")


def use_settings(state: MutableMapping[str, Any], task: Task) -> None:
    """Fill the Create form with this video's settings (then switch to Create)."""
    images = [(image.url, image.asset_sha256) for image in task.images]
    create_form.prefill(state, task.request, task.campaign, images)


def warm_up(store: Store) -> None:
    """At start-up: the page's first queries once, so that SQLAlchemy has compiled them (it
    keeps each statement's SQL after its first use) before the first visit."""
    everyone = Filters()
    shown = page_of_tasks(store, everyone)
    count_tasks(store, everyone)
    load_tasks(store, [task.id for task in shown])
    timings(store)
    store.campaigns()
    store.people()
