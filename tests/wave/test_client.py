"""The studio's Wave client (`lib.wave`) against the embedded Wave API over real HTTP,
plus small local servers for replies the embedded API never gives."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from lib.embedded_wave.background import free_port
from lib.embedded_wave.settings import REPLY_VARIANTS, Faults
from lib.wave import (
    AuthError,
    Balance,
    CancelResult,
    InsufficientBalance,
    InvalidRequest,
    ModelNotFound,
    RateLimited,
    ServerError,
    ServiceUnreachable,
    TaskNotCancellable,
    TaskNotFound,
    UnexpectedReply,
    WaveError,
    parse_task,
)
from lib.wave import WaveClient as StudioClient  # tests.conftest has its own WaveClient
from lib.wave.replies import parse_error_body, parse_retry_after
from tests.conftest import SEED_BODY

PRICE_6S = 22313  # quota: round_half_up(6 × 3718.75)
KEY = "test-key-alpha"  # what the conftest helper uses, so both see one account
SECRET = "sk-wave-SECRET-4f1d9c0e77"


class Sleeps(list):
    """An injected sleep that records how long it was asked to wait, and does not wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def studio_client(running_or_url: Any, key: str = KEY, **options: Any) -> StudioClient:
    url = running_or_url if isinstance(running_or_url, str) else running_or_url.running.api_url
    options.setdefault("sleep", Sleeps())
    return StudioClient(url, key, **options)


def finish(client: StudioClient, task_id: str, limit: float = 60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = client.get_task(task_id, wait=30)
        if state.is_terminal:
            return state
    raise AssertionError(f"{task_id} did not finish")


class DroppingSession(requests.Session):
    """Carries out a matching request, then loses the reply (as a dropped connection)."""

    def __init__(self, method: str, path_end: str, drops: int = 1):
        super().__init__()
        self.rule, self.drops = (method, path_end), drops
        self.sent: list[dict[str, Any]] = []

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        self.sent.append({"method": method, "url": url, **kwargs})
        if method == self.rule[0] and url.endswith(self.rule[1]) and self.drops > 0:
            self.drops -= 1
            response.close()
            # Like the real thing, it holds the request (headers, key and all).
            raise requests.ConnectionError("connection dropped (test)", request=response.request)
        return response


# ----- a tiny scripted HTTP server ------------------------------------------------------------
@dataclass
class Scripted:
    """Answers each request with the next scripted reply (the last one repeats)."""

    replies: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, *replies: tuple[int, dict[str, str], bytes]) -> None:
        self.replies[:] = replies


def reply(status: int, body: Any, **headers: str) -> tuple[int, dict[str, str], bytes]:
    if isinstance(body, str | bytes):
        data = body.encode() if isinstance(body, str) else body
        headers.setdefault("Content-Type", "text/plain")
    else:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    return status, {k.replace("_", "-"): v for k, v in headers.items()}, data


def error_reply(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra
):
    status, sent, data = reply(status, {"error": {"message": message, "code": code, **extra}})
    return status, {**sent, **(headers or {})}, data


QUEUED = {"task_id": "task-wave1", "status": "queued", "progress": 0, "pre_consumed_cost": 22313}


@pytest.fixture
def scripted():
    state = Scripted()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)  # drained, not needed
            with state.lock:
                state.seen.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                )
                status, headers, data = (
                    state.replies.pop(0) if len(state.replies) > 1 else state.replies[0]
                )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def now() -> datetime:
    return datetime.now(UTC)


# ----- the happy path -------------------------------------------------------------------------
def test_submit_then_wait_gives_a_completed_task(wave):
    with studio_client(wave.running.api_url + "/") as client:  # a trailing slash is fine
        queued = client.submit(SEED_BODY, "key-happy-path")
        assert queued.status == "queued" and queued.progress == 0
        assert queued.task_id.startswith("task-wave") and not queued.is_terminal
        assert queued.pre_consumed_cost == PRICE_6S and queued.cost is None
        assert queued.created_at.tzinfo is not None
        assert abs((queued.created_at - now()).total_seconds()) < 5
        assert queued.urls_get == f"{wave.running.base_url}/v1/tasks/{queued.task_id}"

        done = finish(client, queued.task_id)
    assert done.status == "completed" and done.is_terminal and done.wait_honoured
    assert done.progress == 100 and done.cost == PRICE_6S
    assert done.action == "generate" and done.model == "grok-imagine-1.0-video"
    assert done.created_at == queued.created_at
    assert done.completed_at >= done.created_at
    assert len(done.video_urls) == 1 and done.video_urls[0].startswith(wave.running.base_url)
    assert done.expires_at.utcoffset() == timedelta(0)
    assert abs((done.expires_at - (now() + timedelta(hours=24))).total_seconds()) < 60
    assert done.error_code is None and done.error_message is None
    assert done.raw["task_id"] == done.task_id
    assert wave.counters()["requests.submit"] == 1


def test_every_reply_variant_parses_into_the_same_task(wave):
    client = studio_client(wave)
    task_id = client.submit(SEED_BODY, "key-variants").task_id
    canonical = finish(client, task_id)
    wave.running.wave.engine.set_faults(Faults(reply_variants=REPLY_VARIANTS))

    varied = client.get_task(task_id)
    assert varied.raw["progress"] == "100%" and "trace_id" in varied.raw  # variants are on
    assert isinstance(varied.raw["result"]["videos"][0]["url"], str)
    assert len(str(varied.raw["created_at"])) == 10
    for name in ("created_at", "completed_at"):  # seconds instead of milliseconds
        assert abs((getattr(varied, name) - getattr(canonical, name)).total_seconds()) < 1
    same_times = {"created_at": canonical.created_at, "completed_at": canonical.completed_at}
    assert replace(varied, wait_honoured=True, **same_times) == canonical

    fresh = client.submit(SEED_BODY, "key-variants-2")
    assert fresh.raw["progress"] == "" and fresh.progress == 0
    assert abs((fresh.created_at - now()).total_seconds()) < 5


# ----- typed errors from the real server -------------------------------------------------------
def test_a_wrong_key_is_an_auth_error_and_never_retried(start_wave):
    wave = start_wave(api_keys=("good",))
    client = studio_client(wave, "bad-key")
    with pytest.raises(AuthError) as caught:
        client.submit(SEED_BODY, "key-auth")
    assert caught.value.status == 401 and caught.value.code == "unauthorized"
    assert "not valid" in str(caught.value)
    with pytest.raises(AuthError):
        client.get_task("task-wave0000000000deadbeef")
    assert wave.counters()["requests.submit"] == 1 and wave.counters()["requests.get"] == 1
    assert client._sleep == []


def test_an_empty_wallet_is_insufficient_balance_and_never_retried(start_wave):
    wave = start_wave(starting_balance_usd=Decimal("0.01"))
    client = studio_client(wave)
    with pytest.raises(InsufficientBalance) as caught:
        client.submit(SEED_BODY, "key-poor")
    assert caught.value.status == 402 and caught.value.code == "insufficient_balance"
    assert "$0.0446" in str(caught.value)
    assert wave.counters()["requests.submit"] == 1


def test_a_bad_field_is_an_invalid_request_naming_it(wave):
    client = studio_client(wave)
    with pytest.raises(InvalidRequest) as caught:
        client.submit({**SEED_BODY, "duration": 31}, "key-too-long")
    error = caught.value
    assert error.status == 400 and error.code == "invalid_request" and error.param == "duration"
    assert "30" in error.message and str(error) == error.message
    assert wave.counters()["requests.submit"] == 1


def test_unknown_tasks_are_not_found(wave):
    client = studio_client(wave)
    for call in (client.get_task, client.cancel):
        with pytest.raises(TaskNotFound) as caught:
            call("task-wave0000000000deadbeef")
        assert caught.value.status == 404 and caught.value.code == "task_not_found"
    assert client._sleep == []


def test_cancel_of_a_finished_task_is_not_cancellable(wave):
    client = studio_client(wave)
    task_id = client.submit(SEED_BODY, "key-done").task_id
    finish(client, task_id)
    with pytest.raises(TaskNotCancellable) as caught:
        client.cancel(task_id)
    assert caught.value.status == 400 and caught.value.code == "task_not_cancellable"
    assert "completed" in str(caught.value)
    assert wave.counters()["requests.cancel"] == 1


# ----- cancel -----------------------------------------------------------------------------------
def test_cancel_of_a_queued_task_refunds_it(start_wave):
    wave = start_wave(time_scale=1.0)  # about 2 s in the queue
    client = studio_client(wave)
    task_id = client.submit(SEED_BODY, "key-cancel").task_id
    assert client.cancel(task_id) == CancelResult(task_id, "cancelled", True, PRICE_6S)
    state = client.get_task(task_id)
    assert state.status == "cancelled" and state.cost == 0 and state.is_terminal
    assert client.balance().total_used_usd == 0


def test_a_cancel_whose_reply_was_lost_is_confirmed_with_a_get(start_wave):
    wave = start_wave(time_scale=1.0)
    session = DroppingSession("POST", "/cancel")
    client = studio_client(wave, session=session)
    task_id = client.submit(SEED_BODY, "key-lost-cancel").task_id
    # The first cancel is carried out but its reply lost; the retry hears "not cancellable".
    assert client.cancel(task_id) == CancelResult(task_id, "cancelled", True, 0)
    counts = wave.counters()
    assert counts["requests.cancel"] == 2 and counts["status.cancel.400"] == 1
    assert counts["requests.get"] == 1
    assert len(client._sleep) == 1


def test_an_uncertain_cancel_of_a_running_task_still_raises(scripted):
    scripted.script(
        error_reply(500, "internal_error", "boom"),
        error_reply(400, "task_not_cancellable", "Only a queued task can be cancelled."),
        reply(200, {"task_id": "task-wave1", "status": "processing", "progress": "45%"}),
    )
    with pytest.raises(TaskNotCancellable):
        studio_client(scripted.url).cancel("task-wave1")
    assert [s["method"] for s in scripted.seen] == ["POST", "POST", "GET"]


# ----- retries --------------------------------------------------------------------------------
def test_gets_recover_from_injected_500s(start_wave):
    wave = start_wave(faults=Faults(error_500_rate=0.3, seed=7))
    client = studio_client(wave, submit_retries=6)
    task_id = client.submit(SEED_BODY, "key-500s").task_id
    states = [client.get_task(task_id) for _ in range(30)]
    assert all(s.task_id == task_id for s in states)
    counts = wave.counters()
    failures = counts.get("faults.500.get", 0) + counts.get("faults.500.submit", 0)
    assert counts.get("faults.500.get", 0) >= 3
    assert counts["requests.get"] == 30 + counts["faults.500.get"]
    assert len(client._sleep) == failures  # one backoff per failed attempt
    assert all(0 <= s <= 8.0 for s in client._sleep)


def test_rate_limits_wait_exactly_the_retry_after(start_wave):
    wave = start_wave(faults=Faults(rate_limit_rate=0.4, retry_after_seconds=2, seed=3))
    client = studio_client(wave, submit_retries=6, get_retries=6)
    task_id = client.submit(SEED_BODY, "key-429s").task_id
    for _ in range(15):
        client.get_task(task_id)
    limited = sum(n for name, n in wave.counters().items() if name.startswith("faults.429."))
    assert limited >= 3
    assert client._sleep == [2.0] * limited

    wave.running.wave.engine.set_faults(Faults(rate_limit_rate=1.0, retry_after_seconds=3))
    client = studio_client(wave, get_retries=2)
    with pytest.raises(RateLimited) as caught:
        client.get_task(task_id)
    assert caught.value.status == 429 and caught.value.retry_after == 3.0
    assert caught.value.code in ("rate_limited", "quota_window_exceeded")
    assert client._sleep == [3.0, 3.0]


def test_a_long_retry_after_is_capped(scripted):
    scripted.script(
        error_reply(429, "rate_limited", "Slow down.", headers={"Retry-After": "3600"}),
        reply(200, QUEUED),
    )
    client = studio_client(scripted.url)
    assert client.get_task("task-wave1").status == "queued"
    assert client._sleep == [60.0]


def test_backoff_is_exponential_capped_and_jittered(scripted):
    scripted.script(error_reply(503, "internal_error", "down"))
    client = studio_client(scripted.url, get_retries=5, backoff_base=0.5, backoff_cap=3.0)
    client._random = lambda: 1.0  # the top of the jitter range
    with pytest.raises(ServerError) as caught:
        client.get_task("task-wave1")
    assert caught.value.status == 503 and str(caught.value) == "down"
    assert client._sleep == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert len(scripted.seen) == 6


def test_a_dropped_submit_is_unreachable_then_the_same_key_finds_the_task(start_wave):
    wave = start_wave(faults=Faults(drop_rate=1.0))
    client = studio_client(wave, submit_retries=2)
    with pytest.raises(ServiceUnreachable) as caught:
        client.submit(SEED_BODY, "key-dropped")
    assert str(caught.value) == "The video service could not be reached."
    assert caught.value.status is None
    counts = wave.counters()
    assert counts["requests.submit"] == 3 and counts["faults.drop.submit"] == 3
    assert len(client._sleep) == 2

    wave.running.wave.engine.set_faults(Faults())
    again = client.submit(SEED_BODY, "key-dropped")
    assert client.submit(SEED_BODY, "key-dropped").task_id == again.task_id
    assert wave.balance()["total_used_usd"] == pytest.approx(PRICE_6S / 500_000)  # paid once
    other = client.submit(SEED_BODY, "key-another")
    assert other.task_id != again.task_id
    assert wave.balance()["total_used_usd"] == pytest.approx(2 * PRICE_6S / 500_000)


def test_a_submit_whose_reply_was_lost_is_retried_with_the_same_key(start_wave):
    # Tasks wait 2 s in line here: the replay, however late on a busy machine, still finds
    # the task queued (at the usual test speed it may already be being made).
    wave = start_wave(time_scale=1.0)
    session = DroppingSession("POST", "/v1/tasks")
    client = studio_client(wave, session=session)
    state = client.submit(SEED_BODY, "key-lost-reply")
    keys = [sent["headers"]["Idempotency-Key"] for sent in session.sent]
    assert keys == ["key-lost-reply", "key-lost-reply"]
    assert state.status == "queued" and state.pre_consumed_cost == PRICE_6S
    assert wave.balance()["total_used_usd"] == pytest.approx(PRICE_6S / 500_000)


def test_submit_retries_5xx_with_the_same_key(scripted):
    scripted.script(
        error_reply(500, "internal_error", "Internal error. Retry later."),
        reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", Content_Type="text/html"),
        reply(200, QUEUED),
    )
    client = studio_client(scripted.url)
    assert client.submit(SEED_BODY, "key-5xx").task_id == "task-wave1"
    assert [s["headers"]["Idempotency-Key"] for s in scripted.seen] == ["key-5xx"] * 3
    assert {s["headers"]["Authorization"] for s in scripted.seen} == {f"Bearer {KEY}"}
    assert len(client._sleep) == 2


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (error_reply(400, "invalid_request", "Bad duration.", param="duration"), InvalidRequest),
        (error_reply(402, "insufficient_balance", "Not enough credit."), InsufficientBalance),
        (error_reply(401, "unauthorized", "The API key is not valid."), AuthError),
    ],
)
def test_submit_never_retries_a_refusal(scripted, answer, kind):
    scripted.script(answer)
    client = studio_client(scripted.url)
    with pytest.raises(kind) as caught:
        client.submit(SEED_BODY, "key-refused")
    assert caught.value.status == answer[0]
    assert len(scripted.seen) == 1 and client._sleep == []


@pytest.mark.parametrize(
    ("answer", "kind", "message"),
    [
        (
            reply(502, "<html>" + "<p>Bad gateway</p>" * 500 + "</html>", Content_Type="text/html"),
            ServerError,
            ServerError.default_message,
        ),
        (reply(503, "upstream connect error"), ServerError, "upstream connect error"),
        (reply(200, "surely json?"), UnexpectedReply, None),
        (reply(200, ["a", "list"]), UnexpectedReply, None),
        (reply(200, {"status": "queued"}), UnexpectedReply, None),
        (reply(200, {"task_id": "t", "status": "exploded"}), UnexpectedReply, None),
        (error_reply(418, "teapot", "I am a teapot."), WaveError, "I am a teapot."),
    ],
)
def test_replies_of_other_shapes(scripted, answer, kind, message):
    scripted.script(answer)
    client = studio_client(scripted.url, get_retries=0)
    with pytest.raises(WaveError) as caught:
        client.get_task("task-wave1")
    assert type(caught.value) is kind
    assert "<" not in str(caught.value) and len(str(caught.value)) < 300
    if message:
        assert str(caught.value) == message


def test_a_slow_service_times_out_into_service_unreachable(start_wave):
    wave = start_wave(faults=Faults(slow_rate=1.0, slow_seconds=1.0))
    client = studio_client(wave, read_timeout=0.3, get_retries=1)
    started = time.monotonic()
    with pytest.raises(ServiceUnreachable):
        client.get_task("task-wave0000000000deadbeef")
    assert time.monotonic() - started < 1.5
    assert wave.counters()["requests.get"] == 2 and len(client._sleep) == 1


def test_connection_refused_is_service_unreachable_after_retries():
    client = studio_client(f"http://127.0.0.1:{free_port()}/v1", get_retries=3)
    with pytest.raises(ServiceUnreachable):
        client.balance()
    assert len(client._sleep) == 3
    assert all(0 <= s <= 0.5 * 2**i for i, s in enumerate(client._sleep))


class RecordingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict[str, Any]] = []

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        self.calls.append({"method": method, "url": url, **kwargs})
        return super().request(method, url, *args, **kwargs)


def test_every_call_has_timeouts_and_wait_stretches_the_read_timeout(wave):
    session = RecordingSession()
    client = studio_client(wave, session=session, connect_timeout=2.0, read_timeout=10.0)
    done = client.submit(SEED_BODY, "key-timeouts", wait=90)  # more than the contract's 60
    assert done.status == "completed" and done.wait_honoured
    assert client.get_task(done.task_id, wait=0.4).wait_honoured
    assert not client.get_task(done.task_id).wait_honoured
    with pytest.raises(TaskNotCancellable):
        client.cancel(done.task_id)
    client.balance()
    prefer = [call["headers"].get("Prefer") for call in session.calls]
    timeouts = [call["timeout"] for call in session.calls]
    assert prefer == ["wait=60", "wait=1", None, None, None]
    assert timeouts == [(2.0, 70.0), (2.0, 11.0), (2.0, 10.0), (2.0, 10.0), (2.0, 10.0)]
    assert all(c["headers"]["Authorization"] == f"Bearer {KEY}" for c in session.calls)
    client.close()
    assert "Authorization" not in session.headers  # the caller's session is left as it was


# ----- balance --------------------------------------------------------------------------------
def test_balance_in_decimals(wave):
    client = studio_client(wave)
    start = client.balance()
    assert start == Balance(Decimal("10"), Decimal("0"), Decimal("10"), "USD", start.as_of)
    assert abs((start.as_of - now()).total_seconds()) < 5
    client.submit(SEED_BODY, "key-balance")
    after = client.balance()
    assert after.total_used_usd == Decimal("0.044626")
    assert after.total_available_usd == Decimal("9.955374")
    assert all(isinstance(v, Decimal) for v in (after.total_granted_usd, after.total_used_usd))


def test_balance_is_none_when_the_service_has_no_such_endpoint(scripted):
    scripted.script(error_reply(404, "not_found", "Not Found"))
    client = studio_client(scripted.url)
    assert client.balance() is None
    assert [s["path"] for s in scripted.seen] == ["/v1/dashboard/billing/balance"]


# ----- models -------------------------------------------------------------------------------
def test_models_lists_what_the_service_offers(start_wave):
    wave = start_wave(retired_models=("grok-imagine-1.0-video",))
    client = studio_client(wave)
    assert client.models() == (
        "grok-imagine-video-1.5-rev",
        "grok-imagine-video",
        "grok-imagine-video-1.5",
    )
    with pytest.raises(ModelNotFound) as refused:
        client.submit(SEED_BODY, "key-retired")
    assert refused.value.param == "model" and "grok-imagine-video-1.5-rev" in str(refused.value)


def test_models_is_none_when_the_service_has_no_such_list(scripted):
    scripted.script(error_reply(404, "not_found", "Not Found"))
    assert studio_client(scripted.url).models() is None


def test_a_reply_as_today_billing_status_seconds_and_a_percent_string():
    state = parse_task(
        {
            "task_id": "task-wave1",
            "status": "completed",
            "progress": "45%",
            "created_at": 1775285160,
            "completed_at": 1775285191,
            "cost": 64530,
            "billing_status": "settled",
            "result": {"videos": [{"url": "https://x.example/a.mp4", "expires_at": 1775889991}]},
        }
    )
    assert state.billing_status == "settled" and state.cost == 64530
    assert state.completed_at == datetime(2026, 4, 4, 6, 46, 31, tzinfo=UTC)
    assert state.expires_at - state.completed_at == timedelta(days=7)
    failed = parse_task({"task_id": "t", "status": "failed", "progress": "", "billing_status": 7})
    assert failed.progress == 0 and failed.billing_status is None


# ----- the API key stays secret -------------------------------------------------------------------
def chain(error: BaseException):
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def test_the_api_key_never_leaks(start_wave, caplog):
    caplog.set_level(logging.DEBUG)
    faults = Faults(error_500_rate=0.3, rate_limit_rate=0.2, drop_rate=0.2, seed=5)
    wave = start_wave(api_keys=(SECRET,), faults=faults)
    client = studio_client(wave, SECRET, get_retries=1, submit_retries=1)
    assert SECRET not in repr(client) and wave.running.api_url in repr(client)
    errors: list[WaveError] = []

    def attempt(call, *args: Any) -> None:
        try:
            call(*args)
        except WaveError as error:
            errors.append(error)

    for n in range(8):
        attempt(client.submit, SEED_BODY, f"key-leak-{n}")
        attempt(client.submit, {**SEED_BODY, "duration": 31}, f"key-leak-bad-{n}")
        attempt(client.get_task, "task-wave0000000000deadbeef")
        attempt(client.cancel, "task-wave0000000000deadbeef")
        attempt(client.balance)
    wrong = studio_client(wave, "sk-wave-SECRET-wrong-key", get_retries=3)
    attempt(wrong.get_task, "task-wave0000000000deadbeef")
    lost = studio_client(wave, SECRET, session=DroppingSession("GET", "deadbeef", drops=9))
    attempt(lost.get_task, "task-wave0000000000deadbeef")
    nowhere = studio_client(f"http://127.0.0.1:{free_port()}/v1", SECRET, get_retries=1)
    attempt(nowhere.get_task, "task-wave1")
    attempt(studio_client("nonsense://wave", SECRET).balance)

    kinds = {type(e) for e in errors}
    assert {InvalidRequest, TaskNotFound, AuthError, ServiceUnreachable} <= kinds, kinds
    assert ServerError in kinds or RateLimited in kinds, kinds
    for error in errors:
        for link in chain(error):
            texts = [str(link), repr(link), repr(link.args), repr(vars(link))]
            request = getattr(link, "request", None)
            if request is not None:
                texts.append(repr(request.headers))
            assert not any("SECRET" in text for text in texts), (error, link)
    assert "Wave" in caplog.text  # there are log lines, and
    assert "SECRET" not in caplog.text  # none of them holds the key


def test_a_key_with_a_line_break_inside_is_refused_without_showing_it():
    with pytest.raises(ValueError) as caught:
        StudioClient("http://127.0.0.1:1/v1", "sk-SECRET\nX-Other: 1")
    assert "SECRET" not in str(caught.value)
    assert StudioClient("http://127.0.0.1:1/v1", f" {SECRET}\n")._key == SECRET


# ----- parse_task: the reply variants, one by one -------------------------------------------------
BASE = {"task_id": "task-wave1", "status": "processing"}


@pytest.mark.parametrize(
    ("progress", "expected"),
    [("", 0), ("45%", 45), (" 7 % ", 7), (45.6, 46), (None, 0), (150, 100), (-3, 0), ("x", 0)],
)
def test_progress_in_every_shape(progress, expected):
    assert parse_task({**BASE, "progress": progress}).progress == expected


def test_a_missing_progress_is_zero_and_completed_is_always_100():
    assert parse_task(BASE).progress == 0
    assert parse_task({**BASE, "status": "completed", "progress": "99%"}).progress == 100


def test_times_in_milliseconds_seconds_or_iso():
    ms = parse_task({**BASE, "created_at": 1775285160040}).created_at
    seconds = parse_task({**BASE, "created_at": 1775285160}).created_at
    iso = parse_task({**BASE, "created_at": "2026-04-04T06:46:00Z"}).created_at
    assert ms == datetime(2026, 4, 4, 6, 46, 0, 40000, tzinfo=UTC)
    assert seconds == datetime(2026, 4, 4, 6, 46, 0, tzinfo=UTC) == iso
    assert parse_task({**BASE, "created_at": "1775285160"}).created_at == seconds
    assert parse_task({**BASE, "created_at": None}).created_at is None
    assert parse_task({**BASE, "created_at": "soon"}).created_at is None


def test_video_links_as_a_list_or_a_string_and_the_earliest_expiry():
    result = {
        "videos": [
            {"url": ["https://a/1.mp4", "https://a/2.mp4"], "expires_at": 1775371591000},
            {"url": "https://a/3.mp4", "expires_at": 1775371500, "mime_type": "video/mp4"},
        ]
    }
    state = parse_task({**BASE, "status": "completed", "result": result})
    assert state.video_urls == ("https://a/1.mp4", "https://a/2.mp4", "https://a/3.mp4")
    assert state.expires_at == datetime.fromtimestamp(1775371500, tz=UTC)
    one = parse_task({**BASE, "result": {"videos": [{"url": "https://a/x.mp4"}]}})
    assert one.video_urls == ("https://a/x.mp4",) and one.expires_at is None


def test_unknown_fields_are_ignored_and_raw_keeps_them():
    data = {**BASE, "trace_id": "t-1", "usage": {"s": 6}, "urls": {"get": "g", "extra": 1}}
    state = parse_task(data)
    assert state == parse_task(BASE | {"urls": {"get": "g"}})
    assert state.raw["trace_id"] == "t-1" and state.urls_get == "g" and state.urls_cancel is None
    assert "trace_id" not in repr(state)


def test_status_aliases_failures_and_costs():
    assert parse_task({**BASE, "status": "running"}).status == "processing"
    assert parse_task({**BASE, "status": "Succeeded"}).status == "completed"
    failed = parse_task(
        {**BASE, "status": "failed", "cost": 0, "error": {"code": "task_failed", "message": "No."}}
    )
    assert failed.is_terminal and failed.cost == 0
    assert (failed.error_code, failed.error_message) == ("task_failed", "No.")
    assert parse_task({**BASE, "pre_consumed_cost": "22313"}).pre_consumed_cost == 22313


@pytest.mark.parametrize(
    "data",
    [
        {"task_id": "task-wave1"},
        {"status": "queued"},
        {"task_id": "", "status": "queued"},
        {"task_id": "task-wave1", "status": "paused"},
        ["task-wave1", "queued"],
    ],
)
def test_a_task_without_an_id_or_a_known_status_is_an_unexpected_reply(data):
    with pytest.raises(UnexpectedReply):
        parse_task(data)


def test_error_bodies_and_retry_after():
    assert parse_error_body('{"error": {"message": "m", "code": "c", "param": "p"}}') == (
        "m",
        "c",
        "p",
    )
    assert parse_error_body("<!doctype html><html>…</html>") == (None, None, None)
    assert parse_error_body("Bad Gateway", "text/plain") == ("Bad Gateway", None, None)
    assert parse_error_body('{"error": "plain words"}') == ("plain words", None, None)
    assert parse_retry_after("7") == 7.0 and parse_retry_after(None) is None
    assert parse_retry_after("-1") is None and parse_retry_after("later") is None
    when = datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC)
    stamp = "Tue, 01 Jan 2030 00:00:30 GMT"
    assert parse_retry_after(stamp, now=when - timedelta(seconds=30)) == 30.0


def test_text_from_the_service_is_kept_as_the_store_can_hold_it():
    # Issue 12: what the service says lands in columns PostgreSQL holds to their length and
    # to text without NUL; a reply must not be able to crash the tracker's write.
    state = parse_task(
        {
            "task_id": "task-1",
            "status": "failed",
            "error": {"code": "c" * 500, "message": "Bad\x00 picture\ud800 link"},
            "result": {"videos": [{"url": ["https://cdn.example/v\x00.mp4"]}]},
        }
    )
    assert state.error_code == "c" * 64
    assert state.error_message == "Bad picture link"
    assert state.video_urls == ()
    for task_id in ("t" * 129, "task\x00-1", "task\n1"):
        with pytest.raises(UnexpectedReply):
            parse_task({"task_id": task_id, "status": "queued"})
