"""The embedded Wave API over real HTTP: submit, status, cancel, wallet, idempotency,
`Prefer: wait`, fault injection and reply variants, as `shared/wave-api.md` says."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from decimal import Decimal

import pytest
import requests

from lib.embedded_wave.settings import Faults
from tests.conftest import SEED_BODY
from tests.reliability.canary import errors_logged


def test_the_seed_example_goes_from_queued_to_a_completed_video(wave):
    reply = wave.submit(SEED_BODY)
    assert reply.status_code == 200, reply.text
    task = reply.json()
    assert re.fullmatch(r"task-wave\d{10}[0-9a-f]{10}", task["task_id"])
    assert task["model"] == "grok-imagine-1.0-video"
    assert task["action"] == "generate"
    assert task["status"] == "queued"
    assert task["progress"] == 0
    assert task["pre_consumed_cost"] == 22313
    assert abs(task["created_at"] / 1000 - time.time()) < 5  # milliseconds

    done = wave.finish(task["task_id"])
    assert done["status"] == "completed"
    assert done["progress"] == 100
    assert done["cost"] == 22313
    assert done["completed_at"] >= done["created_at"]
    video = done["result"]["videos"][0]
    assert isinstance(video["url"], list) and video["url"][0].startswith("http://127.0.0.1:")
    assert abs(video["expires_at"] - (time.time() + 24 * 3600)) < 60  # seconds, 24 h
    assert "error" not in done
    assert done["urls"]["get"] == wave.url(f"/v1/tasks/{task['task_id']}")
    assert done["urls"]["cancel"] == wave.url(f"/v1/tasks/{task['task_id']}/cancel")
    assert wave.session.get(done["urls"]["get"], timeout=10).json()["task_id"] == task["task_id"]
    download = wave.session.get(video["url"][0], timeout=30)
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert download.content[4:8] == b"ftyp"


def test_progress_rises_while_processing(start_wave):
    # About 10 s of processing: enough looks to see progress move even when each GET
    # takes a second on a loaded machine (the progress follows the clock, not the looks).
    wave = start_wave(time_scale=1.0)
    task_id = wave.submit(SEED_BODY).json()["task_id"]
    seen = []
    deadline = time.monotonic() + 120
    while True:
        task = wave.get(task_id).json()
        seen.append((task["status"], task["progress"]))
        if task["status"] == "completed":
            break
        assert time.monotonic() < deadline, seen
        time.sleep(0.2)
    statuses = [s for s, _ in seen]
    assert statuses[0] == "queued"
    assert "processing" in statuses
    assert statuses.index("processing") > 0
    processing = [p for s, p in seen if s == "processing"]
    assert processing == sorted(processing), "progress never goes back"
    assert len(set(processing)) >= 5, processing
    assert all(0 < p < 100 for p in processing)
    assert seen[-1] == ("completed", 100)
    assert "completed_at" not in wave.submit(SEED_BODY).json()  # only in terminal states


BAD_BODIES = [
    ({**SEED_BODY, "model": "sora-2"}, "model"),
    ({k: v for k, v in SEED_BODY.items() if k != "model"}, "model"),
    ({k: v for k, v in SEED_BODY.items() if k != "prompt"}, "prompt"),
    ({**SEED_BODY, "prompt": ""}, "prompt"),
    ({**SEED_BODY, "prompt": ["a", "b"]}, "prompt"),
    ({**SEED_BODY, "prompt": "x" * 5000}, "prompt"),
    ({**SEED_BODY, "action": "upscale"}, "action"),
    ({**SEED_BODY, "action": "image2video"}, "image_urls"),
    ({**SEED_BODY, "aspect_ratio": "4:3"}, "aspect_ratio"),
    ({**SEED_BODY, "aspect_ratio": 1.77}, "aspect_ratio"),
    ({**SEED_BODY, "resolution": "1080p"}, "resolution"),
    ({**SEED_BODY, "duration": 5}, "duration"),
    ({**SEED_BODY, "duration": 31}, "duration"),
    ({**SEED_BODY, "duration": 6.5}, "duration"),
    ({**SEED_BODY, "duration": "6"}, "duration"),
    ({**SEED_BODY, "duration": None}, "duration"),
    ({**SEED_BODY, "image_urls": []}, "image_urls"),
    ({**SEED_BODY, "image_urls": "https://x.example/a.png"}, "image_urls"),
    ({**SEED_BODY, "image_urls": [f"https://x.example/{i}.png" for i in range(8)]}, "image_urls"),
    ({**SEED_BODY, "image_urls": ["data:image/png;base64,iVBORw0KGgo="]}, "image_urls"),
    ({**SEED_BODY, "image_urls": ["file:///etc/hosts"]}, "image_urls"),
    ({**SEED_BODY, "image_urls": [123]}, "image_urls"),
    ({**SEED_BODY, "callback_url": "not a url"}, "callback_url"),
    ({**SEED_BODY, "callback_url": "file:///tmp/x"}, "callback_url"),
    ({**SEED_BODY, "callback_events": ["finished"]}, "callback_events"),
    ({**SEED_BODY, "callback_events": "completed"}, "callback_events"),
    ({**SEED_BODY, "seed": 42}, "seed"),
    ([SEED_BODY], "body"),
]


def test_every_bad_field_is_a_400_naming_it(wave):
    for body, param in BAD_BODIES:
        reply = wave.submit(body)
        assert reply.status_code == 400, (body, reply.text)
        error = reply.json()["error"]
        # A model the service does not offer has its own code (wave-api.md, Models).
        wanted = "model_not_found" if body_model(body) == "sora-2" else "invalid_request"
        assert error["code"] == wanted
        assert error["param"] == param, (body, error)
        assert len(error["message"]) > 20 and "Traceback" not in error["message"]
    assert wave.balance()["total_used_usd"] == 0  # nothing was charged


def body_model(body):
    return body.get("model") if isinstance(body, dict) else None


def test_a_body_that_is_not_json_is_refused(wave):
    reply = wave.session.post(wave.url("/v1/tasks"), data=b"{model:", timeout=10)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_request"
    assert "JSON" in reply.json()["error"]["message"]


# Values of every JSON shape where the contract wants text, numbers or lists of text.
ODD_SHAPES = [
    {"model": ["grok-imagine-1.0-video"]},
    {"model": {"id": "grok-imagine-1.0-video"}},
    {**SEED_BODY, "prompt": ["a", "b"]},
    {**SEED_BODY, "prompt": {"text": "a"}},
    {**SEED_BODY, "duration": [6]},
    {**SEED_BODY, "duration": {"seconds": 6}},
    b'{"model": "grok-imagine-1.0-video", "prompt": "A kite", "duration": 1e400}',
    b'{"model": "grok-imagine-1.0-video", "prompt": "A kite", "duration": NaN}',
    b'{"model": "grok-imagine-1.0-video", "prompt": "A kite", "duration": 1' + b"0" * 5000 + b"}",
    {**SEED_BODY, "resolution": []},
    {**SEED_BODY, "aspect_ratio": {}},
    {**SEED_BODY, "action": ["image2video"]},
    {**SEED_BODY, "callback_url": ["http://a.example/"]},
    {**SEED_BODY, "callback_events": [["completed"]]},
    {**SEED_BODY, "image_urls": [{"url": "https://a.example/a.png"}]},
    {**SEED_BODY, "image_urls": "https://a.example/a.png"},
    ["model"],
    "grok-imagine-1.0-video",
    None,
]


@pytest.mark.parametrize("body", ODD_SHAPES, ids=lambda body: repr(body)[:40])
def test_values_of_any_json_shape_are_a_400_never_a_500(wave, body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = wave.session.post(wave.url("/v1/tasks"), data=data, timeout=30)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "invalid_request"


def test_json_nested_too_deeply_is_a_400_never_a_500(wave):
    for nested in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        reply = wave.session.post(wave.url("/v1/tasks"), data=nested.encode(), timeout=30)
        assert reply.status_code == 400, reply.text
        assert "not valid JSON" in reply.json()["error"]["message"]


def test_a_prompt_of_invisible_characters_is_no_prompt_and_nothing_is_charged(wave):
    for invisible in ("\u200b\u200b\u200b", "\u2060\ufeff\u200d", " \u3164 \u200c "):
        reply = wave.submit({**SEED_BODY, "prompt": invisible})
        assert reply.status_code == 400, (invisible, reply.text)
        assert reply.json()["error"]["param"] == "prompt"
        assert "Prompt is required" in reply.json()["error"]["message"]
    assert wave.balance()["total_used_usd"] == 0


def test_a_prompt_with_characters_that_cannot_be_stored_is_made_from_the_rest(wave):
    # A lone surrogate can't be encoded at all, a NUL can't be stored by PostgreSQL: both
    # are dropped, as the studio drops them (lib/domain/text_fields.py).
    body = b'{"model": "grok-imagine-1.0-video", "prompt": "A kite\\ud800 over\\u0000 hills"}'
    reply = wave.session.post(wave.url("/v1/tasks"), data=body, timeout=30)
    assert reply.status_code == 200, reply.text
    task_id = reply.json()["task_id"]
    assert wave.running.wave.engine.get(wave_account(wave), task_id).request["prompt"] == (
        "A kite over hills"
    )
    assert wave.finish(task_id)["status"] == "completed"


def wave_account(wave) -> str:
    import hashlib

    token = wave.session.headers["Authorization"].split(" ", 1)[1]
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def send_raw_body(wave, size: int, chunked: bool) -> tuple[int, bytes]:
    """POST a body of `size` bytes over a plain socket; -> (bytes the server's socket
    took, the start of its answer). The server reading everything shows as size."""
    from urllib.parse import urlsplit

    parts = urlsplit(wave.url("/v1/tasks"))
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    sock.sendall(
        f"POST /v1/tasks HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer test-key\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n".encode()
    )
    block = b" " * 65536
    sent = 0
    try:
        while sent < size:
            sock.sendall(b"10000\r\n" + block + b"\r\n" if chunked else block)
            sent += len(block)
        answer = sock.recv(200)
    except OSError:  # the server answered and closed while we were still sending
        answer = b""
    finally:
        sock.close()
    return sent, answer


@pytest.mark.parametrize("chunked", [False, True], ids=["with a length", "chunked"])
def test_a_huge_body_is_refused_while_it_arrives(wave, chunked):
    size = 128 * 1024 * 1024
    sent, answer = send_raw_body(wave, size, chunked)
    assert sent < 24 * 1024 * 1024, f"the server took {sent:,} bytes of a {size:,}-byte body"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    assert wave.submit(SEED_BODY).status_code == 200  # and it still serves


def wait_for(condition, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


def test_a_client_that_hangs_up_mid_body_is_not_an_error(wave):
    with errors_logged() as logged:
        hang_up_mid_body(wave)
    assert logged == []


def hang_up_mid_body(wave) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(wave.url("/v1/tasks"))
    for count in range(1, 4):
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(
                f"POST /v1/tasks HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                "Authorization: Bearer test-key\r\nContent-Length: 5000\r\n\r\n"
                '{"model": "grok'.encode()
            )
            wait_for(lambda n=count: wave.counters().get("requests.submit", 0) >= n)
        # It hung up mid-body: the server says so with a 400 nobody reads, and logs nothing.
        wait_for(lambda n=count: wave.counters().get("status.submit.400", 0) >= n)
    assert wave.submit(SEED_BODY).status_code == 200  # served after the hang-ups


def test_images_with_an_aspect_ratio_are_accepted_and_the_action_echoed(wave, image_host):
    from tests.images import jpeg

    url = image_host("p.jpg", jpeg(300, 450))
    body = {**SEED_BODY, "action": "generate", "image_urls": [url], "aspect_ratio": "16:9"}
    reply = wave.submit(body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["action"] == "generate"  # echoed as sent (DECIDED)


def test_the_api_key_is_required_and_accounts_are_separate(start_wave):
    wave = start_wave(api_keys=("test-key-alpha", "test-key-beta"))
    anonymous = requests.post(wave.url("/v1/tasks"), json=SEED_BODY, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    wrong = requests.post(
        wave.url("/v1/tasks"), json=SEED_BODY, headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert wrong.status_code == 401
    assert "nope" not in wrong.text

    task_id = wave.submit(SEED_BODY).json()["task_id"]
    other = requests.Session()
    other.headers["Authorization"] = "Bearer test-key-beta"
    assert other.get(wave.url(f"/v1/tasks/{task_id}"), timeout=10).status_code == 404
    assert other.post(wave.url(f"/v1/tasks/{task_id}/cancel"), timeout=10).status_code == 404
    assert wave.get("task-wave0000000000deadbeef").json()["error"]["code"] == "task_not_found"


def test_the_same_idempotency_key_gives_the_same_task_and_charges_once(wave):
    first = wave.submit(SEED_BODY, **{"Idempotency-Key": "order-1"})
    again = wave.submit(SEED_BODY, **{"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 200
    assert first.json()["task_id"] == again.json()["task_id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = wave.submit(SEED_BODY, **{"Idempotency-Key": "order-2"})
    assert other.json()["task_id"] != first.json()["task_id"]
    used = Decimal(str(wave.balance()["total_used_usd"]))
    assert used == Decimal(2 * 22313) / 500_000

    changed = wave.submit({**SEED_BODY, "duration": 10}, **{"Idempotency-Key": "order-1"})
    assert changed.status_code == 400
    assert changed.json()["error"]["param"] == "Idempotency-Key"


def test_concurrent_submits_with_one_key_make_one_task(wave):
    ids, errors = [], []

    def submit():
        try:
            ids.append(
                wave.submit(SEED_BODY, **{"Idempotency-Key": "double-click"}).json()["task_id"]
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(ids) == 12 and len(set(ids)) == 1
    assert wave.balance()["total_used_usd"] == pytest.approx(22313 / 500_000)


def test_prefer_wait_returns_the_finished_task(wave):
    started = time.monotonic()
    reply = wave.submit(SEED_BODY, Prefer="wait=60")
    task = reply.json()
    assert task["status"] == "completed", task
    assert task["result"]["videos"][0]["url"]
    assert reply.headers["Preference-Applied"] == "wait=60"
    assert time.monotonic() - started < 60


def test_prefer_wait_gives_the_current_state_when_time_runs_out(start_wave):
    wave = start_wave(time_scale=1.0)
    task_id = wave.submit(SEED_BODY).json()["task_id"]
    started = time.monotonic()
    task = wave.get(task_id, wait=1).json()
    waited = time.monotonic() - started
    assert task["status"] in ("queued", "processing")
    assert 0.9 <= waited < 3


def test_a_service_without_prefer_wait_answers_at_once(start_wave):
    wave = start_wave(time_scale=1.0, faults=Faults(ignore_prefer_wait=True))
    started = time.monotonic()
    submitted = wave.submit(SEED_BODY, Prefer="wait=5")
    task = wave.get(submitted.json()["task_id"], wait=5)
    assert time.monotonic() - started < 2  # neither request was held
    assert task.json()["status"] in ("queued", "processing")
    assert "Preference-Applied" not in submitted.headers
    assert "Preference-Applied" not in task.headers


def test_cancel_refunds_a_queued_task_only(start_wave):
    wave = start_wave(time_scale=1.0)  # 2 s in the queue
    task_id = wave.submit(SEED_BODY).json()["task_id"]
    reply = wave.cancel(task_id)
    assert reply.status_code == 200
    assert reply.json() == {
        "task_id": task_id,
        "status": "cancelled",
        "refunded": True,
        "refunded_quota": 22313,
    }
    task = wave.get(task_id).json()
    assert task["status"] == "cancelled" and task["cost"] == 0 and "completed_at" in task
    assert wave.balance()["total_used_usd"] == 0

    again = wave.cancel(task_id)
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "task_not_cancellable"
    assert wave.cancel("task-wave0000000000deadbeef").status_code == 404

    running = wave.submit(SEED_BODY).json()["task_id"]
    while wave.get(running).json()["status"] == "queued":
        time.sleep(0.1)
    refused = wave.cancel(running)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "task_not_cancellable"
    assert "processing" in refused.json()["error"]["message"]


def test_the_wallet_pre_consumes_settles_refunds_and_refuses(start_wave):
    wave = start_wave(starting_balance_usd=Decimal("0.1"), time_scale=0.3)  # 50,000 quota
    start = wave.balance()
    assert start["object"] == "credit_summary" and start["currency"] == "USD"
    assert start["total_granted_usd"] == 0.1 and start["total_available_usd"] == 0.1
    assert abs(start["as_of"] - time.time()) < 5

    first = wave.submit(SEED_BODY).json()["task_id"]
    second = wave.submit(SEED_BODY).json()["task_id"]
    assert wave.balance()["total_available_usd"] == pytest.approx((50_000 - 2 * 22313) / 500_000)
    refused = wave.submit(SEED_BODY)
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "insufficient_balance"
    assert "$0.0446" in refused.json()["error"]["message"]

    wave.cancel(second)  # refunded: room for one more
    assert wave.balance()["total_used_usd"] == pytest.approx(22313 / 500_000)
    third = wave.submit(SEED_BODY)
    assert third.status_code == 200
    for task_id in (first, third.json()["task_id"]):
        assert wave.finish(task_id)["cost"] == 22313
    settled = wave.balance()
    assert settled["total_used_usd"] == pytest.approx(2 * 22313 / 500_000)
    assert settled["total_available_usd"] == pytest.approx((50_000 - 2 * 22313) / 500_000)


@pytest.mark.parametrize(
    "code", ["upstream_unavailable", "upstream_bad_request", "upstream_rate_limited", "task_failed"]
)
def test_injected_task_failures_carry_their_code_and_cost_nothing(start_wave, code):
    wave = start_wave(faults=Faults(task_failure_rate=1.0, task_failure_codes=(code,)))
    task = wave.finish(wave.submit(SEED_BODY).json()["task_id"])
    assert task["status"] == "failed"
    assert task["error"]["code"] == code and task["error"]["message"]
    assert task["cost"] == 0 and "result" not in task
    assert wave.balance()["total_used_usd"] == 0


def test_reply_variants_of_the_contract(start_wave):
    variants = frozenset({"progress_string", "seconds_timestamps", "url_string", "extra_fields"})
    wave = start_wave(time_scale=0.25, faults=Faults(reply_variants=variants))
    queued = wave.submit(SEED_BODY).json()
    assert queued["progress"] == ""
    assert len(str(queued["created_at"])) == 10  # seconds
    progress = set()
    while (task := wave.get(queued["task_id"]).json())["status"] != "completed":
        progress.add(task["progress"])
        time.sleep(0.05)
    assert any(re.fullmatch(r"\d{1,2}%", p) for p in progress), progress
    assert task["progress"] == "100%"
    assert len(str(task["completed_at"])) == 10
    assert isinstance(task["result"]["videos"][0]["url"], str)
    assert "trace_id" in task and "usage" in task


def test_injected_500s_and_429s(start_wave):
    wave = start_wave(faults=Faults(error_500_rate=1.0))
    reply = wave.submit(SEED_BODY)
    assert reply.status_code == 500 and reply.json()["error"]["code"] == "internal_error"
    assert wave.counters()["faults.500.submit"] == 1

    wave = start_wave(faults=Faults(rate_limit_rate=1.0, retry_after_seconds=7))
    reply = wave.submit(SEED_BODY)
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "7"
    assert reply.json()["error"]["code"] in ("rate_limited", "quota_window_exceeded")


def test_injected_share_of_500s_is_about_right(start_wave):
    wave = start_wave(faults=Faults(error_500_rate=0.3, seed=7))
    statuses = [wave.get("task-wave0000000000deadbeef").status_code for _ in range(200)]
    failures = statuses.count(500)
    assert 40 <= failures <= 80, failures  # 30% of 200, seeded
    assert set(statuses) == {404, 500}


def test_a_slow_reply_and_a_dropped_connection(start_wave):
    wave = start_wave(faults=Faults(slow_rate=1.0, slow_seconds=1.0))
    started = time.monotonic()
    wave.get("task-wave0000000000deadbeef")
    assert time.monotonic() - started >= 1.0
    with pytest.raises(requests.Timeout):
        wave.session.get(wave.url("/v1/tasks/x"), timeout=0.3)

    wave = start_wave(faults=Faults(drop_rate=1.0))
    with pytest.raises(requests.RequestException):
        wave.submit(SEED_BODY, **{"Idempotency-Key": "lost-reply"})
    # The request was carried out: once the faults stop, the same key finds that task.
    wave.session.put(wave.url("/_embedded/faults"), json={"drop_rate": 0.0}, timeout=10)
    replay = wave.submit(SEED_BODY, **{"Idempotency-Key": "lost-reply"})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert wave.counters()["faults.drop.submit"] == 1
    assert wave.balance()["total_used_usd"] == pytest.approx(22313 / 500_000)


def test_request_counters_per_endpoint(wave):
    task_id = wave.submit(SEED_BODY).json()["task_id"]
    for _ in range(3):
        wave.get(task_id)
    wave.balance()
    wave.cancel("task-wave0000000000deadbeef")
    counts = wave.counters()
    assert counts["requests.submit"] == 1
    assert counts["requests.get"] == 3
    assert counts["requests.balance"] == 1
    assert counts["requests.cancel"] == 1
    assert counts["status.cancel.404"] == 1
    over_http = wave.session.get(wave.url("/_embedded/counters"), timeout=10).json()
    assert over_http["requests.get"] == 3


def test_unknown_routes_and_methods_answer_in_the_error_format(wave):
    missing = wave.session.get(wave.url("/v1/nothing"), timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = wave.session.delete(wave.url("/v1/tasks"), timeout=10)
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_admin_endpoints_are_off_unless_enabled(start_wave):
    wave = start_wave(admin=False)
    assert wave.session.get(wave.url("/_embedded/counters"), timeout=10).status_code == 404
    reply = wave.session.put(wave.url("/_embedded/faults"), json={"error_500_rate": 1}, timeout=10)
    assert reply.status_code == 404
