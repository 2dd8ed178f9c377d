"""Text that people type and the studio keeps: one set of rules, in one place, for every
text field, matching the database column that holds it (lib/store/schema.py takes its
lengths from here), so what passes is stored the same on SQLite and on PostgreSQL.

Cleaning is the same for every field, and never needs a message:
- characters no database or network can carry are removed: NUL (PostgreSQL refuses it),
  other control characters, and lone UTF-16 surrogates (they can't be encoded at all);
  one-line fields get spaces for line breaks and tabs;
- bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069)
  are removed: they make text show in another order than it is stored (a name or prompt
  that reads differently to everyone else). Right-to-left writing needs none of them, and
  the marks it does use (U+200E, U+200F) and joiners (emoji, Persian, Indic) stay;
- Unicode normalisation NFC, so the same words are stored and found the same way.
Text with nothing visible left (only spaces, zero-width or format characters) counts as
empty. Length is judged after cleaning; over the limit is refused with a message that
names the field (cutting would silently merge two campaigns, or lose a prompt's end).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from lib.domain.catalog import GROK_IMAGINE_VIDEO

# Control characters except tab and line breaks; DEL and the C1 block too.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\n\u2028\u2029]")
_ONE_LINE_SPACES = re.compile(r"\s+")
# What shows nothing on its own: separators, controls, format characters (zero-width
# space, joiners, marks, tags), combining marks with nothing to sit on, and the letters
# that fonts draw as blanks (Hangul fillers, the blank Braille cell).
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me", "Cs"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


@dataclass(frozen=True)
class TextField:
    label: str  # as the form names it
    max_length: int | None  # characters, after cleaning; None: no limit of its own
    multiline: bool = False
    param: str = ""  # the request or form field a message belongs to


PERSON = TextField("Your name", 120, param="person")
CAMPAIGN = TextField("Campaign or tag", 120, param="campaign")
# The model's own limit; the column is Text.
PROMPT = TextField(
    "Prompt", GROK_IMAGINE_VIDEO.field_spec("prompt").max_length, multiline=True, param="prompt"
)


# What the video service says, kept in the store: its task id (refused when it does not
# fit: an id cut short would name another task) and its error code (cut).
SERVICE_TASK_ID = TextField("Task id", 128)
SERVICE_ERROR_CODE = TextField("Error code", 64)


def clean_text(value: str | None, multiline: bool = False) -> str:
    """The text as it is kept (see the module's rules): stripped, and "" if nothing in it
    is visible."""
    text = _SURROGATES.sub("", value or "")
    text = unicodedata.normalize("NFC", text)
    text = _BIDI_CONTROLS.sub("", _CONTROLS.sub("", text))
    text = _LINE_BREAKS.sub("\n", text) if multiline else _ONE_LINE_SPACES.sub(" ", text)
    text = text.strip()
    return text if has_visible(text) else ""


def has_visible(text: str) -> bool:
    return any(
        unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ch not in _BLANK_LETTERS
        for ch in text
    )


def clean(field: TextField, value: str | None) -> str:
    return clean_text(value, field.multiline)


def length_problem(field: TextField, cleaned: str) -> str | None:
    """The message for text that is too long once cleaned, or None."""
    if field.max_length is not None and len(cleaned) > field.max_length:
        return (
            f"{field.label} is too long: {len(cleaned):,} characters, and the limit is "
            f"{field.max_length:,}."
        )
    return None


def fit(field: TextField, value: str | None) -> str:
    """Cleaned and cut to the limit: for text that comes from outside and is only shown
    (a name from a sign-on header), where refusing would leave nobody to tell."""
    text = clean(field, value)
    if field.max_length is not None and len(text) > field.max_length:
        text = text[: field.max_length].rstrip()
    return text
