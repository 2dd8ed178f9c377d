"""Checks a video request against the model spec, with messages written for people.

Every problem names the field (`param`, the wire name, so the API can return it and
the form can put the message beside the right widget), says what is allowed and what
was given. The embedded Wave API and the studio both call this: one set of rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.domain.catalog import (
    EDIT,
    GROK_IMAGINE_VIDEO,
    IMAGE_TO_VIDEO,
    MODELS,
    TEXT_TO_VIDEO,
    FieldSpec,
    ModelSpec,
    canonical_event,
)
from lib.domain.frames import AUTO_RATIO
from lib.domain.links import LinkPolicy, LinkRefused, link_problem, parse_link, shown_link
from lib.domain.statuses import TERMINAL_STATUSES
from lib.domain.text_fields import PROMPT, clean


@dataclass(frozen=True)
class Problem:
    param: str
    message: str


class InvalidSettings(ValueError):
    """A request that breaks a rule; `problems` lists every one found, first one first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(problems[0].message)

    @property
    def param(self) -> str:
        return self.problems[0].param


def shown(value: Any, limit: int = 40) -> str:
    """A given value quoted for a message, cut short so a huge input stays readable."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"“{text}”"


def _list_words(choices: tuple[str, ...]) -> str:
    if len(choices) == 1:
        return choices[0]
    return ", ".join(choices[:-1]) + " or " + choices[-1]


def check_request(body: Any, model: ModelSpec | None = None) -> list[Problem]:
    """Every problem with a submit body, in field order. An empty list means it is fine."""
    if not isinstance(body, Mapping):
        return [Problem("body", "The request must be a JSON object of settings.")]
    problems: list[Problem] = []
    if model is None:
        model = _model_of(body, problems)
    known = set(model.field_names)
    for name in body:
        if name not in known:
            problems.append(
                Problem(
                    str(name),
                    f"{shown(name)} is not a setting of {model.display_name}. "
                    f"Allowed settings: {', '.join(model.field_names)}.",
                )
            )
    for spec in model.fields:
        if spec.name == "model":
            continue  # checked by _model_of
        if spec.name == "duration" and body.get("action") == EDIT:
            continue  # a restyle keeps its source's length: see _check_edit
        problem = _check_field(spec, body)
        if problem:
            problems.append(problem)
    problems.extend(_check_combination(body, problems, model))
    return problems


def validate_request(body: Any, model: ModelSpec | None = None) -> dict[str, Any]:
    """The request with defaults filled in, or InvalidSettings naming every bad field."""
    problems = check_request(body, model)
    if problems:
        raise InvalidSettings(problems)
    model = model or MODELS[body["model"]]
    if body.get("action") == EDIT:
        # The output keeps the source's length, shape and resolution: nothing to fill in,
        # and a shape or resolution sent along is ignored (DECIDED).
        request = {k: v for k, v in body.items() if k not in ("aspect_ratio", "resolution")}
        request.pop("duration", None)
    else:
        request = {**model.defaults(), **body}
    if request.get("image_urls") and not model.uses_ratio_with_pictures:
        # The first picture decides the shape; a ratio sent with them is ignored (DECIDED).
        request.pop("aspect_ratio", None)
    if "prompt" in request:
        # Kept as lib/text_fields cleans it: what the video is made from is what is stored.
        request["prompt"] = clean(PROMPT, request["prompt"])
    return request


def is_image_to_video(request: Mapping[str, Any]) -> bool:
    """Images present means image-to-video, whatever `action` says (DECIDED)."""
    return bool(request.get("image_urls"))


def is_edit(request: Mapping[str, Any]) -> bool:
    """A restyle of a source video (`action: edit`, grok-imagine-video)."""
    return request.get("action") == EDIT


def canonical_events(request: Mapping[str, Any]) -> frozenset[str]:
    """The statuses a callback is wanted for; by default only the terminal ones."""
    events = request.get("callback_events")
    if events is None:
        return frozenset(TERMINAL_STATUSES)
    return frozenset(canonical_event(e) for e in events)


def _model_of(body: Mapping[str, Any], problems: list[Problem]) -> ModelSpec:
    model_id = body.get("model")
    if model_id is None:
        problems.append(Problem("model", f"Choose a model: {_list_words(tuple(MODELS))}."))
    elif not isinstance(model_id, str) or model_id not in MODELS:  # a list is not hashable
        problems.append(
            Problem(
                "model",
                f"Model {shown(model_id)} is not available. Use {_list_words(tuple(MODELS))}.",
            )
        )
    return (
        MODELS.get(model_id, GROK_IMAGINE_VIDEO)
        if isinstance(model_id, str)
        else GROK_IMAGINE_VIDEO
    )


def _check_field(spec: FieldSpec, body: Mapping[str, Any]) -> Problem | None:
    """One field's own rules (type, choices, range, length), whatever the mode."""
    if spec.name not in body:
        return None  # required-ness depends on the mode: see _check_combination
    value = body[spec.name]
    if spec.kind == "string":
        return _check_string(spec, value)
    if spec.kind == "integer":
        return _check_integer(spec, value)
    return _check_string_list(spec, value)


def _check_string(spec: FieldSpec, value: Any) -> Problem | None:
    if not isinstance(value, str):
        return Problem(spec.name, f"{spec.label} must be text; you gave {shown(value)}.")
    if spec.name == PROMPT.param:
        value = clean(PROMPT, value)  # judged as it will be kept
    if spec.choices and value not in spec.choices:
        return Problem(
            spec.name,
            f"{spec.label} must be {_list_words(spec.choices)}; you gave {shown(value)}.",
        )
    if spec.max_length is not None and len(value) > spec.max_length:
        return Problem(
            spec.name,
            f"{spec.label} is too long: {len(value):,} characters, "
            f"and the limit is {spec.max_length:,}.",
        )
    if spec.name == "callback_url":
        reason = url_problem(value)
        if reason:
            return Problem(spec.name, f"{spec.label} {reason}")
    return None


def _check_integer(spec: FieldSpec, value: Any) -> Problem | None:
    allowed = f"a whole number of seconds from {spec.minimum} to {spec.maximum}"
    # bool is an int in Python but never a duration; floats like 6.5 are not whole.
    if isinstance(value, bool) or not isinstance(value, int):
        return Problem(spec.name, f"{spec.label} must be {allowed}; you gave {shown(value)}.")
    if not spec.minimum <= value <= spec.maximum:
        return Problem(spec.name, f"{spec.label} must be {allowed}; you gave {value}.")
    return None


def _check_string_list(spec: FieldSpec, value: Any) -> Problem | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return Problem(
            spec.name, f"{spec.label} must be a list of text values; you gave {shown(value)}."
        )
    if spec.min_items is not None and len(value) < spec.min_items:
        return Problem(spec.name, f"{spec.label}: give at least {spec.min_items}.")
    if spec.max_items is not None and len(value) > spec.max_items:
        return Problem(
            spec.name, f"{spec.label}: at most {spec.max_items} allowed; you gave {len(value)}."
        )
    for position, item in enumerate(value, start=1):
        if spec.choices and item not in spec.choices:
            return Problem(
                spec.name,
                f"{spec.label} can only be {_list_words(spec.choices)}; "
                f"item {position} is {shown(item)}.",
            )
        if spec.name in ("image_urls", "video_urls"):
            reason = url_problem(item)
            if reason:
                named = (
                    picture_name(position, item)
                    if spec.name == "image_urls"
                    else f"The source video (the link {shown_link(item)})"
                )
                return Problem(spec.name, f"{named} {reason}")
    return None


def picture_name(position: int, link: str) -> str:
    """How messages name a picture that comes from a link: Picture 3 (the link https://…)."""
    return f"Picture {position} (the link {shown_link(link)})"


def url_problem(url: str) -> str | None:
    """Why a URL cannot be used as a public web address, or None if it can.

    The service fetches these itself, so only `http(s)://host/...` works: `data:` URIs,
    `file://` paths and the like are refused, and so is anything URL parsers could read
    differently (lib/outside/fetch.py reads links the one way they are fetched).
    """
    try:
        parse_link(url)
    except LinkRefused as refused:
        return str(refused)
    return None


def picture_link_problem(url: str, own_prefixes: tuple[str, ...] = ()) -> str | None:
    """Why a picture link a person pasted can't be used, known without fetching it, or
    None. Stricter than `url_problem`: a link to a private, loopback or link-local address
    (a cloud metadata service at 169.254.169.254, a router at 192.168.1.1) is refused, as
    is a name that resolves to one when it is fetched. Links starting with one of
    `own_prefixes` (the studio's own /assets/) are the studio's own and pass."""
    return link_problem(url, LinkPolicy.with_local(own_prefixes))


def _check_combination(
    body: Mapping[str, Any], found: list[Problem], model: ModelSpec
) -> list[Problem]:
    """Rules that depend on the mode: what text-to-video, image-to-video and a restyle
    each need, on this model."""
    already = {p.param for p in found}
    problems: list[Problem] = []
    action = body.get("action", TEXT_TO_VIDEO)
    if action == EDIT:
        return _check_edit(body, already, model)
    if "video_urls" in body and "video_urls" not in already:
        problems.append(
            Problem("video_urls", "A source video is only for restyling (mode “edit”).")
        )
    if action == IMAGE_TO_VIDEO and "image_urls" not in body:
        problems.append(
            Problem(
                "image_urls",
                "Image-to-video needs at least one reference image (a JPG, PNG or WEBP link).",
            )
        )
    prompt = body.get("prompt")
    text_to_video = action != IMAGE_TO_VIDEO and "image_urls" not in body
    if text_to_video and _blank(prompt) and "prompt" not in already:
        problems.append(
            Problem("prompt", "Prompt is required for text-to-video: describe the video you want.")
        )
    if model.duration_required and "duration" not in body:
        problems.append(
            Problem(
                "duration",
                f"Duration is required for {model.display_name}: a whole number of seconds "
                f"from {model.min_duration} to {model.max_duration}.",
            )
        )
    ratio = body.get("aspect_ratio", model.defaults().get("aspect_ratio"))
    if "image_urls" in body and ratio == AUTO_RATIO and "aspect_ratio" not in already:
        problems.append(
            Problem(
                "aspect_ratio",
                f"With pictures, {model.display_name} needs a shape: choose one of "
                f"{_list_words(tuple(r for r in model.aspect_ratios if r != AUTO_RATIO))} "
                "(automatic is for text-to-video only).",
            )
        )
    return problems


def _check_edit(body: Mapping[str, Any], already: set[str], model: ModelSpec) -> list[Problem]:
    """A restyle: exactly one source video, a prompt, no pictures, no length of its own."""
    problems: list[Problem] = []
    if "video_urls" not in body:
        problems.append(Problem("video_urls", "Restyling needs the link of one source video."))
    if "image_urls" in body and "image_urls" not in already:
        problems.append(Problem("image_urls", "Pictures can't be given with a restyle."))
    duration = body.get("duration", 0)
    if duration != 0 or isinstance(duration, bool):
        problems.append(
            Problem(
                "duration",
                "A restyled video keeps its source's length: leave Duration out (or 0); "
                f"you gave {shown(duration)}.",
            )
        )
    if _blank(body.get("prompt")) and "prompt" not in already:
        problems.append(
            Problem("prompt", "Prompt is required to restyle: say how the video should change.")
        )
    return problems


def _blank(prompt: Any) -> bool:
    """No prompt, only spaces or only zero-width characters: the video would be charged
    for nothing that was asked."""
    return prompt is None or (isinstance(prompt, str) and not clean(PROMPT, prompt))
