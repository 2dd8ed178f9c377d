"""A video made from another (a restyle, issue 18) is recorded with its family link in the
same transaction, takes its source's length, shape and resolution, and leaves nothing
behind when the service refuses it: on SQLite and on PostgreSQL."""

from __future__ import annotations

from lib.store.task_rows import MadeFrom
from tests.store.test_store import NOW, new_task, store  # noqa: F401

EDIT = {
    "model": "grok-imagine-video",
    "action": "edit",
    "prompt": "as watercolor",
    "video_urls": ["https://studio.example/sources/1/2/x.mp4"],
}


def test_a_restyle_is_stored_with_its_family_and_goes_whole(store):  # noqa: F811
    original, _ = store.create_task(new_task("key-1"), NOW)
    made_from = MadeFrom(original.id, "restyle", "restyle", "480p", 6, "9:16")
    restyle, created = store.create_task(
        new_task("key-2", request=EDIT, estimate_quota=249_000, made_from=made_from), NOW
    )
    assert created
    shown = (restyle.mode, restyle.resolution, restyle.duration, restyle.aspect_ratio)
    assert shown == ("restyle", "480p", 6, "9:16")
    parent, _ = store.family(restyle.id)
    assert (parent.parent_id, parent.kind) == (original.id, "restyle")
    store.discard_unsent(restyle.id)  # the service refused it outright
    assert store.get_task(restyle.id) is None
    assert store.family(original.id) == (None, [])
