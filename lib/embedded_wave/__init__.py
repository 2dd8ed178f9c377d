"""The embedded Wave API: a local server that speaks `shared/wave-api.md` and renders
real MP4 files, so the studio runs and is tested without the paid service.

Run it on its own with `python -m lib.embedded_wave --port 8000`; the studio mounts it
in-process when no `WAVE_API_KEY` is configured.
"""

from lib.embedded_wave.server import EmbeddedWave
from lib.embedded_wave.settings import EmbeddedSettings, Faults

__all__ = ["EmbeddedSettings", "EmbeddedWave", "Faults"]
