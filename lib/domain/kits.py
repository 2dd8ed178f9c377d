"""Brand kits (issue 18): words added before and after every prompt, banned words and
phrases, default settings and reference pictures, as one value the Create form's Draft
carries (so every take of a batch gets it). Pure: the store keeps kits, lib/team checks
who may change them.

Banned words are matched as plain text, whole words only, whatever the case and the
accents ("Cafe" bans "CAFÉ" and "café", not "cafeteria"). A banned word that looks like
a pattern (`fre+e`, `a|b`) is refused when the kit is saved, with a message saying so:
it is never run as a pattern, and refusing says so rather than banning a string nobody
will type."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from lib.domain.catalog import MODELS
from lib.domain.text_fields import TextField, clean, length_problem

KIT_NAME = TextField("Kit name", 80, param="name")
KIT_WORDS = TextField("Words", 500, multiline=True, param="words")  # before/after each
BANNED_WORD = TextField("Banned word", 80, param="banned")
MAX_BANNED = 200
MAX_KIT_PICTURES = 7
# The characters a pattern is written with: a banned word holding one is refused.
PATTERN_CHARACTERS = frozenset("\\^$*+?{}[]|()")


@dataclass(frozen=True)
class Kit:
    """A brand kit as a take uses it (a copy: the store keeps the kit itself)."""

    id: str
    name: str
    before: str = ""
    after: str = ""
    banned: tuple[str, ...] = ()
    model: str | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    duration: int | None = None
    pictures: tuple[str, ...] = field(default=())  # asset sha256s, in order

    def wrap(self, prompt: str) -> str:
        """The prompt with the kit's words before and after it."""
        return " ".join(part for part in (self.before, prompt.strip(), self.after) if part)

    def banned_in(self, text: str) -> str | None:
        """The first banned word or phrase the text holds (as the kit spells it), or None."""
        return banned_word_in(text, self.banned)

    def defaults(self) -> dict[str, Any]:
        """The settings the kit sets, by request field (only those it sets)."""
        chosen = {
            "model": self.model,
            "aspect_ratio": self.aspect_ratio,
            "resolution": self.resolution,
            "duration": self.duration,
        }
        return {name: value for name, value in chosen.items() if value is not None}


def folded(text: str) -> str:
    """Text as banned words are compared: without accents (NFKD, combining marks
    dropped), case-folded."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold()


def _whole_word(word: str) -> re.Pattern[str]:
    """The word as literal text (spaces inside a phrase: any run of spaces), not touching
    a letter or digit on either side."""
    parts = [re.escape(part) for part in folded(word).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)")


def banned_word_in(text: str, banned: tuple[str, ...] | list[str]) -> str | None:
    haystack = folded(text)
    for word in banned:
        if word.strip() and _whole_word(word).search(haystack):
            return word
    return None


def banned_problem(kit: Kit, prompt: str) -> str | None:
    """The prompt field's message when the prompt holds one of the kit's banned words."""
    word = kit.banned_in(prompt)
    if word is None:
        return None
    return (
        f"The prompt uses “{word}”, which the brand kit “{kit.name}” does not allow. "
        "Reword it, or pick another kit."
    )


# ----- the kit form's rules ---------------------------------------------------------------
@dataclass(frozen=True)
class KitFields:
    """What an admin typed for a kit, before it is checked."""

    name: str
    before: str = ""
    after: str = ""
    banned: tuple[str, ...] = ()  # one entry per word or phrase (blank lines dropped)
    model: str | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    duration: int | None = None
    pictures: tuple[str, ...] = ()


def banned_lines(text: str) -> tuple[str, ...]:
    """The banned-words box: one word or phrase a line; blank lines are not entries."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def check_kit(fields: KitFields) -> tuple[KitFields, dict[str, str]]:
    """The kit as it is kept (text cleaned), and one message per bad field: name, words
    before/after, banned words, pictures. Nothing is kept while there is one."""
    problems: dict[str, str] = {}
    name = clean(KIT_NAME, fields.name)
    if not name:
        problems["name"] = "Kit name is required: give the kit a name people will recognise."
    elif too_long := length_problem(KIT_NAME, name):
        problems["name"] = too_long
    before = clean(KIT_WORDS, fields.before)
    after = clean(KIT_WORDS, fields.after)
    for param, label, text in (("before", "Words before", before), ("after", "Words after", after)):
        if len(text) > (KIT_WORDS.max_length or 0):
            problems[param] = (
                f"{label} is too long: {len(text):,} characters, and the limit is "
                f"{KIT_WORDS.max_length:,}."
            )
    banned: list[str] = []
    for position, entry in enumerate(fields.banned, start=1):
        word = clean(BANNED_WORD, entry)
        problem = _banned_entry_problem(word, position)
        if problem:
            problems.setdefault("banned", problem)
        elif folded(word) not in {folded(w) for w in banned}:
            banned.append(word)
    if len(banned) > MAX_BANNED:
        problems.setdefault(
            "banned", f"Banned words: {len(banned):,} entries, and the limit is {MAX_BANNED}."
        )
    own = banned_word_in(f"{before}\n{after}", banned)
    if own and "banned" not in problems:
        problems["banned"] = (
            f"Banned words: “{own}” is in the kit's own words before or after the prompt; "
            "take it out of one of them."
        )
    problems.update(_settings_problems(fields))
    if len(fields.pictures) > MAX_KIT_PICTURES:
        problems["pictures"] = (
            f"Reference pictures: {len(fields.pictures)} given, and a kit holds up to "
            f"{MAX_KIT_PICTURES}."
        )
    kept = KitFields(
        name=name,
        before=before,
        after=after,
        banned=tuple(banned),
        model=fields.model or None,
        aspect_ratio=fields.aspect_ratio or None,
        resolution=fields.resolution or None,
        duration=fields.duration,
        pictures=tuple(dict.fromkeys(fields.pictures)),
    )
    return kept, problems


def _settings_problems(fields: KitFields) -> dict[str, str]:
    """The default settings must be ones the default model makes (any model: each of
    its own choices is checked when it is picked)."""
    if not fields.model:
        return {}
    spec = MODELS.get(fields.model)
    if spec is None:
        return {"model": f"Default model must be one of the studio's models; not {fields.model}."}
    problems = {}
    if fields.aspect_ratio and fields.aspect_ratio not in spec.aspect_ratios:
        problems["aspect_ratio"] = (
            f"Default shape: {spec.display_name} makes {', '.join(spec.aspect_ratios)}."
        )
    if fields.resolution and fields.resolution not in spec.resolutions:
        problems["resolution"] = (
            f"Default resolution: {spec.display_name} makes {', '.join(spec.resolutions)}."
        )
    if fields.duration is not None and not (
        spec.min_duration <= fields.duration <= spec.max_duration
    ):
        problems["duration"] = (
            f"Default length: {spec.display_name} makes {spec.min_duration} to "
            f"{spec.max_duration} seconds."
        )
    return problems


def _banned_entry_problem(word: str, position: int) -> str | None:
    if not word or not any(ch.isalnum() for ch in word):
        return (
            f"Banned words: entry {position} has no letters or digits; write one word or "
            "phrase a line."
        )
    if too_long := length_problem(BANNED_WORD, word):
        return f"Banned words: entry {position}: {too_long}"
    signs = sorted({ch for ch in word if ch in PATTERN_CHARACTERS})
    if signs:
        return (
            f"Banned words: “{word}” looks like a pattern ({' '.join(signs)}). Banned words "
            "are matched as plain whole words, whatever the case and accents: write the "
            "word or phrase itself, one a line."
        )
    return None
