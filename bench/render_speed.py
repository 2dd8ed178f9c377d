"""How fast the embedded API renders videos, on one core.

    .venv/bin/python bench/render_speed.py [--quick]

Pins itself to one CPU and renders with one encoder thread, as a render worker does,
into a temporary directory. The target: a 6 s 480p text-to-video in at most half its
own length (0.5x real time). `--quick` skips the 30 s 720p case. This is a measurement,
so it always exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: make `lib` importable

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from lib.domain.catalog import GROK_IMAGINE_15, GROK_IMAGINE_VIDEO  # noqa: E402
from lib.domain.frames import image_frame_size  # noqa: E402
from lib.embedded_wave.render import RenderJob, render_video  # noqa: E402

TARGET = 0.5  # wall seconds per video second, for the 480p text-to-video case
PROMPT = (
    "A red fox trots through fresh snow at dawn, golden light between the pine trees, "
    "slow cinematic tracking shot"
)


@dataclass(frozen=True)
class Case:
    name: str
    duration: int
    size: tuple[int, int]
    with_image: bool = False
    has_target: bool = False


def cases(photo_size: tuple[int, int], quick: bool) -> list[Case]:
    frame = GROK_IMAGINE_VIDEO.frame_size
    chosen = [
        Case("text 480p", 6, frame("16:9", "480p"), has_target=True),
        Case("text 720p", 6, frame("16:9", "720p")),
        Case("text 1080p", 6, GROK_IMAGINE_15.frame_size("16:9", "1080p")),
        Case("image 480p", 6, image_frame_size(*photo_size, "480p"), with_image=True),
    ]
    if not quick:
        chosen.append(Case("text 720p 30s", 30, frame("16:9", "720p")))
    return chosen


def photo_like(width: int, height: int, seed: int = 7) -> Image.Image:
    """A stand-in for a phone photo: sky, hills, detail and sensor grain."""
    rng = np.random.default_rng(seed)
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    sky = np.stack(np.broadcast_arrays(110 + 110 * ys, 150 + 70 * ys, 230 - 30 * ys + 0 * xs), -1)
    ridge = 0.55 + 0.08 * np.sin(xs * 9 + 1) + 0.03 * np.sin(xs * 41)
    hills = np.stack(np.broadcast_arrays(50 + 50 * ys, 100 + 40 * ys, 45 + 0 * xs), -1)
    picture = np.where((ys > ridge)[..., None], hills, sky)
    picture += rng.normal(0, 4, (height, width, 1))
    image = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(300):  # flowers and stones: edges for the encoder to track
        x, y = int(rng.integers(0, width)), int(rng.integers(int(height * 0.6), height))
        r = int(rng.integers(height // 200 + 1, height // 60 + 2))
        colour = tuple(int(c) for c in rng.integers(40, 250, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(0.8))


def pin_to_one_core() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def run(case: Case, work: Path, photo: Path) -> dict:
    job = RenderJob(
        out_path=str(work / f"{case.name.replace(' ', '-')}.mp4"),
        duration=case.duration,
        width=case.size[0],
        height=case.size[1],
        prompt=PROMPT,
        image_paths=(str(photo),) if case.with_image else (),
        threads=1,
    )
    start = time.perf_counter()
    info = render_video(job)
    wall = time.perf_counter() - start
    return {"case": case, "info": info, "wall": wall, "factor": wall / info.seconds}


def print_table(results: list[dict]) -> None:
    print(f"{'case':<15} {'frame':>10} {'frames':>7} {'wall s':>8} {'x real time':>12}  target")
    for row in results:
        case, info = row["case"], row["info"]
        verdict = ""
        if case.has_target:
            met = row["factor"] <= TARGET
            verdict = f"<= {TARGET}x: {'MET' if met else 'NOT MET'}"
        size = f"{info.width}x{info.height}"
        print(
            f"{case.name:<15} {size:>10} {info.frames:>7} {row['wall']:>8.2f} "
            f"{row['factor']:>11.2f}x  {verdict}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 30 s 720p case")
    args = parser.parse_args()
    cpu = pin_to_one_core()
    print(f"Rendering on CPU {cpu} only, 1 encoder thread, {os.cpu_count()} CPUs in the machine.")
    with tempfile.TemporaryDirectory(prefix="render-speed-") as tmp:
        work = Path(tmp)
        photo_size = (4096, 2304)  # a 9 MP 16:9 photo: the same 854x480 frame as text 480p
        photo = work / "photo.jpg"
        photo_like(*photo_size).save(photo, quality=90)
        results = [run(case, work, photo) for case in cases(photo_size, args.quick)]
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
