"""Picking a brand kit on Create (issue 18): the kit is read from the store each run (the
Draft carries it: its words wrap the prompt, its banned words are refused), and picking
one fills the form with its defaults, as switching the model does."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from lib.create import form, keys
from lib.domain.catalog import MODELS
from lib.domain.kits import Kit


def hold_kit(studio: Any, state: MutableMapping[str, Any]) -> Kit | None:
    """Before the widgets are drawn: the kit picked, as the store has it now. A kit
    deleted meanwhile is unpicked, and the form says so."""
    kit_id = state.get(keys.KIT)
    kit = studio.store.get_kit(kit_id) if isinstance(kit_id, str) and kit_id else None
    if kit_id and kit is None:
        state[keys.KIT] = None
        state[keys.KIT_SAID] = ["The brand kit you had picked was deleted: none is used now."]
    state[keys.KIT_HELD] = kit
    return kit


def kit_pictures(studio: Any, kit: Kit) -> tuple[list[tuple[str, str]], list[str]]:
    """-> ((url, sha256) of the kit's pictures still kept, in order; a sentence per one
    that is gone)."""
    assets = studio.store.assets_by_sha(kit.pictures)
    kept = [(studio.asset_url(assets[sha]), sha) for sha in kit.pictures if sha in assets]
    gone = len(kit.pictures) - len(kept)
    said = [f"{gone} of the kit's pictures is no longer kept: add it again."] if gone else []
    return kept, said


def pick_kit(studio: Any, state: MutableMapping[str, Any]) -> None:
    """The kit picker's on_change: the kit's defaults fill the form (its model first, so
    the rest is fitted to it), its pictures come in first; what changed is said."""
    form.touch(state, keys.KIT)
    kit = hold_kit(studio, state)
    if kit is None:
        state[keys.KIT_SAID] = []
        return
    apply_kit(studio, state, kit)


def apply_kit(studio: Any, state: MutableMapping[str, Any], kit: Kit) -> None:
    said: list[str] = []
    defaults = kit.defaults()
    if defaults.get("model") in MODELS and defaults["model"] != state.get(keys.MODEL):
        state[keys.MODEL] = defaults["model"]
        said.append(f"model {MODELS[defaults['model']].display_name}")
    for key, name, words in (
        (keys.ASPECT_RATIO, "aspect_ratio", "shape"),
        (keys.RESOLUTION, "resolution", "resolution"),
        (keys.DURATION, "duration", "length"),
    ):
        if name in defaults and state.get(key) != defaults[name]:
            state[key] = defaults[name]
            said.append(f"{words} {defaults[name]}{' s' if name == 'duration' else ''}")
    pictures, gone = kit_pictures(studio, kit)
    if pictures:
        others = [item for item in state.get(keys.KEPT_IMAGES) or [] if item not in pictures]
        state[keys.KEPT_IMAGES] = [*pictures, *others]
        state[keys.MODE] = "image"
        said.append(f"{len(pictures)} reference picture{'s' if len(pictures) != 1 else ''}")
    head = [f"Brand kit “{kit.name}” set: {', '.join(said)}."] if said else []
    state[keys.KIT_SAID] = [*head, *gone]
