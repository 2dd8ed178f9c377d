"""Settings of the embedded Wave API: wallet, timing, link lifetime and fault injection."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from lib.domain.catalog import MODELS, QUOTA_PER_USD
from lib.domain.frames import short_side

# The failure codes of the contract, and the words the service uses for each.
FAILURE_MESSAGES = {
    "upstream_unavailable": "The upstream video service is unavailable right now. "
    "Try again as a new task.",
    "upstream_bad_request": "The upstream video service refused the request.",
    "upstream_rate_limited": "The upstream video service is busy (rate limited). "
    "Try again in a few minutes.",
    "task_failed": "The video could not be generated.",
}

# A prompt refused under the content rules (Faults.blocked_words): DECIDED code for the
# embedded server; the real service's wording varies (wave-api.md, Models).
CONTENT_MODERATED = "content_moderated"
CONTENT_MESSAGE = (
    "The request was refused under the content policy: the prompt asks for something "
    "the service does not make. Nothing was charged."
)

# Reply variants the contract says real replies have shown (client must accept them).
REPLY_VARIANTS = frozenset({"progress_string", "seconds_timestamps", "url_string", "extra_fields"})


@dataclass(frozen=True)
class Faults:
    """Injected misbehaviour, all off by default. Rates are shares of requests (0..1)."""

    error_500_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after_seconds: int = 1
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    # The request is carried out, then the connection drops before the reply is whole.
    drop_rate: float = 0.0
    # The request is carried out, then its reply is held for `slow_seconds` (a client with
    # a shorter read timeout gives up on a request that did happen).
    late_rate: float = 0.0
    # Share of tasks that fail while processing, with one of these codes (picked in turn).
    task_failure_rate: float = 0.0
    task_failure_codes: tuple[str, ...] = tuple(FAILURE_MESSAGES)
    reply_variants: frozenset[str] = frozenset()
    # Behave like a service that does not support `Prefer: wait`: answer at once and send
    # no `Preference-Applied`, so clients fall back to polling (benchmarks compare both).
    ignore_prefer_wait: bool = False
    # Request faults hit /v1 endpoints; set this to hit video downloads too.
    include_files: bool = False
    # Models the service no longer offers: left out of GET /v1/models, and a submit is
    # answered 400 `model_not_found` (switchable while running, through the admin route).
    retired_models: frozenset[str] = frozenset()
    # A prompt containing one of these words (any case) fails under the content rules
    # (`content_moderated`, cost 0), as the real service's moderation does.
    blocked_words: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_500_rate", "rate_limit_rate", "slow_rate", "drop_rate", "late_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate}")
        if not 0.0 <= self.task_failure_rate <= 1.0:
            raise ValueError("task_failure_rate must be between 0 and 1")
        unknown = set(self.task_failure_codes) - set(FAILURE_MESSAGES)
        if unknown or not self.task_failure_codes:
            raise ValueError(f"task_failure_codes must be among {sorted(FAILURE_MESSAGES)}")
        unknown = set(self.reply_variants) - REPLY_VARIANTS
        if unknown:
            raise ValueError(f"unknown reply variants {sorted(unknown)}")
        unknown = set(self.retired_models) - set(MODELS)
        if unknown:
            raise ValueError(f"retired_models must be among {sorted(MODELS)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        data = dict(data)
        if "task_failure_codes" in data:
            data["task_failure_codes"] = tuple(data["task_failure_codes"])
        if "reply_variants" in data:
            data["reply_variants"] = frozenset(data["reply_variants"])
        if "retired_models" in data:
            data["retired_models"] = frozenset(data["retired_models"])
        if "blocked_words" in data:
            data["blocked_words"] = tuple(data["blocked_words"])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["task_failure_codes"] = list(self.task_failure_codes)
        out["reply_variants"] = sorted(self.reply_variants)
        out["retired_models"] = sorted(self.retired_models)
        out["blocked_words"] = list(self.blocked_words)
        return out


@dataclass(frozen=True)
class EmbeddedSettings:
    data_dir: Path
    # Every account (one per API key) starts with this much credit.
    starting_balance_usd: Decimal = Decimal("10")
    # Empty: any Bearer token is accepted and gets its own account (demo mode).
    api_keys: tuple[str, ...] = ()
    # Simulated queue and processing times are multiplied by this; tests use ~0.02.
    time_scale: float = 1.0
    queue_seconds: float = 2.0
    processing_base_seconds: float = 6.0
    processing_seconds_per_video_second: float = 0.75
    # A sharper video takes longer, in proportion to its short side: 720p 1.5 times as
    # long as 480p, 1080p 2.25 times.
    base_short_side: int = 480
    # None: each model's own (24 hours for 1.0, 7 days for today's models).
    link_ttl_seconds: float | None = None
    render_workers: int = 2
    render_threads: int = 1
    callback_timeout_seconds: float = 10.0
    callback_backoff_seconds: tuple[float, ...] = (1.0, 4.0, 16.0)
    # Each picture link is fetched within this many seconds in all (lookup, redirects, body),
    # on fetch threads of its own, at most a few at a time per account: a slow link holds
    # neither a render thread nor another account's video.
    image_fetch_timeout_seconds: float = 15.0
    image_fetch_workers: int = 4
    image_fetches_per_account: int = 2
    image_max_bytes: int = 20 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    max_wait_seconds: int = 60
    idempotency_window_seconds: float = 24 * 3600
    # Picture links and callback addresses must be public; links under these prefixes may
    # be on this machine or a private network (in demo mode: the studio's own /assets/ and
    # callback route). Written as links; a port of `*` matches any port.
    local_prefixes: tuple[str, ...] = ()
    # Absolute base of links ("https://wave.example/"); by default taken from each request.
    public_url: str | None = None
    # /_embedded/... endpoints (counters, faults) for tests and benchmarks.
    admin: bool = False
    faults: Faults = field(default_factory=Faults)
    # Models retired from the start (`--retire MODEL`): added to faults.retired_models.
    retired_models: tuple[str, ...] = ()

    def with_faults(self, **changes: Any) -> EmbeddedSettings:
        return replace(self, faults=replace(self.faults, **changes))

    @property
    def starting_balance_quota(self) -> int:
        return int(self.starting_balance_usd * QUOTA_PER_USD)

    def link_ttl(self, model_id: str) -> float:
        """How long a finished video's link lasts, for a task of this model."""
        if self.link_ttl_seconds is not None:
            return self.link_ttl_seconds
        return float(MODELS[model_id].link_ttl_seconds)

    def processing_seconds(self, duration: int, resolution: str) -> float:
        """How long a task pretends to take before it completes (the render may be slower)."""
        seconds = self.processing_base_seconds + self.processing_seconds_per_video_second * duration
        seconds *= short_side(resolution) / self.base_short_side
        return seconds * self.time_scale
