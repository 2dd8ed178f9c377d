"""Client of the Wave task API: typed errors, tolerant reply parsing, safe retries."""

from lib.wave.client import WaveClient
from lib.wave.errors import (
    AuthError,
    InsufficientBalance,
    InvalidRequest,
    RateLimited,
    ServerError,
    ServiceUnreachable,
    TaskNotCancellable,
    TaskNotFound,
    UnexpectedReply,
    WaveError,
)
from lib.wave.replies import Balance, CancelResult, TaskState, parse_task

__all__ = [
    "AuthError",
    "Balance",
    "CancelResult",
    "InsufficientBalance",
    "InvalidRequest",
    "RateLimited",
    "ServerError",
    "ServiceUnreachable",
    "TaskNotCancellable",
    "TaskNotFound",
    "TaskState",
    "UnexpectedReply",
    "WaveClient",
    "WaveError",
    "parse_task",
]
