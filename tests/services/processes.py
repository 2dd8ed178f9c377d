"""Ending a service process the tests started: its own way first, then for sure."""

from __future__ import annotations

import signal
import subprocess


def stop(process: subprocess.Popen, how: signal.Signals = signal.SIGTERM) -> None:
    """Send `how` (each server has its fast, clean shutdown signal), wait up to 30 s,
    then kill. Does nothing to a process that has already ended."""
    if process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
