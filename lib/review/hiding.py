"""Hiding a take from History (its maker or an admin; it stays in Costs), restoring it
(admins only), and deleting a video's files (admins only; the record and its cost stay).
Checked here and logged, whatever the page shows."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.domain.access import Actor, NotAllowed, check_acts_on, check_admin
from lib.storage import LIBRARY, Storage, StorageUnavailable
from lib.store.reviews import Reviewer
from lib.store.tasks import Store

NOT_YOURS_TO_HIDE = "You can only hide your own videos; an admin can hide anyone's."
ADMINS_RESTORE = "Only admins can bring a hidden video back."
ADMINS_DELETE = "Only admins can delete a video's files."


def _refuse(store: Store, actor: Actor | None, action: str, why: str, task_id: str) -> str:
    store.audit_refused(actor, action, why, task_id)
    return why


def hide_video(store: Store, actor: Actor | None, task_id: str) -> tuple[str, bool]:
    task = store.get_task(task_id)
    if task is None:
        return "This video no longer exists.", False
    try:
        check_acts_on(actor, task.account_id, task.person, "video.hide")
    except NotAllowed as refusal:
        why = NOT_YOURS_TO_HIDE if "own" in str(refusal) else str(refusal)
        return _refuse(store, actor, "video.hide", why, task_id), False
    assert actor is not None
    store.set_hidden(task_id, True, Reviewer(actor.account_id, actor.name), datetime.now(UTC))
    return "Hidden from History. It still counts in Costs; an admin can bring it back.", True


def restore_video(store: Store, actor: Actor | None, task_id: str) -> tuple[str, bool]:
    try:
        check_admin(actor, "video.restore")
    except NotAllowed:
        return _refuse(store, actor, "video.restore", ADMINS_RESTORE, task_id), False
    assert actor is not None
    store.set_hidden(task_id, False, Reviewer(actor.account_id, actor.name), datetime.now(UTC))
    return "Back in History.", True


def may_see(store: Store, actor: Actor | None, task_id: str) -> bool:
    """A hidden video is seen by its maker and admins only (its own page, the links)."""
    if task_id not in store.hidden_among([task_id]):
        return True
    task = store.get_task(task_id)
    return (
        actor is not None
        and task is not None
        and (actor.is_admin or actor.owns(task.account_id, task.person))
    )


def delete_files(
    store: Store, storage: Storage, actor: Actor | None, task_id: str
) -> tuple[str, bool]:
    try:
        check_admin(actor, "video.delete_files")
    except NotAllowed:
        return _refuse(store, actor, "video.delete_files", ADMINS_DELETE, task_id), False
    assert actor is not None
    task = store.get_task(task_id)
    if task is None:
        return "This video no longer exists.", False
    try:
        for name in (task.video_file, task.poster_file):
            if name:
                storage.delete(f"{LIBRARY}/{name}")
    except StorageUnavailable as problem:
        return f"The files could not be deleted right now: {problem}", False
    store.record_files_deleted(task_id, Reviewer(actor.account_id, actor.name), datetime.now(UTC))
    return "The video's files are deleted. Its record and cost stay in Costs.", True
