"""Hide, restore and delete files through lib/review (issue 17), as every role: the
wrong role is refused, nothing changes, it is logged; hidden videos leave History, review
links and the ZIP, but stay in Costs."""

from __future__ import annotations

from lib.costs.approved import per_approved
from lib.domain.access import Role
from lib.history import queries
from lib.review import download, hiding, links
from lib.review.states import change_review
from lib.storage import LIBRARY
from lib.storage.local import LocalStorage
from lib.store.team import AuditFilter
from tests.factories import PRICE, make
from tests.review.conftest import person


def refused(store, action):
    return store.audit_events(AuditFilter(actions=[action], outcome="refused"))


def test_hide_by_maker_restore_by_admin_others_refused(store):
    ana, olu = person(store, "Ana", Role.MEMBER), person(store, "Olu", Role.MEMBER)
    boss = person(store, "Bea", Role.ADMIN)
    video = make(store, "archived", person="Ana")
    assert hiding.hide_video(store, olu, video) == (hiding.NOT_YOURS_TO_HIDE, False)
    assert store.hidden_among([video]) == set()
    assert hiding.hide_video(store, ana, video)[1]
    assert store.hidden_among([video]) == {video}
    assert queries.page_of_tasks(store) == []  # gone from History
    assert [t.id for t in queries.page_of_tasks(store, queries.Filters(hidden=True))] == [video]
    assert per_approved(store)[0].spend_quota == PRICE  # still in Costs
    assert hiding.restore_video(store, ana, video) == (hiding.ADMINS_RESTORE, False)
    assert store.hidden_among([video]) == {video}
    assert not hiding.may_see(store, olu, video) and hiding.may_see(store, ana, video)
    assert hiding.restore_video(store, boss, video)[1]
    assert store.hidden_among([video]) == set()
    assert len(refused(store, "video.hide")) == 1 and len(refused(store, "video.restore")) == 1


def test_hidden_videos_leave_review_links_and_the_zip(store):
    boss = person(store, "Bea", Role.ADMIN)
    video = make(store, "archived", person="Ana", campaign="Spring")
    change_review(store, boss, [video], "approved")
    made = links.make_link(store, boss, "campaign", campaign="Spring")
    hiding.hide_video(store, boss, video)
    assert links.shared_tasks(store, made.link) == []
    again = links.make_link(store, boss, "video", task_ids=[video])
    assert again.token is None and "hidden video cannot be shared" in again.message
    assert download.approved_videos(store, "Spring") == []


def test_only_admins_delete_files_and_the_cost_stays(store, tmp_path):
    storage = LocalStorage(tmp_path / "data")
    ana, boss = person(store, "Ana", Role.MEMBER), person(store, "Bea", Role.ADMIN)
    video = make(store, "archived", person="Ana")
    storage.put_bytes(f"{LIBRARY}/{video}.mp4", b"mp4", "video/mp4")
    storage.put_bytes(f"{LIBRARY}/{video}.jpg", b"jpg", "image/jpeg")
    assert hiding.delete_files(store, storage, ana, video) == (hiding.ADMINS_DELETE, False)
    assert storage.size(f"{LIBRARY}/{video}.mp4") == 3
    assert hiding.delete_files(store, storage, boss, video)[1]
    assert storage.size(f"{LIBRARY}/{video}.mp4") is None
    assert storage.size(f"{LIBRARY}/{video}.jpg") is None
    task = store.get_task(video)
    assert (task.video_file, task.archive_state, task.cost_quota) == (None, "deleted", PRICE)
    done = store.audit_events(AuditFilter(actions=["video.delete_files"], outcome="done"))
    assert [(e.actor_name, e.target) for e in done] == [("Bea", video)]
    assert len(refused(store, "video.delete_files")) == 1
