"""The studio's HTTP client for the Wave task API (`shared/wave-api.md`).

Two rules shape it. Money is never spent twice: a submit is only ever re-sent with the
caller's own Idempotency-Key, which the service deduplicates. And the API key never
leaves the request: errors are built from status codes and reply bodies only, raised
outside `except` blocks so they carry no requests exception (which holds the headers)
as cause or context, and log lines name the method, path, status and attempt only.
"""

from __future__ import annotations

import http.client
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import quote

import requests
import urllib3
from requests import exceptions as rex

from lib.domain import retry
from lib.domain.statuses import TaskStatus
from lib.wave.errors import (
    ServiceUnreachable,
    TaskNotCancellable,
    UnexpectedReply,
    WaveError,
    error_for_status,
)
from lib.wave.replies import (
    Balance,
    CancelResult,
    TaskState,
    parse_balance,
    parse_cancel,
    parse_error_body,
    parse_models,
    parse_retry_after,
    parse_task,
)

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 60  # the contract's ceiling for `Prefer: wait=N`
MAX_IDEMPOTENCY_KEY = 255

# Network faults where the same request may well work a moment later. A dropped
# connection mid-reply surfaces as ChunkedEncodingError (or, rarely, unwrapped).
_TRANSIENT = (
    rex.ConnectionError,
    rex.Timeout,
    rex.ChunkedEncodingError,
    rex.ContentDecodingError,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
)


class _Outcome(NamedTuple):
    response: requests.Response
    # An earlier attempt failed in a way that may have been carried out all the same.
    uncertain: bool


class WaveClient:
    """Submit, poll and cancel video tasks; read the balance. Also a context manager."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 30.0,
        get_retries: int = 4,
        submit_retries: int = 2,
        backoff_base: float = retry.CLIENT.base,
        backoff_cap: float = retry.CLIENT.cap,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ):
        key = api_key.strip()  # keys pasted with a trailing newline are common
        if any(ch.isspace() or not ch.isprintable() for ch in key):
            raise ValueError("The API key must not contain spaces, line breaks or control codes.")
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.get_retries = get_retries
        self.submit_retries = submit_retries
        # A longer Retry-After than the policy's cap is the caller's business, not a sleep.
        self.backoff = replace(retry.CLIENT, base=backoff_base, cap=backoff_cap)
        self._sleep = sleep
        self._random: Callable[[], float] = random.random
        self._key = key
        # Sent per request rather than set on the session, so a caller's session is not changed.
        self._headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()

    def __repr__(self) -> str:
        return f"WaveClient(base_url={self.base_url!r})"

    def __enter__(self) -> WaveClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    # ----- the API ----------------------------------------------------------------------
    def submit(
        self, request: dict[str, Any], idempotency_key: str, *, wait: float | None = None
    ) -> TaskState:
        """Create a task. Retries re-send the same key, so the service charges at most once."""
        if (
            not isinstance(idempotency_key, str)
            or not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY
        ):
            raise ValueError(f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        outcome = self._exchange(
            "POST",
            "/tasks",
            retries=self.submit_retries,
            body=request,
            headers={"Idempotency-Key": idempotency_key},
            wait=wait,
        )
        return self._task(outcome.response)

    def get_task(self, task_id: str, *, wait: float | None = None) -> TaskState:
        """The task's current state; with `wait`, the service may hold on until it ends."""
        outcome = self._exchange("GET", _task_path(task_id), retries=self.get_retries, wait=wait)
        return self._task(outcome.response)

    def cancel(self, task_id: str) -> CancelResult:
        """Cancel a queued task (refunding its pre-consumed price)."""
        path = _task_path(task_id) + "/cancel"
        outcome = self._exchange("POST", path, retries=self.submit_retries)
        response = outcome.response
        if outcome.uncertain and not response.ok:
            error = self._error(response)
            if isinstance(error, TaskNotCancellable):
                # An earlier attempt may have cancelled it and lost the reply: ask the task.
                state = self.get_task(task_id)
                if state.status == TaskStatus.CANCELLED:
                    refunded = state.pre_consumed_cost or 0  # a GET seldom says; 0 then
                    return CancelResult(state.task_id, TaskStatus.CANCELLED, True, refunded)
            raise error
        return parse_cancel(self._payload(response), task_id)

    def balance(self) -> Balance | None:
        """The account's credit, or None when the service has no balance endpoint."""
        outcome = self._exchange("GET", "/dashboard/billing/balance", retries=self.get_retries)
        if outcome.response.status_code == 404:
            log.info("Wave service has no balance endpoint (404): balance not shown")
            return None
        return parse_balance(self._payload(outcome.response))

    def models(self) -> tuple[str, ...] | None:
        """The ids of the models the service offers, or None when it has no such list
        (404): then every model of the catalog counts as offered."""
        outcome = self._exchange("GET", "/models", retries=self.get_retries)
        if outcome.response.status_code == 404:
            log.info("Wave service has no model list (404): the catalog stands")
            return None
        return parse_models(self._payload(outcome.response))

    # ----- transport --------------------------------------------------------------------
    def _exchange(
        self,
        method: str,
        path: str,
        *,
        retries: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        wait: float | None = None,
    ) -> _Outcome:
        """Send with retries on network faults, 5xx and 429. Returns the last reply."""
        headers = {**self._headers, **(headers or {})}
        read_timeout = self.read_timeout
        if wait is not None and wait > 0:
            seconds = min(MAX_WAIT_SECONDS, math.ceil(wait))
            headers["Prefer"] = f"wait={seconds}"
            read_timeout += seconds  # the service may rightly hold the reply that long
        timeout = (self.connect_timeout, read_timeout)
        uncertain = False
        for attempt in range(retries + 1):
            result = self._attempt(method, self.base_url + path, headers, body, timeout)
            if isinstance(result, requests.Response):
                status = result.status_code
                log.debug("Wave %s %s -> %d (attempt %d)", method, path, status, attempt + 1)
                if status != 429 and status < 500:
                    return _Outcome(result, uncertain)
                uncertain = uncertain or status >= 500  # a 429 was certainly not carried out
                if attempt == retries:
                    return _Outcome(result, uncertain)
                delay = self._delay(attempt, result.headers.get("Retry-After"))
                what = f"HTTP {status}"
                result.close()
            else:
                uncertain = True
                what = result
                if attempt == retries:
                    log.warning("Wave %s %s: %s, giving up", method, path, what)
                    break
                delay = self._delay(attempt, None)
            log.warning(
                "Wave %s %s: %s (attempt %d of %d), retrying in %.2f s",
                method,
                path,
                what,
                attempt + 1,
                retries + 1,
                delay,
            )
            self._sleep(delay)
        raise ServiceUnreachable()

    def _attempt(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: dict[str, Any] | None,
        timeout: tuple[float, float],
    ) -> requests.Response | str:
        """One request: the reply, or the name of a passing network fault."""
        try:
            return self._session.request(method, url, headers=headers, json=body, timeout=timeout)
        except _TRANSIENT as exc:
            return type(exc).__name__
        except rex.RequestException as exc:  # a bad URL and the like: retrying cannot help
            failure = type(exc).__name__
        # Raised here, outside the except block, so that no requests exception rides along.
        log.error("Wave %s %s: the request could not be sent (%s)", method, url, failure)
        raise ServiceUnreachable(
            "The video service could not be reached: its address looks wrong. "
            "Check the service URL in the settings."
        )

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Retry-After when the service gave one, else the policy's delay (lib/domain/retry.py)."""
        return self.backoff.wait(attempt, parse_retry_after(retry_after), self._random)

    # ----- replies ----------------------------------------------------------------------
    def _task(self, response: requests.Response) -> TaskState:
        applied = response.headers.get("Preference-Applied", "")
        return parse_task(self._payload(response), wait_honoured="wait" in applied.lower())

    def _payload(self, response: requests.Response) -> Any:
        """The JSON of a successful reply; the typed error of any other."""
        if not 200 <= response.status_code < 300:
            raise self._error(response)
        try:
            return response.json()
        except ValueError:
            pass
        raise UnexpectedReply(
            f"The video service sent a reply that is not JSON (HTTP {response.status_code}).",
            status=response.status_code,
        )

    def _error(self, response: requests.Response) -> WaveError:
        message, code, param = parse_error_body(
            response.text, response.headers.get("Content-Type", "")
        )
        if message and self._key and self._key in message:  # a proxy echoing the request
            message = message.replace(self._key, "***")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return error_for_status(response.status_code, code, message, param, retry_after)


def _task_path(task_id: str) -> str:
    if not isinstance(task_id, str) or not task_id:
        raise ValueError("task_id must be a non-empty string")
    return "/tasks/" + quote(task_id, safe="")
