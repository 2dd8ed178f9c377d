"""The shared prompt library's rules (issue 18): a recipe's title and tags, and the
numbers each recipe shows. Pure; the store keeps recipes, lib/create saves and uses them."""

from __future__ import annotations

from lib.domain.text_fields import TextField, clean, length_problem

RECIPE_TITLE = TextField("Title", 120, param="title")
RECIPE_TAG = TextField("Tag", 40, param="tags")
MAX_TAGS = 12


def tag_entries(text: str) -> list[str]:
    """The tags box: separated by commas (or new lines); blank entries are not tags."""
    return [part for part in (text or "").replace("\n", ",").split(",") if part.strip()]


def check_recipe(title: str, tags: list[str]) -> tuple[str, list[str], dict[str, str]]:
    """-> (title as kept, tags as kept, one message per bad field). Tags are kept as plain
    text (shown escaped, never as markup), once each whatever their case."""
    problems: dict[str, str] = {}
    kept_title = clean(RECIPE_TITLE, title)
    if not kept_title:
        problems["title"] = "Title is required: give the recipe a name your team will find."
    elif too_long := length_problem(RECIPE_TITLE, kept_title):
        problems["title"] = too_long
    kept_tags: list[str] = []
    for entry in tags:
        tag = clean(RECIPE_TAG, entry)
        if not tag:
            continue
        if too_long := length_problem(RECIPE_TAG, tag):
            problems.setdefault("tags", f"“{tag[:20]}…”: {too_long}")
        elif tag.casefold() not in {t.casefold() for t in kept_tags}:
            kept_tags.append(tag)
    if len(kept_tags) > MAX_TAGS:
        problems.setdefault("tags", f"Tags: {len(kept_tags)} given, and the limit is {MAX_TAGS}.")
    return kept_title, kept_tags, problems


def approval_rate(approved: int, reviewed: int) -> str:
    """`2 of 3 approved (67%)`, or `none reviewed yet`."""
    if not reviewed:
        return "none finished yet"
    return f"{approved} of {reviewed} approved ({round(100 * approved / reviewed)}%)"
