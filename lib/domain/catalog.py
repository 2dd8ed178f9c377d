"""The one description of the `grok-imagine-1.0-video` model.

Validation, pricing, the Create form and the embedded Wave API all read their rules
from here, so that a limit changes in one place only. Values follow
`shared/wave-api.md`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from lib.domain.statuses import SERVICE_STATUSES, TaskStatus

MODEL_ID = "grok-imagine-1.0-video"

TEXT_TO_VIDEO = "generate"
IMAGE_TO_VIDEO = "image2video"


# Callback event names; the contract also accepts two aliases (DECIDED in wave-api.md).
CALLBACK_EVENT_ALIASES = MappingProxyType(
    {"running": TaskStatus.PROCESSING, "succeeded": TaskStatus.COMPLETED}
)

# Reference-image formats, as Pillow names them, with the file extensions people know.
IMAGE_FORMATS = MappingProxyType({"JPEG": "jpg", "PNG": "png", "WEBP": "webp"})


@dataclass(frozen=True)
class FieldSpec:
    """One request field: its wire name, what a person calls it, and its rules."""

    name: str
    label: str
    kind: str  # "string", "integer", "string_list"
    help: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    max_items: int | None = None
    min_items: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    display_name: str
    fields: tuple[FieldSpec, ...]
    # Frame size (width, height) of the output for each (aspect ratio, resolution).
    frame_sizes: MappingProxyType
    usd_per_second: Decimal
    quota_per_usd: int
    link_ttl_seconds: int
    image_formats: MappingProxyType = field(default_factory=lambda: IMAGE_FORMATS)
    fps: int = 24

    def field_spec(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    def defaults(self) -> dict[str, Any]:
        return {s.name: s.default for s in self.fields if s.default is not None}

    # Shortcuts for the limits code reads most often.
    @property
    def aspect_ratios(self) -> tuple[str, ...]:
        return self.field_spec("aspect_ratio").choices

    @property
    def resolutions(self) -> tuple[str, ...]:
        return self.field_spec("resolution").choices

    @property
    def min_duration(self) -> int:
        return self.field_spec("duration").minimum  # type: ignore[return-value]

    @property
    def max_duration(self) -> int:
        return self.field_spec("duration").maximum  # type: ignore[return-value]

    @property
    def max_images(self) -> int:
        return self.field_spec("image_urls").max_items  # type: ignore[return-value]

    def short_side(self, resolution: str) -> int:
        """480 for 480p, 720 for 720p: image-to-video keeps this short side."""
        return int(resolution.rstrip("p"))

    def frame_size(self, aspect_ratio: str, resolution: str) -> tuple[int, int]:
        return self.frame_sizes[(aspect_ratio, resolution)]


_URL_MAX = 2048

GROK_IMAGINE_VIDEO = ModelSpec(
    model_id=MODEL_ID,
    display_name="Grok Imagine 1.0 video",
    fields=(
        FieldSpec(
            "model",
            "Model",
            "string",
            "The video model.",
            required=True,
            choices=(MODEL_ID,),
        ),
        FieldSpec(
            "action",
            "Mode",
            "string",
            "Text-to-video makes a video from words; image-to-video animates your pictures.",
            default=TEXT_TO_VIDEO,
            choices=(TEXT_TO_VIDEO, IMAGE_TO_VIDEO),
        ),
        FieldSpec(
            "prompt",
            "Prompt",
            "string",
            "Describe the scene, the style and the camera movement.",
            required=True,  # for text-to-video; optional guidance for image-to-video
            max_length=4000,
        ),
        FieldSpec(
            "aspect_ratio",
            "Aspect ratio",
            "string",
            "The shape of the video. With reference images, the first image decides it.",
            default="16:9",
            choices=("16:9", "9:16", "1:1", "3:2", "2:3"),
        ),
        FieldSpec(
            "resolution",
            "Resolution",
            "string",
            "480p is quicker to review; 720p is sharper. The price is the same.",
            default="480p",
            choices=("480p", "720p"),
        ),
        FieldSpec(
            "duration",
            "Duration (seconds)",
            "integer",
            "Any whole number of seconds from 6 to 30. You pay per second.",
            default=6,
            minimum=6,
            maximum=30,
        ),
        FieldSpec(
            "image_urls",
            "Reference images",
            "string_list",
            "Up to 7 JPG, PNG or WEBP images. The first one sets the video's shape.",
            min_items=1,
            max_items=7,
            max_length=_URL_MAX,
        ),
        FieldSpec(
            "callback_url",
            "Callback URL",
            "string",
            "Where the service reports that a video is finished.",
            max_length=_URL_MAX,
        ),
        FieldSpec(
            "callback_events",
            "Callback events",
            "string_list",
            "Which status changes are reported to the callback URL.",
            choices=(*SERVICE_STATUSES, *CALLBACK_EVENT_ALIASES),
            max_items=16,
        ),
    ),
    frame_sizes=MappingProxyType(
        {
            ("16:9", "480p"): (854, 480),
            ("16:9", "720p"): (1280, 720),
            ("9:16", "480p"): (480, 854),
            ("9:16", "720p"): (720, 1280),
            ("1:1", "480p"): (480, 480),
            ("1:1", "720p"): (720, 720),
            ("3:2", "480p"): (720, 480),
            ("3:2", "720p"): (1080, 720),
            ("2:3", "480p"): (480, 720),
            ("2:3", "720p"): (720, 1080),
        }
    ),
    usd_per_second=Decimal("0.0074375"),
    quota_per_usd=500_000,
    link_ttl_seconds=24 * 3600,
)

# The studio offers one model today; code asks for it by name so a second can follow.
MODELS = MappingProxyType({GROK_IMAGINE_VIDEO.model_id: GROK_IMAGINE_VIDEO})


def canonical_event(name: str) -> str:
    """`running` -> `processing`, `succeeded` -> `completed`, others unchanged."""
    return CALLBACK_EVENT_ALIASES.get(name, name)


# An image far wider or taller than a phone screen would make an absurd video; beyond
# these ratios (DECIDED here; the contract is silent) the frame is cropped to the limit.
MAX_IMAGE_RATIO = 21 / 9


def image_frame_size(image_width: int, image_height: int, resolution: str) -> tuple[int, int]:
    """Frame size of an image-to-video output: the first image's ratio, on the short side
    of the resolution (480 or 720), both sides even as H.264 wants."""
    short = GROK_IMAGINE_VIDEO.short_side(resolution)
    ratio = min(max(image_width / image_height, 1 / MAX_IMAGE_RATIO), MAX_IMAGE_RATIO)
    if ratio >= 1:
        return _even(short * ratio), short
    return short, _even(short / ratio)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)
