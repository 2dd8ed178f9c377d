"""The shared prompt library (issue 18): the Create form saved as a recipe (prompt,
settings, pictures and kit, with a title and tags), found again by title, words or tag,
and used to fill the form again. Only its author or an admin changes or deletes one
(checked here, on the server; refusals in the audit log)."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib.create import form, keys
from lib.create.draft import Draft
from lib.domain.access import Actor, NotAllowed
from lib.domain.money import format_usd, quota_to_usd
from lib.domain.recipes import approval_rate, check_recipe, tag_entries
from lib.engine.pictures import picture_file_exists
from lib.store.kits import RecipeStats
from lib.store.schema import Recipe
from lib.store.tasks import Store

NOT_YOUR_RECIPE = "Only the recipe's author or an admin can change or delete it."
SIGN_IN_FIRST = "Sign in first: a recipe is saved under your name."


@dataclass(frozen=True)
class RecipeSaved:
    recipe: Recipe | None = None
    problems: dict[str, str] = field(default_factory=dict)  # field -> message


def save_recipe(
    store: Store, actor: Actor | None, draft: Draft, title: str, tags: str
) -> RecipeSaved:
    """The form as it is now, kept as a recipe; nothing is kept while the title or tags
    have a problem."""
    if actor is None:
        return RecipeSaved(problems={"form": SIGN_IN_FIRST})
    kept_title, kept_tags, problems = check_recipe(title, tag_entries(tags))
    if problems:
        return RecipeSaved(problems=problems)
    shas = [sha for _, sha in draft.all_images() if sha] if draft.mode == "image" else []
    assets = store.assets_by_sha(shas)
    recipe = Recipe(
        title=kept_title,
        tags=kept_tags,
        settings={
            "mode": draft.mode,
            "prompt": draft.prompt,  # the person's own words: the kit wraps them again
            "model": draft.model,
            "aspect_ratio": draft.aspect_ratio,
            "resolution": draft.resolution,
            "duration": draft.duration,
            "campaign": draft.campaign or "",
            "links": [url for url, sha in draft.all_images() if not sha]
            if draft.mode == "image"
            else [],
        },
        pictures=[
            {"sha256": sha, "name": assets[sha].original_name if sha in assets else ""}
            for sha in shas
        ],
        kit_id=draft.kit.id if draft.kit else None,
        author_id=actor.account_id,
        author_name=actor.name,
    )
    return RecipeSaved(recipe=store.add_recipe(recipe, datetime.now(UTC)))


def use_recipe(studio: Any, state: MutableMapping[str, Any], recipe: Recipe) -> list[str]:
    """Fill the Create form from a recipe (its settings, pictures and kit); -> a sentence
    per part that could not come back (a picture or kit deleted since), naming it. The
    rest is loaded."""
    settings = recipe.settings or {}
    said: list[str] = []
    images: list[tuple[str, str | None]] = []
    assets = studio.store.assets_by_sha([p.get("sha256", "") for p in recipe.pictures or []])
    for position, picture in enumerate(recipe.pictures or [], start=1):
        asset = assets.get(picture.get("sha256", ""))
        if asset is None or not picture_file_exists(studio.storage, asset.file_name):
            name = picture.get("name") or f"picture {position}"
            said.append(
                f"Picture {position} (“{name}”) of this recipe was deleted since: add it "
                "again, or go on without it."
            )
            continue
        images.append((studio.asset_url(asset), asset.sha256))
    images += [(url, None) for url in settings.get("links") or []]
    request = {
        "model": settings.get("model"),
        "prompt": settings.get("prompt", ""),
        "aspect_ratio": settings.get("aspect_ratio"),
        "resolution": settings.get("resolution"),
        "duration": settings.get("duration"),
        "image_urls": [url for url, _ in images],
    }
    form.prefill(state, request, settings.get("campaign") or "", images)
    state[keys.MODE] = "image" if settings.get("mode") == "image" else "text"
    kit = studio.store.get_kit(recipe.kit_id)
    if recipe.kit_id and kit is None:
        said.append("The recipe's brand kit was deleted since: no kit is used.")
    state[keys.KIT] = kit.id if kit else ""
    state[keys.KIT_HELD] = kit
    state[keys.RECIPE] = recipe.id
    state[keys.RECIPE_SAID] = [f"Started from the recipe “{recipe.title}”.", *said]
    return said


def check_author(store: Store, actor: Actor | None, recipe: Recipe, action: str) -> str | None:
    """None when this person may change or delete the recipe; else why not (logged)."""
    try:
        if actor is None or not (
            actor.is_admin or actor.owns(recipe.author_id, recipe.author_name)
        ):
            raise NotAllowed(NOT_YOUR_RECIPE, action)
    except NotAllowed as refusal:
        store.audit_refused(actor, action, str(refusal), recipe.id)
        return str(refusal)
    return None


def change_recipe(
    store: Store, actor: Actor | None, recipe_id: str, title: str, tags: str
) -> dict[str, str]:
    """A new title and tags (author or admin). -> one message per bad field ({}: done)."""
    recipe = store.get_recipe(recipe_id)
    if recipe is None:
        return {"form": "This recipe was deleted meanwhile."}
    refusal = check_author(store, actor, recipe, "recipe.change")
    if refusal:
        return {"form": refusal}
    assert actor is not None
    kept_title, kept_tags, problems = check_recipe(title, tag_entries(tags))
    if problems:
        return problems
    store.change_recipe(
        recipe_id,
        {"title": kept_title, "tags": kept_tags},
        (actor.account_id, actor.name),
        datetime.now(UTC),
    )
    return {}


def delete_recipe(store: Store, actor: Actor | None, recipe_id: str) -> str | None:
    """-> None when deleted, else why not. Videos started from it keep their settings."""
    recipe = store.get_recipe(recipe_id)
    if recipe is None:
        return "This recipe was already deleted."
    refusal = check_author(store, actor, recipe, "recipe.delete")
    if refusal:
        return refusal
    assert actor is not None
    store.delete_recipe(recipe_id, (actor.account_id, actor.name), datetime.now(UTC))
    return None


# ----- browsing --------------------------------------------------------------------------
@dataclass(frozen=True)
class RecipeRow:
    recipe: Recipe
    uses: str  # "Used for 3 videos"
    cost: str  # "$0.0446 per video" or "no video made yet"
    approval: str  # "2 of 3 approved (67%)"


def all_tags(recipes: list[Recipe]) -> list[str]:
    seen: dict[str, str] = {}
    for recipe in recipes:
        for tag in recipe.tags or []:
            seen.setdefault(tag.casefold(), tag)
    return sorted(seen.values(), key=str.casefold)


def matching(recipes: list[Recipe], search: str = "", tag: str | None = None) -> list[Recipe]:
    """Recipes whose title, prompt or tags hold every searched word, with the tag."""
    needles = (search or "").casefold().split()
    found = []
    for recipe in recipes:
        tags = [t.casefold() for t in recipe.tags or []]
        if tag and tag.casefold() not in tags:
            continue
        haystack = " ".join(
            [recipe.title, str((recipe.settings or {}).get("prompt", "")), *tags]
        ).casefold()
        if all(needle in haystack for needle in needles):
            found.append(recipe)
    return found


def recipe_rows(store: Store, recipes: list[Recipe]) -> list[RecipeRow]:
    stats = store.recipe_stats([r.id for r in recipes])
    return [_row(recipe, stats.get(recipe.id)) for recipe in recipes]


def _row(recipe: Recipe, stats: RecipeStats | None) -> RecipeRow:
    stats = stats or RecipeStats(0, 0, 0, 0)
    uses = f"Used for {stats.uses} video{'s' if stats.uses != 1 else ''}"
    cost = (
        f"{format_usd(quota_to_usd(stats.spent_quota // stats.made))} per video made"
        if stats.made
        else "no video made yet"
    )
    return RecipeRow(recipe, uses, cost, approval_rate(stats.approved, stats.made))
