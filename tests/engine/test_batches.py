"""A batch sent for real (issue 18): the form's state made into takes (lib/create/batch.py),
stored at once, sent by the tracker with one key per take against the embedded API over
HTTP, with 30 % of its requests answered 429 or 500: every take still ends, the provider
makes one task per take (no second charge), and pressing again adds nothing."""

from __future__ import annotations

import time

from lib.create import batch, keys
from lib.embedded_wave.settings import Faults
from lib.engine.batches import take_key
from tests.reliability.provider_records import provider_tasks, second_tasks_for_one_key
from tests.studio_harness import RunningStudio, running_studio


def batch_state(prompt: str, ratios: list[str]) -> dict:
    return {
        **keys.defaults(),
        keys.MODEL: "grok-imagine-video",
        keys.PROMPT: prompt,
        keys.DURATION: 1,
        keys.CAMPAIGN: "Spring",
        keys.VARY: True,
        keys.VARY_RATIOS: ratios,
    }


def wait_ended(store, batch_id: str, limit: float = 120) -> list:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        takes = store.batch_takes(batch_id)
        if all(not take.tracking for take in takes):
            return takes
        time.sleep(0.2)
    raise AssertionError([(t.status, t.error_message) for t in store.batch_takes(batch_id)])


def test_a_batch_with_429s_and_500s_ends_every_take_once_and_a_second_press_adds_nothing(
    tmp_path,
):
    faults = Faults(error_500_rate=0.15, rate_limit_rate=0.15, retry_after_seconds=1, seed=7)
    with running_studio(tmp_path / "studio", wave_changes={"faults": faults}) as studio:
        a_batch_ends_once(studio)


def a_batch_ends_once(studio: RunningStudio) -> None:
    state = batch_state("A kite over a beach, {morning|dusk}", ["16:9", "9:16"])
    result = batch.send(studio.studio, state, "Ana")
    assert result.problems == {} and result.notice is None and result.takes == 4
    stored = studio.studio.store.batch_takes(result.batch_id)  # all at once, before sending
    assert [t.idempotency_key for t in stored] == [
        take_key(stored[0].idempotency_key[:-5], i) for i in range(4)
    ]
    assert sorted((t.prompt, t.aspect_ratio) for t in stored) == sorted(
        (f"A kite over a beach, {when}", ratio)
        for when in ("morning", "dusk")
        for ratio in ("16:9", "9:16")
    )
    again = batch.send(studio.studio, state, "Ana")  # a second press, a moment later
    assert again.duplicate and again.batch_id == result.batch_id
    takes = wait_ended(studio.studio.store, result.batch_id)
    assert {t.status for t in takes} == {"completed"}
    made = provider_tasks(studio.wave)
    assert len(made) == 4 and second_tasks_for_one_key(made) == 0
    counts = studio.counters()
    refused = counts.get("faults.429.submit", 0) + counts.get("faults.500.submit", 0)
    assert counts["requests.submit"] == 4 + refused  # sent again only when refused
    assert sum(n for name, n in counts.items() if name.startswith("faults.")) > 0
