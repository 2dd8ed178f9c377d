"""The Create form's session keys, each the home of one widget's value or of what the
form knows besides (History's "use these settings" writes them too), and their defaults."""

from __future__ import annotations

from typing import Any

from lib.domain.catalog import GROK_IMAGINE_VIDEO as SPEC

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
CHECKED_UPLOADS = "create.checked_uploads"  # {file id: (url, sha256) or its message}
IMAGES = "create.images"  # the checked uploads and kept pictures, in order, this run
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
