"""The Create form's logic, kept out of the page so it can be tested without a browser:
its fields and their session keys, turning what was entered into a request, one message
per bad field, and prefilling it from an earlier video ("use these settings")."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from lib.catalog import GROK_IMAGINE_VIDEO, IMAGE_TO_VIDEO, TEXT_TO_VIDEO
from lib.validation import Problem, check_request

SPEC = GROK_IMAGINE_VIDEO
# Session keys of the form's widgets (History's "use these settings" writes them).
MODE = "create.mode"  # "text" or "image"
PROMPT = "create.prompt"
ASPECT_RATIO = "create.aspect_ratio"
RESOLUTION = "create.resolution"
DURATION = "create.duration"
CAMPAIGN = "create.campaign"
LINKS = "create.links"  # pasted image links, one a line
KEPT_IMAGES = "create.kept_images"  # [(url, asset sha256 or None)] from an earlier video
UPLOADS = "create.uploads"
MODE_LABELS = {"text": "Text to video", "image": "Image to video"}
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

    def all_images(self) -> list[tuple[str, str | None]]:
        return [*self.images, *((url, None) for url in self.links)]

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
        """One message per field (the first problem of each), keyed by request field."""
        found: dict[str, str] = {}
        for problem in check_request(self.request()):
            found.setdefault(problem.param, _for_the_form(problem))
        return found


def draft_from(state: MutableMapping[str, Any]) -> Draft:
    """The form as the session holds it now (uploads already checked: `create.images`)."""
    values = {**defaults(), **{k: v for k, v in state.items() if k in defaults()}}
    image_mode = values[MODE] == "image"
    return Draft(
        mode=values[MODE],
        prompt=values[PROMPT] or "",
        aspect_ratio=values[ASPECT_RATIO],
        resolution=values[RESOLUTION],
        duration=values[DURATION],
        campaign=values[CAMPAIGN] or "",
        links=parse_links(values[LINKS]) if image_mode else [],
        images=list(state.get("create.images", [])) if image_mode else [],
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


def submission_key(state: MutableMapping[str, Any], request: dict[str, Any]) -> str:
    """The idempotency key for this click. The same settings sent again within a few
    seconds (a double click, a rerun) get the same key, so they make one task."""
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    recent: dict[str, tuple[str, float]] = state.setdefault("create.recent_keys", {})
    now = time.monotonic()
    key, at = recent.get(digest, ("", 0.0))
    if not key or now - at > SAME_SUBMISSION_SECONDS:
        key = uuid.uuid4().hex
    recent[digest] = (key, now)
    return key


@dataclass
class SubmitResult:
    task_id: str | None = None
    problems: dict[str, str] = field(default_factory=dict)  # field -> message
    notice: str | None = None  # a sentence for the whole form (money, access, network)
    duplicate: bool = False  # this click repeated one a moment ago: same task
    pending: bool = False  # no answer yet; the studio keeps trying with the same key


def submit_draft(studio: Any, draft: Draft, person: str | None, key: str) -> SubmitResult:
    """Check, then send exactly once. Nothing is sent while any field has a problem."""
    from lib.submissions import submit_video
    from lib.wave import AuthError, InsufficientBalance, WaveError
    from lib.wave import InvalidRequest as Refused

    problems = draft.problems()
    if not person:
        problems["person"] = "Enter your name in the sidebar, so your team knows whose video it is."
    if problems:
        return SubmitResult(problems=problems)
    try:
        outcome = submit_video(
            studio, draft.request(), person, draft.campaign, key, draft.all_images()
        )
    except Refused as exc:
        return SubmitResult(problems={exc.param or "form": str(exc)})
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
