"""Variations on Create (issue 18), without a browser: the form's Draft multiplied into
takes, each checked and priced as a single video is; braces that nest or don't close,
too many takes and a take its model can't make are refused with the field and the take
named, and nothing is expanded past the limit."""

from __future__ import annotations

import time

from lib.create import keys, price
from lib.create.draft import Draft
from lib.create.variations import Variations, plan, variations_from
from lib.domain.variations import MAX_TAKES


def base(prompt: str, model: str = "grok-imagine-video", **changes) -> Draft:
    values = {
        "mode": "text",
        "prompt": prompt,
        "aspect_ratio": "16:9",
        "resolution": "480p",
        "duration": 6,
        "campaign": "Spring",
        "model": model,
    }
    return Draft(**{**values, **changes})


def test_lines_and_alternatives_times_shapes_and_takes_each_priced_as_a_single_video():
    made = plan(
        base("A kite over a {beach|lake} at {dawn|dusk}\nCoffee poured slowly"),
        Variations(ratios=("16:9", "9:16"), each=2),
    )
    assert made.problems == {} and made.ready
    assert len(made.takes) == (4 + 1) * 2 * 2
    assert {t.draft.prompt for t in made.takes} == {
        "A kite over a beach at dawn",
        "A kite over a beach at dusk",
        "A kite over a lake at dawn",
        "A kite over a lake at dusk",
        "Coffee poured slowly",
    }
    single = price.quota(base("anything"))
    assert all(t.quota == single for t in made.takes)
    assert made.total_quota == 20 * single
    assert [t.number for t in made.takes] == list(range(1, 21))


def test_nested_or_unbalanced_braces_are_refused_naming_the_prompt_line():
    for text, words in (
        ("fine line\na {red|{dark|light} blue} car", "line 2: alternatives in braces cannot"),
        ("a {red|blue car", "line 1 has a “{” that is never closed"),
        ("a red} car", "line 1 has a “}” that no “{” opened"),
    ):
        made = plan(base(text), Variations())
        assert set(made.problems) == {"prompt"} and words in made.problems["prompt"], text
        assert made.takes == [] and not made.ready


def test_10000_takes_are_refused_with_the_limit_without_being_expanded():
    started = time.monotonic()
    made = plan(base("a {1|2|3|4|5|6|7|8|9|10} {a|b|c|d|e|f|g|h|i|j} car"), Variations(each=100))
    assert time.monotonic() - started < 5  # generous: 10,000 Drafts are never made
    assert made.takes == [] and not made.ready
    assert "10,000 takes" in made.problems["variations"]
    assert f"at most {MAX_TAKES}" in made.problems["variations"]
    for each in (0, 101, 2.5, "x"):
        assert "takes" in plan(base("a car"), Variations(each=each)).problems


def test_a_shape_one_model_lacks_names_those_takes_and_why_and_blocks_the_batch():
    made = plan(
        base("a car"),
        Variations(ratios=("16:9", "4:3"), models=("grok-imagine-video", "grok-imagine-1.0-video")),
    )
    assert len(made.takes) == 4 and not made.ready
    bad = [t for t in made.takes if t.problems]
    assert [(t.draft.model, t.draft.aspect_ratio) for t in bad] == [
        ("grok-imagine-1.0-video", "4:3")
    ]
    said = made.problems["variations"]
    assert said.startswith("1 of the 4 takes can't be made as set: take 4 (Grok Imagine 1.0")
    assert "4:3" in said


def test_a_problem_every_take_shares_stays_at_its_own_field():
    made = plan(base(""), Variations(ratios=("16:9", "9:16")))
    assert "prompt" in made.problems and "variations" not in made.problems


def test_with_variations_off_the_form_is_the_single_take_form():
    state = {**keys.defaults(), keys.PROMPT: "a car"}
    assert variations_from(state) is None
    state[keys.VARY] = True
    assert variations_from(state) == Variations(each=1)


def test_takes_that_would_send_the_same_request_are_refused_naming_why():
    """With pictures, Grok Imagine 1.0 takes its shape from the first picture: a 9:16 take
    of it would be paid for and never be 9:16. A model that keeps the chosen shape is fine,
    and "takes of each" copies are asked for."""
    picture = [("http://127.0.0.1:8501/library/pictures/a.png", "a" * 64)]
    with_picture = base("a car", mode="image", images=picture)
    made = plan(
        with_picture,
        Variations(
            ratios=("16:9", "9:16"), models=("grok-imagine-1.0-video", "grok-imagine-video")
        ),
    )
    assert not made.ready
    [bad] = [t for t in made.takes if t.problems]
    assert (bad.number, bad.draft.model, bad.draft.aspect_ratio) == (
        2,
        "grok-imagine-1.0-video",
        "9:16",
    )
    said = made.problems["variations"]
    assert "take 2 (Grok Imagine 1.0 · 9:16 · 6 s): it would be made exactly as take 1" in said
    assert "takes its shape from the first picture, not 9:16" in said
    assert plan(with_picture, Variations(models=("grok-imagine-1.0-video",), each=3)).ready
    assert plan(with_picture, Variations(ratios=("16:9", "9:16"))).ready  # keeps the shape
