"""`python -m lib.embedded_wave --port N`: the embedded Wave API on its own.

Serves `http://HOST:N/v1/...`. Every option has a default; faults are off unless asked.
"""

from __future__ import annotations

import argparse
import logging
from decimal import Decimal
from pathlib import Path

import uvicorn

from lib.domain.catalog import MODELS
from lib.embedded_wave.server import EmbeddedWave
from lib.embedded_wave.settings import FAILURE_MESSAGES, REPLY_VARIANTS, EmbeddedSettings, Faults


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m lib.embedded_wave",
        description="Local Wave task API for the Grok Imagine video models "
        "(lib/domain/catalog.py) that renders real MP4s.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/embedded-wave"),
        help="where tasks and videos are kept (default: %(default)s)",
    )
    p.add_argument(
        "--balance-usd",
        type=Decimal,
        default=Decimal("10"),
        help="starting credit of every account (default: %(default)s)",
    )
    p.add_argument(
        "--api-key",
        action="append",
        default=[],
        help="accept only this key (repeatable); by default any key opens an account",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiply queue and processing times (0.05 = 20x faster)",
    )
    p.add_argument(
        "--link-ttl",
        type=float,
        default=None,
        help="seconds before a video link expires (default: the model's own, 24 h for "
        "1.0 and 7 days for today's models)",
    )
    p.add_argument("--render-workers", type=int, default=2)
    p.add_argument("--public-url", help="absolute base URL for links (default: from each request)")
    p.add_argument(
        "--allow-local",
        action="append",
        default=[],
        metavar="PREFIX",
        help="picture links and callback addresses under this prefix may be on this machine "
        "or a private network, e.g. http://127.0.0.1:*/ (repeatable; by default only public "
        "addresses are fetched)",
    )
    p.add_argument(
        "--admin", action="store_true", help="enable /_embedded/counters and /_embedded/faults"
    )
    faults = p.add_argument_group("fault injection (all off by default)")
    faults.add_argument("--fault-500", type=float, default=0.0, help="share of requests -> 500")
    faults.add_argument("--fault-429", type=float, default=0.0, help="share of requests -> 429")
    faults.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on 429")
    faults.add_argument("--fault-slow", type=float, default=0.0, help="share of slow replies")
    faults.add_argument("--slow-seconds", type=float, default=5.0)
    faults.add_argument(
        "--fault-drop",
        type=float,
        default=0.0,
        help="share of requests carried out whose connection then drops",
    )
    faults.add_argument(
        "--fault-late",
        type=float,
        default=0.0,
        help="share of requests carried out whose reply then waits --slow-seconds",
    )
    faults.add_argument(
        "--fault-task-failure",
        type=float,
        default=0.0,
        help="share of tasks that fail while processing",
    )
    faults.add_argument(
        "--failure-code",
        action="append",
        choices=sorted(FAILURE_MESSAGES),
        help="failure codes to use, in turn (default: all)",
    )
    faults.add_argument(
        "--reply-variant",
        action="append",
        choices=sorted(REPLY_VARIANTS),
        default=[],
        help="emit this reply variant of the contract (repeatable)",
    )
    faults.add_argument(
        "--ignore-prefer-wait",
        action="store_true",
        help="answer at once, as a service without `Prefer: wait` support does",
    )
    faults.add_argument("--fault-files", action="store_true", help="faults hit downloads too")
    faults.add_argument(
        "--retire",
        action="append",
        choices=sorted(MODELS),
        default=[],
        metavar="MODEL",
        help="behave as if the service no longer offers MODEL (repeatable): left out of "
        "GET /v1/models, submits answered 400 model_not_found",
    )
    faults.add_argument(
        "--block-word",
        action="append",
        default=[],
        help="a prompt with this word fails under the content rules (repeatable)",
    )
    faults.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> EmbeddedSettings:
    return EmbeddedSettings(
        data_dir=args.data_dir,
        starting_balance_usd=args.balance_usd,
        api_keys=tuple(args.api_key),
        time_scale=args.time_scale,
        link_ttl_seconds=args.link_ttl,
        render_workers=args.render_workers,
        public_url=args.public_url,
        local_prefixes=tuple(args.allow_local),
        admin=args.admin,
        faults=Faults(
            error_500_rate=args.fault_500,
            rate_limit_rate=args.fault_429,
            retry_after_seconds=args.retry_after,
            slow_rate=args.fault_slow,
            slow_seconds=args.slow_seconds,
            drop_rate=args.fault_drop,
            late_rate=args.fault_late,
            task_failure_rate=args.fault_task_failure,
            task_failure_codes=tuple(args.failure_code or FAILURE_MESSAGES),
            reply_variants=frozenset(args.reply_variant),
            ignore_prefer_wait=args.ignore_prefer_wait,
            include_files=args.fault_files,
            blocked_words=tuple(args.block_word),
            seed=args.seed,
        ),
        retired_models=tuple(args.retire),
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    wave = EmbeddedWave(settings_from_args(args))
    uvicorn.run(wave.app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
