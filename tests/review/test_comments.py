"""Comments through lib/review: plain text kept as typed, bad text refused with words
(nothing stored, logged), a moment at the start read, edits by the author only and for
ten minutes; and the family link a retry leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import event

from lib.domain.access import Role
from lib.review.comments import edit_comment, post_comment
from lib.review.states import change_review
from lib.store.database import alembic_config, make_engine, migrate
from lib.store.tasks import Store
from lib.store.team import AuditFilter
from tests.factories import make
from tests.review.conftest import person
from tests.store.test_store import insert_old_task


def test_a_comment_is_kept_as_typed_with_its_moment(store):
    ana = person(store, "Ana", Role.VIEWER)  # commenting spends nothing: viewers may
    video = make(store, "archived")
    markup = "0:04 the logo is cut <script>x</script> **bold** [link](http://evil.example)"
    posted = post_comment(store, ana, video, markup)
    assert posted.ok
    [kept] = store.comments_of(video)
    assert (kept.text, kept.at_seconds, kept.author_name) == (markup, 4.0, "Ana")
    assert store.comment_counts([video]) == {video: 1}
    assert store.audit_events(AuditFilter(actions=["comment.add"]))[0].actor_name == "Ana"


def test_bad_comments_are_refused_with_words_and_nothing_is_kept(store):
    ana = person(store, "Ana", Role.MEMBER)
    video = make(store, "archived")
    cases = {
        "x" * 100_000: "Comment is too long: 100,000 characters, and the limit is 4,000.",
        "bell\x07": "Comment contains invisible control characters; type or paste plain text.",
        " \u200b ": "Comment is empty: write a few words.",
    }
    for text, words in cases.items():
        assert post_comment(store, ana, video, text).message == words
    assert post_comment(store, None, video, "hi").message.startswith("Enter your name")
    assert store.comments_of(video) == []
    refused = store.audit_events(AuditFilter(actions=["comment.add"], outcome="refused"))
    assert len(refused) == 3


def test_only_the_author_edits_and_only_for_ten_minutes(store):
    ana = person(store, "Ana", Role.MEMBER)
    bea = person(store, "Bea", Role.ADMIN)
    video = make(store, "archived")
    comment = post_comment(store, ana, video, "too dark").comment
    assert edit_comment(store, bea, comment.id, "mine now").message == (
        "Only its author can change a comment."
    )
    later = datetime.now(UTC) + timedelta(minutes=11)
    assert "for 10 minutes" in edit_comment(store, ana, comment.id, "x", later).message
    assert store.get_comment(comment.id).text == "too dark"
    changed = edit_comment(store, ana, comment.id, "1:02.5 too dark here")
    assert changed.ok and (changed.comment.text, changed.comment.at_seconds) == (
        "1:02.5 too dark here",
        62.5,
    )
    assert changed.comment.edited_at is not None
    assert len(store.audit_events(AuditFilter(actions=["comment.edit"], outcome="refused"))) == 2


def test_family_links_both_ways(store):
    failed = make(store, "failed")
    again = make(store, "archived")
    store.set_parent(again, failed, "retry")
    parent, children = store.family(again)
    assert parent.parent_id == failed and children == []
    parent, children = store.family(failed)
    assert parent is None and [c.task_id for c in children] == [again]


def test_migration_0006_links_the_retries_made_before_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = alembic_config()
    parent_id = "a".ljust(32, "0")
    with engine.begin() as connection:  # a store as issue 16's release left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        insert_old_task(connection, "a", "Ana")
        insert_old_task(connection, f"retry-{parent_id}", "Ana")
        insert_old_task(connection, f"retry-{'f' * 32}", "Ana")  # its first is gone
    migrate(engine)
    store = Store(engine)
    retry = store.task_by_key(f"retry-{parent_id}")
    assert store.family(parent_id)[1][0].task_id == retry.id
    assert store.family(store.task_by_key(f"retry-{'f' * 32}").id) == (None, [])
    engine.dispose()


def test_a_page_of_cards_reads_its_reviews_comments_and_favourites_in_one_query(store):
    """History reads what its cards show besides the task in one query (card_marks):
    the same as the three reads it replaces, for videos with and without each."""
    ana, bea = person(store, "Ana", Role.MEMBER), person(store, "Bea", Role.ADMIN)
    videos = [make(store, "archived") for _ in range(4)]
    change_review(store, bea, videos[:2], "approved")
    for text in ("0:01 nice", "0:02 more"):
        post_comment(store, ana, videos[1], text)
    post_comment(store, bea, videos[2], "ok")
    now = datetime.now(UTC)
    store.set_favourite(ana.account_id, videos[2], True, now)
    store.set_favourite(bea.account_id, videos[3], True, now)
    statements = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    marks = store.card_marks(videos, ana.account_id)
    assert len(statements) == 1
    assert (
        {k: r.state for k, r in marks.reviews.items()}
        == {k: r.state for k, r in store.reviews_of(videos).items()}
        == {videos[0]: "approved", videos[1]: "approved"}
    )
    assert marks.comments == store.comment_counts(videos) == {videos[1]: 2, videos[2]: 1}
    assert marks.favourites == store.favourites_among(ana.account_id, videos) == {videos[2]}
    assert store.card_marks(videos, None).favourites == set()
