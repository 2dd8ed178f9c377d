"""Making one task's video: fetch the reference images (as the real service does), then
render. Fetching runs on the engine's fetch threads, rendering on its render threads, so a
slow picture link never holds a render thread."""

from __future__ import annotations

import math
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from lib.domain.catalog import MODELS
from lib.domain.frames import image_frame_size, short_side
from lib.domain.links import LinkPolicy, LinkRefused, shown_link
from lib.embedded_wave.render import RenderInfo, RenderJob, render_video
from lib.embedded_wave.render._restyle import RestyleJob, restyle_video
from lib.outside.fetch import FetchFailed, fetch
from lib.outside.pictures import ImageLimits, ImageRejected, prepare_image
from lib.outside.videos import probe_video


class UpstreamBadRequest(Exception):
    """The task cannot be done as asked (an image that can't be fetched or read).
    The task fails with `error.code = upstream_bad_request` and costs nothing."""


@dataclass(frozen=True)
class ProductionJob:
    out_path: str
    prompt: str
    duration: int
    resolution: str
    model_id: str
    aspect_ratio: str | None  # None: the first picture decides the shape
    image_urls: tuple[str, ...] = ()
    threads: int = 1
    links: LinkPolicy = field(default_factory=LinkPolicy)  # deadline and size cap per picture
    max_pixels: int = 40_000_000
    source: SourceVideo | None = None  # a restyle (`edit`): the source, fetched at submit


@dataclass(frozen=True)
class FetchedPictures:
    work_dir: Path
    paths: tuple[Path, ...]
    first_size: tuple[int, int]

    def remove(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)


def produce_video(job: ProductionJob) -> RenderInfo:
    """The whole job on one thread (text-to-video has nothing to fetch)."""
    if job.source is not None:
        return _restyle(job, job.source)
    if not job.image_urls:
        width, height = _chosen_frame(job)
        return render_video(
            RenderJob(
                job.out_path, job.duration, width, height, prompt=job.prompt, threads=job.threads
            )
        )
    return render_pictures(job, fetch_pictures(job))


def fetch_pictures(job: ProductionJob) -> FetchedPictures:
    """Every picture, fetched within the link policy and checked like an upload."""
    work_dir = Path(tempfile.mkdtemp(prefix="wave-images-", dir=Path(job.out_path).parent))
    paths: list[Path] = []
    first_size = (0, 0)
    try:
        for position, url in enumerate(job.image_urls, start=1):
            picture = _fetch_one(url, position, job)
            if position == 1:
                first_size = (picture.width, picture.height)
            path = work_dir / f"{position}.{picture.ext}"
            path.write_bytes(picture.data)
            paths.append(path)
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    return FetchedPictures(work_dir, tuple(paths), first_size)


def render_pictures(job: ProductionJob, pictures: FetchedPictures) -> RenderInfo:
    try:
        if job.aspect_ratio is None:
            width, height = image_frame_size(*pictures.first_size, job.resolution)
        else:  # today's official models keep the shape sent with the pictures
            width, height = _chosen_frame(job)
        return render_video(
            RenderJob(
                job.out_path,
                job.duration,
                width,
                height,
                prompt=job.prompt,
                image_paths=tuple(str(p) for p in pictures.paths),
                threads=job.threads,
            )
        )
    finally:
        pictures.remove()


# ----- restyling a source video (`edit`) ---------------------------------------------------
@dataclass(frozen=True)
class SourceVideo:
    """A source video fetched and decoded at submit: its length prices the task."""

    path: str
    seconds: Decimal  # to the millisecond, as decoded
    width: int  # the output's frame: the source's shape, short side at most 720
    height: int

    @property
    def resolution(self) -> str:
        return f"{min(self.width, self.height)}p"

    def remove(self) -> None:
        Path(self.path).unlink(missing_ok=True)


class SourceRefused(Exception):
    """The source video can't be restyled (the submit is refused, nothing charged)."""


def fetch_source(url: str, links: LinkPolicy, folder: Path, model_id: str) -> SourceVideo:
    """Fetch the source video within the link policy, decode it, and check its length."""
    spec = MODELS[model_id]
    name = f"The source video (the link {shown_link(url)})"
    try:
        data, _ = fetch(url, links, accept="video/mp4")
    except (LinkRefused, FetchFailed) as exc:
        raise SourceRefused(f"{name} {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"source-{secrets.token_hex(8)}.mp4"
    path.write_bytes(data)
    try:
        probe = probe_video(path)
        seconds = Decimal(str(round(probe.decoded_seconds, 3)))
        if probe.frames == 0 or seconds <= 0:
            raise ValueError("no frames")
    except Exception:  # PyAV raises many kinds for a file that is not a video
        path.unlink(missing_ok=True)
        raise SourceRefused(f"{name} is not a video the service can read (an MP4).") from None
    if seconds > spec.max_source_seconds:
        path.unlink(missing_ok=True)
        raise SourceRefused(
            f"{name} is {seconds} s long; restyling takes videos of at most "
            f"{spec.max_source_seconds} s."
        )
    width, height = _edit_frame(probe.width, probe.height, short_side(spec.max_edit_resolution))
    return SourceVideo(str(path), seconds, width, height)


def _edit_frame(width: int, height: int, most: int) -> tuple[int, int]:
    """The source's shape, its short side cut to `most`, both sides even."""
    scale = min(1.0, most / min(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _restyle(job: ProductionJob, source: SourceVideo) -> RenderInfo:
    fps = MODELS[job.model_id].fps
    frames = max(1, math.floor(float(source.seconds) * fps + 0.5))
    try:
        width, height, written = restyle_video(
            RestyleJob(
                source.path,
                job.out_path,
                source.width,
                source.height,
                fps,
                frames,
                job.prompt,
                job.threads,
            )
        )
    finally:
        source.remove()
    size = Path(job.out_path).stat().st_size
    return RenderInfo(width, height, written, written / fps, size)


def _chosen_frame(job: ProductionJob) -> tuple[int, int]:
    return MODELS[job.model_id].frame_size(job.aspect_ratio or "16:9", job.resolution)


def _fetch_one(url: str, position: int, job: ProductionJob):
    name = f"Picture {position} (the link {shown_link(url)})"
    try:
        data, _ = fetch(url, job.links, accept="image/jpeg, image/png, image/webp")
    except (LinkRefused, FetchFailed) as exc:
        raise UpstreamBadRequest(f"{name} {exc}") from None
    limits = ImageLimits(max_bytes=job.links.max_bytes, max_pixels=job.max_pixels, min_side=1)
    try:
        # The same checks as an upload to the studio; the cleaned copy is what is rendered.
        return prepare_image(data, url.rsplit("/", 1)[-1], limits, label=name)
    except ImageRejected as exc:
        raise UpstreamBadRequest(str(exc)) from None
