"""Brand kits' rules (issue 18): banned words whole-word, case- and accent-insensitive,
matched as plain text; the kit form's bad input refused with the field named."""

from __future__ import annotations

from lib.domain.kits import Kit, KitFields, banned_lines, banned_word_in, check_kit

KIT = Kit(
    id="k1", name="Acme", before="Acme style:", after="— acme.com", banned=("cheap", "free trial")
)


def test_banned_words_are_whole_words_whatever_the_case_and_accents():
    banned = ["café", "Free trial", "naïve"]
    assert banned_word_in("A CAFE at dawn", banned) == "café"
    assert banned_word_in("a cafeteria at dawn", banned) is None  # not inside a word
    assert banned_word_in("start your FREE   Trial today", banned) == "Free trial"
    assert banned_word_in("free trials", banned) is None
    assert banned_word_in("so NAIVE!", banned) == "naïve"
    assert banned_word_in("ﬁne cafés", ["fine"]) == "fine"  # compatibility forms fold too
    assert banned_word_in("nothing here", banned) is None


def test_a_banned_word_is_matched_as_plain_text_never_as_a_pattern():
    assert banned_word_in("a.b", ["a.b"]) == "a.b"
    assert banned_word_in("axb", ["a.b"]) is None  # the dot is a dot


def test_the_kit_wraps_the_prompt_and_names_the_banned_word():
    assert KIT.wrap("  a kite  ") == "Acme style: a kite — acme.com"
    assert KIT.banned_in("a Cheap kite") == "cheap"


def test_a_regex_or_empty_banned_word_is_refused_at_the_kit_form_naming_the_field():
    _, problems = check_kit(KitFields(name="Acme", banned=("fre+e",)))
    assert "Banned words" in problems["banned"] and "fre+e" in problems["banned"]
    assert "pattern" in problems["banned"]
    _, problems = check_kit(KitFields(name="Acme", banned=("ok", " — ")))
    assert problems["banned"].startswith("Banned words: entry 2 has no letters or digits")
    _, problems = check_kit(KitFields(name="Acme", banned=("",)))
    assert "entry 1" in problems["banned"]
    # Blank lines of the box are not entries.
    assert banned_lines("cheap\n\n  \nfree trial\n") == ("cheap", "free trial")


def test_the_kit_form_names_each_bad_field():
    _, problems = check_kit(KitFields(name="x" * 200))
    assert problems["name"] == "Kit name is too long: 200 characters, and the limit is 80."
    _, problems = check_kit(KitFields(name="   "))
    assert problems["name"].startswith("Kit name is required")
    _, problems = check_kit(KitFields(name="Acme", before="cheap shots", banned=("cheap",)))
    assert "own words" in problems["banned"]
    _, problems = check_kit(
        KitFields(name="Acme", model="grok-imagine-1.0-video", duration=99, resolution="4k")
    )
    assert set(problems) == {"duration", "resolution"}
    kept, problems = check_kit(KitFields(name=" Acme ", banned=("Cheap", "cheap", "CHÉAP")))
    assert not problems
    assert kept.name == "Acme" and kept.banned == ("Cheap",)  # once each
