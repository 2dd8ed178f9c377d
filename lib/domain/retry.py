"""How long to wait before trying again: one policy object for the studio's retries.

    delay(attempt) = min(cap, base * 2 ** min(attempt, max_doublings))

`attempt` counts from 0 (the wait after the first failure). With `jitter`, the delay is
drawn uniformly between 0 and that ("full jitter"), so that many clients that failed
together do not all come back at the same moment. A `Retry-After` the service sent wins
over the formula, up to `retry_after_cap`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base: float  # seconds: the first delay
    cap: float  # seconds: never longer than this
    max_doublings: int | None = None  # stop doubling after this many (None: only the cap)
    jitter: bool = False
    retry_after_cap: float | None = None  # a longer Retry-After is not waited out here

    def delay(self, attempt: int, random_unit: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (0 = the first)."""
        doublings = attempt if self.max_doublings is None else min(attempt, self.max_doublings)
        seconds = min(self.cap, self.base * 2**doublings)
        return seconds * random_unit() if self.jitter else seconds

    def wait(
        self,
        attempt: int,
        retry_after: float | None,
        random_unit: Callable[[], float] = random.random,
    ) -> float:
        """The service's Retry-After (capped) when it gave one, else `delay(attempt)`."""
        if retry_after is not None:
            cap = self.retry_after_cap
            return retry_after if cap is None else min(retry_after, cap)
        return self.delay(attempt, random_unit)


# The Wave client's retries of one request (GET, or a submit with its idempotency key):
# 0.5 s, 1 s, 2 s... up to 8 s, jittered; Retry-After waited out up to a minute.
CLIENT = Backoff(base=0.5, cap=8.0, jitter=True, retry_after_cap=60.0)
# The tracker re-sending a submit that got no answer (same key, so never charged twice):
# 10 s after the first re-send, doubling, at most 5 minutes.
RESUBMIT = Backoff(base=5, cap=300, max_doublings=6)
# The tracker copying a finished video that failed to download: 5 s, doubling, at most
# 10 minutes (and never after the service's link has expired).
ARCHIVE = Backoff(base=5, cap=600, max_doublings=7)
# A submit with no answer is first tried again this soon (then RESUBMIT takes over).
FIRST_RESUBMIT_SECONDS = 5.0
