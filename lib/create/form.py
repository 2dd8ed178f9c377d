"""The Create form's state: prefilled from an earlier video ("use these settings"), which
fields the person has changed, and values no widget can show put right before they are
drawn."""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from typing import Any

from lib.create import keys
from lib.create.draft import whole_number
from lib.domain.catalog import MODELS, ModelSpec, display_name
from lib.domain.frames import AUTO_RATIO, AUTO_RENDERS_AS
from lib.domain.money import format_usd
from lib.domain.validation import check_request, shown

MODE_LABELS = {"text": "Text to video", "image": "Image to video"}


def prefill(
    state: MutableMapping[str, Any],
    request: dict[str, Any],
    campaign: str = "",
    images: list[tuple[str, str | None]] | None = None,
) -> None:
    """Fill the form with an earlier video's settings (call, then switch to Create)."""
    values = keys.defaults(MODELS.get(request.get("model")))  # type: ignore[arg-type]
    values[keys.MODEL] = request.get("model") or values[keys.MODEL]
    values[keys.MODE] = "image" if request.get("image_urls") else "text"
    values[keys.PROMPT] = request.get("prompt", "")
    values[keys.ASPECT_RATIO] = request.get("aspect_ratio") or values[keys.ASPECT_RATIO]
    values[keys.RESOLUTION] = request.get("resolution", values[keys.RESOLUTION])
    values[keys.DURATION] = request.get("duration", values[keys.DURATION])
    values[keys.CAMPAIGN] = campaign or None
    kept = list(images or [(url, None) for url in request.get("image_urls", ())])
    values[keys.KEPT_IMAGES] = [(url, sha) for url, sha in kept if sha]
    values[keys.LINKS] = "\n".join(url for url, sha in kept if not sha)
    state.update(values)
    for stale in (
        keys.RESULT,
        keys.TRIED,
        keys.TOUCHED,
        keys.NOTES,
        keys.REFUSED,
        keys.CHANGED,
        FITTED,
        keys.RECIPE,  # issue 18: an earlier video's prompt has its kit's words already
        keys.RECIPE_SAID,
        keys.KIT_SAID,
    ):  # about the form as it was
        state.pop(stale, None)
    state[keys.KIT] = ""


def touch(state: MutableMapping[str, Any], key: str) -> None:
    """A field changed (its widget's on_change): its messages follow it from now on, and
    what was said about its old value goes."""
    field_name = keys.FIELD_OF_KEY[key]
    state[keys.TOUCHED] = {*state.get(keys.TOUCHED, ()), field_name}
    if key != keys.MODEL:  # what a model switch changed was said; the person moved on
        state.pop(keys.CHANGED, None)
    for said in (keys.NOTES, keys.REFUSED):
        remaining = dict(state.get(said) or {})
        remaining.pop(field_name, None)
        remaining.pop("form", None)  # a refusal of the whole request was about the old one
        state[said] = remaining


def remove_kept_image(state: MutableMapping[str, Any], position: int) -> None:
    """Take one picture brought back by "use these settings" out of the form."""
    kept = list(state.get(keys.KEPT_IMAGES) or [])
    if 0 <= position < len(kept):
        del kept[position]
    state[keys.KEPT_IMAGES] = kept
    touch(state, keys.KEPT_IMAGES)


# The model the form's values were last fitted to: a different chosen model means the
# person switched (or an earlier video's settings came in), and the form follows it.
FITTED = "create.fitted_model"


def prepare(state: MutableMapping[str, Any], default_model: str | None = None) -> None:
    """Before the widgets are drawn: every field has a value (for the model chosen, or
    `default_model`: the one the service offers), the form follows a newly chosen model
    and says what that changed, and values no widget can show (an old video's settings,
    a prompt pasted over the limit) are put right and said so, until the field changes."""
    if state.get(keys.MODEL) not in MODELS:
        if keys.MODEL in state and state[keys.MODEL] is not None:
            state.setdefault(keys.NOTES, {})["model"] = (
                f"Model must be one of the studio's models; you gave {shown(state[keys.MODEL])}."
            )
        state[keys.MODEL] = (
            default_model if default_model in MODELS else keys.first_model().model_id
        )
    for key, value in keys.defaults(keys.spec_of(state)).items():
        state.setdefault(key, value)
    if state.get(FITTED) is not None and state[FITTED] != state[keys.MODEL]:
        why = state.pop(SWITCHED_BECAUSE, None)
        changes = fit_to_model(state, MODELS.get(state[FITTED]))
        state[keys.CHANGED] = [why, *changes] if why else changes
    state[FITTED] = state[keys.MODEL]
    notes = fit_to_widgets(state)
    if notes:
        state[keys.NOTES] = {**state.get(keys.NOTES, {}), **notes}


# Why the model was switched for the person (an earlier video's model no longer offered).
SWITCHED_BECAUSE = "create.switched_because"


def prefill_instead(
    state: MutableMapping[str, Any], request: dict[str, Any], instead: ModelSpec, why: str
) -> None:
    """After `prefill`: the earlier video's model can't be used, so the form takes
    `instead` and fits the settings to it, saying `why` first."""
    state[FITTED] = request.get("model")
    state[keys.MODEL] = instead.model_id
    state[SWITCHED_BECAUSE] = why


def ratio_options(spec: ModelSpec, mode: str) -> list[str]:
    """The shapes the form offers: the model's, without `auto` when pictures are given."""
    ratios = list(spec.aspect_ratios)
    return [r for r in ratios if r != AUTO_RATIO] if mode == "image" else ratios


def fit_to_model(state: MutableMapping[str, Any], before: ModelSpec | None) -> list[str]:
    """The form follows the model just chosen: what still fits is kept, the rest is set
    to the nearest value this model makes. -> a sentence per change, for the person."""
    spec = keys.spec_of(state)
    said: list[str] = []
    seconds = whole_number(state.get(keys.DURATION))
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        if seconds > spec.max_duration:
            state[keys.DURATION] = spec.max_duration
            said.append(
                f"Length set to {spec.max_duration} s: this model makes up to "
                f"{spec.max_duration} s."
            )
        elif seconds < spec.min_duration:
            state[keys.DURATION] = spec.min_duration
            said.append(
                f"Length set to {spec.min_duration} s: this model makes at least "
                f"{spec.min_duration} s."
            )
    resolution = state.get(keys.RESOLUTION)
    if resolution not in spec.resolutions:
        highest = spec.resolutions[-1]
        state[keys.RESOLUTION] = highest
        said.append(f"Resolution set to {highest}: this model makes up to {highest}.")
    ratio = state.get(keys.ASPECT_RATIO)
    options = ratio_options(spec, state.get(keys.MODE, "text"))
    if ratio not in options:
        new = AUTO_RENDERS_AS if AUTO_RENDERS_AS in options else options[0]
        state[keys.ASPECT_RATIO] = new
        what = "automatic shape" if ratio == AUTO_RATIO else f"{ratio} shape"
        said.append(f"Shape set to {new}: this model has no {what}.")
    if spec.usd_per_picture and state.get(keys.MODE) == "image":
        said.append(f"Each picture adds {format_usd(spec.usd_per_picture)} with this model.")
    shape_rule_changed = (
        before is not None and before.uses_ratio_with_pictures != spec.uses_ratio_with_pictures
    )
    if shape_rule_changed and state.get(keys.MODE) == "image":
        said.append(
            "With pictures, the shape you pick is kept."
            if spec.uses_ratio_with_pictures
            else "With pictures, the first picture decides the shape."
        )
    return said


def switch_model(state: MutableMapping[str, Any], model_id: str) -> None:
    """A button's on_click: use this model instead (the form follows on the next run)."""
    state[keys.MODEL] = model_id
    touch(state, keys.MODEL)


def model_label(model_id: str, available: bool = True) -> str:
    """The picker's words for a model: its marketer's name, and whether it can be used."""
    name = display_name(model_id)
    return name if available else f"{name} (not offered now)"


def fit_to_widgets(state: MutableMapping[str, Any]) -> dict[str, str]:
    """Put back the default wherever the session holds a value the form's widgets cannot
    show (an earlier video's setting the model no longer offers, or anything else that
    wrote the session), and say so at the field: {field: message}.

    Call before the widgets are drawn. Left alone, such a value crashes the page (a word
    in the number box) or is changed without a word (6.5 seconds sent as 6, a prompt cut
    to the text box's limit); a whole number out of range is kept, for the rules to judge.
    """
    notes: dict[str, str] = {}
    fresh = keys.defaults(keys.spec_of(state))
    for key in (keys.PROMPT, keys.LINKS, keys.CAMPAIGN):
        # A lone surrogate (only a crafted request sends one) can't even be drawn in a
        # text box: dropped, as lib/text_fields drops it from what is kept.
        if isinstance(state.get(key), str) and _SURROGATE.search(state[key]):
            state[key] = _SURROGATE.sub("", state[key])

    def reset(key: str, param: str, message: str, now_shows: str) -> None:
        state[key] = fresh[key]
        notes[param] = f"{message} The form now shows {now_shows}."

    mode = state.get(keys.MODE, fresh[keys.MODE])
    if mode not in MODE_LABELS:
        choices = " or ".join(MODE_LABELS.values())
        reset(
            keys.MODE, "action", f"Mode must be {choices}; you gave {shown(mode)}.", "Text to video"
        )
    spec = keys.spec_of(state)
    prompt = state.get(keys.PROMPT, "")
    limit = spec.field_spec("prompt").max_length or 0
    if prompt is not None and not isinstance(prompt, str):
        reset(keys.PROMPT, "prompt", _rule(spec, "prompt", prompt), "an empty prompt")
    elif prompt and len(prompt) > limit:
        state[keys.PROMPT] = prompt[:limit]
        notes["prompt"] = (
            f"{_rule(spec, 'prompt', prompt)} The form keeps the first {limit:,}: "
            "check how it ends."
        )
    fresh = keys.defaults(spec)
    shapes = ratio_options(spec, state.get(keys.MODE, "text"))
    for key, param, allowed in (
        (keys.ASPECT_RATIO, "aspect_ratio", shapes),
        (keys.RESOLUTION, "resolution", spec.resolutions),
    ):
        value = state.get(key, fresh[key])
        if value not in allowed:
            if fresh[key] not in allowed:  # `auto`, with pictures: the usual 16:9
                fresh[key] = AUTO_RENDERS_AS
            rule = (
                _rule(spec, param, value)
                if value not in spec.field_spec(param).choices
                else (
                    f"With pictures, {spec.display_name} needs a shape; automatic is for "
                    "text-to-video only."
                )
            )
            reset(key, param, rule, fresh[key])
    duration = state.get(keys.DURATION, fresh[keys.DURATION])
    if not _whole_number_box_can_show(duration):
        reset(
            keys.DURATION,
            "duration",
            _rule(spec, "duration", duration),
            f"{fresh[keys.DURATION]} seconds",
        )
    campaign = state.get(keys.CAMPAIGN)
    if campaign is not None and not isinstance(campaign, str):
        reset(
            keys.CAMPAIGN,
            "campaign",
            f"Campaign or tag must be text; you gave {shown(campaign)}.",
            "no campaign",
        )
    links = state.get(keys.LINKS, "")
    if links is not None and not isinstance(links, str):
        reset(
            keys.LINKS,
            "image_urls",
            f"Picture links must be text, one a line; you gave {shown(links)}.",
            "no links",
        )
    kept = state.get(keys.KEPT_IMAGES, [])
    if not isinstance(kept, list) or not all(_is_kept_image(item) for item in kept):
        reset(
            keys.KEPT_IMAGES,
            "image_urls",
            "The earlier video's pictures could not be read back: add them again.",
            "none of them",
        )
    return notes


_SURROGATE = re.compile(r"[\ud800-\udfff]")
# The number box keeps integers as 64-bit and the browser as doubles: beyond 2**53 it lies.
_LARGEST_SHOWN = 2**53 - 1


def _whole_number_box_can_show(value: Any) -> bool:
    value = whole_number(value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _LARGEST_SHOWN


def _is_kept_image(item: Any) -> bool:
    return (
        isinstance(item, (tuple, list))
        and len(item) == 2
        and isinstance(item[0], str)
        and (item[1] is None or isinstance(item[1], str))
    )


def _rule(spec: ModelSpec, param: str, value: Any) -> str:
    """The rules' own message for this field and value (one wording everywhere)."""
    body = {"model": spec.model_id, "prompt": "x", "duration": keys.form_seconds(spec)}
    body[param] = value
    return next(p.message for p in check_request(body) if p.param == param)


def campaign_options(known: Iterable[str], chosen: str | None) -> list[str]:
    """The campaign box's choices: the campaigns used so far, and first the one chosen in
    this session when it is a new one."""
    options = [name for name in known if name]
    if chosen and chosen not in options:
        options = [chosen, *options]
    return options
