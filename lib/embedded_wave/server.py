"""HTTP face of the embedded Wave API (Starlette), as `shared/wave-api.md` describes it.

`EmbeddedWave(settings)` holds the engine and the ASGI app. Served on its own, the app's
ASGI lifespan starts and stops the engine; mounted under a prefix inside the studio, the
studio's lifespan calls `start()` / `stop()` (Starlette does not run the lifespan of
mounted apps).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import threading
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lib.embedded_wave.engine import Engine
from lib.embedded_wave.replies import ApiError, balance_reply
from lib.embedded_wave.settings import EmbeddedSettings, Faults
from lib.embedded_wave.tasks import submit_reply
from lib.outside.bodies import BodyTooLarge, ClientGone, parse_json, read_limited

MAX_BODY_BYTES = 1024 * 1024
MAX_IDEMPOTENCY_KEY = 255


class EmbeddedWave:
    """The embedded Wave API: engine plus ASGI app."""

    def __init__(self, settings: EmbeddedSettings):
        self.settings = settings
        self.engine = Engine(settings)
        self.app: ASGIApp = FaultsAndCounters(_build_routes(self), self.engine)

    @asynccontextmanager
    async def lifespan(self, _app: Starlette):
        self.start()
        try:
            yield
        finally:
            self.stop()

    def allow_local(self, prefixes: tuple[str, ...]) -> None:
        """See EmbeddedSettings.local_prefixes (the studio knows its address only once it
        serves)."""
        self.engine.allow_local(prefixes)

    def start(self) -> None:
        self.engine.start()

    def stop(self) -> None:
        self.engine.stop()

    @property
    def counters(self):
        return self.engine.counters


# ----- request helpers ------------------------------------------------------------------
def account_of(request: Request, settings: EmbeddedSettings) -> str:
    """The account a request's API key opens. The key itself is never kept or logged."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401, "unauthorized", "Missing API key: send the header 'Authorization: Bearer <key>'."
        )
    if settings.api_keys and token not in settings.api_keys:
        raise ApiError(401, "unauthorized", "The API key is not valid.")
    return hashlib.sha256(token.encode()).hexdigest()[:16]


async def read_json(request: Request) -> Any:
    try:
        return parse_json(await read_limited(request, MAX_BODY_BYTES))
    except BodyTooLarge:
        # Closing the connection stops the rest of the body (or the server would drain it).
        raise ApiError(
            400,
            "invalid_request",
            "The request body is larger than 1 MB.",
            headers={"Connection": "close"},
        ) from None
    except ClientGone:
        # Nobody reads this answer; said so that the server has nothing to log.
        raise ApiError(400, "invalid_request", "The request body did not arrive whole.") from None
    except ValueError:  # UnicodeDecodeError is one
        raise ApiError(400, "invalid_request", "The request body is not valid JSON.") from None


def prefer_wait(request: Request, limit: int) -> float:
    """Seconds asked for by `Prefer: wait=N` (capped at the limit), 0 when not asked."""
    match = re.search(r"(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)", request.headers.get("prefer", ""))
    return min(float(match.group(1)), float(limit)) if match else 0.0


def base_url(request: Request, settings: EmbeddedSettings) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/") + "/"
    # root_path is the mount prefix ("/wave" inside the studio); base_url would drop it.
    root = request.scope.get("root_path", "").rstrip("/")
    return str(request.url.replace(path=root + "/", query="", fragment=""))


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


# ----- endpoints --------------------------------------------------------------------------
def _build_routes(wave: EmbeddedWave) -> Starlette:
    engine, settings = wave.engine, wave.settings

    def held_for(request: Request) -> float:
        """Seconds to hold this request for `Prefer: wait` (0 when off, or not supported)."""
        if engine.faults.ignore_prefer_wait:
            return 0.0
        return prefer_wait(request, settings.max_wait_seconds)

    async def submit(request: Request) -> Response:
        account = account_of(request, settings)
        body = await read_json(request)
        key = request.headers.get("idempotency-key")
        if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise ApiError(
                400,
                "invalid_request",
                f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters.",
                param="Idempotency-Key",
            )
        task, replayed = await run_in_threadpool(
            engine.submit, account, body, key, base_url(request, settings)
        )
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        wait = held_for(request)
        if wait:
            await engine.waiters.wait(task.task_id, wait, lambda: task.is_terminal)
            headers["Preference-Applied"] = f"wait={wait:g}"
        reply = submit_reply(task, engine.clock(), engine.faults.reply_variants)
        return JSONResponse(reply, headers=headers)

    async def get_task(request: Request) -> Response:
        account = account_of(request, settings)
        task = engine.get(account, request.path_params["task_id"])
        headers = {}
        wait = held_for(request)
        if wait:
            await engine.waiters.wait(task.task_id, wait, lambda: task.is_terminal)
            headers["Preference-Applied"] = f"wait={wait:g}"
        return JSONResponse(engine.snapshot(task), headers=headers)

    async def cancel_task(request: Request) -> Response:
        account = account_of(request, settings)
        task = await run_in_threadpool(engine.cancel, account, request.path_params["task_id"])
        return JSONResponse(
            {
                "task_id": task.task_id,
                "status": task.status,
                "refunded": True,
                "refunded_quota": task.price,
            }
        )

    async def balance(request: Request) -> Response:
        account = account_of(request, settings)
        return JSONResponse(balance_reply(engine.balance(account), engine.clock()))

    async def models(request: Request) -> Response:
        account_of(request, settings)
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": model_id, "object": "model", "owned_by": "xai", "created": 0}
                    for model_id in engine.offered_models()
                ],
            }
        )

    async def video_file(request: Request) -> Response:
        path, expired = engine.video_file(request.path_params["name"])
        if expired:
            raise ApiError(
                410,
                "link_expired",
                "This video link has expired: the service keeps each video for a limited "
                "time (24 hours for the 1.0 model, 7 days for today's models).",
            )
        if path is None or not path.is_file():
            raise ApiError(404, "not_found", "There is no video at this address.")
        return FileResponse(path, media_type="video/mp4")

    async def about(_request: Request) -> Response:
        return JSONResponse(
            {
                "service": "Embedded Wave API (demo: renders real MP4 files locally)",
                "api": "v1",
                "contract": "shared/wave-api.md",
            }
        )

    routes = [
        Route("/", about),
        Route("/v1/tasks", submit, methods=["POST"]),
        Route("/v1/tasks/{task_id}", get_task, methods=["GET"]),
        Route("/v1/tasks/{task_id}/cancel", cancel_task, methods=["POST"]),
        Route("/v1/dashboard/billing/balance", balance, methods=["GET"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/files/{name}", video_file, methods=["GET", "HEAD"]),
    ]
    if settings.admin:
        routes += _admin_routes(engine)

    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        return error_response(ApiError(exc.status_code, code, str(exc.detail)))

    return Starlette(
        routes=routes,
        exception_handlers={ApiError: api_error, HTTPException: http_error},
        lifespan=wave.lifespan,
    )


def _admin_routes(engine: Engine) -> list[Route]:
    """Counters and fault switches, for tests and benchmarks (enabled by `admin`)."""

    async def counters(_request: Request) -> Response:
        return JSONResponse(engine.counters.snapshot())

    async def reset_counters(_request: Request) -> Response:
        engine.counters.reset()
        return JSONResponse({})

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            changes = await read_json(request)
            try:
                engine.set_faults(Faults.from_dict({**engine.faults.to_dict(), **changes}))
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "invalid_request", str(exc)) from None
        return JSONResponse(engine.faults.to_dict())

    return [
        Route("/_embedded/counters", counters, methods=["GET"]),
        Route("/_embedded/counters/reset", reset_counters, methods=["POST"]),
        Route("/_embedded/faults", faults, methods=["GET", "PUT"]),
    ]


# ----- counters and fault injection ------------------------------------------------------
_ENDPOINTS = (
    ("POST", re.compile(r"^/v1/tasks/?$"), "submit"),
    ("POST", re.compile(r"^/v1/tasks/[^/]+/cancel/?$"), "cancel"),
    ("GET", re.compile(r"^/v1/tasks/[^/]+/?$"), "get"),
    ("GET", re.compile(r"^/v1/dashboard/billing/balance/?$"), "balance"),
    ("GET", re.compile(r"^/v1/models/?$"), "models"),
    (None, re.compile(r"^/files/"), "file"),
    (None, re.compile(r"^/_embedded/"), "admin"),
)


def endpoint_name(method: str, path: str) -> str:
    for wanted, pattern, name in _ENDPOINTS:
        if (wanted is None or wanted == method) and pattern.match(path):
            return name
    return "other"


class InjectedDrop(Exception):
    """Raised mid-reply so that the server closes the connection (fault injection)."""


class FaultsAndCounters:
    """Counts every request per endpoint and status, and injects the configured faults."""

    def __init__(self, app: ASGIApp, engine: Engine):
        self.app = app
        self.engine = engine
        self._rng = random.Random(engine.faults.seed)
        self._rng_lock = threading.Lock()

    def _draw(self) -> float:
        with self._rng_lock:
            return self._rng.random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        name = endpoint_name(scope["method"], path)
        count = self.engine.counters.add
        count("requests")
        count(f"requests.{name}")
        faults = self.engine.faults
        faultable = name in ("submit", "get", "cancel", "balance") or (
            name == "file" and faults.include_files
        )
        drop = late = False
        if faultable:
            if faults.slow_rate and self._draw() < faults.slow_rate:
                count(f"faults.slow.{name}")
                await asyncio.sleep(faults.slow_seconds)
            if faults.error_500_rate and self._draw() < faults.error_500_rate:
                count(f"faults.500.{name}")
                error = ApiError(500, "internal_error", "Internal error (injected). Retry later.")
                await error_response(error)(scope, receive, send)
                return
            if faults.rate_limit_rate and self._draw() < faults.rate_limit_rate:
                count(f"faults.429.{name}")
                error = ApiError(
                    429,
                    "rate_limited",
                    "Too many requests (injected). Retry after the time in Retry-After.",
                    headers={"Retry-After": str(faults.retry_after_seconds)},
                )
                await error_response(error)(scope, receive, send)
                return
            drop = bool(faults.drop_rate) and self._draw() < faults.drop_rate
            late = bool(faults.late_rate) and self._draw() < faults.late_rate

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                count(f"status.{name}.{message['status']}")
                if late:  # carried out already; only the reply is late
                    count(f"faults.late.{name}")
                    await asyncio.sleep(faults.slow_seconds)
            elif drop and message["type"] == "http.response.body":
                count(f"faults.drop.{name}")
                body = message.get("body", b"")
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[: len(body) // 2],
                        "more_body": True,
                    }
                )
                raise InjectedDrop(f"connection dropped on purpose ({name})")
            await send(message)

        await self.app(scope, receive, counting_send)
