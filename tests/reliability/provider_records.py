"""What the provider itself says happened: the tasks it made and what it charged. The
reliability tests judge the studio by these, not by the studio's own account of itself."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from lib.embedded_wave import EmbeddedWave
from lib.embedded_wave.tasks import Task, TaskFile


def provider_tasks(wave: EmbeddedWave) -> list[Task]:
    """Every task the provider made, from its own task store on disk."""
    task_file = TaskFile(Path(wave.settings.data_dir) / "tasks.sqlite3")
    try:
        return task_file.load_all()
    finally:
        task_file.close()


def charged_quota(tasks: list[Task]) -> int:
    """What the provider settled for these tasks (completed ones cost their price)."""
    return sum(task.cost or 0 for task in tasks)


def second_tasks_for_one_key(tasks: list[Task]) -> int:
    """Tasks made by a key that had already made one (each a second charge), plus any
    made with no key at all (the studio always sends one)."""
    per_key = Counter(task.idempotency_key for task in tasks)
    keyless = per_key.pop(None, 0)
    return keyless + sum(count - 1 for count in per_key.values())
