"""The shared prompt library (issue 18): the Create form saved as a recipe and used again
(settings, pictures, kit), bad titles and tags refused naming the field, a picture
deleted since named while the rest loads, only the author or an admin changes or
deletes one, and each recipe's uses, cost per video and approval rate."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.create import keys, recipes, submit
from lib.create.draft import draft_from
from lib.domain.access import Actor, Role
from lib.domain.kits import KitFields
from lib.engine.pictures import store_reference_image
from lib.storage import ASSETS
from lib.store.schema import Review, Task
from lib.store.team import AuditFilter, name_login
from lib.team import kits as team_kits
from tests import images


def person(store, name: str, role: Role) -> Actor:
    account = store.account_for(name_login(name), name, role, datetime.now(UTC))
    return Actor(account.id, account.name, role)


def test_bad_titles_and_tags_are_refused_naming_the_field_and_nothing_is_kept(studio):
    store = studio.studio.store
    ana = person(store, "Ana", Role.MEMBER)
    draft = draft_from({**keys.defaults(), keys.PROMPT: "A kite"})
    empty = recipes.save_recipe(store, ana, draft, "   ", "")
    assert empty.problems["title"].startswith("Title is required")
    long = recipes.save_recipe(store, ana, draft, "T" * 121, "")
    assert long.problems["title"] == "Title is too long: 121 characters, and the limit is 120."
    tags = recipes.save_recipe(store, ana, draft, "Kite", "ok, " + "x" * 41)
    assert "Tag is too long" in tags.problems["tags"]
    assert store.recipes() == []
    marked = recipes.save_recipe(store, ana, draft, "<b>Kite</b>", "<script>x</script>, Spring")
    assert marked.recipe is not None
    assert store.get_recipe(marked.recipe.id).tags == ["<script>x</script>", "Spring"]  # as text


def test_a_recipe_fills_create_again_and_names_a_picture_deleted_since(studio):
    running = studio.studio
    store = running.store
    boss = person(store, "Boss", Role.ADMIN)
    kit = team_kits.save_kit(store, boss, None, KitFields(name="Acme", before="Acme:")).kit
    first, url1 = store_reference_image(running, images.jpeg(96, 64), "shoe.jpg", boss)
    second, url2 = store_reference_image(running, images.png(64, 96), "bag.png", boss)
    state = {
        **keys.defaults(),
        keys.MODE: "image",
        keys.PROMPT: "The shoe turns slowly",
        keys.DURATION: 8,
        keys.CAMPAIGN: "Spring",
        keys.IMAGES: [(url1, first.sha256), (url2, second.sha256)],
        keys.KIT: kit.id,
        keys.KIT_HELD: kit,
    }
    saved = recipes.save_recipe(store, boss, draft_from(state), "Shoe turn", "shoes, spring")
    assert saved.recipe is not None
    running.storage.delete(f"{ASSETS}/{first.file_name}")  # deleted since

    form: dict = {}
    said = recipes.use_recipe(running, form, saved.recipe)
    assert said == [
        "Picture 1 (“shoe.jpg”) of this recipe was deleted since: add it again, or go on "
        "without it."
    ]
    form[keys.IMAGES] = form[keys.KEPT_IMAGES]
    again = draft_from(form)
    assert (again.mode, again.prompt, again.duration, again.campaign) == (
        "image",
        "The shoe turns slowly",
        8,
        "Spring",
    )
    assert again.all_images() == [(url2, second.sha256)]
    assert again.kit == kit and again.recipe == saved.recipe.id
    assert again.request()["prompt"] == "Acme: The shoe turns slowly"


def test_only_the_author_or_an_admin_changes_or_deletes_a_recipe(studio):
    store = studio.studio.store
    ana = person(store, "Ana", Role.MEMBER)
    bea = person(store, "Bea", Role.MEMBER)
    boss = person(store, "Boss", Role.ADMIN)
    draft = draft_from({**keys.defaults(), keys.PROMPT: "A kite"})
    recipe = recipes.save_recipe(store, ana, draft, "Kite", "").recipe
    assert recipes.change_recipe(store, bea, recipe.id, "Mine", "") == {
        "form": recipes.NOT_YOUR_RECIPE
    }
    assert recipes.delete_recipe(store, bea, recipe.id) == recipes.NOT_YOUR_RECIPE
    assert store.get_recipe(recipe.id).title == "Kite"
    refused = store.audit_events(AuditFilter(outcome="refused"))
    assert {(e.action, e.actor_name) for e in refused} == {
        ("recipe.change", "Bea"),
        ("recipe.delete", "Bea"),
    }
    assert recipes.change_recipe(store, ana, recipe.id, "Kite at dawn", "beach") == {}
    assert store.get_recipe(recipe.id).tags == ["beach"]
    assert recipes.delete_recipe(store, boss, recipe.id) is None
    assert store.recipes() == []


def test_each_recipe_shows_its_uses_cost_per_video_and_approval_rate(studio):
    running = studio.studio
    store = running.store
    ana = person(store, "Ana", Role.MEMBER)
    draft = draft_from({**keys.defaults(), keys.PROMPT: "A kite", keys.DURATION: 6})
    recipe = recipes.save_recipe(store, ana, draft, "Kite", "beach").recipe
    [row] = recipes.recipe_rows(store, [recipe])
    assert (row.uses, row.cost, row.approval) == (
        "Used for 0 videos",
        "no video made yet",
        "none finished yet",
    )
    state: dict = {}
    recipes.use_recipe(running, state, recipe)
    result = submit.submit_draft(running, draft_from(state), ana, "recipe-1")
    assert result.task_id and store.get_task(result.task_id).recipe_id == recipe.id
    assert [r.id for r in recipes.matching(store.recipes(), "kite", "BEACH")] == [recipe.id]
    assert recipes.matching(store.recipes(), "kite dawn") == []
    # Another take from it: one finished (charged, approved), one failed at no cost.
    again = submit.submit_draft(running, draft_from(state), ana, "recipe-2")
    now = datetime.now(UTC)
    with store.writing() as session:
        for task_id, status, cost in (
            (result.task_id, "completed", 22313),
            (again.task_id, "failed", 0),
        ):
            task = session.get(Task, task_id)
            task.status, task.cost_quota, task.tracking = status, cost, False
        session.add(Review(task_id=result.task_id, state="approved", by_name="Boss", at=now))
    [row] = recipes.recipe_rows(store, [recipe])
    assert (row.uses, row.cost, row.approval) == (
        "Used for 2 videos",
        "$0.0446 per video made",
        "1 of 1 approved (100%)",
    )
