"""A data folder holding real, finished, archived videos, made the way the studio makes
them: each one sent through the studio's own submit code to the embedded Wave API, which
renders a real MP4, and the studio's tracker copies it (and a poster) into the library.

    .venv/bin/python bench/archived_videos.py --videos 24 --data-dir /tmp/history-24

A folder made once can be reused by benchmarks (`ensure_archived_videos` keeps what is
there and makes only what is missing). Renders are real work: about 1.5 s of CPU for a
6 s 480p video, twice that at 720p.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `lib` and `tests` importable

from sqlalchemy import select  # noqa: E402

from lib.engine.submissions import submit_video  # noqa: E402
from lib.store.schema import Task  # noqa: E402
from lib.store.tasks import Store  # noqa: E402
from tests.studio_harness import running_studio  # noqa: E402

PROMPTS = (
    "A red fox trots through fresh snow at dawn, golden light between the pine trees",
    "Close-up of a barista pouring latte art in a sunny cafe, shallow depth of field",
    "Drone shot over turquoise water and a white sand beach, slow forward glide",
    "A city street at night in the rain, neon signs reflected in puddles",
    "Sneakers splashing through a puddle in slow motion, bright morning light",
    "A cosy living room with a steaming mug on a wooden table, warm evening glow",
    "Hands unboxing a new phone on a marble desk, soft studio lighting",
    "A hot air balloon rising over green hills at sunrise, gentle camera pan",
)
PEOPLE = ("Ana Lopez", "Ben Okafor", "Chloe Martin")
CAMPAIGNS = ("Spring launch", "Summer sale", "")
# Shapes a marketing team mixes: landscape, stories and square; a quarter of them in HD.
RATIOS = ("16:9", "9:16", "1:1")


@dataclass(frozen=True)
class LibraryVideo:
    task_id: str
    video: Path
    poster: Path
    video_bytes: int
    poster_bytes: int


def request_for(number: int) -> dict:
    return {
        "model": "grok-imagine-1.0-video",
        "prompt": PROMPTS[number % len(PROMPTS)],
        "aspect_ratio": RATIOS[number % len(RATIOS)],
        "resolution": "720p" if number % 4 == 3 else "480p",
        "duration": 6,
    }


def archived_videos(data_dir: Path) -> list[LibraryVideo]:
    """The archived videos in this data folder, newest first (as History shows them)."""
    database = data_dir / "studio.sqlite3"
    if not database.exists():
        return []
    store = Store.open(f"sqlite:///{database}")
    query = (
        select(Task.id, Task.video_file, Task.poster_file)
        .where(Task.archive_state == "archived")
        .order_by(Task.created_at.desc(), Task.id.desc())
    )
    try:
        with store.session() as session:
            rows = session.execute(query).all()
    finally:
        store.engine.dispose()
    library = data_dir / "library"
    found = []
    for task_id, video_file, poster_file in rows:
        video, poster = library / video_file, library / poster_file
        if video.is_file() and poster.is_file():
            found.append(
                LibraryVideo(task_id, video, poster, video.stat().st_size, poster.stat().st_size)
            )
    return found


def ensure_archived_videos(data_dir: Path, count: int, limit: float = 600) -> list[LibraryVideo]:
    """At least `count` archived videos in `data_dir`, making the missing ones for real."""
    data_dir.mkdir(parents=True, exist_ok=True)
    have = len(archived_videos(data_dir))
    if have < count:
        _make(data_dir, have, count - have, limit)
    return archived_videos(data_dir)


def _make(data_dir: Path, first: int, missing: int, limit: float) -> None:
    # The harness keeps the store where the studio keeps it (studio.sqlite3 in the data
    # folder), so `streamlit run app.py` with STUDIO_DATA_DIR=data_dir opens the same one.
    with running_studio(data_dir) as running:
        studio = running.studio
        ids = []
        for number in range(first, first + missing):
            outcome = submit_video(
                studio,
                request_for(number),
                PEOPLE[number % len(PEOPLE)],
                CAMPAIGNS[number % len(CAMPAIGNS)],
                uuid.uuid4().hex,
            )
            ids.append(outcome.task.id)
        deadline = time.monotonic() + limit
        while True:
            tasks = [studio.store.get_task(task_id) for task_id in ids]
            states = [(t.status, t.archive_state) for t in tasks if t is not None]
            if all(state == ("completed", "archived") for state in states):
                return
            stuck = [s for s in states if s[0] in ("failed", "cancelled") or s[1] == "failed"]
            if stuck or time.monotonic() > deadline:
                raise RuntimeError(f"videos did not all get archived: {states}")
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=24, help="how many archived videos")
    parser.add_argument("--data-dir", type=Path, required=True, help="the studio data folder")
    args = parser.parse_args()
    start = time.perf_counter()
    videos = ensure_archived_videos(args.data_dir.resolve(), args.videos)
    total = sum(v.video_bytes for v in videos)
    print(
        f"{len(videos)} archived videos in {args.data_dir} ({total / 1e6:.1f} MB of video) "
        f"after {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
