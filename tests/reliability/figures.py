"""Figures the reliability suite measures (tasks lost, double charges, inputs tried, leaks
found, extra requests...). Tests record them; tests/conftest.py prints them at the end of
the run, so CI's log carries the numbers issue 6 asks for."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    area: str  # e.g. "Crash", "Flaky provider", "Money"
    name: str  # what was counted, in words
    value: object
    target: str = ""  # what it should be, in words ("0", "= 50"); empty when only reported


_figures: list[Figure] = []
_lock = threading.Lock()


def record(area: str, name: str, value: object, target: str = "") -> None:
    """Keep one figure for the end-of-run table (a later figure with the same area and name
    replaces the earlier one, so a re-run test does not print twice)."""
    with _lock:
        _figures[:] = [f for f in _figures if (f.area, f.name) != (area, name)]
        _figures.append(Figure(area, name, value, target))


def recorded() -> list[Figure]:
    with _lock:
        return list(_figures)


def table() -> list[str]:
    """The figures as aligned text lines, grouped by area in the order they were recorded."""
    figures = recorded()
    if not figures:
        return []
    width = max(len(f"{f.area}: {f.name}") for f in figures)
    lines = []
    for figure in figures:
        label = f"{figure.area}: {figure.name}"
        target = f"   (target {figure.target})" if figure.target else ""
        lines.append(f"{label:<{width}}  {figure.value}{target}")
    return lines
