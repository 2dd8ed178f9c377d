"""Client of the Wave task API: typed errors, tolerant reply parsing, safe retries."""

from lib.wave.client import WaveClient
from lib.wave.errors import (
    AuthError,
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
)
from lib.wave.replies import Balance, CancelResult, TaskState, parse_models, parse_task

__all__ = [
    "AuthError",
    "Balance",
    "CancelResult",
    "InsufficientBalance",
    "InvalidRequest",
    "ModelNotFound",
    "RateLimited",
    "ServerError",
    "ServiceUnreachable",
    "TaskNotCancellable",
    "TaskNotFound",
    "TaskState",
    "UnexpectedReply",
    "WaveClient",
    "WaveError",
    "parse_models",
    "parse_task",
]
