"""Wave API replies turned into plain values, tolerant of every variant real replies have shown.

`shared/wave-api.md` lists them: `progress` as "45%" or "", timestamps in seconds instead
of milliseconds, `result.videos[].url` as one string instead of a list, and unknown extra
fields anywhere. Everything here is pure (no HTTP), so callback bodies parse the same way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from lib.domain.statuses import SERVICE_STATUSES, TERMINAL_STATUSES, TaskStatus
from lib.domain.text_fields import SERVICE_ERROR_CODE, SERVICE_TASK_ID, clean_text, fit
from lib.wave.errors import UnexpectedReply

# Names some services use for the contract's statuses (accepted defensively).
STATUS_ALIASES = {
    "running": TaskStatus.PROCESSING,
    "succeeded": TaskStatus.COMPLETED,
    "canceled": TaskStatus.CANCELLED,
}

# Unix times above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
_MS_THRESHOLD = 1e11

_MAX_ERROR_TEXT = 300


@dataclass(frozen=True)
class TaskState:
    """One task as the service described it at one moment."""

    task_id: str
    status: str  # queued, processing, completed, failed or cancelled
    progress: int  # 0..100; 100 when completed
    action: str | None = None
    model: str | None = None
    created_at: datetime | None = None  # aware, UTC
    completed_at: datetime | None = None
    cost: int | None = None  # quota, terminal states only
    pre_consumed_cost: int | None = None  # quota, in the submit reply
    billing_status: str | None = None  # "settled" / "refunded" (terminal states)
    video_urls: tuple[str, ...] = ()
    expires_at: datetime | None = None  # earliest expiry of the video links
    error_code: str | None = None
    error_message: str | None = None
    urls_get: str | None = None
    urls_cancel: str | None = None
    wait_honoured: bool = False  # the service applied `Prefer: wait`
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class CancelResult:
    task_id: str
    status: str
    refunded: bool
    refunded_quota: int


@dataclass(frozen=True)
class Balance:
    total_granted_usd: Decimal
    total_used_usd: Decimal
    total_available_usd: Decimal
    currency: str = "USD"
    as_of: datetime | None = None


# ----- tasks ----------------------------------------------------------------------------
def parse_task(data: Any, *, wait_honoured: bool = False) -> TaskState:
    """A task object (GET reply, submit reply or callback body) as a TaskState."""
    if not isinstance(data, dict):
        raise UnexpectedReply("The video service sent a task that is not a JSON object.")
    task_id = data.get("task_id")
    if not isinstance(task_id, str | int) or isinstance(task_id, bool) or str(task_id) == "":
        raise UnexpectedReply("The video service sent a task without a task id.")
    if str(task_id) != fit(SERVICE_TASK_ID, str(task_id)):  # too long, or odd characters
        raise UnexpectedReply("The video service sent a task id the studio can't keep.")
    status = parse_status(data.get("status"))
    videos = _videos(data.get("result"))
    urls = data.get("urls") if isinstance(data.get("urls"), dict) else {}
    error_code, error_message = _task_error(data.get("error"))
    expiries = [when for _, when in videos if when is not None]
    return TaskState(
        task_id=str(task_id),
        status=status,
        progress=100 if status == TaskStatus.COMPLETED else _progress(data.get("progress")),
        action=_text(data.get("action")),
        model=_text(data.get("model")),
        created_at=parse_time(data.get("created_at")),
        completed_at=parse_time(data.get("completed_at")),
        cost=_quota(data.get("cost")),
        pre_consumed_cost=_quota(data.get("pre_consumed_cost")),
        billing_status=_billing(data.get("billing_status")),
        video_urls=tuple(url for video_urls, _ in videos for url in video_urls),
        expires_at=min(expiries) if expiries else None,
        error_code=error_code,
        error_message=error_message,
        urls_get=_text(urls.get("get")),
        urls_cancel=_text(urls.get("cancel")),
        wait_honoured=wait_honoured,
        raw=data,
    )


def parse_status(value: Any) -> str:
    status = value.strip().lower() if isinstance(value, str) else ""
    status = STATUS_ALIASES.get(status, status)
    if status not in SERVICE_STATUSES:
        shown = "no status" if not status else f"the unknown status {str(value)[:40]!r}"
        raise UnexpectedReply(f"The video service sent a task with {shown}.")
    return status


def _billing(value: Any) -> str | None:
    """The reply's `billing_status`, as a short word the store can hold (else None)."""
    text = _text(value)
    word = text.strip().lower() if text else ""
    return word if word and len(word) <= 16 and word.replace("_", "").isalpha() else None


def _progress(value: Any) -> int:
    number = _number(value.strip().rstrip("%") if isinstance(value, str) else value)
    if number is None:
        return 0
    return max(0, min(100, math.floor(number + 0.5)))


def _videos(result: Any) -> list[tuple[list[str], datetime | None]]:
    """(urls, expires_at) of each video in `result.videos`, in order."""
    if not isinstance(result, dict):
        return []
    videos = result.get("videos")
    if isinstance(videos, dict | str):
        videos = [videos]
    if not isinstance(videos, list):
        return []
    out = []
    for video in videos:
        if isinstance(video, str):  # a bare link
            video = {"url": video}
        if not isinstance(video, dict):
            continue
        url = video.get("url")
        links = [url] if isinstance(url, str) else url if isinstance(url, list) else []
        out.append(
            # A link with characters no database keeps (NUL…) is no link.
            (
                [u for u in links if isinstance(u, str) and u and clean_text(u) == u],
                parse_time(video.get("expires_at")),
            )
        )
    return out


def _task_error(error: Any) -> tuple[str | None, str | None]:
    if isinstance(error, dict):
        code = _text(error.get("code"))
        return code and fit(SERVICE_ERROR_CODE, code), _text(error.get("message"))
    return None, _text(error)


# ----- models -------------------------------------------------------------------------
def parse_models(data: Any) -> tuple[str, ...]:
    """The model ids of a GET /v1/models reply (OpenAI-style `{"data": [{"id"}]}`); what
    else an entry carries (a `price_config`...) is not read: prices come from the catalog."""
    entries = data.get("data") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise UnexpectedReply("The video service sent a list of models the studio can't read.")
    ids = []
    for entry in entries:
        model_id = entry.get("id") if isinstance(entry, dict) else entry
        text = _text(model_id) if isinstance(model_id, str) else None
        if text and len(text) <= 128:
            ids.append(text)
    return tuple(ids)


# ----- cancel and balance -----------------------------------------------------------------
def parse_cancel(data: Any, task_id: str) -> CancelResult:
    if not isinstance(data, dict):
        raise UnexpectedReply("The video service sent a cancel reply that is not a JSON object.")
    refunded = data.get("refunded")
    return CancelResult(
        task_id=_text(data.get("task_id")) or task_id,
        # A 200 to a cancel means it was cancelled, whatever else the reply leaves out.
        status=parse_status(data.get("status") or TaskStatus.CANCELLED),
        refunded=refunded if isinstance(refunded, bool) else True,
        refunded_quota=_quota(data.get("refunded_quota")) or 0,
    )


def parse_balance(data: Any) -> Balance:
    if not isinstance(data, dict):
        raise UnexpectedReply("The video service sent a balance that is not a JSON object.")
    amounts = {
        name: _decimal(data.get(name))
        for name in ("total_granted_usd", "total_used_usd", "total_available_usd")
    }
    missing = [name for name, amount in amounts.items() if amount is None]
    if missing:
        raise UnexpectedReply(f"The video service sent a balance without {', '.join(missing)}.")
    return Balance(
        **amounts,  # type: ignore[arg-type]  # None ruled out just above
        currency=_text(data.get("currency")) or "USD",
        as_of=parse_time(data.get("as_of")),
    )


# ----- errors -----------------------------------------------------------------------------
def parse_error_body(
    text: str, content_type: str = ""
) -> tuple[str | None, str | None, str | None]:
    """(message, code, param) from an error reply, whatever shape it has.

    The contract's shape is {"error": {"message", "code", "param"}}; proxies answer with
    plain text or whole HTML pages, of which nothing is worth showing to people.
    """
    stripped = text.strip()
    if "html" in content_type.lower() or stripped.startswith("<"):
        return None, None, None
    try:
        data = json.loads(stripped)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, str):
            return _short(error), None, None
        if isinstance(error, dict):
            return _short(error.get("message")), _text(error.get("code")), _text(error.get("param"))
        return None, None, None
    if data is not None or not stripped:
        return None, None, None
    return _short(stripped), None, None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    seconds = _number(value.strip())
    if seconds is not None:
        return seconds if seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# ----- small value parsers ----------------------------------------------------------------
def parse_time(value: Any) -> datetime | None:
    """A Unix time in seconds or milliseconds (told apart by size), or an ISO 8601 string."""
    if isinstance(value, str) and value.strip() and _number(value.strip()) is None:
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    number = _number(value.strip() if isinstance(value, str) else value)
    if number is None or number <= 0:
        return None
    if number > _MS_THRESHOLD:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and value:
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _quota(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else math.floor(number + 0.5)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        # str() first: 0.044626 stays 0.044626 instead of its binary approximation.
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _text(value: Any) -> str | None:
    """Text from the service, kept as the studio keeps any text (lib/domain/text_fields.py: no
    NUL, controls or lone surrogates a database would refuse)."""
    text = clean_text(value) if isinstance(value, str) else ""
    return text or None


def _short(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= _MAX_ERROR_TEXT else text[: _MAX_ERROR_TEXT - 1] + "…"
