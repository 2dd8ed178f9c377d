"""Variations, pure: how one Create form becomes many takes (issue 18).

The prompt box, with variations on, holds one prompt per line; a line may offer
alternatives in braces, `a {red|blue} car`, each making its own take (several groups on
one line multiply). Braces do not nest: `{a|{b|c}}` is refused, as is a brace never
opened or never closed, with the line named, because a guess could send (and charge)
takes nobody meant. A `|` outside braces is plain text.

A batch is the product of the prompts, shapes, lengths, models and takes per
combination; it can have at most MAX_TAKES takes, counted before anything is expanded
(so 10,000 is refused at once, whole)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from lib.domain.budgets import Cap, OverBudget
from lib.domain.money import format_usd, quota_to_usd

MAX_TAKES = 100  # per batch: a bigger one is refused whole, with this number


class VariationProblem(ValueError):
    """A variation that can't be made, with the field it is about (`param`)."""

    def __init__(self, param: str, message: str):
        self.param = param
        super().__init__(message)


@dataclass(frozen=True)
class PromptLine:
    number: int  # in the box, from 1
    parts: tuple[tuple[str, ...], ...]  # each part: its alternatives (plain text: one)

    @property
    def count(self) -> int:
        return math.prod(len(part) for part in self.parts)

    def expand(self) -> list[str]:
        # An empty alternative ("a {|big} car") leaves no double space behind.
        return [" ".join("".join(chosen).split()) for chosen in itertools.product(*self.parts)]


def parse_line(text: str, number: int) -> PromptLine:
    """One line of the prompt box, its `{a|b}` groups found. Raises VariationProblem."""
    parts: list[tuple[str, ...]] = []
    plain = ""
    group: str | None = None  # the text of the open group, None outside one
    for char in text:
        if char == "{":
            if group is not None:
                raise VariationProblem(
                    "prompt",
                    f"Prompt line {number}: alternatives in braces cannot be nested "
                    "(a “{” inside another). Write each choice out in one group, "
                    "like {red car|blue car|green bike}.",
                )
            parts.append((plain,))
            plain, group = "", ""
        elif char == "}":
            if group is None:
                raise VariationProblem(
                    "prompt",
                    f"Prompt line {number} has a “}}” that no “{{” opened. Alternatives "
                    "are written in braces, like {red|blue}.",
                )
            parts.append(tuple(group.split("|")))
            group = None
        elif group is not None:
            group += char
        else:
            plain += char
    if group is not None:
        raise VariationProblem(
            "prompt",
            f"Prompt line {number} has a “{{” that is never closed. Alternatives are "
            "written in braces, like {red|blue}.",
        )
    parts.append((plain,))
    return PromptLine(number, tuple(parts))


def prompt_lines(text: str) -> list[PromptLine]:
    """Each non-empty line of the box; an empty box is one empty prompt (image-to-video
    may have none: the form's own rule says whether it is allowed)."""
    lines = [
        parse_line(line, number)
        for number, line in enumerate((text or "").splitlines(), start=1)
        if line.strip()
    ]
    return lines or [PromptLine(1, (("",),))]


def count_takes(lines: list[PromptLine], ratios: int, lengths: int, models: int, each: int) -> int:
    return sum(line.count for line in lines) * ratios * lengths * models * each


def too_many(count: int) -> VariationProblem | None:
    if count <= MAX_TAKES:
        return None
    return VariationProblem(
        "variations",
        f"This would make {count:,} takes; a batch can have at most {MAX_TAKES}. Use fewer "
        "prompt lines or alternatives, shapes, lengths, models or takes per combination.",
    )


def takes_each_problem(value: object) -> VariationProblem | None:
    """Takes per combination: a whole number from 1 to MAX_TAKES."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_TAKES:
        return None
    return VariationProblem(
        "takes",
        f"Takes per combination is a whole number from 1 to {MAX_TAKES} (not “{value}”).",
    )


class BatchOverBudget(OverBudget):
    """A batch whose total would cross a cap: refused whole, before any take is sent."""

    def __init__(self, cap: Cap, amount_quota: int, admins: list[str], takes: int):
        super().__init__(cap, amount_quota, admins)
        who = ", ".join(admins[:3]) if admins else "an admin"
        price = format_usd(quota_to_usd(amount_quota))
        self.args = (
            f"These {takes} takes ({price} together) would go over {cap.label} monthly "
            f"budget: {cap.left_words()}. Nothing was sent. Make fewer takes, or ask an "
            f"admin ({who}) to raise the budget.",
        )

    def __str__(self) -> str:
        return str(self.args[0])
