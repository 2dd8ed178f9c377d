"""What the Create form holds at one moment, before it is sent: the request it makes, one
message per bad field, and the pasted links being fetched in the background."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from lib.create import keys
from lib.domain.catalog import IMAGE_TO_VIDEO, MODELS, TEXT_TO_VIDEO, ModelSpec
from lib.domain.kits import Kit, banned_problem
from lib.domain.text_fields import CAMPAIGN as CAMPAIGN_TEXT
from lib.domain.text_fields import PROMPT, clean, length_problem
from lib.domain.validation import Problem, check_request, picture_link_problem
from lib.engine.pictures import LinkedPicture, PastedLinks

NAME_NEEDED = "Enter your name in the sidebar, so your team knows whose video it is."


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
    touched = set(state.get(keys.TOUCHED) or ())
    tried = bool(state.get(keys.TRIED))
    shown = {name: text for name, text in live.items() if tried or name in touched}
    return {**(state.get(keys.NOTES) or {}), **(state.get(keys.REFUSED) or {}), **shown}


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
    model: str = field(default_factory=lambda: keys.first_model().model_id)
    # Issue 18: the brand kit (its words wrap the prompt, its banned words are refused)
    # and the recipe the form was started from; every take of a batch carries both.
    kit: Kit | None = None
    recipe: str | None = None

    @property
    def spec(self) -> ModelSpec:
        return MODELS.get(self.model) or keys.first_model()

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
        spec = self.spec
        # Today's models make image-to-video with `generate` and pictures; 1.0 has its own.
        image_action = IMAGE_TO_VIDEO if IMAGE_TO_VIDEO in spec.actions else TEXT_TO_VIDEO
        body: dict[str, Any] = {
            "model": spec.model_id,
            "action": image_action if self.mode == "image" else TEXT_TO_VIDEO,
            "prompt": self.kit.wrap(self.prompt) if self.kit else self.prompt.strip(),
            "resolution": self.resolution,
            "duration": whole_number(self.duration),
        }
        if self.mode == "image":
            if self.all_images():  # none: the rule "image-to-video needs a picture" speaks
                body["image_urls"] = [url for url, _ in self.all_images()]
            if spec.uses_ratio_with_pictures:  # the shape chosen, not the first picture's
                body["aspect_ratio"] = self.aspect_ratio
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
        if self.kit is not None:
            found = {**self._kit_problems(), **found}
            too_long = self._too_long_with_kit()
            if too_long:  # the plain message would count words the person did not type
                found["prompt"] = too_long
        return found

    def _too_long_with_kit(self) -> str | None:
        assert self.kit is not None
        limit = self.spec.field_spec("prompt").max_length
        whole = len(clean(PROMPT, self.kit.wrap(self.prompt)))
        if limit is None or whole <= limit:
            return None
        added = whole - len(clean(PROMPT, self.prompt))
        return (
            f"Prompt is too long with the brand kit “{self.kit.name}”: {whole:,} characters, "
            f"{added:,} of them the kit's words, and the limit is {limit:,}. "
            f"Shorten it by {whole - limit:,} characters."
        )

    def _kit_problems(self) -> dict[str, str]:
        """The kit's banned words in the person's prompt; and a text-to-video prompt is
        still the person's to write (the kit's words alone are not one)."""
        assert self.kit is not None
        banned = banned_problem(self.kit, self.prompt)
        if banned:
            return {"prompt": banned}
        if self.mode != "image" and not self.prompt.strip():
            own = check_request(replace(self, kit=None).request())
            return {p.param: p.message for p in own if p.param == "prompt"}
        return {}


def draft_from(state: MutableMapping[str, Any]) -> Draft:
    """The form as the session holds it now (uploads already checked: `keys.IMAGES`)."""
    values = {**keys.defaults(), **{k: v for k, v in state.items() if k in keys.defaults()}}
    image_mode = values[keys.MODE] == "image"
    pasted = state.get(keys.PASTED)
    return Draft(
        model=values[keys.MODEL],
        mode=values[keys.MODE],
        prompt=values[keys.PROMPT] or "",
        aspect_ratio=values[keys.ASPECT_RATIO],
        resolution=values[keys.RESOLUTION],
        duration=values[keys.DURATION],
        campaign=values[keys.CAMPAIGN] or "",
        links=parse_links(values[keys.LINKS]) if image_mode else [],
        images=list(state.get(keys.IMAGES, [])) if image_mode else [],
        linked=pasted.outcomes() if isinstance(pasted, PastedLinks) else {},
        kit=held_kit(state),
        recipe=state.get(keys.RECIPE) or None,
    )


def held_kit(state: MutableMapping[str, Any]) -> Kit | None:
    """The kit picked, as read from the store this run (None when none is picked)."""
    kit = state.get(keys.KIT_HELD)
    return kit if isinstance(kit, Kit) and kit.id == state.get(keys.KIT) else None


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
