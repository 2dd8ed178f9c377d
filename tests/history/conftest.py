"""Fixtures of History's tests: a running studio whose tracker is stopped, and its store."""

from __future__ import annotations

import pytest

from lib.store.tasks import Store
from tests.studio_harness import RunningStudio


@pytest.fixture
def quiet(studio: RunningStudio) -> RunningStudio:
    """The studio with its tracker stopped, so tasks made in the store stay as made."""
    studio.studio.tracker.stop()
    return studio


@pytest.fixture
def store(quiet: RunningStudio) -> Store:
    return quiet.studio.store
