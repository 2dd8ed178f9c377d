"""A new task as it is first stored, before anything is sent: one video (Store.create_task)
or every take of a batch (lib/store/batches.py) is built the same way."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lib.domain.statuses import ArchiveState, TaskStatus
from lib.store.schema import Task, TaskEvent, TaskImage

FINISHED = "studio_task_finished"  # a write session's mark: it finished a task


@dataclass(frozen=True)
class NewTask:
    idempotency_key: str
    request: dict[str, Any]  # validated, as it will be sent (without callback details)
    person: str
    campaign: str
    estimate_quota: int
    images: Sequence[tuple[str, str | None]] = ()  # (url, asset sha256 or None), in order
    # The account making it; None: the account of `person`'s name (made if new).
    account_id: str | None = None
    # Issue 18: the brand kit used (id, name then) and the recipe it was started from.
    kit: tuple[str, str] | None = None
    recipe_id: str | None = None
    # A video made from another (a restyle, issue 18): recorded with it, in one go.
    made_from: MadeFrom | None = None
    # Another family link (parent video id, kind), e.g. a retry's: also in one go.
    family: tuple[str, str] | None = None

    def family_link(self) -> tuple[str, str] | None:
        """(parent video id, kind) to record with the task, or None."""
        if self.made_from is not None:
            return self.made_from.parent_id, self.made_from.kind
        return self.family


@dataclass(frozen=True)
class MadeFrom:
    """The video a new one is made from (its family link, `task_parents`), and what the
    new one takes from it: a restyle keeps its source's length, shape and resolution."""

    parent_id: str
    kind: str
    mode: str
    resolution: str
    duration: int
    aspect_ratio: str | None


def task_row(
    new: NewTask,
    now: datetime,
    lease: tuple[str, datetime] | None = None,
    due_now: bool = False,
) -> Task:
    """The row of a task not sent yet (status "submitting"). With `lease` (its sender's)
    or `due_now` (a batch's take, sent by the tracker), it is due at once; otherwise in a
    minute, by when the submit in progress has set it."""
    request = new.request
    made_from = new.made_from
    task = Task(
        id=uuid.uuid4().hex,
        idempotency_key=new.idempotency_key,
        status=TaskStatus.SUBMITTING,
        progress=0,
        request=request,
        model=request["model"],
        mode=made_from.mode if made_from else "image" if request.get("image_urls") else "text",
        prompt=request.get("prompt", ""),
        aspect_ratio=(
            made_from.aspect_ratio
            if made_from
            else None
            if request.get("image_urls")
            else request.get("aspect_ratio")
        ),
        resolution=made_from.resolution if made_from else request["resolution"],
        duration=made_from.duration if made_from else request["duration"],
        person=new.person,
        campaign=new.campaign,
        estimate_quota=new.estimate_quota,
        created_at=now,
        updated_at=now,
        archive_state=ArchiveState.NONE,
        archive_attempts=0,
        tracking=True,
        # Not due yet: the submit in progress will set it; a crash leaves it due.
        next_check_at=now if lease or due_now else now + timedelta(seconds=60),
        lease_owner=lease[0] if lease else None,
        lease_until=lease[1] if lease else None,
        api_calls=0,
        kit_id=new.kit[0] if new.kit else None,
        kit_name=new.kit[1] if new.kit else "",
        recipe_id=new.recipe_id,
    )
    task.images = [
        TaskImage(position=i, url=url, asset_sha256=sha) for i, (url, sha) in enumerate(new.images)
    ]
    task.events = [TaskEvent(at=now, status=TaskStatus.SUBMITTING, progress=0, source="studio")]
    return task
