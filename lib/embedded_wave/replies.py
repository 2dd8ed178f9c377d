"""The embedded Wave API's replies that are not a task: the contract's error replies, and
the balance of an account."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lib.domain.money import wire_usd

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error reply of the contract: HTTP status and {"error": {message, code, param?}}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.param:
            error["param"] = self.param
        return {"error": error}


def task_not_found(task_id: str) -> ApiError:
    return ApiError(404, "task_not_found", f"No task with the id {task_id!r} was found.")


@dataclass(frozen=True)
class Balance:
    granted: int
    used: int  # settled plus pre-consumed by unfinished tasks

    @property
    def available(self) -> int:
        return self.granted - self.used


def balance_reply(balance: Balance, now: float) -> dict[str, Any]:
    return {
        "object": "credit_summary",
        "currency": "USD",
        "total_granted_usd": wire_usd(balance.granted),
        "total_used_usd": wire_usd(balance.used),
        "total_available_usd": wire_usd(balance.available),
        "as_of": int(now),
    }
