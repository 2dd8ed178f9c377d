"""Cells of the CSV files the studio hands out (Costs' ledger, the campaign ZIP's
manifest): text a spreadsheet would run as a formula is defused, by one rule."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_cell(text: object) -> str:
    """A leading single quote for text starting like a formula: shown as plain text."""
    value = "" if text is None else str(text)
    return "'" + value if value.startswith(FORMULA_STARTS) else value
