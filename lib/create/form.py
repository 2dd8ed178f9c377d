"""The Create form's logic, kept out of the page so it can be tested without a browser:
its fields and their session keys, turning what was entered into a request, one message
per bad field, and prefilling it from an earlier video ("use these settings")."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from lib.domain.catalog import GROK_IMAGINE_VIDEO, IMAGE_TO_VIDEO, TEXT_TO_VIDEO
from lib.domain.text_fields import CAMPAIGN as CAMPAIGN_TEXT
from lib.domain.text_fields import clean, length_problem
from lib.domain.validation import Problem, check_request, picture_link_problem, shown
from lib.engine.pictures import LinkedPicture, PastedLinks, keep_link

SPEC = GROK_IMAGINE_VIDEO
# Session keys of the form's widgets (History's "use these settings" writes them).
MODE = "create.mode"  # "text" or "image"
PROMPT = "create.prompt"
ASPECT_RATIO = "create.aspect_ratio"
RESOLUTION = "create.resolution"
DURATION = "create.duration"
CAMPAIGN = "create.campaign"
LINKS = "create.links"  # pasted image links, one a line
PASTED = "create.pasted_links"  # PastedLinks: what became of each pasted link
KEPT_IMAGES = "create.kept_images"  # [(url, asset sha256 or None)] from an earlier video
RESULT = "create.result"  # what the last click did (SubmitResult)
UPLOADS = "create.uploads"
MODE_LABELS = {"text": "Text to video", "image": "Image to video"}
# What the form knows besides its fields: which fields the person has changed, whether
# Generate was pressed, and the messages that hold until their field changes.
TOUCHED = "create.touched"  # {request field}
TRIED = "create.tried"  # Generate was pressed at least once
NOTES = "create.notes"  # {field: message}: a value the form put right itself
REFUSED = "create.refused"  # {field: message}: what the service refused at the last click
# The request field each widget (session key) feeds, for its messages.
FIELD_OF_KEY = {
    MODE: "action",
    PROMPT: "prompt",
    ASPECT_RATIO: "aspect_ratio",
    RESOLUTION: "resolution",
    DURATION: "duration",
    CAMPAIGN: "campaign",
    LINKS: "image_urls",
    UPLOADS: "image_urls",
    KEPT_IMAGES: "image_urls",
}
NAME_NEEDED = "Enter your name in the sidebar, so your team knows whose video it is."
# A second click with the same settings this soon is the same submission (double click).
SAME_SUBMISSION_SECONDS = 10.0


def defaults() -> dict[str, Any]:
    return {
        MODE: "text",
        PROMPT: "",
        ASPECT_RATIO: SPEC.field_spec("aspect_ratio").default,
        RESOLUTION: SPEC.field_spec("resolution").default,
        DURATION: SPEC.field_spec("duration").default,
        CAMPAIGN: None,  # a selectbox: None is "nothing chosen" ("" is not one of its options)
        LINKS: "",
        KEPT_IMAGES: [],
    }


def prefill(
    state: MutableMapping[str, Any],
    request: dict[str, Any],
    campaign: str = "",
    images: list[tuple[str, str | None]] | None = None,
) -> None:
    """Fill the form with an earlier video's settings (call, then switch to Create)."""
    values = defaults()
    values[MODE] = "image" if request.get("image_urls") else "text"
    values[PROMPT] = request.get("prompt", "")
    values[ASPECT_RATIO] = request.get("aspect_ratio") or values[ASPECT_RATIO]
    values[RESOLUTION] = request.get("resolution", values[RESOLUTION])
    values[DURATION] = request.get("duration", values[DURATION])
    values[CAMPAIGN] = campaign or None
    kept = list(images or [(url, None) for url in request.get("image_urls", ())])
    values[KEPT_IMAGES] = [(url, sha) for url, sha in kept if sha]
    values[LINKS] = "\n".join(url for url, sha in kept if not sha)
    state.update(values)
    for stale in (RESULT, TRIED, TOUCHED, NOTES, REFUSED):  # about the form as it was
        state.pop(stale, None)


def touch(state: MutableMapping[str, Any], key: str) -> None:
    """A field changed (its widget's on_change): its messages follow it from now on, and
    what was said about its old value goes."""
    field_name = FIELD_OF_KEY[key]
    state[TOUCHED] = {*state.get(TOUCHED, ()), field_name}
    for said in (NOTES, REFUSED):
        remaining = dict(state.get(said) or {})
        remaining.pop(field_name, None)
        remaining.pop("form", None)  # a refusal of the whole request was about the old one
        state[said] = remaining


def remove_kept_image(state: MutableMapping[str, Any], position: int) -> None:
    """Take one picture brought back by "use these settings" out of the form."""
    kept = list(state.get(KEPT_IMAGES) or [])
    if 0 <= position < len(kept):
        del kept[position]
    state[KEPT_IMAGES] = kept
    touch(state, KEPT_IMAGES)


def messages(
    state: MutableMapping[str, Any],
    draft: Draft,
    person: str | None,
) -> dict[str, str]:
    """The messages to show now, by field: the rules applied to what the form holds at
    this moment, for the fields the person has changed (all of them once Generate was
    pressed), plus what the form or the service said that still applies. A message goes
    as soon as its field is right."""
    live = draft.problems()
    if not person:
        live["person"] = NAME_NEEDED
    touched = set(state.get(TOUCHED) or ())
    tried = bool(state.get(TRIED))
    shown = {name: text for name, text in live.items() if tried or name in touched}
    return {**(state.get(NOTES) or {}), **(state.get(REFUSED) or {}), **shown}


def fit_to_widgets(state: MutableMapping[str, Any]) -> dict[str, str]:
    """Put back the default wherever the session holds a value the form's widgets cannot
    show (an earlier video's setting the model no longer offers, or anything else that
    wrote the session), and say so at the field: {field: message}.

    Call before the widgets are drawn. Left alone, such a value crashes the page (a word
    in the number box) or is changed without a word (6.5 seconds sent as 6, a prompt cut
    to the text box's limit); a whole number out of range is kept, for the rules to judge.
    """
    notes: dict[str, str] = {}
    fresh = defaults()
    for key in (PROMPT, LINKS, CAMPAIGN):
        # A lone surrogate (only a crafted request sends one) can't even be drawn in a
        # text box: dropped, as lib/text_fields drops it from what is kept.
        if isinstance(state.get(key), str) and _SURROGATE.search(state[key]):
            state[key] = _SURROGATE.sub("", state[key])

    def reset(key: str, param: str, message: str, now_shows: str) -> None:
        state[key] = fresh[key]
        notes[param] = f"{message} The form now shows {now_shows}."

    mode = state.get(MODE, fresh[MODE])
    if mode not in MODE_LABELS:
        choices = " or ".join(MODE_LABELS.values())
        reset(MODE, "action", f"Mode must be {choices}; you gave {shown(mode)}.", "Text to video")
    prompt = state.get(PROMPT, "")
    limit = SPEC.field_spec("prompt").max_length or 0
    if prompt is not None and not isinstance(prompt, str):
        reset(PROMPT, "prompt", _rule("prompt", prompt), "an empty prompt")
    elif prompt and len(prompt) > limit:
        state[PROMPT] = prompt[:limit]
        notes["prompt"] = (
            f"{_rule('prompt', prompt)} The form keeps the first {limit:,}: check how it ends."
        )
    for key, param in ((ASPECT_RATIO, "aspect_ratio"), (RESOLUTION, "resolution")):
        value = state.get(key, fresh[key])
        if value not in SPEC.field_spec(param).choices:
            reset(key, param, _rule(param, value), fresh[key])
    duration = state.get(DURATION, fresh[DURATION])
    if not _whole_number_box_can_show(duration):
        reset(DURATION, "duration", _rule("duration", duration), f"{fresh[DURATION]} seconds")
    campaign = state.get(CAMPAIGN)
    if campaign is not None and not isinstance(campaign, str):
        reset(
            CAMPAIGN,
            "campaign",
            f"Campaign or tag must be text; you gave {shown(campaign)}.",
            "no campaign",
        )
    links = state.get(LINKS, "")
    if links is not None and not isinstance(links, str):
        reset(
            LINKS,
            "image_urls",
            f"Picture links must be text, one a line; you gave {shown(links)}.",
            "no links",
        )
    kept = state.get(KEPT_IMAGES, [])
    if not isinstance(kept, list) or not all(_is_kept_image(item) for item in kept):
        reset(
            KEPT_IMAGES,
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


def _rule(param: str, value: Any) -> str:
    """The rules' own message for this field and value (one wording everywhere)."""
    body = {"model": SPEC.model_id, "prompt": "x", param: value}
    return next(p.message for p in check_request(body) if p.param == param)


@dataclass
class Draft:
    """What the form holds at one moment, before it is sent."""

    mode: str
    prompt: str
    aspect_ratio: str
    resolution: str
    duration: Any  # as typed: may be out of range, or not a whole number
    campaign: str
    links: list[str] = field(default_factory=list)
    images: list[tuple[str, str | None]] = field(default_factory=list)  # uploads + kept
    linked: dict[str, LinkedPicture] = field(default_factory=dict)  # links fetched so far

    def all_images(self) -> list[tuple[str, str | None]]:
        """Uploads and kept pictures, then the links: each as the studio's copy once it
        was fetched, as pasted until then."""
        pasted = [self.linked.get(link) for link in self.links]
        return [
            *self.images,
            *(
                (outcome.url, outcome.sha256) if outcome and outcome.kept else (link, None)
                for link, outcome in zip(self.links, pasted, strict=True)
            ),
        ]

    def request(self) -> dict[str, Any]:
        """The request body for the service (without callback details)."""
        body: dict[str, Any] = {
            "model": SPEC.model_id,
            "action": IMAGE_TO_VIDEO if self.mode == "image" else TEXT_TO_VIDEO,
            "prompt": self.prompt.strip(),
            "resolution": self.resolution,
            "duration": whole_number(self.duration),
        }
        if self.mode == "image":
            if self.all_images():  # none: the rule "image-to-video needs a picture" speaks
                body["image_urls"] = [url for url, _ in self.all_images()]
        else:
            body["aspect_ratio"] = self.aspect_ratio
        return body

    def problems(self) -> dict[str, str]:
        """One message per field (the first problem of each), keyed by request field.
        A pasted link gets what its fetch found, or, before that, what is known without
        fetching it (lib/engine/pictures.py fetches it)."""
        found: dict[str, str] = {}
        for problem in check_request(self.request()):
            found.setdefault(problem.param, _for_the_form(problem))
        for position, link in enumerate(self.links, start=len(self.images) + 1):
            outcome = self.linked.get(link)
            if outcome is not None and outcome.problem:
                message = outcome.message(position)
            elif outcome is None and (reason := picture_link_problem(link)):
                message = LinkedPicture(link, problem=reason).message(position)
            else:
                continue
            found.setdefault("image_urls", message)
        campaign = length_problem(CAMPAIGN_TEXT, clean(CAMPAIGN_TEXT, self.campaign))
        if campaign:
            found.setdefault("campaign", campaign)
        return found


def pasted_links(state: MutableMapping[str, Any]) -> PastedLinks:
    """This session's pasted links and what became of each (kept in the session)."""
    pasted = state.get(PASTED)
    if not isinstance(pasted, PastedLinks):
        pasted = state[PASTED] = PastedLinks()
    return pasted


def fetch_links(studio: Any, state: MutableMapping[str, Any], person: str | None) -> None:
    """Fetch the links now in the box that were not fetched yet (in the background)."""
    links = parse_links(state.get(LINKS) or "") if state.get(MODE) == "image" else []
    pasted_links(state).follow(studio, links, person or "")


def settle_links(studio: Any, state: MutableMapping[str, Any], person: str | None) -> None:
    """At the click: fetch links typed just before it, and wait for those under way."""
    fetch_links(studio, state, person)
    pasted_links(state).settle()


@dataclass(frozen=True)
class LinkReport:
    kept: list[str]  # the studio's copies of the links fetched and kept, in order
    problems: list[str]  # a message per link that can't be used, naming it
    fetching: int  # links still being fetched


def link_report(draft: Draft, first: int) -> LinkReport:
    """What became of the pasted links so far; the first link is picture number `first`."""
    kept, problems, fetching = [], [], 0
    for position, link in enumerate(draft.links, start=first):
        outcome = draft.linked.get(link)
        if outcome is None:
            fetching += 1
        elif outcome.kept:
            kept.append(outcome.url or "")
        else:
            problems.append(outcome.message(position))
    return LinkReport(kept, problems, fetching)


def draft_from(state: MutableMapping[str, Any]) -> Draft:
    """The form as the session holds it now (uploads already checked: `create.images`)."""
    values = {**defaults(), **{k: v for k, v in state.items() if k in defaults()}}
    image_mode = values[MODE] == "image"
    pasted = state.get(PASTED)
    return Draft(
        mode=values[MODE],
        prompt=values[PROMPT] or "",
        aspect_ratio=values[ASPECT_RATIO],
        resolution=values[RESOLUTION],
        duration=values[DURATION],
        campaign=values[CAMPAIGN] or "",
        links=parse_links(values[LINKS]) if image_mode else [],
        images=list(state.get("create.images", [])) if image_mode else [],
        linked=pasted.outcomes() if isinstance(pasted, PastedLinks) else {},
    )


def whole_number(value: Any) -> Any:
    """6.0 from a number box is 6; anything else is passed on for validation to judge."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse_links(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _for_the_form(problem: Problem) -> str:
    if problem.param == "image_urls" and "at least one" in problem.message:
        return "Add at least one picture: upload one or paste a link to a JPG, PNG or WEBP image."
    return problem.message


# digest of (person, request) -> (key, when last sent). Kept for the whole server process,
# not in the session: a reload or a second tab is a new session, and must not pay twice.
_recent_keys: dict[str, tuple[str, float]] = {}
_recent_lock = threading.Lock()


def submission_key(request: dict[str, Any], person: str | None) -> str:
    """The idempotency key for this click. The same person sending the same settings
    again within a few seconds (a double click, a rerun, a reload, a second tab) gets the
    same key, so they make one task."""
    sent = json.dumps([person or "", request], sort_keys=True)
    digest = hashlib.sha256(sent.encode()).hexdigest()
    now = time.monotonic()
    with _recent_lock:
        for old, (_, at) in list(_recent_keys.items()):
            if now - at > SAME_SUBMISSION_SECONDS:
                del _recent_keys[old]
        key, _ = _recent_keys.get(digest, (uuid.uuid4().hex, now))
        _recent_keys[digest] = (key, now)
    return key


@dataclass
class SubmitResult:
    task_id: str | None = None
    problems: dict[str, str] = field(default_factory=dict)  # field -> message
    notice: str | None = None  # a sentence for the whole form (money, access, network)
    duplicate: bool = False  # this click repeated one a moment ago: same task
    pending: bool = False  # no answer yet; the studio keeps trying with the same key
    refused: bool = False  # the problems are the service's, not the form's rules


def submit_draft(studio: Any, draft: Draft, person: str | None, key: str) -> SubmitResult:
    """Check, then send exactly once. Nothing is sent while any field has a problem."""
    from lib.engine.submissions import submit_video
    from lib.wave import AuthError, InsufficientBalance, WaveError
    from lib.wave import InvalidRequest as Refused

    for link in draft.links:  # not fetched in the background yet: fetched now
        if link not in draft.linked:
            draft.linked[link] = keep_link(studio, link, person or "")
    problems = draft.problems()
    if not person:
        problems["person"] = NAME_NEEDED
    if problems:
        return SubmitResult(problems=problems)
    try:
        outcome = submit_video(
            studio, draft.request(), person, draft.campaign, key, draft.all_images()
        )
    except Refused as exc:
        return SubmitResult(problems={exc.param or "form": str(exc)}, refused=True)
    except InsufficientBalance as exc:
        return SubmitResult(
            notice=f"There is not enough credit on the account for this video. {exc}"
        )
    except AuthError:
        return SubmitResult(
            notice="The video service did not accept the studio's access key. "
            "Please tell your administrator."
        )
    except WaveError as exc:
        return SubmitResult(notice=f"The video service could not take the request: {exc}")
    return SubmitResult(
        task_id=outcome.task.id, duplicate=not outcome.created, pending=outcome.pending
    )
