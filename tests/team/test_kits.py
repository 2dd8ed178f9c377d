"""Brand kits on the server (issue 18): only admins make, change or delete them (each
refusal logged, nothing kept); a take carries its kit (words around the prompt, banned
words refused before anything is sent); the video records the kit by id and by its name
then, on its card, its page and in the Costs CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

from lib.costs import export
from lib.create import keys, price, submit
from lib.create import kits as create_kits
from lib.create.draft import draft_from
from lib.domain.access import Actor, Role
from lib.domain.kits import Kit, KitFields
from lib.engine.pictures import store_reference_image
from lib.history import detail, words
from lib.store.team import AuditFilter, name_login
from lib.team import kits as team_kits
from tests import images

KIT = KitFields(
    name="Acme",
    before="Acme brand film:",
    after="(warm colours)",
    banned=("cheap", "free trial"),
    model="grok-imagine-1.0-video",
    resolution="480p",
    duration=6,
)


def person(store, name: str, role: Role) -> Actor:
    account = store.account_for(name_login(name), name, role, datetime.now(UTC))
    return Actor(account.id, account.name, role)


def test_only_admins_make_change_or_delete_kits_and_refusals_are_logged(studio):
    store = studio.studio.store
    ana = person(store, "Ana", Role.MEMBER)
    boss = person(store, "Boss", Role.ADMIN)
    refused = team_kits.save_kit(store, ana, None, KIT)
    assert refused.refusal == team_kits.ONLY_ADMINS_KITS and store.kits() == []
    made = team_kits.save_kit(store, boss, None, KIT).kit
    assert made is not None and [k.name for k in store.kits()] == ["Acme"]
    assert team_kits.save_kit(store, ana, made.id, replace(KIT, name="Mine")).refusal
    assert team_kits.delete_kit(store, ana, made.id) == team_kits.ONLY_ADMINS_KITS
    assert [k.name for k in store.kits()] == ["Acme"]
    logged = store.audit_events(AuditFilter(outcome="refused"))
    assert {e.action for e in logged} == {"kit.create", "kit.change", "kit.delete"}
    assert {e.actor_name for e in logged} == {"Ana"}
    # Bad input: nothing kept half-way, the field named.
    bad = team_kits.save_kit(store, boss, None, replace(KIT, name="B" * 200, banned=("a|b",)))
    assert set(bad.problems) == {"name", "banned"} and len(store.kits()) == 1
    taken = team_kits.save_kit(store, boss, None, replace(KIT, name="ACME"))
    assert "already a kit called" in taken.problems["name"]
    # The list Create draws at every run is kept, and follows every change at once.
    renamed = team_kits.save_kit(store, boss, made.id, replace(KIT, name="Acme 2")).kit
    assert renamed is not None and [k.name for k in store.kits()] == ["Acme 2"]
    assert team_kits.delete_kit(store, boss, made.id) is None and store.kits() == []


def test_a_take_carries_its_kit_and_the_video_keeps_the_kit_it_used(studio):
    store = studio.studio.store
    boss = person(store, "Boss", Role.ADMIN)
    kit = team_kits.save_kit(store, boss, None, KIT).kit
    state = {**keys.defaults(), keys.PROMPT: "A Cheap kite over the beach"}
    state.update({keys.KIT: kit.id, keys.KIT_HELD: kit})
    draft = draft_from(state)
    # The banned word is refused before anything is sent, naming it.
    assert "“cheap”" in draft.problems()["prompt"]
    result = submit.submit_draft(studio.studio, draft, boss, "kit-1")
    assert result.task_id is None and "“cheap”" in result.problems["prompt"]
    assert store.tasks() == [] and studio.counters().get("submit", 0) == 0
    draft = replace(draft, prompt="A red kite over the beach")
    assert draft.problems() == {}
    assert draft.request()["prompt"] == "Acme brand film: A red kite over the beach (warm colours)"
    result = submit.submit_draft(studio.studio, draft, boss, "kit-2")
    assert result.task_id, result
    # Renamed afterwards: the video keeps the name it was made with.
    team_kits.save_kit(store, boss, kit.id, replace(KIT, name="Acme 2027"))
    task = store.get_task(result.task_id)
    assert (task.kit_id, task.kit_name) == (kit.id, "Acme")
    assert task.prompt.startswith("Acme brand film:")
    assert "kit Acme" in words.byline(task)
    assert ("Brand kit", "Acme") in detail.facts(task)
    rows = list(
        csv.DictReader(io.StringIO(export.ledger_csv_for(store, None, None).decode("utf-8-sig")))
    )
    assert [row["kit"] for row in rows] == ["Acme"]
    # Changed since the form read it: not sent with the old words, the person is told.
    stale = submit.submit_draft(studio.studio, replace(draft, prompt="another"), boss, "kit-3")
    assert stale.task_id is None and "changed the brand kit" in (stale.notice or "")
    assert team_kits.delete_kit(store, boss, kit.id) is None
    assert store.get_task(result.task_id).kit_name == "Acme"


def test_picking_a_kit_fills_the_form_and_its_pictures_are_priced(studio):
    running = studio.studio
    store = running.store
    boss = person(store, "Boss", Role.ADMIN)
    asset, url = store_reference_image(running, images.jpeg(96, 64), "logo.jpg", boss)
    kit = team_kits.save_kit(
        store,
        boss,
        None,
        replace(
            KIT, model="grok-imagine-video", resolution="720p", duration=8, pictures=(asset.sha256,)
        ),
    ).kit
    state = {**keys.defaults(), keys.PROMPT: "A kite", keys.KIT: kit.id}
    create_kits.pick_kit(running, state)
    assert state[keys.MODEL] == "grok-imagine-video"
    assert (state[keys.RESOLUTION], state[keys.DURATION], state[keys.MODE]) == ("720p", 8, "image")
    assert state[keys.KEPT_IMAGES] == [(url, asset.sha256)]
    assert state[keys.KIT_SAID] == [
        "Brand kit “Acme” set: model Grok Imagine (official), resolution 720p, length 8 s, "
        "1 reference picture."
    ]
    state[keys.IMAGES] = state[keys.KEPT_IMAGES]
    draft = draft_from(state)
    assert draft.kit == kit and price.pictures_of(draft) == 1
    without = price.quota(replace(draft, images=[]))
    assert price.quota(draft) > without  # the kit's picture is in the price


def test_a_prompt_too_long_only_with_the_kits_words_says_so_and_by_how_much():
    """The person's 3,990 characters fit the model's 4,000, the kit's words do not: the
    message names the kit and says how much to cut, not a length the person never typed."""
    kit = Kit(id="k1", name="Acme", before="Acme brand film:", after="(warm colours)")
    state = {**keys.defaults(), keys.PROMPT: "k" * 3990, keys.KIT: kit.id, keys.KIT_HELD: kit}
    draft = draft_from(state)
    limit = draft.spec.field_spec("prompt").max_length
    assert limit == 4000
    assert draft.problems()["prompt"] == (
        "Prompt is too long with the brand kit “Acme”: 4,022 characters, 32 of them the "
        "kit's words, and the limit is 4,000. Shorten it by 22 characters."
    )
    fits = draft_from({**state, keys.PROMPT: "k" * 3968})
    assert "prompt" not in fits.problems() and len(fits.request()["prompt"]) == 4000
