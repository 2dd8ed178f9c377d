"""Variations on Create (issue 18): the form's one Draft multiplied into takes. Each take
is the form's Draft with its prompt, shape, length or model replaced
(`dataclasses.replace`), so every rule a Draft checks and every price it makes applies to
each take as it would to a single video. The expansion rules (braces, the limit) are
lib/domain/variations.py's."""

from __future__ import annotations

import itertools
import json
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from lib.create import keys, price
from lib.create.draft import Draft, whole_number
from lib.domain.catalog import display_name
from lib.domain.variations import (
    VariationProblem,
    count_takes,
    prompt_lines,
    takes_each_problem,
    too_many,
)

SHOWN_TAKE_PROBLEMS = 5  # the form names this many takes that can't be made, then counts


@dataclass(frozen=True)
class Variations:
    """What the Variations part of the form holds: empty lists keep the form's own value."""

    ratios: tuple[str, ...] = ()
    durations: tuple[Any, ...] = ()
    models: tuple[str, ...] = ()
    each: Any = 1  # takes per combination, as typed


@dataclass(frozen=True)
class Take:
    number: int  # from 1, in the order the takes are made
    draft: Draft
    problems: dict[str, str]  # the Draft's own, by field
    quota: int | None  # its price; None when its length or size is not one its model makes

    @property
    def label(self) -> str:
        """`Grok Imagine · 16:9 · 6 s`: what sets this take apart, besides its prompt."""
        seconds = whole_number(self.draft.duration)
        return f"{display_name(self.draft.model)} · {self.draft.aspect_ratio} · {seconds} s"


@dataclass
class Plan:
    takes: list[Take] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # by field, for the form

    @property
    def total_quota(self) -> int:
        return sum(take.quota or 0 for take in self.takes)

    @property
    def ready(self) -> bool:
        """Every take can be made: nothing is sent otherwise."""
        return bool(self.takes) and not self.problems


def variations_from(state: MutableMapping[str, Any]) -> Variations | None:
    """The Variations part of the form, or None when it is off (the single-take form)."""
    if not state.get(keys.VARY):
        return None
    return Variations(
        ratios=tuple(state.get(keys.VARY_RATIOS) or ()),
        durations=tuple(state.get(keys.VARY_DURATIONS) or ()),
        models=tuple(state.get(keys.VARY_MODELS) or ()),
        each=state.get(keys.VARY_TAKES, 1),
    )


def plan(base: Draft, variations: Variations) -> Plan:
    """Every take the form would make, each checked and priced, or why none can be made
    (a brace, too many takes): nothing is expanded past the limit."""
    try:
        lines = prompt_lines(base.prompt)
    except VariationProblem as problem:
        return Plan(problems={problem.param: str(problem)})
    each_problem = takes_each_problem(variations.each)
    if each_problem:
        return Plan(problems={each_problem.param: str(each_problem)})
    each = int(variations.each)
    ratios = variations.ratios or (base.aspect_ratio,)
    durations = variations.durations or (base.duration,)
    models = variations.models or (base.model,)
    crowd = too_many(count_takes(lines, len(ratios), len(durations), len(models), each))
    if crowd:
        return Plan(problems={crowd.param: str(crowd)})
    prompts = [prompt for line in lines for prompt in line.expand()]
    combos = itertools.product(prompts, models, ratios, durations, range(each))
    takes = []
    sent: dict[str, Take] = {}  # each distinct request: its first take
    for number, (prompt, model, ratio, seconds, copy) in enumerate(combos, start=1):
        draft = replace(base, prompt=prompt, model=model, aspect_ratio=ratio, duration=seconds)
        problems = draft.problems()
        if copy == 0 and not problems:  # "takes of each" copies are asked for; others not
            first = sent.setdefault(_request_key(draft), Take(number, draft, {}, None))
            if first.number != number:
                problems = {"aspect_ratio": _same_request(first, draft)}
        takes.append(Take(number, draft, problems, price.quota(draft)))
    return Plan(takes=takes, problems=_take_problems(takes))


def _request_key(draft: Draft) -> str:
    return json.dumps(draft.request(), sort_keys=True, default=str)


def _same_request(first: Take, draft: Draft) -> str:
    """Two takes that send the same request are two takes of the same settings, whatever
    the grid says sets them apart: with pictures, a model that takes the shape from the
    first picture ignores the shape chosen (the grid would promise a shape never made)."""
    same = f"it would be made exactly as take {first.number}"
    if first.draft.aspect_ratio != draft.aspect_ratio:
        same += (
            f" (with pictures, {display_name(draft.model)} takes its shape from the first "
            f"picture, not {draft.aspect_ratio}); keep one shape for it"
        )
    return f"{same}, or use “Takes of each” for several takes of the same settings"


def _take_problems(takes: list[Take]) -> dict[str, str]:
    """The takes that can't be made, named with why, under "variations"; a problem every
    take shares (no prompt, a bad campaign) stays at its own field, said once."""
    bad = [take for take in takes if take.problems]
    if not bad:
        return {}
    shared = {
        name: text
        for name, text in bad[0].problems.items()
        if all(take.problems.get(name) == text for take in takes)
    }
    own = [
        (take, {n: t for n, t in take.problems.items() if n not in shared})
        for take in bad
        if set(take.problems) - set(shared)
    ]
    found = dict(shared)
    if own:
        named = "; ".join(
            f"take {take.number} ({take.label}): {next(iter(problems.values()))}"
            for take, problems in own[:SHOWN_TAKE_PROBLEMS]
        )
        more = len(own) - SHOWN_TAKE_PROBLEMS
        extra = f" …and {more} more." if more > 0 else ""
        found["variations"] = (
            f"{len(own)} of the {len(takes)} takes can't be made as set: {named}.{extra} "
            "Change the shapes, lengths or models: nothing is sent until every take can be "
            "made."
        )
    return found
