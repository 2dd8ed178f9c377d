"""Errors of the Wave task API client: one class per thing a caller handles differently.

Every error carries the HTTP status, the service's error code, the message written for
people (also `str(error)`), the offending field (`param`) and `retry_after` where they
apply. None of them ever holds a request, a header or the API key.
"""

from __future__ import annotations


class WaveError(Exception):
    """Something went wrong talking to the video service."""

    default_message = "The video service returned an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ):
        self.message = message or self.default_message
        super().__init__(self.message)
        self.status = status
        self.code = code
        self.param = param
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        extras = "".join(
            f", {name}={value!r}"
            for name, value in (
                ("status", self.status),
                ("code", self.code),
                ("param", self.param),
                ("retry_after", self.retry_after),
            )
            if value is not None
        )
        return f"{type(self).__name__}({self.message!r}{extras})"


class AuthError(WaveError):
    default_message = "The video service did not accept the API key."


class InsufficientBalance(WaveError):
    default_message = "There is not enough credit on the account for this video."


class InvalidRequest(WaveError):
    default_message = "The video service refused the request as invalid."


class ModelNotFound(InvalidRequest):
    """The service does not (or no longer) offer the model asked for; nothing charged."""

    default_message = "The video service does not offer this model."


class TaskNotCancellable(WaveError):
    default_message = "Only a task that is still queued can be cancelled."


class TaskNotFound(WaveError):
    default_message = "The video service has no task with this id."


class RateLimited(WaveError):
    default_message = "The video service is busy. Try again in a moment."


class ServerError(WaveError):
    default_message = "The video service had a problem. Try again later."


class ServiceUnreachable(WaveError):
    default_message = "The video service could not be reached."


class UnexpectedReply(WaveError):
    default_message = "The video service sent a reply the studio could not read."


def error_for_status(
    status: int,
    code: str | None = None,
    message: str | None = None,
    param: str | None = None,
    retry_after: float | None = None,
) -> WaveError:
    """The typed error for an error reply (status plus what its body said)."""
    kind: type[WaveError]
    if status == 400:
        kind = {"task_not_cancellable": TaskNotCancellable, "model_not_found": ModelNotFound}.get(
            code or "", InvalidRequest
        )
    elif status in (401, 403):
        kind = AuthError
    elif status == 402:
        kind = InsufficientBalance
    elif status == 404:
        kind = TaskNotFound
    elif status == 429:
        kind = RateLimited
    elif status >= 500:
        kind = ServerError
    elif 400 <= status < 500:
        kind = WaveError
    else:  # 1xx/3xx that reached us: not a reply the contract has
        kind = UnexpectedReply
    return kind(message, status=status, code=code, param=param, retry_after=retry_after)
