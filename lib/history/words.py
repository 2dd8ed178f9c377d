"""The words on a History card: its status, why it failed (in words, with what was
charged), its money, settings and byline.

Everything a person typed (prompt, name, campaign) is escaped before it reaches HTML or
Markdown: a prompt that contains `<script>` shows as those characters, never as code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.create import form
from lib.domain.catalog import display_name
from lib.domain.money import quota_usd as usd
from lib.domain.restyle import MODE as RESTYLE_MODE
from lib.domain.statuses import ArchiveState, TaskStatus, blocked_by_content_rules
from lib.store.schema import Task

if TYPE_CHECKING:
    pass
from lib.domain.markdown import escape_markdown
from lib.history.queries import EVERYONE, first_on_page

RESTYLE_WORD = "Restyle"
PROMPT_PREVIEW = 280  # characters of the prompt shown on a card before "Full prompt"


def status_words(task: Task) -> str:
    if task.status == TaskStatus.SUBMITTING:
        return "Sending to the video service…"
    if task.status == TaskStatus.QUEUED:
        return "Waiting in line"
    if task.status == TaskStatus.PROCESSING:
        return "Being made"
    if task.status == TaskStatus.COMPLETED:
        return {
            ArchiveState.ARCHIVED: "Ready",
            ArchiveState.LINK_EXPIRED: "Made, but not saved",
            ArchiveState.FAILED: "Made, but not saved",
            ArchiveState.DELETED: "Files deleted",
        }.get(task.archive_state, "Saving your video…")
    if task.status == TaskStatus.FAILED:
        return "Blocked" if blocked(task) else "Failed"
    if task.status == TaskStatus.CANCELLED:
        return "Cancelled"
    return task.status.capitalize()


def blocked(task: Task) -> bool:
    """Refused by the service under its content rules (a failure of its own kind)."""
    return task.status == TaskStatus.FAILED and blocked_by_content_rules(
        task.error_code, task.error_message
    )


def _charged(task: Task, capital: bool) -> str:
    """'you were not charged' or 'you were charged $0.0446', as the store has it (the
    service's `cost`), with the service's own billing word when it gave one."""
    cost = task.cost_quota or 0
    words = f"you were charged {usd(cost)}" if cost else "you were not charged"
    if task.billing_status:
        words += f" (the service says: {task.billing_status})"
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
BLOCKED = "Blocked by the service's content rules"
# Codes whose own message from the service is worth showing (in smaller text).
SHOW_SERVICE_MESSAGE = {"upstream_bad_request"}


@dataclass(frozen=True)
class CardProblem:
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


def problem_of(task: Task) -> CardProblem | None:
    """Why this video can't be watched, in words; None when nothing went wrong."""
    if blocked(task):
        said = service_words(task.error_message, task) if task.error_message else None
        return CardProblem(f"{BLOCKED}. {_charged(task, True)}.", said or None)
    if task.status == TaskStatus.FAILED:
        template = FAILURE_REASONS.get(task.error_code or "", GENERIC_FAILURE)
        text = template.format(charged=_charged(task, False), Charged=_charged(task, True))
        known = task.error_code in FAILURE_REASONS
        show = not known or task.error_code in SHOW_SERVICE_MESSAGE
        said = service_words(task.error_message, task) if show and task.error_message else None
        return CardProblem(text, said or None)
    if task.status == TaskStatus.COMPLETED and task.archive_state == ArchiveState.LINK_EXPIRED:
        return CardProblem(
            "The video was made, but the video service's download link expired before the "
            "studio could save a copy, so it can't be played here. It was still charged "
            f"({usd(task.cost_quota)})."
        )
    if task.status == TaskStatus.COMPLETED and task.archive_state == ArchiveState.FAILED:
        return CardProblem(
            "The video was made, but the studio couldn't save a copy, so it can't be played "
            f"here. It was still charged ({usd(task.cost_quota)}).",
            task.archive_error,
            "Details",
        )
    if task.status == TaskStatus.SUBMITTING and task.error_message:
        return CardProblem(
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
    """The parameters in words: model, mode, shape or pictures, resolution, length."""
    if task.mode == "image":
        count = len(task.images) or len(task.request.get("image_urls", ()))
        shape = f"{count} picture{'s' if count != 1 else ''}"
        if task.request.get("aspect_ratio"):  # a model that keeps the shape chosen
            shape += f" · {task.request['aspect_ratio']}"
        mode = form.MODE_LABELS["image"]
    elif task.mode == RESTYLE_MODE:  # issue 18: keeps its source's shape
        shape, mode = task.aspect_ratio or "", RESTYLE_WORD
    else:
        shape = task.aspect_ratio or ""
        mode = form.MODE_LABELS["text"]
    parts = (display_name(task.model), mode, shape, task.resolution, f"{task.duration} s")
    return " · ".join(p for p in parts if p)


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
    if task.kit_name:  # issue 18: the brand kit used, as it was named then
        parts.append("kit " + escape_markdown(task.kit_name))
    parts.append(when_words(task.created_at, timezone, now))
    return " · ".join(parts)


def prompt_preview(task: Task) -> tuple[str, bool]:
    """(the prompt as shown on the card, whether it was cut short)."""
    prompt = task.prompt or ""
    if len(prompt) <= PROMPT_PREVIEW:
        return prompt, False
    return prompt[: PROMPT_PREVIEW - 1].rstrip() + "…", True


def campaign_choice(campaign: str) -> str:
    """How the campaign filter names a choice."""
    return "All campaigns" if campaign == EVERYONE else campaign or "No campaign"


def person_choice(person: str) -> str:
    """How the person filter names a choice."""
    return "Everyone" if person == EVERYONE else person


def showing_words(page: int, pages: int, shown: int, total: int) -> str:
    """`Showing 25–48 of 1,000 videos · page 2 of 42`."""
    first = first_on_page(page)
    noun = "video" if total == 1 else "videos"
    where = f" · page {page} of {pages}" if pages > 1 else ""
    return f"Showing {first}–{first + shown - 1} of {total:,} {noun}{where}"
