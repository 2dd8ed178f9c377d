"""History's search reads a trigram index (lib/store/search.py, migration 0007) and finds
exactly what a plain `ILIKE '%words%'` finds, on SQLite (FTS5, kept by triggers) and on
PostgreSQL (pg_trgm's GIN index)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import event, func, select, text

from lib.history import queries
from lib.history.queries import Filters, count_tasks, page_count, page_of_tasks
from lib.store.reviews import Reviewer
from lib.store.schema import Task
from lib.store.search import SQLITE_FTS, like_pattern, prompt_contains
from lib.store.tasks import Store
from tests.store.test_store import NOW, REQUEST, new_task

PROMPTS = [
    "A red Fox jumps over the fence",
    "a fox",
    "foxglove garden at dawn",
    "ÉCLAIR FOX with accents",
    "50% off_sale banner",
    "nothing to see",
    "ab",
    'quote "fox" inside',
]


def stored(store: Store) -> list[str]:
    ids = []
    for number, prompt in enumerate(PROMPTS):
        request = {**REQUEST, "prompt": prompt}
        task, _ = store.create_task(new_task(f"key-{number}", request=request), NOW)
        ids.append(task.id)
    return ids


def found_plainly(store: Store, words: str) -> set[str]:
    plain = Task.prompt.ilike(like_pattern(words), escape="\\")
    with store.session() as session:
        return set(session.scalars(select(Task.prompt).where(plain)))


def test_the_search_finds_exactly_what_a_plain_like_finds(database_url):
    store = Store.open(database_url)
    ids = stored(store)
    store.discard_unsent(ids[1])  # "a fox" is gone: no longer found
    dialect = store.engine.dialect.name
    for words in ("fox", "FoX", "x j", "50%", "_sa", "ab", '"fox"', "éclair", "zzz", "fo"):
        with store.session() as session:
            found = set(session.scalars(select(Task.prompt).where(prompt_contains(words, dialect))))
        assert found == found_plainly(store, words), words
        shown = page_of_tasks(store, Filters(text=words))
        assert {task.prompt for task in shown} == found
        assert count_tasks(store, Filters(text=words)) == len(found)
    assert found_plainly(store, "fox") == {
        "A red Fox jumps over the fence",
        "foxglove garden at dawn",
        "ÉCLAIR FOX with accents",
        'quote "fox" inside',
    }
    if dialect == "sqlite":  # the triggers keep the index with the table
        with store.session() as session:
            indexed = session.scalar(text(f"SELECT count(*) FROM {SQLITE_FTS}"))
            assert indexed == session.scalar(select(func.count(Task.id))) == len(PROMPTS) - 1
    store.engine.dispose()


def test_the_search_is_served_by_the_trigram_index(database_url):
    store = Store.open(database_url)
    stored(store)
    count = select(func.count(Task.id)).where(prompt_contains("fox", store.engine.dialect.name))
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")  # a tiny table otherwise
            sql = count.compile(connection, compile_kwargs={"literal_binds": True})
            plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {sql}").scalars())
            assert "ix_tasks_prompt_trgm" in plan, plan
        else:
            sql = count.compile(connection, compile_kwargs={"literal_binds": True})
            plan = " ".join(
                str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            )
            assert SQLITE_FTS in plan and "VIRTUAL TABLE" in plan, plan
    store.engine.dispose()


def test_the_filter_boxes_list_each_campaign_and_person_once_a_to_z(database_url):
    """Store.campaigns/people read one index entry per value (a skip scan), not a DISTINCT
    over every video: the same list, "" (no campaign) included."""
    store = Store.open(database_url)
    assert store.campaigns() == [] and store.people() == []
    for number, (person, campaign) in enumerate(
        [("Cleo", "Spring"), ("Ana", ""), ("Cleo", "Autumn"), ("Bo", "Spring"), ("Ana", "Zoo")]
    ):
        store.create_task(new_task(f"key-{number}", person=person, campaign=campaign), NOW)
    assert store.campaigns() == ["", "Autumn", "Spring", "Zoo"]
    assert store.people() == ["Ana", "Bo", "Cleo"]
    store.engine.dispose()


def test_history_counts_exactly_what_it_shows_with_hidden_videos(database_url, monkeypatch):
    """History's count (the hidden videos counted apart, lib/history/queries.py) is the
    number of videos its pages show, for every kind of filter, hidden ones left out or
    only them; hiding one more is counted at once."""
    store = Store.open(database_url)
    ids = stored(store)
    by = Reviewer(None, "Admin")
    for task_id in (ids[0], ids[2], ids[6]):  # two "fox" prompts and "nothing to see"
        store.set_hidden(task_id, True, by, NOW)
    choices = [
        Filters(),
        Filters(text="fox"),
        Filters(text="fo"),
        Filters(statuses=("submitting",)),
        Filters(statuses=("completed",), text="fox"),
        Filters(campaign="Nope"),
    ]
    choices += [replace(chosen, hidden=True) for chosen in choices]

    def agree() -> None:
        for chosen in choices:
            shown = page_of_tasks(store, chosen, page_size=100)
            assert count_tasks(store, chosen) == len(shown), chosen

    agree()
    assert count_tasks(store, Filters(text="fox")) == 3
    assert count_tasks(store, Filters(text="fox", hidden=True)) == 2
    store.set_hidden(ids[3], True, by, NOW)  # "ÉCLAIR FOX"
    assert count_tasks(store, Filters(text="fox")) == 2
    monkeypatch.setattr(queries, "MANY_HIDDEN", 1)  # many hidden: counted in one query
    store.memo.written()
    agree()


def test_a_page_walked_in_date_order_is_the_page_the_index_gives(database_url):
    """With the number found known (History's count), a search on SQLite that finds many
    walks the newest videos in date order instead of reading every video the index gives
    (lib/history/queries.py, `_walked_page`): the pages are the same, on both databases,
    whether the walk fills the page, is not tried, or gives up (the videos found old)."""
    from datetime import timedelta

    store = Store.open(database_url)
    for number in range(30):  # oldest first: 8 dogs, then a fox every other video
        prompt = "a dog" if number < 8 else ("a fox" if number % 2 else "a cat")
        request = {**REQUEST, "prompt": f"{prompt} {number}"}
        store.create_task(new_task(f"k{number}", request=request), NOW + timedelta(minutes=number))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    sqlite = store.engine.dialect.name == "sqlite"
    for chosen in (Filters(text="fox"), Filters(text="dog"), Filters(text="cat", person="Ana")):
        found = count_tasks(store, chosen)
        for page in range(1, page_count(found, 3) + 1):
            statements.clear()
            walked = page_of_tasks(store, chosen, page, page_size=3, found=found)
            used_the_index = any("MATCH" in sql for sql in statements)
            indexed = page_of_tasks(store, chosen, page, page_size=3)
            assert [t.id for t in walked] == [t.id for t in indexed], (chosen, page)
            assert walked, (chosen, page)
            if sqlite and chosen.text == "fox":  # 11 found of 30: pages 1 and 2 walked
                assert used_the_index == (page > 2), page
            walked_some = any("tasks.created_at >=" in sql for sql in statements)
            if sqlite and chosen.text == "dog":  # the 8 oldest: page 1 tried, given up
                assert used_the_index and walked_some == (page == 1), page
    store.engine.dispose()
