"""The Costs page's session keys."""

from __future__ import annotations

PERIOD = "costs.period"
DATES = "costs.dates"  # the range picked when the period is "Pick dates"
PEOPLE = "costs.people"
CAMPAIGNS = "costs.campaigns"
MODELS = "costs.models"
