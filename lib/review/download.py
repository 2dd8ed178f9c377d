"""The approved videos of a campaign (or a selection) as one ZIP with a CSV manifest
(prompt, model, settings, maker, approver, cost; formulas defused), written as a stream:
each video is read from the storage in pieces and handed on as it is packed, so the
server never holds a whole video, let alone the whole ZIP."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from lib.domain.catalog import display_name
from lib.domain.csv_cells import defuse_cell
from lib.domain.money import csv_usd
from lib.domain.review import ReviewState
from lib.domain.statuses import TaskStatus
from lib.storage import LIBRARY, Storage
from lib.store.schema import HiddenVideo, Review, Task
from lib.store.tasks import Store

MAX_VIDEOS = 500  # one ZIP; more is asked for campaign by campaign
MANIFEST = "manifest.csv"
COLUMNS = (
    "file",
    "video_id",
    "campaign",
    "prompt",
    "model",
    "mode",
    "aspect_ratio",
    "resolution",
    "duration_s",
    "made_by",
    "made_at_utc",
    "approved_by",
    "approved_at_utc",
    "cost_usd",
    "cost_quota",
)


@dataclass(frozen=True)
class Approved:
    task: Task
    review: Review

    @property
    def file_name(self) -> str:
        return f"{_slug(self.task.campaign) or 'video'}-{self.task.id[:12]}.mp4"


def zip_name(campaign: str | None) -> str:
    """`approved-spring-launch.zip` (ASCII only: it goes into a header)."""
    return f"approved-{_slug(campaign or '') or 'videos'}.zip"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:40]


def approved_videos(
    store: Store, campaign: str | None = None, task_ids: Sequence[str] = ()
) -> list[Approved]:
    """The approved, saved videos of a campaign or of these ids, oldest first."""
    query = (
        select(Task, Review)
        .join(Review, Review.task_id == Task.id)
        .where(
            Review.state == ReviewState.APPROVED,
            Task.status == TaskStatus.COMPLETED,
            Task.video_file.is_not(None),
            Task.id.not_in(select(HiddenVideo.task_id)),
        )
        .order_by(Task.created_at, Task.id)
        .limit(MAX_VIDEOS)
    )
    if campaign is not None:
        query = query.where(Task.campaign == campaign)
    elif task_ids:
        query = query.where(Task.id.in_(list(task_ids)))
    else:
        return []
    with store.session() as session:
        return [Approved(task, review) for task, review in session.execute(query)]


def manifest_csv(videos: Sequence[Approved]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for item in videos:
        task, review = item.task, item.review
        cost = task.cost_quota or 0
        row = (
            item.file_name,
            task.id,
            task.campaign,
            task.prompt,
            display_name(task.model),
            task.mode,
            task.aspect_ratio or "",
            task.resolution,
            task.duration,
            task.person,
            f"{task.created_at:%Y-%m-%d %H:%M:%S}",
            review.by_name + (" (guest)" if review.by_guest else ""),
            f"{review.at:%Y-%m-%d %H:%M:%S}",
            csv_usd(cost),
            cost,
        )
        writer.writerow([defuse_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")  # the BOM: spreadsheets read it as UTF-8


class _Pipe(io.RawIOBase):
    """Where zipfile writes: it keeps only what was written since the last `drain`."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._pieces.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out, self._pieces = b"".join(self._pieces), []
        return out


def zip_stream(storage: Storage, videos: Sequence[Approved]) -> Iterator[bytes]:
    """The ZIP, piece by piece: the manifest, then each video as the storage gives it
    (stored, not compressed: MP4 is compressed already). A video whose file is missing
    is left out and named in `missing.txt`."""
    pipe = _Pipe()
    missing: list[str] = []
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST, manifest_csv(videos))
        yield pipe.drain()
        for item in videos:
            pieces = storage.read_chunks(f"{LIBRARY}/{item.task.video_file}")
            if pieces is None:
                missing.append(item.file_name)
                continue
            with archive.open(item.file_name, "w", force_zip64=True) as entry:
                for piece in pieces:
                    entry.write(piece)
                    yield pipe.drain()
            yield pipe.drain()
        if missing:
            archive.writestr("missing.txt", "Not found in storage:\n" + "\n".join(missing))
    yield pipe.drain()
