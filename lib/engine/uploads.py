"""Reference images people upload: checked and cleaned (lib.outside.pictures), kept once
by SHA-256 on disk and in the store, and served at `<public URL>/assets/<sha256>.<ext>`
so that the Wave service can fetch them (it accepts links, never uploads)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lib.domain.text_fields import PERSON, fit
from lib.outside.pictures import ImageFolder, ImageLimits, prepare_image
from lib.store.schema import Asset

if TYPE_CHECKING:
    from lib.engine.runtime import Studio


DEFAULT_LIMITS = ImageLimits()


def store_reference_image(
    studio: Studio,
    data: bytes,
    filename: str,
    person: str,
    limits: ImageLimits = DEFAULT_LIMITS,
    label: str | None = None,
) -> tuple[Asset, str]:
    """-> (the stored asset, its public URL). Raises ImageRejected with a message for people
    (`label` names a picture that came from a link, see prepare_image)."""
    prepared = prepare_image(data, filename, limits, label)
    ImageFolder(studio.config.assets_dir).save(prepared)  # the file first: a row never lacks it
    asset = studio.store.add_asset(
        Asset(
            sha256=prepared.sha256,
            ext=prepared.ext,
            mime=prepared.mime,
            width=prepared.width,
            height=prepared.height,
            size_bytes=len(prepared.data),
            original_name=prepared.original_name,
            uploaded_by=fit(PERSON, person),
            created_at=datetime.now(UTC),
        )
    )
    return asset, studio.asset_url(asset)
