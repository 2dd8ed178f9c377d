"""The Create form's session keys, each the home of one widget's value or of what the
form knows besides (History's "use these settings" writes them too), and their defaults."""

from __future__ import annotations

from typing import Any

from lib.domain.catalog import MODELS, ModelSpec

# Session keys of the form's widgets (History's "use these settings" writes them).
MODEL = "create.model"  # a model id of the catalog
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
CHECKED_UPLOADS = "create.checked_uploads"  # {file id: (url, sha256) or its message}
IMAGES = "create.images"  # the checked uploads and kept pictures, in order, this run
# Issue 18: the brand kit picked (its id: the picker's value), the kit itself as read
# from the store this run (what the Draft carries), what picking it filled in, and the
# recipe the form was started from.
KIT = "create.kit"
KIT_HELD = "create.kit_held"  # lib.domain.kits.Kit | None
KIT_SAID = "create.kit_said"  # [sentence]
RECIPE = "create.recipe"  # a recipe id, or None
RECIPE_SAID = "create.recipe_said"  # [sentence]: what using the recipe brought back, or not
# What the form knows besides its fields: which fields the person has changed, whether
# Generate was pressed, and the messages that hold until their field changes.
TOUCHED = "create.touched"  # {request field}
TRIED = "create.tried"  # Generate was pressed at least once
NOTES = "create.notes"  # {field: message}: a value the form put right itself
REFUSED = "create.refused"  # {field: message}: what the service refused at the last click
CHANGED = "create.changed"  # [sentence]: what switching the model changed in the form
# The request field each widget (session key) feeds, for its messages.
FIELD_OF_KEY = {
    MODEL: "model",
    MODE: "action",
    PROMPT: "prompt",
    ASPECT_RATIO: "aspect_ratio",
    RESOLUTION: "resolution",
    DURATION: "duration",
    CAMPAIGN: "campaign",
    LINKS: "image_urls",
    UPLOADS: "image_urls",
    KEPT_IMAGES: "image_urls",
    KIT: "kit",
}


# The form's length before a person types one: 6 s where the model makes it.
FORM_SECONDS = 6


def spec_of(state: Any) -> ModelSpec:
    """The chosen model's spec (the catalog's first before one is chosen)."""
    chosen = state.get(MODEL) if hasattr(state, "get") else None
    return MODELS.get(chosen) if isinstance(chosen, str) and chosen in MODELS else first_model()


def first_model() -> ModelSpec:
    return next(iter(MODELS.values()))


def form_seconds(spec: ModelSpec) -> int:
    return min(max(FORM_SECONDS, spec.min_duration), spec.max_duration)


def defaults(spec: ModelSpec | None = None) -> dict[str, Any]:
    """The form's values before anything is chosen, for this model (the catalog's first
    by default; Create passes the one the service offers, lib/engine/offer.py)."""
    spec = spec or first_model()
    return {
        MODEL: spec.model_id,
        MODE: "text",
        PROMPT: "",
        ASPECT_RATIO: spec.field_spec("aspect_ratio").default,
        RESOLUTION: spec.field_spec("resolution").default,
        DURATION: form_seconds(spec),
        CAMPAIGN: None,  # a selectbox: None is "nothing chosen" ("" is not one of its options)
        LINKS: "",
        KEPT_IMAGES: [],
    }


# ----- variations (issue 18: lib/create/variations.py): off, the form makes one video -----
VARY = "create.vary"  # the "Make variations" switch
VARY_RATIOS = "create.vary.ratios"  # [ratio]: empty keeps the form's shape
VARY_DURATIONS = "create.vary.durations"  # [seconds]: empty keeps the form's length
VARY_MODELS = "create.vary.models"  # [model id]: empty keeps the form's model
VARY_TAKES = "create.vary.takes"  # takes per combination
BATCH_RESULT = "create.batch_result"  # what the last "Make N takes" press did
