"""Fill a studio store with a year of realistic videos, fast (for the page benchmarks).

    .venv/bin/python bench/seed_store.py --tasks 100000 --data-dir /tmp/studio-100k

Makes the store the studio itself would open (`<data-dir>/studio.sqlite3`, schema from the
Alembic migrations) and writes, in a few bulk transactions, `--tasks` videos spread over the
last `--days` days: more on weekdays and in office hours, growing over the year; a dozen
people, campaigns that run for a few weeks each (and videos without one); text-to-video and
image-to-video (with their pictures: uploaded ones and pasted links); every shape,
resolution and length 6-30 s, priced with lib/domain/money.py; mostly finished and saved videos
(with their file names, sizes and frame sizes), some failed, cancelled, made but not saved,
a few submits the service never accepted, and `--in-flight` videos still being made. Each
video also gets its status history (task_events), as the tracker would have written it.

The same `--seed` and `--now` give the same rows. The files of the videos themselves are
not made: the pages only show their links. Import it to seed from code: `seed_store(...)`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `lib` importable

from sqlalchemy import func, insert, select  # noqa: E402

from lib.domain.catalog import GROK_IMAGINE_VIDEO, MODEL_ID  # noqa: E402
from lib.domain.money import price_quota  # noqa: E402
from lib.store.month_spend import recount  # noqa: E402
from lib.store.schema import Asset, Task, TaskEvent, TaskImage, UTCDateTime  # noqa: E402
from lib.store.tasks import Store  # noqa: E402

DATABASE_FILE = "studio.sqlite3"  # the file name lib/config uses inside the data folder
CHUNK = 5_000  # rows per INSERT batch

PEOPLE = (
    "Ana Lopez",
    "Bo Chen",
    "Cyrille Dubois",
    "Dee Okafor",
    "Emma Schultz",
    "Farid Haddad",
    "Grace Kim",
    "Hiro Tanaka",
    "Ines Moreau",
    "Jonas Berg",
    "Kavya Rao",
    "Liam O'Brien",
)
# Some people make far more videos than others.
PEOPLE_WEIGHTS = (14, 11, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1)

CAMPAIGN_NAMES = (
    "Winter Sale",
    "Valentine's Day",
    "Spring Launch",
    "Easter Brunch",
    "Mother's Day",
    "Summer Festival",
    "Back to School",
    "Autumn Collection",
    "Halloween",
    "Black Friday",
    "Holiday Gifts",
    "New Year Countdown",
    "Brand Story",
    "Product Tips",
    "Customer Stories",
    "Recruiting 2026",
    "Store Openings",
    "App Launch",
)
NO_CAMPAIGN_SHARE = 0.18

SUBJECTS = (
    "a red fox",
    "a barista pouring latte art",
    "a pair of white running shoes",
    "a golden retriever puppy",
    "a vintage convertible",
    "a glass bottle of sparkling lemonade",
    "a young woman in a yellow raincoat",
    "a stack of fluffy pancakes with maple syrup",
    "a smartwatch on a wrist",
    "an old lighthouse",
    "a skateboarder",
    "a bouquet of tulips",
    "a family around a dinner table",
    "a cyclist in a city at rush hour",
    "a steaming bowl of ramen",
    "a paper airplane",
    "a hot air balloon",
    "a chef tossing vegetables in a wok",
)
ACTIONS = (
    "moves slowly through",
    "spins gently in",
    "is revealed in",
    "races across",
    "floats above",
    "glows softly in",
    "is unboxed in",
    "dances through",
)
PLACES = (
    "a snowy pine forest at dawn",
    "a rainy night street under neon lights",
    "a sunlit kitchen with marble counters",
    "a misty harbour at sunrise",
    "a busy Tokyo crossing",
    "a minimalist white studio",
    "a field of lavender at golden hour",
    "a cosy living room decorated for the holidays",
    "a rooftop terrace overlooking the city",
    "a desert road under a huge sky",
    "an autumn park full of orange leaves",
    "a beach with turquoise water",
)
STYLES = (
    "cinematic, shallow depth of field",
    "bright commercial look, soft shadows",
    "warm film grain, 35mm",
    "clean product shot, high key lighting",
    "moody, high contrast, teal and orange grade",
    "playful stop-motion feel",
    "documentary handheld style",
    "dreamy pastel colours",
)
CAMERAS = (
    "slow dolly in",
    "smooth orbit around the subject",
    "static wide shot",
    "low angle tracking shot",
    "top-down shot that slowly zooms out",
    "handheld follow shot",
    "crane shot rising above the scene",
)
EXTRAS = (
    "Keep the brand colours (deep purple and warm yellow) visible.",
    "Leave space on the left for a headline.",
    "No text or logos in the frame.",
    "The mood is joyful and energetic, like the first day of summer.",
    "End on a close-up that could work as a thumbnail.",
    "Light snow falls throughout, and breath is visible in the cold air.",
    "Reflections in puddles, occasional passing cars, a sense of calm.",
    "Make it feel premium but approachable, suitable for social media ads.",
)

RATIOS = GROK_IMAGINE_VIDEO.aspect_ratios
RATIO_WEIGHTS = (40, 30, 15, 8, 7)  # 16:9, 9:16, 1:1, 3:2, 2:3
RESOLUTIONS = GROK_IMAGINE_VIDEO.resolutions
RESOLUTION_WEIGHTS = (60, 40)
DURATION_FAVOURITES = {6: 30, 8: 6, 10: 20, 12: 4, 15: 12, 20: 6, 30: 8}  # other lengths: rarer

# Finished videos: what happened to them (weights).
OUTCOMES = {
    "archived": 862,  # made and saved: plays in History
    "failed": 70,
    "cancelled": 40,
    "link_expired": 12,  # made, charged, but the link expired before the copy
    "archive_failed": 6,  # made, charged, the copy failed
    "refused": 10,  # the service never accepted the submit: no cost, no service id
}
FAILURES = (
    ("upstream_unavailable", "The upstream provider is temporarily unavailable."),
    ("upstream_bad_request", "Image could not be fetched: HTTP 403 from the image host."),
    ("upstream_rate_limited", "Upstream rate limit reached, please retry later."),
    ("task_failed", "The video could not be generated."),
    ("task_not_found", "The video service no longer knows this task, so it cannot finish."),
)
REFUSALS = (
    ("insufficient_balance", "Your balance is not enough for this task."),
    ("invalid_request", "image_urls[0]: the image could not be downloaded."),
)
IN_FLIGHT = ("submitting", "queued", "processing", "saving")
# Per-video choices, as cumulative weights (random.choices would add them up every call).
SENTENCES_CUMULATIVE = (25, 60, 85, 100)  # a prompt of 1, 2, 3 or 4 sentences
PICTURES_CUMULATIVE = (50, 70, 82, 90, 95, 98, 100)  # 1 to 7 pictures


@dataclass(frozen=True)
class Seeded:
    """What was written: counts, and the money in quota, worked out while generating (so
    a test can check the store and lib/costs against numbers made independently)."""

    database_url: str
    tasks: int
    accepted: int  # tasks with a service id: the ones Costs counts
    settled: int
    pending: int
    refunded: int
    images: int
    events: int
    seconds: float  # how long seeding took


def database_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / DATABASE_FILE}"


def _day_weights(days: int, first_day: datetime) -> list[float]:
    """More videos on weekdays, and a team that uses the studio more as the year goes on."""
    weights = []
    for d in range(days):
        growth = 0.35 + 0.65 * d / max(days - 1, 1)
        weekend = (first_day + timedelta(days=d)).weekday() >= 5
        weights.append(growth * (0.15 if weekend else 1.0))
    return weights


def _prompt(rng: random.Random) -> str:
    """One to four sentences, like people write them: 40 to about 400 characters."""
    subject, action, place = (rng.choice(words) for words in (SUBJECTS, ACTIONS, PLACES))
    text = f"{subject[0].upper()}{subject[1:]} {action} {place}"
    sentences = rng.choices(range(4), cum_weights=SENTENCES_CUMULATIVE)[0]
    if sentences >= 1:
        text += f", {rng.choice(STYLES)}"
    text += "."
    if sentences >= 2:
        text += f" Camera: {rng.choice(CAMERAS)}."
    for extra in rng.sample(EXTRAS, max(0, sentences - 1)):
        text += f" {extra}"
    return text


def _campaign_windows(rng: random.Random, start: datetime, days: int) -> list[tuple]:
    """Each campaign runs for two to ten weeks somewhere in the period."""
    windows = []
    for name in CAMPAIGN_NAMES:
        length = rng.randrange(14, 70)
        first = rng.randrange(0, max(days - length, 1))
        windows.append(
            (name, start + timedelta(days=first), start + timedelta(days=first + length))
        )
    return windows


def _pick_campaign(rng: random.Random, created: datetime, windows: list[tuple]) -> str:
    if rng.random() < NO_CAMPAIGN_SHARE:
        return ""
    running = [name for name, first, last in windows if first <= created < last]
    return rng.choice(running) if running else ""


def _uuid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _sqlite_time(value: datetime | None) -> str | None:
    """A UTC time as the store keeps it in SQLite (checked against the schema's own
    conversion in `_Writer`, so a change there cannot go unnoticed)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class _Writer:
    """Rows collected per table, then written in one transaction. On SQLite the values go
    straight to the driver's executemany (SQLAlchemy's per-row work would take most of
    the time at 100,000 videos), converted by each column's own bind processor."""

    def __init__(self, store: Store):
        self.store = store
        self.rows: dict[Any, list[dict[str, Any]]] = {
            Asset: [],
            Task: [],
            TaskImage: [],
            TaskEvent: [],
        }

    def add(self, model: Any, row: dict[str, Any]) -> None:
        self.rows[model].append(row)

    def flush(self) -> None:
        engine = self.store.engine
        if engine.dialect.name != "sqlite":
            with engine.begin() as connection:
                for model, rows in self.rows.items():
                    for first in range(0, len(rows), CHUNK):
                        connection.execute(insert(model), rows[first : first + CHUNK])
            return
        with engine.begin() as connection:
            cursor = connection.connection.cursor()
            # Random ids land all over the indexes: a big page cache keeps them in memory
            # for this one load (this connection only; it goes back to the pool after).
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB
            try:
                for model, rows in self.rows.items():
                    if rows:
                        sql, converted = self._raw(model, rows, engine.dialect)
                        cursor.executemany(sql, converted)
            finally:
                cursor.execute("PRAGMA cache_size = -2000")  # SQLite's default again
                cursor.close()

    @staticmethod
    def _raw(model: Any, rows: list[dict[str, Any]], dialect: Any) -> tuple[str, list[list]]:
        table = model.__table__
        names = list(rows[0])
        converters = []
        for name in names:
            column_type = table.c[name].type
            convert = column_type._cached_bind_processor(dialect)
            if isinstance(column_type, UTCDateTime):
                sample = datetime(2026, 11, 24, 9, 30, 1, 250, tzinfo=UTC)
                if convert(sample) != _sqlite_time(sample):
                    raise RuntimeError("the store keeps times otherwise: update _sqlite_time")
                convert = _sqlite_time
            converters.append(convert)
        # Pull each row's values in one call and convert only the columns that need it.
        values_of = itemgetter(*names)
        changes = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
        converted = []
        for row in rows:
            values = list(values_of(row))
            for i, convert in changes:
                values[i] = convert(values[i])
            converted.append(values)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        )
        return sql, converted


def seed_store(
    store: Store,
    tasks: int,
    *,
    seed: int = 7,
    now: datetime | None = None,
    days: int = 365,
    in_flight: int = 3,
) -> Seeded:
    """Add `tasks` videos to `store` (normally an empty one). -> what was written."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    first_day = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0)
    windows = _campaign_windows(rng, first_day, days)

    # When: a day (weighted), then a time of day around office hours; oldest first.
    latest = (now - first_day).total_seconds() - 30 * 60  # finished ones: at least 30 min old
    offsets = []
    for day in rng.choices(range(days), weights=_day_weights(days, first_day), k=tasks):
        offset = day * 86_400 + min(max(rng.gauss(13.5 * 3600, 2.6 * 3600), 0), 86_399)
        if offset >= latest:  # today, after "now": somewhere in the last few days instead
            offset = rng.uniform(latest - 3 * 86_400, latest)
        offsets.append(offset)
    offsets.sort()
    people = rng.choices(PEOPLE, weights=PEOPLE_WEIGHTS, k=tasks)
    ratios = rng.choices(RATIOS, weights=RATIO_WEIGHTS, k=tasks)
    resolutions = rng.choices(RESOLUTIONS, weights=RESOLUTION_WEIGHTS, k=tasks)
    lengths = range(GROK_IMAGINE_VIDEO.min_duration, GROK_IMAGINE_VIDEO.max_duration + 1)
    length_weights = [DURATION_FAVOURITES.get(s, 1) for s in lengths]
    durations = rng.choices(lengths, weights=length_weights, k=tasks)
    outcomes = rng.choices(list(OUTCOMES), weights=list(OUTCOMES.values()), k=tasks)

    writer = _Writer(store)
    assets = _asset_pool(rng, writer, first_day)
    totals = {"accepted": 0, "settled": 0, "pending": 0, "refunded": 0, "images": 0, "events": 0}
    flying = min(in_flight, tasks)
    for i in range(tasks):
        if i >= tasks - flying:  # the newest few: still on their way
            created = now - timedelta(minutes=2 * (tasks - i))
            state = IN_FLIGHT[(tasks - 1 - i) % len(IN_FLIGHT)]
        else:
            created = first_day + timedelta(seconds=offsets[i])
            state = outcomes[i]
        row, images, events = _task_rows(
            rng,
            state,
            created,
            person=people[i],
            campaign=_pick_campaign(rng, created, windows),
            ratio=ratios[i],
            resolution=resolutions[i],
            duration=durations[i],
            image_mode=rng.random() < 0.3,
            making=rng.uniform(1.5, 8.0),  # seconds of making per video second
            assets=assets,
        )
        writer.add(Task, row)
        for image in images:
            writer.add(TaskImage, image)
        for event in events:
            writer.add(TaskEvent, event)
        totals["images"] += len(images)
        totals["events"] += len(events)
        if row["wave_task_id"] is not None:
            totals["accepted"] += 1
            if row["cost_quota"] is not None:
                totals["settled"] += row["cost_quota"]
                totals["refunded"] += row["refunded_quota"] or 0
            else:
                totals["pending"] += row["pre_consumed_quota"]
    writer.flush()
    with store.engine.begin() as connection:
        recount(connection)  # bulk rows bypass the store's writes: the budgets' totals
    return Seeded(
        database_url=store.engine.url.render_as_string(hide_password=True),
        tasks=tasks,
        seconds=time.perf_counter() - started,
        **totals,
    )


def _asset_pool(rng: random.Random, writer: _Writer, since: datetime) -> list[str]:
    """Uploaded pictures that image-to-video tasks refer to (the same ones reused)."""
    pool = []
    for n in range(240):
        sha = f"{rng.getrandbits(256):064x}"
        width, height = (
            (1920, 1080),
            (1080, 1920),
            (1200, 1200),
            (3000, 2000),
            (2000, 3000),
        )[n % 5]
        writer.add(
            Asset,
            dict(
                sha256=sha,
                ext="jpg",
                mime="image/jpeg",
                width=width,
                height=height,
                size_bytes=rng.randrange(150_000, 4_000_000),
                original_name=f"IMG_{1000 + n}.jpg",
                uploaded_by=PEOPLE[n % len(PEOPLE)],
                created_at=since + timedelta(hours=n),
            ),
        )
        pool.append(sha)
    return pool


def _task_rows(
    rng: random.Random,
    state: str,
    created: datetime,
    *,
    person: str,
    campaign: str,
    ratio: str,
    resolution: str,
    duration: int,
    image_mode: bool,
    making: float,
    assets: list[str],
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One task as the studio would have stored it by now, its pictures and its events."""
    task_id = _uuid(rng)
    price = price_quota(duration)
    prompt = _prompt(rng)
    request: dict[str, Any] = {
        "model": MODEL_ID,
        "action": "image2video" if image_mode else "generate",
        "prompt": prompt,
        "resolution": resolution,
        "duration": duration,
    }
    images: list[dict[str, Any]] = []
    if image_mode:
        for position in range(rng.choices(range(1, 8), cum_weights=PICTURES_CUMULATIVE)[0]):
            if rng.random() < 0.8:
                sha = rng.choice(assets)
                url = f"https://studio.example.com/assets/{sha}.jpg"
            else:
                sha, url = None, f"https://cdn.example.com/moodboard/{_uuid(rng)[:12]}.png"
            images.append(dict(task_id=task_id, position=position, url=url, asset_sha256=sha))
        request["image_urls"] = [image["url"] for image in images]
    else:
        request["aspect_ratio"] = ratio
    refused = state == "refused"
    submitted = None if refused else created + timedelta(seconds=rng.uniform(0.3, 2.5))
    row: dict[str, Any] = dict(
        id=task_id,
        idempotency_key=_uuid(rng),
        wave_task_id=None if refused else f"task-wave{int(created.timestamp())}{_uuid(rng)[:10]}",
        status="submitting",
        progress=0,
        request=request,
        model=MODEL_ID,
        mode="image" if image_mode else "text",
        prompt=prompt,
        aspect_ratio=None if image_mode else ratio,
        resolution=resolution,
        duration=duration,
        person=person,
        campaign=campaign,
        estimate_quota=price,
        pre_consumed_quota=None if refused else price,
        cost_quota=None,
        refunded_quota=None,
        error_code=None,
        error_message=None,
        created_at=created,
        submitted_at=submitted,
        updated_at=created,
        finished_at=None,
        provider_video_url=None,
        provider_expires_at=None,
        archive_state="none",
        archive_attempts=0,
        archive_error=None,
        archived_at=None,
        video_file=None,
        poster_file=None,
        video_bytes=None,
        video_width=None,
        video_height=None,
        video_seconds=None,
        tracking=True,
        next_check_at=created + timedelta(seconds=5),
        lease_owner=None,
        lease_until=None,
        api_calls=1 if refused else rng.randrange(1, 4),
    )
    events: list[dict[str, Any]] = []

    def event(
        status: str, at: datetime, progress: int, source: str = "service", detail: str | None = None
    ) -> None:
        events.append(
            dict(
                task_id=task_id,
                at=at,
                status=status,
                progress=progress,
                source=source,
                detail=detail,
            )
        )

    event("submitting", created, 0, "studio")

    if refused:
        code, message = rng.choice(REFUSALS)
        done = created + timedelta(seconds=2)
        row.update(status="failed", error_code=code, error_message=message, cost_quota=0)
        row.update(refunded_quota=0, finished_at=done, updated_at=done, tracking=False)
        event("failed", done, progress=0, detail=message)
        return row, images, events
    if state == "submitting":  # the service's reply has not come yet
        row.update(wave_task_id=None, pre_consumed_quota=None, submitted_at=None)
        return row, images, events
    assert submitted is not None
    event("queued", submitted, progress=0)
    row.update(status="queued", next_check_at=submitted + timedelta(seconds=5))
    if state == "queued":
        return row, images, events
    if state == "cancelled":
        done = submitted + timedelta(seconds=rng.uniform(3, 120))
        row.update(status="cancelled", cost_quota=0, refunded_quota=price)
        row.update(
            finished_at=done, updated_at=done, tracking=False, api_calls=row["api_calls"] + 1
        )
        event("cancelled", done, progress=0)
        return row, images, events
    begun = submitted + timedelta(seconds=rng.uniform(1, 20))
    row.update(status="processing", progress=rng.randrange(5, 90), updated_at=begun)
    event("processing", begun, progress=row["progress"])
    if state == "processing":
        return row, images, events
    done = begun + timedelta(seconds=making * duration)
    if state == "failed":
        code, message = rng.choice(FAILURES)
        row.update(status="failed", error_code=code, error_message=message, cost_quota=0)
        row.update(refunded_quota=price, finished_at=done, updated_at=done, tracking=False)
        event("failed", done, progress=row["progress"], detail=f"{code}: {message}")
        return row, images, events
    # Completed: charged the price, the link lives 24 hours.
    expires = done + timedelta(seconds=GROK_IMAGINE_VIDEO.link_ttl_seconds)
    row.update(status="completed", progress=100, cost_quota=price, refunded_quota=0)
    row.update(finished_at=done, updated_at=done, archive_state="pending", next_check_at=done)
    row.update(provider_video_url=f"https://files.example.com/v/{_uuid(rng)}.mp4")
    row.update(provider_expires_at=expires)
    event("completed", done, progress=100, source="callback" if rng.random() < 0.8 else "service")
    if state == "saving":
        return row, images, events
    saved = done + timedelta(seconds=rng.uniform(1, 6))
    row.update(tracking=False, updated_at=saved)
    if state == "link_expired":
        message = (
            "The video was ready, but its download link expired before the studio could "
            "save a copy."
        )
        row.update(archive_state="link_expired", archive_attempts=8, archive_error=message)
        event("completed", expires, source="archive", progress=100, detail=message)
        return row, images, events
    if state == "archive_failed":
        message = "The studio did not download this video: the link's host is not allowed."
        row.update(archive_state="failed", archive_attempts=1, archive_error=message)
        event("completed", saved, source="archive", progress=100, detail=message)
        return row, images, events
    width, height = _frame(ratio if not image_mode else "16:9", resolution)
    row.update(archive_state="archived", archive_attempts=0, archived_at=saved)
    row.update(video_file=f"{task_id}.mp4", poster_file=f"{task_id}.jpg")
    row.update(video_width=width, video_height=height, video_seconds=float(duration))
    row.update(video_bytes=int(duration * (110_000 if resolution == "480p" else 240_000)))
    event("completed", saved, source="archive", progress=100)
    return row, images, events


def _frame(ratio: str, resolution: str) -> tuple[int, int]:
    return GROK_IMAGINE_VIDEO.frame_size(ratio, resolution)


def count_rows(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000, help="how many videos (10000)")
    parser.add_argument("--data-dir", type=Path, required=True, help="the studio's data folder")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    parser.add_argument("--days", type=int, default=365, help="how far back history goes (365)")
    parser.add_argument("--in-flight", type=int, default=3, help="videos still being made (3)")
    parser.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="the moment the history ends, ISO 8601 with a zone (default: now)",
    )
    args = parser.parse_args()
    store = Store.open(database_url(args.data_dir))
    existing = count_rows(store)
    if existing:
        print(f"{args.data_dir} already has {existing:,} videos: use an empty data folder.")
        return 1
    seeded = seed_store(
        store, args.tasks, seed=args.seed, now=args.now, days=args.days, in_flight=args.in_flight
    )
    print(
        f"{seeded.tasks:,} videos ({seeded.accepted:,} accepted), {seeded.images:,} pictures, "
        f"{seeded.events:,} events in {seeded.seconds:.1f} s -> {seeded.database_url}"
    )
    print(
        f"settled {seeded.settled:,} quota, pending {seeded.pending:,}, "
        f"refunded {seeded.refunded:,} (500,000 quota = $1)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
