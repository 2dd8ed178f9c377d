"""Brand kits as admins keep them (issue 18): made, changed and deleted by admins only,
checked here on the server whatever the page shows, every change and refusal in the
audit log. The kit's rules are lib/domain/kits.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib.domain.access import Actor, NotAllowed, check_admin
from lib.domain.kits import Kit, KitFields, check_kit
from lib.engine.pictures import store_reference_image
from lib.outside.pictures import ImageRejected
from lib.store.kits import KitNameTaken
from lib.store.tasks import Store

ONLY_ADMINS_KITS = "Only admins can make, change or delete brand kits."


@dataclass(frozen=True)
class KitSaved:
    kit: Kit | None = None
    problems: dict[str, str] = field(default_factory=dict)  # field -> message
    refusal: str | None = None  # not this person's to do


def _by(actor: Actor) -> tuple[str | None, str]:
    return actor.account_id, actor.name


def _admin(store: Store, actor: Actor | None, action: str) -> str | None:
    try:
        check_admin(actor, action, ONLY_ADMINS_KITS)
    except NotAllowed as refusal:
        store.audit_refused(actor, action, str(refusal))
        return str(refusal)
    return None


def save_kit(store: Store, actor: Actor | None, kit_id: str | None, fields: KitFields) -> KitSaved:
    """Make (kit_id None) or change a kit: admins only; nothing is kept while any field
    has a problem."""
    refusal = _admin(store, actor, "kit.create" if kit_id is None else "kit.change")
    if refusal:
        return KitSaved(refusal=refusal)
    assert actor is not None
    kept, problems = check_kit(fields)
    known = store.assets_by_sha(kept.pictures)
    if any(sha not in known for sha in kept.pictures):
        problems.setdefault("pictures", "Reference pictures: one of them is no longer kept.")
    if kit_id is not None and store.get_kit(kit_id) is None:
        problems.setdefault("form", "This kit was deleted meanwhile: make it again.")
    if problems:
        return KitSaved(problems=problems)
    try:
        return KitSaved(kit=store.save_kit(kit_id, kept, _by(actor), datetime.now(UTC)))
    except KitNameTaken:
        return KitSaved(
            problems={"name": f"Kit name: there is already a kit called “{kept.name}”."}
        )


def delete_kit(store: Store, actor: Actor | None, kit_id: str) -> str | None:
    """-> None when done, else why not. Videos made with it keep its name."""
    refusal = _admin(store, actor, "kit.delete")
    if refusal:
        return refusal
    assert actor is not None
    if store.delete_kit(kit_id, _by(actor), datetime.now(UTC)) is None:
        return "This kit was already deleted."
    return None


def keep_kit_picture(
    studio: Any, actor: Actor | None, data: bytes, filename: str
) -> tuple[str | None, str | None]:
    """An admin's upload for a kit, checked and kept like every reference picture.
    -> (its sha256, None) or (None, the message)."""
    refusal = _admin(studio.store, actor, "kit.change")
    if refusal:
        return None, refusal
    assert actor is not None
    try:
        asset, _ = store_reference_image(studio, data, filename, actor)
    except ImageRejected as exc:
        return None, str(exc)
    return asset.sha256, None
