"""Which models of the catalog the service offers now, asked once at start and then every
few minutes in the background (GET /v1/models), kept for the whole server process: a page
view never asks the service. A submit answered `model_not_found` takes that model off at
once (`mark_gone`), until the service lists it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from lib.domain.catalog import MODELS, RECOMMENDED, ModelSpec, closest_model
from lib.wave import WaveError

log = logging.getLogger(__name__)

REFRESH_SECONDS = 300.0  # "every few minutes": a retired model shows within five
RETRY_SECONDS = 30.0  # after an unanswered look, sooner


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str = ""  # why not, in words for people ("" when available)


class ModelOffer:
    """The catalog's models as the service offers them, refreshed in the background."""

    def __init__(
        self,
        ask: Callable[[], tuple[str, ...] | None],
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._ask = ask  # WaveClient.models
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._listed: tuple[str, ...] | None = None  # None: the catalog stands (404, unknown)
        self._gone: dict[str, str] = {}  # model -> why, from a refused submit
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ----- asking the service -----------------------------------------------------------
    def refresh(self) -> bool:
        """Ask the service now. -> whether it answered."""
        try:
            listed = self._ask()
        except WaveError as exc:
            log.warning("Could not read the service's model list (%s): kept as it was", exc)
            return False
        with self._lock:
            self._listed = listed
            if listed is not None:  # listed again: a refusal seen before no longer holds
                self._gone = {m: why for m, why in self._gone.items() if m not in listed}
        return True

    def start(self) -> None:
        """Ask at once, then every few minutes, on a background thread (in demo mode the
        service is this very server, which answers only once start-up is over)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._keep_fresh, name="model-offer", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _keep_fresh(self) -> None:
        answered = self.refresh()
        while not self._stop.wait(self._refresh_seconds if answered else RETRY_SECONDS):
            answered = self.refresh()

    def mark_gone(self, model_id: str, message: str = "") -> None:
        """The service refused this model at a submit (`model_not_found`)."""
        with self._lock:
            self._gone[model_id] = message

    # ----- what the pages read ----------------------------------------------------------
    def availability(self, model_id: str) -> Availability:
        with self._lock:
            listed, gone = self._listed, dict(self._gone)
        if model_id in gone:
            said = f" It said: “{gone[model_id]}”" if gone[model_id] else ""
            return Availability(False, f"The video service no longer offers this model.{said}")
        if listed is not None and model_id not in listed:
            return Availability(False, "The video service does not offer this model now.")
        return Availability(True)

    def offered(self) -> list[str]:
        """The catalog's models offered now, in the catalog's order."""
        return [m for m in MODELS if self.availability(m).available]

    def default_model(self) -> str:
        """The model Create starts with: the catalog's first (1.0) where it is offered,
        else the service's recommended replacement, else the first offered."""
        offered = self.offered()
        for choice in (next(iter(MODELS)), RECOMMENDED):
            if choice in offered:
                return choice
        return offered[0] if offered else RECOMMENDED

    def instead_of(self, model_id: str, image_mode: bool = False) -> ModelSpec | None:
        """The closest offered model to one that is not offered."""
        return closest_model(model_id, self.offered(), image_mode)
