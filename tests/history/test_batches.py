"""A batch on History (issue 18): "Cancel the batch" cancels what is still queued, only
for its maker (checked on the server, refused and logged for anyone else); the batch
says how many takes the content rules blocked and what they cost."""

from __future__ import annotations

import time

from lib.create import batch
from lib.embedded_wave.settings import Faults
from lib.history.batches import cancel_batch, summary
from tests.engine.test_batches import batch_state, wait_ended
from tests.studio_harness import running_studio


def wait_queued(store, batch_id: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if all(t.status == "queued" for t in store.batch_takes(batch_id)):
            return
        time.sleep(0.1)
    raise AssertionError([t.status for t in store.batch_takes(batch_id)])


def test_cancel_the_batch_is_its_makers_and_cancels_every_take_still_in_line(tmp_path):
    with running_studio(tmp_path / "s", wave_changes={"queue_seconds": 600.0}) as rs:
        store = rs.studio.store
        made = batch.send(rs.studio, batch_state("A kite {a|b}", ["16:9", "9:16"]), "Ana")
        wait_queued(store, made.batch_id)
        refused = cancel_batch(rs.studio, made.batch_id, "Bo")
        assert not refused.ok and "only cancel or retry your own videos" in refused
        assert {t.status for t in store.batch_takes(made.batch_id)} == {"queued"}
        said = cancel_batch(rs.studio, made.batch_id, "Ana")
        assert said.ok and said.startswith("Cancelled 4 takes still waiting"), said
        takes = store.batch_takes(made.batch_id)
        assert {t.status for t in takes} == {"cancelled"}
        assert sum(t.cost_quota or 0 for t in takes) == 0
        assert rs.counters()["requests.cancel"] == 4


def test_the_batch_says_how_many_takes_were_blocked_and_what_they_cost(tmp_path):
    faults = Faults(blocked_words=("dusk",))
    with running_studio(tmp_path / "s", wave_changes={"faults": faults}) as rs:
        state = batch_state("A kite over a beach at {dawn|dusk}", ["16:9"])
        made = batch.send(rs.studio, state, "Ana")
        wait_ended(rs.studio.store, made.batch_id)
        seen = summary(rs.studio.store, made.batch_id, None)
        assert seen.title == "2 takes of “A kite over a beach at {dawn|dusk}”"
        assert seen.progress_words() == "1 ready · 1 blocked" or seen.progress_words() == (
            "1 blocked · 1 ready"
        )
        assert seen.blocked_words() == (
            "1 blocked by the service's content rules (charged $0.0000 for them)"
        )
        [ready] = [t for t in seen.takes if t.status == "completed"]
        assert seen.charged_quota == ready.cost_quota > 0
