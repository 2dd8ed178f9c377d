"""The one description of every video model the studio knows (the Grok Imagine line).

Validation, pricing, the Create form, Costs and the embedded Wave API all read their
rules from here, so that a limit or a price changes in one place only. Values follow
the Models section of `shared/wave-api.md`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from lib.domain.frames import AUTO_RATIO, AUTO_RENDERS_AS, FRAME_SIZES, short_side
from lib.domain.statuses import SERVICE_STATUSES, TaskStatus

MODEL_ID = "grok-imagine-1.0-video"

TEXT_TO_VIDEO = "generate"
IMAGE_TO_VIDEO = "image2video"
EDIT = "edit"  # restyle one source video (grok-imagine-video only)


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
    """One video model: what it takes, what it makes, what it costs, and how a marketer
    would describe it."""

    model_id: str
    display_name: str  # the marketer's name for it (cards, Costs, the picker)
    good_for: str  # what it is good for, in plain words
    fields: tuple[FieldSpec, ...]
    # USD per second of output video, by resolution.
    usd_per_second: MappingProxyType
    quota_per_usd: int
    link_ttl_seconds: int
    usd_per_picture: Decimal = Decimal(0)
    # With pictures: "ignored" (the first picture decides the shape) or "used".
    ratio_with_pictures: str = "ignored"
    # `duration` must be sent for a generate task (no default).
    duration_required: bool = False
    # `edit` (restyle a video): USD per second of the source, and its limits.
    usd_per_source_second: Decimal = Decimal(0)
    max_source_seconds: Decimal = Decimal(0)
    max_edit_resolution: str = ""
    # The model the service recommends instead, when this one is no longer offered.
    replacement: str | None = None
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
    def actions(self) -> tuple[str, ...]:
        return self.field_spec("action").choices

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

    @property
    def makes_image_to_video(self) -> bool:
        return "image_urls" in self.field_names

    @property
    def edits(self) -> bool:
        return EDIT in self.actions

    @property
    def uses_ratio_with_pictures(self) -> bool:
        return self.ratio_with_pictures == "used"

    def short_side(self, resolution: str) -> int:
        """480 for 480p, 720 for 720p, 1080 for 1080p: pictures keep this short side."""
        return short_side(resolution)

    def frame_size(self, aspect_ratio: str, resolution: str) -> tuple[int, int]:
        """The output's frame for a ratio this model offers (`auto` renders 16:9, DECIDED)."""
        ratio = AUTO_RENDERS_AS if aspect_ratio == AUTO_RATIO else aspect_ratio
        return FRAME_SIZES[(ratio, resolution)]

    @property
    def frame_sizes(self) -> MappingProxyType:
        """{(ratio, resolution): (width, height)} for every pair this model makes."""
        return MappingProxyType(
            {
                (ratio, res): FRAME_SIZES[(ratio, res)]
                for ratio in self.aspect_ratios
                if ratio != AUTO_RATIO
                for res in self.resolutions
            }
        )

    def rate(self, resolution: str) -> Decimal:
        """USD per second of video at this resolution."""
        return self.usd_per_second[resolution]

    @property
    def flat_rate(self) -> bool:
        """One price per second whatever the resolution."""
        return len(set(self.usd_per_second.values())) == 1


_URL_MAX = 2048
TEXT_TO_VIDEO_HELP = (
    "Text-to-video makes a video from words; image-to-video animates your pictures."
)


def _fields(
    model_id: str,
    actions: tuple[str, ...],
    ratios: tuple[str, ...],
    ratio_default: str,
    ratio_help: str,
    resolutions: tuple[str, ...],
    resolution_help: str,
    durations: tuple[int, int],
    duration_default: int | None,
    duration_help: str,
    max_pictures: int,
    picture_help: str,
) -> tuple[FieldSpec, ...]:
    """The request fields of one model; every model shares the wire names."""
    low, high = durations
    specs = [
        FieldSpec(
            "model", "Model", "string", "The video model.", required=True, choices=(model_id,)
        ),
        FieldSpec(
            "action", "Mode", "string", TEXT_TO_VIDEO_HELP, default=TEXT_TO_VIDEO, choices=actions
        ),
        FieldSpec(
            "prompt",
            "Prompt",
            "string",
            "Describe the scene, the style and the camera movement.",
            required=True,  # for text-to-video and edit; optional guidance with pictures
            max_length=4000,
        ),
        FieldSpec(
            "aspect_ratio",
            "Aspect ratio",
            "string",
            ratio_help,
            default=ratio_default,
            choices=ratios,
        ),
        FieldSpec(
            "resolution",
            "Resolution",
            "string",
            resolution_help,
            default="480p",
            choices=resolutions,
        ),
        FieldSpec(
            "duration",
            "Duration (seconds)",
            "integer",
            duration_help,
            default=duration_default,
            minimum=low,
            maximum=high,
        ),
        FieldSpec(
            "image_urls",
            "Reference images",
            "string_list",
            picture_help,
            min_items=1,
            max_items=max_pictures,
            max_length=_URL_MAX,
        ),
    ]
    if EDIT in actions:
        specs.append(
            FieldSpec(
                "video_urls",
                "Source video",
                "string_list",
                "One public MP4 link of at most 8.7 seconds, to restyle.",
                min_items=1,
                max_items=1,
                max_length=_URL_MAX,
            )
        )
    specs += [
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
    ]
    return tuple(specs)


QUOTA_PER_USD = 500_000  # the API's money unit: 500,000 quota = 1 USD
_DAY = 24 * 3600
_CLASSIC_RATIOS = ("16:9", "9:16", "1:1", "3:2", "2:3")
_ALL_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
_FIRST_PICTURE_DECIDES = "The shape of the video. With pictures, the first picture decides it."
_RATIO_USED = "The shape of the video, with or without pictures."

GROK_IMAGINE_VIDEO = ModelSpec(
    model_id=MODEL_ID,
    display_name="Grok Imagine 1.0",
    good_for="The original model: long videos up to 30 s at one low price per second, "
    "480p or 720p. Retired by the online service; kept for the practice service.",
    fields=_fields(
        MODEL_ID,
        (TEXT_TO_VIDEO, IMAGE_TO_VIDEO),
        _CLASSIC_RATIOS,
        "16:9",
        _FIRST_PICTURE_DECIDES,
        ("480p", "720p"),
        "480p is quicker to review; 720p is sharper. The price is the same.",
        (6, 30),
        6,
        "Any whole number of seconds from 6 to 30. You pay per second.",
        7,
        "Up to 7 JPG, PNG or WEBP images. The first one sets the video's shape.",
    ),
    usd_per_second=MappingProxyType({"480p": Decimal("0.0074375"), "720p": Decimal("0.0074375")}),
    quota_per_usd=QUOTA_PER_USD,
    link_ttl_seconds=_DAY,
    replacement="grok-imagine-video-1.5-rev",
)

GROK_IMAGINE_15_REV = ModelSpec(
    model_id="grok-imagine-video-1.5-rev",
    display_name="Grok Imagine 1.5 Economy",
    good_for="Everyday drafts and social clips at the lowest price of today's models: "
    "6 to 15 s, 480p or 720p, up to 7 pictures at no extra cost.",
    fields=_fields(
        "grok-imagine-video-1.5-rev",
        (TEXT_TO_VIDEO,),
        _CLASSIC_RATIOS,
        "16:9",
        _FIRST_PICTURE_DECIDES,
        ("480p", "720p"),
        "480p is cheaper and quicker to review; 720p is sharper.",
        (6, 15),
        None,
        "Any whole number of seconds from 6 to 15. You pay per second.",
        7,
        "Up to 7 JPG, PNG or WEBP images, free. The first one sets the video's shape.",
    ),
    usd_per_second=MappingProxyType({"480p": Decimal("0.01148"), "720p": Decimal("0.02151")}),
    quota_per_usd=QUOTA_PER_USD,
    link_ttl_seconds=7 * _DAY,
    duration_required=True,
)

GROK_IMAGINE_OFFICIAL = ModelSpec(
    model_id="grok-imagine-video",
    display_name="Grok Imagine (official)",
    good_for="xAI's own model: short clips from 1 s, every shape including 4:3 and 3:4, "
    "pictures keep the shape you pick; can also restyle a short video.",
    fields=_fields(
        "grok-imagine-video",
        (TEXT_TO_VIDEO, EDIT),
        _ALL_RATIOS,
        "16:9",
        _RATIO_USED,
        ("480p", "720p"),
        "480p is cheaper and quicker to review; 720p is sharper.",
        (1, 15),
        None,
        "Any whole number of seconds from 1 to 15. You pay per second.",
        7,
        "Up to 7 JPG, PNG or WEBP images, each with a small fee. The shape is the one you pick.",
    ),
    usd_per_second=MappingProxyType({"480p": Decimal("0.045"), "720p": Decimal("0.063")}),
    quota_per_usd=QUOTA_PER_USD,
    link_ttl_seconds=7 * _DAY,
    usd_per_picture=Decimal("0.009"),
    ratio_with_pictures="used",
    duration_required=True,
    usd_per_source_second=Decimal("0.02"),
    max_source_seconds=Decimal("8.7"),
    max_edit_resolution="720p",
)

GROK_IMAGINE_15 = ModelSpec(
    model_id="grok-imagine-video-1.5",
    display_name="Grok Imagine 1.5 (official, Full HD)",
    good_for="The sharpest videos, up to 1080p, for ads and landing pages: 1 to 15 s, "
    "every shape or automatic; the highest price per second.",
    fields=_fields(
        "grok-imagine-video-1.5",
        (TEXT_TO_VIDEO,),
        (AUTO_RATIO, *_ALL_RATIOS),
        AUTO_RATIO,
        "The shape of the video; automatic lets the model choose (not with pictures).",
        ("480p", "720p", "1080p"),
        "480p is cheapest; 1080p (Full HD) is the sharpest and costs the most.",
        (1, 15),
        None,
        "Any whole number of seconds from 1 to 15. You pay per second.",
        7,
        "Up to 7 JPG, PNG or WEBP images, each with a small fee. The shape is the one you pick.",
    ),
    usd_per_second=MappingProxyType(
        {"480p": Decimal("0.072"), "720p": Decimal("0.126"), "1080p": Decimal("0.225")}
    ),
    quota_per_usd=QUOTA_PER_USD,
    link_ttl_seconds=7 * _DAY,
    usd_per_picture=Decimal("0.009"),
    ratio_with_pictures="used",
    duration_required=True,
)

# Every model the studio knows, in the order the Create page lists them.
MODELS = MappingProxyType(
    {
        spec.model_id: spec
        for spec in (
            GROK_IMAGINE_VIDEO,
            GROK_IMAGINE_15_REV,
            GROK_IMAGINE_OFFICIAL,
            GROK_IMAGINE_15,
        )
    }
)
# The service's own advice when the 1.0 model is gone (wave-api.md, Models).
RECOMMENDED = GROK_IMAGINE_15_REV.model_id
# Every length any model makes (the renderer's bounds).
ALL_DURATIONS = (
    min(m.min_duration for m in MODELS.values()),
    max(m.max_duration for m in MODELS.values()),
)


def model_spec(model_id: str | None) -> ModelSpec | None:
    """The catalog's model of this id, or None (an id the studio does not know)."""
    return MODELS.get(model_id) if isinstance(model_id, str) else None


def display_name(model_id: str | None) -> str:
    """The marketer's name of a model; an unknown id is shown as it is."""
    spec = model_spec(model_id)
    return spec.display_name if spec else str(model_id or "unknown model")


def closest_model(
    model_id: str | None, offered: Iterable[str], image_mode: bool = False
) -> ModelSpec | None:
    """The offered model nearest to this one: the service's own advice first, then one
    that makes the same mode, then the nearest price per second (at the lowest
    resolution) and limits."""
    choices = [MODELS[m] for m in offered if m in MODELS and m != model_id]
    if image_mode:
        choices = [m for m in choices if m.makes_image_to_video]
    if not choices:
        return None
    spec = model_spec(model_id)
    if spec is None:
        return choices[0]
    if spec.replacement and any(m.model_id == spec.replacement for m in choices):
        return MODELS[spec.replacement]

    def distance(other: ModelSpec) -> tuple:
        price = abs(other.rate(other.resolutions[0]) - spec.rate(spec.resolutions[0]))
        lengths = abs(other.max_duration - spec.max_duration)
        return (price, lengths, other.model_id)

    return min(choices, key=distance)


def canonical_event(name: str) -> str:
    """`running` -> `processing`, `succeeded` -> `completed`, others unchanged."""
    return CALLBACK_EVENT_ALIASES.get(name, name)
