"""Making one task's video: fetch the reference images (as the real service does), then
render. Runs on a render thread of the engine."""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests
from PIL import Image, ImageOps

from lib.catalog import GROK_IMAGINE_VIDEO, IMAGE_FORMATS, image_frame_size
from lib.embedded_wave.render import RenderInfo, RenderJob, render_video


class UpstreamBadRequest(Exception):
    """The task cannot be done as asked (an image that can't be fetched or read).
    The task fails with `error.code = upstream_bad_request` and costs nothing."""


@dataclass(frozen=True)
class ProductionJob:
    out_path: str
    prompt: str
    duration: int
    resolution: str
    aspect_ratio: str | None
    image_urls: tuple[str, ...] = ()
    threads: int = 1
    fetch_timeout: float = 15.0
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000


def produce_video(job: ProductionJob) -> RenderInfo:
    if not job.image_urls:
        width, height = GROK_IMAGINE_VIDEO.frame_size(job.aspect_ratio or "16:9", job.resolution)
        return render_video(
            RenderJob(
                job.out_path, job.duration, width, height, prompt=job.prompt, threads=job.threads
            )
        )
    work_dir = Path(tempfile.mkdtemp(prefix="wave-images-", dir=Path(job.out_path).parent))
    try:
        paths, first_size = _fetch_all(job, work_dir)
        width, height = image_frame_size(*first_size, job.resolution)
        return render_video(
            RenderJob(
                job.out_path,
                job.duration,
                width,
                height,
                prompt=job.prompt,
                image_paths=tuple(str(p) for p in paths),
                threads=job.threads,
            )
        )
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _fetch_all(job: ProductionJob, work_dir: Path) -> tuple[list[Path], tuple[int, int]]:
    paths: list[Path] = []
    first_size = (0, 0)
    with requests.Session() as session:
        for position, url in enumerate(job.image_urls, start=1):
            data = _download(session, url, position, job)
            image_format, size = _inspect(data, position, job.max_pixels)
            if position == 1:
                first_size = size
            path = work_dir / f"{position}.{IMAGE_FORMATS[image_format]}"
            path.write_bytes(data)
            paths.append(path)
    return paths, first_size


def _download(session: requests.Session, url: str, position: int, job: ProductionJob) -> bytes:
    try:
        with session.get(url, timeout=(5, job.fetch_timeout), stream=True) as reply:
            if reply.status_code != 200:
                raise UpstreamBadRequest(
                    f"Reference image {position} could not be downloaded "
                    f"(the address answered HTTP {reply.status_code})."
                )
            data = bytearray()
            for chunk in reply.iter_content(64 * 1024):
                data += chunk
                if len(data) > job.max_bytes:
                    raise UpstreamBadRequest(
                        f"Reference image {position} is larger than "
                        f"{job.max_bytes // (1024 * 1024)} MB."
                    )
            return bytes(data)
    except requests.RequestException as exc:
        raise UpstreamBadRequest(
            f"Reference image {position} could not be downloaded ({type(exc).__name__})."
        ) from None


def _inspect(data: bytes, position: int, max_pixels: int) -> tuple[str, tuple[int, int]]:
    """The image's format and its upright size, judged by content, never by name."""
    allowed = "a JPG, PNG or WEBP image"
    try:
        # The pixel count is checked from the header before anything is decoded (no
        # warnings filter: that is process-wide state, and renders run on threads).
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            if image_format not in IMAGE_FORMATS:
                raise UpstreamBadRequest(
                    f"Reference image {position} must be {allowed}; it is {image_format}."
                )
            if probe.width * probe.height > max_pixels:
                raise UpstreamBadRequest(
                    f"Reference image {position} has too many pixels "
                    f"({probe.width}×{probe.height})."
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image)
            upright.load()  # decodes fully: a truncated file fails here
            return image_format, upright.size
    except UpstreamBadRequest:
        raise
    except Image.DecompressionBombError:
        raise UpstreamBadRequest(f"Reference image {position} is too large to open.") from None
    except Exception:
        raise UpstreamBadRequest(f"Reference image {position} is not {allowed}.") from None
